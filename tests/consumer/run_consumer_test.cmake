# Installs tarmac to a temporary prefix, then builds and runs a consumer project against the
# installed package (find_package) and against the source tree (add_subdirectory).
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/tarmac -G ${GENERATOR}
    -DCMAKE_INSTALL_PREFIX=${prefix} -DTARMAC_BUILD_TESTS=OFF -DTARMAC_BUILD_EXAMPLES=OFF
    -DTARMAC_BUILD_BENCH=OFF -DTARMAC_INSTALL=ON)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/tarmac)
if(NOT EXISTS ${prefix}/share/cmake/tarmac/tarmacConfig.cmake OR NOT EXISTS ${prefix}/include/tarmac/nms.hpp
   OR NOT EXISTS ${prefix}/include/tarmac/nms/cuda.cuh)
  message(FATAL_ERROR "install did not produce the package files under ${prefix}")
endif()

# The README's NMS example (the first ```cpp block after "## NMS in 15 lines") must build and run as printed.
file(READ ${SOURCE_DIR}/README.md readme)
string(FIND "${readme}" "## NMS in 15 lines" section)
if(section EQUAL -1)
  message(FATAL_ERROR "README.md has no '## NMS in 15 lines' section")
endif()
string(SUBSTRING "${readme}" ${section} -1 readme)
string(FIND "${readme}" "```cpp\n" start)
if(start EQUAL -1)
  message(FATAL_ERROR "README.md has no ```cpp example")
endif()
math(EXPR start "${start} + 7")
string(SUBSTRING "${readme}" ${start} -1 rest)
string(FIND "${rest}" "```" length)
string(SUBSTRING "${rest}" 0 ${length} example)
file(WRITE ${WORK_DIR}/readme_example.cpp "${example}")

foreach(mode find_package add_subdirectory)
  set(build ${WORK_DIR}/app_${mode})
  if(mode STREQUAL find_package)
    set(extra -DCMAKE_PREFIX_PATH=${prefix})
  else()
    set(extra -DTARMAC_SOURCE_DIR=${SOURCE_DIR})
  endif()
  run(${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/app -B ${build} -G ${GENERATOR} ${extra}
      -DREADME_EXAMPLE=${WORK_DIR}/readme_example.cpp)
  run(${CMAKE_COMMAND} --build ${build})
  run(${build}/app)
  run(${build}/readme_example)
  message(STATUS "consumer through ${mode}: built and ran")
endforeach()

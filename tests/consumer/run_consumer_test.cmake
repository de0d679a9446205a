# Installs tarmac to a temporary prefix, then builds and runs a consumer project of each part:
# tarmac::nms with OpenCV, xtensor and BLAS hidden from CMake, tarmac::nn with OpenCV hidden, and
# tarmac::tarmac through the installed package, the build tree (tarmac_DIR) and add_subdirectory.
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
include(${CMAKE_CURRENT_LIST_DIR}/../readme/readme_block.cmake)
readme_cpp_block(${SOURCE_DIR}/README.md "## NMS in 15 lines" example)
file(WRITE ${WORK_DIR}/readme_example.cpp "${example}")

# Consumers, as "name|part|how": how is prefix (CMAKE_PREFIX_PATH), build_tree (tarmac_DIR) or subdir.
set(hide_opencv -DCMAKE_DISABLE_FIND_PACKAGE_OpenCV=ON)
set(hide_nn_deps ${hide_opencv} -DCMAKE_DISABLE_FIND_PACKAGE_xtensor=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_BLAS=ON)
function(consumer name part how)
  set(build ${WORK_DIR}/app_${name})
  if(how MATCHES "^prefix$")
    set(where -DCMAKE_PREFIX_PATH=${prefix})
  elseif(how MATCHES "^build_tree$")
    set(where -Dtarmac_DIR=${WORK_DIR}/tarmac)
  else()
    set(where -DTARMAC_SOURCE_DIR=${SOURCE_DIR})
  endif()
  set(readme)
  if(NOT part STREQUAL nn)  # the README example is NMS
    set(readme -DREADME_EXAMPLE=${WORK_DIR}/readme_example.cpp)
  endif()
  run(${CMAKE_COMMAND} -S ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/app -B ${build} -G ${GENERATOR} ${where}
      -DTARMAC_PART=${part} ${readme} ${ARGN})
  run(${CMAKE_COMMAND} --build ${build})
  run(${build}/app)
  if(readme)
    run(${build}/readme_example)
  endif()
  message(STATUS "consumer ${name} (tarmac::${part}, ${how}): built and ran")
endfunction()

# The full set needs OpenCV: hidden, find_package(tarmac) must fail and say why.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/app -B ${WORK_DIR}/app_no_opencv -G ${GENERATOR}
                        -DCMAKE_PREFIX_PATH=${prefix} ${hide_opencv}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0 OR NOT out MATCHES "component 'tarmac' needs OpenCV")
  message(FATAL_ERROR "find_package(tarmac) without OpenCV should fail and name OpenCV (${rc}):\n${out}")
endif()

consumer(nms_only nms prefix ${hide_nn_deps})
consumer(nms_build_tree nms build_tree ${hide_nn_deps})
consumer(nn_only nn prefix ${hide_opencv})
consumer(full tarmac prefix)
consumer(full_build_tree tarmac build_tree)
consumer(full_subdir tarmac subdir)

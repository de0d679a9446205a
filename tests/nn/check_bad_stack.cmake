# Builds one wrong layer stack (TARGET, from nn/bad_stack.cpp) in BINARY_DIR and requires that it
# fails with SENTENCE (its static_assert's text) and NAMED (the type that names the problem: the
# shape, or the layer's position) among the first LINES lines the compiler prints.
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY_DIR} --target ${TARGET}
                RESULT_VARIABLE rc OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(rc EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled, but its layer stack is wrong")
endif()
string(REPLACE ";" "," output "${output}")
string(REPLACE "\n" ";" lines "${output}")
set(compiler_lines)
foreach(line IN LISTS lines)
  # The build tool's own lines (make, Ninja) and the compile command are not the compiler's output.
  if(NOT line MATCHES "^(\\[[ 0-9/%]+\\]|g?make(\\[[0-9]+\\])?:|ninja:|FAILED:)" AND NOT line MATCHES "TARMAC_BAD_STACK=")
    list(APPEND compiler_lines "${line}")
  endif()
endforeach()
list(LENGTH compiler_lines count)
if(count GREATER LINES)
  list(SUBLIST compiler_lines 0 ${LINES} compiler_lines)
endif()
string(REPLACE ";" "\n" first "${compiler_lines}")
foreach(wanted IN ITEMS "${SENTENCE}" "${NAMED}")
  string(FIND "${first}" "${wanted}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${TARGET}: the first ${LINES} lines of the compiler's output do not say\n  ${wanted}\n"
                        "They are:\n${first}")
  endif()
endforeach()
message(STATUS "${TARGET} fails to compile, saying: ${SENTENCE} (${NAMED})")

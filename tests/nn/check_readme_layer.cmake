# README.md's "Write your own layer" example (its first ```cpp block) must be, line for line, the
# part of TEST_SOURCE between "// README: write your own layer (begin)" and "(end)": the test
# compiles and checks that code, so the README's stays right.
cmake_minimum_required(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/../readme/readme_block.cmake)
readme_cpp_block(${README} "## Write your own layer" example)
# The block ends with its last line's newline; the tested part ends before the end marker's.
string(REGEX REPLACE "\n$" "" example "${example}")

file(READ ${TEST_SOURCE} source)
set(begin_marker "// README: write your own layer (begin)\n")
string(FIND "${source}" "${begin_marker}" begin)
string(FIND "${source}" "\n// README: write your own layer (end)" end)
if(begin EQUAL -1 OR end EQUAL -1)
  message(FATAL_ERROR "${TEST_SOURCE} has no README markers")
endif()
string(LENGTH "${begin_marker}" skip)
math(EXPR begin "${begin} + ${skip}")
math(EXPR length "${end} - ${begin}")
string(SUBSTRING "${source}" ${begin} ${length} tested)

if(NOT example STREQUAL tested)
  message(FATAL_ERROR "README.md's layer example differs from the one ${TEST_SOURCE} tests.\n"
                      "README.md:\n${example}\n\n${TEST_SOURCE}:\n${tested}")
endif()
string(REGEX MATCHALL "\n" newlines "${example}")
list(LENGTH newlines count)
math(EXPR count "${count} + 1")
message(STATUS "README.md's layer example (${count} lines) is the tested one")

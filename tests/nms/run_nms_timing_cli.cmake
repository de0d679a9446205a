include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)
# tarmac-nms-timing end to end on a small set: blog lines, table, CSV and PNG; bad flags fail.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(COMMAND ${PROGRAM} --reps 1 --png ${WORK_DIR}/chart.png
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tarmac-nms-timing failed (${rc}): ${out}${err}")
endif()
foreach(expected "thresh=0.7, time wastes:" "thresh=0.9, time wastes:" "| typed Cython (2018) * |"
                 "| simd | " " | 514 / 1502 / 4378 | " "reported in 2018 on another machine")
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "output lacks '${expected}':\n${out}")
  endif()
endforeach()
file(READ ${WORK_DIR}/chart.csv csv)
string(REGEX MATCHALL "\nsimd,measured,0\\.[789],[0-9.e-]+,[0-9]+" simd_rows "${csv}")
list(LENGTH simd_rows n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "CSV lacks the three simd rows:\n${csv}")
endif()
expect_file(${WORK_DIR}/chart.png 2000)
# Another box count: the 2018 figures no longer apply and are left out.
execute_process(COMMAND ${PROGRAM} --reps 1 --boxes 500 --seed 3 --png ${WORK_DIR}/small.png
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR out MATCHES "2018" OR NOT out MATCHES "\\| simd \\| ")
  message(FATAL_ERROR "--boxes 500 run failed or still shows the 2018 rows (${rc}):\n${out}${err}")
endif()
expect_no_leftovers(${WORK_DIR})
expect_usage_errors(${PROGRAM} tarmac-nms-timing "--reps 0" "--png ${WORK_DIR}/chart.jpg" "--bogus 1" "--reps")
# An output that cannot be written fails before the timing (with many repetitions, the timing
# alone would outlast this limit).
execute_process(COMMAND ${PROGRAM} --reps 100000 --png ${WORK_DIR}/missing-folder/x.png TIMEOUT 20
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--png: cannot write .*x.png: folder .*missing-folder does not exist")
  message(FATAL_ERROR "--png into a missing folder must fail before any timing (${rc}): ${err}")
endif()

include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)
# examples/train_in_50_lines.cpp on a generated data set: its own network trained by the
# library's trainer, a line per epoch, the best epoch saved; the program loads the model file
# back and exits 1 unless it scores what the trainer measured. Better than chance (1/3) is
# asked of the best epoch too: the trainer must have learnt something.
make_synthetic_data(${SYNTH} ${WORK_DIR} --per-class 12 --seed 1)
execute_process(COMMAND ${PROGRAM} ${WORK_DIR}/synth/training_data_type ${WORK_DIR}/mine.yml
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tarmac-example-train failed (${rc}):\n${out}\n${err}")
endif()
string(REGEX MATCHALL "epoch +[0-9]+: training loss [0-9.]+, validation accuracy [0-9.]+\n" epochs "${out}")
list(LENGTH epochs n)
if(NOT n EQUAL 20 OR NOT out MATCHES "best: epoch ([0-9]+), validation accuracy (0\\.[0-9]+|1\\.000)")
  message(FATAL_ERROR "tarmac-example-train: 20 epoch lines and the best epoch expected, got ${n}:\n${out}")
endif()
if(CMAKE_MATCH_2 LESS 0.5)
  message(FATAL_ERROR "tarmac-example-train: best validation accuracy ${CMAKE_MATCH_2}, chance is 0.333:\n${out}")
endif()
if(NOT out MATCHES "mine.yml, loaded: validation accuracy ${CMAKE_MATCH_2}")
  message(FATAL_ERROR "tarmac-example-train: the loaded model must score as the best epoch did:\n${out}")
endif()
file(READ ${WORK_DIR}/mine.yml model LIMIT 1000)
if(NOT model MATCHES "notes: \"examples/train_in_50_lines.cpp\"" OR NOT model MATCHES "kind: conv2d")
  message(FATAL_ERROR "mine.yml is not the example's model file:\n${model}")
endif()
expect_no_leftovers(${WORK_DIR})

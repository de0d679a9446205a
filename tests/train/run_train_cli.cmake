include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)
# tarmac-train end to end on a small generated data set: epoch lines, model, CSV, PNG,
# confusion matrix, and bad inputs (no data, one class, an empty class, unwritable outputs).
make_synthetic_data(${SYNTH} ${WORK_DIR} --per-class 8 --seed 3)
set(data ${WORK_DIR}/synth/training_data_unpaved_quality)  # 2 classes

foreach(net gap rtk)
  execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/${net}.yml.gz --net ${net} --epochs 2
                          --augment strong --balance weights --log ${WORK_DIR}/${net}.csv --plot ${WORK_DIR}/${net}.png --seed 2
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tarmac-train --net ${net} failed (${rc}): ${out}${err}")
  endif()
  foreach(expected "Training Epoch 1 --- Training Accuracy: +[0-9.]+%, Validation Accuracy: +[0-9.]+%,  Validation Loss: [0-9.]+"
                   "Training Epoch 2 ---" "Confusion matrix" "unpaved \\(regular\\) +[0-9]+ +[0-9]+" "Best: epoch [12]")
    if(NOT out MATCHES "${expected}")
      message(FATAL_ERROR "tarmac-train --net ${net}: output lacks '${expected}':\n${out}")
    endif()
  endforeach()
  expect_file(${WORK_DIR}/${net}.yml.gz 1000)
  expect_file(${WORK_DIR}/${net}.png 5000)
  file(STRINGS ${WORK_DIR}/${net}.csv rows)
  list(LENGTH rows n)
  list(GET rows 0 header)
  if(NOT n EQUAL 3 OR NOT header STREQUAL "epoch,train_loss,train_accuracy,validation_loss,validation_accuracy,validation_balanced_accuracy,seconds")
    message(FATAL_ERROR "${net}.csv: ${n} rows, header '${header}'")
  endif()
endforeach()

# --iterations stops after that many steps; the model of a finished run is never left half-written.
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/it.json --net gap --iterations 1 --augment none
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Training Epoch 1 ---" OR out MATCHES "Training Epoch 2")
  message(FATAL_ERROR "--iterations 1 (${rc}): ${out}${err}")
endif()
expect_no_leftovers(${WORK_DIR})

# --recipe rtk is the RTK tutorial whatever else is given; the defaults are the cross-validated best.
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/recipe.yml --recipe rtk --net gap --iterations 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "net rtk, augment rtk, balance replicate")
  message(FATAL_ERROR "--recipe rtk (${rc}): ${out}${err}")
endif()
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/default.yml --iterations 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "net rtk, augment strong, balance weights")
  message(FATAL_ERROR "defaults (${rc}): ${out}${err}")
endif()

# Bad inputs.
file(MAKE_DIRECTORY ${WORK_DIR}/one/only ${WORK_DIR}/empty/a ${WORK_DIR}/empty/b)
file(GLOB some "${data}/01unpaved(Regular)/*.jpg")
file(COPY ${some} DESTINATION ${WORK_DIR}/one/only)
file(COPY ${some} DESTINATION ${WORK_DIR}/empty/a)
file(WRITE ${WORK_DIR}/empty/b/broken.jpg "")
expect_usage_errors(${PROGRAM} tarmac-train
  ""
  "--data ${WORK_DIR}/missing"
  "--data ${WORK_DIR}/one --out ${WORK_DIR}/x.yml"
  "--data ${WORK_DIR}/empty --out ${WORK_DIR}/x.yml"
  "--data ${data} --out ${WORK_DIR}/x.txt"
  "--data ${data} --out ${WORK_DIR}/no/such/x.yml"
  "--data ${data} --lr 0"
  "--data ${data} --val 1.5"
  "--data ${data} --net resnet"
  "--data ${data} --augment wild"
  "--data ${data} --recipe tf"
  "--data ${data} --bogus 1")

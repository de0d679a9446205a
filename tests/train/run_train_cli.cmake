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
                   "Training Epoch 2 ---" "Confusion matrix" "unpaved \\(regular\\) +[0-9]+ +[0-9]+" "Best: epoch [12]"
                   "Time: [0-9]+ images in [0-9.]+ s, [0-9]+ images/s \\(the steps alone [0-9]+ images/s\\): steps [0-9.]+ s, waiting for data [0-9.]+ s, validation [0-9.]+ s, checkpoints and logs [0-9.]+ s; alongside, the loader's workers: frames [0-9.]+ s, augmentation [0-9.]+ s")
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
  "--data ${data} --cache-mb -1"
  "--data ${data} --cache-mb 99999999999999999999"
  "--data ${data} --cache-mb 1.5"
  "--data ${data} --bogus 1")

# The frame cache: the plan before training (all kept, over the budget, or off), what it held
# after, and the same model whichever (the loader's seeds do not depend on where a frame came from).
set(types ${WORK_DIR}/synth/training_data_type)  # 24 frames of 48 KiB: 1.1 MiB
foreach(case "1024;Frame cache: 24 frames of 128x128, 1.1 MiB of the 1024 MiB budget \\(--cache-mb\\): decoded once"
             "1;Frame cache: 24 frames of 128x128 need 1.1 MiB, over the 1 MiB budget \\(--cache-mb\\): the first 21 read are kept, the others decoded every epoch \\(streamed\\)"
             "0;Frame cache: off \\(--cache-mb 0\\): 24 frames decoded every epoch")
  list(GET case 0 mib)
  list(GET case 1 expected)
  execute_process(COMMAND ${PROGRAM} --data ${types} --out ${WORK_DIR}/cache${mib}.json --net gap --epochs 2 --cache-mb ${mib} --seed 5
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "${expected}")
    message(FATAL_ERROR "--cache-mb ${mib} (${rc}): output lacks '${expected}':\n${out}${err}")
  endif()
  if(mib EQUAL 0 AND out MATCHES "Frame cache: [0-9.]+ MiB held")
    message(FATAL_ERROR "--cache-mb 0 holds nothing:\n${out}")
  elseif(mib EQUAL 1024 AND NOT out MATCHES "Frame cache: 1.1 MiB held, 24 reads from memory, 24 decoded")
    message(FATAL_ERROR "--cache-mb 1024: two epochs of 18 training and 6 validation frames decode each frame once:\n${out}")
  endif()
  file(READ ${WORK_DIR}/cache${mib}.json model${mib})
endforeach()
if(NOT model0 STREQUAL model1024 OR NOT model1 STREQUAL model1024)
  message(FATAL_ERROR "the frame cache changed the model")
endif()

# An existing --out is refused without --force, before any work.
file(WRITE ${WORK_DIR}/users.yml.gz "the user's model")
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/users.yml.gz --iterations 1 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "users.yml.gz exists; give --force")
  message(FATAL_ERROR "an existing --out must be refused without --force (${rc}): ${err}")
endif()
expect_unchanged(${WORK_DIR}/users.yml.gz "the user's model")

# With --force, a run stopped inside its first epoch keeps the old model (and logs no epoch), and
# a run whose writes fail says why and keeps it too. (A long epoch: the data linked 300 times.)
foreach(class "01unpaved(Regular)" "02unpaved(Bad)")
  file(MAKE_DIRECTORY "${WORK_DIR}/long/${class}")
  file(GLOB images "${data}/${class}/*.jpg")
  foreach(copy RANGE 1 300)
    foreach(image IN LISTS images)
      get_filename_component(name ${image} NAME)
      file(CREATE_LINK ${image} "${WORK_DIR}/long/${class}/${copy}_${name}" SYMBOLIC)
    endforeach()
  endforeach()
endforeach()
run_with_signal(INT 4 ${PROGRAM} --data ${WORK_DIR}/long --out ${WORK_DIR}/users.yml.gz --force --log ${WORK_DIR}/stopped.csv --threads 2)
if(NOT rc EQUAL 130 OR NOT out MATCHES "stopped before the first epoch finished: no model was written" OR EXISTS ${WORK_DIR}/stopped.csv)
  message(FATAL_ERROR "Ctrl-C inside the first epoch must keep the old model and log nothing (${rc}):\n${out}")
endif()
expect_unchanged(${WORK_DIR}/users.yml.gz "the user's model")
run_with_file_limit(20000 ${PROGRAM} --data ${data} --out ${WORK_DIR}/users.yml.gz --force --iterations 1 --augment none)
if(NOT rc EQUAL 2 OR NOT out MATCHES "tarmac-train: error: cannot write .*users.yml.gz: file too large")
  message(FATAL_ERROR "a model that cannot be written must fail with exit 2 and the reason (${rc}):\n${out}")
endif()
expect_unchanged(${WORK_DIR}/users.yml.gz "the user's model")
expect_no_leftovers(${WORK_DIR})
mount_small_disk(${WORK_DIR}/tiny-disk 64)
if(small_disk_mounted)
  execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/tiny-disk/m.yml.gz --iterations 1 --augment none
                  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  file(GLOB left ${WORK_DIR}/tiny-disk/*)
  execute_process(COMMAND umount ${WORK_DIR}/tiny-disk)
  if(NOT rc EQUAL 2 OR NOT e MATCHES "disk full \\(no space left on device\\)" OR left)
    message(FATAL_ERROR "training onto a full disk (${rc}, left: ${left}):\n${o}\n${e}")
  endif()
endif()

# Undecodable images (a truncated JPEG, junk), even a whole batch of them, are skipped once each
# with a warning, and training goes on; symlink loops in the data are warnings too.
file(COPY ${data}/ DESTINATION ${WORK_DIR}/damaged)
execute_process(COMMAND sh -c "for n in 1 2 3; do head -c 1000 '${data}/01unpaved(Regular)/00000.jpg' > '${WORK_DIR}/damaged/01unpaved(Regular)/cut'$n.jpg; done")
file(CREATE_LINK ${WORK_DIR}/damaged/loop-b ${WORK_DIR}/damaged/loop-a SYMBOLIC)
file(CREATE_LINK ${WORK_DIR}/damaged/loop-a ${WORK_DIR}/damaged/loop-b SYMBOLIC)
execute_process(COMMAND ${PROGRAM} --data ${WORK_DIR}/damaged --out ${WORK_DIR}/damaged.yml --epochs 2 --batch 1 --augment none --seed 4
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "warning: skipped [^\n]*cut1.jpg" cut1 "${err}")
list(LENGTH cut1 cut1_warnings)
if(NOT rc EQUAL 0 OR NOT err MATCHES "cut2.jpg: truncated JPEG" OR NOT err MATCHES "loop-a: Too many levels of symbolic links"
   OR NOT out MATCHES "Training Epoch 2" OR cut1_warnings GREATER 1)
  message(FATAL_ERROR "undecodable images must be skipped, once each (${rc}):\n${out}\n${err}")
endif()

# --val 0: no validation figures pretending to be zero; the last epoch is kept.
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/noval.yml --val 0 --epochs 2 --augment none
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR out MATCHES "Validation Accuracy" OR NOT out MATCHES "Training Epoch 2 --- Training Accuracy: +[0-9.]+% \\(no validation split\\)"
   OR NOT out MATCHES "Kept the last epoch, 2")
  message(FATAL_ERROR "--val 0 (${rc}):\n${out}\n${err}")
endif()

# Messages: a rate of 0 is outside (0, 10], said in plain numbers.
execute_process(COMMAND ${PROGRAM} --data ${data} --lr 0 RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT err MATCHES "--lr must be a number in \\(0, 10\\], got '0'")
  message(FATAL_ERROR "--lr 0: ${err}")
endif()

# --roi: the rule is trained with, stored in the model and printed; a rule that selects nothing,
# or reaches outside the frame, is refused before any work.
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/roi.yml --roi 0.6:1,0.1:0.9 --iterations 1 --augment none
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(READ ${WORK_DIR}/roi.yml model)
if(NOT rc EQUAL 0 OR NOT out MATCHES "roi 0.6:1,0.1:0.9" OR NOT model MATCHES "top_fraction: (6\\.0|5\\.9)[0-9]*e-01"
   OR NOT model MATCHES "left_fraction: (1\\.0|9\\.9)[0-9]*e-0[12]")
  message(FATAL_ERROR "--roi 0.6:1,0.1:0.9 (${rc}):\n${out}\n${err}")
endif()
foreach(bad "0.5:0.5" "0.9:0.1" "0.5:1.2" "0.5:1,0.6:0.4" "left" "0.5")
  execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/bad-roi.yml --roi ${bad} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "ROI '${bad}'")
    message(FATAL_ERROR "--roi ${bad} should be refused before any work (${rc}): ${err}")
  endif()
endforeach()

# --init-from: the layers the networks share are copied; other classes need --new-head; the
# convolutions can be held for the first epochs.
execute_process(COMMAND ${PROGRAM} --data ${WORK_DIR}/synth/training_data_type --out ${WORK_DIR}/type.yml --net gap --epochs 1 --augment none
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "training the type model to start from failed (${rc}): ${out}${err}")
endif()
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/from-type.yml --net gap --init-from ${WORK_DIR}/type.yml --epochs 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--init-from .*type.yml has classes \\[asphalt, paved, unpaved\\], the data has \\[01unpaved\\(Regular\\), 02unpaved\\(Bad\\)\\]: give --new-head")
  message(FATAL_ERROR "other classes without --new-head must be refused (${rc}): ${err}")
endif()
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/from-type.yml --net gap --init-from ${WORK_DIR}/type.yml --new-head
                        --freeze-epochs 1 --epochs 2 --augment none
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Started from .*type.yml: layers 0, 3, 6 copied, a new classifier layer")
  message(FATAL_ERROR "--init-from --new-head (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/from-gap.yml --net rtk --init-from ${WORK_DIR}/from-type.yml --epochs 1 --augment none
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "layers 0, 3, 6 copied")
  message(FATAL_ERROR "--init-from a GAP model into the RTK network copies the convolutions (${rc}):\n${out}\n${err}")
endif()
file(WRITE ${WORK_DIR}/junk.yml "format: tarmac-model\nversion: [\n")
foreach(bad "--init-from ${WORK_DIR}/missing.yml" "--init-from ${WORK_DIR}/junk.yml" "--freeze-epochs 2" "--new-head")
  separate_arguments(bad UNIX_COMMAND "${bad}")
  execute_process(COMMAND ${PROGRAM} --data ${data} --out ${WORK_DIR}/never.yml ${bad} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "tarmac-train: error: ")
    message(FATAL_ERROR "${bad} should be refused (${rc}): ${err}")
  endif()
endforeach()

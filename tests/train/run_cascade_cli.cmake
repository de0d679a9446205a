include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)
# End to end on generated data: tarmac-synth -> tarmac-train-cascade (RTK layout discovery) ->
# tarmac-eval (one model, the cascade, cross-validation; text and JSON), and bad inputs.
make_synthetic_data(${SYNTH} ${WORK_DIR} --per-class 10 --seed 4)
set(fast --net gap --epochs 2 --augment none --threads 2)

function(run_ok what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect_match what text)
  foreach(pattern IN LISTS ARGN)
    if(NOT text MATCHES "${pattern}")
      message(FATAL_ERROR "${what}: output lacks '${pattern}':\n${text}")
    endif()
  endforeach()
endfunction()

# The whole cascade from the RTK layout.
run_ok("tarmac-train-cascade" ${TRAIN_CASCADE} --data ${WORK_DIR}/synth --out ${WORK_DIR}/cascade ${fast})
expect_match("tarmac-train-cascade" "${out}" "== type model from" "== unpaved model from" "Training Epoch 2 ---"
             "unpaved +2 +[0-9.]+% +2" "Wrote .*cascade.yml")
foreach(f type.yml.gz asphalt_quality.yml.gz paved_quality.yml.gz unpaved_quality.yml.gz type.png unpaved_quality.png)
  expect_file(${WORK_DIR}/cascade/${f} 1000)
endforeach()
expect_file(${WORK_DIR}/cascade/type.csv 100)
file(READ ${WORK_DIR}/cascade/cascade.yml yml)
expect_match("cascade.yml" "${yml}" "format: tarmac-cascade" "type: unpaved" "01unpaved\\(Regular\\)")

# A missing quality folder is reported and that type gets no quality model.
file(COPY ${WORK_DIR}/synth/training_data_type ${WORK_DIR}/synth/training_data_asphalt_quality DESTINATION ${WORK_DIR}/partial)
run_ok("tarmac-train-cascade (partial layout)" ${TRAIN_CASCADE} --data ${WORK_DIR}/partial --out ${WORK_DIR}/partial-cascade ${fast})
expect_match("partial layout" "${out}" "training_data_paved_quality is missing: paved frames get no quality model")
file(READ ${WORK_DIR}/partial-cascade/cascade.yml yml)
if(yml MATCHES "type: paved" OR NOT yml MATCHES "type: asphalt")
  message(FATAL_ERROR "partial cascade.yml:\n${yml}")
endif()

# One model: text report and the JSON outside checks read.
run_ok("tarmac-eval" ${EVAL} --model ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/synth/training_data_type)
expect_match("tarmac-eval" "${out}" "Accuracy +[0-9.]+%, balanced accuracy +[0-9.]+% \\(30 images\\)" "Confusion matrix"
             "precision +recall +F1 +support" "[0-9.]+ images/s")
run_ok("tarmac-eval --json" ${EVAL} --model ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/synth/training_data_type --json)
string(JSON n GET "${out}" n)
string(JSON classes LENGTH "${out}" classes)
string(JSON first GET "${out}" classes 0)
string(JSON accuracy GET "${out}" accuracy)
string(JSON balanced GET "${out}" balanced_accuracy)
if(NOT n EQUAL 30 OR NOT classes EQUAL 3 OR NOT first STREQUAL "asphalt" OR accuracy GREATER 1 OR balanced GREATER 1)
  message(FATAL_ERROR "tarmac-eval --json: ${out}")
endif()
foreach(t 0 1 2)
  set(row 0)
  foreach(p 0 1 2)
    string(JSON v GET "${out}" confusion ${t} ${p})
    math(EXPR row "${row} + ${v}")
  endforeach()
  if(NOT row EQUAL 10)
    message(FATAL_ERROR "confusion row ${t} sums to ${row}, expected 10: ${out}")
  endif()
endforeach()

# The cascade end to end: 8 (type, quality) outcomes of 10 frames each.
run_ok("tarmac-eval --cascade" ${EVAL} --cascade ${WORK_DIR}/cascade/cascade.yml --data ${WORK_DIR}/synth --json)
string(JSON n GET "${out}" n)
string(JSON outcomes LENGTH "${out}" classes)
string(JSON type_n GET "${out}" type n)
string(JSON last GET "${out}" classes 7)
if(NOT n EQUAL 80 OR NOT outcomes EQUAL 8 OR NOT type_n EQUAL 80 OR NOT last STREQUAL "unpaved/02unpaved(Bad)")
  message(FATAL_ERROR "tarmac-eval --cascade --json: ${out}")
endif()

# Cross-validation: every frame is held out once.
run_ok("tarmac-eval --cv" ${EVAL} --cv 2 --data ${WORK_DIR}/synth/training_data_unpaved_quality --net gap --epochs 1 --augment none --json)
string(JSON n GET "${out}" n)
string(JSON folds LENGTH "${out}" folds)
string(JSON fold_n GET "${out}" folds 1 n)
string(JSON spread GET "${out}" balanced_accuracy_std)
if(NOT n EQUAL 20 OR NOT folds EQUAL 2 OR NOT fold_n EQUAL 10)
  message(FATAL_ERROR "tarmac-eval --cv --json: ${out}")
endif()
run_ok("tarmac-eval --cv (text)" ${EVAL} --cv 2 --data ${WORK_DIR}/synth/training_data_unpaved_quality --net gap --epochs 1
       --augment none --confused ${WORK_DIR}/confused.png)
expect_match("tarmac-eval --cv" "${out}" "Fold 2/2: accuracy" "balanced accuracy +[0-9.]+% \\+- [0-9.]+%" "Pooled over the held-out folds")
expect_file(${WORK_DIR}/confused.png 1000)

# An unreadable image among good ones is reported and skipped.
file(COPY ${WORK_DIR}/synth/training_data_type DESTINATION ${WORK_DIR}/damaged)
file(WRITE ${WORK_DIR}/damaged/training_data_type/paved/broken.jpg "not a jpeg")
run_ok("tarmac-eval (damaged image)" ${EVAL} --model ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/damaged/training_data_type)
expect_match("damaged image" "${err}" "warning: skipped .*broken.jpg")
expect_match("damaged image" "${out}" "\\(30 images\\)")

# Bad inputs: exit 2 with a message, before any training.
file(MAKE_DIRECTORY ${WORK_DIR}/no-layout/elsewhere ${WORK_DIR}/empty-class/training_data_type/asphalt
     ${WORK_DIR}/empty-class/training_data_type/paved ${WORK_DIR}/one-class/training_data_type/asphalt)
file(GLOB some "${WORK_DIR}/synth/training_data_type/asphalt/*.jpg")
file(COPY ${some} DESTINATION ${WORK_DIR}/empty-class/training_data_type/asphalt)
file(COPY ${some} DESTINATION ${WORK_DIR}/one-class/training_data_type/asphalt)
expect_usage_errors(${TRAIN_CASCADE} tarmac-train-cascade
  ""
  "--data ${WORK_DIR}/missing"
  "--data ${WORK_DIR}/no-layout --out ${WORK_DIR}/x"
  "--data ${WORK_DIR}/empty-class --out ${WORK_DIR}/x"
  "--data ${WORK_DIR}/one-class --out ${WORK_DIR}/x"
  "--data ${WORK_DIR}/synth --out ${WORK_DIR}/cascade"
  "--data ${WORK_DIR}/synth --out ${WORK_DIR}/no/such/dir"
  "--data ${WORK_DIR}/synth --net vgg"
  "--data ${WORK_DIR}/synth --out ${WORK_DIR}/cascade/type.csv")
expect_usage_errors(${EVAL} tarmac-eval
  ""
  "--data ${WORK_DIR}/synth/training_data_type"
  "--model ${WORK_DIR}/cascade/unpaved_quality.yml.gz --data ${WORK_DIR}/synth/training_data_type"
  "--model ${WORK_DIR}/missing.yml --data ${WORK_DIR}/synth/training_data_type"
  "--model ${WORK_DIR}/cascade/type.csv --data ${WORK_DIR}/synth/training_data_type"
  "--model ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/missing"
  "--cascade ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/synth"
  "--cv 1 --data ${WORK_DIR}/synth/training_data_type"
  "--cv 2 --model ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/synth/training_data_type"
  "--cv 2 --data ${WORK_DIR}/one-class/training_data_type"
  "--model ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/synth/training_data_type --confused ${WORK_DIR}/no/x.png"
  "--cv 2 --data ${WORK_DIR}/synth/training_data_type --confused ${WORK_DIR}/confused.txt"
  "--cascade ${WORK_DIR}/cascade/cascade.yml --data ${WORK_DIR}/synth --confused ${WORK_DIR}/c.png")
# A cascade.yml whose model file was swapped for one with other classes.
file(COPY ${WORK_DIR}/cascade DESTINATION ${WORK_DIR}/swapped)
file(COPY_FILE ${WORK_DIR}/cascade/unpaved_quality.yml.gz ${WORK_DIR}/swapped/cascade/asphalt_quality.yml.gz)
execute_process(COMMAND ${EVAL} --cascade ${WORK_DIR}/swapped/cascade/cascade.yml --data ${WORK_DIR}/synth
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "asphalt_quality.yml.gz has classes \\[01unpaved\\(Regular\\), 02unpaved\\(Bad\\)\\]")
  message(FATAL_ERROR "swapped model file (${rc}): ${err}")
endif()
expect_no_leftovers(${WORK_DIR})

# A write that fails (file-size limit) stops the cascade trainer with the reason; no model is
# left truncated under its final name, and no cascade.yml is written.
run_with_file_limit(30000 ${TRAIN_CASCADE} --data ${WORK_DIR}/synth --out ${WORK_DIR}/limited ${fast})
file(GLOB written ${WORK_DIR}/limited/*.yml.gz ${WORK_DIR}/limited/cascade.yml)
if(NOT rc EQUAL 2 OR NOT out MATCHES "tarmac-train-cascade: error: cannot write .*: file too large" OR written)
  message(FATAL_ERROR "train-cascade past the file-size limit (${rc}, wrote: ${written}):\n${out}")
endif()
# What an unfinished run left is not replaced without --force; a folder with a cascade.yml never is.
file(WRITE ${WORK_DIR}/leftover/type.yml.gz "an earlier run's model")
execute_process(COMMAND ${TRAIN_CASCADE} --data ${WORK_DIR}/synth --out ${WORK_DIR}/leftover ${fast} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "type.yml.gz exists \\(from an earlier run\\?\\); give --force")
  message(FATAL_ERROR "leftover model without --force (${rc}): ${err}")
endif()
expect_unchanged(${WORK_DIR}/leftover/type.yml.gz "an earlier run's model")
execute_process(COMMAND ${TRAIN_CASCADE} --data ${WORK_DIR}/synth --out ${WORK_DIR}/cascade ${fast} --force RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "already holds a cascade")
  message(FATAL_ERROR "--force must not replace a cascade (${rc}): ${err}")
endif()

# Undecodable frames in cascade evaluation, even a whole batch of them, are skipped and counted.
file(COPY ${WORK_DIR}/synth/training_data_asphalt_quality ${WORK_DIR}/synth/training_data_type DESTINATION ${WORK_DIR}/damaged-rtk)
execute_process(COMMAND sh -c "for n in 1 2 3; do head -c 900 '${WORK_DIR}/synth/training_data_type/paved/00000.jpg' > '${WORK_DIR}/damaged-rtk/training_data_asphalt_quality/01asphalt(Good)/cut'$n.jpg; done")
run_ok("tarmac-eval --cascade (damaged frames)" ${EVAL} --cascade ${WORK_DIR}/cascade/cascade.yml --data ${WORK_DIR}/damaged-rtk --batch 1)
expect_match("cascade with damaged frames" "${err}" "warning: skipped .*cut1.jpg: truncated JPEG")
expect_match("cascade with damaged frames" "${out}" "of 30 frames" "Skipped 3 frames that could not be used")

# Flags are checked before a cascade or model is loaded; fold errors name the class.
execute_process(COMMAND ${EVAL} --cascade ${WORK_DIR}/missing.yml --data ${WORK_DIR}/synth --batch 0 RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--batch must be an integer in \\[1, 4096\\]")
  message(FATAL_ERROR "--batch 0 must fail before loading (${rc}): ${err}")
endif()
execute_process(COMMAND ${EVAL} --cv 20 --data ${WORK_DIR}/synth/training_data_unpaved_quality ${fast} RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "class 01unpaved\\(Regular\\) has 10 distinct images")
  message(FATAL_ERROR "--cv with too few images must name the class (${rc}): ${err}")
endif()
# Results printed to a full disk are a failure, not a silent success.
execute_process(COMMAND ${EVAL} --model ${WORK_DIR}/cascade/type.yml.gz --data ${WORK_DIR}/synth/training_data_type --json
                OUTPUT_FILE /dev/full RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "cannot write the standard output \\(disk full")
  message(FATAL_ERROR "--json onto a full disk (${rc}): ${err}")
endif()

include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)
# tarmac-synth end to end: RTK layout, drive with truth, preview, determinism, refusal to
# overwrite, bad arguments.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(synth out)
  execute_process(COMMAND ${PROGRAM} --out ${out} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  set(rc ${rc} PARENT_SCOPE)
  set(err "${o}${e}" PARENT_SCOPE)
endfunction()

synth(${WORK_DIR}/a --per-class 3 --seed 7 --drive 25 --preview ${WORK_DIR}/preview.png)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tarmac-synth failed (${rc}): ${err}")
endif()
foreach(folder "training_data_type/asphalt" "training_data_type/paved" "training_data_type/unpaved"
               "training_data_asphalt_quality/01asphalt(Good)" "training_data_asphalt_quality/03asphalt(Bad)"
               "training_data_paved_quality/02paved(Regular)" "training_data_unpaved_quality/01unpaved(Regular)"
               "training_data_unpaved_quality/02unpaved(Bad)")
  file(GLOB frames "${WORK_DIR}/a/${folder}/*.jpg")
  list(LENGTH frames n)
  if(NOT n EQUAL 3)
    message(FATAL_ERROR "${folder} holds ${n} frames, expected 3")
  endif()
endforeach()
if(EXISTS "${WORK_DIR}/a/training_data_unpaved_quality/00unpaved(Good)")
  message(FATAL_ERROR "unpaved must have no good class")
endif()
file(GLOB drive ${WORK_DIR}/a/drive/*.png)
list(LENGTH drive n)
file(STRINGS ${WORK_DIR}/a/drive/truth.csv truth)
list(LENGTH truth lines)
if(NOT n EQUAL 25 OR NOT lines EQUAL 26 OR NOT EXISTS ${WORK_DIR}/a/drive/000024.png)
  message(FATAL_ERROR "drive: ${n} frames and ${lines} truth lines, expected 25 and 26")
endif()
list(GET truth 1 first)
if(NOT first MATCHES "^0,(asphalt|paved|unpaved),(good|regular|bad)$")
  message(FATAL_ERROR "truth.csv row: ${first}")
endif()
expect_file(${WORK_DIR}/preview.png 10000)

synth(${WORK_DIR}/b --per-class 3 --seed 7 --preview ${WORK_DIR}/b/preview.png)  # the sheet into the new --out
if(NOT rc EQUAL 0 OR NOT EXISTS ${WORK_DIR}/b/preview.png)
  message(FATAL_ERROR "a preview inside the --out the run creates must be written (${rc}): ${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${WORK_DIR}/a/training_data_paved_quality/03paved(Bad)/00002.jpg"
                        "${WORK_DIR}/b/training_data_paved_quality/03paved(Bad)/00002.jpg" RESULT_VARIABLE differ)
if(NOT differ EQUAL 0)
  message(FATAL_ERROR "the same seed gave different frames")
endif()

synth(${WORK_DIR}/a --per-class 1)  # would overwrite: refused
if(NOT rc EQUAL 2 OR NOT err MATCHES "already holds training_data_type")
  message(FATAL_ERROR "writing over an existing data set should fail with exit 2: ${rc} ${err}")
endif()
expect_usage_errors(${PROGRAM} tarmac-synth "--out ${WORK_DIR}/c --size 10x10" "--out ${WORK_DIR}/c --size big"
                    "--out ${WORK_DIR}/c --per-class -1" "--out ${WORK_DIR}/c --seed x")

# A run that fails part-way (its writes hit a file-size limit) or is stopped leaves --out as it
# was, so the same command simply runs again.
file(MAKE_DIRECTORY ${WORK_DIR}/d)
file(WRITE ${WORK_DIR}/d/notes.txt "the user's notes")
run_with_file_limit(20000 ${PROGRAM} --out ${WORK_DIR}/d --per-class 2 --drive 3)
file(GLOB left RELATIVE ${WORK_DIR}/d ${WORK_DIR}/d/*)
if(NOT rc EQUAL 2 OR NOT out MATCHES "file too large" OR NOT left STREQUAL "notes.txt")
  message(FATAL_ERROR "a failed tarmac-synth must leave --out as it was (${rc}, left: ${left}):\n${out}")
endif()
run_with_signal(TERM 2 ${PROGRAM} --out ${WORK_DIR}/d --per-class 5000)
file(GLOB left RELATIVE ${WORK_DIR}/d ${WORK_DIR}/d/*)
if(NOT rc EQUAL 143 OR NOT left STREQUAL "notes.txt")
  message(FATAL_ERROR "a stopped tarmac-synth must leave --out as it was (${rc}, left: ${left}):\n${out}")
endif()
synth(${WORK_DIR}/d --per-class 1)
if(NOT rc EQUAL 0 OR NOT EXISTS "${WORK_DIR}/d/training_data_type/asphalt/00000.jpg")
  message(FATAL_ERROR "the rerun after a failed one must work (${rc}): ${err}")
endif()
expect_unchanged(${WORK_DIR}/d/notes.txt "the user's notes")

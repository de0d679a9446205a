include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)
# tarmac-annotate end to end: a generated drive through a quickly trained cascade, from a folder,
# a printf sequence and a video; the CSV, contact sheet and truth agreement; bad inputs.
make_synthetic_data(${SYNTH} ${WORK_DIR} --per-class 6 --drive 40 --seed 5)
execute_process(COMMAND ${TRAIN_CASCADE} --data ${WORK_DIR}/synth --out ${WORK_DIR}/cascade --net gap --epochs 1 --augment none
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "tarmac-train-cascade failed: ${out} ${err}")
endif()
set(cascade --cascade ${WORK_DIR}/cascade/cascade.yml)
set(drive ${WORK_DIR}/synth/drive)

execute_process(COMMAND ${PROGRAM} ${cascade} ${drive} ${WORK_DIR}/drive.avi --csv ${WORK_DIR}/drive.csv
                        --truth ${drive}/truth.csv --sheet ${WORK_DIR}/sheet.png --show-roi --batch 7
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Annotated 40 frames \\(0 skipped\\) in [0-9.]+ s: [0-9.]+ frames/s"
   OR NOT out MATCHES "Agreement with .*truth.csv on 40 frames: type [0-9.]+%, type and quality [0-9.]+%")
  message(FATAL_ERROR "tarmac-annotate (${rc}):\n${out}\n${err}")
endif()
expect_file(${WORK_DIR}/drive.avi 10000)
expect_file(${WORK_DIR}/sheet.png 10000)
file(STRINGS ${WORK_DIR}/drive.csv rows)
list(LENGTH rows n)
list(GET rows 0 header)
list(GET rows 1 first)
if(NOT n EQUAL 41 OR NOT header STREQUAL "index,source,type,type_probability,quality,quality_probability"
   OR NOT first MATCHES "^0,000000.png,(asphalt|paved|unpaved),[0-9.]+,(good|regular|bad)?,[0-9.]*$")
  message(FATAL_ERROR "drive.csv: ${n} rows, '${header}', '${first}'")
endif()

# The same drive as a printf sequence, and the annotated video as input.
foreach(input "${drive}/%06d.png" "${WORK_DIR}/drive.avi")
  execute_process(COMMAND ${PROGRAM} ${cascade} ${input} ${WORK_DIR}/again.avi --smooth 0
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "Annotated 40 frames")
    message(FATAL_ERROR "tarmac-annotate ${input} (${rc}):\n${out}\n${err}")
  endif()
endforeach()

# A truth file with Windows line ends reads the same.
file(READ ${drive}/truth.csv truth)
string(REPLACE "\n" "\r\n" truth "${truth}")
file(WRITE ${WORK_DIR}/truth-crlf.csv "${truth}")
foreach(t ${drive}/truth.csv ${WORK_DIR}/truth-crlf.csv)
  execute_process(COMMAND ${PROGRAM} ${cascade} ${drive} ${WORK_DIR}/again.avi --truth ${t}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX MATCH "type and quality [0-9.]+%" agreement_${t} "${out}")
  if(NOT rc EQUAL 0 OR NOT agreement_${t})
    message(FATAL_ERROR "--truth ${t} (${rc}):\n${out}\n${err}")
  endif()
endforeach()
if(NOT agreement_${drive}/truth.csv STREQUAL agreement_${WORK_DIR}/truth-crlf.csv)
  message(FATAL_ERROR "CRLF truth file: '${agreement_${WORK_DIR}/truth-crlf.csv}' vs '${agreement_${drive}/truth.csv}'")
endif()

# An unreadable frame is skipped with a warning and counted.
file(COPY ${drive} DESTINATION ${WORK_DIR}/damaged)
file(WRITE ${WORK_DIR}/damaged/drive/000003.png "broken")
execute_process(COMMAND ${PROGRAM} ${cascade} ${WORK_DIR}/damaged/drive ${WORK_DIR}/damaged.avi
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Annotated 39 frames \\(1 skipped\\)" OR NOT err MATCHES "warning: skipped .*000003.png")
  message(FATAL_ERROR "damaged frame (${rc}):\n${out}\n${err}")
endif()

# Bad input: exit 2 and a message; nothing written.
file(MAKE_DIRECTORY ${WORK_DIR}/no-images)
file(WRITE ${WORK_DIR}/junk.avi "not a video")
expect_usage_errors(${PROGRAM} tarmac-annotate
  ""
  "${drive} ${WORK_DIR}/x.avi"
  "${cascade} ${drive}"
  "${cascade} ${WORK_DIR}/missing ${WORK_DIR}/x.avi"
  "${cascade} ${WORK_DIR}/no-images ${WORK_DIR}/x.avi"
  "${cascade} ${WORK_DIR}/junk.avi ${WORK_DIR}/x.avi"
  "${cascade} ${drive}/%s.png ${WORK_DIR}/x.avi"
  "${cascade} ${drive} ${WORK_DIR}/x.mp4"
  "${cascade} ${drive} ${WORK_DIR}/no/such/x.avi"
  "${cascade} ${drive} ${WORK_DIR}/x.avi --csv ${WORK_DIR}/no/such/x.csv"
  "--cascade ${WORK_DIR}/missing.yml ${drive} ${WORK_DIR}/x.avi"
  "${cascade} ${drive} ${WORK_DIR}/x.avi --smooth 1.5"
  "${cascade} ${drive} ${WORK_DIR}/x.avi --fps 0"
  "${cascade} ${drive} ${WORK_DIR}/x.avi --truth ${WORK_DIR}/cascade/cascade.yml"
  "${cascade} ${drive} ${WORK_DIR}/x.avi --sheet ${WORK_DIR}/sheet"
  "${cascade} ${drive} ${WORK_DIR}/x.avi --csv ${WORK_DIR}/cascade")
if(EXISTS ${WORK_DIR}/x.avi)
  message(FATAL_ERROR "a failed run left x.avi behind")
endif()
expect_no_leftovers(${WORK_DIR})

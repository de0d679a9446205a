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

# A full disk (a per-file size limit, and a real tmpfs when it can be mounted): exit 2 naming the
# reason, the user's old video, CSV and sheet untouched, no temporary left.
foreach(name out.avi out.csv out.png)
  file(WRITE ${WORK_DIR}/full/${name} "the user's old ${name}")
endforeach()
run_with_file_limit(65536 ${PROGRAM} ${cascade} ${drive} ${WORK_DIR}/full/out.avi --csv ${WORK_DIR}/full/out.csv --sheet ${WORK_DIR}/full/out.png)
if(NOT rc EQUAL 2 OR NOT out MATCHES "tarmac-annotate: error: cannot write .*out.avi: file too large")
  message(FATAL_ERROR "annotate past the file-size limit should fail with exit 2 and the reason (${rc}):\n${out}")
endif()
foreach(name out.avi out.csv out.png)
  expect_unchanged(${WORK_DIR}/full/${name} "the user's old ${name}")
endforeach()
expect_no_leftovers(${WORK_DIR}/full)
mount_small_disk(${WORK_DIR}/tiny-disk 256)
if(small_disk_mounted)
  file(WRITE ${WORK_DIR}/tiny-disk/out.avi "the user's old video")
  execute_process(COMMAND ${PROGRAM} ${cascade} ${drive} ${WORK_DIR}/tiny-disk/out.avi RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  file(GLOB leftovers ${WORK_DIR}/tiny-disk/*.tmp-*)
  execute_process(COMMAND umount ${WORK_DIR}/tiny-disk)
  if(NOT rc EQUAL 2 OR NOT e MATCHES "disk full \\(no space left on device\\)" OR leftovers)
    message(FATAL_ERROR "annotate onto a full disk (${rc}, leftovers: ${leftovers}):\n${o}\n${e}")
  endif()
endif()

# SIGTERM and SIGHUP stop it like Ctrl-C: exit 128 + signal, nothing written, no temporary.
# (A long input: the 40 frames linked 50 times over.)
file(MAKE_DIRECTORY ${WORK_DIR}/long)
file(GLOB frames ${drive}/*.png)
foreach(copy RANGE 1 50)
  foreach(frame IN LISTS frames)
    get_filename_component(stem ${frame} NAME_WE)
    file(CREATE_LINK ${frame} ${WORK_DIR}/long/${copy}_${stem}.png SYMBOLIC)
  endforeach()
endforeach()
foreach(signal TERM HUP)
  if(signal STREQUAL "TERM")
    set(code 143)
  else()
    set(code 129)
  endif()
  run_with_signal(${signal} 3 ${PROGRAM} ${cascade} ${WORK_DIR}/long ${WORK_DIR}/stopped.avi --csv ${WORK_DIR}/stopped.csv)
  if(NOT rc EQUAL code OR EXISTS ${WORK_DIR}/stopped.avi OR EXISTS ${WORK_DIR}/stopped.csv)
    message(FATAL_ERROR "SIG${signal} should stop annotate with ${code} and write nothing (${rc}):\n${out}")
  endif()
  expect_no_leftovers(${WORK_DIR})
endforeach()

# A gap in a sequence's numbering is reported and counted, and the frames after it annotated.
file(COPY ${drive} DESTINATION ${WORK_DIR}/gap)
file(REMOVE ${WORK_DIR}/gap/drive/000005.png ${WORK_DIR}/gap/drive/000006.png)
execute_process(COMMAND ${PROGRAM} ${cascade} ${WORK_DIR}/gap/drive/%06d.png ${WORK_DIR}/gap.avi
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Annotated 38 frames \\(2 skipped\\)"
   OR NOT err MATCHES "warning: skipped .*000005.png to .*000006.png: missing from the sequence")
  message(FATAL_ERROR "sequence with a gap (${rc}):\n${out}\n${err}")
endif()

# Symlink loops and dangling links in the input folder are warnings naming them, not crashes.
file(COPY ${drive} DESTINATION ${WORK_DIR}/links)
file(CREATE_LINK ${WORK_DIR}/links/drive/loop-b.png ${WORK_DIR}/links/drive/loop-a.png SYMBOLIC)
file(CREATE_LINK ${WORK_DIR}/links/drive/loop-a.png ${WORK_DIR}/links/drive/loop-b.png SYMBOLIC)
file(CREATE_LINK ${WORK_DIR}/links/drive/gone.png ${WORK_DIR}/links/drive/dangling.png SYMBOLIC)
execute_process(COMMAND ${PROGRAM} ${cascade} ${WORK_DIR}/links/drive ${WORK_DIR}/links.avi
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Annotated 40 frames \\(3 skipped\\)" OR NOT err MATCHES "loop-a.png: Too many levels of symbolic links"
   OR NOT err MATCHES "dangling.png: a symlink to nothing")
  message(FATAL_ERROR "symlinks in the input (${rc}):\n${out}\n${err}")
endif()

# Checked before the work starts: the output onto its own input, a folder as the output, two
# outputs the same file, an unwritable --csv folder, and the cascade loaded only after all that.
execute_process(COMMAND ${PROGRAM} ${cascade} ${WORK_DIR}/drive.avi ${WORK_DIR}/drive.avi
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "OUTPUT .*drive.avi is the INPUT .*drive.avi: it would be replaced")
  message(FATAL_ERROR "annotating a video onto itself must be refused (${rc}): ${err}")
endif()
file(MAKE_DIRECTORY ${WORK_DIR}/a-folder.avi)
foreach(bad "${WORK_DIR}/a-folder.avi" "${WORK_DIR}/x.avi --csv ${WORK_DIR}/x.avi" "${WORK_DIR}/x.avi --truth ${drive}/truth.csv --csv ${drive}/truth.csv")
  separate_arguments(bad UNIX_COMMAND "${bad}")
  execute_process(COMMAND ${PROGRAM} --cascade ${WORK_DIR}/missing-cascade.yml ${drive} ${bad}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 2 OR err MATCHES "missing-cascade" OR NOT err MATCHES "folder|same file|would be replaced")
    message(FATAL_ERROR "outputs must be checked before the cascade is loaded (${rc}): ${bad}\n${err}")
  endif()
endforeach()
execute_process(COMMAND ${PROGRAM} --cascade ${WORK_DIR}/missing-cascade.yml ${WORK_DIR}/missing-input ${WORK_DIR}/x.avi
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "missing-input does not exist")
  message(FATAL_ERROR "the input must be opened before the cascade is loaded (${rc}): ${err}")
endif()
mount_small_disk(${WORK_DIR}/read-only 16)
if(small_disk_mounted)
  execute_process(COMMAND mount -o remount,ro ${WORK_DIR}/read-only)
  execute_process(COMMAND ${PROGRAM} --cascade ${WORK_DIR}/missing-cascade.yml ${drive} ${WORK_DIR}/x.avi --csv ${WORK_DIR}/read-only/x.csv
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  execute_process(COMMAND umount ${WORK_DIR}/read-only)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "--csv: cannot write .*x.csv: folder .* is not writable \\(Read-only file system\\)")
    message(FATAL_ERROR "an unwritable --csv folder must fail before any work (${rc}): ${err}")
  endif()
endif()
expect_usage_errors(${PROGRAM} tarmac-annotate "${cascade} ${drive}/%999d.png ${WORK_DIR}/x.avi")

# --roi replaces the cascade's own rule (drawn with --show-roi); a bad rule fails before any work.
execute_process(COMMAND ${PROGRAM} ${cascade} ${drive} ${WORK_DIR}/roi.avi --roi 0.6:1,0.2:0.8 --show-roi
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Annotated 40 frames")
  message(FATAL_ERROR "--roi 0.6:1,0.2:0.8 (${rc}):\n${out}\n${err}")
endif()
expect_usage_errors(${PROGRAM} tarmac-annotate "--cascade ${WORK_DIR}/missing.yml ${drive} ${WORK_DIR}/x.avi --roi 0.5")

# Checks every tarmac CLI must pass: each bad argument list fails with exit 2 and a
# "<tool>: error: " message; --help prints the usage and exits 0. Also run(): a command that
# must succeed, its output shown when it does not.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}")
  endif()
endfunction()

function(expect_usage_errors program tool)
  foreach(bad IN LISTS ARGN)
    string(REPLACE " " ";" arguments "${bad}")
    execute_process(COMMAND ${program} ${arguments} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 2 OR NOT err MATCHES "${tool}: error: ")
      message(FATAL_ERROR "'${bad}' should fail with exit 2 and a message, got ${rc}: ${err}")
    endif()
  endforeach()
  execute_process(COMMAND ${program} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "usage: ${tool}")
    message(FATAL_ERROR "${tool} --help failed (${rc})")
  endif()
endfunction()

# An output file exists and holds at least min_bytes.
function(expect_file path min_bytes)
  if(NOT EXISTS ${path})
    message(FATAL_ERROR "${path} was not written")
  endif()
  file(SIZE ${path} size)
  if(size LESS min_bytes)
    message(FATAL_ERROR "${path} holds ${size} bytes, expected at least ${min_bytes}")
  endif()
endfunction()

# No temporary file (name.tmp-N.ext) is left anywhere below dir.
function(expect_no_leftovers dir)
  file(GLOB_RECURSE leftovers ${dir}/*.tmp-*)
  if(leftovers)
    message(FATAL_ERROR "temporary files left behind: ${leftovers}")
  endif()
endfunction()

# A fresh work folder with a generated data set in WORK_DIR/synth (extra tarmac-synth flags in ARGN).
function(make_synthetic_data synth work_dir)
  file(REMOVE_RECURSE ${work_dir})
  file(MAKE_DIRECTORY ${work_dir})
  execute_process(COMMAND ${synth} --out ${work_dir}/synth --size 176x144 ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "tarmac-synth failed: ${err}")
  endif()
endfunction()

# Runs a command (ARGN) with writes limited to `bytes` per file, as a full disk limits them but
# without root (prlimit sets RLIMIT_FSIZE; the tools ignore SIGXFSZ, so a write past it fails with
# "file too large"). Sets rc and out (stdout and stderr) in the caller.
function(run_with_file_limit bytes)
  execute_process(COMMAND prlimit --fsize=${bytes} -- ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE o ERROR_VARIABLE e)
  set(rc ${result} PARENT_SCOPE)
  set(out "${o}${e}" PARENT_SCOPE)
endfunction()

# Runs a command (ARGN) and sends it `signal` (TERM, HUP, INT) after `seconds`. Sets rc (the
# command's own exit status) and out in the caller.
function(run_with_signal signal seconds)
  execute_process(COMMAND timeout --preserve-status --signal=${signal} ${seconds} ${ARGN}
                  RESULT_VARIABLE result OUTPUT_VARIABLE o ERROR_VARIABLE e)
  set(rc ${result} PARENT_SCOPE)
  set(out "${o}${e}" PARENT_SCOPE)
endfunction()

# A tmpfs of `kib` KiB mounted at dir, so that a tool really runs out of space; sets
# small_disk_mounted. Needs root and mount rights: without them the callers skip, and say so.
function(mount_small_disk dir kib)
  execute_process(COMMAND umount ${dir} OUTPUT_QUIET ERROR_QUIET)  # left by an earlier, failed run
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND mount -t tmpfs -o size=${kib}k tmpfs ${dir} RESULT_VARIABLE result OUTPUT_QUIET ERROR_QUIET)
  if(result EQUAL 0)
    set(small_disk_mounted ON PARENT_SCOPE)
  else()
    message(STATUS "skipped: cannot mount a small tmpfs at ${dir} (needs root and mount rights)")
    set(small_disk_mounted OFF PARENT_SCOPE)
  endif()
endfunction()

# The file holds exactly `text` (a user's old output that a failed run must leave alone).
function(expect_unchanged path text)
  file(READ ${path} now)
  if(NOT now STREQUAL text)
    message(FATAL_ERROR "${path} was changed by a failed run")
  endif()
endfunction()

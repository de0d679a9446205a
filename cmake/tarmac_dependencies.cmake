# Dependencies of tarmac::tarmac, shared by the build and the installed package
# (find_dependency forwards REQUIRED/QUIET from the consumer's find_package).
if(COMMAND find_dependency)
  set(_tarmac_find find_dependency)
else()
  set(_tarmac_find find_package)
  set(_tarmac_required REQUIRED)
endif()
cmake_language(CALL ${_tarmac_find} xtl ${_tarmac_required})
cmake_language(CALL ${_tarmac_find} xsimd ${_tarmac_required})
cmake_language(CALL ${_tarmac_find} xtensor ${_tarmac_required})
cmake_language(CALL ${_tarmac_find} OpenCV ${_tarmac_required} COMPONENTS core imgproc imgcodecs videoio dnn)
# nn/ multiplies with OpenBLAS (Debian's libopenblas-dev); tarmac calls it single-threaded from its own threads.
set(BLA_VENDOR OpenBLAS)
cmake_language(CALL ${_tarmac_find} BLAS ${_tarmac_required})
# Model files are checked before OpenCV parses them, which needs zlib for .gz files.
cmake_language(CALL ${_tarmac_find} ZLIB ${_tarmac_required})

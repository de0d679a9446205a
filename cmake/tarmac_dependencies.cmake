# Third-party packages of each part's target, shared by the build (every part) and the installed
# package (only the components a consumer asks for, so tarmac::nms needs xsimd alone).
# In: _tarmac_parts, a list of nms, nn, tarmac; _tarmac_package, ON when read by tarmacConfig.cmake.
# Out: _tarmac_<part>_missing, the packages of that part that were not found. The build requires
# every package; the package forwards the consumer's QUIET and lets check_required_components judge.
# Debian's xsimd target links the xtl target without finding xtl: find it first.
set(_tarmac_packages_nms xtl xsimd)
set(_tarmac_packages_nn xtl xsimd xtensor BLAS ZLIB)  # zlib: model files (nn/io.hpp)
set(_tarmac_packages_tarmac ${_tarmac_packages_nms} ${_tarmac_packages_nn} OpenCV)
# Only the modules include/tarmac uses; dnn (benchmarks, nms-timing) is found by the build alone.
set(_tarmac_args_OpenCV COMPONENTS core imgproc imgcodecs videoio)

if(_tarmac_package)
  set(_tarmac_mode)
  if(tarmac_FIND_QUIETLY)
    set(_tarmac_mode QUIET)
  endif()
else()
  set(_tarmac_mode REQUIRED)
endif()

set(_tarmac_packages)
foreach(_tarmac_part IN LISTS _tarmac_parts)
  list(APPEND _tarmac_packages ${_tarmac_packages_${_tarmac_part}})
endforeach()
list(REMOVE_DUPLICATES _tarmac_packages)

# nn/ multiplies with OpenBLAS (Debian's libopenblas-dev); tarmac calls it single-threaded from its own
# threads. The consumer's own BLA_VENDOR is restored afterwards.
set(_tarmac_bla_vendor "${BLA_VENDOR}")
set(BLA_VENDOR OpenBLAS)
foreach(_tarmac_dep IN LISTS _tarmac_packages)
  find_package(${_tarmac_dep} ${_tarmac_args_${_tarmac_dep}} ${_tarmac_mode})
endforeach()
set(BLA_VENDOR "${_tarmac_bla_vendor}")

foreach(_tarmac_part IN LISTS _tarmac_parts)
  set(_tarmac_${_tarmac_part}_missing)
  foreach(_tarmac_dep IN LISTS _tarmac_packages_${_tarmac_part})
    if(NOT ${_tarmac_dep}_FOUND)
      list(APPEND _tarmac_${_tarmac_part}_missing ${_tarmac_dep})
    endif()
  endforeach()
endforeach()
foreach(_tarmac_part IN ITEMS nms nn tarmac)
  unset(_tarmac_packages_${_tarmac_part})
endforeach()
unset(_tarmac_args_OpenCV)
unset(_tarmac_dep)
unset(_tarmac_packages)
unset(_tarmac_mode)
unset(_tarmac_bla_vendor)

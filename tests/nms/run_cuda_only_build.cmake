# `make gpu-check` builds the CUDA policy's test and benchmark with TARMAC_CUDA_ONLY, as on a GPU
# host with nothing but the CUDA toolkit: check here that this configuration still builds (no
# OpenCV, Google Benchmark or xsimd crept into those sources) and that its test runs.
file(REMOVE_RECURSE ${WORK_DIR})
include(${CMAKE_CURRENT_LIST_DIR}/../cli_checks.cmake)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -G ${GENERATOR} -DTARMAC_CUDA_ONLY=ON
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER=${CUDA_COMPILER})
run(${CMAKE_COMMAND} --build ${WORK_DIR} --target test_nms_cuda bench_nms_cuda)
run(${WORK_DIR}/bin/test_nms_cuda)
message(STATUS "the CUDA-only build (test_nms_cuda, bench_nms_cuda) compiles and its test passes")

# Thin wrapper over CMake presets. `make demo` runs the main job, `make test` the tests.
PACKAGES := cmake make g++ pkg-config libxtensor-dev xtensor-dev libxsimd-dev libopencv-dev libopenblas-dev \
            libbenchmark-dev doctest-dev clang libclang-rt-14-dev python3 python3-numpy python3-torch python3-opencv \
            python3-dev pybind11-dev python3-pybind11 python3-pytest python3-torchvision python3-setuptools python3-pip python3-onnx
BENCH_PACKAGES := python3 python3-dev python3-numpy cython3 python3-torch python3-torchvision
JOBS ?= $(shell nproc)
DEMO := demo-output

.PHONY: deps bench-deps release tools asan pydeps test bench demo accuracy gpu-check clean

deps:
	@.ci/install-packages $(PACKAGES)

bench-deps: deps
	@.ci/install-packages $(BENCH_PACKAGES)

release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# Only the tools a target runs (make demo's by default): a first run does not wait for every test
# and benchmark to build.
TOOLS := tarmac-synth tarmac-train-cascade tarmac-eval tarmac-annotate tarmac-nms-timing
tools: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target $(TOOLS)

asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

# ONNX Runtime from PyPI (no Debian package), a second opinion for the ONNX tests, into build/pydeps
# for /usr/bin/python3 (PEP 668 rules out a system-wide pip install). Only its CPU inference is used,
# which needs nothing but numpy (1.32.0 runs on Debian's numpy 1.24): hence --no-deps. Without network
# the install fails, this says so in a line, and those tests say skipped.
ORT_VERSION := 1.32.0
pydeps: deps
	@test -d build/pydeps/onnxruntime-$(ORT_VERSION).dist-info || \
	  /usr/bin/python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --timeout 15 --retries 1 \
	    --upgrade --no-deps --target build/pydeps onnxruntime==$(ORT_VERSION) >/dev/null 2>&1 || \
	  echo "onnxruntime $(ORT_VERSION) not installed (pip failed: no network?): the ONNX Runtime checks will be skipped"

test: release asan pydeps
	ctest --preset release -j $(JOBS)
	ctest --preset asan -j $(JOBS)

bench: release bench-deps
	cmake --build --preset release -j $(JOBS) --target tarmac_benchmarks
	build/bin/bench_nms --benchmark_out=build/bench_nms.json --benchmark_out_format=json
	/usr/bin/python3 bench/nms_peers.py --bench-json build/bench_nms.json
	PYTHONPATH=build/release/python /usr/bin/python3 bench/python_nms.py
	@if [ -x build/bin/bench_nms_cuda ]; then build/bin/bench_nms_cuda; fi
	build/bin/bench_cnn --benchmark_out=build/bench_cnn.json --benchmark_out_format=json
	/usr/bin/python3 bench/torch_reference.py > build/torch_reference.jsonl
	@# a second round, alternating, so the best of two rounds stands for each side
	build/bin/bench_cnn --benchmark_filter='rtk|opencv|sgemm' --benchmark_out=build/bench_cnn2.json --benchmark_out_format=json
	/usr/bin/python3 bench/torch_reference.py > build/torch_reference2.jsonl
	/usr/bin/python3 bench/cnn_compare.py --bench build/bench_cnn.json build/bench_cnn2.json \
	    --torch build/torch_reference.jsonl build/torch_reference2.jsonl

# The real-data table of bench/RESULTS.md: 5-fold cross-validation on each set in ../shared/data.
accuracy:
	@$(MAKE) --no-print-directory tools TOOLS=tarmac-eval
	bench/accuracy.sh build/bin ../shared/data build/accuracy

# On a GPU machine with only the CUDA toolkit (DOCTEST_DIR: a folder with doctest/doctest.h when
# doctest is not installed): the CUDA tests, under compute-sanitizer too, the benchmark, and
# torchvision.ops.nms on the same data.
gpu-check:
	cmake -S . -B build/cuda -DTARMAC_CUDA_ONLY=ON -DCMAKE_BUILD_TYPE=Release $(if $(DOCTEST_DIR),-DTARMAC_DOCTEST_DIR=$(abspath $(DOCTEST_DIR)))
	cmake --build build/cuda -j $(JOBS)
	build/cuda/bin/test_nms_cuda
	compute-sanitizer --tool memcheck --error-exitcode 1 build/cuda/bin/test_nms_cuda -tce="*400k*"
	compute-sanitizer --tool racecheck --error-exitcode 1 build/cuda/bin/test_nms_cuda -tc="*classic*"
	build/cuda/bin/bench_nms_cuda
	python3 bench/compare_torchvision.py --tarmac build/cuda/bin/bench_nms_cuda

# The main job on the embedded default: a generated road data set and drive, the cascade trained
# on it (a few minutes on 2 cores), evaluated on frames it has not seen, the drive annotated and
# compared with its truth, and the NMS timing table.
DEMO_TRAIN := --epochs 20
demo: tools
	@rm -rf $(DEMO)/roads $(DEMO)/roads-test $(DEMO)/cascade
	@mkdir -p $(DEMO)
	build/bin/tarmac-synth --out $(DEMO)/roads --per-class 200 --drive 300 --seed 1 --preview $(DEMO)/roads-preview.png
	build/bin/tarmac-synth --out $(DEMO)/roads-test --per-class 30 --seed 2
	build/bin/tarmac-train-cascade --data $(DEMO)/roads --out $(DEMO)/cascade $(DEMO_TRAIN)
	build/bin/tarmac-eval --cascade $(DEMO)/cascade/cascade.yml --data $(DEMO)/roads-test
	build/bin/tarmac-annotate --cascade $(DEMO)/cascade/cascade.yml $(DEMO)/roads/drive $(DEMO)/drive.avi \
	    --csv $(DEMO)/drive.csv --truth $(DEMO)/roads/drive/truth.csv --sheet $(DEMO)/drive-sheet.png
	build/bin/tarmac-nms-timing --png $(DEMO)/nms-timing.png
	@echo
	@echo "$(DEMO)/ holds:"
	@echo "  drive.avi          the generated drive, annotated (type, quality, probabilities)"
	@echo "  drive-sheet.png    a contact sheet of annotated frames; drive.csv: one row per frame"
	@echo "  cascade/           cascade.yml, the four models, their CSV logs and PNG learning curves"
	@echo "  roads/, roads-test/  the generated training and test frames; roads-preview.png"
	@echo "  nms-timing.png     NMS timings (log scale); nms-timing.csv: the table above"

clean:
	rm -rf build $(DEMO)

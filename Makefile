# Thin wrapper over CMake presets. `make demo` runs the main job, `make test` the tests.
PACKAGES := cmake make g++ pkg-config libxtensor-dev xtensor-dev libxsimd-dev libopencv-dev \
            libbenchmark-dev doctest-dev
BENCH_PACKAGES := python3 python3-dev python3-numpy cython3
JOBS ?= $(shell nproc)
DEMO := demo-output

.PHONY: deps bench-deps release asan test bench demo clean

deps:
	@.ci/install-packages $(PACKAGES)

bench-deps: deps
	@.ci/install-packages $(BENCH_PACKAGES)

release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

test: release asan
	ctest --preset release -j $(JOBS)
	ctest --preset asan -j $(JOBS)

bench: release bench-deps
	build/bin/bench_nms --benchmark_out=build/bench_nms.json --benchmark_out_format=json
	/usr/bin/python3 bench/nms_peers.py --bench-json build/bench_nms.json

demo: release
	@mkdir -p $(DEMO)
	build/bin/tarmac-nms-timing --png $(DEMO)/nms-timing.png
	@echo
	@echo "demo-output/ holds: nms-timing.png (bar chart), nms-timing.csv (the timings)"

clean:
	rm -rf build $(DEMO)

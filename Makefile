# lucid quick start (Debian 12):
#   make demo    set up, build the release preset, run the demo
#   make test    set up, build and run the whole test suite (release, asan, tsan)
#   make bench   build the benchmarks (build/release/bench/)
JOBS ?= 2
PRESETS ?= release asan tsan

.PHONY: setup demo test bench build-% test-% format clean

setup:
	@bash scripts/setup.sh

build-%: setup
	cmake --preset $* >/dev/null
	cmake --build --preset $* -j$(JOBS)

test-%: build-%
	ctest --preset $* -j$(JOBS)

demo: build-release
	./build/release/examples/demo

test: $(addprefix test-,$(PRESETS))

bench: build-release
	@ls build/release/bench/

format:
	find include src tests bench examples tools -name '*.hpp' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf build

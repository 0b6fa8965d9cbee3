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
	@echo "== 1. tasks, channels, a timeout, an abort, a panic caught at a join handle"
	./build/release/examples/demo
	@echo "== 2. tracing: the span follows the task; a timeout turns a hang into an error"
	./build/release/examples/tracing_timeout
	./build/release/examples/tracing_timeout --slow
	@echo "== 3. a panic in a task, reported with the user's code first (exits 101)"
	LUCID_BACKTRACE=1 ./build/release/examples/panic_backtrace || test $$? -eq 101

test: $(addprefix test-,$(PRESETS))

bench: build-release
	@ls build/release/bench/

format:
	find include src tests bench examples tools -name '*.hpp' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf build

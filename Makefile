# lucid quick start (Debian 12):
#   make demo    set up, build the release preset, run the demo
#   make test    set up, build and run the whole test suite (release, asan, tsan)
#                and the HTTP parser fuzz target for FUZZ_SECONDS
#   make bench   build the benchmarks (build/release/bench/)
JOBS ?= 2
PRESETS ?= release asan tsan
FUZZ_SECONDS ?= 60
DEMO_PORT ?= 18480

.PHONY: setup demo test test-fuzz bench build-% test-% format clean

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
	@echo "== 4. an HTTP server: hello_server answers curl, then shuts down gracefully on SIGINT"
	@./build/release/examples/hello_server 127.0.0.1:$(DEMO_PORT) 30 & pid=$$!; \
	  curl -sS --retry 20 --retry-connrefused --retry-delay 1 http://127.0.0.1:$(DEMO_PORT)/hello/lucid; \
	  rc=$$?; kill -INT $$pid; wait $$pid; exit $$rc

test: $(addprefix test-,$(PRESETS)) test-fuzz

# The HTTP parser's libFuzzer target (clang-14 with ASan+UBSan), run for a
# bounded time on the seed corpus fuzz/corpus plus what earlier runs found
# (build/fuzz/corpus); a crash or a broken invariant fails the step and
# leaves the input in build/fuzz/crash-*.
FUZZ_SRCS = fuzz/http_parser_fuzz.cpp src/http/parser.cpp src/http/request.cpp
FUZZ_HDRS = include/lucid/http/parser.hpp include/lucid/http/request.hpp src/http/message_parser.hpp
build/fuzz/http_parser_fuzz: $(FUZZ_SRCS) $(FUZZ_HDRS)
	@mkdir -p build/fuzz
	clang++-14 -std=c++20 -Wall -Wextra -Werror -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -Iinclude -Isrc/http $(FUZZ_SRCS) -o $@

test-fuzz: setup build/fuzz/http_parser_fuzz
	@mkdir -p build/fuzz/corpus
	./build/fuzz/http_parser_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	  -print_final_stats=1 -artifact_prefix=build/fuzz/ build/fuzz/corpus fuzz/corpus

bench: build-release
	@ls build/release/bench/

# format: every C++ file (tools/ once it exists).
format:
	find $(wildcard include src tests bench examples tools) -name '*.hpp' -o -name '*.cpp' | xargs clang-format -i

clean:
	rm -rf build

# lucid quick start (Debian 12):
#   make demo    set up, build the release preset, run the demo
#   make test    set up, build and run the whole test suite (release, asan, tsan)
#                and the HTTP parser fuzz target for FUZZ_SECONDS
#   make bench   build the benchmarks (build/release/bench/)
JOBS ?= 2
PRESETS ?= release asan tsan
FUZZ_SECONDS ?= 60

.PHONY: setup demo test test-fuzz bench build-% test-% format clean

setup:
	@bash scripts/setup.sh

build-%: setup
	cmake --preset $* >/dev/null
	cmake --build --preset $* -j$(JOBS)

test-%: build-%
	ctest --preset $* -j$(JOBS)

# demo: the runtime in one program, then the heisenbug tour: a small HTTP
# service with one bug switched on at a time, and the lucid tool that names
# each (examples/heisenbug/tour.sh, which checks what it shows; about 10 s).
demo: build-release
	@echo "== 0. the runtime: tasks, channels, a timeout, an abort, a panic caught at a join handle"
	./build/release/examples/demo
	@echo
	@echo "== the heisenbug tour: examples/heisenbug, a shop service, one bug at a time"
	@echo "   (which tool for which symptom: docs/guide.md)"
	@bash examples/heisenbug/tour.sh build/release/examples/heisenbug

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

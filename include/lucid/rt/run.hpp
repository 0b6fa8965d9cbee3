// lucid::run: the entry point for main.
//
// Contract: builds a runtime (multi_thread by default), runs `main_task` to
// completion and returns its exit code. An exception escaping main_task is
// reported (with the task and the exception's message) and the process exits
// with status 101, like a Rust panic in main.
//
// Example:
//   lucid::task<int> async_main() { ...; co_return 0; }
//   int main() { return lucid::run(async_main()); }
#pragma once

#include "lucid/base/source_site.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/task.hpp"

namespace lucid {

/// `site` is where run() was called: the main task's spawn site in reports.
int run(task<int> main_task, runtime_options opts = {}, source_site site = source_site::current());
int run(task<void> main_task, runtime_options opts = {}, source_site site = source_site::current());

}  // namespace lucid

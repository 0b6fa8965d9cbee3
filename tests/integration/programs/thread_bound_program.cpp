// Programs for tests/integration/thread_bound_test.cpp: a thread-bound value
// reaching another worker (caught with a report), the same with spawn_local
// (quiet), and a coroutine's reference parameter left dangling (caught by
// ASan's stack-use-after-return detection). Lines marked "expect NAME:" are
// printed so the test can check that the report names the right line.
//
// How a task is made to move, deterministically, on a 2-worker runtime: a
// local task (on worker A) spawns it and then blocks A for a while; the task
// waits for spawn_blocking, whose completion comes from outside the runtime
// and so wakes the idle worker B, which polls it.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "lucid/lucid.hpp"

using namespace std::chrono_literals;

namespace {

void expect(const char* what, int line) {
  std::printf("expect %s: %s:%d\n", what, __FILE__, line);
  std::fflush(stdout);
}

struct session {  // not thread-safe
  int requests = 0;
};

/// Waits for the blocking pool, which wakes the task from outside the runtime.
lucid::task<void> wait_outside() {
  expect("moved_after", __LINE__ + 1);
  co_await lucid::spawn_blocking([] { std::this_thread::sleep_for(20ms); });
}

// ---- access: a thread_bound moved into a spawned task, used after it moved
lucid::task<int> use_moved(lucid::thread_bound<session> s) {
  co_await wait_outside();
  expect("access", __LINE__ + 1);
  co_return ++s.get().requests;
}

// ---- migrate: a spawned task that creates one, then moves
lucid::task<int> own_and_move() {
  expect("created_in_task", __LINE__ + 1);
  lucid::thread_bound<session> s;
  s.get().requests = 1;
  co_await wait_outside();
  co_return s.get().requests;
}

// ---- rc_arrow: a local_rc copy in a spawned task, used through ->
lucid::task<int> use_rc(lucid::local_rc<session> rc) {
  co_await wait_outside();
  expect("arrow", __LINE__ + 1);
  co_return rc->requests;
}

// ---- local: the same as "access", spawned with spawn_local: no report
lucid::task<int> use_local(lucid::thread_bound<session> s, std::thread::id home) {
  co_await wait_outside();
  if (std::this_thread::get_id() != home) std::printf("moved to another thread!\n");
  co_return ++s.get().requests;
}

lucid::task<int> driver(std::string_view mode) {
  std::thread::id home = std::this_thread::get_id();
  lucid::join_handle<int> h;
  if (mode == "access") {
    expect("created", __LINE__ + 1);
    lucid::thread_bound<session> s;
    h = lucid::spawn("user", use_moved(std::move(s)));
  } else if (mode == "migrate") {
    h = lucid::spawn("owner", own_and_move());
  } else if (mode == "rc_arrow") {
    expect("rc_created", __LINE__ + 1);
    auto rc = lucid::local_rc<session>::make();
    h = lucid::spawn("rc_user", use_rc(rc));
  } else {
    lucid::thread_bound<session> s;
    h = lucid::spawn_local("local_user", use_local(std::move(s), home));
  }
  co_await lucid::yield_now{};         // the new task starts here, on this worker
  std::this_thread::sleep_for(300ms);  // block this worker: the other one takes the wake-up
  co_return co_await h;
}

// ---- dangling: a coroutine parameter taken by reference outlives its argument
lucid::task<int> read_later(const int& x) {
  co_await lucid::yield_now{};
  co_return x + 1;  // x was a local of start_reader, whose frame is gone
}

[[gnu::noinline]] lucid::join_handle<int> start_reader() {
  int local = 41;
  return lucid::spawn(read_later(local));
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = argc > 1 ? argv[1] : "";
  auto rt = lucid::runtime::multi_thread(2);
  int r = 0;
  if (mode == "dangling") {
    r = rt.block_on([]() -> lucid::task<int> {
      auto h = start_reader();
      co_return co_await h;
    }());
  } else {
    r = rt.block_on([](std::string_view m) -> lucid::task<int> {
      // driver runs as a local task, so that it stays on the worker it blocks.
      co_return co_await lucid::spawn_local("driver", driver(m));
    }(mode));
  }
  std::printf("finished: %d\n", r);
  return 0;
}

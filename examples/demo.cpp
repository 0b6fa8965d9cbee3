// The lucid demo: a tour of the runtime that prints what happens.
//
// A producer task sends jobs over a bounded channel to two workers; one job
// hangs, and a timeout turns that hang into an error instead of a silent
// stall; a task is aborted; a task's panic is caught at its join handle.
// Run: make demo   (or build/release/examples/demo)
#include <chrono>
#include <cstdio>
#include <string>

#include "lucid/lucid.hpp"

using namespace std::chrono_literals;

namespace {

void say(const std::string& what) {
  auto t = lucid::current_task();
  std::printf("[task %2llu %-9s] %s\n", t ? static_cast<unsigned long long>(t->id) : 0ull,
              t && !t->name.empty() ? std::string(t->name).c_str() : "-", what.c_str());
  std::fflush(stdout);
}

struct job {
  int id;
  std::chrono::milliseconds cost;
};

lucid::task<std::string> handle(job j) {
  co_await lucid::sleep(j.cost);
  co_return "job " + std::to_string(j.id) + " done in " + std::to_string(j.cost.count()) + " ms";
}

lucid::task<int> worker(lucid::mpsc::receiver<job>* rx, lucid::mutex* rx_lock) {
  int done = 0;
  for (;;) {
    lucid::result<job> j = lucid::errc::closed;
    {
      auto g = co_await rx_lock->lock();  // two workers share one receiver
      j = co_await rx->recv();
    }
    if (!j) {
      say("channel closed and drained, stopping");
      co_return done;
    }
    auto r = co_await lucid::timeout(200ms, handle(*j));
    if (r) {
      say(*r);
      ++done;
    } else {
      say("job " + std::to_string(j->id) + ": " + std::string(r.error().message()) +
          " after 200 ms, the hung handler was cancelled");
    }
  }
}

lucid::task<> producer(lucid::mpsc::sender<job> tx) {
  const job jobs[] = {{1, 20ms}, {2, 50ms}, {3, 10h}, {4, 5ms}, {5, 30ms}};
  for (const job& j : jobs) {
    if (!co_await tx.send(j)) co_return;
    say("sent job " + std::to_string(j.id));
  }
  say("all jobs sent, closing the channel");
}

lucid::task<int> demo_main() {
  say("lucid demo: 2 workers, 5 jobs, one of them hangs");
  auto [tx, rx] = lucid::mpsc::bounded<job>(2);
  lucid::mutex rx_lock;
  auto w1 = lucid::spawn("worker-1", worker(&rx, &rx_lock));
  auto w2 = lucid::spawn("worker-2", worker(&rx, &rx_lock));
  co_await lucid::spawn("producer", producer(std::move(tx)));
  int total = co_await w1 + co_await w2;
  say(std::to_string(total) + " jobs completed, 1 timed out");

  auto spinner = lucid::spawn("spinner", []() -> lucid::task<> {
    for (;;)
      co_await lucid::sleep(1ms);
  }());
  co_await lucid::sleep(5ms);
  spinner.abort();
  try {
    co_await spinner;
  } catch (const lucid::task_aborted&) {
    say("the spinner was aborted: its frame was destroyed at its sleep");
  }

  auto failing = lucid::spawn("failing", []() -> lucid::task<int> {
    co_await lucid::yield_now{};
    throw std::runtime_error("something went wrong in 'failing'");
  }());
  try {
    co_await failing;
  } catch (const std::exception& e) {
    say(std::string("join handle rethrew: ") + e.what());
  }
  co_return 0;
}

}  // namespace

int main() {
  return lucid::run(demo_main());
}

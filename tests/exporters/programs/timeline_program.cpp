// A program for the timeline tests, run with LUCID_TRACE_FILE set:
//   timeline_program busy    two workers, tasks ping-ponging through notifies
//                            inside spans, with events (trace::init installed)
//   timeline_program crash   the same, then a segfault inside a task
//   timeline_program flood   many events, for LUCID_TRACE_FILE_MAX
//   timeline_program sigwait blocks SIGTERM, sends it to itself and takes it
//                            with sigwait (the exporters' threads, started
//                            before main, must not take it)
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "lucid/lucid.hpp"
#include "lucid/sync/notify.hpp"
#include "lucid/trace/init.hpp"

namespace {

lucid::task<> player(int id, lucid::notify& mine, lucid::notify& other, int rounds) {
  auto s = LUCID_INFO_SPAN("player", ("id", id));
  for (int i = 0; i < rounds; ++i) {
    if (id == 0 || i > 0) {
      auto g = s.enter();
      LUCID_INFO_F(("round", i), ("who", id))("hit");
    }
    other.notify_one();
    co_await mine.notified();
  }
  other.notify_one();
}

lucid::task<int> busy(bool crash) {
  lucid::notify a, b;
  auto h0 = lucid::spawn("ping", player(0, a, b, 50));
  auto h1 = lucid::spawn("pong", player(1, b, a, 50));
  std::vector<lucid::join_handle<int>> more;
  for (int i = 0; i < 8; ++i) {
    more.push_back(lucid::spawn(fmt::format("worker-{}", i), [](int k) -> lucid::task<int> {
      auto s = LUCID_DEBUG_SPAN("step", ("k", k), ("label", "with \"quotes\"\n"));
      auto g = s.enter();
      co_await lucid::yield_now();
      LUCID_WARN_F(("k", k))("step {} done", k);
      co_return k;
    }(i)));
  }
  co_await std::move(h0);
  co_await std::move(h1);
  int sum = 0;
  for (auto& h : more)
    sum += co_await std::move(h);
  if (crash) {
    auto h = lucid::spawn("crasher", []() -> lucid::task<int> {
      LUCID_ERROR("about to crash");
      volatile int* p = nullptr;
      co_return *p;
    }());
    sum += co_await std::move(h);
  }
  co_return sum;
}

lucid::task<int> flood() {
  for (int i = 0; i < 200000; ++i) {
    LUCID_INFO_F(("i", i))("flood event number {}", i);
    if (i % 100 == 0) co_await lucid::yield_now();
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "busy";
  if (mode == "sigwait") {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, nullptr);
    ::kill(::getpid(), SIGTERM);
    int sig = 0;
    sigwait(&s, &sig);
    return sig == SIGTERM ? 0 : 1;
  }
  lucid::trace::init({.filter = std::string("debug")});
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  if (mode == "flood") return rt.block_on(flood());
  return rt.block_on(busy(mode == "crash")) == 28 ? 0 : 1;
}

// console_snapshot_bench [N]: what a full console snapshot (the task dump,
// the console's stream) costs with N idle tasks (default 10^5) all waiting
// on one notify: its time (best of 5), the heap it holds while alive
// (mallinfo2), and the time of its dump. Then the same with one more task,
// a consumer whose channel's only sender lives in a global: in no frame,
// so the snapshot also searches the frames for a container holding it.
// Snapshots are taken from the main thread, not a worker.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <thread>

#include "lucid/console/console.hpp"
#include "lucid/lucid.hpp"

using namespace std::chrono_literals;
std::unique_ptr<lucid::mpsc::sender<int>> g_sender;

lucid::task<> idle(std::shared_ptr<lucid::notify> n) {
  co_await n->notified();
}

std::size_t heap_in_use() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

void measure(const char* what) {
  double best = 1e9;
  std::size_t bytes = 0, tasks = 0;
  for (int i = 0; i < 5; ++i) {
    std::size_t before = heap_in_use();
    auto t0 = std::chrono::steady_clock::now();
    auto s = lucid::console::take_snapshot();
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    bytes = heap_in_use() - before;
    tasks = s.tasks.size();
    if (ms < best) best = ms;
  }
  std::printf("%s: %zu tasks, %.1f ms, %.0f bytes of heap per task\n", what, tasks, best,
              double(bytes) / double(tasks));
  auto s = lucid::console::take_snapshot();
  std::ostringstream out;
  auto t0 = std::chrono::steady_clock::now();
  lucid::console::dump(out, s);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  its dump: %.1f ms, %zu bytes\n", ms, out.str().size());
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  auto gate = std::make_shared<lucid::notify>();
  for (int i = 0; i < n; ++i)
    rt.spawn(idle(gate)).detach();
  std::this_thread::sleep_for(300ms);
  measure("idle tasks");
  auto [tx, rx] = lucid::mpsc::bounded<int>(4);
  g_sender = std::make_unique<lucid::mpsc::sender<int>>(std::move(tx));
  auto c = rt.spawn([](lucid::mpsc::receiver<int> rx) -> lucid::task<> {
    (void)co_await rx.recv();
  }(std::move(rx)));
  std::this_thread::sleep_for(100ms);
  measure("idle tasks + a sender in no frame");
  g_sender.reset();
  gate->notify_waiters();
  rt.block_on(
      [](lucid::join_handle<void> h) -> lucid::task<> { co_await std::move(h); }(std::move(c)));
}

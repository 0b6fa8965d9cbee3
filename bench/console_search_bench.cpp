// console_search_bench [lost]: the time of a full console snapshot of 10^5
// idle tasks in one current-thread runtime, each holding a state object of
// its own (a make_shared vector) and a named notify wait (its wait node in
// the frame, linked to its neighbours' frames). With `lost`, one more task
// waits on a oneshot whose sender is in a global, found in no frame: the
// snapshot then also searches every frame, and the objects they point to,
// for a container holding it (src/console/handle_holders.hpp, steps 2 and
// 3). Three snapshots, each from another thread while the runtime runs.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "lucid/console/console.hpp"
#include "lucid/lucid.hpp"

using namespace std::chrono_literals;
std::unique_ptr<lucid::oneshot::sender<int>> g_tx;

lucid::task<> idle(std::shared_ptr<lucid::notify> gate, std::shared_ptr<std::vector<int>> state) {
  auto woken = gate->notified();
  co_await woken;
  state->push_back(1);
}

lucid::task<> waiter(lucid::oneshot::receiver<int> rx) {
  (void)co_await std::move(rx);
}

int main(int argc, char** argv) {
  const bool lost = argc > 1 && std::strcmp(argv[1], "lost") == 0;
  lucid::runtime rt = lucid::runtime::current_thread();
  rt.block_on([](bool lost) -> lucid::task<> {
    auto gate = std::make_shared<lucid::notify>();
    std::vector<lucid::join_handle<void>> tasks;
    for (int i = 0; i < 100000; ++i)
      tasks.push_back(lucid::spawn(idle(gate, std::make_shared<std::vector<int>>(4))));
    lucid::join_handle<void> w;
    if (lost) {
      auto [tx, rx] = lucid::oneshot::channel<int>();
      g_tx = std::make_unique<lucid::oneshot::sender<int>>(std::move(tx));
      w = lucid::spawn("waiter", waiter(std::move(rx)));
    }
    co_await lucid::sleep(50ms);
    for (int r = 0; r < 3; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      std::thread([] { (void)lucid::console::take_snapshot(); }).join();
      std::printf(
          "%s: a snapshot of %zu tasks: %.0f ms\n", lost ? "a sender in no frame" : "no handle",
          tasks.size() + (lost ? 1 : 0),
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    gate->notify_waiters();
    for (auto& t : tasks)
      co_await std::move(t);
    g_tx.reset();
    if (lost) co_await std::move(w);
  }(lost));
}

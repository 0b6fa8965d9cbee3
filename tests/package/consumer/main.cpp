// A program that uses lucid from outside its tree (tests/package/run.sh):
// tasks, a channel, a timeout, and the console's dump, so that every layer
// links.
#include <chrono>
#include <cstdio>
#include <sstream>

#include "lucid/console/console.hpp"
#include "lucid/lucid.hpp"

using namespace std::chrono_literals;

lucid::task<int> sum(int n) {
  auto [tx, rx] = lucid::mpsc::bounded<int>(4);
  auto producer =
      lucid::spawn("producer", [](lucid::mpsc::sender<int> out, int k) -> lucid::task<> {
        for (int i = 1; i <= k; ++i)
          co_await out.send(i);
      }(std::move(tx), n));
  int total = 0;
  while (auto v = co_await lucid::timeout(1s, rx.recv())) {
    if (!*v) break;  // closed: the producer is done
    total += **v;
  }
  co_await producer;
  std::ostringstream dump;
  lucid::console::dump(dump);
  std::printf("%s",
              dump.str().find("lucid task dump") != std::string::npos ? "dump ok\n" : "no dump\n");
  co_return total;
}

int main() {
  const int total = lucid::run(sum(10));
  std::printf("sum %d\n", total);
  return total == 55 ? 0 : 1;
}

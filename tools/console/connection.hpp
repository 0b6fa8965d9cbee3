// lucid-console's connection to a program's console server: a background
// thread with its own current_thread lucid runtime and HTTP client that
// fetches the state and applies it to the model.
//
// It reads `GET /api/v1/events` (Server-Sent Events): a snapshot, then a
// delta per interval and warnings as they come. A delta that does not follow
// (a gap) or a closed stream makes it reconnect, which starts again from a
// snapshot. When the program cannot be reached it sets the model's status
// ("cannot reach host:port: connection refused — retrying") and tries again
// every second; 401 says that a token is needed. The last state stays on
// screen meanwhile.
//
// Contract: start() once; the destructor stops the thread within about
// 100 ms (a watcher branch of a select ends the request in flight). The
// model, which locks, is the only state shared with the UI thread; `stop_`
// is the only other field the UI thread touches.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include "lucid/rt/task.hpp"
#include "model.hpp"

namespace lucid::console::tui {

/// Fetches a program's events on a background thread into a model (see the file contract).
class connection {
 public:
  /// `address` is "host:port"; `token` empty for none.
  connection(std::string address, std::string token, model& m);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start();
  const std::string& address() const { return address_; }

 private:
  void run();
  lucid::task<void> loop();
  lucid::task<void> nap(std::chrono::milliseconds d);
  lucid::task<void> until_stopped();
  // Splits Server-Sent Events out of `buf` + `piece` and applies them; false
  // (with `problem` set) to drop the connection and start again.
  bool feed(std::string_view piece, std::string& buf, std::string& problem);
  std::string address_;
  std::string token_;
  model& m_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// "http://host:port/" or "host:port" as "host:port" (default port 6669).
std::string normalize_address(std::string a);

}  // namespace lucid::console::tui

// lucid-console's connection to a program's console server: a background
// thread with its own current_thread lucid runtime and HTTP client that
// fetches the state and applies it to the model.
//
// Until the HTTP client can stream a response, it polls
// `GET /api/v1/snapshot` once per interval (the program's interval_ms,
// 1 s before the first answer) and applies each snapshot (a snapshot event
// resets the replica: protocol-legal). When the program cannot be reached it
// sets the model's status ("cannot reach host:port: connection refused —
// retrying") and tries again every second; 401 says that a token is needed.
//
// Contract: start() once; the destructor stops the thread (within about
// 100 ms plus one request's timeout). The model is the only state shared
// with the UI thread.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "lucid/rt/task.hpp"
#include "model.hpp"

namespace lucid::console::tui {

class connection {
 public:
  /// `address` is "host:port"; `token` empty for none.
  connection(std::string address, std::string token, model& m);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start();
  /// While paused the state is still fetched (so that resuming shows the latest).
  const std::string& address() const { return address_; }

 private:
  void run();
  lucid::task<void> loop();
  lucid::task<void> nap(std::chrono::milliseconds d);
  std::string address_;
  std::string token_;
  model& m_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// "http://host:port/" or "host:port" as "host:port" (default port 6669).
std::string normalize_address(std::string a);

}  // namespace lucid::console::tui

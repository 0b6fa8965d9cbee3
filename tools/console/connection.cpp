// lucid-console's connection (see connection.hpp).
#include "connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

#include "lucid/http/client.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/time/sleep.hpp"
#include "lucid/time/timeout.hpp"

namespace lucid::console::tui {

namespace {

using namespace std::chrono_literals;

std::string reason(const lucid::error& e) {
  if (e.code == errc::system && e.sys != 0) {
    std::string s = std::strerror(e.sys);
    if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
  }
  return std::string(e.message());
}

std::string json_error(const std::string& body) {
  // {"error": "...", "status": N}: show the message without a JSON parser here.
  auto k = body.find("\"error\"");
  if (k == std::string::npos) return body.substr(0, 120);
  auto q = body.find('"', body.find(':', k) + 1);
  auto e = q == std::string::npos ? q : body.find('"', q + 1);
  if (e == std::string::npos) return body.substr(0, 120);
  return body.substr(q + 1, e - q - 1);
}

}  // namespace

std::string normalize_address(std::string a) {
  if (a.rfind("http://", 0) == 0) a = a.substr(7);
  while (!a.empty() && a.back() == '/')
    a.pop_back();
  if (a.empty()) return "127.0.0.1:6669";
  if (a.find(':') == std::string::npos) a += ":6669";
  return a;
}

connection::connection(std::string address, std::string token, model& m)
    : address_(std::move(address)), token_(std::move(token)), m_(m) {}

connection::~connection() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

void connection::start() {
  m_.set_status(fmt::format("connecting to {} ...", address_));
  thread_ = std::thread([this] { run(); });
}

void connection::run() {
  lucid::runtime_options opts = lucid::runtime_options::current_thread();
  opts.crash_handler = false;  // the UI thread owns the terminal
  lucid::runtime rt(opts);
  rt.block_on(loop());
}

lucid::task<void> connection::nap(std::chrono::milliseconds d) {
  for (auto left = d; left > 0ms && !stop_.load(); left -= 100ms)
    co_await lucid::sleep(std::min(left, std::chrono::milliseconds(100)));
}

lucid::task<void> connection::loop() {
  lucid::http::client client(address_);
  std::vector<lucid::http::header> headers;
  if (!token_.empty()) headers.push_back({"authorization", "Bearer " + token_});
  while (!stop_.load()) {
    auto r = co_await lucid::timeout(5s, client.get("/api/v1/snapshot", headers));
    std::string problem;
    if (!r) {
      problem = fmt::format("cannot reach {}: no answer in 5 s — retrying", address_);
      client.close();
    } else if (!*r) {
      problem = fmt::format("cannot reach {}: {} — retrying", address_, reason(r->error()));
      client.close();
    } else if ((*r)->status == 401) {
      problem = token_.empty() ? fmt::format("{}: the program requires a token (--token)", address_)
                               : fmt::format("{}: the program refused the token (401)", address_);
    } else if ((*r)->status != 200) {
      problem =
          fmt::format("{}: HTTP {}: {} — retrying", address_, (*r)->status, json_error((*r)->body));
    } else if (auto a = m_.apply((*r)->body); !a) {
      problem =
          fmt::format("{}: not a console snapshot ({}) — retrying", address_, a.error().message());
    }
    m_.set_status(problem);
    unsigned ms = problem.empty() ? m_.interval_ms() : 1000;
    co_await nap(std::chrono::milliseconds(std::clamp(ms, 100u, 60000u)));
  }
}

}  // namespace lucid::console::tui

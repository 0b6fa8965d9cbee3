// lucid-console's connection (see connection.hpp).
#include "connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

#include "lucid/http/client.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/time/sleep.hpp"

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

lucid::task<void> connection::until_stopped() {
  while (!stop_.load())
    co_await lucid::sleep(100ms);
}

bool connection::feed(std::string_view piece, std::string& buf, std::string& problem) {
  buf.append(piece);
  // Events end with an empty line; fields are "event:", "id:", "data:" (one
  // or more data lines, joined by newlines); lines starting with ':' are comments.
  for (;;) {
    std::size_t end = buf.find("\n\n");
    std::size_t crlf = buf.find("\r\n\r\n");
    std::size_t skip = 2;
    if (crlf != std::string::npos && (end == std::string::npos || crlf < end)) {
      end = crlf;
      skip = 4;
    }
    if (end == std::string::npos) return true;
    std::string block = buf.substr(0, end);
    buf.erase(0, end + skip);
    std::string data;
    std::size_t pos = 0;
    while (pos <= block.size()) {
      std::size_t nl = block.find('\n', pos);
      std::string_view ln(block.data() + pos, (nl == std::string::npos ? block.size() : nl) - pos);
      if (!ln.empty() && ln.back() == '\r') ln.remove_suffix(1);
      if (ln.rfind("data:", 0) == 0) {
        ln.remove_prefix(5);
        if (!ln.empty() && ln.front() == ' ') ln.remove_prefix(1);
        if (!data.empty()) data += '\n';
        data += ln;
      }
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    if (data.empty()) continue;
    auto a = m_.apply(data);
    if (!a && a.error() == errc::not_found) {
      problem = fmt::format("{}: missed an update — reconnecting", address_);
      return false;  // a gap: start again from a snapshot
    }
    if (!a) {
      problem =
          fmt::format("{}: not a console event ({}) — reconnecting", address_, a.error().message());
      return false;
    }
    m_.set_status("");
  }
}

lucid::task<void> connection::loop() {
  std::vector<lucid::http::header> headers;
  if (!token_.empty()) headers.push_back({"authorization", "Bearer " + token_});
  while (!stop_.load()) {
    lucid::http::client client(address_);
    std::string buf, problem;
    lucid::http::client::body_sink sink = [&](const lucid::http::response& head,
                                              std::string_view piece) {
      if (head.status != 200 || stop_.load()) return false;
      return feed(piece, buf, problem);
    };
    // The request is made outside the co_await expression (see DESIGN.md on
    // GCC 12 and callables inside co_await).
    lucid::task<lucid::result<lucid::http::response>> stream =
        client.get_stream("/api/v1/events", std::move(sink), headers);
    auto r = co_await lucid::select(std::move(stream), until_stopped());
    if (r.index() == 1) break;
    auto& got = std::get<0>(r);
    if (!got) {
      problem = fmt::format("cannot reach {}: {} — retrying", address_, reason(got.error()));
    } else if (got->status == 401) {
      problem = token_.empty() ? fmt::format("{}: the program requires a token (--token)", address_)
                               : fmt::format("{}: the program refused the token (401)", address_);
    } else if (got->status != 200) {
      problem =
          fmt::format("{}: HTTP {}: {} — retrying", address_, got->status, json_error(got->body));
    } else if (problem.empty()) {
      problem = fmt::format("{}: the program closed the event stream — reconnecting", address_);
    }
    m_.set_status(problem);
    co_await nap(1000ms);
  }
}

}  // namespace lucid::console::tui

// libFuzzer target for lucid::http::request_parser and response_parser.
//
// Input: byte 0 picks the parser and its limits, bytes 1..8 seed the split
// points, the rest is the message stream. For each message in the stream the
// target parses it (a) at once and (b) fed in random pieces through a buffer
// that grows and moves, as on a socket, and checks the invariants:
//   - no crash, no sanitizer report;
//   - consumed <= the bytes given, and > 0 when complete;
//   - (a) and (b) give the same answer: status, consumed, error status, and
//     for a complete message the same method, target, path, query, headers,
//     body and keep-alive;
//   - the views of a complete request point into the buffer it was parsed
//     from (or, for a chunked body, are the parser's own);
//   - a complete message is stable: parsing only its consumed prefix gives
//     the same answer (the bytes after it never change it).
// Build and run: `make test-fuzz` (clang-14, -fsanitize=fuzzer,address,undefined).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/http/parser.hpp"

namespace {

using lucid::http::parse_result;
using lucid::http::parse_status;
using lucid::http::parser_limits;

#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

struct rng {
  std::uint64_t s;
  std::uint64_t next() {
    s += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

/// A flattened, owned copy of what a parse produced, for comparisons.
struct snapshot {
  parse_status status{};
  std::size_t consumed = 0;
  int error_status = 0;
  std::string fields;  // everything the message showed, flattened
  bool operator==(const snapshot&) const = default;
};

bool inside(std::string_view v, std::string_view buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

void add(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += '|';
}

snapshot snap(const parse_result& r, const lucid::http::request_parser& p, std::string_view buf) {
  snapshot s{r.status, r.consumed, r.error_status, {}};
  FUZZ_CHECK(r.consumed <= buf.size());
  if (r.status == parse_status::complete) {
    FUZZ_CHECK(r.consumed > 0);
    const lucid::http::request& q = p.get();
    FUZZ_CHECK(inside(q.method_name, buf) && inside(q.target, buf));
    FUZZ_CHECK(!q.path.empty());
    // The decoded path is never longer than the path as sent, which is in the
    // buffer (or "/" for an absolute-form target without a path).
    FUZZ_CHECK((inside(q.raw_path, buf) || q.raw_path == "/") &&
               q.path.size() <= q.raw_path.size());
    FUZZ_CHECK(q.version_minor <= 1);
    add(s.fields, q.method_name);
    add(s.fields, q.target);
    add(s.fields, q.path);
    add(s.fields, q.raw_path);
    add(s.fields, q.query);
    for (const auto& h : q.headers) {
      FUZZ_CHECK(inside(h.name, buf) && inside(h.value, buf));
      FUZZ_CHECK(!h.name.empty());
      add(s.fields, h.name);
      add(s.fields, h.value);
    }
    if (!q.chunked) FUZZ_CHECK(inside(q.body, buf));
    add(s.fields, q.body);
    s.fields += q.keep_alive ? 'k' : 'c';
    s.fields += q.expect_continue ? 'e' : '-';
  } else if (r.status == parse_status::error) {
    FUZZ_CHECK(r.error_status == 400 || r.error_status == 413 || r.error_status == 431 ||
               r.error_status == 505);
  }
  return s;
}

snapshot snap(const parse_result& r, const lucid::http::response_parser& p, std::string_view buf) {
  snapshot s{r.status, r.consumed, r.error_status, {}};
  FUZZ_CHECK(r.consumed <= buf.size());
  if (r.status == parse_status::complete) {
    FUZZ_CHECK(r.consumed > 0);
    const lucid::http::response_view& v = p.get();
    FUZZ_CHECK(v.status >= 100 && v.status <= 999);
    s.fields += std::to_string(v.status);
    add(s.fields, v.reason);
    for (const auto& h : v.headers) {
      FUZZ_CHECK(inside(h.name, buf) && inside(h.value, buf));
      add(s.fields, h.name);
      add(s.fields, h.value);
    }
    add(s.fields, v.body);
    s.fields += v.keep_alive ? 'k' : 'c';
  }
  return s;
}

template <class Parser>
parse_result run_parse(Parser& p, std::string_view buf, bool head, bool at_eof) {
  if constexpr (std::is_same_v<Parser, lucid::http::response_parser>) {
    parse_result r = p.parse(buf, head);
    if (at_eof && r.status == parse_status::need_more) r = p.finish(buf);
    return r;
  } else {
    (void)head;
    (void)at_eof;
    return p.parse(buf);
  }
}

/// Parses the message at the start of `msg` whole, and in pieces; returns
/// the (checked equal) snapshot.
template <class Parser>
snapshot check_message(std::string_view msg, const parser_limits& lim, bool head, rng& r) {
  Parser whole(lim);
  parse_result a = run_parse(whole, msg, head, true);
  snapshot sa = snap(a, whole, msg);

  Parser pieces(lim);
  std::string buf;  // grows and reallocates like a connection buffer
  snapshot sb;
  std::size_t fed = 0;
  for (;;) {
    std::size_t step = 1 + static_cast<std::size_t>(r.next() % 64);
    if (r.next() % 8 == 0) step = msg.size();  // sometimes all the rest
    fed = std::min(msg.size(), fed + step);
    std::string next(msg.substr(0, fed));
    next.reserve(next.size() + static_cast<std::size_t>(r.next() % 32));  // move the data
    buf.swap(next);
    parse_result b = run_parse(pieces, buf, head, fed == msg.size());
    sb = snap(b, pieces, buf);
    if (b.status != parse_status::need_more || fed == msg.size()) break;
  }
  FUZZ_CHECK(sa == sb);

  if (a.status == parse_status::complete && a.consumed < msg.size()) {
    Parser prefix(lim);
    std::string_view pre = msg.substr(0, a.consumed);
    parse_result c = run_parse(prefix, pre, head, true);
    FUZZ_CHECK(snap(c, prefix, pre) == sa);
  }
  return sa;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  const std::uint8_t mode = data[0];
  std::uint64_t seed = 0;
  for (int i = 1; i <= 8; ++i)
    seed = (seed << 8) | data[i];
  rng r{seed};
  std::string_view stream(reinterpret_cast<const char*>(data + 9), size - 9);

  parser_limits lim;
  if (mode & 2) {  // small limits reach the 413/431 paths with short inputs
    lim.max_head_bytes = 64 + (mode >> 4) * 16;
    lim.max_body_bytes = 16 + (mode >> 4);
    lim.max_headers = 4;
  }
  const bool response = (mode & 1) != 0;
  const bool head = (mode & 4) != 0;

  // Up to 8 pipelined messages from the stream.
  for (int n = 0; n < 8 && !stream.empty(); ++n) {
    snapshot s = response ? check_message<lucid::http::response_parser>(stream, lim, head, r)
                          : check_message<lucid::http::request_parser>(stream, lim, head, r);
    if (s.status != parse_status::complete) break;
    stream.remove_prefix(s.consumed);
  }
  return 0;
}

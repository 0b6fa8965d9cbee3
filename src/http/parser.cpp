// The HTTP/1.1 request and response parsers (see include/lucid/http/parser.hpp).
//
// Contract: pure functions of the bytes fed in; no I/O, no allocation on the
// hot path once the header vectors have grown (they keep their capacity over
// reset()). Depends on the standard library only, so the fuzz target compiles
// this file alone. Every check is made at a fixed byte position in the order
// the bytes arrive, which is why splitting the input never changes the answer.
#include "lucid/http/parser.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace lucid::http {
namespace detail {
namespace {

constexpr std::size_t max_chunk_line = 4096;

struct char_tables {
  std::array<bool, 256> tchar{};    // token characters (RFC 9110 5.6.2)
  std::array<bool, 256> head_ok{};  // HTAB, SP, VCHAR, obs-text: anything but CTLs
  std::array<signed char, 256> hex{};
};

constexpr char_tables make_tables() {
  char_tables t;
  for (int c = 0; c < 256; ++c) {
    t.head_ok[c] = c == '\t' || (c >= 0x20 && c != 0x7f);
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    t.tchar[c] =
        alnum || (c != 0 && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                std::string_view::npos);
    t.hex[c] = c >= '0' && c <= '9'   ? static_cast<signed char>(c - '0')
               : c >= 'a' && c <= 'f' ? static_cast<signed char>(c - 'a' + 10)
               : c >= 'A' && c <= 'F' ? static_cast<signed char>(c - 'A' + 10)
                                      : static_cast<signed char>(-1);
  }
  return t;
}

constexpr char_tables k = make_tables();

inline unsigned char uc(char c) noexcept {
  return static_cast<unsigned char>(c);
}
inline bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}
inline bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

/// Calls f(element) for each non-empty, trimmed element of a comma list.
template <class F>
void for_each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    std::size_t c = list.find(',');
    std::string_view e = trim_ows(list.substr(0, c));
    if (!e.empty()) f(e);
    if (c == std::string_view::npos) break;
    list.remove_prefix(c + 1);
  }
}

/// A trailer line (without CRLF): `token ":" value`, no obs-fold, no CTLs.
bool valid_field_line(std::string_view line) noexcept {
  if (line.empty() || is_ows(line[0])) return false;
  std::size_t j = 0;
  while (j < line.size() && k.tchar[uc(line[j])])
    ++j;
  if (j == 0 || j == line.size() || line[j] != ':') return false;
  for (char c : line)
    if (!k.head_ok[uc(c)]) return false;
  return true;
}

std::string_view view(std::string_view data, off_len o) noexcept {
  return data.substr(o.off, o.len);
}

off_len mk(std::size_t off, std::size_t len) noexcept {
  return off_len{static_cast<std::uint32_t>(off), static_cast<std::uint32_t>(len)};
}

}  // namespace

void message_parser::reset() noexcept {
  error_ = {};
  phase_ = phase_head;
  framing_ = framing::none;
  start_ = scan_ = line_start_ = head_end_ = pos_ = 0;
  content_length_ = chunk_left_ = body_size_ = 0;
  trailer_bytes_ = 0;
  seen_content_length_ = seen_transfer_encoding_ = false;
  te_count_ = 0;
  te_last_chunked_ = false;
  conn_close_ = conn_keep_alive_ = expect_continue_ = false;
  host_count_ = 0;
  offsets_.clear();
  headers_.clear();
  chunked_body_.clear();
}

bool message_parser::fail(int status, const char* reason) noexcept {
  phase_ = phase_error;
  error_.status = parse_status::error;
  error_.consumed = 0;
  error_.error_status = status;
  error_.reason = reason;
  return false;
}

parse_result message_parser::run(std::string_view data, bool skip_leading_crlf) {
  if (phase_ == phase_error) return error_;
  if (phase_ == phase_head) {
    const char* p = data.data();
    const std::size_t n = data.size();
    const std::size_t max = limits_.max_head_bytes;
    if (skip_leading_crlf && scan_ == start_) {
      while (start_ + 1 < n && p[start_] == '\r' && p[start_ + 1] == '\n') {
        start_ += 2;
        if (start_ >= max) {
          fail(431, "request head too large");
          return error_;
        }
      }
      scan_ = line_start_ = start_;
    }
    std::size_t i = scan_;
    bool found = false;
    while (i < n) {
      if (i >= max) {
        fail(431, "request head too large");
        return error_;
      }
      const unsigned char c = uc(p[i]);
      if (k.head_ok[c]) {
        ++i;
        continue;
      }
      if (c == '\r') {
        if (i + 1 >= max) {
          fail(431, "request head too large");
          return error_;
        }
        if (i + 1 == n) break;  // the LF is still to come
        if (p[i + 1] != '\n') {
          fail(400, "bare CR in the head");
          return error_;
        }
        const bool empty_line = i == line_start_;
        i += 2;
        line_start_ = i;
        if (empty_line) {
          found = true;
          break;
        }
        continue;
      }
      fail(400, c == '\n' ? "bare LF in the head" : "control character in the head");
      return error_;
    }
    scan_ = i;
    if (!found) return {};
    head_end_ = i;
    if (!parse_head(data)) return error_;
    pos_ = head_end_;
    switch (framing_) {
      case framing::none:
        phase_ = phase_done;
        break;
      case framing::length:
        phase_ = phase_body_length;
        break;
      case framing::chunked:
        phase_ = phase_chunk_size;
        break;
      case framing::until_close:
        phase_ = phase_until_close;
        break;
    }
  }
  return body(data);
}

parse_result message_parser::body(std::string_view data) {
  const char* p = data.data();
  const std::size_t n = data.size();
  for (;;) {
    switch (phase_) {
      case phase_head:  // not reached: run() leaves the head phase first
      case phase_error:
        return error_;
      case phase_done: {
        parse_result r;
        r.status = parse_status::complete;
        r.consumed = pos_;
        return r;
      }
      case phase_body_length:
        if (n - head_end_ < content_length_) return {};
        pos_ = head_end_ + static_cast<std::size_t>(content_length_);
        phase_ = phase_done;
        break;
      case phase_until_close:
        if (n - head_end_ > limits_.max_body_bytes) {
          fail(413, "body too large");
          return error_;
        }
        return {};
      case phase_chunk_size: {
        const std::size_t window = std::min(n, pos_ + max_chunk_line);
        const void* lf = std::memchr(p + pos_, '\n', window - pos_);
        if (lf == nullptr) {
          if (n - pos_ >= max_chunk_line) {
            fail(400, "chunk size line too long");
            return error_;
          }
          return {};
        }
        const std::size_t e = static_cast<std::size_t>(static_cast<const char*>(lf) - p);
        if (e == pos_ || p[e - 1] != '\r') {
          fail(400, "bare LF in a chunk size line");
          return error_;
        }
        const std::size_t end = e - 1;
        std::size_t j = pos_;
        std::uint64_t size = 0;
        for (; j < end && k.hex[uc(p[j])] >= 0; ++j) {
          if ((size >> 60) != 0) {
            fail(400, "chunk size overflows");
            return error_;
          }
          size = size * 16 + static_cast<std::uint64_t>(k.hex[uc(p[j])]);
        }
        if (j == pos_) {
          fail(400, "bad chunk size");
          return error_;
        }
        while (j < end && is_ows(p[j]))
          ++j;
        if (j < end) {
          if (p[j] != ';') {
            fail(400, "bad chunk size");
            return error_;
          }
          for (++j; j < end; ++j) {
            if (!k.head_ok[uc(p[j])]) {
              fail(400, "control character in a chunk extension");
              return error_;
            }
          }
        }
        if (size > limits_.max_body_bytes - body_size_) {
          fail(413, "body too large");
          return error_;
        }
        pos_ = e + 1;
        if (size == 0) {
          phase_ = phase_trailer;
        } else {
          chunk_left_ = size;
          phase_ = phase_chunk_data;
        }
        break;
      }
      case phase_chunk_data: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(n - pos_, chunk_left_));
        chunked_body_.append(p + pos_, take);
        pos_ += take;
        chunk_left_ -= take;
        body_size_ += take;
        if (chunk_left_ != 0) return {};
        phase_ = phase_chunk_crlf;
        break;
      }
      case phase_chunk_crlf:
        if (n - pos_ < 2) {
          if (n > pos_ && p[pos_] != '\r') {
            fail(400, "chunk data not followed by CRLF");
            return error_;
          }
          return {};
        }
        if (p[pos_] != '\r' || p[pos_ + 1] != '\n') {
          fail(400, "chunk data not followed by CRLF");
          return error_;
        }
        pos_ += 2;
        phase_ = phase_chunk_size;
        break;
      case phase_trailer: {
        const std::size_t allowance = limits_.max_head_bytes - trailer_bytes_;
        const std::size_t window = std::min(n, pos_ + allowance);
        const void* lf = std::memchr(p + pos_, '\n', window - pos_);
        if (lf == nullptr) {
          if (n - pos_ >= allowance) {
            fail(431, "trailer section too large");
            return error_;
          }
          return {};
        }
        const std::size_t e = static_cast<std::size_t>(static_cast<const char*>(lf) - p);
        if (e == pos_ || p[e - 1] != '\r') {
          fail(400, "bare LF in the trailer section");
          return error_;
        }
        const std::string_view line(p + pos_, e - 1 - pos_);
        trailer_bytes_ += e + 1 - pos_;
        pos_ = e + 1;
        if (line.empty()) {
          phase_ = phase_done;
          break;
        }
        if (!valid_field_line(line)) {
          fail(400, "bad trailer field");
          return error_;
        }
        break;
      }
    }
  }
}

bool message_parser::parse_fields(std::string_view data, std::size_t pos) {
  const char* p = data.data();
  for (;;) {
    // The head was validated: every CR is followed by LF, it ends with an empty line.
    const std::size_t eol = static_cast<std::size_t>(
        static_cast<const char*>(std::memchr(p + pos, '\r', head_end_ - pos)) - p);
    if (eol == pos) return true;  // the empty line
    if (offsets_.size() >= limits_.max_headers) return fail(431, "too many header fields");
    if (is_ows(p[pos])) return fail(400, "obsolete line folding");
    std::size_t j = pos;
    while (j < eol && k.tchar[uc(p[j])])
      ++j;
    if (j == eol) return fail(400, "header field without a colon");
    if (p[j] != ':') {
      return fail(400, is_ows(p[j]) ? "whitespace before a header colon" : "bad header field name");
    }
    if (j == pos) return fail(400, "empty header field name");
    std::size_t vs = j + 1, ve = eol;
    while (vs < ve && is_ows(p[vs]))
      ++vs;
    while (ve > vs && is_ows(p[ve - 1]))
      --ve;
    const std::string_view name(p + pos, j - pos);
    const std::string_view value(p + vs, ve - vs);
    offsets_.push_back(header_offsets{mk(pos, j - pos), mk(vs, ve - vs)});

    switch (name.size()) {
      case 14:
        if (iequals(name, "content-length")) {
          if (seen_content_length_) return fail(400, "repeated Content-Length");
          seen_content_length_ = true;
          if (value.empty()) return fail(400, "bad Content-Length");
          std::uint64_t v = 0;
          bool overflow = false;
          for (char c : value) {
            if (!is_digit(c)) return fail(400, "bad Content-Length");
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (v > (UINT64_MAX - d) / 10) overflow = true;
            if (!overflow) v = v * 10 + d;
          }
          content_length_ = overflow ? UINT64_MAX : v;
        }
        break;
      case 17:
        if (iequals(name, "transfer-encoding")) {
          seen_transfer_encoding_ = true;
          for_each_element(value, [&](std::string_view coding) {
            ++te_count_;
            te_last_chunked_ = iequals(coding, "chunked");
          });
        }
        break;
      case 10:
        if (iequals(name, "connection")) {
          for_each_element(value, [&](std::string_view opt) {
            if (iequals(opt, "close")) conn_close_ = true;
            if (iequals(opt, "keep-alive")) conn_keep_alive_ = true;
          });
        }
        break;
      case 6:
        if (iequals(name, "expect") && iequals(value, "100-continue")) expect_continue_ = true;
        break;
      case 4:
        if (iequals(name, "host")) ++host_count_;
        break;
      default:
        break;
    }
    pos = eol + 2;
  }
}

void message_parser::materialize_headers(std::string_view data) {
  headers_.clear();
  for (const header_offsets& h : offsets_)
    headers_.push_back(header_view{view(data, h.name), view(data, h.value)});
}

std::string_view message_parser::body_view(std::string_view data) const noexcept {
  switch (framing_) {
    case framing::length:
      return data.substr(head_end_, static_cast<std::size_t>(content_length_));
    case framing::chunked:
      return chunked_body_;
    case framing::until_close:
      return data.substr(head_end_);
    case framing::none:
      break;
  }
  return {};
}

}  // namespace detail

// ---- requests ----

void request_parser::reset() noexcept {
  message_parser::reset();
  req_ = request{};
  method_ = target_ = {};
  minor_ = 1;
}

parse_result request_parser::parse(std::string_view data) {
  parse_result r = run(data, true);
  if (r.status == parse_status::complete) fill(data);
  return r;
}

bool request_parser::parse_head(std::string_view data) {
  const char* p = data.data();
  const std::size_t ls = start_;
  const std::size_t eol = static_cast<std::size_t>(
      static_cast<const char*>(std::memchr(p + ls, '\r', head_end_ - ls)) - p);
  std::size_t j = ls;
  while (j < eol && detail::k.tchar[detail::uc(p[j])])
    ++j;
  if (j == ls || j == eol || p[j] != ' ') return fail(400, "bad request line");
  method_ = detail::mk(ls, j - ls);
  const std::size_t t = ++j;
  while (j < eol && p[j] > 0x20 && p[j] < 0x7f)
    ++j;
  if (j == t || j == eol || p[j] != ' ') return fail(400, "bad request line");
  target_ = detail::mk(t, j - t);
  ++j;
  if (eol - j != 8 || std::memcmp(p + j, "HTTP/", 5) != 0 || !detail::is_digit(p[j + 5]) ||
      p[j + 6] != '.' || !detail::is_digit(p[j + 7])) {
    return fail(400, "bad request line");
  }
  if (p[j + 5] != '1') return fail(505, "unsupported HTTP version");
  minor_ = p[j + 7] == '0' ? 0 : 1;  // 1.x with x > 1 is treated as 1.1 (RFC 9110 2.5)

  const std::string_view m(p + ls, method_.len);
  const std::string_view tg(p + t, target_.len);
  if (tg[0] != '/') {
    const bool absolute = (tg.size() > 7 && iequals(tg.substr(0, 7), "http://")) ||
                          (tg.size() > 8 && iequals(tg.substr(0, 8), "https://"));
    if (!(absolute || (tg == "*" && m == "OPTIONS"))) return fail(400, "bad request target");
  }
  if (!parse_fields(data, eol + 2)) return false;

  if (host_count_ > 1 || (minor_ == 1 && host_count_ == 0)) {
    return fail(400, "missing or repeated Host");
  }
  if (seen_transfer_encoding_) {
    if (minor_ == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (seen_content_length_) return fail(400, "Content-Length with Transfer-Encoding");
    if (te_count_ != 1 || !te_last_chunked_) return fail(400, "unsupported transfer-coding");
    framing_ = framing::chunked;
  } else if (seen_content_length_) {
    if (content_length_ > limits_.max_body_bytes) return fail(413, "body too large");
    framing_ = content_length_ > 0 ? framing::length : framing::none;
  } else {
    framing_ = framing::none;
  }
  req_.method = method_from(m);
  req_.version_minor = minor_;
  req_.keep_alive = minor_ == 1 ? !conn_close_ : (conn_keep_alive_ && !conn_close_);
  req_.expect_continue = expect_continue_ && minor_ == 1;
  req_.chunked = framing_ == framing::chunked;
  return true;
}

void request_parser::fill(std::string_view data) {
  materialize_headers(data);
  req_.method_name = detail::view(data, method_);
  req_.target = detail::view(data, target_);
  std::string_view rest = req_.target;
  if (rest[0] != '/' && rest != "*") {  // absolute-form: skip scheme and authority
    rest.remove_prefix(rest.find("://") + 3);
    const std::size_t a = rest.find_first_of("/?");
    rest = a == std::string_view::npos ? std::string_view() : rest.substr(a);
  }
  const std::size_t q = rest.find('?');
  req_.path = rest.substr(0, q);
  if (req_.path.empty()) req_.path = "/";
  req_.query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  req_.headers = headers_;
  req_.body = body_view(data);
}

// ---- responses ----

void response_parser::reset() noexcept {
  message_parser::reset();
  resp_ = response_view{};
  reason_ = {};
  head_request_ = false;
}

parse_result response_parser::parse(std::string_view data, bool head_request) {
  if (phase_ == phase_head) head_request_ = head_request;
  parse_result r = run(data, false);
  if (r.status == parse_status::complete) fill(data);
  return r;
}

parse_result response_parser::finish(std::string_view data) {
  if (phase_ == phase_until_close) {
    parse_result r = body(data);  // checks the size limit
    if (r.status == parse_status::error) return r;
    pos_ = data.size();
    phase_ = phase_done;
    r = body(data);
    fill(data);
    return r;
  }
  if (phase_ == phase_done || phase_ == phase_error) return body(data);
  fail(400, "connection closed before the response was complete");
  return error_;
}

bool response_parser::parse_head(std::string_view data) {
  const char* p = data.data();
  const std::size_t eol =
      static_cast<std::size_t>(static_cast<const char*>(std::memchr(p, '\r', head_end_)) - p);
  // HTTP/d.d SP ddd [SP reason]
  if (eol < 12 || std::memcmp(p, "HTTP/", 5) != 0 || !detail::is_digit(p[5]) || p[6] != '.' ||
      !detail::is_digit(p[7]) || p[8] != ' ' || !detail::is_digit(p[9]) ||
      !detail::is_digit(p[10]) || !detail::is_digit(p[11]) || (eol > 12 && p[12] != ' ')) {
    return fail(400, "bad status line");
  }
  if (p[5] != '1') return fail(505, "unsupported HTTP version");
  resp_.version_minor = p[7] == '0' ? 0 : 1;
  resp_.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  if (resp_.status < 100) return fail(400, "bad status code");
  reason_ = eol > 12 ? detail::mk(13, eol - 13) : detail::off_len{};
  if (!parse_fields(data, eol + 2)) return false;

  const int s = resp_.status;
  if (head_request_ || s < 200 || s == 204 || s == 304) {
    framing_ = framing::none;
  } else if (seen_transfer_encoding_) {
    framing_ = te_last_chunked_ ? framing::chunked : framing::until_close;
  } else if (seen_content_length_) {
    if (content_length_ > limits_.max_body_bytes) return fail(413, "body too large");
    framing_ = content_length_ > 0 ? framing::length : framing::none;
  } else {
    framing_ = framing::until_close;
  }
  resp_.keep_alive = framing_ != framing::until_close &&
                     (resp_.version_minor == 1 ? !conn_close_ : (conn_keep_alive_ && !conn_close_));
  return true;
}

void response_parser::fill(std::string_view data) {
  materialize_headers(data);
  resp_.reason = detail::view(data, reason_);
  resp_.headers = headers_;
  resp_.body = body_view(data);
}

}  // namespace lucid::http

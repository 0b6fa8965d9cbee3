// The HTTP/1.1 request and response parsers (see include/lucid/http/parser.hpp)
// and their machinery, body_decoder and message_parser (message_parser.hpp).
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

#include "message_parser.hpp"

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
  phase_ = phase::head;
  framing_ = framing::none;
  body_.reset();
  start_ = scan_ = line_start_ = head_end_ = 0;
  content_length_ = 0;
  seen_content_length_ = seen_transfer_encoding_ = false;
  te_count_ = 0;
  te_last_chunked_ = false;
  conn_close_ = conn_keep_alive_ = expect_continue_ = false;
  host_count_ = 0;
  host_invalid_ = false;
  offsets_.clear();
  headers_.clear();
}

namespace {

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) noexcept {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/// RFC 3986's unreserved and sub-delims: what a reg-name may hold besides
/// pct-encoded octets.
bool host_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':  // sub-delims
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

/// A Host field value per RFC 9112 3.2 / RFC 3986: uri-host [":" port], where
/// uri-host is an IP-literal ("[...]"), an IPv4 address or a reg-name; empty
/// is allowed (a target without authority).
bool valid_host(std::string_view v) noexcept {
  std::size_t i = 0;
  if (!v.empty() && v[0] == '[') {
    const std::size_t close = v.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (std::size_t k = 1; k < close; ++k) {
      // IPv6, IPvFuture and an RFC 6874 zone ("%25eth0").
      if (!is_hex(v[k]) && v[k] != ':' && v[k] != '.' && v[k] != '%' && !host_char(v[k]))
        return false;
    }
    i = close + 1;
  } else {
    while (i < v.size() && v[i] != ':') {
      if (v[i] == '%') {
        if (i + 2 >= v.size() || !is_hex(v[i + 1]) || !is_hex(v[i + 2])) return false;
        i += 3;
        continue;
      }
      if (!host_char(v[i])) return false;
      ++i;
    }
  }
  if (i == v.size()) return true;
  if (v[i] != ':') return false;
  for (++i; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  return true;
}

/// The result that rejects a message: the status to answer and why.
parse_result error_result(int status, const char* reason) noexcept {
  return parse_result{parse_status::error, 0, status, reason};
}
}  // namespace

bool message_parser::fail(int status, const char* reason) noexcept {
  phase_ = phase::error;
  error_ = error_result(status, reason);
  return false;
}

parse_result message_parser::run(std::string_view data, bool skip_leading_crlf) {
  if (phase_ == phase::error) return error_;
  if (phase_ == phase::head) {
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
    body_.start(framing_, head_end_, content_length_);
    phase_ = phase::body;
  }
  return body_.decode(data);
}

// ---- body_decoder ----

void body_decoder::reset() noexcept {
  error_ = {};
  state_ = state::idle;
  framing_ = framing::none;
  begin_ = pos_ = 0;
  content_length_ = chunk_left_ = body_size_ = 0;
  trailer_bytes_ = 0;
  chunked_body_.clear();
}

parse_result body_decoder::fail(int status, const char* reason) noexcept {
  state_ = state::error;
  error_ = error_result(status, reason);
  return error_;
}

void body_decoder::start(framing f, std::size_t begin, std::uint64_t content_length) noexcept {
  framing_ = f;
  begin_ = pos_ = begin;
  content_length_ = content_length;
  switch (f) {
    case framing::none:
      state_ = state::done;
      break;
    case framing::length:
      if (streaming_) {  // decoded like one chunk: no CRLF follows
        chunk_left_ = content_length;
        state_ = state::chunk_data;
      } else {
        state_ = state::length;
      }
      break;
    case framing::chunked:
      state_ = state::chunk_size;
      break;
    case framing::until_close:
      state_ = state::until_close;
      break;
  }
}

parse_result body_decoder::finish(std::string_view data) {
  if (state_ == state::until_close) {
    parse_result r = decode(data);  // checks the size limit
    if (r.status == parse_status::error) return r;
    pos_ = data.size();
    state_ = state::done;
    return decode(data);
  }
  if (state_ == state::done || state_ == state::error) return decode(data);
  return fail(400, "connection closed before the response was complete");
}

std::size_t body_decoder::take(std::string& out) {
  out.append(chunked_body_);
  chunked_body_.clear();
  body_size_ = 0;  // the limit bounds what one take() hands out
  const std::size_t drop = pos_;
  begin_ = 0;
  pos_ = 0;
  return drop;
}

std::string_view body_decoder::body(std::string_view data) const noexcept {
  if (streaming_) return {};  // handed out by take()
  switch (framing_) {
    case framing::length:
      return data.substr(begin_, static_cast<std::size_t>(content_length_));
    case framing::chunked:
      return chunked_body_;
    case framing::until_close:
      return data.substr(begin_);
    case framing::none:
      break;
  }
  return {};
}

parse_result body_decoder::decode(std::string_view data) {
  const char* p = data.data();
  const std::size_t n = data.size();
  for (;;) {
    switch (state_) {
      case state::idle:  // not reached: start() comes first
      case state::error:
        return error_;
      case state::done: {
        parse_result r;
        r.status = parse_status::complete;
        r.consumed = pos_;
        return r;
      }
      case state::length:
        if (n - begin_ < content_length_) return {};
        pos_ = begin_ + static_cast<std::size_t>(content_length_);
        state_ = state::done;
        break;
      case state::until_close:
        if (streaming_) {
          chunked_body_.append(p + pos_, n - pos_);
          pos_ = n;
          return {};
        }
        if (n - begin_ > limits_.max_body_bytes) return fail(413, "body too large");
        return {};
      case state::chunk_size: {
        const std::size_t window = std::min(n, pos_ + max_chunk_line);
        const void* lf = std::memchr(p + pos_, '\n', window - pos_);
        if (lf == nullptr) {
          if (n - pos_ >= max_chunk_line) {
            return fail(400, "chunk size line too long");
          }
          return {};
        }
        const std::size_t e = static_cast<std::size_t>(static_cast<const char*>(lf) - p);
        if (e == pos_ || p[e - 1] != '\r') {
          return fail(400, "bare LF in a chunk size line");
        }
        const std::size_t end = e - 1;
        std::size_t j = pos_;
        std::uint64_t size = 0;
        for (; j < end && k.hex[uc(p[j])] >= 0; ++j) {
          if ((size >> 60) != 0) {
            return fail(400, "chunk size overflows");
          }
          size = size * 16 + static_cast<std::uint64_t>(k.hex[uc(p[j])]);
        }
        if (j == pos_) {
          return fail(400, "bad chunk size");
        }
        while (j < end && is_ows(p[j]))
          ++j;
        if (j < end) {
          if (p[j] != ';') {
            return fail(400, "bad chunk size");
          }
          for (++j; j < end; ++j) {
            if (!k.head_ok[uc(p[j])]) {
              return fail(400, "control character in a chunk extension");
            }
          }
        }
        if (size > limits_.max_body_bytes - body_size_) {
          return fail(413, "body too large");
        }
        pos_ = e + 1;
        if (size == 0) {
          state_ = state::trailer;
        } else {
          chunk_left_ = size;
          state_ = state::chunk_data;
        }
        break;
      }
      case state::chunk_data: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(n - pos_, chunk_left_));
        chunked_body_.append(p + pos_, take);
        pos_ += take;
        chunk_left_ -= take;
        body_size_ += take;
        if (chunk_left_ != 0) return {};
        state_ = framing_ == framing::length ? state::done : state::chunk_crlf;
        break;
      }
      case state::chunk_crlf:
        if (n - pos_ < 2) {
          if (n > pos_ && p[pos_] != '\r') {
            return fail(400, "chunk data not followed by CRLF");
          }
          return {};
        }
        if (p[pos_] != '\r' || p[pos_ + 1] != '\n') {
          return fail(400, "chunk data not followed by CRLF");
        }
        pos_ += 2;
        state_ = state::chunk_size;
        break;
      case state::trailer: {
        const std::size_t allowance = limits_.max_head_bytes - trailer_bytes_;
        const std::size_t window = std::min(n, pos_ + allowance);
        const void* lf = std::memchr(p + pos_, '\n', window - pos_);
        if (lf == nullptr) {
          if (n - pos_ >= allowance) {
            return fail(431, "trailer section too large");
          }
          return {};
        }
        const std::size_t e = static_cast<std::size_t>(static_cast<const char*>(lf) - p);
        if (e == pos_ || p[e - 1] != '\r') {
          return fail(400, "bare LF in the trailer section");
        }
        const std::string_view line(p + pos_, e - 1 - pos_);
        trailer_bytes_ += e + 1 - pos_;
        pos_ = e + 1;
        if (line.empty()) {
          state_ = state::done;
          break;
        }
        if (!valid_field_line(line)) {
          return fail(400, "bad trailer field");
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
        if (iequals(name, "host")) {
          ++host_count_;
          if (!valid_host(value)) host_invalid_ = true;
        }
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

// ---- requests ----

/// request_parser's state: the message machinery plus the request line.
class request_parser_impl final : public message_parser {
 public:
  explicit request_parser_impl(parser_limits limits) noexcept : message_parser(limits) {}

  parse_result parse(std::string_view data);
  void reset() noexcept;

  request req_;

 private:
  bool parse_head(std::string_view data) override;
  void fill(std::string_view data);
  off_len method_, target_;
  std::uint8_t minor_ = 1;
  bool has_escape_ = false;   ///< the target's path has a '%'
  std::string decoded_path_;  ///< req_.path when it has (capacity kept across requests)
};

void request_parser_impl::reset() noexcept {
  message_parser::reset();
  req_ = request{};
  method_ = target_ = {};
  minor_ = 1;
  has_escape_ = false;
}

parse_result request_parser_impl::parse(std::string_view data) {
  parse_result r = run(data, true);
  if (r.status == parse_status::complete) fill(data);
  return r;
}

bool request_parser_impl::parse_head(std::string_view data) {
  const char* p = data.data();
  const std::size_t ls = start_;
  const std::size_t eol = static_cast<std::size_t>(
      static_cast<const char*>(std::memchr(p + ls, '\r', head_end_ - ls)) - p);
  std::size_t j = ls;
  while (j < eol && k.tchar[uc(p[j])])
    ++j;
  if (j == ls || j == eol || p[j] != ' ') return fail(400, "bad request line");
  method_ = mk(ls, j - ls);
  const std::size_t t = ++j;
  while (j < eol && p[j] > 0x20 && p[j] < 0x7f)
    ++j;
  if (j == t || j == eol || p[j] != ' ') return fail(400, "bad request line");
  target_ = mk(t, j - t);
  ++j;
  if (eol - j != 8 || std::memcmp(p + j, "HTTP/", 5) != 0 || !is_digit(p[j + 5]) ||
      p[j + 6] != '.' || !is_digit(p[j + 7])) {
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
  if (host_invalid_) return fail(400, "invalid Host");
  // The path's escapes: each '%' starts two hex digits, and none encodes NUL.
  for (std::size_t k = 0; k < tg.size() && tg[k] != '?'; ++k) {
    if (tg[k] != '%') continue;
    if (k + 2 >= tg.size() || !is_hex(tg[k + 1]) || !is_hex(tg[k + 2])) {
      return fail(400, "malformed percent-encoding in the path");
    }
    if (tg[k + 1] == '0' && tg[k + 2] == '0') return fail(400, "an encoded NUL in the path");
    has_escape_ = true;
    k += 2;
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

void request_parser_impl::fill(std::string_view data) {
  materialize_headers(data);
  req_.method_name = view(data, method_);
  req_.target = view(data, target_);
  std::string_view rest = req_.target;
  if (rest[0] != '/' && rest != "*") {  // absolute-form: skip scheme and authority
    rest.remove_prefix(rest.find("://") + 3);
    const std::size_t a = rest.find_first_of("/?");
    rest = a == std::string_view::npos ? std::string_view() : rest.substr(a);
  }
  const std::size_t q = rest.find('?');
  req_.raw_path = rest.substr(0, q);
  if (req_.raw_path.empty()) req_.raw_path = "/";
  req_.path = req_.raw_path;
  if (has_escape_) {
    // Checked in parse_head: every '%' has two hex digits.
    decoded_path_.clear();
    const std::string_view raw = req_.raw_path;
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '%' && k + 2 < raw.size()) {
        decoded_path_.push_back(
            static_cast<char>(hex_value(raw[k + 1]) * 16 + hex_value(raw[k + 2])));
        k += 2;
      } else {
        decoded_path_.push_back(raw[k]);
      }
    }
    req_.path = decoded_path_;
  }
  req_.query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  req_.headers = headers_;
  req_.body = body_.body(data);
}

// ---- responses ----

/// response_parser's state: the message machinery plus the status line.
class response_parser_impl final : public message_parser {
 public:
  explicit response_parser_impl(parser_limits limits) noexcept : message_parser(limits) {}

  parse_result parse(std::string_view data, bool head_request);
  parse_result finish(std::string_view data);
  void reset() noexcept;
  void stream_body(bool on) noexcept { body_.set_streaming(on); }
  std::size_t take_body(std::string& out) { return phase_ == phase::body ? body_.take(out) : 0; }

  response_view resp_;

 private:
  bool parse_head(std::string_view data) override;
  void fill(std::string_view data);
  off_len reason_;
  bool head_request_ = false;
};

void response_parser_impl::reset() noexcept {
  message_parser::reset();
  resp_ = response_view{};
  reason_ = {};
  head_request_ = false;
}

parse_result response_parser_impl::parse(std::string_view data, bool head_request) {
  const bool had_head = phase_ != phase::head;
  if (!had_head) head_request_ = head_request;
  parse_result r = run(data, false);
  if (body_.streaming()) {
    // The head's views are made once: take_body() drops its bytes later.
    if (!had_head && phase_ == phase::body) fill(data);
  } else if (r.status == parse_status::complete) {
    fill(data);
  }
  return r;
}

parse_result response_parser_impl::finish(std::string_view data) {
  if (phase_ == phase::error) return error_;
  if (phase_ == phase::head) {
    fail(400, "connection closed before the response was complete");
    return error_;
  }
  const bool until_close = body_.until_close();
  parse_result r = body_.finish(data);
  if (until_close && r.status == parse_status::complete && !body_.streaming()) fill(data);
  return r;
}

bool response_parser_impl::parse_head(std::string_view data) {
  const char* p = data.data();
  const std::size_t eol =
      static_cast<std::size_t>(static_cast<const char*>(std::memchr(p, '\r', head_end_)) - p);
  // HTTP/d.d SP ddd [SP reason]
  if (eol < 12 || std::memcmp(p, "HTTP/", 5) != 0 || !is_digit(p[5]) || p[6] != '.' ||
      !is_digit(p[7]) || p[8] != ' ' || !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) ||
      (eol > 12 && p[12] != ' ')) {
    return fail(400, "bad status line");
  }
  if (p[5] != '1') return fail(505, "unsupported HTTP version");
  resp_.version_minor = p[7] == '0' ? 0 : 1;
  resp_.status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
  if (resp_.status < 100) return fail(400, "bad status code");
  reason_ = eol > 12 ? mk(13, eol - 13) : off_len{};
  if (!parse_fields(data, eol + 2)) return false;

  const int s = resp_.status;
  if (head_request_ || s < 200 || s == 204 || s == 304) {
    framing_ = framing::none;
  } else if (seen_transfer_encoding_) {
    framing_ = te_last_chunked_ ? framing::chunked : framing::until_close;
  } else if (seen_content_length_) {
    if (content_length_ > limits_.max_body_bytes && !body_.streaming()) {
      return fail(413, "body too large");
    }
    framing_ = content_length_ > 0 ? framing::length : framing::none;
  } else {
    framing_ = framing::until_close;
  }
  resp_.keep_alive = framing_ != framing::until_close &&
                     (resp_.version_minor == 1 ? !conn_close_ : (conn_keep_alive_ && !conn_close_));
  return true;
}

void response_parser_impl::fill(std::string_view data) {
  materialize_headers(data);
  resp_.reason = view(data, reason_);
  resp_.headers = headers_;
  resp_.body = body_.body(data);
}

}  // namespace detail

// ---- the public parsers ----

request_parser::request_parser(parser_limits limits)
    : impl_(std::make_unique<detail::request_parser_impl>(limits)) {}
request_parser::request_parser(request_parser&&) noexcept = default;
request_parser& request_parser::operator=(request_parser&&) noexcept = default;
request_parser::~request_parser() = default;

parse_result request_parser::parse(std::string_view data) {
  return impl_->parse(data);
}
const request& request_parser::get() const noexcept {
  return impl_->req_;
}
request& request_parser::get() noexcept {
  return impl_->req_;
}
void request_parser::reset() noexcept {
  impl_->reset();
}
const parser_limits& request_parser::limits() const noexcept {
  return impl_->limits();
}
bool request_parser::head_complete() const noexcept {
  return impl_->head_complete();
}

response_parser::response_parser(parser_limits limits)
    : impl_(std::make_unique<detail::response_parser_impl>(limits)) {}
response_parser::response_parser(response_parser&&) noexcept = default;
response_parser& response_parser::operator=(response_parser&&) noexcept = default;
response_parser::~response_parser() = default;

parse_result response_parser::parse(std::string_view data, bool head_request) {
  return impl_->parse(data, head_request);
}
parse_result response_parser::finish(std::string_view data) {
  return impl_->finish(data);
}
const response_view& response_parser::get() const noexcept {
  return impl_->resp_;
}
void response_parser::reset() noexcept {
  impl_->reset();
}
const parser_limits& response_parser::limits() const noexcept {
  return impl_->limits();
}
bool response_parser::head_complete() const noexcept {
  return impl_->head_complete();
}
void response_parser::stream_body(bool on) noexcept {
  impl_->stream_body(on);
}
std::size_t response_parser::take_body(std::string& out) {
  return impl_->take_body(out);
}

}  // namespace lucid::http

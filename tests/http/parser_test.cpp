// lucid::http::request_parser and response_parser: framing, keep-alive rules,
// every error class with its status, and the incremental contract (the same
// answer whether the bytes come at once, one by one or in any split). The
// body decoder (private, src/http/message_parser.hpp) is tested on its own.
#include "lucid/http/parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "message_parser.hpp"

namespace {

using lucid::http::parse_result;
using lucid::http::parse_status;
using lucid::http::parser_limits;
using lucid::http::request_parser;
using lucid::http::response_parser;

/// Feeds `raw` one byte at a time (the buffer grows, as on a socket); the
/// first answer that is not need_more, which must match parsing it at once.
parse_result feed_bytewise(request_parser& p, std::string_view raw) {
  parse_result r;
  for (std::size_t i = 1; i <= raw.size(); ++i) {
    std::string copy(raw.substr(0, i));  // a fresh buffer each time: the data may move
    r = p.parse(copy);
    if (r.status != parse_status::need_more) return r;
  }
  return r;
}

struct outcome {
  parse_status status;
  std::size_t consumed;
  int error_status;
};

/// Parses `raw` at once and byte by byte; both must agree.
outcome parse_both(std::string_view raw, parser_limits limits = {}) {
  request_parser whole(limits);
  parse_result a = whole.parse(raw);
  request_parser bytewise(limits);
  parse_result b = feed_bytewise(bytewise, raw);
  EXPECT_EQ(static_cast<int>(a.status), static_cast<int>(b.status)) << raw;
  EXPECT_EQ(a.consumed, b.consumed) << raw;
  EXPECT_EQ(a.error_status, b.error_status) << raw;
  return {a.status, a.consumed, a.error_status};
}

int error_of(std::string_view raw, parser_limits limits = {}) {
  outcome o = parse_both(raw, limits);
  EXPECT_EQ(o.status, parse_status::error) << raw;
  return o.error_status;
}

TEST(RequestParser, SimpleGet) {
  const std::string raw = "GET /hello?x=1&y=2 HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\n\r\n";
  request_parser p;
  parse_result r = p.parse(raw);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, raw.size());
  const auto& req = p.get();
  EXPECT_EQ(req.method, lucid::http::method::get);
  EXPECT_EQ(req.method_name, "GET");
  EXPECT_EQ(req.target, "/hello?x=1&y=2");
  EXPECT_EQ(req.path, "/hello");
  EXPECT_EQ(req.query, "x=1&y=2");
  EXPECT_EQ(req.version_minor, 1);
  EXPECT_TRUE(req.keep_alive);
  EXPECT_FALSE(req.expect_continue);
  ASSERT_EQ(req.headers.size(), 2u);
  EXPECT_EQ(req.header("host"), "example");
  EXPECT_EQ(req.header("USER-AGENT"), "t");
  EXPECT_EQ(req.find_header("accept"), nullptr);
  EXPECT_EQ(req.header("accept", "none"), "none");
  EXPECT_TRUE(req.body.empty());
}

TEST(RequestParser, EveryPrefixNeedsMore) {
  const std::string raw = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t i = 0; i < raw.size(); ++i) {
    request_parser p;
    EXPECT_EQ(p.parse(std::string_view(raw).substr(0, i)).status, parse_status::need_more) << i;
  }
  outcome o = parse_both(raw);
  EXPECT_EQ(o.status, parse_status::complete);
  EXPECT_EQ(o.consumed, raw.size());
}

TEST(RequestParser, PipelinedRequestsInOneBuffer) {
  const std::string raw =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
  request_parser p;
  std::string_view rest = raw;
  std::vector<std::string> seen;
  while (!rest.empty()) {
    parse_result r = p.parse(rest);
    ASSERT_EQ(r.status, parse_status::complete);
    seen.push_back(std::string(p.get().path) + ":" + std::string(p.get().body));
    rest.remove_prefix(r.consumed);
    p.reset();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"/a:", "/b:xyz", "/c:"}));
}

TEST(RequestParser, HeaderValuesAreTrimmedAndNamesCaseInsensitive) {
  request_parser p;
  ASSERT_EQ(p.parse("GET / HTTP/1.1\r\nhOsT:   h  \t\r\nX-Empty:\r\nX-A: a b\r\n\r\n").status,
            parse_status::complete);
  EXPECT_EQ(p.get().header("Host"), "h");
  ASSERT_NE(p.get().find_header("x-empty"), nullptr);
  EXPECT_EQ(p.get().header("x-empty", "?"), "");
  EXPECT_EQ(p.get().header("x-a"), "a b");
}

TEST(RequestParser, LeadingEmptyLinesAreSkipped) {
  const std::string raw = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  outcome o = parse_both(raw);
  EXPECT_EQ(o.status, parse_status::complete);
  EXPECT_EQ(o.consumed, raw.size());
}

TEST(RequestParser, KeepAliveRules) {
  auto ka = [](std::string_view raw) {
    request_parser p;
    EXPECT_EQ(p.parse(raw).status, parse_status::complete) << raw;
    return p.get().keep_alive;
  };
  EXPECT_TRUE(ka("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(ka("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(ka("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n"));
  EXPECT_FALSE(ka("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(ka("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  EXPECT_FALSE(ka("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
  // A later 1.x minor version is handled as 1.1.
  request_parser p;
  ASSERT_EQ(p.parse("GET / HTTP/1.7\r\nHost: h\r\n\r\n").status, parse_status::complete);
  EXPECT_EQ(p.get().version_minor, 1);
}

TEST(RequestParser, ContentLengthBody) {
  request_parser p;
  const std::string raw = "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world";
  ASSERT_EQ(p.parse(raw).status, parse_status::complete);
  EXPECT_EQ(p.get().method, lucid::http::method::put);
  EXPECT_EQ(p.get().body, "hello world");
  EXPECT_FALSE(p.get().chunked);
  request_parser z;
  ASSERT_EQ(z.parse("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 000\r\n\r\n").status,
            parse_status::complete);
  EXPECT_TRUE(z.get().body.empty());
}

TEST(RequestParser, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string raw =
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5;name=value;x=\"q\"\r\nhello\r\n"
      "1 \t\r\n \r\n"
      "00000006\r\nworld!\r\n"
      "0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n";
  outcome o = parse_both(raw);
  ASSERT_EQ(o.status, parse_status::complete);
  EXPECT_EQ(o.consumed, raw.size());
  request_parser p;
  const std::string more = raw + "GET / HTTP/1.1\r\n";  // views point into it: keep it alive
  ASSERT_EQ(p.parse(more).status, parse_status::complete);
  EXPECT_TRUE(p.get().chunked);
  EXPECT_EQ(p.get().body, "hello world!");
  EXPECT_EQ(p.get().header("transfer-encoding"), "Chunked");
  EXPECT_EQ(p.get().find_header("x-checksum"), nullptr);  // trailers are dropped
}

TEST(RequestParser, ExpectContinueIsKnownBeforeTheBody) {
  request_parser p;
  const std::string head =
      "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n";
  EXPECT_EQ(p.parse(head).status, parse_status::need_more);
  EXPECT_TRUE(p.head_complete());
  EXPECT_TRUE(p.get().expect_continue);
  const std::string whole = head + "data";
  ASSERT_EQ(p.parse(whole).status, parse_status::complete);
  EXPECT_EQ(p.get().body, "data");
  request_parser old;  // HTTP/1.0 has no 100-continue
  ASSERT_EQ(old.parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").status,
            parse_status::complete);
  EXPECT_FALSE(old.get().expect_continue);
}

TEST(RequestParser, TargetForms) {
  request_parser p;
  ASSERT_EQ(p.parse("GET http://example.com:80/a/b?q HTTP/1.1\r\nHost: example.com\r\n\r\n").status,
            parse_status::complete);
  EXPECT_EQ(p.get().path, "/a/b");
  EXPECT_EQ(p.get().query, "q");
  p.reset();
  ASSERT_EQ(p.parse("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n").status,
            parse_status::complete);
  EXPECT_EQ(p.get().path, "/");
  p.reset();
  ASSERT_EQ(p.parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").status, parse_status::complete);
  EXPECT_EQ(p.get().path, "*");
  EXPECT_EQ(p.get().method, lucid::http::method::options);
  p.reset();
  ASSERT_EQ(p.parse("PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n").status, parse_status::complete);
  EXPECT_EQ(p.get().method, lucid::http::method::other);
  EXPECT_EQ(p.get().method_name, "PURGE");
  EXPECT_EQ(error_of("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET abc HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestParser, BadRequestLineIs400) {
  for (std::string_view raw : {
           "GET\r\nHost: h\r\n\r\n",
           "GET /\r\nHost: h\r\n\r\n",
           "GET / \r\nHost: h\r\n\r\n",
           "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
           "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
           "GET / http/1.1\r\nHost: h\r\n\r\n",
           "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
           "GET / HTTP/1\r\nHost: h\r\n\r\n",
           "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
           " GET / HTTP/1.1\r\nHost: h\r\n\r\n",
           "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n",
           "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
           "\r\n \r\n\r\n",
       }) {
    EXPECT_EQ(error_of(raw), 400) << raw;
  }
}

TEST(RequestParser, BareLineFeedsAndCarriageReturnsAre400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\nHost: h\n\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400);
  EXPECT_EQ(error_of("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\rHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nX: a\rb\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestParser, NulAndControlCharactersAre400) {
  using namespace std::string_literals;
  EXPECT_EQ(error_of("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n"s), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\0\r\n\r\n"s), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nX-\0: 1\r\nHost: h\r\n\r\n"s), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\x1b[0m\r\n\r\n"), 400);
  // HTAB and obs-text are allowed in values.
  EXPECT_EQ(parse_both("GET / HTTP/1.1\r\nHost: h\r\nX: a\tb \xe9\r\n\r\n").status,
            parse_status::complete);
}

TEST(RequestParser, MalformedHeadersAre400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost h\r\n\r\n"), 400);              // no colon
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);            // space before colon
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"), 400);           // tab before colon
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n: x\r\nHost: h\r\n\r\n"), 400);      // empty name
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n"), 400);  // obs-fold
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nX(y): 1\r\nHost: h\r\n\r\n"), 400);  // bad name
}

TEST(RequestParser, HostIsRequiredOnceInHttp11) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(parse_both("GET / HTTP/1.0\r\n\r\n").status, parse_status::complete);
}

TEST(RequestParser, AnInvalidHostValueIs400) {
  // RFC 9112 3.2: a Host whose value is not uri-host [":" port] is a 400.
  for (const char* bad : {"bad host/<x>@y", "a b", "a/b", "x@y", "h:8o", "[::1", "[]", "h:1:2",
                          "h%zz", "h%4", "<script>"}) {
    EXPECT_EQ(error_of(std::string("GET / HTTP/1.1\r\nHost: ") + bad + "\r\n\r\n"), 400) << bad;
  }
  for (const char* good :
       {"example.com", "example.com:8080", "127.0.0.1:80", "[::1]:6669", "[fe80::1%25eth0]",
        "h:", "a-b_c~d.e", "xn--bcher-kva.example", "h%41", "sub!$&'()*+,;=x"}) {
    EXPECT_EQ(parse_both(std::string("GET / HTTP/1.1\r\nHost: ") + good + "\r\n\r\n").status,
              parse_status::complete)
        << good;
  }
  // Empty is allowed (a target without an authority).
  EXPECT_EQ(parse_both("GET / HTTP/1.1\r\nHost:\r\n\r\n").status, parse_status::complete);
}

TEST(RequestParser, ThePathIsPercentDecodedAndTheRawTargetKept) {
  request_parser p;
  ASSERT_EQ(p.parse("GET /caf%C3%A9/a%20b%2Fc?q=%20 HTTP/1.1\r\nHost: h\r\n\r\n").status,
            parse_status::complete);
  EXPECT_EQ(p.get().path, "/caf\xC3\xA9/a b/c");
  EXPECT_EQ(p.get().raw_path, "/caf%C3%A9/a%20b%2Fc");
  EXPECT_EQ(p.get().target, "/caf%C3%A9/a%20b%2Fc?q=%20");
  EXPECT_EQ(p.get().query, "q=%20");  // the query is left as sent
  p.reset();
  ASSERT_EQ(p.parse("GET /plain HTTP/1.1\r\nHost: h\r\n\r\n").status, parse_status::complete);
  EXPECT_EQ(p.get().path, "/plain");
  EXPECT_EQ(p.get().raw_path, "/plain");
  for (const char* bad : {"/%zz", "/a%4", "/a%", "/%g0", "/a%00b"}) {
    EXPECT_EQ(error_of(std::string("GET ") + bad + " HTTP/1.1\r\nHost: h\r\n\r\n"), 400) << bad;
  }
  // An escape in the query is not the path's business.
  EXPECT_EQ(parse_both("GET /a?x=%zz HTTP/1.1\r\nHost: h\r\n\r\n").status, parse_status::complete);
}

TEST(RequestParser, ContentLengthErrors) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n"
                     "abc"),
            400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\n"
                     "abcd"),
            400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc"), 400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n"), 400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n"), 400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), 400);
}

TEST(RequestParser, TransferEncodingErrors) {
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n"), 400);
  EXPECT_EQ(error_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
}

std::string chunked(std::string_view body_part) {
  return "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
         std::string(body_part);
}

TEST(RequestParser, BadChunksAre400) {
  EXPECT_EQ(error_of(chunked("zz\r\nhello\r\n0\r\n\r\n")), 400);              // not hex
  EXPECT_EQ(error_of(chunked("\r\n")), 400);                                  // empty size
  EXPECT_EQ(error_of(chunked("-5\r\nhello\r\n0\r\n\r\n")), 400);              // sign
  EXPECT_EQ(error_of(chunked("0x5\r\nhello\r\n0\r\n\r\n")), 400);             // prefix
  EXPECT_EQ(error_of(chunked("5 5\r\nhello\r\n0\r\n\r\n")), 400);             // junk after size
  EXPECT_EQ(error_of(chunked("10000000000000000\r\n")), 400);                 // 2^64: overflow
  EXPECT_EQ(error_of(chunked("fffffffffffffffffffff\r\n")), 400);             // overflow
  EXPECT_EQ(error_of(chunked("5\nhello\r\n0\r\n\r\n")), 400);                 // bare LF
  EXPECT_EQ(error_of(chunked("5\r\nhelloXY0\r\n\r\n")), 400);                 // no CRLF after data
  EXPECT_EQ(error_of(chunked("5\r\nhello\n0\r\n\r\n")), 400);                 // LF only after data
  EXPECT_EQ(error_of(chunked("5;a=\x01\r\nhello\r\n0\r\n\r\n")), 400);        // CTL in extension
  EXPECT_EQ(error_of(chunked("0\r\nno colon\r\n\r\n")), 400);                 // bad trailer
  EXPECT_EQ(error_of(chunked("0\r\nX: y\n\r\n")), 400);                       // bare LF in trailer
  EXPECT_EQ(error_of(chunked(std::string(5000, '1'))), 400);                  // endless size line
  EXPECT_EQ(error_of(chunked("1;" + std::string(5000, 'x') + "\r\n")), 400);  // endless extension
}

TEST(RequestParser, HeadOver16KiBIs431) {
  const std::string big(std::size_t{17} * 1024, 'a');
  EXPECT_EQ(error_of("GET /" + big + " HTTP/1.1\r\nHost: h\r\n\r\n"), 431);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + big + "\r\n\r\n"), 431);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + big), 431);  // no end in sight
  // Exactly at the limit is fine; one byte more is not.
  parser_limits small;
  small.max_head_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  std::string exact = head + std::string(64 - head.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 64u);
  EXPECT_EQ(parse_both(exact, small).status, parse_status::complete);
  EXPECT_EQ(error_of(head + std::string(64 - head.size() - 3, 'v') + "\r\n\r\n", small), 431);
}

TEST(RequestParser, TooManyHeadersIs431) {
  std::string raw = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 200; ++i)
    raw += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(error_of(raw + "\r\n"), 431);
}

TEST(RequestParser, TrailerSectionOverTheHeadLimitIs431) {
  parser_limits small;
  small.max_head_bytes = 100;
  EXPECT_EQ(error_of(chunked("0\r\nX: " + std::string(200, 'v') + "\r\n\r\n"), small), 431);
}

TEST(RequestParser, BodyOverTheLimitIs413) {
  parser_limits small;
  small.max_body_bytes = 10;
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", small), 413);
  EXPECT_EQ(parse_both("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", small)
                .status,
            parse_status::complete);
  EXPECT_EQ(error_of(chunked("6\r\nabcdef\r\n5\r\nghijk\r\n0\r\n\r\n"), small), 413);
  EXPECT_EQ(parse_both(chunked("6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n"), small).status,
            parse_status::complete);
  EXPECT_EQ(
      error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
      413);
  EXPECT_EQ(error_of(chunked("ffffffffffffffff\r\n")), 413);
}

TEST(RequestParser, UnsupportedVersionIs505) {
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTP/0.9\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTP/3.1\r\nHost: h\r\n\r\n"), 505);
}

TEST(RequestParser, ErrorsAreSticky) {
  request_parser p;
  parse_result r = p.parse("GET / HTTP/1.1\nHost: h\r\n\r\n");
  ASSERT_EQ(r.status, parse_status::error);
  EXPECT_STRNE(r.reason, "");
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status, parse_status::error);
  p.reset();
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status, parse_status::complete);
}

// ---- responses ----

TEST(ResponseParser, ContentLength) {
  response_parser p;
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nDate: x\r\n\r\nHello World!";
  for (std::size_t i = 0; i < raw.size(); ++i) {
    response_parser q;
    EXPECT_EQ(q.parse(std::string_view(raw).substr(0, i)).status, parse_status::need_more);
  }
  const std::string more = raw + "HTTP/1.1";
  parse_result r = p.parse(more);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, raw.size());
  EXPECT_EQ(p.get().status, 200);
  EXPECT_EQ(p.get().reason, "OK");
  EXPECT_EQ(p.get().body, "Hello World!");
  EXPECT_TRUE(p.get().keep_alive);
  ASSERT_EQ(p.get().headers.size(), 2u);
}

TEST(ResponseParser, Chunked) {
  response_parser p;
  const std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\n";
  ASSERT_EQ(p.parse(raw).status, parse_status::complete);
  EXPECT_EQ(p.get().body, "abcde");
}

TEST(ResponseParser, ReadUntilClose) {
  response_parser p;
  const std::string raw = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it";
  EXPECT_EQ(p.parse(raw).status, parse_status::need_more);
  parse_result r = p.finish(raw);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(p.get().body, "all of it");
  EXPECT_FALSE(p.get().keep_alive);
  response_parser q;  // truncated Content-Length body
  const std::string cut = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
  EXPECT_EQ(q.parse(cut).status, parse_status::need_more);
  EXPECT_EQ(q.finish(cut).status, parse_status::error);
}

/// Streams `raw` through p in pieces of `step` bytes the way the client
/// does (drop what take_body() says after each parse); answers the last
/// parse_result and appends the body to `body`. `at_eof`: finish() at the end.
parse_result stream_through(response_parser& p, std::string_view raw, std::size_t step,
                            std::string& body, std::string& next, bool at_eof = false) {
  std::string buf;
  parse_result r;
  for (std::size_t i = 0; i < raw.size(); i += step) {
    buf.append(raw.substr(i, step));
    r = p.parse(buf);
    if (r.status == parse_status::error) return r;
    if (p.head_complete()) buf.erase(0, p.take_body(body));
    if (r.status == parse_status::complete) {
      next = buf;
      return r;
    }
  }
  if (at_eof) {
    r = p.finish(buf);
    if (r.status == parse_status::complete) buf.erase(0, p.take_body(body));
  }
  next = buf;
  return r;
}

TEST(ResponseParser, StreamedBodiesInAnySplit) {
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n"
      "3\r\nabc\r\n2;x\r\nde\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n";
  const std::string length = "HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\nabcde0123456789abcdef";
  for (std::size_t step = 1; step <= chunked.size(); ++step) {
    for (const std::string* raw : {&chunked, &length}) {
      response_parser p;
      p.stream_body(true);
      std::string body, next;
      parse_result r =
          stream_through(p, *raw + "HTTP/1.1 204 No Content\r\n\r\n", step, body, next);
      ASSERT_EQ(r.status, parse_status::complete) << step;
      EXPECT_EQ(body, "abcde0123456789abcdef") << step;
      EXPECT_TRUE(p.get().body.empty());
      EXPECT_EQ(p.get().status, 200);
      EXPECT_TRUE(p.get().keep_alive);
      // What follows the response stays for the next one.
      EXPECT_EQ(std::string_view("HTTP/1.1 204 No Content\r\n\r\n").substr(0, next.size()), next)
          << step;
    }
  }
}

TEST(ResponseParser, StreamedHeadIsReadyBeforeTheBody) {
  response_parser p;
  p.stream_body(true);
  std::string buf =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
      "chunked\r\n\r\n5\r\nhel";
  EXPECT_EQ(p.parse(buf).status, parse_status::need_more);
  ASSERT_TRUE(p.head_complete());
  ASSERT_EQ(p.get().headers.size(), 2u);
  EXPECT_EQ(p.get().headers[0].value, "text/event-stream");
  std::string body;
  buf.erase(0, p.take_body(body));
  EXPECT_EQ(body, "hel");
  EXPECT_TRUE(buf.empty());
  buf += "lo\r\n";
  EXPECT_EQ(p.parse(buf).status, parse_status::need_more);
  buf.erase(0, p.take_body(body));
  EXPECT_EQ(body, "hello");
}

TEST(ResponseParser, StreamedBodyLimitBoundsOnePieceNotTheBody) {
  response_parser p({.max_head_bytes = 1024, .max_body_bytes = 16, .max_headers = 8});
  p.stream_body(true);
  std::string body, next;
  std::string raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i)
    raw += "5\r\nabcde\r\n";
  raw += "0\r\n\r\n";
  // Fed 10 bytes at a time (taken after each), 50 bytes pass a limit of 16.
  ASSERT_EQ(stream_through(p, raw, 10, body, next).status, parse_status::complete);
  EXPECT_EQ(body.size(), 50u);
  response_parser q({.max_head_bytes = 1024, .max_body_bytes = 16, .max_headers = 8});
  q.stream_body(true);
  body.clear();
  EXPECT_EQ(stream_through(q, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n", 100,
                           body, next)
                .error_status,
            413);  // one chunk over the limit
}

TEST(ResponseParser, StreamedUntilCloseBody) {
  for (std::size_t step : {1u, 3u, 100u}) {
    response_parser p;
    p.stream_body(true);
    std::string body, next;
    auto r = stream_through(p, "HTTP/1.0 200 OK\r\n\r\nall of it", step, body, next, true);
    ASSERT_EQ(r.status, parse_status::complete) << step;
    EXPECT_EQ(body, "all of it");
    EXPECT_FALSE(p.get().keep_alive);
    EXPECT_TRUE(next.empty());
  }
}

TEST(ResponseParser, NoBodyForHeadAnd204And304And1xx) {
  response_parser p;
  ASSERT_EQ(p.parse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", true).status,
            parse_status::complete);
  EXPECT_TRUE(p.get().body.empty());
  for (std::string_view raw :
       {"HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 304 Not Modified\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n"}) {
    response_parser q;
    parse_result r = q.parse(raw);
    ASSERT_EQ(r.status, parse_status::complete) << raw;
    EXPECT_EQ(r.consumed, raw.size());
  }
}

TEST(ResponseParser, StatusLineForms) {
  response_parser p;
  ASSERT_EQ(p.parse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").status, parse_status::complete);
  EXPECT_EQ(p.get().status, 404);
  EXPECT_EQ(p.get().reason, "");
  for (std::string_view raw : {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
                               "HTTX/1.1 200 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n"}) {
    response_parser q;
    EXPECT_EQ(q.parse(raw).status, parse_status::error) << raw;
  }
  response_parser c;
  ASSERT_EQ(c.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").status,
            parse_status::complete);
  EXPECT_FALSE(c.get().keep_alive);
}

// ---- the body decoder alone ----

using lucid::http::detail::body_decoder;
using lucid::http::detail::framing;

TEST(BodyDecoder, ContentLengthStartsWhereItIsTold) {
  body_decoder d({});
  const std::string data = "HEAD....hello!rest";
  d.start(framing::length, 8, 6);
  EXPECT_EQ(d.decode(std::string_view(data).substr(0, 12)).status, parse_status::need_more);
  parse_result r = d.decode(data);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, 14u);
  EXPECT_EQ(d.body(data), "hello!");
}

TEST(BodyDecoder, ChunkedInPiecesWithTrailers) {
  body_decoder d({});
  const std::string data = "xx4;ext\r\nwiki\r\n5\r\npedia\r\n0\r\nT: v\r\n\r\nnext";
  d.start(framing::chunked, 2, 0);
  parse_result r;
  for (std::size_t i = 2; i <= data.size(); ++i) {
    r = d.decode(std::string_view(data).substr(0, i));
    if (r.status != parse_status::need_more) break;
  }
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, data.size() - 4);
  EXPECT_EQ(d.body(data), "wikipedia");
}

TEST(BodyDecoder, ErrorsAreStickyUntilReset) {
  parser_limits small;
  small.max_body_bytes = 4;
  body_decoder d(small);
  d.start(framing::chunked, 0, 0);
  parse_result r = d.decode("5\r\nhello\r\n0\r\n\r\n");
  ASSERT_EQ(r.status, parse_status::error);
  EXPECT_EQ(r.error_status, 413);
  EXPECT_EQ(d.decode("").status, parse_status::error);
  d.reset();
  d.start(framing::chunked, 0, 0);
  EXPECT_EQ(d.decode("zz\r\n").error_status, 400);
}

TEST(BodyDecoder, UntilCloseCompletesOnlyAtFinish) {
  body_decoder d({});
  const std::string data = "all of it";
  d.start(framing::until_close, 0, 0);
  EXPECT_TRUE(d.until_close());
  EXPECT_EQ(d.decode(data).status, parse_status::need_more);
  parse_result r = d.finish(data);
  ASSERT_EQ(r.status, parse_status::complete);
  EXPECT_EQ(r.consumed, data.size());
  EXPECT_EQ(d.body(data), "all of it");
  body_decoder cut({});  // a Content-Length body cut short by the end of stream
  cut.start(framing::length, 0, 10);
  EXPECT_EQ(cut.finish("abc").error_status, 400);
}

}  // namespace

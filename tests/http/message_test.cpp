// lucid/http/request.hpp and response.hpp: method names, case-insensitive
// header lookup, reason phrases, response helpers.
#include <gtest/gtest.h>

#include "lucid/http/request.hpp"
#include "lucid/http/response.hpp"

namespace {

using lucid::http::method;

TEST(HttpMessage, MethodNames) {
  EXPECT_EQ(lucid::http::method_from("GET"), method::get);
  EXPECT_EQ(lucid::http::method_from("DELETE"), method::delete_);
  EXPECT_EQ(lucid::http::method_from("PATCH"), method::patch);
  EXPECT_EQ(lucid::http::method_from("get"), method::other);  // methods are case-sensitive
  EXPECT_EQ(lucid::http::method_from("PURGE"), method::other);
  EXPECT_EQ(lucid::http::to_string(method::options), "OPTIONS");
  EXPECT_EQ(lucid::http::to_string(method::other), "");
}

TEST(HttpMessage, CaseInsensitiveEquality) {
  EXPECT_TRUE(lucid::http::iequals("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(lucid::http::iequals("content-length", "content-lengt"));
  EXPECT_FALSE(lucid::http::iequals("a", "b"));
  EXPECT_TRUE(lucid::http::iequals("", ""));
}

TEST(HttpMessage, RequestHeaderLookup) {
  const lucid::http::header_view hs[] = {{"Host", "h"}, {"X-A", "1"}, {"x-a", "2"}};
  lucid::http::request r;
  r.headers = hs;
  EXPECT_EQ(r.header("HOST"), "h");
  EXPECT_EQ(r.header("x-A"), "1");  // the first one
  EXPECT_EQ(r.find_header("missing"), nullptr);
  EXPECT_EQ(r.header("missing", "dflt"), "dflt");
}

TEST(HttpMessage, ReasonPhrases) {
  EXPECT_EQ(lucid::http::reason_phrase(200), "OK");
  EXPECT_EQ(lucid::http::reason_phrase(404), "Not Found");
  EXPECT_EQ(lucid::http::reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(lucid::http::reason_phrase(799), "Unknown");
}

TEST(HttpMessage, ResponseHelpers) {
  auto r = lucid::http::response::text(404, "nope\n").with_header("X-Id", "7");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "nope\n");
  EXPECT_EQ(r.header_value("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header_value("x-id"), "7");
  EXPECT_EQ(r.find_header("none"), nullptr);
  lucid::http::response d;
  EXPECT_EQ(d.status, 200);
  EXPECT_TRUE(d.body.empty());
}

}  // namespace

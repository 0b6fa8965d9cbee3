// src/console/server/assets.hpp: how the console server answers the web
// page's paths, with the embedded files replaced by this test's own table
// (web_files() below), built or not built.
#include "server/assets.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lucid::console::detail {

namespace {
bool g_built = true;
const unsigned char k_index[] = {'<', 'p', '>', 'h', 'i'};
const unsigned char k_app[] = {'1', ';'};
const web_file k_files[] = {{"/index.html", k_index, sizeof k_index},
                            {"/assets/app.js", k_app, sizeof k_app}};
}  // namespace

std::span<const web_file> web_files() noexcept {
  if (!g_built) return {};
  return k_files;
}

namespace {

TEST(ConsoleAssets, TheRootIsTheIndexWithItsSecurityHeaders) {
  g_built = true;
  for (const char* path : {"/", "/index.html"}) {
    auto r = web_response(path);
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "<p>hi");
    EXPECT_EQ(r->header_value("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r->header_value("content-security-policy"), k_web_csp);
    EXPECT_EQ(r->header_value("x-content-type-options"), "nosniff");
  }
}

TEST(ConsoleAssets, AnAssetHasItsContentTypeAnUnknownOneIs404) {
  g_built = true;
  auto js = web_response("/assets/app.js");
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, "1;");
  EXPECT_EQ(js->header_value("content-type"), "text/javascript; charset=utf-8");
  auto missing = web_response("/assets/none.css");
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->header_value("content-type"), "application/json");
}

TEST(ConsoleAssets, OtherPathsAreNotThePages) {
  for (const char* path : {"/api/v1/snapshot", "/index.htm", "/assets", "/x/assets/app.js"})
    EXPECT_FALSE(web_response(path).has_value()) << path;
}

TEST(ConsoleAssets, WithoutThePageTheRootSaysHowToBuildIt) {
  g_built = false;
  auto r = web_response("/");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header_value("content-type").substr(0, 10), "text/plain");
  EXPECT_NE(r->body.find("web console page was not built"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("scripts/setup.sh"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("/api/v1/events"), std::string::npos) << r->body;
  EXPECT_EQ(web_response("/assets/app.js")->status, 404);
  g_built = true;
}

TEST(ConsoleAssets, ContentTypes) {
  EXPECT_EQ(web_content_type("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(web_content_type("a.svg"), "image/svg+xml");
  EXPECT_EQ(web_content_type("a.bin"), "application/octet-stream");
}

}  // namespace
}  // namespace lucid::console::detail

// The server's tracing: each request runs in a span
// http.request{method, path, status}; a valid W3C traceparent adds trace_id
// and parent_span_id (shown by the json format), an invalid one is ignored;
// handler events are inside the span; a handler exception is an error event
// in it.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lucid/http/client.hpp"
#include "lucid/http/server.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/trace/dispatch.hpp"
#include "lucid/trace/subscriber/fmt_layer.hpp"
#include "lucid/trace/subscriber/registry.hpp"
#include "lucid/trace/trace.hpp"
#include "mock_subscriber.hpp"

using lucid::task;
using lucid::http::request;
using lucid::http::response;
namespace lt = lucid::trace;

namespace {

/// Records spans, recorded fields and events (thread-safe).
class recorder final : public lt::subscriber {
 public:
  struct span_rec {
    lt::span_id id;
    std::string name, target, fields;
  };
  struct event_rec {
    lt::span_id parent;
    lt::level lvl;
    std::string message, fields;
  };

  bool enabled(const lt::metadata&, lt::span_ref) override { return true; }
  void* new_span(const lt::span_attributes& a) override {
    std::lock_guard g(mu);
    spans.push_back({a.id, a.meta->name, a.meta->target, lt::testing::fields_text(a.fields)});
    return nullptr;
  }
  void record(lt::span_ref s, std::span<const lt::field_ref> f) override {
    std::lock_guard g(mu);
    records.emplace_back(s.id, lt::testing::fields_text(f));
  }
  void on_event(const lt::event& e) override {
    std::lock_guard g(mu);
    events.push_back(
        {e.parent.id, e.meta->lvl, lt::testing::message_of(e), lt::testing::fields_text(e.fields)});
  }
  void close(lt::span_ref) override {}

  /// The http.request spans, in creation order.
  std::vector<span_rec> requests() {
    std::lock_guard g(mu);
    std::vector<span_rec> out;
    for (auto& s : spans) {
      if (s.name == "http.request") out.push_back(s);
    }
    return out;
  }
  std::string recorded(lt::span_id id) {
    std::lock_guard g(mu);
    std::string out;
    for (auto& [sid, text] : records) {
      if (sid == id) out += text;
    }
    return out;
  }

  std::mutex mu;
  std::vector<span_rec> spans;
  std::vector<std::pair<lt::span_id, std::string>> records;
  std::vector<event_rec> events;
};

void routes(lucid::http::server& s) {
  s.get("/", [](request&) -> task<response> {
    LUCID_INFO("inside the handler");
    co_return response(200, "ok");
  });
  s.get("/throw", [](request&) -> task<response> {
    throw std::runtime_error("boom");
    co_return response(200);
  });
}

/// Runs a server and a client on one current-thread runtime (so a scoped
/// subscriber on this thread sees everything) and sends the requests.
void exchange(const std::vector<std::pair<std::string, std::vector<lucid::http::header>>>& reqs) {
  auto rt = lucid::runtime::current_thread();
  lucid::http::server srv;
  routes(srv);
  auto addr = srv.bind("127.0.0.1:0");
  ASSERT_TRUE(addr);
  rt.block_on(
      [](lucid::http::server& srv, std::string addr,
         std::vector<std::pair<std::string, std::vector<lucid::http::header>>> reqs) -> task<void> {
        auto serving = lucid::spawn(srv.serve());
        lucid::http::client c(addr);
        for (auto& [target, headers] : reqs) {
          auto r = co_await c.get(target, headers);
          EXPECT_TRUE(r) << r.error().describe();
        }
        c.close();
        srv.shutdown();
        auto done = co_await serving;
        EXPECT_TRUE(done);
      }(srv, addr->to_string(), reqs));
}

constexpr const char* k_traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(HttpTrace, EachRequestRunsInASpanWithItsStatus) {
  auto rec = std::make_shared<recorder>();
  lt::scoped_default guard(rec);
  exchange({{"/", {}}, {"/missing?q=1", {}}});
  auto spans = rec->requests();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].target, "lucid.http");
  EXPECT_EQ(spans[0].fields, "method=\"GET\" path=\"/\"");
  EXPECT_EQ(rec->recorded(spans[0].id), "status=200");
  EXPECT_EQ(spans[1].fields, "method=\"GET\" path=\"/missing\"");
  EXPECT_EQ(rec->recorded(spans[1].id), "status=404");
  // The handler's event is inside the request span.
  std::lock_guard g(rec->mu);
  bool found = false;
  for (auto& e : rec->events) {
    if (e.message == "inside the handler") {
      found = true;
      EXPECT_EQ(e.parent, spans[0].id);
    }
  }
  EXPECT_TRUE(found);
}

TEST(HttpTrace, TraceparentBecomesTheRemoteParent) {
  auto rec = std::make_shared<recorder>();
  lt::scoped_default guard(rec);
  exchange({{"/", {{"traceparent", k_traceparent}}},
            {"/", {{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"}}},
            {"/", {{"traceparent", "garbage"}}}});
  auto spans = rec->requests();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].fields,
            "method=\"GET\" path=\"/\" trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\" "
            "parent_span_id=\"00f067aa0ba902b7\"");
  EXPECT_EQ(spans[1].fields, "method=\"GET\" path=\"/\"");  // invalid: ignored
  EXPECT_EQ(spans[2].fields, "method=\"GET\" path=\"/\"");
}

TEST(HttpTrace, HandlerExceptionIsAnErrorEventInTheSpan) {
  auto rec = std::make_shared<recorder>();
  lt::scoped_default guard(rec);
  exchange({{"/throw", {}}});
  auto spans = rec->requests();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(rec->recorded(spans[0].id), "status=500");
  std::lock_guard g(rec->mu);
  bool found = false;
  for (auto& e : rec->events) {
    if (e.lvl == lt::level::error) {
      found = true;
      EXPECT_EQ(e.parent, spans[0].id);
      EXPECT_EQ(e.fields, "exception=\"boom\"");
    }
  }
  EXPECT_TRUE(found);
}

TEST(HttpTrace, JsonOutputShowsTheRemoteParent) {
  auto out = std::make_shared<lt::string_writer>();
  lt::fmt_options o;
  o.format = lt::log_format::json;
  o.ansi = lt::ansi_mode::never;
  auto reg = std::make_shared<lt::registry>();
  reg->with(std::make_shared<lt::fmt_layer>(out, o));
  {
    lt::scoped_default guard(reg);
    exchange({{"/", {{"traceparent", k_traceparent}}}});
  }
  const std::string text = out->str();
  const auto line_at = text.find("inside the handler");
  ASSERT_NE(line_at, std::string::npos) << text;
  const std::string line = text.substr(text.rfind('\n', line_at) + 1,
                                       text.find('\n', line_at) - text.rfind('\n', line_at) - 1);
  EXPECT_NE(line.find("\"name\":\"http.request\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\""), std::string::npos)
      << line;
  EXPECT_NE(line.find("\"parent_span_id\":\"00f067aa0ba902b7\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"method\":\"GET\""), std::string::npos) << line;
}

}  // namespace

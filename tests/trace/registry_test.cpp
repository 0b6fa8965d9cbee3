// Tests of lucid/trace/subscriber/registry.hpp (and layer.hpp): span records,
// layers, global and per-layer filters, timings, the record pool.
#include "lucid/trace/subscriber/registry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lucid/trace/trace.hpp"

namespace lucid::trace {
namespace {

// A layer that journals what it sees.
struct journal_layer : layer {
  std::vector<std::string> log;
  bool timing = false;
  void on_new_span(const span_attributes& a, span_record& r) override {
    log.push_back(std::string("new ") + a.meta->name + (r.parent ? " in " : "") +
                  (r.parent ? r.parent->meta->name : ""));
  }
  void on_record(span_record& r, std::span<const field_ref>) override {
    log.push_back(std::string("record ") + r.meta->name);
  }
  void on_follows_from(span_record& r, span_record& c) override {
    log.push_back(std::string(r.meta->name) + " follows " + c.meta->name);
  }
  void on_event(const event& e, span_record* parent) override {
    log.push_back("event " + e.message() +
                  (parent ? std::string(" in ") + parent->meta->name : ""));
  }
  void on_enter(span_record& r) override { log.push_back(std::string("enter ") + r.meta->name); }
  void on_exit(span_record& r) override { log.push_back(std::string("exit ") + r.meta->name); }
  void on_close(span_record& r) override {
    log.push_back(std::string("close ") + r.meta->name);
    if (timing) {
      log.push_back("busy " + std::to_string(r.busy_ns) + " idle " + std::to_string(r.idle_ns));
    }
  }
  bool wants_timing() const override { return timing; }
};

std::uint64_t g_now = 0;
std::uint64_t fake_clock() noexcept {
  return g_now;
}

TEST(Registry, LayersSeeTheLifecycle) {
  auto reg = std::make_shared<registry>();
  auto j = std::make_shared<journal_layer>();
  reg->with(j);
  scoped_default g(reg);
  {
    auto parent = LUCID_INFO_SPAN("parent", ("status", empty));
    auto pe = parent.enter();
    auto child = LUCID_INFO_SPAN("child");
    child.follows_from(parent);
    parent.record("status", 200);
    LUCID_INFO("hello {}", 1);
    EXPECT_EQ(reg->live_spans(), 2u);
  }
  EXPECT_EQ(reg->live_spans(), 0u);
  std::vector<std::string> want = {
      "new parent",           "enter parent",  "new child in parent",
      "child follows parent", "record parent", "event hello 1 in parent",
      "close child",          "exit parent",   "close parent"};
  EXPECT_EQ(j->log, want);
}

TEST(Registry, ChildKeepsParentAlive) {
  auto reg = std::make_shared<registry>();
  auto j = std::make_shared<journal_layer>();
  reg->with(j);
  scoped_default g(reg);
  span child;
  {
    auto parent = LUCID_INFO_SPAN("parent");
    auto e = parent.enter();
    child = LUCID_INFO_SPAN("child");
  }
  EXPECT_EQ(reg->live_spans(), 2u);  // parent's handle is gone, the child holds it
  child = span();
  EXPECT_EQ(reg->live_spans(), 0u);
  EXPECT_EQ(j->log.back(), "close parent");
}

TEST(Registry, RecordsStoreOwnedFields) {
  auto reg = std::make_shared<registry>();
  reg->with(std::make_shared<journal_layer>());
  scoped_default g(reg);
  std::string temp = "temporary";
  auto s = LUCID_INFO_SPAN("s", ("name", temp), ("n", 3), ("later", empty));
  temp = "changed";
  span_record* r = registry::record_of(s.ref());
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->fields.size(), 3u);
  EXPECT_EQ(r->fields[0].text, "temporary");
  EXPECT_EQ(r->fields[1].i, 3);
  EXPECT_EQ(r->fields[2].kind, value_kind::none);
  s.record("later", 1.5);
  s.record("extra", true);
  EXPECT_EQ(r->fields[2].kind, value_kind::f64);
  ASSERT_EQ(r->fields.size(), 4u);
  EXPECT_TRUE(r->fields[3].b);
}

TEST(Registry, GlobalFilterDisablesForAllLayers) {
  auto reg = std::make_shared<registry>();
  auto a = std::make_shared<journal_layer>();
  reg->with_filter(std::make_shared<max_level_filter>(level_filter::warn)).with(a);
  scoped_default g(reg);
  if (global_default() == nullptr) {  // alone in the process (as under ctest)
    EXPECT_EQ(max_level(), level_filter::warn);
  }
  LUCID_INFO("dropped");
  LUCID_WARN("kept");
  EXPECT_EQ(a->log, std::vector<std::string>{"event kept"});
}

TEST(Registry, PerLayerFilters) {
  auto reg = std::make_shared<registry>();
  auto verbose = std::make_shared<journal_layer>();
  auto quiet = std::make_shared<journal_layer>();
  reg->with(verbose, std::make_shared<max_level_filter>(level_filter::debug))
      .with(quiet, std::make_shared<max_level_filter>(level_filter::warn));
  scoped_default g(reg);
  if (global_default() == nullptr) {  // alone in the process (as under ctest)
    EXPECT_EQ(max_level(), level_filter::debug);
  }
  LUCID_TRACE("t");
  LUCID_DEBUG("d");
  LUCID_ERROR("e");
  { auto s = LUCID_DEBUG_SPAN("dbg"); }
  EXPECT_EQ(verbose->log, (std::vector<std::string>{"event d", "event e", "new dbg", "close dbg"}));
  EXPECT_EQ(quiet->log, (std::vector<std::string>{"event e"}));
}

TEST(Registry, BusyAndIdleTime) {
  auto reg = std::make_shared<registry>();
  auto j = std::make_shared<journal_layer>();
  j->timing = true;
  reg->with(j).set_clock(&fake_clock);
  scoped_default g(reg);
  g_now = 1000;
  {
    auto s = LUCID_INFO_SPAN("timed");
    g_now += 5;  // idle 5
    {
      auto e = s.enter();
      g_now += 100;  // busy 100
    }
    g_now += 20;  // idle 20
    {
      auto e = s.enter();
      g_now += 7;  // busy 7
    }
    g_now += 1;  // idle 1
  }
  EXPECT_EQ(j->log.back(), "busy 107 idle 26");
}

TEST(Registry, PoolReusesRecordsWithFreshIds) {
  auto reg = std::make_shared<registry>();
  reg->with(std::make_shared<journal_layer>());
  scoped_default g(reg);
  span_id first;
  void* handle;
  {
    auto s = LUCID_INFO_SPAN("s");
    first = s.id();
    handle = s.ref().handle;
  }
  auto s = LUCID_INFO_SPAN("s");
  EXPECT_EQ(s.ref().handle, handle);  // the record is reused
  EXPECT_NE(s.id(), first);           // the id is not
}

TEST(Registry, NoLayersMeansDisabled) {
  auto reg = std::make_shared<registry>();
  scoped_default g(reg);
  auto s = LUCID_INFO_SPAN("s");
  EXPECT_TRUE(s.is_none());
}

}  // namespace
}  // namespace lucid::trace

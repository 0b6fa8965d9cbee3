// An expectation-based mock subscriber (GoogleMock) and helpers to match
// events and spans by message, target and fields.
//
// Contract: test-only. make_mock() returns a StrictMock that already allows
// register_callsite / max_level_hint / enabled (answered "always", trace,
// true), so a test states only the span and event calls it expects.
#pragma once

#include <gmock/gmock.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lucid/trace/trace.hpp"

namespace lucid::trace::testing {

class mock_subscriber : public subscriber {
 public:
  MOCK_METHOD(interest, register_callsite, (const metadata& meta), (override));
  MOCK_METHOD(bool, enabled, (const metadata& meta, span_ref parent), (override));
  MOCK_METHOD(level_filter, max_level_hint, (), (override));
  MOCK_METHOD(void*, new_span, (const span_attributes& attrs), (override));
  MOCK_METHOD(void, record, (span_ref span, std::span<const field_ref> fields), (override));
  MOCK_METHOD(void, record_follows_from, (span_ref span, span_ref cause), (override));
  MOCK_METHOD(void, on_event, (const event& e), (override));
  MOCK_METHOD(void, enter, (span_ref span), (override));
  MOCK_METHOD(void, exit, (span_ref span), (override));
  MOCK_METHOD(void, clone_span, (span_ref span), (override));
  MOCK_METHOD(void, close, (span_ref span), (override));
  MOCK_METHOD(void, flush, (), (override));
};

inline std::shared_ptr<::testing::StrictMock<mock_subscriber>> make_mock(
    interest in = interest::always) {
  using ::testing::_;
  using ::testing::Return;
  auto m = std::make_shared<::testing::StrictMock<mock_subscriber>>();
  EXPECT_CALL(*m, register_callsite(_)).WillRepeatedly(Return(in));
  EXPECT_CALL(*m, max_level_hint()).WillRepeatedly(Return(level_filter::trace));
  EXPECT_CALL(*m, enabled(_, _)).WillRepeatedly(Return(true));
  EXPECT_CALL(*m, flush()).WillRepeatedly(Return());
  return m;
}

/// A thread-safe subscriber that records span ids and event messages; for
/// global defaults, which live until exit (a mock would be reported leaked).
class recording_subscriber : public subscriber {
 public:
  bool enabled(const metadata&, span_ref) override { return true; }
  void* new_span(const span_attributes& a) override {
    std::lock_guard<std::mutex> l(mu);
    span_ids.push_back(a.id);
    return nullptr;
  }
  void on_event(const event& e) override;
  void close(span_ref) override {}
  std::mutex mu;
  std::vector<span_id> span_ids;      // mu
  std::vector<std::string> messages;  // mu
  std::vector<span_id> parents;       // mu, one per message
};

/// "a=1 b=\"x\"" (strings quoted, empty fields skipped).
inline std::string fields_text(std::span<const field_ref> fields) {
  fmt::memory_buffer b;
  bool first = true;
  for (const field_ref& f : fields) {
    if (f.val.kind == value_kind::none) continue;
    if (!first) b.push_back(' ');
    first = false;
    fmt::format_to(fmt::appender(b), "{}=", f.name);
    if (f.val.kind == value_kind::str) b.push_back('"');
    f.val.format_to(fmt::appender(b));
    if (f.val.kind == value_kind::str) b.push_back('"');
  }
  return fmt::to_string(b);
}

inline std::string message_of(const event& e) {
  fmt::memory_buffer b;
  e.format_message(fmt::appender(b));
  return fmt::to_string(b);
}

inline void recording_subscriber::on_event(const event& e) {
  std::string m = message_of(e);
  std::lock_guard<std::mutex> l(mu);
  messages.push_back(std::move(m));
  parents.push_back(e.parent.id);
}

MATCHER_P(event_message, msg, "event with message " + ::testing::PrintToString(msg)) {
  return message_of(arg) == msg;
}
MATCHER_P(event_fields, text, "event with fields " + ::testing::PrintToString(text)) {
  return fields_text(arg.fields) == text;
}
MATCHER_P(event_level, lvl, "event at a level") {
  return arg.meta->lvl == lvl;
}
MATCHER_P(event_target, t, "event with target " + ::testing::PrintToString(t)) {
  return std::string_view(arg.meta->target) == t;
}
MATCHER_P(event_parent, id, "event whose parent span is " + ::testing::PrintToString(id)) {
  return arg.parent.id == id;
}
MATCHER_P(span_named, name, "new span named " + ::testing::PrintToString(name)) {
  return std::string_view(arg.meta->name) == name;
}
MATCHER_P(span_fields, text, "new span with fields " + ::testing::PrintToString(text)) {
  return fields_text(arg.fields) == text;
}
MATCHER_P(span_parent, id, "new span whose parent is " + ::testing::PrintToString(id)) {
  return arg.parent.id == id;
}
MATCHER_P(ref_id, id, "span ref with id " + ::testing::PrintToString(id)) {
  return arg.id == id;
}
MATCHER_P(field_list, text, "fields " + ::testing::PrintToString(text)) {
  return fields_text(arg) == text;
}

}  // namespace lucid::trace::testing

// The console server writes its events as text (src/console/wire/json_text.hpp)
// instead of building nlohmann trees; a client parses them with nlohmann and
// compares what it holds with the server's text byte for byte. These tests
// hold the two to the same bytes on generated values: strings with every
// escape, multibyte and invalid UTF-8, doubles of every form, and every
// object the server writes per update.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "codec.hpp"
#include "json_text.hpp"

namespace lc = lucid::console;
namespace wd = lucid::console::wire::detail;
using json = nlohmann::json;

namespace {

struct gen {
  std::mt19937_64 rng{12345};

  std::uint64_t below(std::uint64_t n) { return rng() % n; }

  std::string text(bool valid_utf8 = true) {
    static const char* const pieces[] = {"a",  "task", "\"",   "\\",   "\n", "\t", "\b",     "\f",
                                         "\r", "\x01", "\x1f", "\x7f", "/",  "é",  "→",      "😀",
                                         " ",  "{",    "}",    ":",    ",",  "0",  "mutex#7"};
    static const char* const bad[] = {
        "\xff", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\x80"};
    std::string s;
    const auto n = below(12);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!valid_utf8 && below(4) == 0) {
        s += bad[below(std::size(bad))];
      } else {
        s += pieces[below(std::size(pieces))];
      }
    }
    return s;
  }

  double real() {
    switch (below(10)) {
      case 0:
        return 0.0;
      case 1:
        return -1.0;
      case 2:
        return double(below(1000));  // whole numbers print as "N.0"
      case 3:
        return std::ldexp(double(rng() >> 11), -int(below(80)));  // tiny ones: exponents
      case 4:
        return std::ldexp(double(rng() >> 11), int(below(40)));  // huge ones
      case 5:
        return -std::ldexp(double(rng() >> 11), -53);
      case 6:
        return 1e-5;
      case 7:
        return 1e15;
      default:
        return double(rng() % 100000) / 1e6;
    }
  }

  lc::location loc() {
    if (below(4) == 0) return {};
    return {text() + ".cpp", text(), unsigned(below(5000))};
  }

  lucid::histogram_snapshot hist() {
    lucid::histogram_snapshot h;
    const auto n = below(6);
    for (std::uint64_t i = 0; i < n; ++i)
      h.record(rng() >> below(64), 1 + below(3));
    return h;
  }

  lc::holder holder() {
    lc::holder h{below(100), loc(), real()};
    h.in_frame = below(3) == 0;
    h.in_container = !h.in_frame && below(2) == 0;
    h.via_object = h.in_container && below(2) == 0;
    return h;
  }

  lc::wait wait() {
    lc::wait w;
    w.kind = text();
    w.resource = below(50);
    w.created_at = loc();
    w.joined = below(3);
    w.what = text();
    w.waiting_s = real();
    w.woken_by = text();
    for (auto i = below(3); i > 0; --i)
      w.holders.push_back(holder());
    w.capacity = std::int64_t(below(10)) - 1;
    w.length = std::int64_t(below(10)) - 1;
    w.senders = -1;
    w.permits = std::int64_t(rng());
    w.readers = std::numeric_limits<std::int64_t>::min();
    w.closed = int(below(3)) - 1;
    return w;
  }

  lc::strand_view strand() {
    lc::strand_view v;
    for (auto i = below(4); i > 0; --i)
      v.chain.push_back(loc());
    v.waiting = below(2) == 0;
    if (v.waiting) v.wait = wait();
    return v;
  }

  lc::task_view task(bool valid_utf8 = true) {
    lc::task_view t;
    t.id = rng();
    t.parent = below(10);
    t.name = text(valid_utf8);
    t.spawned_at = loc();
    t.state = text();
    t.runtime = below(4);
    t.cancel_requested = below(2) == 0;
    t.root = strand();
    for (auto i = below(3); i > 0; --i)
      t.branches.push_back(strand());
    t.worker = int(below(4)) - 1;
    t.running_s = real();
    t.finished_ago_s = real();
    t.stats.known = below(3) != 0;
    t.stats.polls = rng();
    t.stats.total_s = real();
    t.stats.busy_s = real();
    t.stats.scheduled_s = real();
    t.stats.idle_s = real();
    t.stats.first_poll_after_s = real();
    t.stats.wakes_self = below(9);
    t.stats.wakes_other_task = rng();
    t.stats.wakes_runtime = below(9);
    t.stats.wakes_external = below(9);
    t.stats.wakers_registered = below(99);
    t.stats.wakers_released = below(99);
    t.stats.poll_duration_ns = hist();
    t.stats.scheduled_latency_ns = hist();
    return t;
  }

  lc::resource_view resource() {
    lc::resource_view r;
    r.id = rng();
    r.kind = text();
    r.created_at = loc();
    for (auto i = below(3); i > 0; --i)
      r.holders.push_back(holder());
    for (auto i = below(3); i > 0; --i)
      r.waiters.push_back({below(100), real(), loc()});
    r.capacity = std::int64_t(below(10)) - 1;
    r.length = 3;
    r.senders = -1;
    r.permits = 0;
    r.readers = 2;
    r.closed = 1;
    return r;
  }
};

template <class T>
std::string text_of(const T& v) {
  std::string out;
  wd::json_text w(out);
  wd::write(w, v);
  return out;
}

}  // namespace

TEST(JsonText, EveryObjectTheServerWritesIsTheTreesDump) {
  gen g;
  for (int i = 0; i < 400; ++i) {
    const lc::task_view t = g.task();
    ASSERT_EQ(text_of(t), wd::encode(t).dump()) << "task " << i;
    const lc::resource_view r = g.resource();
    ASSERT_EQ(text_of(r), wd::encode(r).dump()) << "resource " << i;
    const lucid::histogram_snapshot h = g.hist();
    ASSERT_EQ(text_of(h), wd::encode(h).dump()) << "histogram " << i;
    const lc::location l = g.loc();
    ASSERT_EQ(text_of(l), wd::encode(l).dump()) << "location " << i;
  }
}

TEST(JsonText, StringsAreEscapedAsNlohmannDoes) {
  gen g;
  for (int i = 0; i < 2000; ++i) {
    const std::string s = g.text();
    std::string out;
    wd::append_json_string(out, s);
    ASSERT_EQ(out, json(s).dump()) << "case " << i;
  }
  std::string all;
  for (int c = 0; c < 0x80; ++c)
    all += char(c);
  std::string out;
  wd::append_json_string(out, all);
  EXPECT_EQ(out, json(all).dump());
}

TEST(JsonText, DoublesAreWrittenAsNlohmannDoes) {
  gen g;
  for (int i = 0; i < 5000; ++i) {
    const double d = g.real();
    std::string out;
    wd::json_text(out).value(d);
    ASSERT_EQ(out, json(d).dump()) << d;
  }
  std::string out;
  wd::json_text(out).begin_array().value(std::nan("")).value(HUGE_VAL).end_array();
  EXPECT_EQ(out, "[null,null]");  // as nlohmann writes non-finite numbers
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharactersAndStaysValidJson) {
  gen g;
  for (int i = 0; i < 1000; ++i) {
    const lc::task_view t = g.task(/*valid_utf8=*/false);
    const std::string out = text_of(t);
    json parsed;
    ASSERT_NO_THROW(parsed = json::parse(out)) << out;
    // A client that parses it and writes it again gets the same bytes.
    ASSERT_EQ(parsed.dump(), out);
  }
  std::string out;
  wd::append_json_string(out, std::string("ok\xff\xc3(end"));
  EXPECT_EQ(out, "\"ok\xEF\xBF\xBD\xEF\xBF\xBD(end\"");
}

TEST(JsonText, EventsRoundTripThroughAParserByteForByte) {
  // Every key in ascending order at every depth, commas in place: what the
  // replica's byte-for-byte comparison with the server's snapshot needs.
  gen g;
  lucid::console::wire::delta_encoder enc({42, "prog \"quoted\"", 1000});
  for (int round = 0; round < 20; ++round) {
    lc::snapshot s;
    s.runtimes = 1 + g.below(2);
    s.aggregation = true;
    for (auto i = g.below(8); i > 0; --i)
      s.tasks.push_back(g.task());
    for (auto i = g.below(4); i > 0; --i)
      s.finished.push_back(g.task());
    for (auto i = g.below(4); i > 0; --i)
      s.resources.push_back(g.resource());
    s.edges.push_back({lc::graph_edge::type::joins, 1, 0, 2});
    s.cycles = {{1, 2}};
    s.poll_duration_ns = g.hist();
    const std::string ev = enc.update(s, {{{"stall", 1, g.text()}, 0.5}}, double(round));
    ASSERT_EQ(json::parse(ev).dump(), ev) << "round " << round;
    ASSERT_EQ(json::parse(enc.snapshot_event()).dump(), enc.snapshot_event());
  }
}

// The protocol's objects written as JSON text, without building nlohmann
// trees (see codec.hpp and json_text.hpp): what the console server writes
// for every task at every update.
//
// Contract: pure functions of their arguments; each writes the same bytes
// as encode(x).dump() in codec.cpp.
#include <vector>

#include "codec.hpp"

namespace lucid::console::wire::detail {

// Each writer lists its keys in ascending byte order, as nlohmann's map
// sorts them: the text is encode(x).dump() (tests/console/json_text_test.cpp).

namespace {

void write_holders(json_text& w, const std::vector<holder>& hs) {
  w.begin_array();
  for (const holder& h : hs)
    write(w, h);
  w.end_array();
}

void write_chain(json_text& w, const std::vector<location>& chain) {
  w.begin_array();
  for (const location& l : chain)
    write(w, l);
  w.end_array();
}

void write_strand_wait(json_text& w, const strand_view& v) {
  if (v.waiting) {
    write(w, v.wait);
  } else {
    w.null();
  }
}

void write_stats(json_text& w, const task_stats_view& s) {
  if (!s.known) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("busy_s").value(s.busy_s);
  w.key("first_poll_after_s").value(s.first_poll_after_s);
  w.key("idle_s").value(s.idle_s);
  w.key("poll_duration_ns");
  write(w, s.poll_duration_ns);
  w.key("polls").value(s.polls);
  w.key("scheduled_latency_ns");
  write(w, s.scheduled_latency_ns);
  w.key("scheduled_s").value(s.scheduled_s);
  w.key("total_s").value(s.total_s);
  w.key("wakers").begin_object();
  w.key("registered").value(s.wakers_registered);
  w.key("released").value(s.wakers_released);
  w.end_object();
  w.key("wakes").begin_object();
  w.key("external").value(s.wakes_external);
  w.key("other_task").value(s.wakes_other_task);
  w.key("runtime").value(s.wakes_runtime);
  w.key("self").value(s.wakes_self);
  w.end_object();
  w.end_object();
}

}  // namespace

void write(json_text& w, const location& l) {
  if (!l.known()) {
    w.null();
    return;
  }
  w.begin_object();
  w.key("file").value(l.file);
  w.key("function").value(l.function);
  w.key("line").value(l.line);
  w.end_object();
}

void write(json_text& w, const histogram_snapshot& h) {
  w.begin_object();
  w.key("buckets").begin_array();
  h.for_each_bucket([&](const histogram_bucket& b) {
    if (b.count == 0) return;
    w.begin_array();
    w.value(b.lower).value(b.upper).value(b.count);
    w.end_array();
  });
  w.end_array();
  w.key("count").value(h.count());
  w.key("max").value(h.max());
  w.key("min").value(h.min());
  w.key("p50").value(h.percentile(50));
  w.key("p90").value(h.percentile(90));
  w.key("p99").value(h.percentile(99));
  w.key("sum").value(h.sum());
  w.end_object();
}

void write(json_text& w, const holder& h) {
  w.begin_object();
  w.key("acquired_at");
  write(w, h.acquired_at);
  w.key("held_s").value(h.held_s);
  w.key("in_container").value(h.in_container);
  w.key("in_frame").value(h.in_frame);
  w.key("task").value(h.task);
  w.key("via_element").value(h.via_element);
  w.key("via_object").value(h.via_object);
  w.key("via_object_element").value(h.via_object_element);
  w.end_object();
}

void write(json_text& w, const wait& x) {
  w.begin_object();
  w.key("capacity").value(x.capacity);
  w.key("closed").value(x.closed);
  w.key("created_at");
  write(w, x.created_at);
  w.key("holders");
  write_holders(w, x.holders);
  w.key("joined").value(x.joined);
  w.key("kind").value(x.kind);
  w.key("length").value(x.length);
  w.key("permits").value(x.permits);
  w.key("readers").value(x.readers);
  w.key("resource").value(x.resource);
  w.key("senders").value(x.senders);
  w.key("waiting_s").value(x.waiting_s);
  w.key("what").value(x.what);
  w.key("woken_by").value(x.woken_by);
  w.end_object();
}

void write(json_text& w, const task_view& t) {
  w.begin_object();
  w.key("branches").begin_array();
  for (const strand_view& b : t.branches) {
    w.begin_object();
    w.key("chain");
    write_chain(w, b.chain);
    w.key("wait");
    write_strand_wait(w, b);
    w.end_object();
  }
  w.end_array();
  w.key("cancel_requested").value(t.cancel_requested);
  w.key("chain");
  write_chain(w, t.root.chain);
  w.key("finished_ago_s").value(t.finished_ago_s);
  w.key("id").value(t.id);
  w.key("name").value(t.name);
  w.key("parent").value(t.parent);
  w.key("running_s").value(t.running_s);
  w.key("runtime").value(t.runtime);
  w.key("spawned_at");
  write(w, t.spawned_at);
  w.key("state").value(t.state);
  w.key("stats");
  write_stats(w, t.stats);
  w.key("wait");
  write_strand_wait(w, t.root);
  w.key("worker").value(t.worker);
  w.end_object();
}

void write(json_text& w, const resource_view& r) {
  w.begin_object();
  w.key("capacity").value(r.capacity);
  w.key("closed").value(r.closed);
  w.key("created_at");
  write(w, r.created_at);
  w.key("holders");
  write_holders(w, r.holders);
  w.key("id").value(r.id);
  w.key("kind").value(r.kind);
  w.key("length").value(r.length);
  w.key("permits").value(r.permits);
  w.key("readers").value(r.readers);
  w.key("senders").value(r.senders);
  w.key("waiters").begin_array();
  for (const resource_view::waiter& x : r.waiters) {
    w.begin_object();
    w.key("at");
    write(w, x.at);
    w.key("task").value(x.task);
    w.key("waiting_s").value(x.waiting_s);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace lucid::console::wire::detail

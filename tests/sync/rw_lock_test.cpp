#include "lucid/sync/rw_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "sync_test_helpers.hpp"

namespace {

using namespace std::chrono_literals;

TEST(RwLock, ReadersShareWritersExclude) {
  lucid::rw_lock l;
  auto r1 = l.try_read();
  auto r2 = l.try_read();
  ASSERT_TRUE(r1 && r2);
  EXPECT_FALSE(l.try_write());
  r1->unlock();
  EXPECT_FALSE(l.try_write());
  r2->unlock();
  auto w = l.try_write();
  ASSERT_TRUE(w);
  EXPECT_FALSE(l.try_read());
  EXPECT_FALSE(l.try_write());
}

lucid::task<> reader(lucid::rw_lock* l, std::vector<int>* log, int id) {
  auto g = co_await l->read();
  log->push_back(id);
}

lucid::task<> writer(lucid::rw_lock* l, std::vector<int>* log, int id) {
  auto g = co_await l->write();
  log->push_back(id);
  co_await lucid::yield_now{};
  log->push_back(-id);
}

lucid::task<std::vector<int>> queued_writer_blocks_new_readers() {
  lucid::rw_lock l;
  std::vector<int> log;
  auto r = co_await l.read();
  auto w = lucid::spawn(writer(&l, &log, 10));
  co_await lucid::yield_now{};
  EXPECT_FALSE(l.try_read());  // a writer waits: new readers queue behind it
  auto r2 = lucid::spawn(reader(&l, &log, 1));
  auto r3 = lucid::spawn(reader(&l, &log, 2));
  co_await lucid::yield_now{};
  EXPECT_TRUE(log.empty());
  r.unlock();
  co_await w;
  co_await r2;
  co_await r3;
  // The two readers were granted together; which runs first is up to the scheduler.
  if (log.size() == 4 && log[2] > log[3]) std::swap(log[2], log[3]);
  co_return log;
}

TEST(RwLock, FifoQueuedWriterBlocksLaterReaders) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(queued_writer_blocks_new_readers()), (std::vector<int>{10, -10, 1, 2}));
}

struct shared_state {
  lucid::rw_lock l;
  std::atomic<int> readers{0};
  std::atomic<int> writers{0};
  std::atomic<bool> broken{false};
  long value = 0;
};

lucid::task<> mixed(shared_state* s, int iters, int seed) {
  for (int i = 0; i < iters; ++i) {
    if ((i + seed) % 4 == 0) {
      auto g = co_await s->l.write();
      if (s->writers.fetch_add(1) != 0 || s->readers.load() != 0) s->broken = true;
      ++s->value;
      if (i % 32 == 0) co_await lucid::yield_now{};
      s->writers.fetch_sub(1);
    } else {
      auto g = co_await s->l.read();
      s->readers.fetch_add(1);
      if (s->writers.load() != 0) s->broken = true;
      if (i % 32 == 1) co_await lucid::yield_now{};
      s->readers.fetch_sub(1);
    }
  }
}

lucid::task<bool> rw_stress() {
  shared_state s;
  std::vector<lucid::join_handle<void>> hs;
  for (int t = 0; t < 4; ++t)
    hs.push_back(lucid::spawn(mixed(&s, 10'000, t)));
  for (auto& h : hs)
    co_await h;
  auto w = co_await s.l.write();
  co_return !s.broken.load() && s.value == 4 * 10'000 / 4;
}

class RwLockBoth : public sync_test::on_both {};

TEST_P(RwLockBoth, StressWritersAreExclusive) {
  EXPECT_TRUE(rt_.block_on(rw_stress()));
}

lucid::task<> read_once(lucid::rw_lock* l) {
  auto g = co_await l->read();
}

lucid::task<bool> handed_then_cancelled() {
  lucid::rw_lock l;
  auto w = co_await l.write();
  auto victim = lucid::spawn(read_once(&l));
  co_await lucid::yield_now{};
  w.unlock();      // grants the read to the victim
  victim.abort();  // which is cancelled before it resumes: the read is released
  try {
    co_await victim;
  } catch (const lucid::task_aborted&) {
  }
  co_return l.try_write().has_value();
}

TEST(RwLock, GrantedThenCancelledReleases) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_TRUE(rt.block_on(handed_then_cancelled()));
}

SYNC_TEST_ON_BOTH(RwLockBoth);

lucid::task<> write_once(lucid::rw_lock* l) {
  auto g = co_await l->write();
}

lucid::task<std::pair<lucid::task_id, lucid::task_id>> rw_events(lucid::resource_id* id) {
  lucid::rw_lock l;
  *id = l.id();
  lucid::task_id me = lucid::current_task()->id;
  auto r = co_await l.read();
  auto h = lucid::spawn(write_once(&l));
  lucid::task_id w = h.id();
  co_await lucid::yield_now{};
  r.unlock();
  co_await h;
  co_return std::pair{me, w};
}

TEST(RwLock, ReportsResourceEvents) {
  sync_test::scoped_recorder rec;
  lucid::resource_id id = 0;
  std::pair<lucid::task_id, lucid::task_id> ids;
  {
    auto rt = lucid::runtime::current_thread();
    ids = rt.block_on(rw_events(&id));
  }
  auto [me, w] = ids;
  std::vector<sync_test::event> want{
      {"created", 0, id},  {"acquire", me, id}, {"wait_begin", w, id}, {"release", me, id},
      {"wait_end", w, id}, {"acquire", w, id},  {"release", w, id},    {"dropped", 0, id}};
  EXPECT_EQ(rec.rec.of(id), want);
}

}  // namespace

// Tests of lucid/base/histogram.hpp: the bucket layout, percentiles of known
// distributions within the documented error, merge, saturation, and a
// reader snapshotting while a writer records.
#include "lucid/base/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

namespace {

using lucid::histogram;
using lucid::histogram_layout;
using lucid::histogram_snapshot;

/// The exact value at percentile p of sorted v, by the same rank rule.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(sorted.size())));
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

/// The documented bound: 12.5% relative for values >= 256, else 128 absolute.
void expect_within_error(std::uint64_t got, std::uint64_t want) {
  double tol = want >= 256 ? 0.125 * double(want) : 128.0;
  EXPECT_LE(std::fabs(double(got) - double(want)), tol) << "got " << got << " want " << want;
}

void check_distribution(std::vector<std::uint64_t> values) {
  histogram h;
  for (auto v : values)
    h.record(v);
  std::sort(values.begin(), values.end());
  auto s = h.snapshot();
  ASSERT_EQ(s.count(), values.size());
  EXPECT_EQ(s.min(), values.front());
  EXPECT_EQ(s.max(), values.back());
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9})
    expect_within_error(s.percentile(p), exact_percentile(values, p));
  EXPECT_EQ(s.percentile(100), values.back());
  EXPECT_EQ(s.percentile(0), values.front());
}

TEST(Histogram, LayoutIsContiguousAndIndexMatchesBounds) {
  EXPECT_EQ(histogram_layout::kBuckets, 137u);
  EXPECT_EQ(histogram_layout::lower(0), 0u);
  for (std::size_t i = 0; i + 1 < histogram_layout::kBuckets; ++i) {
    std::uint64_t lo = histogram_layout::lower(i), hi = histogram_layout::upper(i);
    ASSERT_LT(lo, hi);
    EXPECT_EQ(hi, histogram_layout::lower(i + 1));
    EXPECT_EQ(histogram_layout::index(lo), i);
    EXPECT_EQ(histogram_layout::index(hi - 1), i);
    // Each bucket above the first is at most a quarter of its lower bound wide.
    if (i > 0) {
      EXPECT_LE(hi - lo, lo / 4);
    }
  }
  EXPECT_EQ(histogram_layout::index(UINT64_MAX), histogram_layout::kBuckets - 1);
  EXPECT_EQ(histogram_layout::index(std::uint64_t{1} << 42), histogram_layout::kBuckets - 1);
}

TEST(Histogram, DocumentedSizes) {
  EXPECT_LE(sizeof(lucid::histogram), 1128u);
  EXPECT_LE(sizeof(lucid::compact_histogram), 584u);
  EXPECT_LE(sizeof(histogram_snapshot), 56u);  // sparse: its buckets are on the heap
}

TEST(Histogram, EmptyReadsZero) {
  histogram h;
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.min(), 0u);
  EXPECT_EQ(s.max(), 0u);
  EXPECT_EQ(s.percentile(50), 0u);
}

TEST(Histogram, SingleValueIsExact) {
  histogram h;
  h.record(123'456);
  for (double p : {0.0, 50.0, 99.0, 100.0})
    EXPECT_EQ(h.percentile(p), 123'456u);
}

TEST(Histogram, UniformDistribution) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> d(1'000, 10'000'000);
  std::vector<std::uint64_t> v(200'000);
  for (auto& x : v)
    x = d(rng);
  check_distribution(std::move(v));
}

TEST(Histogram, LogNormalDistribution) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> d(std::log(50'000.0), 1.5);
  std::vector<std::uint64_t> v(200'000);
  for (auto& x : v)
    x = static_cast<std::uint64_t>(d(rng));
  check_distribution(std::move(v));
}

TEST(Histogram, SmallValuesAndHugeValues) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 0; i < 1000; ++i)
    v.push_back(i % 300);
  v.push_back(std::uint64_t{1} << 50);  // beyond the range: the last bucket, max exact
  check_distribution(std::move(v));
}

TEST(Histogram, KnownPercentilesOfASteppedDistribution) {
  // 90% at 10 us, 9% at 1 ms, 1% at 100 ms.
  histogram h;
  for (int i = 0; i < 9000; ++i)
    h.record(10'000);
  for (int i = 0; i < 900; ++i)
    h.record(1'000'000);
  for (int i = 0; i < 100; ++i)
    h.record(100'000'000);
  auto s = h.snapshot();
  expect_within_error(s.percentile(50), 10'000);
  expect_within_error(s.percentile(90), 10'000);
  expect_within_error(s.percentile(95), 1'000'000);
  expect_within_error(s.percentile(99), 1'000'000);
  expect_within_error(s.percentile(99.5), 100'000'000);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  histogram a, b, all;
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<std::uint64_t> d(0, 1'000'000'000);
  for (int i = 0; i < 10'000; ++i) {
    std::uint64_t x = d(rng);
    (i % 3 ? a : b).record(x);
    all.record(x);
  }
  histogram_snapshot m;
  a.merge_into(m);
  b.merge_into(m);
  auto want = all.snapshot();
  EXPECT_EQ(m.count(), want.count());
  EXPECT_EQ(m.min(), want.min());
  EXPECT_EQ(m.max(), want.max());
  EXPECT_EQ(m.sum(), want.sum());
  for (std::size_t i = 0; i < histogram_snapshot::kBuckets; ++i)
    EXPECT_EQ(m.bucket_count(i), want.bucket_count(i));
  histogram_snapshot m2 = a.snapshot();
  m2.merge(b.snapshot());
  EXPECT_EQ(m2.percentile(90), m.percentile(90));
}

TEST(Histogram, BucketIterationCoversEveryValue) {
  histogram h;
  for (std::uint64_t v : {0u, 255u, 256u, 1'000u, 1'000'000u})
    h.record(v);
  std::uint64_t n = 0, prev_upper = 0;
  std::size_t buckets = 0;
  h.snapshot().for_each_bucket([&](lucid::histogram_bucket b) {
    EXPECT_EQ(b.lower, prev_upper);
    prev_upper = b.upper;
    n += b.count;
    ++buckets;
  });
  EXPECT_EQ(n, 5u);
  EXPECT_EQ(buckets, histogram_snapshot::kBuckets);
}

TEST(Histogram, CompactCountersSaturateButTotalsDoNot) {
  lucid::compact_histogram h;
  EXPECT_EQ(h.count(), 0u);
  for (int i = 0; i < 1000; ++i)
    h.record(5'000);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.snapshot().bucket_count(histogram_layout::index(5'000)), 1000u);
}

TEST(Histogram, ReaderSnapshotsWhileOneWriterRecords) {
  histogram h;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (std::uint64_t i = 0; i < 200'000; ++i)
      h.record(1'000 + (i % 1'000'000));
    done.store(true);
  });
  std::uint64_t last = 0;
  while (!done.load()) {
    auto s = h.snapshot();
    EXPECT_GE(s.count(), last);  // one writer: counts never go back
    last = s.count();
  }
  writer.join();
  EXPECT_EQ(h.snapshot().count(), 200'000u);
}

}  // namespace

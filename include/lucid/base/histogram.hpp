// lucid::histogram: a log-linear histogram of durations (or any unsigned
// values) with fixed, bounded memory, in the manner of HdrHistogram.
//
// Layout (histogram_layout): bucket 0 holds [0, 256); above that every power
// of two [2^k, 2^(k+1)) for k = 8..41 is cut into 4 equal sub-buckets, so a
// bucket is at most 1/4 of its lower bound wide. Values >= 2^42 (about 73
// minutes in nanoseconds) land in the last bucket. 1 + 34 * 4 = 137 buckets.
//
// Error: percentile() returns the midpoint of the bucket holding the rank,
// clamped to [min, max]; for values >= 256 that is within 12.5% of the true
// value at that rank (half a bucket over its lower bound); below 256 it is
// within 128 (the units of the values: ns for durations). min, max, count and
// sum are exact.
//
// Memory: basic_histogram<C> is kBuckets counters of type C plus four 64-bit
// words: 137 * 8 + 32 = 1128 bytes for `histogram` (64-bit counts), 137 * 4 +
// 32 = 580 bytes for `compact_histogram` (32-bit counts, saturating; for
// per-task use, where one bucket rarely passes 4 * 10^9). histogram_snapshot
// keeps only its non-empty buckets, (index, count) pairs on the heap: 56
// bytes when empty, 16 more per bucket used. A console snapshot holds two
// per task, and a task's durations fill few buckets, so 10^5 tasks take a
// few MB instead of 1128 bytes per histogram.
//
// Thread safety: record() is single-writer: one thread at a time records (a
// task's polling worker, a worker's own histogram), with happens-before
// between successive writers. Any number of readers may call snapshot(),
// merge_into() or count() concurrently with the writer: every field is a
// relaxed atomic, so a reader sees each counter whole (never torn), though
// the fields may be from slightly different moments (the snapshot's count is
// the sum of the buckets it read, so its percentiles are self-consistent).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace lucid {

/// The bucket layout shared by every histogram type (see the top of the file).
struct histogram_layout {
  static constexpr unsigned kSubBits = 2;  ///< 4 sub-buckets per octave
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr unsigned kLowShift = 8;    ///< bucket 0 is [0, 256)
  static constexpr unsigned kHighShift = 42;  ///< 2^42 ns ~ 73 min
  static constexpr std::size_t kBuckets = 1 + (kHighShift - kLowShift) * kSub;

  /// The bucket that holds v.
  static constexpr std::size_t index(std::uint64_t v) noexcept {
    if (v < (std::uint64_t{1} << kLowShift)) return 0;
    unsigned k = 63u - static_cast<unsigned>(__builtin_clzll(v));
    if (k >= kHighShift) return kBuckets - 1;
    std::size_t j = (v >> (k - kSubBits)) & (kSub - 1);
    return 1 + (k - kLowShift) * kSub + j;
  }
  /// The smallest value of bucket i.
  static constexpr std::uint64_t lower(std::size_t i) noexcept {
    if (i == 0) return 0;
    std::size_t o = (i - 1) / kSub, j = (i - 1) % kSub;
    unsigned k = kLowShift + static_cast<unsigned>(o);
    return (std::uint64_t{1} << k) + (std::uint64_t{j} << (k - kSubBits));
  }
  /// One past the largest value of bucket i (the last bucket is unbounded).
  static constexpr std::uint64_t upper(std::size_t i) noexcept {
    return i + 1 >= kBuckets ? std::numeric_limits<std::uint64_t>::max() : lower(i + 1);
  }
};

/// One bucket, for drawing: values in [lower, upper) were recorded `count` times.
struct histogram_bucket {
  std::uint64_t lower;
  std::uint64_t upper;
  std::uint64_t count;
};

/// A plain (not shared) histogram: what a reader works with. Merging
/// several snapshots gives the histogram of all their values. Sparse (see
/// the top of the file): the functions that add buckets allocate.
class histogram_snapshot {
 public:
  static constexpr std::size_t kBuckets = histogram_layout::kBuckets;

  /// Records n values equal to v.
  void record(std::uint64_t v, std::uint64_t n = 1) {
    if (n == 0) return;
    add(histogram_layout::index(v), n);
    count_ += n;
    sum_ += v * n;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }
  /// Adds o's values to this one.
  void merge(const histogram_snapshot& o) {
    merge_buckets(o.buckets_);
    count_ += o.count_;
    sum_ += o.sum_;
    if (o.count_ != 0) {
      if (o.min_ < min_) min_ = o.min_;
      if (o.max_ > max_) max_ = o.max_;
    }
  }

  std::uint64_t count() const noexcept { return count_; }
  /// The smallest value recorded; 0 when empty.
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  /// The largest value recorded; 0 when empty.
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t sum() const noexcept { return sum_; }
  double mean() const noexcept { return count_ ? double(sum_) / double(count_) : 0.0; }

  /// The value at percentile p (0..100; 50 = median): the smallest bucket
  /// whose cumulative count reaches ceil(p/100 * count), as its midpoint
  /// clamped to [min, max] (error: see the top of the file). 0 when empty.
  std::uint64_t percentile(double p) const noexcept {
    if (count_ == 0) return 0;
    if (p <= 0) return min();
    if (p >= 100) return max_;
    auto rank = static_cast<std::uint64_t>(p / 100.0 * double(count_) + 0.999999999);
    if (rank == 0) rank = 1;
    if (rank > count_) rank = count_;
    std::uint64_t seen = 0;
    for (const auto& [i, n] : buckets_) {
      seen += n;
      if (seen >= rank) {
        std::uint64_t lo = histogram_layout::lower(i);
        std::uint64_t v = i + 1 >= kBuckets ? max_ : lo + (histogram_layout::upper(i) - lo) / 2;
        if (v < min()) v = min();
        if (v > max_) v = max_;
        return v;
      }
    }
    return max_;
  }

  /// The count of bucket i (0 <= i < kBuckets).
  std::uint64_t bucket_count(std::size_t i) const noexcept {
    auto it = find(i);
    return it != buckets_.end() && it->first == i ? it->second : 0;
  }

  /// Rebuilds a snapshot from what a reader printed (a wire decoder):
  /// `buckets` holds (bucket index, count) pairs; indexes out of range are
  /// ignored. count() is the sum of the counts.
  template <class Range>
  static histogram_snapshot from_parts(const Range& buckets, std::uint64_t sum, std::uint64_t min,
                                       std::uint64_t max) {
    histogram_snapshot h;
    for (const auto& [i, n] : buckets) {
      if (static_cast<std::size_t>(i) >= kBuckets || n == 0) continue;
      h.add(static_cast<std::size_t>(i), n);
      h.count_ += n;
    }
    h.sum_ = sum;
    if (h.count_ != 0) {
      h.min_ = min;
      h.max_ = max;
    }
    return h;
  }
  /// Calls f(histogram_bucket) for every bucket in ascending order, empty ones included.
  template <class F>
  void for_each_bucket(F&& f) const {
    auto it = buckets_.begin();
    for (std::size_t i = 0; i < kBuckets; ++i) {
      std::uint64_t n = 0;
      if (it != buckets_.end() && it->first == i) n = (it++)->second;
      f(histogram_bucket{histogram_layout::lower(i), histogram_layout::upper(i), n});
    }
  }

 private:
  template <class C>
  friend class basic_histogram;
  using bucket = std::pair<std::size_t, std::uint64_t>;  ///< (index, count), count > 0

  std::vector<bucket>::const_iterator find(std::size_t i) const noexcept {
    return std::lower_bound(buckets_.begin(), buckets_.end(), i,
                            [](const bucket& b, std::size_t x) { return b.first < x; });
  }
  void add(std::size_t i, std::uint64_t n) {
    auto it = buckets_.begin() + (find(i) - buckets_.cbegin());
    if (it != buckets_.end() && it->first == i) {
      it->second += n;
    } else {
      buckets_.insert(it, bucket{i, n});
    }
  }
  /// Adds the (ascending) buckets `more` in one pass.
  void merge_buckets(const std::vector<bucket>& more) {
    if (more.empty()) return;
    if (buckets_.empty()) {
      buckets_ = more;
      return;
    }
    std::vector<bucket> out;
    out.reserve(buckets_.size() + more.size());
    auto a = buckets_.cbegin();
    auto b = more.cbegin();
    while (a != buckets_.cend() || b != more.cend()) {
      if (b == more.cend() || (a != buckets_.cend() && a->first < b->first)) {
        out.push_back(*a++);
      } else if (a == buckets_.cend() || b->first < a->first) {
        out.push_back(*b++);
      } else {
        out.push_back(bucket{a->first, a->second + b->second});
        ++a;
        ++b;
      }
    }
    buckets_ = std::move(out);
  }

  std::vector<bucket> buckets_;  ///< the non-empty buckets, ascending by index
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

/// A histogram one thread records into while others read it (see the top of
/// the file). `Count` is the type of a bucket's counter (it saturates).
///
/// Example:
///   lucid::histogram h;
///   h.record(1500);            // a 1.5 us poll
///   auto s = h.snapshot();     // any thread
///   s.percentile(99);
template <class Count>
class basic_histogram {
 public:
  static constexpr std::size_t kBuckets = histogram_layout::kBuckets;

  /// Records v. One writer at a time (see the top of the file).
  void record(std::uint64_t v) noexcept {
    // relaxed everywhere: readers need only whole values, not an order
    // between fields; the single writer makes load + store an increment.
    std::atomic<Count>& b = counts_[histogram_layout::index(v)];
    Count c = b.load(std::memory_order_relaxed);
    if (c != std::numeric_limits<Count>::max()) b.store(c + 1, std::memory_order_relaxed);
    count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
    if (v < min_.load(std::memory_order_relaxed)) min_.store(v, std::memory_order_relaxed);
    if (v > max_.load(std::memory_order_relaxed)) max_.store(v, std::memory_order_relaxed);
  }

  /// Values recorded so far. Any thread.
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::uint64_t min() const noexcept { return count() ? min_.load(std::memory_order_relaxed) : 0; }
  std::uint64_t max() const noexcept { return max_.load(std::memory_order_relaxed); }

  /// Adds this histogram's values to `out`. Any thread. out's count is the
  /// sum of the bucket counts read (see the top of the file).
  void merge_into(histogram_snapshot& out) const {
    std::uint64_t n = 0;
    std::vector<histogram_snapshot::bucket> read;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      std::uint64_t c = counts_[i].load(std::memory_order_relaxed);
      if (c == 0) continue;
      read.push_back({i, c});
      n += c;
    }
    if (n == 0) return;
    out.merge_buckets(read);
    out.count_ += n;
    out.sum_ += sum_.load(std::memory_order_relaxed);
    std::uint64_t lo = min_.load(std::memory_order_relaxed);
    std::uint64_t hi = max_.load(std::memory_order_relaxed);
    if (lo < out.min_) out.min_ = lo;
    if (hi > out.max_) out.max_ = hi;
  }
  /// A copy of the values recorded so far. Any thread.
  histogram_snapshot snapshot() const {
    histogram_snapshot s;
    merge_into(s);
    return s;
  }
  /// percentile(p) of a snapshot (see histogram_snapshot::percentile).
  std::uint64_t percentile(double p) const { return snapshot().percentile(p); }

 private:
  std::atomic<Count> counts_[kBuckets] = {};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> min_{std::numeric_limits<std::uint64_t>::max()};
  std::atomic<std::uint64_t> max_{0};
};

/// 64-bit counters: runtime-wide histograms. 1128 bytes.
using histogram = basic_histogram<std::uint64_t>;
/// 32-bit saturating counters: per-task histograms. 580 bytes.
using compact_histogram = basic_histogram<std::uint32_t>;

}  // namespace lucid

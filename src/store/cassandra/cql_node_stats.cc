// cql_node_stats: see cql_node_stats.h.
#include "store/cassandra/cql_node_stats.h"

#include <algorithm>
#include <bit>

namespace shoal::store::cassandra {

namespace {

int64_t Ns(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

constexpr int kFirstOctave = 6;  // 64 us
constexpr int kOctaves = 20;     // up to 2^26 us

}  // namespace

NodeStats::NodeStats(NodeStatsOptions options) : options_(options) {}

size_t NodeStats::BucketOf(uint64_t us) {
  if (us < (uint64_t{1} << kFirstOctave)) return 0;
  const int octave = static_cast<int>(std::bit_width(us)) - 1;  // floor(log2(us))
  if (octave >= kFirstOctave + kOctaves) return kBuckets - 1;
  const uint64_t quarter = (us >> (octave - 2)) & 3;  // the two bits below the top one
  return 1 + static_cast<size_t>(octave - kFirstOctave) * 4 + quarter;
}

uint64_t NodeStats::BucketUpperUs(size_t bucket) {
  if (bucket == 0) return uint64_t{1} << kFirstOctave;
  if (bucket >= kBuckets - 1) return uint64_t{1} << (kFirstOctave + kOctaves + 1);
  const int octave = kFirstOctave + static_cast<int>((bucket - 1) / 4);
  const uint64_t quarter = (bucket - 1) % 4;
  return (5 + quarter) << (octave - 2);
}

int64_t NodeStats::EpochOf(TimePoint t) {
  constexpr int64_t kSliceNs =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kWindow).count() / kSubWindows;
  return Ns(t) / kSliceNs;
}

void NodeStats::OnSent(TimePoint now) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  const int64_t until = suspect_until_ns_.load(std::memory_order_acquire);
  if (until == 0 || Ns(now) < until) return;
  // Suspicion has run out: this attempt is the probe, unless another one holds the claim.
  int64_t claim = probe_until_ns_.load(std::memory_order_acquire);
  if (Ns(now) < claim) return;
  probe_until_ns_.compare_exchange_strong(claim, Ns(now + options_.suspect_for),
                                          std::memory_order_acq_rel);
}

void NodeStats::OnAnswered(TimePoint now, Duration latency, bool error, bool timely) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (error) errors_.fetch_add(1, std::memory_order_relaxed);
  const auto us = static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  latency_.ObserveUs(us);
  {
    MutexLock lock(mu_);
    const int64_t epoch = EpochOf(now);
    SubWindow& w = window_[static_cast<size_t>(epoch) % kSubWindows];
    if (w.epoch != epoch) w = SubWindow{epoch, 0, {}};
    ++w.count;
    ++w.buckets[BucketOf(us)];
  }
  if (timely) {
    timeouts_in_a_row_.store(0, std::memory_order_relaxed);
    suspect_until_ns_.store(0, std::memory_order_release);
    probe_until_ns_.store(0, std::memory_order_release);
  }
}

void NodeStats::OnBroken() {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  errors_.fetch_add(1, std::memory_order_relaxed);
}

void NodeStats::OnTimeout(TimePoint now) {
  timeouts_.fetch_add(1, std::memory_order_relaxed);
  const int in_a_row = timeouts_in_a_row_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (in_a_row >= options_.suspect_after_timeouts) {
    suspect_until_ns_.store(Ns(now + options_.suspect_for), std::memory_order_release);
    probe_until_ns_.store(0, std::memory_order_release);
  }
}

void NodeStats::OnAbandoned() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

bool NodeStats::Suspect(TimePoint now) const {
  const int64_t until = suspect_until_ns_.load(std::memory_order_acquire);
  if (until == 0) return false;
  if (Ns(now) < until) return true;
  return Ns(now) < probe_until_ns_.load(std::memory_order_acquire);
}

Duration NodeStats::RecentP99(TimePoint now) const {
  std::array<uint64_t, kBuckets> sum{};
  uint64_t total = 0;
  {
    MutexLock lock(mu_);
    const int64_t epoch = EpochOf(now);
    for (const SubWindow& w : window_) {
      if (w.epoch > epoch || w.epoch <= epoch - static_cast<int64_t>(kSubWindows)) continue;
      total += w.count;
      for (size_t i = 0; i < kBuckets; ++i) sum[i] += w.buckets[i];
    }
  }
  if (total < kMinSamples) return Duration{};
  const uint64_t rank = (total * 99 + 99) / 100;  // ceil(0.99 * total)
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    cumulative += sum[i];
    if (cumulative >= rank) {
      return std::chrono::duration_cast<Duration>(std::chrono::microseconds(BucketUpperUs(i)));
    }
  }
  return std::chrono::duration_cast<Duration>(
      std::chrono::microseconds(BucketUpperUs(kBuckets - 1)));
}

void NodeStats::Report(TimePoint now, NodeReport* out) const {
  out->requests = requests_.load(std::memory_order_relaxed);
  out->errors = errors_.load(std::memory_order_relaxed);
  out->timeouts = timeouts_.load(std::memory_order_relaxed);
  out->in_flight = in_flight_.load(std::memory_order_relaxed);
  out->suspect = Suspect(now);
  for (size_t i = 0; i < out->latency_buckets.size(); ++i) {
    out->latency_buckets[i] = latency_.bucket(i);
  }
  out->latency_count = latency_.count();
  out->latency_sum_us = latency_.sum_us();
}

}  // namespace shoal::store::cassandra

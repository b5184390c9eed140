// StatsSampler: the rates of GET /_shoal/stats. A thread of its own takes a StatsSample (the
// request counters and latency buckets, in total, per endpoint, per peer and per Cassandra
// node) once a second into a ring of the last kSamples (61: one minute back, and now);
// a rate over a window is the difference between the figures now and the sample taken that
// long ago. The hit path is not touched: the sampler only reads the counters the requests
// already bump (a scrape's reads, once a second).
//
// Figures over a window (RateBetween): requests per second; the hit ratio, hits and stale
// over the requests answered from the cache or the store (hits + stale + misses + peer),
// nullopt with none; p50 and p99 in milliseconds, interpolated linearly inside the bucket
// (metrics::Histogram's bounds) where the quantile falls, nullopt with no request. A window
// longer than the node's life is measured from the oldest sample.
//
// Ownership: owns its thread and the ring; the read function is the caller's and must stay
// valid until Stop. Thread-safety: thread-safe; Start and Stop from one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/mutex.h"
#include "metrics/metrics.h"

namespace shoal::cli {

using Buckets = metrics::Histogram::Buckets;

// StatsCounts are the request counters of one endpoint (or of all: StatsSample::total).
struct StatsCounts {
  uint64_t requests = 0;  // answers of any status
  uint64_t hits = 0, stale = 0, misses = 0, peer = 0;
  uint64_t errors_4xx = 0, errors_5xx = 0;
  Buckets latency{};  // not cumulative

  void Add(const StatsCounts& o);
};

// NamedBuckets is one peer's or Cassandra node's latency buckets, by its (interned) name.
using NamedBuckets = std::vector<std::pair<std::string_view, Buckets>>;

struct StatsSample {
  TimePoint at;  // steady time
  StatsCounts total;
  std::vector<StatsCounts> endpoints;  // in the Router's order
  NamedBuckets peers;
  NamedBuckets nodes;
};

struct RateFigures {
  double requests_per_s = 0;
  std::optional<double> hit_ratio;
  std::optional<double> p50_ms;
  std::optional<double> p99_ms;
};

// RateBetween gives the figures of the requests counted between `older` and `newer`.
RateFigures RateBetween(const StatsCounts& older, TimePoint older_at, const StatsCounts& newer,
                        TimePoint newer_at);

// QuantileMs is the q-quantile (0 < q < 1) of the observations in `buckets`, in ms; nullopt
// when there are none. One in the +Inf bucket counts as the last finite bound (1 s).
std::optional<double> QuantileMs(const Buckets& buckets, double q);

// Minus returns a - b per bucket (0 where b is larger: a counter never runs back, but a
// series that started between the two samples has no b).
Buckets Minus(const Buckets& a, const Buckets& b);

// BucketsOf returns the buckets named `name` in `list`, or all zeros.
Buckets BucketsOf(const NamedBuckets& list, std::string_view name);

class StatsSampler {
 public:
  static constexpr size_t kSamples = 61;

  // `read` takes one sample (any thread; once per `interval` on the sampler's).
  explicit StatsSampler(std::function<StatsSample()> read,
                        Duration interval = std::chrono::seconds(1));
  ~StatsSampler();  // Stop()
  StatsSampler(const StatsSampler&) = delete;
  StatsSampler& operator=(const StatsSampler&) = delete;

  // Start takes the first sample and starts the thread. Stop ends it; idempotent.
  void Start();
  void Stop();

  // SampleNow takes one sample into the ring now (the thread calls it; so may tests).
  void SampleNow();
  // Read takes a sample as `read` does, without keeping it (the "now" of a document).
  StatsSample Read() const { return read_(); }
  // Older returns the newest kept sample taken at least `ago` before `now`, else the oldest
  // kept one; nullopt before the first sample.
  std::optional<StatsSample> Older(TimePoint now, Duration ago) const;

 private:
  void Run();

  const std::function<StatsSample()> read_;
  const Duration interval_;
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<StatsSample> ring_ SHOAL_GUARDED_BY(mu_);
  bool stopping_ SHOAL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace shoal::cli

// StatsSampler: see stats_sampler.h.
#include "cli/stats_sampler.h"

#include <algorithm>

namespace shoal::cli {

void StatsCounts::Add(const StatsCounts& o) {
  requests += o.requests;
  hits += o.hits;
  stale += o.stale;
  misses += o.misses;
  peer += o.peer;
  errors_4xx += o.errors_4xx;
  errors_5xx += o.errors_5xx;
  for (size_t i = 0; i < latency.size(); ++i) latency[i] += o.latency[i];
}

Buckets Minus(const Buckets& a, const Buckets& b) {
  Buckets d{};
  for (size_t i = 0; i < d.size(); ++i) d[i] = a[i] > b[i] ? a[i] - b[i] : 0;
  return d;
}

Buckets BucketsOf(const NamedBuckets& list, std::string_view name) {
  for (const auto& [n, b] : list) {
    if (n == name) return b;
  }
  return Buckets{};
}

std::optional<double> QuantileMs(const Buckets& buckets, double q) {
  uint64_t count = 0;
  for (const uint64_t n : buckets) count += n;
  if (count == 0) return std::nullopt;
  const auto& bounds = metrics::Histogram::kBoundsUs;
  const double target = q * static_cast<double>(count);
  double before = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    const double in = static_cast<double>(buckets[i]);
    if (in > 0 && before + in >= target) {
      if (i == bounds.size()) return static_cast<double>(bounds.back()) / 1000.0;
      const double lower = i == 0 ? 0.0 : static_cast<double>(bounds[i - 1]);
      const double upper = static_cast<double>(bounds[i]);
      return (lower + (upper - lower) * (target - before) / in) / 1000.0;
    }
    before += in;
  }
  return static_cast<double>(bounds.back()) / 1000.0;
}

RateFigures RateBetween(const StatsCounts& older, TimePoint older_at, const StatsCounts& newer,
                        TimePoint newer_at) {
  const auto minus = [](uint64_t a, uint64_t b) { return a > b ? a - b : 0; };
  RateFigures r;
  const double seconds = std::chrono::duration<double>(newer_at - older_at).count();
  const uint64_t requests = minus(newer.requests, older.requests);
  if (seconds > 0) r.requests_per_s = static_cast<double>(requests) / seconds;
  const uint64_t cached = minus(newer.hits, older.hits) + minus(newer.stale, older.stale);
  const uint64_t answered =
      cached + minus(newer.misses, older.misses) + minus(newer.peer, older.peer);
  if (answered > 0) r.hit_ratio = static_cast<double>(cached) / static_cast<double>(answered);
  const Buckets d = Minus(newer.latency, older.latency);
  r.p50_ms = QuantileMs(d, 0.50);
  r.p99_ms = QuantileMs(d, 0.99);
  return r;
}

StatsSampler::StatsSampler(std::function<StatsSample()> read, Duration interval)
    : read_(std::move(read)), interval_(interval) {}

StatsSampler::~StatsSampler() { Stop(); }

void StatsSampler::Start() {
  SampleNow();
  thread_ = std::thread([this] { Run(); });
}

void StatsSampler::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

void StatsSampler::Run() {
  while (true) {
    {
      MutexLock lock(mu_);
      if (cv_.WaitFor(mu_, interval_, [this]() SHOAL_REQUIRES(mu_) { return stopping_; })) return;
    }
    SampleNow();
  }
}

void StatsSampler::SampleNow() {
  StatsSample s = read_();  // outside the lock: it reads every counter
  MutexLock lock(mu_);
  ring_.push_back(std::move(s));
  while (ring_.size() > kSamples) ring_.pop_front();
}

std::optional<StatsSample> StatsSampler::Older(TimePoint now, Duration ago) const {
  MutexLock lock(mu_);
  if (ring_.empty()) return std::nullopt;
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
    if (it->at <= now - ago) return *it;
  }
  return ring_.front();
}

}  // namespace shoal::cli

// Metrics: counters, gauges and latency histograms with a Prometheus-style text exposition
// (text format 0.0.4, which `promtool check metrics` accepts), labelled families of counters
// and histograms whose children the callers keep (GetCounterFamily, GetHistogramFamily: one
// series per endpoint), and labelled families read at scrape time (e.g. one series per
// Cassandra node: AddFamilyCallback).
//
// A Registry owns its metrics; callers keep plain pointers to them (the registry outlives
// every user: cli creates it first and destroys it last). Updating a metric is one relaxed
// atomic add (a counter's into a per-thread cell; a histogram's two, into a per-thread cell),
// so it is safe and cheap on every hot path. Label values must come from a bounded set
// (routes, node addresses), never from a request: every child lives as long as the Registry.
// Thread-safety: thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/striped_counter.h"

namespace shoal::metrics {

// Counter is striped (base/striped_counter.h): the per-request counters are bumped by every
// event loop, and a shared line would bounce between the cores on each request.
class Counter {
 public:
  void Add(uint64_t n = 1) { v_.Add(n); }
  uint64_t value() const { return v_.value(); }

 private:
  StripedCounter v_;
};

class Gauge {
 public:
  void Set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Histogram counts observations (in microseconds) into fixed exponential buckets:
// 50us, 100us, 250us, 500us, 1ms, 2.5ms, 5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 1s, +Inf.
// Striped like Counter (one cell per thread's stripe, each on its own cache lines): the
// per-endpoint histograms see every hit of both event loops. An observation is two relaxed
// adds (its bucket and the sum); count() is the buckets' sum, read at scrape time.
class Histogram {
 public:
  static constexpr std::array<uint64_t, 13> kBoundsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};
  static constexpr size_t kBuckets = kBoundsUs.size() + 1;
  using Buckets = std::array<uint64_t, kBuckets>;

  void ObserveUs(uint64_t us);
  uint64_t count() const;
  uint64_t sum_us() const;
  uint64_t bucket(size_t i) const;
  // Snapshot is every bucket's count (not cumulative; the last is +Inf).
  Buckets Snapshot() const;

 private:
  struct alignas(64) Cell {
    std::array<std::atomic<uint64_t>, kBuckets> buckets{};
    std::atomic<uint64_t> sum{0};
  };
  std::array<Cell, StripedCounter::kStripes> cells_{};
};

// CounterFamily is a labelled counter family with a fixed set of label names, whose
// children (one per tuple of label values) are made once, on first ask, and kept by the
// caller as plain Counter pointers: the hot path then adds to a Counter as usual.
class CounterFamily {
 public:
  // Child returns the counter of `values` (one per label name, in order), making it once.
  // Takes the family's lock: call it when setting up (or rebuilding after a reload), not per
  // request. REQUIRES: values.size() == the number of label names.
  Counter* Child(std::initializer_list<std::string_view> values);

 private:
  friend class Registry;
  explicit CounterFamily(std::vector<std::string> label_names)
      : label_names_(std::move(label_names)) {}
  struct Entry {
    std::vector<std::string> values;
    std::unique_ptr<Counter> counter;
  };
  const std::vector<std::string> label_names_;
  mutable Mutex mu_;
  std::vector<Entry> children_ SHOAL_GUARDED_BY(mu_);
};

// HistogramFamily is CounterFamily for histograms (in seconds on the page).
class HistogramFamily {
 public:
  // Child returns the histogram of `values`, making it once (as CounterFamily::Child).
  Histogram* Child(std::initializer_list<std::string_view> values);

 private:
  friend class Registry;
  explicit HistogramFamily(std::vector<std::string> label_names)
      : label_names_(std::move(label_names)) {}
  struct Entry {
    std::vector<std::string> values;
    std::unique_ptr<Histogram> histogram;
  };
  const std::vector<std::string> label_names_;
  mutable Mutex mu_;
  std::vector<Entry> children_ SHOAL_GUARDED_BY(mu_);
};

enum class Type { kCounter, kGauge, kHistogram };

// Label is one name="value" of a sample; the value is escaped on output (backslash, double
// quote, newline), the name must be a valid label name ([a-zA-Z_][a-zA-Z0-9_]*).
struct Label {
  std::string_view name;
  std::string_view value;
};

// FamilyWriter writes the samples of one family during Expose (AddFamilyCallback).
class FamilyWriter {
 public:
  // Sample writes one sample of a counter or gauge family.
  void Sample(std::initializer_list<Label> labels, int64_t value);
  // SampleDouble writes one sample with a fractional value (e.g. CPU seconds).
  void SampleDouble(std::initializer_list<Label> labels, double value);
  // HistogramSample writes one histogram of a histogram family: `buckets` are counts per
  // Histogram::kBoundsUs bucket (not cumulative; the last is +Inf), `sum_us` in microseconds;
  // written in seconds as NAME_bucket{..., le="..."}, NAME_sum and NAME_count.
  void HistogramSample(std::initializer_list<Label> labels, std::span<const uint64_t> buckets,
                       uint64_t count, uint64_t sum_us);

 private:
  friend class Registry;
  FamilyWriter(std::string& out, std::string_view name) : out_(out), name_(name) {}
  void Line(std::string_view suffix, std::span<const Label> labels, const Label* extra,
            std::string_view value);
  void HistogramLines(std::span<const Label> labels, std::span<const uint64_t> buckets,
                      uint64_t count, uint64_t sum_us);

  std::string& out_;
  std::string_view name_;
};

// EscapeLabelValue escapes `v` for a label value: \\, \" and \n.
std::string EscapeLabelValue(std::string_view v);

class Registry {
 public:
  // Each returns the metric registered under `name` (creating it once); `help` is one line.
  Counter* GetCounter(std::string_view name, std::string_view help);
  Gauge* GetGauge(std::string_view name, std::string_view help);
  Histogram* GetHistogram(std::string_view name, std::string_view help);
  // The labelled families (see CounterFamily): `label_names` are fixed by the first caller.
  CounterFamily* GetCounterFamily(std::string_view name, std::string_view help,
                                  std::initializer_list<std::string_view> label_names);
  HistogramFamily* GetHistogramFamily(std::string_view name, std::string_view help,
                                      std::initializer_list<std::string_view> label_names);
  // AddCallback registers a value read at exposition time (e.g. cache bytes): a counter when
  // `name` ends in _total (Prometheus' convention), else a gauge.
  void AddCallback(std::string_view name, std::string_view help, std::function<int64_t()> read);
  // AddFamilyCallback registers a labelled family whose samples `write` emits at exposition
  // time (it runs under the registry's lock: it must not call back into the registry).
  void AddFamilyCallback(std::string_view name, std::string_view help, Type type,
                         std::function<void(FamilyWriter&)> write);

  // Expose writes every metric in the Prometheus text format, sorted by name.
  std::string Expose() const;

 private:
  struct Item {
    std::string name, help;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::unique_ptr<CounterFamily> counter_family;
    std::unique_ptr<HistogramFamily> histogram_family;
    std::function<int64_t()> callback;
    Type family_type = Type::kGauge;
    std::function<void(FamilyWriter&)> family;
  };
  Item* FindLocked(std::string_view name) SHOAL_REQUIRES(mu_);
  mutable Mutex mu_;
  std::vector<std::unique_ptr<Item>> items_ SHOAL_GUARDED_BY(mu_);
};

}  // namespace shoal::metrics

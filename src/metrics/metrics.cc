#include "metrics/metrics.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace shoal::metrics {

void Histogram::ObserveUs(uint64_t us) {
  size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  Cell& cell = cells_[StripedCounter::Stripe()];
  cell.buckets[i].fetch_add(1, std::memory_order_relaxed);
  cell.sum.fetch_add(us, std::memory_order_relaxed);
}

uint64_t Histogram::bucket(size_t i) const {
  uint64_t n = 0;
  for (const Cell& c : cells_) n += c.buckets[i].load(std::memory_order_relaxed);
  return n;
}

uint64_t Histogram::count() const {
  uint64_t n = 0;
  for (size_t i = 0; i < kBuckets; ++i) n += bucket(i);
  return n;
}

uint64_t Histogram::sum_us() const {
  uint64_t n = 0;
  for (const Cell& c : cells_) n += c.sum.load(std::memory_order_relaxed);
  return n;
}

Histogram::Buckets Histogram::Snapshot() const {
  Buckets b{};
  for (size_t i = 0; i < kBuckets; ++i) b[i] = bucket(i);
  return b;
}

namespace {

// FindChild returns the child of `values` in `children`, making it with `make` once.
template <class Entry, class Make>
Entry& FindChild(std::vector<Entry>& children, size_t labels,
                 std::initializer_list<std::string_view> values, Make make) {
  for (Entry& e : children) {
    if (std::equal(e.values.begin(), e.values.end(), values.begin(), values.end())) return e;
  }
  Entry e;
  for (const std::string_view v : values) e.values.emplace_back(v);
  e.values.resize(labels);  // a caller's wrong count gives empty values, not a broken page
  make(e);
  children.push_back(std::move(e));
  return children.back();
}

}  // namespace

Counter* CounterFamily::Child(std::initializer_list<std::string_view> values) {
  MutexLock lock(mu_);
  return FindChild(children_, label_names_.size(), values,
                   [](Entry& e) { e.counter = std::make_unique<Counter>(); })
      .counter.get();
}

Histogram* HistogramFamily::Child(std::initializer_list<std::string_view> values) {
  MutexLock lock(mu_);
  return FindChild(children_, label_names_.size(), values,
                   [](Entry& e) { e.histogram = std::make_unique<Histogram>(); })
      .histogram.get();
}

Registry::Item* Registry::FindLocked(std::string_view name) {
  for (auto& item : items_) {
    if (item->name == name) return item.get();
  }
  items_.push_back(std::make_unique<Item>());
  items_.back()->name = std::string(name);
  return items_.back().get();
}

namespace {

// MakeOnce returns `metric`, making it and setting the item's `help` on first use (the first
// caller's help text wins).
template <class Metric>
Metric* MakeOnce(std::unique_ptr<Metric>& metric, std::string& help, std::string_view new_help) {
  if (!metric) {
    metric = std::make_unique<Metric>();
    help = std::string(new_help);
  }
  return metric.get();
}

// LeValue is bucket `i`'s upper bound in seconds ("+Inf" for the last).
std::string LeValue(size_t i) {
  return i < Histogram::kBoundsUs.size()
             ? std::to_string(static_cast<double>(Histogram::kBoundsUs[i]) / 1e6)
             : "+Inf";
}

// LabelsOf pairs a family's label names with one child's values (views into both).
std::vector<Label> LabelsOf(const std::vector<std::string>& names,
                            const std::vector<std::string>& values) {
  std::vector<Label> labels;
  labels.reserve(names.size());
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    labels.push_back({names[i], values[i]});
  }
  return labels;
}

std::string Seconds(uint64_t us) { return std::to_string(static_cast<double>(us) / 1e6); }

// EscapeHelp escapes a HELP text: backslash and newline.
std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Counter* Registry::GetCounter(std::string_view name, std::string_view help) {
  MutexLock lock(mu_);
  Item* item = FindLocked(name);
  return MakeOnce(item->counter, item->help, help);
}

Gauge* Registry::GetGauge(std::string_view name, std::string_view help) {
  MutexLock lock(mu_);
  Item* item = FindLocked(name);
  return MakeOnce(item->gauge, item->help, help);
}

Histogram* Registry::GetHistogram(std::string_view name, std::string_view help) {
  MutexLock lock(mu_);
  Item* item = FindLocked(name);
  return MakeOnce(item->histogram, item->help, help);
}

namespace {

std::vector<std::string> Names(std::initializer_list<std::string_view> names) {
  return {names.begin(), names.end()};
}

}  // namespace

CounterFamily* Registry::GetCounterFamily(std::string_view name, std::string_view help,
                                          std::initializer_list<std::string_view> label_names) {
  MutexLock lock(mu_);
  Item* item = FindLocked(name);
  if (!item->counter_family) {
    item->counter_family.reset(new CounterFamily(Names(label_names)));
    item->help = std::string(help);
  }
  return item->counter_family.get();
}

HistogramFamily* Registry::GetHistogramFamily(std::string_view name, std::string_view help,
                                              std::initializer_list<std::string_view> label_names) {
  MutexLock lock(mu_);
  Item* item = FindLocked(name);
  if (!item->histogram_family) {
    item->histogram_family.reset(new HistogramFamily(Names(label_names)));
    item->help = std::string(help);
  }
  return item->histogram_family.get();
}

void Registry::AddFamilyCallback(std::string_view name, std::string_view help, Type type,
                                 std::function<void(FamilyWriter&)> write) {
  MutexLock lock(mu_);
  Item* item = FindLocked(name);
  item->family_type = type;
  item->family = std::move(write);
  item->help = std::string(help);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void FamilyWriter::Line(std::string_view suffix, std::span<const Label> labels, const Label* extra,
                        std::string_view value) {
  out_ += name_;
  out_ += suffix;
  if (!labels.empty() || extra != nullptr) {
    out_ += '{';
    bool first = true;
    const auto add = [&](const Label& l) {
      if (!first) out_ += ',';
      first = false;
      out_ += l.name;
      out_ += "=\"";
      out_ += EscapeLabelValue(l.value);
      out_ += '"';
    };
    for (const Label& l : labels) add(l);
    if (extra != nullptr) add(*extra);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void FamilyWriter::Sample(std::initializer_list<Label> labels, int64_t value) {
  Line("", std::span<const Label>(labels.begin(), labels.size()), nullptr, std::to_string(value));
}

void FamilyWriter::SampleDouble(std::initializer_list<Label> labels, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.6f", value);
  Line("", std::span<const Label>(labels.begin(), labels.size()), nullptr, text);
}

void FamilyWriter::HistogramSample(std::initializer_list<Label> labels,
                                   std::span<const uint64_t> buckets, uint64_t count,
                                   uint64_t sum_us) {
  HistogramLines(std::span<const Label>(labels.begin(), labels.size()), buckets, count, sum_us);
}

void FamilyWriter::HistogramLines(std::span<const Label> labels, std::span<const uint64_t> buckets,
                                  uint64_t count, uint64_t sum_us) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < buckets.size() && i <= Histogram::kBoundsUs.size(); ++i) {
    cumulative += buckets[i];
    const std::string le = LeValue(i);
    const Label l{"le", le};
    Line("_bucket", labels, &l, std::to_string(cumulative));
  }
  Line("_sum", labels, nullptr, Seconds(sum_us));
  Line("_count", labels, nullptr, std::to_string(count));
}

void Registry::AddCallback(std::string_view name, std::string_view help,
                           std::function<int64_t()> read) {
  MutexLock lock(mu_);
  Item* item = FindLocked(name);
  item->callback = std::move(read);
  item->help = std::string(help);
}

std::string Registry::Expose() const {
  std::vector<const Item*> sorted;
  MutexLock lock(mu_);
  for (const auto& item : items_) sorted.push_back(item.get());
  std::sort(sorted.begin(), sorted.end(),
            [](const Item* a, const Item* b) { return a->name < b->name; });
  std::string out;
  const auto head = [&out](const Item& item, std::string_view type) {
    out += "# HELP " + item.name + " " + EscapeHelp(item.help) + "\n# TYPE " + item.name + " ";
    out += type;
    out += "\n";
  };
  for (const Item* item : sorted) {
    if (item->counter) {
      head(*item, "counter");
      out += item->name + " " + std::to_string(item->counter->value()) + "\n";
    } else if (item->gauge) {
      head(*item, "gauge");
      out += item->name + " " + std::to_string(item->gauge->value()) + "\n";
    } else if (item->callback) {
      const bool total = item->name.size() > 6 &&
                         std::string_view(item->name).substr(item->name.size() - 6) == "_total";
      head(*item, total ? "counter" : "gauge");
      out += item->name + " " + std::to_string(item->callback()) + "\n";
    } else if (item->counter_family) {
      head(*item, "counter");
      const CounterFamily& f = *item->counter_family;
      FamilyWriter w(out, item->name);
      MutexLock family_lock(f.mu_);
      for (const CounterFamily::Entry& e : f.children_) {
        const std::vector<Label> labels = LabelsOf(f.label_names_, e.values);
        w.Line("", labels, nullptr, std::to_string(e.counter->value()));
      }
    } else if (item->histogram_family) {
      head(*item, "histogram");
      const HistogramFamily& f = *item->histogram_family;
      FamilyWriter w(out, item->name);
      MutexLock family_lock(f.mu_);
      for (const HistogramFamily::Entry& e : f.children_) {
        const std::vector<Label> labels = LabelsOf(f.label_names_, e.values);
        const Histogram::Buckets b = e.histogram->Snapshot();
        uint64_t count = 0;
        for (const uint64_t n : b) count += n;
        w.HistogramLines(labels, b, count, e.histogram->sum_us());
      }
    } else if (item->family) {
      head(*item, item->family_type == Type::kCounter ? "counter"
                  : item->family_type == Type::kGauge ? "gauge"
                                                      : "histogram");
      FamilyWriter w(out, item->name);
      item->family(w);
    } else if (item->histogram) {
      head(*item, "histogram");
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= Histogram::kBoundsUs.size(); ++i) {
        cumulative += item->histogram->bucket(i);
        out +=
            item->name + "_bucket{le=\"" + LeValue(i) + "\"} " + std::to_string(cumulative) + "\n";
      }
      out += item->name + "_sum " + Seconds(item->histogram->sum_us()) + "\n";
      out += item->name + "_count " + std::to_string(item->histogram->count()) + "\n";
    }
  }
  return out;
}

}  // namespace shoal::metrics

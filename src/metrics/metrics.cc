#include "metrics/metrics.h"

#include <algorithm>
#include <string>

namespace shoal::metrics {

void Histogram::ObserveUs(uint64_t us) {
  size_t i = 0;
  while (i < kBoundsUs.size() && us > kBoundsUs[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(us, std::memory_order_relaxed);
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

void FamilyWriter::Line(std::string_view suffix, std::initializer_list<Label> labels,
                        const Label* extra, std::string_view value) {
  out_ += name_;
  out_ += suffix;
  if (labels.size() > 0 || extra != nullptr) {
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
  Line("", labels, nullptr, std::to_string(value));
}

void FamilyWriter::HistogramSample(std::initializer_list<Label> labels,
                                   std::span<const uint64_t> buckets, uint64_t count,
                                   uint64_t sum_us) {
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

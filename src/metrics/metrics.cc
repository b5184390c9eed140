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
    out += "# HELP " + item.name + " " + item.help + "\n# TYPE " + item.name + " ";
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
      head(*item, "gauge");
      out += item->name + " " + std::to_string(item->callback()) + "\n";
    } else if (item->histogram) {
      head(*item, "histogram");
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= Histogram::kBoundsUs.size(); ++i) {
        cumulative += item->histogram->bucket(i);
        std::string le = i < Histogram::kBoundsUs.size()
                             ? std::to_string(static_cast<double>(Histogram::kBoundsUs[i]) / 1e6)
                             : "+Inf";
        out += item->name + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
      }
      out += item->name + "_sum " +
             std::to_string(static_cast<double>(item->histogram->sum_us()) / 1e6) + "\n";
      out += item->name + "_count " + std::to_string(item->histogram->count()) + "\n";
    }
  }
  return out;
}

}  // namespace shoal::metrics

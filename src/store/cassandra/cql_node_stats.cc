// cql_node_stats: see cql_node_stats.h. (Placeholder bodies: counting only; the suspect state
// and the recent window are the health work of issue 14.)
#include "store/cassandra/cql_node_stats.h"

namespace shoal::store::cassandra {

struct NodeStats::Window {};

NodeStats::NodeStats(NodeStatsOptions options) : options_(options) {}

void NodeStats::OnSent() {
  requests_.fetch_add(1, std::memory_order_relaxed);
  in_flight_.fetch_add(1, std::memory_order_relaxed);
}
void NodeStats::OnAnswered(Duration latency, bool error) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (error) errors_.fetch_add(1, std::memory_order_relaxed);
  latency_.ObserveUs(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
}
void NodeStats::OnBroken() {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  errors_.fetch_add(1, std::memory_order_relaxed);
}
void NodeStats::OnTimeout(TimePoint /*now*/) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  timeouts_.fetch_add(1, std::memory_order_relaxed);
}
void NodeStats::OnAbandoned() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
bool NodeStats::Suspect(TimePoint /*now*/) const { return false; }
Duration NodeStats::RecentP99() const { return Duration{}; }

void NodeStats::Report(NodeReport* out) const {
  out->requests = requests_.load(std::memory_order_relaxed);
  out->errors = errors_.load(std::memory_order_relaxed);
  out->timeouts = timeouts_.load(std::memory_order_relaxed);
  out->in_flight = in_flight_.load(std::memory_order_relaxed);
  out->suspect = false;
  for (size_t i = 0; i < out->latency_buckets.size(); ++i) {
    out->latency_buckets[i] = latency_.bucket(i);
  }
  out->latency_count = latency_.count();
  out->latency_sum_us = latency_.sum_us();
}

}  // namespace shoal::store::cassandra

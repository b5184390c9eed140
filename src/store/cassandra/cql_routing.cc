// cql_routing: see cql_routing.h.
#include "store/cassandra/cql_routing.h"

#include <algorithm>

namespace shoal::store::cassandra {
namespace {

// Bits of a node's facts in PlanRouteInto; 0 is "not planned" (down, or remote without the
// fallback).
constexpr uint8_t kUp = 1;
constexpr uint8_t kSuspect = 2;
constexpr uint8_t kLocal = 4;
constexpr uint8_t kReplica = 8;

// Appender fills a plan group by group: each group's nodes of one health are appended, then
// rotated by the round-robin counter among themselves.
class Appender {
 public:
  Appender(std::vector<size_t>& plan, uint64_t round_robin)
      : plan_(plan), round_robin_(round_robin) {}

  void Begin() { begin_ = plan_.size(); }
  void Add(size_t node) { plan_.push_back(node); }
  void End() {
    const size_t count = plan_.size() - begin_;
    if (count < 2) return;
    const auto first = plan_.begin() + static_cast<std::ptrdiff_t>(begin_);
    std::rotate(first, first + static_cast<std::ptrdiff_t>(round_robin_ % count), plan_.end());
  }

 private:
  std::vector<size_t>& plan_;
  const uint64_t round_robin_;
  size_t begin_ = 0;
};

}  // namespace

void PlanRouteInto(const Topology& topology, const ReplicaMap& replicas,
                   const RoutingPolicy& policy, std::string_view routing_key, uint64_t round_robin,
                   const std::function<NodeHealth(size_t)>& health, std::vector<size_t>* plan) {
  plan->clear();
  const size_t n = topology.nodes.size();
  std::span<const size_t> owners;
  if (!routing_key.empty() && !replicas.empty()) {
    owners = replicas.ForToken(Murmur3Token(routing_key));
  }
  // Each node's facts, found once: local or not, replica or not, and its health (called once
  // per node). The scratch is the thread's own and keeps its capacity between calls.
  thread_local std::vector<uint8_t> facts;
  facts.assign(n, 0);
  for (size_t node = 0; node < n; ++node) {
    const bool local = policy.local_dc.empty() || topology.nodes[node].dc == policy.local_dc;
    if (!local && !policy.remote_dc_fallback) continue;  // never planned: health not asked
    switch (health(node)) {
      case NodeHealth::kUp:
        facts[node] = kUp;
        break;
      case NodeHealth::kSuspect:
        facts[node] = kSuspect;
        break;
      case NodeHealth::kDown:
        continue;
    }
    if (local) facts[node] |= kLocal;
  }
  for (size_t node : owners) {
    if (node < n) facts[node] |= kReplica;
  }
  Appender out(*plan, round_robin);
  // Up nodes first, then the suspects in the same group order; down nodes never.
  for (const uint8_t wanted : {kUp, kSuspect}) {
    for (const uint8_t where : {kLocal, uint8_t{0}}) {
      if (where == 0 && !policy.remote_dc_fallback) break;
      const uint8_t group = wanted | where;
      // The token's replicas in this part of the cluster, in their ring order.
      out.Begin();
      for (size_t node : owners) {
        if (node < n && facts[node] == (group | kReplica)) out.Add(node);
      }
      out.End();
      // Then its other nodes (all of them when there are no replicas to prefer).
      out.Begin();
      for (size_t node = 0; node < n; ++node) {
        if (facts[node] == group) out.Add(node);
      }
      out.End();
    }
  }
}

std::vector<size_t> PlanRoute(const Topology& topology, const ReplicaMap& replicas,
                              const RoutingPolicy& policy, std::string_view routing_key,
                              uint64_t round_robin,
                              const std::function<NodeHealth(size_t)>& health) {
  std::vector<size_t> plan;
  plan.reserve(topology.nodes.size());
  PlanRouteInto(topology, replicas, policy, routing_key, round_robin, health, &plan);
  return plan;
}

}  // namespace shoal::store::cassandra

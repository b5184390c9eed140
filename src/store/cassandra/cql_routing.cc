// cql_routing: see cql_routing.h.
#include "store/cassandra/cql_routing.h"

#include <algorithm>

namespace shoal::store::cassandra {

std::vector<size_t> PlanRoute(const TokenRing& ring, size_t nodes, std::string_view routing_key,
                              uint64_t start) {
  std::vector<size_t> plan;
  plan.reserve(nodes);
  if (!routing_key.empty() && !ring.empty()) {
    ring.Replicas(Murmur3Token(routing_key), nodes, &plan);
  }
  if (plan.size() < nodes) {
    // Round-robin for unrouted requests; the rest of the nodes after the replicas otherwise.
    for (size_t i = 0; i < nodes; ++i) {
      const size_t node = static_cast<size_t>((start + i) % nodes);
      if (std::find(plan.begin(), plan.end(), node) == plan.end()) plan.push_back(node);
    }
  }
  return plan;
}

}  // namespace shoal::store::cassandra

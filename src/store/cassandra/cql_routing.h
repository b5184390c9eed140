// cql_routing: which nodes a request tries, in order. Internal to store/cassandra.
//
// A request whose partition key is fully bound (a routing key) goes to the node owning the
// key's Murmur3 token first, then to the next distinct nodes around the ring (SimpleStrategy
// placement; a fair approximation under NetworkTopologyStrategy), then to any node the ring
// does not list. Other requests go round-robin: every node, from `start` on. The executor
// walks the plan, skipping nodes that are down (cql_executor.h).
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "store/cassandra/cql_token.h"

namespace shoal::store::cassandra {

// PlanRoute returns every node index in [0, nodes), once each, in the order to try them.
std::vector<size_t> PlanRoute(const TokenRing& ring, size_t nodes, std::string_view routing_key,
                              uint64_t start);

}  // namespace shoal::store::cassandra

// cql_replicas: which nodes hold a token's data, precomputed for every range of the ring the
// way Cassandra places replicas. Internal to store/cassandra; no I/O.
//
// SimpleStrategy: walking the ring clockwise from the token's owner, the first RF distinct
// nodes. NetworkTopologyStrategy (Cassandra's NetworkTopologyStrategy.calculateNaturalReplicas,
// ported from its logic): one walk from the owner; each data centre with RF(dc) > 0 takes
// min(RF(dc), its node count) distinct nodes of its own, one per rack while racks remain
// unseen, and accepts a node of an already-seen rack only while the DC has RF(dc) minus its
// rack count such repeats left (the first ones met). Nodes and racks are counted over the
// nodes that own tokens. LocalStrategy / EverywhereStrategy: every node, for every token.
// Unknown strategy: none (ForToken is empty; route by data centre alone).
//
// Build costs O(ranges x walk) once per topology (off the request path: 16 vnodes x 50 nodes
// is 800 ranges); ForToken is one binary search and no allocation.
// Thread-safety: immutable after Build; any number of threads may call ForToken.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "store/cassandra/cql_nodes.h"
#include "store/cassandra/cql_replication.h"

namespace shoal::store::cassandra {

class ReplicaMap {
 public:
  ReplicaMap() = default;  // no replica information

  static ReplicaMap Build(const Topology& topology, const Replication& replication);

  // ForToken returns the token's replicas (node indexes, primary first for SimpleStrategy and
  // NetworkTopologyStrategy); empty when the map knows none (no tokens, unknown strategy).
  std::span<const size_t> ForToken(int64_t token) const;

  // empty: no token has replicas (PlanRoute then routes by data centre alone).
  bool empty() const { return replicas_.empty(); }

 private:
  // ends_[i] is the ring's i-th token (ascending); range i, (ends_[i-1], ends_[i]], has the
  // replicas replicas_[offsets_[i], offsets_[i+1]). `everywhere_` instead: every token has all
  // of replicas_.
  std::vector<int64_t> ends_;
  std::vector<uint32_t> offsets_;
  std::vector<size_t> replicas_;
  bool everywhere_ = false;
};

}  // namespace shoal::store::cassandra

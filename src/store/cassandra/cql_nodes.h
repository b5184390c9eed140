// cql_nodes: the cluster's nodes and token ring as a value, as discovery (cql_topology.h)
// finds them, with the pure functions over it: building the ring, resolving the local data
// centre, describing it for the log. Internal to store/cassandra; no I/O.
//
// Node indexes are positions in Topology::nodes; they are stable within one Topology (the
// ring, ReplicaMap and PlanRoute all speak of them). A refresh (the control connection) makes
// a new Topology whose indexes may differ: match nodes across refreshes by host_id.
// Thread-safety: Topology is a value, immutable once published; the functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/host_port.h"
#include "base/status.h"
#include "store/cassandra/cql_replication.h"
#include "store/cassandra/cql_token.h"

namespace shoal::store::cassandra {

struct NodeInfo {
  HostPort endpoint;
  std::string address;  // FormatHostPort of endpoint, for messages and logs
  // host_id as the server reports it (the node's identity across address changes), in the
  // canonical 8-4-4-4-12 hex form; empty when the server listed none.
  std::string host_id;
  std::string dc;    // data_center; empty if unknown
  std::string rack;  // rack; empty if unknown
  std::vector<int64_t> tokens;
};

struct Topology {
  std::vector<NodeInfo> nodes;  // the contact point first
  TokenRing ring;               // token -> index into nodes; empty if no node listed tokens
  // The session keyspace's replication (Discovery::keyspace); kUnknown when none was read.
  Replication replication;
};

// MakeRing returns the ring of every node's tokens (node index = position in `nodes`).
TokenRing MakeRing(const std::vector<NodeInfo>& nodes);

// ResolveLocalDc returns the data centre requests stay in: `configured` when some node is in
// it (else InvalidArgument "store.cassandra.local_dc: no node is in data centre 'x' (the ring
// has: dc1, dc2)"); when `configured` is empty, the data centre of node `contact_index` (empty
// when the server reported none, or the index is out of range: every node is then local).
Result<std::string> ResolveLocalDc(const Topology& topology, std::string_view configured,
                                   size_t contact_index);

// DescribeTopology returns "N nodes: a:9042 (dc1/rack1), b:9042 (dc1/rack2), ..." for the
// log; a node without a data centre shows its address alone.
std::string DescribeTopology(const Topology& topology);

}  // namespace shoal::store::cassandra

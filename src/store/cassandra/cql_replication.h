// cql_replication: how a keyspace places its replicas, as system_schema.keyspaces lists it.
// Internal to store/cassandra; a value type and a pure parser, no I/O (cql_topology.h's
// ReadReplication runs the query).
//
// The `replication` column is a map<text, text>: 'class' (the strategy's full Java name or
// its short one) and either 'replication_factor' (SimpleStrategy) or one count per data
// centre (NetworkTopologyStrategy). A count may use the transient-replication syntax
// "all/transient" ("3/1"): the part before '/' is the number of replicas. LocalStrategy (the
// system keyspaces) and DSE's EverywhereStrategy keep data on every node. Any other class,
// or counts that do not parse, give kUnknown: no replica information, so requests are routed
// by data centre only.
// Thread-safety: a value and a pure function.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::store::cassandra {

struct Replication {
  enum class Kind { kSimple, kNetworkTopology, kEverywhere, kUnknown };
  Kind kind = Kind::kUnknown;
  int simple_rf = 0;                 // kSimple: replicas around the ring
  std::map<std::string, int> dc_rf;  // kNetworkTopology: replicas per data centre (> 0)
  std::string class_name;            // 'class' as listed; empty when none was read
};

// ParseReplication reads the `replication` map's entries (any order).
Replication ParseReplication(const std::vector<std::pair<std::string, std::string>>& options);

// DescribeReplication returns e.g. "SimpleStrategy rf 3", "NetworkTopologyStrategy dc1:3
// dc2:2", "EverywhereStrategy", "unknown class 'x'" for the log.
std::string DescribeReplication(const Replication& replication);

}  // namespace shoal::store::cassandra

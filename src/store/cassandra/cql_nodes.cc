// cql_nodes: see cql_nodes.h.
#include "store/cassandra/cql_nodes.h"

#include <algorithm>
#include <utility>

namespace shoal::store::cassandra {

TokenRing MakeRing(const std::vector<NodeInfo>& nodes) {
  std::vector<std::pair<int64_t, size_t>> pairs;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (int64_t t : nodes[i].tokens) pairs.emplace_back(t, i);
  }
  return TokenRing(std::move(pairs));
}

Result<std::string> ResolveLocalDc(const Topology& topology, std::string_view configured,
                                   size_t contact_index) {
  if (configured.empty()) {
    if (contact_index >= topology.nodes.size()) return std::string();
    return topology.nodes[contact_index].dc;
  }
  std::vector<std::string_view> dcs;
  for (const NodeInfo& node : topology.nodes) {
    if (node.dc == configured) return std::string(configured);
    if (!node.dc.empty()) dcs.push_back(node.dc);
  }
  std::sort(dcs.begin(), dcs.end());
  dcs.erase(std::unique(dcs.begin(), dcs.end()), dcs.end());
  std::string known;
  for (std::string_view dc : dcs) {
    if (!known.empty()) known += ", ";
    known += dc;
  }
  if (known.empty()) known = "no data centre reported";
  return Status::InvalidArgument("store.cassandra.local_dc: no node is in data centre '" +
                                 std::string(configured) + "' (the ring has: " + known + ")");
}

std::string DescribeTopology(const Topology& topology) {
  std::string out =
      std::to_string(topology.nodes.size()) + (topology.nodes.size() == 1 ? " node: " : " nodes: ");
  for (size_t i = 0; i < topology.nodes.size(); ++i) {
    const NodeInfo& node = topology.nodes[i];
    if (i > 0) out += ", ";
    out += node.address;
    if (!node.dc.empty()) {
      out += " (" + node.dc;
      if (!node.rack.empty()) out += "/" + node.rack;
      out += ")";
    }
  }
  return out;
}

}  // namespace shoal::store::cassandra

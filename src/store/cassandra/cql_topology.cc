// cql_topology: see cql_topology.h.
#include "store/cassandra/cql_topology.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <arpa/inet.h>

#include "store/cassandra/cql_blocking.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_result.h"

namespace shoal::store::cassandra {
namespace {

// Cell decoders for the discovery queries.
std::optional<std::string> InetText(std::optional<std::string_view> cell) {
  if (!cell || (cell->size() != 4 && cell->size() != 16)) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(cell->size() == 4 ? AF_INET : AF_INET6, cell->data(), text, sizeof text) ==
      nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<int32_t> IntCell(std::optional<std::string_view> cell) {
  if (!cell || cell->size() != 4) return std::nullopt;
  WireReader r(*cell);
  int32_t v = 0;
  r.Int(&v);
  return v;
}

// TokenSet reads a set<text> of decimal tokens; malformed entries are skipped.
std::vector<int64_t> TokenSet(std::optional<std::string_view> cell) {
  std::vector<int64_t> tokens;
  if (!cell) return tokens;
  WireReader r(*cell);
  int32_t n = 0;
  if (!r.Int(&n) || n < 0) return tokens;
  for (int32_t i = 0; i < n; ++i) {
    std::optional<std::string_view> item;
    if (!r.Bytes(&item)) break;
    if (!item) continue;
    if (Result<int64_t> t = ParseToken(*item); t.ok()) tokens.push_back(*t);
  }
  return tokens;
}

}  // namespace

void KeepNodesIn(std::vector<NodeInfo>& nodes, std::span<const Cidr> networks,
                 std::span<const HostPort> contact_points, const Log& log) {
  if (networks.empty() || nodes.empty()) return;
  std::vector<NodeInfo> kept;
  kept.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeInfo& node = nodes[i];
    const bool contact = i == 0 || std::find(contact_points.begin(), contact_points.end(),
                                             node.endpoint) != contact_points.end();
    if (contact || InAnyNetwork(networks, node.endpoint.host)) {
      kept.push_back(std::move(nodes[i]));
      continue;
    }
    log.Warn("not dialling discovered node " + node.address +
             ": outside store.cassandra.node_networks");
  }
  nodes = std::move(kept);
}

Result<Topology> DiscoverTopology(Connection& control, const HostPort& contact,
                                  const Discovery& discovery, const Log& log) {
  const Duration timeout = discovery.timeout;
  const bool discover_peers = discovery.discover_peers;
  const std::string address = contact.ToString();
  auto run = [&](std::string_view cql) -> Result<std::string> {
    return ResultOrError(SendAndWait(
                             control,
                             [cql](std::string& out, int16_t stream) {
                               QueryParameters p;
                               p.consistency = Consistency::kOne;
                               return AppendQuery(out, stream, cql, p);
                             },
                             timeout),
                         address, ErrorStage::kSetup);
  };
  Topology topology;
  NodeInfo local;
  local.endpoint = contact;
  local.address = address;
  Result<std::string> r = run("SELECT tokens FROM system.local");
  if (!r.ok()) return r.status();
  Result<ResultMessage> m = ParseResult(*r);
  if (m.ok()) {
    if (const auto* rows = std::get_if<RowsResult>(&*m); rows && rows->row_count > 0) {
      CellCursor cells = rows->cells();
      local.tokens = TokenSet(cells.Next());
    }
  }
  topology.nodes.push_back(std::move(local));
  if (!discover_peers) {
    // The other contact points are nodes of their own, without tokens (they take requests
    // round-robin, and after the ring's replicas for routed ones).
    for (const HostPort& hp : discovery.contact_points) {
      if (hp == contact) continue;
      NodeInfo other;
      other.endpoint = hp;
      other.address = hp.ToString();
      topology.nodes.push_back(std::move(other));
    }
  }
  if (discover_peers) {
    bool v2 = true;
    r = run("SELECT native_address, native_port, tokens FROM system.peers_v2");
    if (!r.ok()) {
      v2 = false;  // Cassandra 3.x has only system.peers
      r = run("SELECT rpc_address, tokens FROM system.peers");
    }
    if (!r.ok()) return r.status();
    m = ParseResult(*r);
    if (m.ok()) {
      if (const auto* rows = std::get_if<RowsResult>(&*m)) {
        CellCursor cells = rows->cells();
        for (int32_t i = 0; i < rows->row_count; ++i) {
          std::optional<std::string> host = InetText(cells.Next());
          std::optional<int32_t> port = contact.port;
          if (v2) port = IntCell(cells.Next());
          std::vector<int64_t> tokens = TokenSet(cells.Next());
          if (!host || !port || *port <= 0 || *port > 65535) continue;  // not serving CQL
          NodeInfo peer;
          peer.endpoint = HostPort{*host, static_cast<uint16_t>(*port)};
          peer.address = peer.endpoint.ToString();
          peer.tokens = std::move(tokens);
          topology.nodes.push_back(std::move(peer));
        }
      }
    }
  }
  KeepNodesIn(topology.nodes, discovery.node_networks, discovery.contact_points, log);
  std::vector<std::pair<int64_t, size_t>> pairs;
  for (size_t i = 0; i < topology.nodes.size(); ++i) {
    for (int64_t t : topology.nodes[i].tokens) pairs.emplace_back(t, i);
  }
  topology.ring = TokenRing(std::move(pairs));
  return topology;
}

std::string DescribeTopology(const Topology& topology) {
  std::string out =
      std::to_string(topology.nodes.size()) + (topology.nodes.size() == 1 ? " node: " : " nodes: ");
  for (size_t i = 0; i < topology.nodes.size(); ++i) {
    if (i > 0) out += ", ";
    out += topology.nodes[i].address;
  }
  return out;
}

}  // namespace shoal::store::cassandra

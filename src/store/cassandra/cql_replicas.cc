// cql_replicas: see cql_replicas.h.
//
// The NetworkTopologyStrategy walk follows Cassandra 5.0's logic (DatacenterEndpoints with
// "acceptable rack repeats"). Older servers (2.x) kept nodes of already-seen racks aside and
// used them, in the order met, once every rack of the DC had been seen; both take, per DC, the
// first node met in each rack and then the first (RF - racks) nodes met in racks already
// seen, so they choose the same set.
#include "store/cassandra/cql_replicas.h"

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>

namespace shoal::store::cassandra {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

using Entries = std::span<const std::pair<int64_t, size_t>>;

// SimpleWalk appends to `out` the first `rf` distinct nodes met from ring position `start`.
// `seen[node] == start` marks a node taken for this position.
void SimpleWalk(Entries ring, size_t start, size_t rf, std::vector<size_t>& seen,
                std::vector<size_t>& out) {
  size_t taken = 0;
  for (size_t step = 0; step < ring.size() && taken < rf; ++step) {
    const size_t node = ring[(start + step) % ring.size()].second;
    if (seen[node] == start) continue;
    seen[node] = start;
    out.push_back(node);
    ++taken;
  }
}

// Placement is NetworkTopologyStrategy's view of the nodes: each token-owning node's data
// centre (an index into the DCs that take replicas, or kNone) and rack (an index over all
// (dc, rack) pairs), and per such DC the replicas it takes and the rack repeats it accepts.
struct Placement {
  std::vector<size_t> dc_of;
  std::vector<size_t> rack_of;
  size_t racks = 0;
  std::vector<int> rf;       // min(RF(dc), nodes in dc)
  std::vector<int> repeats;  // RF(dc) - racks in dc (may be <= 0: no repeats)
};

Placement MakePlacement(const Topology& topology, const Replication& replication) {
  const size_t n = topology.nodes.size();
  std::vector<bool> owns(n, false);
  for (const auto& [token, node] : topology.ring.entries()) owns[node] = true;
  Placement p;
  p.dc_of.assign(n, kNone);
  p.rack_of.assign(n, kNone);
  std::map<std::string_view, size_t> dcs;  // DC name -> index into p.rf
  std::map<std::pair<std::string_view, std::string_view>, size_t> racks;
  std::vector<int> nodes_in;  // per DC index
  std::vector<int> racks_in;
  for (size_t i = 0; i < n; ++i) {
    const NodeInfo& node = topology.nodes[i];
    if (!owns[i] || node.dc.empty()) continue;
    const auto rf = replication.dc_rf.find(node.dc);
    if (rf == replication.dc_rf.end() || rf->second <= 0) continue;
    auto [dc, new_dc] = dcs.emplace(node.dc, p.rf.size());
    if (new_dc) {
      p.rf.push_back(rf->second);
      nodes_in.push_back(0);
      racks_in.push_back(0);
    }
    auto [rack, new_rack] = racks.emplace(
        std::pair<std::string_view, std::string_view>(node.dc, node.rack), racks.size());
    if (new_rack) ++racks_in[dc->second];
    p.dc_of[i] = dc->second;
    p.rack_of[i] = rack->second;
    ++nodes_in[dc->second];
  }
  p.racks = racks.size();
  p.repeats.resize(p.rf.size());
  for (size_t d = 0; d < p.rf.size(); ++d) {
    p.repeats[d] = p.rf[d] - racks_in[d];
    p.rf[d] = std::min(p.rf[d], nodes_in[d]);
  }
  return p;
}

// NetworkWalk appends to `out` the replicas of ring position `start` (see cql_replicas.h).
// `seen` marks nodes and `rack_seen` racks taken for this position; `rf_left` and
// `repeats_left` are scratch of the DCs' size.
void NetworkWalk(Entries ring, size_t start, const Placement& p, std::vector<size_t>& seen,
                 std::vector<size_t>& rack_seen, std::vector<int>& rf_left,
                 std::vector<int>& repeats_left, std::vector<size_t>& out) {
  rf_left = p.rf;
  repeats_left = p.repeats;
  size_t dcs_to_fill = p.rf.size();
  for (size_t step = 0; step < ring.size() && dcs_to_fill > 0; ++step) {
    const size_t node = ring[(start + step) % ring.size()].second;
    const size_t dc = p.dc_of[node];
    if (dc == kNone || rf_left[dc] == 0 || seen[node] == start) continue;
    const size_t rack = p.rack_of[node];
    if (rack_seen[rack] != start) {
      rack_seen[rack] = start;  // the first node met in this rack
    } else if (repeats_left[dc] > 0) {
      --repeats_left[dc];  // a rack repeat, while the DC has fewer racks than replicas
    } else {
      continue;  // a rack already used: the remaining replicas go to unseen racks
    }
    seen[node] = start;
    out.push_back(node);
    if (--rf_left[dc] == 0) --dcs_to_fill;
  }
}

}  // namespace

ReplicaMap ReplicaMap::Build(const Topology& topology, const Replication& replication) {
  ReplicaMap m;
  const size_t n = topology.nodes.size();
  if (replication.kind == Replication::Kind::kEverywhere) {
    m.everywhere_ = true;
    for (size_t i = 0; i < n; ++i) m.replicas_.push_back(i);
    return m;
  }
  const Entries ring = topology.ring.entries();
  const bool simple = replication.kind == Replication::Kind::kSimple && replication.simple_rf > 0;
  const bool network =
      replication.kind == Replication::Kind::kNetworkTopology && !replication.dc_rf.empty();
  if (ring.empty() || (!simple && !network)) return m;

  Placement placement;
  if (network) placement = MakePlacement(topology, replication);
  std::vector<size_t> seen(n, kNone);
  std::vector<size_t> rack_seen(placement.racks, kNone);
  std::vector<int> rf_left;
  std::vector<int> repeats_left;
  m.ends_.reserve(ring.size());
  m.offsets_.reserve(ring.size() + 1);
  for (size_t i = 0; i < ring.size(); ++i) {
    m.ends_.push_back(ring[i].first);
    m.offsets_.push_back(static_cast<uint32_t>(m.replicas_.size()));
    if (simple) {
      SimpleWalk(ring, i, static_cast<size_t>(replication.simple_rf), seen, m.replicas_);
    } else {
      NetworkWalk(ring, i, placement, seen, rack_seen, rf_left, repeats_left, m.replicas_);
    }
  }
  m.offsets_.push_back(static_cast<uint32_t>(m.replicas_.size()));
  if (m.replicas_.empty()) return ReplicaMap();  // e.g. no node in any listed DC
  return m;
}

std::span<const size_t> ReplicaMap::ForToken(int64_t token) const {
  if (everywhere_) return replicas_;
  if (ends_.empty()) return {};
  size_t at =
      static_cast<size_t>(std::lower_bound(ends_.begin(), ends_.end(), token) - ends_.begin());
  if (at == ends_.size()) at = 0;  // past the largest token: the ring wraps
  return std::span<const size_t>(replicas_).subspan(offsets_[at], offsets_[at + 1] - offsets_[at]);
}

}  // namespace shoal::store::cassandra

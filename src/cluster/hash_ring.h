// HashRing: consistent hashing of cache keys to cluster nodes, with virtual nodes.
//
// Every node of a cluster builds the same ring from the same member list and so agrees, with
// no messages, on which node owns a key (loads it from the store and keeps it in its main
// cache). Adding a node moves only the keys the new node takes over, about 1/(N+1) of them;
// removing one moves only the keys it owned. No key ever moves between two nodes that stay.
//
// Hash: shoal::Hash64 (base/hash.h), chosen because it is stable across processes and builds;
// std::hash is not, and two nodes that disagree about an owner would load a key twice.
//  - Node i's points are Hash64(name, seed = p) for p in [0, points_per_node): no string is
//    built per point. Measured against the other usual form, Hash64("name#p"), over 6,400
//    node shares: the same spread (7.4% against 7.5% at 160 points).
//  - A key's position is Hash64(key, kKeySeed), not Hash64(key). The cache once picked its
//    shard from the top 4 bits of Hash64(key) (it now uses KeyedHash, independent of the ring);
//    were the ring to use the shard's hash, the keys a node owns would crowd into some of its
//    16 shards, and those would evict while others sat empty. Measured with 3 nodes and
//    1,000,000 keys: with Hash64(key), a node's shards held from 0.23x to 1.79x of its mean;
//    with the seed, 0.99x to 1.01x.
//  - A key is owned by the node of the first point at or after its position, wrapping round.
//    Equal point hashes are settled by node name (the smaller name keeps the point), so the
//    ring does not depend on the order of the input list.
//
// Points per node: 160 by default. A node's share of the keys is the sum of its arcs, so its
// spread falls as 1/sqrt(points). Measured over 6,400 node shares (rings of 3, 5, 8 and 16
// nodes with varied addresses, exact arc lengths): standard deviation of a node's load from
// its fair share 14.6% at 40 points, 9.4% at 100, 7.4% at 160, 5.2% at 320; the worst node
// was 31% off at 160 points. 160 points x 16 nodes is 2,560 points, 30 KiB: a lookup is a
// binary search of 12 steps over 20 KiB of hashes that stay in L2. Owner measured 47 ns with
// 3 nodes and 62 ns with 16 (8 ns of it hashing the key; bench/ring_bench.cc), against the
// network round trip of the remote load it routes.
//
// Node indices are positions in nodes(), which is sorted by name with duplicates collapsed.
// An index means something only within one ring: after a membership change the same name may
// have another index, so compare names (or look them up with IndexOf) across rings.
//
// Ownership: a HashRing owns copies of the node names. It is immutable after construction;
// the cluster shares it as a std::shared_ptr<const HashRing> snapshot and swaps the pointer
// when membership changes, so a lookup never waits for a rebuild.
// Thread-safety: every method is const and touches no shared mutable state, so any number of
// threads may use one ring at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::cluster {

class HashRing {
 public:
  // kDefaultPointsPerNode: about 7.4% standard deviation of a node's load (see above).
  static constexpr size_t kDefaultPointsPerNode = 160;
  // kKeySeed decorrelates the ring from the cache's shard choice (see above). Changing it (or
  // the point formula) changes every key's owner: all nodes of a cluster must agree on it.
  static constexpr uint64_t kKeySeed = 0x73686f616c72696eULL;  // "shoalrin"
  // kNoOwner is what OwnerIndex returns on an empty ring.
  static constexpr size_t kNoOwner = static_cast<size_t>(-1);

  // Builds the ring of `nodes` (names such as "127.0.0.1:7070"). Duplicates are collapsed and
  // the order does not matter. `nodes` may be empty (see empty()). A points_per_node of 0 is
  // taken as 1.
  explicit HashRing(std::vector<std::string> nodes, size_t points_per_node = kDefaultPointsPerNode);

  // KeyPosition is where `key` falls on the ring: Hash64(key, kKeySeed).
  static uint64_t KeyPosition(std::string_view key);

  // OwnerIndex returns the index in nodes() of the node that owns `key`, or kNoOwner if the
  // ring is empty. Allocates nothing.
  size_t OwnerIndex(std::string_view key) const;

  // Owner returns the name of the node that owns `key`. REQUIRES: !empty(); on an empty ring
  // it asserts in debug builds and returns an empty string otherwise.
  const std::string& Owner(std::string_view key) const;

  // IndexOf returns the index of node `name` in nodes(), or nullopt if it is not a member.
  // The cluster uses it once per ring to find itself ("is the owner me?" is then an integer
  // comparison).
  std::optional<size_t> IndexOf(std::string_view name) const;

  // Shares returns, by node index, the fraction of the hash space each node owns (the arcs
  // ending at its points); they sum to 1 (empty for an empty ring).
  std::vector<double> Shares() const;

  // nodes returns the member names, sorted, without duplicates.
  const std::vector<std::string>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }
  // empty is true when the ring has no node; Owner must not be called then.
  bool empty() const { return nodes_.empty(); }
  size_t points_per_node() const { return points_per_node_; }

 private:
  std::vector<std::string> nodes_;  // sorted by name, unique
  size_t points_per_node_;
  // The ring, sorted by point hash, one entry per distinct hash: points_[i] is owned by
  // nodes_[owners_[i]]. Kept as two arrays so the binary search reads only the hashes.
  std::vector<uint64_t> points_;
  std::vector<uint32_t> owners_;
};

}  // namespace shoal::cluster

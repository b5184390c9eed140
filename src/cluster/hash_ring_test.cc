#include "cluster/hash_ring.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/hash.h"

namespace shoal::cluster {
namespace {

constexpr size_t kKeys = 100000;

std::vector<std::string> Keys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back("/v1/items/" + std::to_string(i + 1));
  return keys;
}

std::vector<std::string> Nodes(size_t n) {
  std::vector<std::string> nodes;
  for (size_t i = 0; i < n; ++i) nodes.push_back("127.0.0.1:" + std::to_string(7070 + i));
  return nodes;
}

// Owners returns each key's owner name.
std::vector<std::string> Owners(const HashRing& ring, const std::vector<std::string>& keys) {
  std::vector<std::string> owners;
  owners.reserve(keys.size());
  for (const std::string& key : keys) owners.push_back(ring.Owner(key));
  return owners;
}

// ReferenceOwner is the documented rule written out the slow way: the node of the smallest
// point at or after the key's position, else of the smallest point; on equal points the
// smaller name.
std::string ReferenceOwner(const std::vector<std::string>& nodes, size_t points,
                           std::string_view key) {
  const uint64_t position = Hash64(key, HashRing::kKeySeed);
  bool found_after = false, found_any = false;
  uint64_t best_after = 0, best_any = 0;
  std::string owner_after, owner_any;
  for (const std::string& node : nodes) {
    for (size_t p = 0; p < points; ++p) {
      const uint64_t h = Hash64(node, p);
      if (!found_any || h < best_any || (h == best_any && node < owner_any)) {
        found_any = true;
        best_any = h;
        owner_any = node;
      }
      if (h >= position &&
          (!found_after || h < best_after || (h == best_after && node < owner_after))) {
        found_after = true;
        best_after = h;
        owner_after = node;
      }
    }
  }
  return found_after ? owner_after : owner_any;
}

TEST(HashRingTest, EmptyRingHasNoOwner) {
  HashRing ring({});
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.OwnerIndex("/v1/items/1"), HashRing::kNoOwner);
  EXPECT_FALSE(ring.IndexOf("127.0.0.1:7070").has_value());
  EXPECT_DEBUG_DEATH(ring.Owner("/v1/items/1"), "empty ring");
}

TEST(HashRingTest, DuplicatesCollapseAndNodesAreSorted) {
  HashRing ring({"b:2", "a:1", "b:2", "c:3", "a:1"}, 8);
  EXPECT_EQ(ring.nodes(), (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_FALSE(ring.empty());
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.points_per_node(), 8u);
  EXPECT_EQ(ring.IndexOf("b:2"), 1u);
  EXPECT_FALSE(ring.IndexOf("b").has_value());
  EXPECT_FALSE(ring.IndexOf("d:4").has_value());
}

TEST(HashRingTest, ZeroPointsPerNodeMeansOne) {
  HashRing ring({"a:1", "b:2"}, 0);
  EXPECT_EQ(ring.points_per_node(), 1u);
  for (const std::string& key : Keys(100)) {
    EXPECT_EQ(ring.Owner(key), ReferenceOwner(ring.nodes(), 1, key)) << key;
  }
}

TEST(HashRingTest, SingleNodeOwnsEverything) {
  HashRing ring({"127.0.0.1:7070"});
  for (const std::string& key : Keys(1000)) {
    ASSERT_EQ(ring.OwnerIndex(key), 0u);
    ASSERT_EQ(ring.Owner(key), "127.0.0.1:7070");
  }
}

// Few points per node make long arcs and many keys past the last point (the wrap), so a
// wrong bound or an off-by-one in the search would show here.
TEST(HashRingTest, MatchesTheDocumentedRule) {
  for (size_t points : {1u, 3u, 160u}) {
    HashRing ring(Nodes(5), points);
    for (const std::string& key : Keys(2000)) {
      ASSERT_EQ(ring.Owner(key), ReferenceOwner(ring.nodes(), points, key))
          << key << " points " << points;
      ASSERT_EQ(ring.nodes()[ring.OwnerIndex(key)], ring.Owner(key));
    }
  }
}

// Every node must compute the same owner, in every build of shoal: these owners are pinned.
// If this test fails, Hash64, kKeySeed or the point formula changed, and a cluster mixing old
// and new binaries would disagree about owners (each key loaded by two nodes).
TEST(HashRingTest, OwnersAreStableAcrossBuilds) {
  EXPECT_EQ(HashRing::KeyPosition("/v1/items/1"), 0x9c6680811e24d851u);
  EXPECT_EQ(HashRing::KeyPosition(""), 0xa581e8b4bc507828u);
  EXPECT_EQ(Hash64("127.0.0.1:7070", 5), 0xe83d187c7888a483u);  // point 5 of that node
  HashRing ring(Nodes(3));
  EXPECT_EQ(ring.Owner("/v1/items/1"), "127.0.0.1:7072");
  EXPECT_EQ(ring.Owner("/v1/items/2"), "127.0.0.1:7072");
  EXPECT_EQ(ring.Owner("/v1/items/3"), "127.0.0.1:7070");
  EXPECT_EQ(ring.Owner("/v1/items/4"), "127.0.0.1:7071");
  EXPECT_EQ(ring.Owner("/v1/items/5"), "127.0.0.1:7070");
  EXPECT_EQ(ring.Owner("/v1/items/6"), "127.0.0.1:7072");
  EXPECT_EQ(ring.Owner("/v1/items/42/reviews?limit=10"), "127.0.0.1:7072");
  EXPECT_EQ(ring.Owner(""), "127.0.0.1:7071");
}

TEST(HashRingTest, SameOwnersForAnyInputOrder) {
  const std::vector<std::string> sorted = Nodes(5);
  const std::vector<std::string> keys = Keys(10000);
  const std::vector<std::string> expected = Owners(HashRing(sorted), keys);
  std::vector<std::string> nodes = sorted;
  size_t orders = 0;
  do {
    std::vector<std::string> input = nodes;
    input.push_back(nodes[orders % nodes.size()]);  // and a duplicate somewhere
    std::rotate(input.begin(), input.begin() + static_cast<long>(orders % input.size()),
                input.end());
    HashRing ring(input);
    ASSERT_EQ(ring.nodes(), sorted);
    ASSERT_EQ(Owners(ring, keys), expected) << "order " << orders;
    ++orders;
  } while (std::next_permutation(nodes.begin(), nodes.end()));
  EXPECT_EQ(orders, 120u);
}

TEST(HashRingTest, EveryNodeOwnsSomething) {
  const std::vector<std::string> keys = Keys(kKeys);
  for (size_t n = 1; n <= 16; ++n) {
    HashRing ring(Nodes(n));
    std::vector<size_t> counts(n);
    for (const std::string& key : keys) ++counts[ring.OwnerIndex(key)];
    for (size_t i = 0; i < n; ++i) EXPECT_GT(counts[i], 0u) << n << " nodes, node " << i;
  }
}

// Each node's share of 100,000 keys against the fair share 1/N. The spread expected at 160
// points is about 7.4% (one standard deviation, hash_ring.h); these rings measured at most
// 13.1% off (printed below). The bound, 20%, is that plus margin: enough to catch a point
// formula that clusters points, which would show as 50% or more.
TEST(HashRingTest, LoadIsBalancedAt160Points) {
  const std::vector<std::string> keys = Keys(kKeys);
  for (size_t n : {3u, 5u}) {
    HashRing ring(Nodes(n));
    std::vector<size_t> counts(n);
    for (const std::string& key : keys) ++counts[ring.OwnerIndex(key)];
    const double fair = static_cast<double>(kKeys) / static_cast<double>(n);
    double worst = 0, sum_sq = 0;
    std::printf("%zu nodes, share / fair share:", n);
    for (size_t i = 0; i < n; ++i) {
      const double ratio = static_cast<double>(counts[i]) / fair;
      std::printf(" %.3f", ratio);
      worst = std::max(worst, std::fabs(ratio - 1));
      sum_sq += (ratio - 1) * (ratio - 1);
      EXPECT_GT(ratio, 0.80) << ring.nodes()[i];
      EXPECT_LT(ratio, 1.20) << ring.nodes()[i];
    }
    std::printf("  (worst %.1f%%, rms %.1f%%)\n", 100 * worst,
                100 * std::sqrt(sum_sq / static_cast<double>(n)));
  }
}

// The keys a node owns must spread evenly over the cache's 16 shards (cache.cc picks a shard
// by Hash64(key) >> 60). With the ring keyed by plain Hash64(key), this measured shards from
// 0.23x to 1.79x of the node's mean; with kKeySeed, 0.99x to 1.01x.
TEST(HashRingTest, OwnedKeysSpreadOverCacheShards) {
  constexpr size_t kShards = 16;
  HashRing ring(Nodes(3));
  std::vector<std::vector<size_t>> counts(ring.size(), std::vector<size_t>(kShards));
  for (const std::string& key : Keys(kKeys)) {
    ++counts[ring.OwnerIndex(key)][static_cast<size_t>(Hash64(key) >> 60)];
  }
  for (size_t n = 0; n < ring.size(); ++n) {
    size_t total = 0;
    for (size_t c : counts[n]) total += c;
    const double mean = static_cast<double>(total) / kShards;
    for (size_t shard = 0; shard < kShards; ++shard) {
      const double ratio = static_cast<double>(counts[n][shard]) / mean;
      EXPECT_GT(ratio, 0.9) << ring.nodes()[n] << " shard " << shard;
      EXPECT_LT(ratio, 1.1) << ring.nodes()[n] << " shard " << shard;
    }
  }
}

// Going from N to N+1 nodes, a key either keeps its owner or moves to the new node, and about
// 1/(N+1) of the keys move.
TEST(HashRingTest, AddingANodeMovesKeysOnlyToIt) {
  const std::vector<std::string> keys = Keys(kKeys);
  const std::vector<std::string> all = Nodes(8);
  for (size_t n = 1; n <= 7; ++n) {
    const std::vector<std::string> before_nodes(all.begin(), all.begin() + static_cast<long>(n));
    const std::vector<std::string> after_nodes(all.begin(), all.begin() + static_cast<long>(n + 1));
    const std::string& added = all[n];
    const std::vector<std::string> before = Owners(HashRing(before_nodes), keys);
    const std::vector<std::string> after = Owners(HashRing(after_nodes), keys);
    size_t moved = 0;
    for (size_t k = 0; k < keys.size(); ++k) {
      if (before[k] == after[k]) continue;
      ++moved;
      ASSERT_EQ(after[k], added) << keys[k] << " moved from " << before[k];
    }
    const double fraction = static_cast<double>(moved) / static_cast<double>(kKeys);
    const double ideal = 1.0 / static_cast<double>(n + 1);
    std::printf("%zu -> %zu nodes: moved %.4f of keys, ideal %.4f (x%.2f)\n", n, n + 1, fraction,
                ideal, fraction / ideal);
    EXPECT_GT(fraction, 0.6 * ideal);
    EXPECT_LT(fraction, 1.4 * ideal);
  }
}

// Removing a node moves exactly the keys it owned, and nothing else.
TEST(HashRingTest, RemovingANodeMovesOnlyItsKeys) {
  const std::vector<std::string> keys = Keys(kKeys);
  for (size_t n = 2; n <= 8; ++n) {
    const std::vector<std::string> nodes = Nodes(n);
    const std::vector<std::string> before = Owners(HashRing(nodes), keys);
    for (size_t gone = 0; gone < n; ++gone) {
      std::vector<std::string> rest = nodes;
      rest.erase(rest.begin() + static_cast<long>(gone));
      const std::vector<std::string> after = Owners(HashRing(rest), keys);
      for (size_t k = 0; k < keys.size(); ++k) {
        if (before[k] == nodes[gone]) {
          ASSERT_NE(after[k], nodes[gone]) << keys[k];
        } else {
          ASSERT_EQ(after[k], before[k]) << keys[k] << " moved, removing " << nodes[gone];
        }
      }
    }
  }
}

// Shares (each node's arc of the hash space) sum to 1 and match the keys counted per node.
TEST(HashRingTest, SharesSumToOneAndMatchCountedKeys) {
  EXPECT_TRUE(HashRing({}).Shares().empty());
  ASSERT_EQ(HashRing({"a:1"}).Shares().size(), 1u);
  EXPECT_NEAR(HashRing({"a:1"}).Shares()[0], 1.0, 1e-9);
  EXPECT_EQ(HashRing({"a:1"}, 1).Shares(), std::vector<double>{1.0});
  const std::vector<std::string> keys = Keys(kKeys);
  for (const size_t n : {size_t{2}, size_t{3}, size_t{5}, size_t{8}}) {
    const HashRing ring(Nodes(n));
    const std::vector<double> shares = ring.Shares();
    ASSERT_EQ(shares.size(), n);
    double sum = 0;
    for (double s : shares) sum += s;
    EXPECT_NEAR(sum, 1.0, 1e-9);
    std::vector<size_t> counted(n, 0);
    for (const std::string& key : keys) ++counted[ring.OwnerIndex(key)];
    for (size_t i = 0; i < n; ++i) {
      const double measured = static_cast<double>(counted[i]) / static_cast<double>(keys.size());
      EXPECT_NEAR(shares[i], measured, 0.02) << n << " nodes, node " << i;
    }
  }
}

}  // namespace
}  // namespace shoal::cluster

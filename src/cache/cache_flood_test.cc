// Hash flooding (security review 2026-12-05, H4): keys that an attacker made to collide under
// the unkeyed Hash64 must not pile up in one shard or one run of slots of the cache's index.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "base/hash.h"
#include "cache/cache.h"
#include "cache/test_collisions.h"
#include "cache/test_entries.h"

namespace shoal::cache {
namespace {

using testing::CollidingKeys;
using testing::MakeEntry;

TEST(CacheFloodTest, KeysCollidingUnderHash64SpreadOverShardsAndBuckets) {
  // 4,096 canonical keys of the demo's /v1/categories/{name}/items with one Hash64 value.
  const std::vector<std::string> keys =
      CollidingKeys(testing::Hash64Words(), "/v1/categories/x", 12, "/items");
  ASSERT_EQ(keys.size(), 4096u);
  ASSERT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
  for (const std::string& key : keys) ASSERT_EQ(Hash64(key), Hash64(keys[0])) << key;

  Cache cache({.capacity_bytes = size_t{64} << 20});
  for (const std::string& key : keys) ASSERT_TRUE(cache.Insert(MakeEntry(key, 2)));
  ASSERT_EQ(cache.Stats().entries, keys.size());
  for (const std::string& key : keys) ASSERT_NE(cache.Lookup(key), nullptr) << key;

  // With Hash64 all 4,096 keys had one home slot in one of the 16 shards: a lookup walked up
  // to 4,096 slots. Keyed, about 256 keys a shard in 512 slots, and linear probing's longest
  // walk at that load is some ten slots (its expected maximum grows with the log of the keys).
  const Cache::Spread spread = cache.IndexSpread();
  EXPECT_LE(spread.longest_walk, 40u);
  EXPECT_LE(spread.largest_shard, keys.size() / 8);  // a fair share is 256
}

TEST(CacheFloodTest, IndexSpreadSeesOrdinaryKeys) {
  Cache cache({.capacity_bytes = 1 << 20});
  EXPECT_EQ(cache.IndexSpread().largest_shard, 0u);
  ASSERT_TRUE(cache.Insert(MakeEntry("/v1/items/1", 2)));
  const Cache::Spread spread = cache.IndexSpread();
  EXPECT_EQ(spread.largest_shard, 1u);
  EXPECT_EQ(spread.longest_walk, 1u);
}

}  // namespace
}  // namespace shoal::cache

// Tests for Cache's per-thread front tables (cache.h): a slot serves only while its shard has
// let go of nothing since, on any thread; a key hit only through the front table stays cached
// under eviction; two caches never share slots. Real Cache, real threads (TSan runs these).
#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cache/cache.h"
#include "cache/test_entries.h"

namespace shoal::cache {
namespace {

using testing::MakeEntry;

// RunOn runs `f` on a new thread and waits for it: that thread has its own front table.
template <typename F>
void RunOn(F f) {
  std::thread t(f);
  t.join();
}

TEST(CacheFrontTest, EraseOnAnotherThreadEndsTheSlot) {
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.Insert(MakeEntry("/k", 100)));
  // This thread takes the entry into its front table (the second lookup is served from it).
  ASSERT_NE(cache.Lookup("/k"), nullptr);
  ASSERT_NE(cache.Lookup("/k"), nullptr);
  RunOn([&] { EXPECT_TRUE(cache.Erase("/k")); });
  EXPECT_EQ(cache.Lookup("/k"), nullptr);
}

TEST(CacheFrontTest, ReplacementIsSeenAtOnce) {
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.Insert(MakeEntry("/k", 100, 'a')));
  ASSERT_EQ(cache.Lookup("/k")->body()[0], 'a');
  ASSERT_EQ(cache.Lookup("/k")->body()[0], 'a');
  RunOn([&] { EXPECT_TRUE(cache.Insert(MakeEntry("/k", 100, 'b'))); });
  EntryPtr e = cache.Lookup("/k");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->body()[0], 'b');
}

TEST(CacheFrontTest, AReplacedHotEntryTakesOverItsSlotAtOnce) {
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.Insert(MakeEntry("/hot", 100, 'a')));
  for (int i = 0; i < 3; ++i) ASSERT_NE(cache.Lookup("/hot"), nullptr);  // in the slot, hit twice
  ASSERT_TRUE(cache.Insert(MakeEntry("/hot", 100, 'b')));                // voids the slot
  EntryPtr e = cache.Lookup("/hot");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->body()[0], 'b');
  // Held by the cache, this thread's front slot and `e`: the slot renewed at once, although
  // its hits would have kept another key out of it.
  EXPECT_EQ(e->RefCount(), 3U);
}

TEST(CacheFrontTest, PurgeGroupEndsTheSlots) {
  Cache cache({.capacity_bytes = 1 << 20});
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(cache.Insert(MakeEntry("/a/" + std::to_string(i), 10), 1));
  ASSERT_TRUE(cache.Insert(MakeEntry("/b", 10), 2));
  for (int i = 0; i < 100; ++i) ASSERT_NE(cache.Lookup("/a/" + std::to_string(i)), nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_NE(cache.Lookup("/a/" + std::to_string(i)), nullptr);
  RunOn([&] { EXPECT_EQ(cache.PurgeGroup(1), 100u); });
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache.Lookup("/a/" + std::to_string(i)), nullptr) << i;
  EXPECT_NE(cache.Lookup("/b"), nullptr);
}

TEST(CacheFrontTest, KeyHitOnlyThroughTheFrontTableSurvivesEviction) {
  Cache cache({.capacity_bytes = size_t{16} * 8 * 1024});  // 8 KiB a shard: about 7 entries of 1 KB
  ASSERT_TRUE(cache.Insert(MakeEntry("keep", 1000)));
  ASSERT_NE(cache.Lookup("keep"), nullptr);  // into this thread's front table
  for (int i = 0; i < 4000; ++i) {
    // Another thread fills the cache, evicting all along; this one only ever hits "keep".
    RunOn([&] { ASSERT_TRUE(cache.Insert(MakeEntry("k" + std::to_string(i), 1000))); });
    ASSERT_NE(cache.Lookup("keep"), nullptr) << i;
  }
  EXPECT_GT(cache.Stats().evictions, 3000u);
}

TEST(CacheFrontTest, CachesNeverShareSlotsEvenAtTheSameAddress) {
  std::optional<Cache> cache;
  cache.emplace(CacheOptions{.capacity_bytes = 1 << 20});
  const Cache* first = &*cache;
  ASSERT_TRUE(cache->Insert(MakeEntry("/k", 100, 'a')));
  ASSERT_NE(cache->Lookup("/k"), nullptr);
  cache.reset();
  cache.emplace(CacheOptions{.capacity_bytes = 1 << 20});
  ASSERT_EQ(&*cache, first);
  EXPECT_EQ(cache->Lookup("/k"), nullptr);
  ASSERT_TRUE(cache->Insert(MakeEntry("/k", 100, 'b')));
  EXPECT_EQ(cache->Lookup("/k")->body()[0], 'b');
}

TEST(CacheFrontTest, LargeEntriesAreServedButNotHeldByTheFrontTable) {
  Cache cache({.capacity_bytes = 16 << 20});
  EntryPtr big = MakeEntry("/big", 2 * Cache::kFrontMaxCharge);
  ASSERT_TRUE(cache.Insert(big));
  ASSERT_EQ(cache.Lookup("/big"), big);
  const uint32_t held = big->RefCount();  // this test, the cache: no front slot
  EXPECT_EQ(held, 2U);
  EXPECT_TRUE(cache.Erase("/big"));
  EXPECT_EQ(big->RefCount(), 1U);
}

// Two threads hit the same keys while a third replaces and erases them: every answer is an
// entry for the key asked, and after the writer stops, every thread sees its last version.
TEST(CacheFrontTest, ReadersAndAWriterAgree) {
  Cache cache({.capacity_bytes = 4 << 20});
  constexpr int kKeys = 64;
  const auto key = [](int i) { return "/v1/items/" + std::to_string(i); };
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(cache.Insert(MakeEntry(key(i), 64, 'a')));
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  readers.reserve(2);
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        for (int i = 0; i < kKeys; ++i) {
          EntryPtr e = cache.Lookup(key(i));
          if (e != nullptr && e->key() != key(i)) wrong.fetch_add(1);
        }
      }
      // Quiet now: what this thread sees must be what the cache holds.
      for (int i = 0; i < kKeys; ++i) {
        EntryPtr e = cache.Lookup(key(i));
        if (i % 2 == 0 ? e != nullptr : (e == nullptr || e->body()[0] != 'z')) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(cache.Insert(MakeEntry(key(i), 64, static_cast<char>('a' + round % 20))));
    }
  }
  for (int i = 0; i < kKeys; ++i) {
    if (i % 2 == 0) {
      cache.Erase(key(i));
    } else {
      ASSERT_TRUE(cache.Insert(MakeEntry(key(i), 64, 'z')));
    }
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace shoal::cache

#include "base/swappable.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace shoal {
namespace {

// A snapshot whose two halves must always agree: a reader that saw a half-made one, or one
// freed under it, would see them differ (and ASan/TSan would say so).
struct Pair {
  explicit Pair(int v) : a(v), b(std::make_unique<int>(v)) {}
  int a;
  std::unique_ptr<int> b;
};

TEST(SwappableTest, ReadSeesTheCurrentSnapshotAfterEachSet) {
  Swappable<Pair> s(std::make_shared<const Pair>(1));
  EXPECT_EQ(s.Read().a, 1);
  EXPECT_EQ(s.version(), 0u);
  const std::shared_ptr<const Pair> held = s.Current();
  s.Set(std::make_shared<const Pair>(2));
  EXPECT_EQ(s.version(), 1u);
  EXPECT_EQ(s.Read().a, 2);
  EXPECT_EQ(s.Current()->a, 2);
  EXPECT_EQ(*held->b, 1);  // the old one lives while held
}

TEST(SwappableTest, TwoSwappablesOnOneThreadKeepTheirOwnSnapshots) {
  std::vector<std::unique_ptr<Swappable<Pair>>> many;
  many.reserve(3 * Swappable<Pair>::kSlots);
  for (int i = 0; i < 3 * static_cast<int>(Swappable<Pair>::kSlots); ++i) {
    many.push_back(std::make_unique<Swappable<Pair>>(std::make_shared<const Pair>(i)));
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < many.size(); ++i) EXPECT_EQ(many[i]->Read().a, static_cast<int>(i));
  }
}

TEST(SwappableTest, ReadersNeverSeeATornOrFreedSnapshotWhileAWriterSets) {
  Swappable<Pair> s(std::make_shared<const Pair>(0));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, bad{0};
  std::vector<std::thread> readers;
  readers.reserve(4);
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      int last = 0;
      while (!stop.load()) {
        const Pair& p = s.Read();
        if (p.a != *p.b || p.a < last) bad.fetch_add(1);  // versions only move forward
        last = p.a;
        if (s.Current()->a < last) bad.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  }
  for (int v = 1; v <= 2000; ++v) s.Set(std::make_shared<const Pair>(v));
  while (reads.load() < 1000) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_EQ(s.Read().a, 2000);
}

}  // namespace
}  // namespace shoal

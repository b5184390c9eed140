// MemoryGovernor: cuts on growth past its line (once per level), in proportion over its
// caches, never below the floor; gives back one margin at a time after a calm spell; is
// called by the caches' insert watch (inserts and added charges); and, with the real /proc reader,
// answers memory the process really touched.
#include "cache/memory_governor.h"

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/mman.h>

#include "base/memory_logger.h"
#include "cache/test_entries.h"
#include "metrics/process_metrics.h"

namespace shoal::cache {
namespace {

using testing::MakeEntry;

constexpr size_t kMiB = size_t{1} << 20;
constexpr size_t kBudget = 32 * kMiB;     // main 28 + hot 4
constexpr size_t kMargin = kBudget / 32;  // 1 MiB
constexpr uint64_t kStart = 100 * kMiB;   // the fake process's memory at start
// The line: start + 1.25 x budget - margin = 100 + 40 - 1 MiB.
constexpr uint64_t kLine = kStart + 40 * kMiB - kMargin;

struct Fixture {
  Cache main{{.capacity_bytes = 28 * kMiB}};
  Cache hot{{.capacity_bytes = 4 * kMiB}};
  std::atomic<uint64_t> memory{kStart};
  std::atomic<int> reads{0};
  ManualClock clock;
  MemoryLogger log;
  MemoryGovernor governor{{.budget = kBudget,
                           .read_memory =
                               [this] {
                                 ++reads;
                                 return memory.load();
                               },
                           .give_back = {}},
                          {&main, &hot},
                          clock,
                          &log};
};

void Fill(Cache& cache, const std::string& prefix, size_t bytes) {
  for (size_t i = 0; i * 4096 < bytes; ++i) {
    cache.Insert(MakeEntry(prefix + std::to_string(i), 4000));
  }
}

TEST(MemoryGovernorTest, BelowItsLineNothingIsCut) {
  Fixture f;
  EXPECT_EQ(f.governor.line(), kLine);
  f.memory = kLine;
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget);
  EXPECT_EQ(f.main.capacity_bytes(), 28 * kMiB);
  EXPECT_EQ(f.governor.cuts(), 0U);
}

TEST(MemoryGovernorTest, GrowthPastTheLineIsCutOnceInProportionAndEvicts) {
  Fixture f;
  Fill(f.main, "m", 28 * kMiB);
  Fill(f.hot, "h", 4 * kMiB);
  f.memory = kLine + 8 * kMiB;
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget - 8 * kMiB);
  EXPECT_EQ(f.main.capacity_bytes(), 21 * kMiB);  // 7/8 of 24 MiB
  EXPECT_EQ(f.hot.capacity_bytes(), 3 * kMiB);
  EXPECT_LE(f.main.Stats().bytes, 21 * kMiB);
  EXPECT_LE(f.hot.Stats().bytes, 3 * kMiB);
  EXPECT_EQ(f.governor.cuts(), 1U);
  ASSERT_EQ(f.log.lines().size(), 1U);
  EXPECT_NE(f.log.lines()[0].message.find("the caches now hold at most 24.0 MiB of their 32.0 MiB"),
            std::string::npos)
      << f.log.lines()[0].message;

  // The same level again (the allocator keeps what it freed): nothing more is cut.
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget - 8 * kMiB);
  // Further growth is: by what it grew.
  f.memory = kLine + 10 * kMiB;
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget - 10 * kMiB);
  EXPECT_EQ(f.governor.cuts(), 2U);
}

TEST(MemoryGovernorTest, OnlyACutToANewLowIsAWarning) {
  Fixture f;
  f.memory = kLine + 4 * kMiB;
  f.governor.Check();  // 28 MiB: a new low
  f.clock.Advance(std::chrono::seconds(10));
  f.governor.Check();  // gives back: 29 MiB
  f.memory = kLine + 5 * kMiB;
  f.clock.Advance(std::chrono::seconds(10));
  f.governor.Check();  // cut back to 28 MiB: not lower than before
  f.memory = kLine + 7 * kMiB;
  f.clock.Advance(std::chrono::seconds(10));
  f.governor.Check();  // 26 MiB: a new low
  EXPECT_EQ(f.governor.capacity(), kBudget - 6 * kMiB);
  std::vector<LogLevel> levels;
  for (const MemoryLogger::Line& line : f.log.lines()) {
    if (line.message.find("over its line") != std::string::npos) levels.push_back(line.level);
  }
  EXPECT_EQ(levels, (std::vector<LogLevel>{LogLevel::kWarn, LogLevel::kDebug, LogLevel::kWarn}));
}

TEST(MemoryGovernorTest, ACutGivesFreePagesBackAndMeasuresGrowthFromWhatIsLeft) {
  Cache main({.capacity_bytes = kBudget});
  std::atomic<uint64_t> memory{kStart};
  int given_back = 0;
  ManualClock clock;
  MemoryGovernor governor({.budget = kBudget,
                           .read_memory = [&memory] { return memory.load(); },
                           .give_back =
                               [&] {
                                 ++given_back;
                                 memory = kLine + 2 * kMiB;  // the allocator kept 2 MiB
                               }},
                          {&main}, clock);
  memory = kLine + 8 * kMiB;
  governor.Check();
  EXPECT_EQ(given_back, 1);
  EXPECT_EQ(governor.capacity(), kBudget - 8 * kMiB);
  // 1 MiB more than what was left after the cut is 1 MiB of new growth.
  memory = kLine + 3 * kMiB;
  governor.Check();
  EXPECT_EQ(governor.capacity(), kBudget - 9 * kMiB);
  EXPECT_EQ(given_back, 2);
}

TEST(MemoryGovernorTest, NeverBelowTheFloor) {
  Fixture f;
  f.memory = kLine + 100 * kMiB;
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget / 2);
  f.memory = kLine + 200 * kMiB;
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget / 2);
  EXPECT_EQ(f.governor.cuts(), 1U);  // nothing left to cut the second time
}

TEST(MemoryGovernorTest, GivesBackOneMarginAfterACalmSpellUpToTheBudget) {
  Fixture f;
  f.memory = kLine + 3 * kMiB;
  f.governor.Check();
  ASSERT_EQ(f.governor.capacity(), kBudget - 3 * kMiB);
  f.clock.Advance(std::chrono::seconds(9));
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget - 3 * kMiB);  // not calm long enough
  f.clock.Advance(std::chrono::seconds(1));
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget - 2 * kMiB);
  // The give-back made the memory grow: cut back.
  f.memory = kLine + 4 * kMiB;
  f.governor.Check();
  EXPECT_EQ(f.governor.capacity(), kBudget - 3 * kMiB);
  // The memory falls back under the line (the allocator returned pages): give back to the whole.
  f.memory = kStart;
  for (int i = 0; i < 5; ++i) {
    f.clock.Advance(std::chrono::seconds(10));
    f.governor.Check();
  }
  EXPECT_EQ(f.governor.capacity(), kBudget);
  EXPECT_EQ(f.main.capacity_bytes(), 28 * kMiB);
  EXPECT_EQ(f.hot.capacity_bytes(), 4 * kMiB);
  EXPECT_NE(f.log.lines().back().message.find("hold their whole 32.0 MiB again"),
            std::string::npos);
}

TEST(MemoryGovernorTest, TheCachesCallItEveryBudgetOver64BytesInserted) {
  Fixture f;
  f.governor.Watch();
  const int at_start = f.reads.load();
  const auto key = [](const char* prefix, size_t i) {
    std::string k = std::to_string(100000 + i);
    return prefix + k;
  };
  const size_t step = kBudget / 64;
  const size_t charge = MakeEntry(key("k", 0), 4000)->BaseCharge();
  const size_t below = (step - 1) / charge;  // this many stay under the step
  for (size_t i = 0; i < below; ++i) f.main.Insert(MakeEntry(key("k", i), 4000));
  EXPECT_EQ(f.reads.load(), at_start);
  f.main.Insert(MakeEntry(key("k", below), 4000));
  EXPECT_EQ(f.reads.load(), at_start + 1);
  for (size_t i = 0; i <= below; ++i) f.hot.Insert(MakeEntry(key("h", i), 4000));
  EXPECT_EQ(f.reads.load(), at_start + 2);
}

// A gzip variant (AddCharge) grows the process as an insert does: it counts towards the same
// step, so a load of hits that compress keeps the governor looking.
TEST(MemoryGovernorTest, ChargesAddedToCachedEntriesCountTowardsTheStep) {
  Fixture f;
  f.governor.Watch();
  const int at_start = f.reads.load();
  const size_t step = kBudget / 64;
  ASSERT_TRUE(f.main.Insert(MakeEntry("/gz/1", 100)));
  const int after_insert = f.reads.load();
  EXPECT_EQ(after_insert, at_start);
  const EntryPtr e = f.main.Lookup("/gz/1");
  ASSERT_NE(e, nullptr);
  f.main.AddCharge(*e, step / 2);
  EXPECT_EQ(f.reads.load(), after_insert);
  f.main.AddCharge(*e, step / 2);
  EXPECT_EQ(f.reads.load(), after_insert + 1);
}

// Inserting threads call Check through the watch while others call it directly and the
// memory keeps growing: one Check at a time, the caches end within what it allows (TSan).
TEST(MemoryGovernorTest, ConcurrentInsertsAndChecksKeepTheCachesWithinTheAllowance) {
  Fixture f;
  f.governor.Watch();
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&f, t] {
      for (int i = 0; i < 2000; ++i) {
        f.memory.fetch_add(uint64_t{64} * 1024);  // every insert grows the process a little
        Cache& cache = (t % 2 == 0) ? f.main : f.hot;
        cache.Insert(MakeEntry(std::to_string(t) + ":" + std::to_string(i), 4000));
        if (i % 100 == 0) f.governor.Check();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  f.governor.Check();
  EXPECT_GT(f.governor.cuts(), 0U);
  EXPECT_GE(f.governor.capacity(), kBudget / 2);
  EXPECT_LE(f.main.Stats().bytes, f.main.capacity_bytes());
  EXPECT_LE(f.hot.Stats().bytes, f.hot.capacity_bytes());
  // In proportion, to the byte (each share is rounded down).
  EXPECT_LE(f.main.capacity_bytes() + f.hot.capacity_bytes(), f.governor.capacity());
  EXPECT_GE(f.main.capacity_bytes() + f.hot.capacity_bytes() + 2, f.governor.capacity());
}

// The real reader: memory this process touches outside the caches is answered by a cut.
TEST(MemoryGovernorTest, MemoryThisProcessTouchesIsAnsweredByTheCaches) {
  Cache cache({.capacity_bytes = 16 * kMiB});
  ManualClock clock;
  MemoryGovernor governor(
      {.budget = 16 * kMiB, .read_memory = metrics::ReadResidentBytes, .give_back = {}}, {&cache},
      clock);
  Fill(cache, "k", 16 * kMiB);
  // 16 MiB of cache entries were made after the start: growth within 1.25 x 16 MiB.
  governor.Check();
  const size_t after_fill = governor.capacity();
  // 40 MiB more, outside the caches, is well past the line.
  constexpr size_t kSize = 40 * kMiB;
  void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  std::memset(p, 1, kSize);
  governor.Check();
  EXPECT_EQ(governor.capacity(), 8 * kMiB) << "after the fill: " << after_fill;
  EXPECT_LE(cache.Stats().bytes, 8 * kMiB);
  ::munmap(p, kSize);
}

}  // namespace
}  // namespace shoal::cache

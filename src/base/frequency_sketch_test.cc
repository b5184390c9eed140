#include "base/frequency_sketch.h"

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/hash.h"

namespace shoal {
namespace {

constexpr uint64_t kNoAging = uint64_t{1} << 60;

uint64_t KeyHash(size_t i) { return Hash64("/v1/items/" + std::to_string(i)); }

TEST(FrequencySketchTest, SizedFromExpectedKeys) {
  FrequencySketch sketch({.expected_keys = 10000});
  EXPECT_EQ(sketch.width(), 32768u);  // the power of two at or above 2 x 10,000
  EXPECT_EQ(sketch.bytes(), 4u * 32768u / 2u);
  EXPECT_EQ(sketch.sample_size(), 100000u);

  FrequencySketch tiny({.expected_keys = 0, .sample_size = 7});
  EXPECT_EQ(tiny.width(), 64u);
  EXPECT_EQ(tiny.sample_size(), 7u);

  FrequencySketch exact({.expected_keys = 512});
  EXPECT_EQ(exact.width(), 1024u);
}

TEST(FrequencySketchTest, FreshSketchEstimatesZero) {
  FrequencySketch sketch({.expected_keys = 1000});
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(sketch.Estimate(KeyHash(i)), 0u);
}

// Key i is recorded (i % 15) + 1 times, interleaved; every estimate must be at least that.
TEST(FrequencySketchTest, NeverUnderCountsBeforeAging) {
  constexpr size_t kKeys = 10000;
  FrequencySketch sketch({.expected_keys = kKeys, .sample_size = kNoAging});
  for (size_t round = 0; round < FrequencySketch::kMaxCount; ++round) {
    for (size_t i = 0; i < kKeys; ++i) {
      if (round < i % 15 + 1) sketch.Record(KeyHash(i));
    }
  }
  size_t exact = 0;
  for (size_t i = 0; i < kKeys; ++i) {
    const uint32_t truth = static_cast<uint32_t>(i % 15 + 1);
    const uint32_t estimate = sketch.Estimate(KeyHash(i));
    ASSERT_GE(estimate, truth) << i;
    ASSERT_LE(estimate, FrequencySketch::kMaxCount);
    if (estimate == truth) ++exact;
  }
  std::printf("exact estimates: %.2f%% of %zu keys\n", 100.0 * static_cast<double>(exact) / kKeys,
              kKeys);
  EXPECT_GT(exact, kKeys * 9 / 10);
}

// 10,000 keys recorded once each (the long tail of one-off misses that admission must keep
// out) in a sketch sized for 10,000. Measured (printed): 0.44% of 10,000 keys never recorded
// estimate 1 or more and none reach 2; 0.43% of the recorded keys estimate 2 or more, so a
// threshold of 2 would have admitted them on their first and only request. The bounds
// are those with margin; half the width (16,384 counters a row) measured 4.3% and 4.2%, a
// quarter 25%, so a sizing or row-seeding mistake fails here.
TEST(FrequencySketchTest, UnrecordedKeysEstimateNearZero) {
  constexpr size_t kKeys = 10000;
  FrequencySketch sketch({.expected_keys = kKeys, .sample_size = kNoAging});
  for (size_t i = 0; i < kKeys; ++i) sketch.Record(KeyHash(i));
  size_t unrecorded_1 = 0, unrecorded_2 = 0, recorded_2 = 0;
  for (size_t i = 0; i < kKeys; ++i) {
    const uint32_t unrecorded = sketch.Estimate(KeyHash(kKeys + i));
    if (unrecorded >= 1) ++unrecorded_1;
    if (unrecorded >= 2) ++unrecorded_2;
    if (sketch.Estimate(KeyHash(i)) >= 2) ++recorded_2;
  }
  const auto percent = [](size_t n) { return 100.0 * static_cast<double>(n) / kKeys; };
  std::printf("never recorded: %.2f%% estimate >= 1, %.2f%% >= 2; recorded once: %.2f%% >= 2\n",
              percent(unrecorded_1), percent(unrecorded_2), percent(recorded_2));
  EXPECT_LT(unrecorded_1, kKeys * 15 / 1000);  // < 1.5%
  EXPECT_LT(unrecorded_2, kKeys / 1000);       // < 0.1%
  EXPECT_LT(recorded_2, kKeys * 15 / 1000);    // < 1.5%
}

TEST(FrequencySketchTest, AgingHalvesCounts) {
  FrequencySketch sketch({.expected_keys = 64, .sample_size = 10});
  const uint64_t key = KeyHash(1);
  for (int i = 0; i < 9; ++i) sketch.Record(key);
  EXPECT_EQ(sketch.Estimate(key), 9u);
  EXPECT_EQ(sketch.agings(), 0u);
  sketch.Record(key);  // the 10th Record: counted (10), then halved
  EXPECT_EQ(sketch.agings(), 1u);
  EXPECT_EQ(sketch.Estimate(key), 5u);
  // The count of Records was halved too: the next aging comes 5 Records later.
  for (int i = 0; i < 4; ++i) sketch.Record(key);
  EXPECT_EQ(sketch.Estimate(key), 9u);
  EXPECT_EQ(sketch.agings(), 1u);
  sketch.Record(key);
  EXPECT_EQ(sketch.agings(), 2u);
  EXPECT_EQ(sketch.Estimate(key), 5u);
}

// A saturated key halves to 7, whatever other keys did to its counters (they cannot push a
// counter past 15), and an aging is triggered by any keys, not only the counted one.
TEST(FrequencySketchTest, AgingHalvesSaturatedCounters) {
  FrequencySketch sketch({.expected_keys = 1000, .sample_size = 100});
  const uint64_t hot = KeyHash(0);
  for (int i = 0; i < 40; ++i) sketch.Record(hot);
  EXPECT_EQ(sketch.Estimate(hot), FrequencySketch::kMaxCount);
  for (size_t i = 1; i <= 59; ++i) sketch.Record(KeyHash(i));
  EXPECT_EQ(sketch.agings(), 0u);
  EXPECT_EQ(sketch.Estimate(hot), 15u);
  sketch.Record(KeyHash(60));  // the 100th
  EXPECT_EQ(sketch.agings(), 1u);
  EXPECT_EQ(sketch.Estimate(hot), 7u);
}

TEST(FrequencySketchTest, RecordAndAdmitAtTheThreshold) {
  FrequencySketch sketch({.expected_keys = 1000, .sample_size = kNoAging});
  const uint64_t a = KeyHash(1);
  EXPECT_FALSE(sketch.RecordAndAdmit(a, 3));
  EXPECT_FALSE(sketch.RecordAndAdmit(a, 3));
  EXPECT_TRUE(sketch.RecordAndAdmit(a, 3));
  EXPECT_TRUE(sketch.RecordAndAdmit(a, 3));
  EXPECT_EQ(sketch.Estimate(a), 4u);

  EXPECT_TRUE(sketch.RecordAndAdmit(KeyHash(2), 0));
  EXPECT_TRUE(sketch.RecordAndAdmit(KeyHash(3), 1));

  // A threshold above what a counter can hold is taken as kMaxCount.
  const uint64_t b = KeyHash(4);
  for (uint32_t i = 1; i < FrequencySketch::kMaxCount; ++i) {
    ASSERT_FALSE(sketch.RecordAndAdmit(b, 100)) << i;
  }
  EXPECT_TRUE(sketch.RecordAndAdmit(b, 100));
  EXPECT_TRUE(sketch.RecordAndAdmit(b, 100));
}

// 4 threads record the same 500 keys 3 times each, starting together and in the same order,
// so the same counters (and words shared by neighbouring counters) are updated from several
// threads at once; 50 fresh sketches in a row. A lost increment would leave a key below 12.
// (A plain load and store in place of the compare-and-swap failed here on most runs; TSan
// cannot see that bug, as every access is atomic.)
TEST(FrequencySketchConcurrencyTest, ConcurrentRecordsLoseNoIncrement) {
  constexpr size_t kKeys = 500;
  constexpr size_t kThreads = 4;
  constexpr size_t kRounds = 3;
  for (int trial = 0; trial < 50; ++trial) {
    FrequencySketch sketch({.expected_keys = kKeys, .sample_size = kNoAging});
    std::atomic<size_t> ready{0};
    std::vector<std::thread> threads;
    for (size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&sketch, &ready] {
        ready.fetch_add(1);
        while (ready.load() < kThreads) std::this_thread::yield();
        for (size_t round = 0; round < kRounds; ++round) {
          for (size_t i = 0; i < kKeys; ++i) {
            sketch.Record(KeyHash(i));
            if (i % 16 == 0) sketch.Record(KeyHash(kKeys));  // one hot key, saturated
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (size_t i = 0; i < kKeys; ++i) {
      ASSERT_GE(sketch.Estimate(KeyHash(i)), kRounds * kThreads) << i << " trial " << trial;
    }
    ASSERT_EQ(sketch.Estimate(KeyHash(kKeys)), FrequencySketch::kMaxCount);
    ASSERT_EQ(sketch.agings(), 0u);
  }
}

// Agings race with Records: 4 threads x 50,000 Records with a sample size of 1,000. Run one
// at a time, that is one aging at 1,000 and one every 500 after: 399. Each aging needs the
// count at 1,000 or more before it takes 500 away, so there can never be more; under a
// burst the last may be left for the next Record, so a few fewer are allowed.
TEST(FrequencySketchConcurrencyTest, AgingRacesWithRecords) {
  constexpr size_t kThreads = 4;
  constexpr size_t kPerThread = 50000;
  FrequencySketch sketch({.expected_keys = 100, .sample_size = 1000});
  std::atomic<uint64_t> estimates{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&sketch, &estimates, t] {
      uint64_t sum = 0;
      for (size_t i = 0; i < kPerThread; ++i) {
        sketch.Record(KeyHash(t * kPerThread + i % 300));
        // Reads racing with Records and agings, for TSan to check.
        if (i % 64 == 0) sum += sketch.Estimate(KeyHash(i));
      }
      estimates.fetch_add(sum);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(sketch.agings(), 399u);
  EXPECT_GE(sketch.agings(), 390u);
  // Each thread's 300 keys were recorded about 167 times, but halved every 500 Records of
  // 1,200 distinct keys: every estimate is small again.
  for (size_t i = 0; i < 300; ++i) EXPECT_LT(sketch.Estimate(KeyHash(i)), 8u) << i;
}

}  // namespace
}  // namespace shoal

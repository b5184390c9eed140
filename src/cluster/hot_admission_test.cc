// HotAdmission: the hot cache's admission rule that Cluster and bench/cluster_sim.cc share.
#include "cluster/hot_admission.h"

#include <string>

#include <gtest/gtest.h>

#include "base/keyed_hash.h"

namespace shoal::cluster {
namespace {

TEST(HotAdmission, KeepsAKeyFromItsMinHitsthFetchOn) {
  HotAdmission hot({.enabled = true, .min_hits = 3, .expected_keys = 1024});
  EXPECT_FALSE(hot.Admit("/v1/items/1"));
  EXPECT_FALSE(hot.Admit("/v1/items/1"));
  EXPECT_TRUE(hot.Admit("/v1/items/1"));
  EXPECT_TRUE(hot.Admit("/v1/items/1"));
  // Another key has its own count (a sketch this wide shares no 4 counters between two keys).
  EXPECT_FALSE(hot.Admit("/v1/items/2"));
  EXPECT_EQ(hot.sketch().Estimate(KeyedHash("/v1/items/1")), 4u);
  EXPECT_EQ(hot.sketch().Estimate(KeyedHash("/v1/items/2")), 1u);
}

TEST(HotAdmission, MinHitsOfOneKeepsEveryAnswer) {
  HotAdmission hot({.enabled = true, .min_hits = 1, .expected_keys = 1024});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(hot.Admit("/v1/items/" + std::to_string(i)));
}

TEST(HotAdmission, DisabledKeepsNothingAndCountsNothing) {
  HotAdmission hot({.enabled = false, .min_hits = 1, .expected_keys = 1024});
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(hot.Admit("/v1/items/1"));
  EXPECT_EQ(hot.sketch().Estimate(KeyedHash("/v1/items/1")), 0u);
}

TEST(HotAdmission, SizesItsSketchFromExpectedKeys) {
  HotAdmission hot({.enabled = true, .min_hits = 3, .expected_keys = 10000});
  EXPECT_EQ(hot.sketch().width(), 32768u);  // the power of two at or above 2 x 10,000
}

}  // namespace
}  // namespace shoal::cluster

// Tests for cql_routing.h: the owner first, then the ring's next distinct nodes, then the
// nodes the ring does not list; round-robin without a routing key.
#include "store/cassandra/cql_routing.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shoal::store::cassandra {
namespace {

TEST(PlanRouteTest, TheOwnerComesFirstThenTheNextDistinctNodes) {
  const std::string key = "k1";
  const int64_t token = Murmur3Token(key);
  // Node 2 owns the token (its ring token is the first at or after it), then 0, then 1.
  TokenRing ring({{token - 10, 1}, {token, 2}, {token + 10, 0}, {token + 20, 2}});
  EXPECT_EQ(PlanRoute(ring, 3, key, 0), (std::vector<size_t>{2, 0, 1}));
  // A node without tokens comes after the ring's.
  EXPECT_EQ(PlanRoute(ring, 4, key, 0), (std::vector<size_t>{2, 0, 1, 3}));
}

TEST(PlanRouteTest, WithoutARoutingKeyEveryNodeRoundRobin) {
  TokenRing ring({{0, 0}, {100, 1}, {200, 2}});
  EXPECT_EQ(PlanRoute(ring, 3, "", 0), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(PlanRoute(ring, 3, "", 4), (std::vector<size_t>{1, 2, 0}));
  EXPECT_EQ(PlanRoute(TokenRing(), 2, "key", 1), (std::vector<size_t>{1, 0}));
  EXPECT_TRUE(PlanRoute(ring, 0, "", 0).empty());
}

}  // namespace
}  // namespace shoal::store::cassandra

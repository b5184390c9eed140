// store.cassandra's routing and health keys: local_dc, remote_dc_fallback, speculative_delay
// (a duration, 0s, or p99), speculative_max; bad values name the key and the line.
#include <string>

#include <gtest/gtest.h>

#include "cli/config.h"

namespace shoal::cli {
namespace {

using namespace std::chrono_literals;

std::string WithCassandra(const std::string& extra) {
  return "listen: 127.0.0.1:9090\nstore:\n  cassandra:\n    contact_points: [127.0.0.1]\n"
         "    keyspace: shop\n" +
         extra +
         "endpoints:\n  - route: /v1/items/{id:int}\n"
         "    query: SELECT id FROM items WHERE id = :id\n    ttl: 60s\n";
}

TEST(ConfigCassandraRoutingTest, DefaultsAreOffAndLocal) {
  Result<Config> c = ParseConfig(WithCassandra(""), "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& s = c->cassandra.session;
  EXPECT_EQ(s.local_dc, "");
  EXPECT_FALSE(s.remote_dc_fallback);
  EXPECT_TRUE(s.token_aware);
  EXPECT_EQ(s.speculative_delay, Duration{});
  EXPECT_FALSE(s.speculative_p99);
  EXPECT_EQ(s.speculative_max, 1u);
}

TEST(ConfigCassandraRoutingTest, KeysAreRead) {
  Result<Config> c = ParseConfig(WithCassandra("    local_dc: dc2\n    remote_dc_fallback: true\n"
                                               "    token_aware: false\n"
                                               "    speculative_delay: 5ms\n"
                                               "    speculative_max: 2\n"),
                                 "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& s = c->cassandra.session;
  EXPECT_EQ(s.local_dc, "dc2");
  EXPECT_TRUE(s.remote_dc_fallback);
  EXPECT_FALSE(s.token_aware);
  EXPECT_EQ(s.speculative_delay, 5ms);
  EXPECT_FALSE(s.speculative_p99);
  EXPECT_EQ(s.speculative_max, 2u);

  c = ParseConfig(WithCassandra("    speculative_delay: p99\n"), "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->cassandra.session.speculative_p99);
  c = ParseConfig(WithCassandra("    speculative_delay: 0s\n"), "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cassandra.session.speculative_delay, Duration{});
}

TEST(ConfigCassandraRoutingTest, BadValuesNameTheKeyAndLine) {
  const auto error = [](const std::string& extra) {
    Result<Config> c = ParseConfig(WithCassandra(extra), "conf/shoal.yaml");
    EXPECT_FALSE(c.ok());
    return c.ok() ? std::string() : std::string(c.status().message());
  };
  std::string e = error("    speculative_delay: soon\n");
  EXPECT_NE(e.find("conf/shoal.yaml:6"), std::string::npos) << e;
  EXPECT_NE(e.find("store.cassandra.speculative_delay"), std::string::npos) << e;
  e = error("    speculative_max: 0\n");
  EXPECT_NE(e.find("store.cassandra.speculative_max"), std::string::npos) << e;
  e = error("    speculative_max: 9\n");
  EXPECT_NE(e.find("store.cassandra.speculative_max"), std::string::npos) << e;
  e = error("    remote_dc_fallback: perhaps\n");
  EXPECT_NE(e.find("store.cassandra.remote_dc_fallback"), std::string::npos) << e;
  e = error("    local_dc: \"\"\n");
  EXPECT_NE(e.find("store.cassandra.local_dc"), std::string::npos) << e;
  e = error("    speculative: 5ms\n");
  EXPECT_NE(e.find("speculative"), std::string::npos) << e;
}

}  // namespace
}  // namespace shoal::cli

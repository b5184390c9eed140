// cluster.connect_to: parsed into ClusterOptions::connect_to; every mistake names file:line.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "cli/config.h"
#include "cli/test_config.h"

namespace shoal::cli {
namespace {

// Line 8 is "cluster:", 9 self, 10 peers, 11 connect_to (its first entry on 12 when a block).
// The minimal config and a cluster section.
std::string Cluster() {
  return std::string(testing::kMinimalConfig) +
         "cluster:\n  self: 127.0.0.1:7071\n  peers: [127.0.0.1:7071, 127.0.0.1:7072, "
         "127.0.0.1:7073]\n";
}

std::string Error(const std::string& connect_to) {
  Result<Config> c = ParseConfig(Cluster() + connect_to, "conf/shoal.yaml");
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ConfigConnectToTest, MembersAreDialledWhereTheMapSays) {
  Result<Config> c = ParseConfig(Cluster() +
                                     "  connect_to:\n"
                                     "    127.0.0.1:7072: 127.0.0.1:17072\n"
                                     "    \"127.0.0.1:7073\": \"localhost:17073\"\n",
                                 "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::map<std::string, std::string> want = {{"127.0.0.1:7072", "127.0.0.1:17072"},
                                                   {"127.0.0.1:7073", "localhost:17073"}};
  EXPECT_EQ(c->cluster.connect_to, want);
  EXPECT_TRUE(c->warnings.empty());
  Result<Config> none = ParseConfig(Cluster(), "conf/shoal.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->cluster.connect_to.empty());
}

TEST(ConfigConnectToTest, MistakesNameTheirLine) {
  EXPECT_EQ(Error("  connect_to: [127.0.0.1:17072]\n"),
            "conf/shoal.yaml:11: cluster.connect_to: expected a map of member HOST:PORT to the "
            "HOST:PORT to connect to instead, e.g. { \"10.0.0.2:7070\": \"127.0.0.1:17070\" }");
  EXPECT_EQ(Error("  connect_to:\n    nohost: 127.0.0.1:17072\n"),
            "conf/shoal.yaml:12: cluster.connect_to: bad address 'nohost': expected HOST:PORT, "
            "the port is missing");
  EXPECT_EQ(Error("  connect_to:\n    127.0.0.1:7072: 127.0.0.1:99999\n"),
            "conf/shoal.yaml:12: cluster.connect_to: 127.0.0.1:7072: bad address "
            "'127.0.0.1:99999': the port must be a number in 1..65535");
  EXPECT_EQ(Error("  connect_to:\n    127.0.0.1:7072: [a, b]\n"),
            "conf/shoal.yaml:12: cluster.connect_to: 127.0.0.1:7072: expected a single value");
  EXPECT_EQ(Error("  connect_to:\n    127.0.0.1:7071: 127.0.0.1:17071\n"),
            "conf/shoal.yaml:12: cluster.connect_to: 127.0.0.1:7071: that is this node "
            "(cluster.self), which never dials itself");
  EXPECT_EQ(Error("  connect_to:\n    127.0.0.1:7072: 127.0.0.1:17072\n"
                  "    127.0.0.1:7072: 127.0.0.1:27072\n"),
            "conf/shoal.yaml:13: cluster.connect_to: 127.0.0.1:7072: listed twice");
  EXPECT_EQ(Error("  connect_to:\n    127.0.0.1:7072: 10.0.0.9:17072\n"),
            "conf/shoal.yaml:12: cluster.connect_to: 127.0.0.1:7072: 10.0.0.9 is not a loopback "
            "address and there is no secret or TLS, so this node would call it unauthenticated; "
            "set cluster.secret (or secret_env) or cluster.tls, or cluster.insecure: true to "
            "accept that");
}

TEST(ConfigConnectToTest, AProxyBeyondLoopbackNeedsASecretAndAnUnknownMemberIsAWarning) {
  Result<Config> c =
      ParseConfig(Cluster() +
                      "  secret: a-cluster-secret-of-32-characters\n"
                      "  connect_to: { 127.0.0.1:7072: 10.0.0.9:17072, 127.0.0.1:7079: "
                      "127.0.0.1:17079 }\n",
                  "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster.connect_to.at("127.0.0.1:7072"), "10.0.0.9:17072");
  bool warned = false;
  for (const std::string& w : c->warnings) {
    if (w ==
        "conf/shoal.yaml:12: cluster.connect_to: 127.0.0.1:7079: not in cluster.peers (the "
        "entry applies if it joins)") {
      warned = true;
    }
  }
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace shoal::cli

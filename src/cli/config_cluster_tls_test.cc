// cluster.tls: the three files are required together, read relative to the config's
// directory and checked at load (a bad one is an error naming the file:line and the key), and
// with them a secret is optional even beyond loopback (TLS authenticates the peers). The
// certificates are real ones, made by scripts/cluster-tls.sh into a temporary directory that
// stands for the config's.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "base/test_temp_dir.h"
#include "cli/config.h"
#include "cli/test_config.h"

namespace shoal::cli {
namespace {

// The minimal config and a cluster section.
std::string Base() {
  return std::string(testing::kMinimalConfig) +
         "cluster:\n  self: 10.0.0.5:7071\n  peers: [10.0.0.5:7071, 10.0.0.6:7071]\n";
}
// Line 11 is "  tls:", 12 ca, 13 cert, 14 key.

class ConfigClusterTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string make =
        std::string(SHOAL_SOURCE_DIR) + "/scripts/cluster-tls.sh '" + Dir() + "/tls' >/dev/null";
    // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): one command, before any thread
    ASSERT_EQ(std::system(make.c_str()), 0) << make;
    dir_->Write("tls/garbage.pem", "not PEM\n");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static const std::string& Dir() { return dir_->path(); }
  static std::string File() { return Dir() + "/shoal.yaml"; }

  static Result<Config> Parse(const std::string& tls) {
    return ParseConfig(Base() + "  tls:\n" + tls, File());
  }
  static std::string Error(const std::string& tls) {
    Result<Config> c = Parse(tls);
    EXPECT_FALSE(c.ok());
    return c.ok() ? "" : std::string(c.status().message());
  }

  static testing::TempDir* dir_;
};

testing::TempDir* ConfigClusterTlsTest::dir_ = nullptr;

TEST_F(ConfigClusterTlsTest, TlsAuthenticatesPeersBeyondLoopbackWithoutASecret) {
  Result<Config> c =
      Parse("    ca: tls/ca.pem\n    cert: tls/node1.pem\n    key: tls/node1-key.pem\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster.tls.ca, Dir() + "/tls/ca.pem");
  EXPECT_EQ(c->cluster.tls.cert, Dir() + "/tls/node1.pem");
  EXPECT_EQ(c->cluster.tls.key, Dir() + "/tls/node1-key.pem");
  EXPECT_TRUE(c->cluster.secret.empty());
  EXPECT_FALSE(c->cluster.insecure);
  EXPECT_TRUE(c->warnings.empty());
  // The peer port listens where self says, not on loopback only as without a secret.
  EXPECT_FALSE(c->peer_listen_defaulted);
  EXPECT_TRUE(c->cluster.listen_host.empty());
}

TEST_F(ConfigClusterTlsTest, BadSettingsNameTheirLineAndKey) {
  const std::string at = File() + ":";
  const std::string tls = Dir() + "/tls/";
  EXPECT_EQ(Error("    ca: tls/ca.pem\n    cert: tls/node1.pem\n"),
            at + "12: cluster.tls: needs 'key: FILE'; ca (the CA of the nodes' certificates), "
                 "cert and key (this node's) go together");
  EXPECT_EQ(Error("    ca: tls/ca.pem\n    cert: tls/node1.pem\n    key: tls/node2-key.pem\n"),
            at + "14: cluster.tls.key: " + tls +
                "node2-key.pem: does not match the certificate in " + tls + "node1.pem");
  EXPECT_EQ(Error("    ca: tls/missing.pem\n    cert: tls/node1.pem\n    key: tls/node1-key.pem\n"),
            at + "12: cluster.tls.ca: " + tls + "missing.pem: No such file or directory");
  EXPECT_EQ(Error("    ca: tls/ca.pem\n    cert: tls/garbage.pem\n    key: tls/node1-key.pem\n"),
            at + "13: cluster.tls.cert: " + tls + "garbage.pem: holds no PEM certificate");
  EXPECT_EQ(Error("    ca: tls/ca.pem\n    cert: tls/node1.pem\n    key: tls/garbage.pem\n"),
            at + "14: cluster.tls.key: " + tls +
                "garbage.pem: holds no PEM private key (or it is encrypted)");
  EXPECT_NE(Error("    ca: tls/ca.pem\n    ciphers: all\n").find("ciphers"), std::string::npos);
}

}  // namespace
}  // namespace shoal::cli

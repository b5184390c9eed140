// store.cassandra.compression and store.cassandra.tls: the values reach SessionOptions, file
// names are relative to the config's directory, and every bad file or combination is an
// error naming the config file, the line and the key. The certificates are real ones, made by
// scripts/cassandra/tls.sh into a temporary directory that stands for the config's.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "cli/config.h"

namespace shoal::cli {
namespace {

// Files: a config directory with tls/ made by tls.sh, once for the whole binary.
class Files {
 public:
  static const Files& Get() {
    static const Files kFiles;
    return kFiles;
  }
  const std::string& dir() const { return dir_; }
  std::string config() const { return dir_ + "/shoal.yaml"; }
  bool made() const { return made_; }

 private:
  Files() {
    char tmpl[] = "/tmp/shoal_config_tls.XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    const std::string make =
        std::string(SHOAL_SOURCE_DIR) + "/scripts/cassandra/tls.sh '" + dir_ + "/tls' >/dev/null";
    // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): one command, before any thread
    made_ = std::system(make.c_str()) == 0;
    std::ofstream(dir_ + "/tls/garbage.pem") << "not PEM\n";
  }
  ~Files() { std::filesystem::remove_all(dir_); }

  std::string dir_;
  bool made_ = false;
};

// Config is a Cassandra config whose store section ends with `extra` (indented 4).
std::string Config(const std::string& extra) {
  return "listen: 127.0.0.1:9090\n"
         "store:\n"
         "  cassandra:\n"
         "    contact_points: [127.0.0.1]\n"
         "    keyspace: shop\n" +
         extra +
         "endpoints:\n"
         "  - route: /v1/items/{id:int}\n"
         "    query: SELECT id FROM items WHERE id = :id\n"
         "    ttl: 60s\n";
}

std::string Error(const std::string& extra) {
  Result<cli::Config> c = ParseConfig(Config(extra), Files::Get().config());
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ConfigTlsTest, DefaultsAreLz4AndNoTls) {
  Result<cli::Config> c = ParseConfig(Config(""), Files::Get().config());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->cassandra.session.compression);
  EXPECT_TRUE(c->cassandra.session.tls.ca.empty());
  EXPECT_TRUE(c->cassandra.session.tls.verify_hostname);
}

TEST(ConfigTlsTest, CompressionNone) {
  Result<cli::Config> c = ParseConfig(Config("    compression: none\n"), Files::Get().config());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->cassandra.session.compression);
  EXPECT_EQ(
      Error("    compression: snappy\n"),
      Files::Get().config() + ":6: store.cassandra.compression: 'snappy' is not one of lz4, none");
}

TEST(ConfigTlsTest, TlsFilesAreReadRelativeToTheConfig) {
  ASSERT_TRUE(Files::Get().made()) << "scripts/cassandra/tls.sh failed";
  Result<cli::Config> c = ParseConfig(Config("    tls:\n"
                                             "      ca: tls/ca.pem\n"
                                             "      cert: tls/client.pem\n"
                                             "      key: tls/client-key.pem\n"
                                             "      verify_hostname: false\n"),
                                      Files::Get().config());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& tls = c->cassandra.session.tls;
  EXPECT_EQ(tls.ca, Files::Get().dir() + "/tls/ca.pem");
  EXPECT_EQ(tls.cert, Files::Get().dir() + "/tls/client.pem");
  EXPECT_EQ(tls.key, Files::Get().dir() + "/tls/client-key.pem");
  EXPECT_FALSE(tls.verify_hostname);
}

TEST(ConfigTlsTest, BadTlsSettingsNameTheirLineAndKey) {
  const std::string at = Files::Get().config() + ":";
  const std::string dir = Files::Get().dir();
  EXPECT_EQ(Error("    tls:\n      ca: missing.pem\n"),
            at + "7: store.cassandra.tls.ca: " + dir + "/missing.pem: No such file or directory");
  EXPECT_EQ(
      Error("    tls:\n      ca: tls/garbage.pem\n"),
      at + "7: store.cassandra.tls.ca: " + dir + "/tls/garbage.pem: holds no PEM certificate");
  EXPECT_EQ(Error("    tls:\n      ca: tls/ca.pem\n      cert: tls/client.pem\n"),
            at + "8: store.cassandra.tls.cert: a client certificate needs its 'key'");
  EXPECT_EQ(Error("    tls:\n      ca: tls/ca.pem\n      key: tls/client-key.pem\n"),
            at + "8: store.cassandra.tls.key: a client key needs its 'cert'");
  EXPECT_EQ(Error("    tls:\n      ca: tls/ca.pem\n      cert: tls/client.pem\n"
                  "      key: tls/server-key.pem\n"),
            at + "9: store.cassandra.tls.key: " + dir +
                "/tls/server-key.pem: does not match the certificate in " + dir +
                "/tls/client.pem");
  EXPECT_EQ(
      Error("    tls:\n      ca: tls/ca.pem\n      cert: tls/garbage.pem\n"
            "      key: tls/client-key.pem\n"),
      at + "8: store.cassandra.tls.cert: " + dir + "/tls/garbage.pem: holds no PEM certificate");
  EXPECT_EQ(Error("    tls:\n      cert: tls/client.pem\n"),
            at + "7: store.cassandra.tls: needs 'ca: FILE' (the CA that signed the nodes)");
  EXPECT_EQ(Error("    tls:\n      ca: tls/ca.pem\n      verify_hostname: maybe\n"),
            at + "8: store.cassandra.tls.verify_hostname: expected true or false");
  EXPECT_NE(Error("    tls:\n      ca: tls/ca.pem\n      ciphers: all\n").find("ciphers"),
            std::string::npos);
}

}  // namespace
}  // namespace shoal::cli

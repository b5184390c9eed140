// Config tests for the security review's keys: the peer port without a secret (H3), secrets
// from the environment and the file-permission warning (L3), duration overflow (L6), and the
// limits the other fixes enforce (read here, checked with file:line).
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/test_temp_dir.h"
#include "cli/config.h"
#include "cli/test_config.h"

namespace shoal::cli {
namespace {

using std::chrono::seconds;

constexpr const char* kBase = testing::kMinimalConfig;

std::string Error(std::string_view text) {
  Result<Config> c = ParseConfig(text, "conf/shoal.yaml");
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

// L6: 213503982335 days is 2^64 ms and some: the product wrapped to about 9.5 hours.
TEST(ConfigSecurityTest, DurationOverflowIsRefused) {
  EXPECT_FALSE(ParseDuration("213503982335d").ok());
  EXPECT_FALSE(ParseDuration("5124095576031h").ok());
  EXPECT_FALSE(ParseDuration("307445734561826m").ok());
  EXPECT_FALSE(ParseDuration("18446744073709552s").ok());
  EXPECT_FALSE(ParseDuration("3651d").ok());  // over ten years
  EXPECT_EQ(*ParseDuration("3650d"), std::chrono::hours(24 * 3650));
  const std::string text =
      std::string(kBase).replace(std::string(kBase).find("ttl: 60s"), 8, "ttl: 213503982335d");
  EXPECT_EQ(Error(text), "conf/shoal.yaml:7: ttl: duration '213503982335d' is too long");
}

// H3: a peer port others can reach, with no secret, is refused unless cluster.insecure.
TEST(ConfigSecurityTest, PeerPortBeyondLoopbackNeedsASecret) {
  const std::string c = std::string(kBase) + "cluster:\n";
  // Line 8 is "cluster:", 9 self, 10 peers, 11 listen.
  EXPECT_EQ(
      Error(c + "  self: 10.0.0.5:7071\n  peers: [10.0.0.5:7071, 10.0.0.6:7071]\n"
                "  listen: 0.0.0.0\n"),
      "conf/shoal.yaml:11: cluster.listen: the peer port would listen on 0.0.0.0 without "
      "a secret, so anyone who reaches it could read and purge the cache; set "
      "cluster.secret (or secret_env) or cluster.tls, or cluster.insecure: true to accept that");
  EXPECT_EQ(
      Error(c + "  self: 127.0.0.1:7071\n  peers: [127.0.0.1:7071]\n  listen: 0.0.0.0\n"),
      "conf/shoal.yaml:11: cluster.listen: the peer port would listen on 0.0.0.0 without "
      "a secret, so anyone who reaches it could read and purge the cache; set "
      "cluster.secret (or secret_env) or cluster.tls, or cluster.insecure: true to accept that");
  EXPECT_EQ(Error(c + "  self: 10.0.0.5:7071\n  peers: [10.0.0.5:7071]\n"),
            "conf/shoal.yaml:9: cluster.self: 10.0.0.5 is not a loopback address and there is "
            "no secret, so peers would call this node unauthenticated; set cluster.secret (or "
            "secret_env) or cluster.tls, or cluster.insecure: true to accept that");
  EXPECT_EQ(Error(c + "  self: 127.0.0.1:7071\n  peers: [127.0.0.1:7071, 10.0.0.6:7071]\n"),
            "conf/shoal.yaml:10: cluster.peers: 10.0.0.6:7071 is not a loopback address and "
            "there is no secret, so this node would call it unauthenticated; set cluster.secret "
            "(or secret_env) or cluster.tls, or cluster.insecure: true to accept that");

  // Loopback everywhere needs no secret.
  for (const char* self : {"127.0.0.1:7071", "localhost:7071", "[::1]:7071", "127.0.0.9:7071"}) {
    SCOPED_TRACE(self);
    Result<Config> ok = ParseConfig(c + "  self: \"" + self + "\"\n  peers: [\"" + self + "\"]\n",
                                    "conf/shoal.yaml");
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_TRUE(ok->warnings.empty());
  }
  // A secret allows any address.
  Result<Config> secret = ParseConfig(c + "  self: 10.0.0.5:7071\n  peers: [10.0.0.5:7071]\n"
                                          "  listen: 0.0.0.0\n  secret: 0123456789abcdef\n",
                                      "conf/shoal.yaml");
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  EXPECT_TRUE(secret->warnings.empty());
  // insecure: true accepts it, with a warning serve prints at every start.
  Result<Config> insecure = ParseConfig(
      c + "  self: 10.0.0.5:7071\n  peers: [10.0.0.5:7071]\n  insecure: true\n", "conf/shoal.yaml");
  ASSERT_TRUE(insecure.ok()) << insecure.status().ToString();
  EXPECT_TRUE(insecure->cluster.insecure);
  EXPECT_EQ(insecure->cluster.listen_host, "");  // self's host: the operator asked for it
  ASSERT_EQ(insecure->warnings.size(), 1u);
  EXPECT_EQ(insecure->warnings[0],
            "conf/shoal.yaml:11: cluster.insecure: the peer port has no secret and is "
            "reachable beyond loopback: anyone who reaches it can read and purge the cache");
  EXPECT_EQ(Error(c + "  self: 127.0.0.1:7071\n  peers: [127.0.0.1:7071]\n  insecure: yes\n"),
            "conf/shoal.yaml:11: cluster.insecure: expected true or false");
}

// L3: secrets from the environment, with the same length rule, and never both ways.
TEST(ConfigSecurityTest, SecretsFromTheEnvironment) {
  // NOLINTBEGIN(concurrency-mt-unsafe): the test runs on one thread.
  ASSERT_EQ(::setenv("SHOAL_TEST_TOKEN", "token-from-the-environment", 1), 0);
  ASSERT_EQ(::setenv("SHOAL_TEST_SHORT", "short", 1), 0);
  ASSERT_EQ(::setenv("SHOAL_TEST_SECRET", "secret-from-the-environment", 1), 0);
  // NOLINTEND(concurrency-mt-unsafe)
  const std::string cl = std::string(kBase) +
                         "cluster:\n  self: 127.0.0.1:7071\n  peers: [127.0.0.1:7071]\n"
                         "  secret_env: SHOAL_TEST_SECRET\n"
                         "admin:\n  token_env: SHOAL_TEST_TOKEN\n";
  Result<Config> c = ParseConfig(cl, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->admin.token, "token-from-the-environment");
  EXPECT_EQ(c->cluster.secret, "secret-from-the-environment");
  EXPECT_FALSE(c->file_holds_secret);

  EXPECT_EQ(Error(std::string(kBase) + "admin:\n  token_env: SHOAL_TEST_SHORT\n"),
            "conf/shoal.yaml:9: admin.token: use at least 16 characters (it guards purge and "
            "the peer list)");
  EXPECT_EQ(Error(std::string(kBase) + "admin:\n  token_env: SHOAL_TEST_SURELY_UNSET_VARIABLE\n"),
            "conf/shoal.yaml:9: admin.token_env: the environment has no "
            "SHOAL_TEST_SURELY_UNSET_VARIABLE");
  EXPECT_EQ(Error(std::string(kBase) +
                  "admin:\n  token: abcdefghijklmnopqrst\n  token_env: SHOAL_TEST_TOKEN\n"),
            "conf/shoal.yaml:10: admin: give 'token' or 'token_env', not both");
  EXPECT_EQ(
      Error(std::string(kBase) + "cluster:\n  self: 127.0.0.1:7071\n  peers: [127.0.0.1:7071]\n"
                                 "  secret_env: SHOAL_TEST_SHORT\n"),
      "conf/shoal.yaml:11: cluster.secret: use at least 16 characters (it authenticates "
      "every peer)");
}

// L3: a file that holds a secret and that others may read is worth a warning; one that
// takes its secrets from the environment is not.
TEST(ConfigSecurityTest, ASecretInAReadableFileIsWarnedAbout) {
  testing::TempDir dir;
  const std::string inline_token = std::string(kBase) + "admin: { token: abcdefghijklmnopqrst }\n";
  const std::string path = dir.Write("shoal.yaml", inline_token);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  Result<Config> c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0], path +
                                ": holds a secret (admin.token, cluster.secret or a password) "
                                "and is readable by its group or others; chmod 600 it, or use "
                                "the *_env keys");
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_EQ(LoadConfig(path)->warnings.size(), 1u);  // the group is enough
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(LoadConfig(path)->warnings.empty());

  // NOLINTNEXTLINE(concurrency-mt-unsafe): the test runs on one thread.
  ASSERT_EQ(::setenv("SHOAL_TEST_TOKEN", "token-from-the-environment", 1), 0);
  const std::string env_path =
      dir.Write("env.yaml", std::string(kBase) + "admin: { token_env: SHOAL_TEST_TOKEN }\n");
  ASSERT_EQ(::chmod(env_path.c_str(), 0644), 0);
  EXPECT_TRUE(LoadConfig(env_path)->warnings.empty());

  const std::string password =
      dir.Write("cassandra.yaml",
                "store:\n  cassandra: { contact_points: [h], keyspace: k, user: u, password: pw }\n"
                "endpoints:\n  - { route: /a, query: SELECT 1 AS x, ttl: 1s }\n");
  ASSERT_EQ(::chmod(password.c_str(), 0604), 0);
  EXPECT_EQ(LoadConfig(password)->warnings.size(), 1u);
}

TEST(ConfigSecurityTest, LimitKeysAreRead) {
  Result<Config> c = ParseConfig(R"(listen: 127.0.0.1:9090
http: { max_connections_per_address: 20, first_byte_timeout: 3s, max_string_param: 1KiB }
store:
  sqlite: { path: x.db }
  max_rows: 500
  max_body: 2MiB
admin: { token: abcdefghijklmnopqrst, listen: "127.0.0.1:9191" }
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id FROM items WHERE id = :id
    ttl: 60s
    max_rows: 7
    max_body: 16KiB
  - route: /v1/other/{id:int}
    query: SELECT id FROM items WHERE id = :id
    ttl: 60s
)",
                                 "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.max_connections_per_address, 20u);
  EXPECT_EQ(c->http.first_byte_timeout, seconds(3));
  EXPECT_EQ(c->api.max_string_param, 1024u);
  EXPECT_EQ(c->api.max_rows, 500u);
  EXPECT_EQ(c->api.max_body, 2u << 20);
  EXPECT_EQ(c->api.endpoints[0].max_rows, 7u);
  EXPECT_EQ(c->api.endpoints[0].max_body, 16u << 10);
  EXPECT_FALSE(c->api.endpoints[1].max_rows.has_value());
  EXPECT_FALSE(c->api.endpoints[1].max_body.has_value());
  EXPECT_EQ(c->admin.listen, "127.0.0.1:9191");
  EXPECT_EQ(c->admin_http.host, "127.0.0.1");
  EXPECT_EQ(c->admin_http.port, 9191);
  EXPECT_EQ(c->admin_http.max_connections_per_address, 20u);  // the public listener's limits

  // Defaults when absent.
  Result<Config> d = ParseConfig(kBase, "conf/shoal.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->http.max_connections_per_address, 0u);
  EXPECT_EQ(d->http.first_byte_timeout, seconds(10));
  EXPECT_EQ(d->api.max_string_param, 256u);
  EXPECT_EQ(d->api.max_rows, 10000u);
  EXPECT_EQ(d->api.max_body, 8u << 20);
  EXPECT_EQ(d->admin.listen, "");
  EXPECT_EQ(d->metrics_cache, seconds(1));
  Result<Config> m =
      ParseConfig(std::string(kBase) + "metrics: { cache: 0s }\n", "conf/shoal.yaml");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->metrics_cache, Duration::zero());

  EXPECT_EQ(Error(std::string(kBase) + "admin: { listen: nowhere }\n"),
            "conf/shoal.yaml:8: admin.listen: bad address 'nowhere': expected HOST:PORT, the "
            "port is missing (such as 127.0.0.1:9090)");
  EXPECT_EQ(Error(std::string(kBase) + "admin: { listen: \"127.0.0.1:9090\" }\n"),
            "conf/shoal.yaml:8: admin.listen: 127.0.0.1:9090 is the public listen address; give "
            "the admin endpoints an address of their own");
  EXPECT_EQ(Error(std::string(kBase) + "store2: 1\n").substr(0, 40),
            "conf/shoal.yaml:8: config: unknown key '");
  std::string text = kBase;
  text.replace(text.find("    ttl: 60s"), 12, "    ttl: 60s\n    max_rows: 0");
  EXPECT_EQ(Error(text), "conf/shoal.yaml:8: max_rows: 0 is outside 1..100000000");
  EXPECT_EQ(Error(std::string(kBase) + "http: { max_string_param: 0 }\n"),
            "conf/shoal.yaml:8: http.max_string_param: must be above zero");
}

TEST(ConfigSecurityTest, CassandraAuthenticatorsAndNodeNetworks) {
  const std::string head =
      "store:\n  cassandra:\n    contact_points: [10.0.0.1]\n    keyspace: k\n";
  const std::string tail = "endpoints:\n  - { route: /a, query: SELECT 1 AS x, ttl: 1s }\n";
  Result<Config> c = ParseConfig(head +
                                     "    authenticators: [com.example.Auth, "
                                     "org.apache.cassandra.auth.PasswordAuthenticator]\n"
                                     "    node_networks: [10.0.0.0/8, \"fd00::/8\"]\n" +
                                     tail,
                                 "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cassandra.session.allowed_authenticators,
            (std::vector<std::string>{"com.example.Auth",
                                      "org.apache.cassandra.auth.PasswordAuthenticator"}));
  EXPECT_EQ(c->cassandra.session.node_networks,
            (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
  Result<Config> d = ParseConfig(head + tail, "conf/shoal.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->cassandra.session.allowed_authenticators,
            (std::vector<std::string>{"org.apache.cassandra.auth.PasswordAuthenticator"}));
  EXPECT_TRUE(d->cassandra.session.node_networks.empty());

  EXPECT_EQ(Error(head + "    node_networks:\n      - 10.0.0.0/8\n      - 10.0.0.0/33\n" + tail),
            "conf/shoal.yaml:7: store.cassandra.node_networks: '10.0.0.0/33': the prefix "
            "length must be 0..32");
  EXPECT_EQ(Error(head + "    node_networks: [10.0.0.0]\n" + tail),
            "conf/shoal.yaml:5: store.cassandra.node_networks: '10.0.0.0': expected "
            "ADDRESS/BITS such as 10.0.0.0/8");
  EXPECT_EQ(Error(head + "    node_networks: [cassandra.local/8]\n" + tail),
            "conf/shoal.yaml:5: store.cassandra.node_networks: 'cassandra.local/8': "
            "'cassandra.local' is not an IPv4 or IPv6 address");
  EXPECT_EQ(Error(head + "    authenticators: []\n" + tail),
            "conf/shoal.yaml:5: store.cassandra.authenticators: expected at least one class "
            "name");
}

// cluster.callers lists the nodes that own no keys and may call this one (the rpc handshake
// checks a caller's address against peers and callers once the list is given).
TEST(ConfigSecurityTest, CallersAreAListOfAddresses) {
  const std::string c =
      std::string(kBase) + "cluster:\n  self: 127.0.0.1:7071\n" + "  peers: [127.0.0.1:7071]\n";
  Result<Config> ok =
      ParseConfig(c + "  callers: [127.0.0.1:7081, \"[::1]:7082\"]\n", "conf/shoal.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->cluster.callers, (std::vector<std::string>{"127.0.0.1:7081", "[::1]:7082"}));
  // Line 11 is "callers".
  EXPECT_NE(Error(c + "  callers: 127.0.0.1:7081\n")
                .find("conf/shoal.yaml:11: cluster.callers: "
                      "expected a list of HOST:PORT"),
            std::string::npos);
  EXPECT_NE(Error(c + "  callers: [127.0.0.1]\n").find("conf/shoal.yaml:11: cluster.callers: "),
            std::string::npos);
}

}  // namespace
}  // namespace shoal::cli

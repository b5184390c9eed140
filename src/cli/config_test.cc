#include "cli/config.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "cli/demo_config.h"
#include "cli/test_config.h"
#include "cli/version.h"

namespace shoal::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kMinimal = testing::kMinimalConfig;

std::string Error(std::string_view text) {
  Result<Config> c = ParseConfig(text, "conf/shoal.yaml");
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ConfigTest, MinimalConfigGetsDefaults) {
  Result<Config> c = ParseConfig(kMinimal, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.host, "127.0.0.1");
  EXPECT_EQ(c->http.port, 9090);
  EXPECT_EQ(c->sqlite.path, "conf/db/catalog.db");  // relative to the file
  EXPECT_EQ(c->cache_memory, 256u << 20);
  EXPECT_EQ(c->cache_memory_bound, 125u);
  EXPECT_EQ(c->sqlite.page_cache, store::SqliteOptions::kDefaultPageCache);
  ASSERT_EQ(c->api.endpoints.size(), 1u);
  EXPECT_EQ(c->api.endpoints[0].route, "/v1/items/{id:int}");
  EXPECT_EQ(c->api.endpoints[0].ttl, seconds(60));
  EXPECT_EQ(c->api.endpoints[0].line, 5);
  EXPECT_EQ(c->api.config_file, "conf/shoal.yaml");
}

// http.openapi (default true) and the document's version (the build's, not a key).
TEST(ConfigTest, OpenApiSwitch) {
  Result<Config> c = ParseConfig(kMinimal, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->api.openapi);
  EXPECT_EQ(c->api.version, Version());
  c = ParseConfig(std::string(kMinimal) + "http:\n  openapi: false\n", "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->api.openapi);
  EXPECT_NE(Error(std::string(kMinimal) + "http:\n  openapi: maybe\n").find("conf/shoal.yaml:9"),
            std::string::npos);
}

TEST(ConfigTest, EveryKnobIsRead) {
  Result<Config> c = ParseConfig(R"(listen: "[::1]:0"
http: { threads: 3, max_connections: 50, idle_timeout: 2m, header_timeout: 3s,
        request_timeout: 750ms, max_request_line: 4KiB, max_header_bytes: 1MB,
        max_headers: 10, max_body: 2MiB, pipeline_limit: 4 }
store:
  sqlite: { path: /abs/x.db, threads: 5, queue: 77, page_cache: 64KiB }
  timeout: 1500ms
cache: { memory: 1GiB, memory_bound: 150, grace: 0s, negative_ttl: 1s, stale_if_error: 2h }
endpoints:
  - route: /r/{name}
    query: SELECT a FROM t WHERE b = :name AND c < :limit
    params:
      limit: { type: int, default: 5, min: 1, max: 9 }
    result: many
    json: [a]
    ttl: 1d
)",
                                 "x.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.host, "::1");
  EXPECT_EQ(c->http.port, 0);
  EXPECT_EQ(c->http.threads, 3);
  EXPECT_EQ(c->http.max_connections, 50u);
  EXPECT_EQ(c->http.idle_timeout, seconds(120));
  EXPECT_EQ(c->http.header_timeout, seconds(3));
  EXPECT_EQ(c->http.request_timeout, milliseconds(750));
  EXPECT_EQ(c->http.max_request_line, 4096u);
  EXPECT_EQ(c->http.max_header_bytes, 1000000u);
  EXPECT_EQ(c->http.max_headers, 10u);
  EXPECT_EQ(c->http.max_body, 2u << 20);
  EXPECT_EQ(c->http.pipeline_limit, 4u);
  EXPECT_EQ(c->sqlite.path, "/abs/x.db");
  EXPECT_EQ(c->sqlite.threads, 5);
  EXPECT_EQ(c->sqlite.queue_limit, 77u);
  EXPECT_EQ(c->sqlite.page_cache, 64u << 10);
  EXPECT_EQ(c->api.store_timeout, milliseconds(1500));
  EXPECT_EQ(c->cache_memory, 1u << 30);
  EXPECT_EQ(c->cache_memory_bound, 150u);
  EXPECT_EQ(c->api.grace, seconds(0));
  EXPECT_EQ(c->api.negative_ttl, seconds(1));
  EXPECT_EQ(c->read_through.stale_if_error, seconds(7200));
  const api::EndpointOptions& e = c->api.endpoints[0];
  EXPECT_EQ(e.result, api::ResultShape::kMany);
  EXPECT_EQ(e.ttl, seconds(86400));
  ASSERT_EQ(e.json_columns.size(), 1u);
  ASSERT_EQ(e.params.size(), 1u);
  EXPECT_EQ(e.params[0].name, "limit");
  EXPECT_EQ(e.params[0].type, api::ParamType::kInt);
  EXPECT_EQ(e.params[0].default_value, "5");
  EXPECT_EQ(e.params[0].min, 1);
  EXPECT_EQ(e.params[0].max, 9);
  EXPECT_EQ(e.params[0].line, 13);
}

TEST(ConfigTest, ErrorsNameFileAndLine) {
  std::string text = kMinimal;
  EXPECT_EQ(Error(text + "cache: { memory: lots }\n"),
            "conf/shoal.yaml:8: cache.memory: expected a size such as 256MiB, got 'lots'");
  EXPECT_EQ(Error(text + "cache:\n  memory_bound: 100\n"),
            "conf/shoal.yaml:9: cache.memory_bound: a percentage of cache.memory, 105 to 1000 (0: "
            "no bound)");
  EXPECT_EQ(Error(text + "cache: { memory_bound: 1001 }\n"),
            "conf/shoal.yaml:8: cache.memory_bound: 1001 is outside 0..1000");
  EXPECT_EQ(Error(text + "cache:\n  grace: 5 minutes\n"),
            "conf/shoal.yaml:9: cache.grace: expected a duration unit ms, s, m, h or d in '5 "
            "minutes'");
  EXPECT_EQ(Error(text + "cahce: {}\n"),
            "conf/shoal.yaml:8: config: unknown key 'cahce' (known: listen, http, store, cache, "
            "cluster, admin, log, metrics, ready, endpoints, ignore_params, cors, "
            "cursor_secret_env, auth)");
  EXPECT_EQ(Error("listen: nowhere\n" + text.substr(text.find('\n') + 1)),
            "conf/shoal.yaml:1: listen: bad address 'nowhere': expected HOST:PORT, the port is "
            "missing (such as 127.0.0.1:8080)");
  EXPECT_EQ(Error("listen: \"::1:80\"\n" + text.substr(text.find('\n') + 1)),
            "conf/shoal.yaml:1: listen: bad address '::1:80': an IPv6 address goes in brackets, as "
            "[::1:80]:PORT (such as 127.0.0.1:8080)");
  EXPECT_EQ(Error(text + "http: { threads: -1 }\n"),
            "conf/shoal.yaml:8: http.threads: -1 is outside 0..256");
}

TEST(ConfigTest, LogSection) {
  Result<Config> c = ParseConfig(std::string(kMinimal) + "log: { level: debug, format: json }\n",
                                 "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log.level, LogLevel::kDebug);
  EXPECT_EQ(c->log.format, LogFormat::kJson);
  Result<Config> d = ParseConfig(kMinimal, "conf/shoal.yaml");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->log.level, LogLevel::kInfo);
  EXPECT_EQ(d->log.format, LogFormat::kText);
  std::string text = kMinimal;
  EXPECT_EQ(Error(text + "log:\n  level: loud\n"),
            "conf/shoal.yaml:9: log.level: expected debug, info, warn, error or off, got 'loud'");
  EXPECT_EQ(Error(text + "log: { format: xml }\n"),
            "conf/shoal.yaml:8: log.format: expected text or json, got 'xml'");
}

TEST(ConfigTest, EndpointErrorsNameTheirLine) {
  const std::string head = "store:\n  sqlite: { path: x.db }\nendpoints:\n";
  EXPECT_EQ(Error(head + "  - route: /a\n    query: SELECT 1\n"),
            "conf/shoal.yaml:4: endpoint /a: needs 'ttl' (how long an answer stays fresh)");
  EXPECT_EQ(Error(head + "  - route: /a\n    query: SELECT 1\n    ttl: 1s\n    result: few\n"),
            "conf/shoal.yaml:7: result: expected one or many, got 'few'");
  EXPECT_EQ(Error(head + "  - route: /a\n    query: SELECT 1\n    ttl: 1s\n    params:\n"
                         "      n: { type: float }\n"),
            "conf/shoal.yaml:8: params.n.type: expected int or string, got 'float'");
  EXPECT_EQ(Error(head + "  - route: /a\n    query: SELECT 1\n    ttl: 0s\n"),
            "conf/shoal.yaml:6: ttl: must be above zero");
  EXPECT_EQ(Error("store:\n  sqlite: { path: x.db }\n"),
            "conf/shoal.yaml:1: endpoints: expected a list of at least one endpoint");
}

TEST(ConfigTest, IgnoreParamsAtTheTopAndPerEndpoint) {
  const std::string text = std::string(kMinimal) + "    ignore_params: [ref, \"mc_*\"]\n" +
                           "ignore_params:\n  - utm_*\n  - fbclid\n";
  Result<Config> c = ParseConfig(text, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->api.ignore_params.size(), 2u);
  EXPECT_EQ(c->api.ignore_params[0].pattern, "utm_*");
  EXPECT_EQ(c->api.ignore_params[0].line, 10);
  EXPECT_EQ(c->api.ignore_params[1].pattern, "fbclid");
  EXPECT_EQ(c->api.ignore_params[1].line, 11);
  const auto& ep = c->api.endpoints[0].ignore_params;
  ASSERT_EQ(ep.size(), 2u);
  EXPECT_EQ(ep[0].pattern, "ref");
  EXPECT_EQ(ep[1].pattern, "mc_*");
  EXPECT_EQ(ep[1].line, 8);
  EXPECT_EQ(Error(std::string(kMinimal) + "ignore_params: utm_*\n"),
            "conf/shoal.yaml:8: ignore_params: expected a list of name patterns");
  EXPECT_EQ(Error(std::string(kMinimal) + "    ignore_params: [[a]]\n"),
            "conf/shoal.yaml:8: ignore_params: expected a single value");
}

TEST(ConfigTest, YamlSyntaxErrorNamesItsLine) {
  const std::string msg = Error("listen: 1.2.3.4:80\nstore: [unclosed\n");
  EXPECT_EQ(msg.rfind("conf/shoal.yaml:", 0), 0u) << msg;
}

TEST(ConfigTest, MissingFileIsAClearError) {
  Result<Config> c = LoadConfig("/nonexistent/shoal.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "/nonexistent/shoal.yaml: cannot read the config file");
}

TEST(ConfigTest, DurationsAndSizes) {
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("5m"), seconds(300));
  EXPECT_FALSE(ParseDuration("5").ok());
  EXPECT_FALSE(ParseDuration("-5s").ok());
  EXPECT_FALSE(ParseDuration("99999999999999d").ok());
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("3KiB"), 3072u);
  EXPECT_FALSE(ParseSize("3 MiB").ok());
  EXPECT_FALSE(ParseSize("1000000000GiB").ok());
}

// The demo serves exactly the endpoints that examples/catalog ships.
TEST(ConfigTest, ClusterAndAdminSections) {
  const std::string text = std::string(kMinimal) + R"(cache: { memory: 64MiB }
cluster:
  self: 127.0.0.1:7071
  peers: [127.0.0.1:7071, 127.0.0.1:7072]
  secret: 0123456789abcdef0123
  peer_timeout: 250ms
  connections: 3
  threads: 2
  hot_min_hits: 4
  handover: false
admin: { token: abcdefghijklmnopqrst }
)";
  Result<Config> c = ParseConfig(text, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->clustered);
  EXPECT_EQ(c->cluster.self, "127.0.0.1:7071");
  EXPECT_EQ(c->cluster.peers.size(), 2u);
  EXPECT_EQ(c->cluster.peer_timeout, milliseconds(250));
  EXPECT_EQ(c->cluster.connections, 3u);
  EXPECT_EQ(c->rpc_threads, 2u);
  EXPECT_EQ(c->cluster.hot_min_hits, 4u);
  EXPECT_FALSE(c->cluster.handover);          // default true (cluster.h)
  EXPECT_EQ(c->hot_memory, (64u << 20) / 8);  // an eighth of the budget by default
  EXPECT_TRUE(c->cluster.hot_cache);
  EXPECT_EQ(c->cluster.listen_host, "");  // with a secret: self's host
  EXPECT_FALSE(c->peer_listen_defaulted);
  EXPECT_EQ(c->admin.token, "abcdefghijklmnopqrst");
}

TEST(ConfigTest, ClusterErrorsNameTheirLine) {
  const std::string base = std::string(kMinimal) + "cluster:\n  self: 127.0.0.1:7071\n";
  // Line 8 is "cluster:", line 9 "self", line 10 "peers".
  EXPECT_EQ(Error(base + "  peers: [127.0.0.1:7072]\n"),
            "conf/shoal.yaml:10: cluster: this node (127.0.0.1:7071) has cache memory, so it "
            "owns keys and must be one of the peers; a node that owns nothing has cache.memory 0");
  EXPECT_EQ(Error(base + "  peers: [127.0.0.1:7071, nohost]\n"),
            "conf/shoal.yaml:10: cluster: bad address 'nohost': expected HOST:PORT, the port is "
            "missing");
  EXPECT_EQ(Error(base + "  peers: [127.0.0.1:7071]\n  secret: short\n"),
            "conf/shoal.yaml:11: cluster.secret: use at least 16 characters (it authenticates "
            "every peer)");
  EXPECT_EQ(Error(std::string(kMinimal) + "cluster:\n  self: nohost\n  peers: [nohost]\n"),
            "conf/shoal.yaml:9: cluster: self: bad address 'nohost': expected HOST:PORT, the port "
            "is missing");
  EXPECT_EQ(Error(std::string(kMinimal) + "cluster:\n  peers: []\n"),
            "conf/shoal.yaml:9: cluster: needs 'self: HOST:PORT' (this node's peer address)");
  EXPECT_EQ(Error(std::string(kMinimal) +
                  "cache: { memory: 0 }\ncluster:\n  self: 127.0.0.1:7071\n  peers: "
                  "[127.0.0.1:7071]\n"),
            "conf/shoal.yaml:11: cluster: this node (127.0.0.1:7071) has cache.memory 0, so it "
            "owns no keys and must not be one of the peers");
  EXPECT_EQ(Error(std::string(kMinimal) + "admin: { token: x }\n"),
            "conf/shoal.yaml:8: admin.token: use at least 16 characters (it guards purge and "
            "the peer list)");
}

TEST(ConfigTest, TheListComesFromExactlyOneSourceAndErrorsNameTheirLine) {
  const std::string base = std::string(kMinimal) + "cluster:\n  self: 127.0.0.1:7071\n";
  EXPECT_EQ(Error(base + "  peers: [127.0.0.1:7071]\n  seeds: [127.0.0.1:7072]\n"),
            "conf/shoal.yaml:11: cluster.seeds: give exactly one of peers, peers_file, "
            "peers_dns and seeds");
  EXPECT_NE(Error(base).find("cluster: needs one of 'peers: [HOST:PORT, ...]'"), std::string::npos);
  EXPECT_EQ(Error(base + "  seeds: [nohost]\n"),
            "conf/shoal.yaml:10: cluster.seeds: bad address 'nohost': expected HOST:PORT, the "
            "port is missing");
  EXPECT_EQ(Error(base + "  peers_file: /nonexistent/peers\n"),
            "conf/shoal.yaml:10: cluster.peers_file: /nonexistent/peers: cannot read: No such "
            "file or directory");
  EXPECT_EQ(Error(base + "  peers_dns: shoal.test\n  dns_server: nohost\n"),
            "conf/shoal.yaml:11: cluster.dns_server: bad address 'nohost': expected HOST:PORT, "
            "the port is missing");
  EXPECT_EQ(Error(base + "  peers: [127.0.0.1:7071]\n  dns_interval: 1s\n"),
            "conf/shoal.yaml:11: cluster.dns_interval: only with cluster.peers_dns");

  // Seeds: no list yet, and no rule that this node is in it.
  Result<Config> c =
      ParseConfig(base + "  seeds: [127.0.0.1:7072, 127.0.0.1:7073]\n", "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->cluster.membership.source, cluster::ListSource::kSeeds);
  EXPECT_EQ(c->cluster.membership.seeds.size(), 2u);
  EXPECT_TRUE(c->cluster.peers.empty());
  EXPECT_TRUE(c->cluster.has_memory);
  EXPECT_EQ(c->cluster.membership.anti_entropy, std::chrono::seconds(1));
  c = ParseConfig(base + "  peers_dns: _shoal._tcp.example\n  dns_server: 127.0.0.1:5353\n",
                  "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->cluster.membership.source, cluster::ListSource::kDns);
  EXPECT_EQ(c->cluster.membership.source_name, "_shoal._tcp.example");
  EXPECT_EQ(c->cluster.membership.source_interval, std::chrono::seconds(5));
  EXPECT_TRUE(c->cluster.membership.read_source);
}

constexpr char kCassandra[] = R"(listen: 127.0.0.1:9090
store:
  cassandra:
    contact_points: [10.0.0.1:9043, "[::1]"]
    keyspace: shop
    user: reader
    password: s3cret
    consistency: LOCAL_QUORUM
    connections: 3
    threads: 2
    page_size: 100
    queue: 64
    connect_timeout: 2s
    discover_peers: false
  timeout: 250ms
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id FROM items WHERE id = :id
    ttl: 60s
)";

TEST(ConfigTest, CassandraStoreSection) {
  Result<Config> c = ParseConfig(kCassandra, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->store_kind, Config::StoreKind::kCassandra);
  const store::CassandraOptions& o = c->cassandra;
  EXPECT_EQ(o.session.contact_points, (std::vector<std::string>{"10.0.0.1:9043", "[::1]"}));
  EXPECT_EQ(o.session.keyspace, "shop");
  EXPECT_EQ(o.session.user, "reader");
  EXPECT_EQ(o.session.password, "s3cret");
  EXPECT_EQ(o.consistency, store::cassandra::Consistency::kLocalQuorum);
  EXPECT_EQ(o.session.connections_per_node, 3u);
  EXPECT_EQ(o.session.io_threads, 2u);
  EXPECT_EQ(o.page_size, 100);
  EXPECT_EQ(o.queue_limit, 64u);
  EXPECT_EQ(o.session.connect_timeout, seconds(2));
  EXPECT_FALSE(o.session.discover_peers);
  EXPECT_EQ(c->api.store_timeout, milliseconds(250));
  EXPECT_EQ(c->store_line, 4);  // a block mapping is marked at its first key
  EXPECT_EQ(StorePathError(*c, "no node answered"),
            "conf/shoal.yaml:4: store.cassandra: no node answered");
}

TEST(ConfigTest, CassandraErrorsNameTheirLine) {
  const std::string tail = "endpoints:\n  - route: /a\n    query: SELECT 1 AS x\n    ttl: 1s\n";
  EXPECT_EQ(Error("store:\n  cassandra:\n    keyspace: k\n" + tail),
            "conf/shoal.yaml:3: store.cassandra: needs 'contact_points: [HOST:PORT, ...]'");
  EXPECT_EQ(Error("store:\n  cassandra:\n    contact_points: [h]\n" + tail),
            "conf/shoal.yaml:3: store.cassandra: needs 'keyspace'");
  EXPECT_EQ(Error("store:\n  cassandra:\n    contact_points: [h]\n    keyspace: k\n"
                  "    consistency: MOST\n" +
                  tail),
            "conf/shoal.yaml:5: store.cassandra.consistency: 'MOST' is not one of ONE, TWO, THREE, "
            "QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, LOCAL_ONE, SERIAL, LOCAL_SERIAL");
  EXPECT_EQ(Error("store:\n  cassandra:\n    contact_points: [h]\n    keyspace: k\n"
                  "    password: x\n" +
                  tail),
            "conf/shoal.yaml:3: store.cassandra: a password needs a 'user'");
  EXPECT_EQ(Error("store:\n  cassandra:\n    contact_points: [h]\n    keyspace: k\n"
                  "    user: u\n    password_env: SHOAL_TEST_SURELY_UNSET_VARIABLE\n" +
                  tail),
            "conf/shoal.yaml:6: store.cassandra.password_env: the environment has no "
            "SHOAL_TEST_SURELY_UNSET_VARIABLE");
  EXPECT_EQ(Error("store:\n  sqlite: { path: x }\n  cassandra: { keyspace: k }\n" + tail),
            "conf/shoal.yaml:3: store: give 'sqlite' or 'cassandra', not both");
}

TEST(ConfigTest, WithoutASecretThePeerPortListensOnLoopback) {
  Result<Config> c = ParseConfig(
      std::string(kMinimal) + "cluster:\n  self: localhost:7071\n  peers: [localhost:7071]\n",
      "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->cluster.listen_host, "127.0.0.1");
  EXPECT_TRUE(c->peer_listen_defaulted);
}

TEST(ConfigTest, DemoConfigMatchesTheExampleFile) {
  const std::string path = std::string(SHOAL_SOURCE_DIR) + "/examples/catalog/shoal.yaml";
  Result<Config> example = LoadConfig(path);
  ASSERT_TRUE(example.ok()) << example.status().ToString();
  Result<Config> demo = ParseConfig(DemoConfigText("127.0.0.1:8080", "data/catalog.db"), "demo");
  ASSERT_TRUE(demo.ok()) << demo.status().ToString();
  ASSERT_EQ(example->api.endpoints.size(), demo->api.endpoints.size());
  for (size_t i = 0; i < demo->api.endpoints.size(); ++i) {
    const auto& a = example->api.endpoints[i];
    const auto& b = demo->api.endpoints[i];
    EXPECT_EQ(a.route, b.route);
    EXPECT_EQ(a.query, b.query);
    EXPECT_EQ(a.ttl, b.ttl);
    EXPECT_EQ(a.result, b.result);
    EXPECT_EQ(a.json_columns, b.json_columns);
    ASSERT_EQ(a.params.size(), b.params.size());
  }
  EXPECT_EQ(example->cache_memory, demo->cache_memory);
  EXPECT_EQ(example->api.grace, demo->api.grace);
}

}  // namespace
}  // namespace shoal::cli

// Process tests of the operator's figures (issue 16, items 4 and 5): the Prometheus page that
// `promtool check metrics` accepts, with exact per-endpoint counts; GET /_shoal/stats (totals,
// rates); and `shoal stats --once` against a real node.
//
// promtool comes with Debian's `prometheus` package (scripts/install-deps.sh). Without it the
// promtool checks skip, unless SHOAL_REQUIRE_PROMTOOL=1 (the Makefile sets it), which makes a
// missing promtool a failure.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "catalog_suite.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

class MetricsStatsTest : public CatalogSuite<200> {
 protected:
  std::unique_ptr<ShoalProcess> Serve(const std::string& extra = "") {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    const std::string file =
        dir_->Write("m-" + std::to_string(++configs_) + ".yaml", (base.ok() ? *base : "") + extra);
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(file);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  // Get sends one GET on a new connection; the response (status -1 when it failed).
  static HttpResponse Get(uint16_t port, const std::string& target,
                          const std::string& headers = "") {
    HttpResponse failed;
    failed.status = -1;
    Result<HttpClient> c = HttpClient::Connect(port);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return failed;
    Result<HttpResponse> r = c->Get(target, headers);
    EXPECT_TRUE(r.ok()) << target << ": " << r.status().ToString();
    return r.ok() ? *r : failed;
  }

  // Promtool runs `promtool check metrics` over `page`: its exit code, or -1 when promtool
  // is missing (the caller skips, unless SHOAL_REQUIRE_PROMTOOL=1).
  static int Promtool(const std::string& page) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) return -1;
    const std::string file = dir_->Write("page.txt", page);
    const int rc = std::system(("promtool check metrics < " + file).c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
  }

  static bool PromtoolRequired() {
    const char* v = std::getenv("SHOAL_REQUIRE_PROMTOOL");
    return v != nullptr && std::string(v) == "1";
  }

  int configs_ = 0;
};

// Sample returns the value of the sample `series` (name with its labels, exactly as written),
// or -1 when the page has no such line.
double Sample(const std::string& page, const std::string& series) {
  const std::string needle = "\n" + series + " ";
  const size_t at = page.find(needle);
  if (at == std::string::npos) return -1;
  return std::strtod(page.c_str() + at + needle.size(), nullptr);
}

std::string Requests(const std::string& route, const std::string& code) {
  return "shoal_endpoint_requests_total{endpoint=\"" + route + "\",code=\"" + code + "\"}";
}
std::string Cache(const std::string& route, const std::string& result) {
  return "shoal_endpoint_cache_total{endpoint=\"" + route + "\",result=\"" + result + "\"}";
}
std::string DurationCount(const std::string& route) {
  return "shoal_endpoint_request_duration_seconds_count{endpoint=\"" + route + "\"}";
}

constexpr const char* kItem = "/v1/items/{id:int}";
constexpr const char* kReviews = "/v1/items/{id:int}/reviews";
constexpr const char* kCategory = "/v1/categories/{name}/items";

TEST_F(MetricsStatsTest, PromtoolAcceptsThePageAndEachEndpointIsCountedExactly) {
  std::unique_ptr<ShoalProcess> node = Serve("metrics:\n  cache: 0s\n");
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  EXPECT_EQ(Get(port, "/v1/items/1").status, 200);  // miss
  const HttpResponse hit = Get(port, "/v1/items/1");
  EXPECT_EQ(hit.status, 200);  // hit
  EXPECT_EQ(hit.Header("X-Cache"), "HIT");
  EXPECT_EQ(Get(port, "/v1/items/2").status, 200);       // miss
  EXPECT_EQ(Get(port, "/v1/items/100000").status, 404);  // miss (no such row)
  EXPECT_EQ(Get(port, "/v1/items/100000").status, 404);  // hit (the negative entry)
  EXPECT_EQ(Get(port, "/v1/items/1", "If-None-Match: " + hit.Header("ETag") + "\r\n").status,
            304);                                                     // hit
  EXPECT_EQ(Get(port, "/v1/items/1/reviews").status, 200);            // miss
  EXPECT_EQ(Get(port, "/v1/items/1/reviews").status, 200);            // hit
  EXPECT_EQ(Get(port, "/v1/items/1/reviews?limit=999").status, 400);  // over max: no lookup
  EXPECT_EQ(Get(port, "/no/such/route").status, 404);                 // no endpoint's

  const HttpResponse page = Get(port, "/_shoal/metrics");
  ASSERT_EQ(page.status, 200);
  const std::string& m = page.body;
  EXPECT_EQ(Sample(m, Requests(kItem, "2xx")), 3) << m;
  EXPECT_EQ(Sample(m, Requests(kItem, "3xx")), 1);
  EXPECT_EQ(Sample(m, Requests(kItem, "4xx")), 2);
  EXPECT_EQ(Sample(m, Requests(kItem, "5xx")), 0);
  EXPECT_EQ(Sample(m, Cache(kItem, "hit")), 3);
  EXPECT_EQ(Sample(m, Cache(kItem, "miss")), 3);
  EXPECT_EQ(Sample(m, Cache(kItem, "stale")), 0);
  EXPECT_EQ(Sample(m, Cache(kItem, "peer")), 0);
  EXPECT_EQ(Sample(m, DurationCount(kItem)), 6);
  EXPECT_EQ(Sample(m, Requests(kReviews, "2xx")), 2);
  EXPECT_EQ(Sample(m, Requests(kReviews, "4xx")), 1);
  EXPECT_EQ(Sample(m, Cache(kReviews, "hit")), 1);
  EXPECT_EQ(Sample(m, Cache(kReviews, "miss")), 1);
  EXPECT_EQ(Sample(m, DurationCount(kReviews)), 3);
  EXPECT_EQ(Sample(m, Requests(kCategory, "2xx")), 0);
  EXPECT_EQ(Sample(m, DurationCount(kCategory)), 0);
  // The store was asked 4 times (items 1, 2, 100000 and one reviews list).
  EXPECT_EQ(Sample(m, "shoal_store_query_duration_seconds_count"), 4);
  // Types promtool insists on, and the process series.
  EXPECT_NE(m.find("# TYPE shoal_http_requests_total counter\n"), std::string::npos);
  EXPECT_NE(m.find("# TYPE shoal_cache_hits_total counter\n"), std::string::npos);
  EXPECT_GT(Sample(m, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(Sample(m, "process_open_fds"), 3);
  EXPECT_GE(Sample(m, "process_cpu_seconds_total"), 0);
  EXPECT_GT(Sample(m, "process_start_time_seconds"), 1600000000);
  // A raw path is never a label.
  EXPECT_EQ(m.find("/v1/items/1\""), std::string::npos);
  EXPECT_EQ(m.find("/no/such/route"), std::string::npos);

  const int rc = Promtool(m);
  if (rc == -1) {
    if (PromtoolRequired()) FAIL() << "SHOAL_REQUIRE_PROMTOOL=1 but there is no promtool";
    GTEST_SKIP() << "no promtool (Debian package prometheus); the counts above were checked";
  }
  EXPECT_EQ(rc, 0) << m;
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

// Parsed is a /_shoal/stats document.
rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_FALSE(d.HasParseError()) << body;
  EXPECT_TRUE(d.IsObject()) << body;
  return d;
}

TEST_F(MetricsStatsTest, StatsCountsExactlyAndRatesMove) {
  std::unique_ptr<ShoalProcess> node = Serve();
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  constexpr int kRequests = 25;
  for (int round = 0; round < 2; ++round) {  // misses, then hits
    for (int id = 1; id <= kRequests; ++id) {
      EXPECT_EQ(Get(port, "/v1/items/" + std::to_string(id)).status, 200);
    }
  }
  EXPECT_EQ(Get(port, "/v1/items/1/reviews?limit=999").status, 400);

  const HttpResponse r = Get(port, "/_shoal/stats");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  const rapidjson::Document d = Parse(r.body);
  ASSERT_TRUE(d.IsObject());
  for (const char* key : {"time", "uptime_seconds", "self", "totals", "rates", "cache", "endpoints",
                          "peers", "cassandra", "process"}) {
    EXPECT_TRUE(d.HasMember(key)) << key << " in " << r.body;
  }
  const auto& t = d["totals"];
  EXPECT_EQ(t["requests"].GetInt64(), 2 * kRequests + 1) << r.body;
  EXPECT_EQ(t["misses"].GetInt64(), kRequests);
  EXPECT_EQ(t["hits"].GetInt64(), kRequests);
  EXPECT_EQ(t["stale"].GetInt64(), 0);
  EXPECT_EQ(t["peer"].GetInt64(), 0);
  EXPECT_EQ(t["errors_4xx"].GetInt64(), 1);
  EXPECT_EQ(t["errors_5xx"].GetInt64(), 0);
  EXPECT_EQ(std::string(d["self"].GetString()), "");
  EXPECT_EQ(d["peers"].Size(), 0U);
  EXPECT_EQ(d["cassandra"].Size(), 0U);
  EXPECT_EQ(d["cache"]["entries"].GetInt64(), kRequests);
  EXPECT_GT(d["process"]["rss_bytes"].GetInt64(), 1 << 20);
  // The node is younger than a minute: the 1 m window holds every request.
  const auto& minute = d["rates"]["1m"];
  EXPECT_GT(minute["requests_per_s"].GetDouble(), 0) << r.body;
  EXPECT_DOUBLE_EQ(minute["hit_ratio"].GetDouble(), 0.5) << r.body;  // 25 hits of 50 answers
  EXPECT_TRUE(minute["p50_ms"].IsNumber());
  EXPECT_GE(minute["p99_ms"].GetDouble(), minute["p50_ms"].GetDouble());
  ASSERT_EQ(d["endpoints"].Size(), 3U);
  const auto& item = d["endpoints"][0];
  EXPECT_EQ(std::string(item["route"].GetString()), kItem);
  EXPECT_EQ(item["requests"].GetInt64(), 2 * kRequests);
  EXPECT_EQ(item["hits"].GetInt64(), kRequests);
  EXPECT_EQ(item["errors"].GetInt64(), 0);
  EXPECT_GT(item["rates"]["10s"]["requests_per_s"].GetDouble(), 0);
  const auto& reviews = d["endpoints"][1];
  EXPECT_EQ(reviews["errors"].GetInt64(), 1);
  EXPECT_TRUE(reviews["rates"]["1m"]["hit_ratio"].IsNull());  // nothing answered from a cache
  const auto& idle = d["endpoints"][2]["rates"]["1m"];
  EXPECT_EQ(idle["requests_per_s"].GetDouble(), 0);
  EXPECT_TRUE(idle["p99_ms"].IsNull());

  // The rates fall back once the requests are more than 10 s behind the window... too slow
  // for a test; instead: a second document, later, still counts the same totals.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const rapidjson::Document later = Parse(Get(port, "/_shoal/stats").body);
  EXPECT_EQ(later["totals"]["requests"].GetInt64(), 2 * kRequests + 1);
  EXPECT_LT(later["rates"]["1m"]["requests_per_s"].GetDouble(),
            minute["requests_per_s"].GetDouble());  // same count over a longer time
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

TEST_F(MetricsStatsTest, ShoalStatsPrintsTheTableOnceAndFailsClearly) {
  std::unique_ptr<ShoalProcess> node = Serve();
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get(port, "/v1/items/7").status, 200);
  const std::string url = "http://127.0.0.1:" + std::to_string(port);

  const RunResult once = RunShoal({"stats", url, "--once"});
  EXPECT_EQ(once.exit_code, 0) << once.err;
  EXPECT_NE(once.out.find("totals  requests 3  hits 2  stale 0  misses 1"), std::string::npos)
      << once.out;
  EXPECT_NE(once.out.find(kItem), std::string::npos) << once.out;
  EXPECT_NE(once.out.find("66.7%"), std::string::npos) << once.out;  // 2 hits of 3
  EXPECT_EQ(once.out.find("\x1b["), std::string::npos) << "no ANSI codes when not a terminal";

  const RunResult json = RunShoal({"stats", url, "--once", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(Parse(json.out)["totals"]["requests"].GetInt64(), 3);

  // Two refreshes, then the node goes: plain successive tables, then a clear error.
  const RunResult not_found = RunShoal({"stats", url + "/v1/nothing", "--once"});
  EXPECT_EQ(not_found.exit_code, 1);
  EXPECT_NE(not_found.err.find("answered 404"), std::string::npos) << not_found.err;
  const RunResult not_stats = RunShoal({"stats", url + "/_shoal/health", "--once"});
  EXPECT_EQ(not_stats.exit_code, 1);
  EXPECT_NE(not_stats.err.find("not a /_shoal/stats document"), std::string::npos) << not_stats.err;
  const RunResult usage = RunShoal({"stats", "127.0.0.1:1"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("must start with http://"), std::string::npos) << usage.err;
  const RunResult bad_interval = RunShoal({"stats", url, "--interval", "soon"});
  EXPECT_EQ(bad_interval.exit_code, 2);

  EXPECT_EQ(node->Stop(), 0) << node->Output();
  const RunResult gone = RunShoal({"stats", url, "--once"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("cannot connect to 127.0.0.1:"), std::string::npos) << gone.err;
}

// With admin.listen the document moves to the admin listener, like /_shoal/metrics.
TEST_F(MetricsStatsTest, StatsFollowTheMetricsToTheAdminListener) {
  const uint16_t admin_port = FreeLocalPort();
  ASSERT_NE(admin_port, 0);
  std::unique_ptr<ShoalProcess> node =
      Serve("admin:\n  token: a-token-of-some-length-here\n  listen: 127.0.0.1:" +
            std::to_string(admin_port) + "\n");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(Get(node->port(), "/_shoal/stats").status, 404);
  const HttpResponse r = Get(admin_port, "/_shoal/stats");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Parse(r.body)["totals"]["requests"].GetInt64(), 0);
  Result<HttpClient> c = HttpClient::Connect(admin_port);
  ASSERT_TRUE(c.ok());
  Result<HttpResponse> post = c->RequestWithBody("POST", "/_shoal/stats", "");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

// Two nodes: a front node that owns no keys (cache.memory 0) sends every miss to the owner. Its
// peer series count each GET to the owner, the owner is up, and both pages pass promtool.
TEST_F(MetricsStatsTest, APeersGetsAreTimedPerPeerAndThePagesPassPromtool) {
  const uint16_t owner_port = FreeLocalPort(), front_port = FreeLocalPort();
  ASSERT_NE(owner_port, 0);
  ASSERT_NE(front_port, 0);
  const std::string owner = "127.0.0.1:" + std::to_string(owner_port);
  const std::string front = "127.0.0.1:" + std::to_string(front_port);
  const std::string common = "  peers: [" + owner +
                             "]\n  secret: a-cluster-secret-of-some-length\n"
                             "  peer_timeout: 2s\nmetrics: { cache: 0s }\n";
  std::unique_ptr<ShoalProcess> b = Serve("cluster:\n  self: " + owner + "\n" + common);
  ASSERT_NE(b, nullptr);
  Result<std::string> base = ExampleConfig(db_);
  ASSERT_TRUE(base.ok());
  std::string text = *base;
  text.replace(text.find("memory: 256MiB"), 14, "memory: 0");
  const std::string file =
      dir_->Write("front.yaml", text + "cluster:\n  self: " + front + "\n" + common);
  Result<std::unique_ptr<ShoalProcess>> a = ShoalProcess::Serve(file);
  ASSERT_TRUE(a.ok()) << a.status().ToString();

  constexpr int kKeys = 5;
  for (int id = 1; id <= kKeys; ++id) {
    EXPECT_EQ(Get((*a)->port(), "/v1/items/" + std::to_string(id)).status, 200);
  }
  const std::string m = Get((*a)->port(), "/_shoal/metrics").body;
  EXPECT_EQ(Sample(m, "shoal_peer_request_duration_seconds_count{peer=\"" + owner + "\"}"), kKeys)
      << m;
  EXPECT_EQ(Sample(m, "shoal_peer_request_errors_total{peer=\"" + owner + "\"}"), 0) << m;
  EXPECT_EQ(Sample(m, "shoal_cluster_peer_up{peer=\"" + owner + "\"}"), 1) << m;
  EXPECT_EQ(Sample(m, Requests(kItem, "2xx")), kKeys);
  // Not from the front node's store: it asked none.
  EXPECT_EQ(Sample(m, "shoal_store_query_duration_seconds_count"), 0) << m;
  const std::string owner_page = Get(b->port(), "/_shoal/metrics").body;
  EXPECT_EQ(Sample(owner_page, "shoal_store_query_duration_seconds_count"), kKeys) << owner_page;

  const rapidjson::Document d = Parse(Get((*a)->port(), "/_shoal/stats").body);
  EXPECT_EQ(std::string(d["self"].GetString()), front);
  bool seen = false;
  for (const auto& p : d["peers"].GetArray()) {
    if (std::string(p["address"].GetString()) != owner) continue;
    seen = true;
    EXPECT_FALSE(p["self"].GetBool());
    EXPECT_EQ(std::string(p["state"].GetString()), "up");
    EXPECT_EQ(p["gets"].GetInt64(), kKeys);
    EXPECT_EQ(p["errors"].GetInt64(), 0);
    EXPECT_TRUE(p["p99_ms"].IsNumber());
    EXPECT_NEAR(p["share"].GetDouble(), 1.0, 1e-9);  // the only owner (a sum of arcs)
  }
  EXPECT_TRUE(seen) << "no peer " << owner << " in the front node's stats";

  for (const std::string* page : {&m, &owner_page}) {
    const int rc = Promtool(*page);
    if (rc == -1) {
      if (PromtoolRequired()) FAIL() << "SHOAL_REQUIRE_PROMTOOL=1 but there is no promtool";
      GTEST_SKIP() << "no promtool (Debian package prometheus)";
    }
    EXPECT_EQ(rc, 0) << *page;
  }
  EXPECT_EQ((*a)->Stop(), 0) << (*a)->Output();
  EXPECT_EQ(b->Stop(), 0) << b->Output();
}

}  // namespace
}  // namespace shoal::testing

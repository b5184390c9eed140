// Process tests of the per-endpoint cache policy and of what answers say about caching: the
// Cache-Control and CDN-Cache-Control lines (global and per endpoint, today's max-age when
// nothing is configured), the RFC 9211 Cache-Status line (hit, stale hit, fwd=miss with or
// without stored, fwd=stale for stale-if-error, key only under http.debug_headers), an
// endpoint's own grace, negative_ttl and stale_if_error against the global ones, `cache: false`
// (one query per wave of concurrent requests, nothing kept), and the config errors of the new
// keys with file:line.
//
// The store is broken behind the server's back by renaming a table (as lifecycle_test does);
// a slow endpoint (kSlowQuery, calibrated on this machine) keeps a wave of requests in flight.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;

// The config of every test: DB, GLOBAL (more keys of the cache section), ITEMS and REVIEWS
// (more keys of those endpoints) and MORE (more endpoints) are replaced.
constexpr std::string_view kConfig = R"(listen: 127.0.0.1:0
metrics: { cache: 0s }
store:
  sqlite: { path: "DB" }
  timeout: 5s
cache:
  memory: 64MiB
  grace: 5m
GLOBAL
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id, title FROM items WHERE id = :id
    result: one
    ttl: 60s
ITEMS
  - route: /v1/items/{id:int}/reviews
    query: SELECT review_id, stars FROM reviews WHERE item_id = :id LIMIT :limit
    params:
      limit: { type: int, default: 10, min: 1, max: 50 }
    result: many
    ttl: 30s
REVIEWS
MORE
)";

size_t Count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// TtlOf reads the ttl=N parameter of a Cache-Status value; -1000000 when absent.
int64_t TtlOf(const std::string& cache_status) {
  const size_t at = cache_status.find("; ttl=");
  if (at == std::string::npos) return -1000000;
  return std::stoll(cache_status.substr(at + 6));
}

struct Parts {
  std::string global, items, reviews, more;
  std::string http;          // a whole http section, e.g. "http: { debug_headers: true }"
  bool short_ttl = false;    // items and reviews live 1 s, not 60 s and 30 s
  std::string grace = "5m";  // cache.grace
};

// NumberAfter reads the integer after `name` in a header value; -1000000 when absent.
int64_t NumberAfter(const std::string& value, std::string_view name) {
  const size_t at = value.find(name);
  if (at == std::string::npos) return -1000000;
  return std::stoll(value.substr(at + name.size()));
}

class CachePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("catalog.db");
    Status s = MakeCatalog(db_, 200);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void TearDown() override {
    if (server_ == nullptr || !server_->Running()) return;
    EXPECT_EQ(server_->Stop(), 0) << server_->Output();
  }

  std::string Config(const Parts& p) const {
    std::string text = Replace(std::string(kConfig), "DB", db_);
    text = Replace(text, "GLOBAL", p.global);
    text = Replace(text, "ITEMS", p.items);
    text = Replace(text, "REVIEWS", p.reviews);
    text = Replace(text, "MORE", p.more);
    text = Replace(text, "grace: 5m", "grace: " + p.grace);
    if (p.short_ttl) {
      text = Replace(text, "ttl: 60s", "ttl: 1s");
      text = Replace(text, "ttl: 30s", "ttl: 1s");
    }
    return p.http + "\n" + text;
  }

  void Start(const Parts& p) {
    Result<std::unique_ptr<ShoalProcess>> proc =
        ShoalProcess::Serve(dir_.Write("shoal.yaml", Config(p)));
    ASSERT_TRUE(proc.ok()) << proc.status().ToString();
    server_ = std::move(proc).value();
  }

  HttpResponse Get(const std::string& target) {
    Result<HttpClient> c = HttpClient::Connect(server_->port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Get(target);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }

  double Metric(std::string_view name) {
    Result<double> v = ScrapeMetric(server_->port(), name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  TempDir dir_;
  std::string db_;
  std::unique_ptr<ShoalProcess> server_;
};

TEST_F(CachePolicyTest, WithNothingConfiguredAnswersSayWhatTheySaidBeforePlusCacheStatus) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  const HttpResponse miss = Get("/v1/items/7");
  ASSERT_EQ(miss.status, 200) << miss.body;
  // Whole seconds left, rounded down: 59 or 60 of the ttl's 60.
  EXPECT_TRUE(miss.Header("Cache-Control").starts_with("max-age=")) << miss.Header("Cache-Control");
  EXPECT_GE(NumberAfter(miss.Header("Cache-Control"), "max-age="), 59);
  EXPECT_FALSE(miss.HasHeader("CDN-Cache-Control"));
  EXPECT_TRUE(miss.Header("Cache-Status").starts_with("shoal; fwd=miss; stored; ttl="))
      << miss.Header("Cache-Status");
  EXPECT_GE(TtlOf(miss.Header("Cache-Status")), 59);
  EXPECT_EQ(miss.Header("X-Cache"), "MISS");  // deprecated, still sent

  const HttpResponse hit = Get("/v1/items/7");
  EXPECT_EQ(hit.Header("X-Cache"), "HIT");
  EXPECT_TRUE(hit.Header("Cache-Status").starts_with("shoal; hit; ttl="))
      << hit.Header("Cache-Status");
  EXPECT_GE(TtlOf(hit.Header("Cache-Status")), 58);
  EXPECT_EQ(hit.Header("Cache-Status").find("key="), std::string::npos);  // debug only

  // A negative entry is kept and says so too.
  const HttpResponse absent = Get("/v1/items/999999");
  EXPECT_EQ(absent.status, 404);
  EXPECT_TRUE(absent.Header("Cache-Status").starts_with("shoal; fwd=miss; stored; ttl="));
  EXPECT_GE(TtlOf(absent.Header("Cache-Status")), 4);
  EXPECT_LE(TtlOf(absent.Header("Cache-Status")), 5);
}

TEST_F(CachePolicyTest, CacheControlAndCdnCacheControlAreConfiguredGloballyAndPerEndpoint) {
  Parts p;
  p.http = "http: { debug_headers: true }";
  p.global = "  cache_control: { s_maxage: 60s, public: true }\n";
  p.items =
      "    cache_control: { max_age: 10s, s_maxage: 60s, stale_while_revalidate: 30s,\n"
      "                     stale_if_error: 1d, public: true }\n"
      "    cdn_cache_control: { max_age: 5m, stale_if_error: 1h }\n";
  p.reviews = "    cdn_cache_control: { stale_while_revalidate: 10s }\n";
  ASSERT_NO_FATAL_FAILURE(Start(p));

  const HttpResponse item = Get("/v1/items/7");
  ASSERT_EQ(item.status, 200) << item.body;
  EXPECT_EQ(item.Header("Cache-Control"),
            "max-age=10, s-maxage=60, stale-while-revalidate=30, stale-if-error=86400, public");
  EXPECT_EQ(item.Header("CDN-Cache-Control"), "max-age=300, stale-if-error=3600");
  EXPECT_EQ(item.Header("Vary"), "Accept-Encoding");
  EXPECT_TRUE(item.Header("Cache-Status").starts_with("shoal; fwd=miss; stored; ttl="));
  EXPECT_TRUE(item.Header("Cache-Status").ends_with("; key=\"/v1/items/7\""))
      << item.Header("Cache-Status");

  // The global policy, with max-age the remaining freshness (none configured).
  const HttpResponse reviews = Get("/v1/items/7/reviews?limit=3");
  ASSERT_EQ(reviews.status, 200) << reviews.body;
  EXPECT_TRUE(reviews.Header("Cache-Control").ends_with(", s-maxage=60, public"));
  EXPECT_GE(NumberAfter(reviews.Header("Cache-Control"), "max-age="), 29);
  EXPECT_TRUE(reviews.Header("CDN-Cache-Control").ends_with(", stale-while-revalidate=10"));
  EXPECT_GE(NumberAfter(reviews.Header("CDN-Cache-Control"), "max-age="), 29);
  const HttpResponse hit = Get("/v1/items/7/reviews?limit=3");
  EXPECT_TRUE(hit.Header("Cache-Status").starts_with("shoal; hit; ttl="));
  EXPECT_NE(hit.Header("Cache-Status").find("; key=\"/v1/items/7/reviews?limit=3\""),
            std::string::npos)
      << hit.Header("Cache-Status");
}

TEST_F(CachePolicyTest, AnEndpointsGraceReplacesTheGlobalOne) {
  Parts p;
  p.items = "    grace: 1s\n";
  p.short_ttl = true;  // the items' grace 1s, the reviews' the global 5m
  ASSERT_NO_FATAL_FAILURE(Start(p));

  ASSERT_EQ(Get("/v1/items/7").status, 200);
  ASSERT_EQ(Get("/v1/items/7/reviews").status, 200);
  std::this_thread::sleep_for(milliseconds(2500));  // past ttl + the items' grace
  const HttpResponse item = Get("/v1/items/7");
  EXPECT_EQ(item.Header("X-Cache"), "MISS") << item.Header("Cache-Status");
  EXPECT_TRUE(item.Header("Cache-Status").starts_with("shoal; fwd=miss; stored"))
      << item.Header("Cache-Status");
  const HttpResponse reviews = Get("/v1/items/7/reviews");
  EXPECT_EQ(reviews.Header("X-Cache"), "STALE") << reviews.Header("Cache-Status");
  EXPECT_TRUE(reviews.Header("Cache-Status").starts_with("shoal; hit; ttl=-"))
      << reviews.Header("Cache-Status");
  EXPECT_LE(TtlOf(reviews.Header("Cache-Status")), -1);
  EXPECT_EQ(reviews.Header("Cache-Control"), "max-age=0");
}

TEST_F(CachePolicyTest, AnEndpointsNegativeTtlReplacesTheGlobalOne) {
  Parts p;
  p.items = "    negative_ttl: 1s\n";
  p.global = "  negative_ttl: 30s\n";
  ASSERT_NO_FATAL_FAILURE(Start(p));
  const HttpResponse absent = Get("/v1/items/999999");
  EXPECT_EQ(absent.status, 404);
  EXPECT_TRUE(absent.Header("Cache-Status").starts_with("shoal; fwd=miss; stored; ttl="));
  EXPECT_LE(TtlOf(absent.Header("Cache-Status")), 1);
  std::this_thread::sleep_for(milliseconds(1500));
  // Stale after 1 s (served while one refresh runs), not fresh for the global 30 s.
  const HttpResponse again = Get("/v1/items/999999");
  EXPECT_EQ(again.status, 404);
  EXPECT_TRUE(again.Header("Cache-Status").starts_with("shoal; hit; ttl=-"))
      << again.Header("Cache-Status");
}

TEST_F(CachePolicyTest, AnEndpointsStaleIfErrorReplacesTheGlobalOne) {
  Parts p;
  p.global = "  stale_if_error: 1h\n";
  p.items = "    stale_if_error: 0s\n";
  p.short_ttl = true;
  p.grace = "1s";
  ASSERT_NO_FATAL_FAILURE(Start(p));

  const HttpResponse item = Get("/v1/items/7");
  ASSERT_EQ(item.status, 200);
  const HttpResponse reviews = Get("/v1/items/7/reviews");
  ASSERT_EQ(reviews.status, 200);
  // Break the store: both tables are gone. Past ttl (1 s) + grace (1 s), each key loads again.
  ASSERT_TRUE(ExecSql(db_, "ALTER TABLE items RENAME TO gone_items").ok());
  ASSERT_TRUE(ExecSql(db_, "ALTER TABLE reviews RENAME TO gone_reviews").ok());
  std::this_thread::sleep_for(milliseconds(2500));

  // The items' window is 0 s: the error.
  const HttpResponse item_error = Get("/v1/items/7");
  EXPECT_GE(item_error.status, 500) << item_error.body;
  EXPECT_EQ(item_error.Header("Cache-Status"),
            "shoal; fwd=miss; fwd-status=" + std::to_string(item_error.status));
  // The reviews' is the global hour: the older entry, marked as such.
  const HttpResponse stale = Get("/v1/items/7/reviews");
  EXPECT_EQ(stale.status, 200) << stale.body;
  EXPECT_EQ(stale.body, reviews.body);
  EXPECT_EQ(stale.Header("X-Cache"), "STALE");
  const std::string status = stale.Header("Cache-Status");
  EXPECT_TRUE(status.starts_with(
      "shoal; fwd=stale; fwd-status=" + std::to_string(item_error.status) + "; ttl=-"))
      << status;
  EXPECT_GE(Metric("shoal_stale_if_error_total"), 1);
}

TEST_F(CachePolicyTest, CacheFalseMakesOneQueryPerWaveAndKeepsNothing) {
  const int64_t n = RowsForDuration(std::chrono::milliseconds(800));
  Parts p;
  p.more = SlowEndpointYaml("/slow/{n:int}", "60s") + "    cache: false\n";
  ASSERT_NO_FATAL_FAILURE(Start(p));
  const std::string target = "/slow/" + std::to_string(n);
  constexpr int kWave = 6;
  for (int wave = 1; wave <= 2; ++wave) {
    SCOPED_TRACE("wave " + std::to_string(wave));
    const double before = Metric("shoal_store_queries_total");
    std::vector<HttpResponse> answers(kWave);
    std::vector<std::thread> threads;
    // Connected first, so that every request is sent within the query's 800 ms.
    std::vector<HttpClient> clients;
    for (int i = 0; i < kWave; ++i) {
      Result<HttpClient> c = HttpClient::Connect(server_->port());
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      clients.push_back(std::move(c).value());
    }
    for (int i = 0; i < kWave; ++i) {
      threads.emplace_back([&clients, &answers, &target, i] {
        Result<HttpResponse> r = clients[static_cast<size_t>(i)].Get(target);
        if (r.ok()) answers[static_cast<size_t>(i)] = *r;
      });
    }
    for (std::thread& t : threads) t.join();
    int collapsed = 0;
    for (const HttpResponse& a : answers) {
      EXPECT_EQ(a.status, 200) << a.body;
      EXPECT_EQ(a.Header("Cache-Control"), "no-store");
      const std::string status = a.Header("Cache-Status");
      EXPECT_TRUE(status.starts_with("shoal; fwd=miss")) << status;
      EXPECT_EQ(status.find("stored"), std::string::npos) << status;
      if (status.find("; collapsed") != std::string::npos) ++collapsed;
    }
    EXPECT_EQ(Metric("shoal_store_queries_total") - before, 1);
    EXPECT_EQ(collapsed, kWave - 1);
  }
  // Nothing was kept: the next request queries again.
  const double before = Metric("shoal_store_queries_total");
  const HttpResponse alone = Get(target);
  EXPECT_EQ(alone.status, 200);
  EXPECT_EQ(alone.Header("X-Cache"), "MISS");
  EXPECT_EQ(Metric("shoal_store_queries_total") - before, 1);
}

TEST_F(CachePolicyTest, ThePolicyIsLiveOnReload) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  const HttpResponse before = Get("/v1/items/7");
  ASSERT_EQ(before.status, 200);
  EXPECT_FALSE(before.HasHeader("CDN-Cache-Control"));
  // The same file, now with a global Cache-Control, CDN-Cache-Control on the items and
  // `cache: false` on the reviews; SIGHUP reloads it.
  Parts p;
  p.global = "  cache_control: { max_age: 15s, public: true }\n";
  p.items = "    cdn_cache_control: { s_maxage: 2m }\n";
  p.reviews = "    cache: false\n";
  dir_.Write("shoal.yaml", Config(p));
  const size_t reloads = Count(server_->Output(), "reloaded ");
  server_->Signal(SIGHUP);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (Count(server_->Output(), "reloaded ") == reloads &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GT(Count(server_->Output(), "reloaded "), reloads) << server_->Output();
  const HttpResponse after = Get("/v1/items/7");
  EXPECT_EQ(after.Header("Cache-Control"), "max-age=15, public");
  EXPECT_TRUE(after.Header("CDN-Cache-Control").ends_with("s-maxage=120"))
      << after.Header("CDN-Cache-Control");
  EXPECT_TRUE(after.Header("Cache-Status").starts_with("shoal; hit; ttl="));  // kept its entry
  const HttpResponse reviews = Get("/v1/items/7/reviews");
  EXPECT_EQ(reviews.Header("Cache-Control"), "no-store");
  const HttpResponse reviews_again = Get("/v1/items/7/reviews");
  EXPECT_EQ(reviews_again.Header("X-Cache"), "MISS");
}

TEST_F(CachePolicyTest, BadPolicyKeysAreConfigErrorsWithFileAndLine) {
  struct Case {
    std::string items;  // keys added to the items endpoint
    std::string at;     // text of the line the message must name
    std::string says;   // a part of the message
  };
  const std::vector<Case> cases = {
      {"    cache_control: { max_age: 1500ms }\n", "cache_control:", "whole seconds"},
      {"    cache_control: { public: true, private: true }\n", "cache_control:", "contradict"},
      {"    cache_control: { no_store: true, max_age: 10s }\n",
       "cache_control:", "takes no other key"},
      {"    cache_control: { maxage: 10s }\n", "cache_control:", "unknown key 'maxage'"},
      {"    cdn_cache_control: 10s\n", "cdn_cache_control:", "expected a mapping"},
      {"    cache: false\n    grace: 10s\n", "grace: 10s", "cache: false"},
      {"    cache: maybe\n", "cache: maybe", "expected true or false"},
      {"    stale_if_error: soon\n", "stale_if_error: soon", "stale_if_error"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.items);
    Parts p;
    p.items = c.items;
    const std::string text = Config(p);
    const size_t at = text.find(c.at, text.find("/v1/items/{id:int}\n"));
    ASSERT_NE(at, std::string::npos);
    const int line = 1 + static_cast<int>(std::count(
                             text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    const std::string file = dir_.Write("bad.yaml", text);
    const RunResult r = RunShoal({"check-config", "-c", file});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string where = file + ":" + std::to_string(line) + ": ";
    EXPECT_NE(r.err.find(where), std::string::npos) << "want " << where << "\ngot " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << "want " << c.says << "\ngot " << r.err;
  }
}

}  // namespace
}  // namespace shoal::testing

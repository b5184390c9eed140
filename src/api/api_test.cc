// Tests for Api (with StoreLoader, Router and status_http) over real parts: a SqliteStore on
// a small catalog file, a real Cache and ReadThrough, a ManualClock. The Api is driven
// directly through a recording Exchange; no sockets.
#include "api/api.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/admin.h"
#include "api/json_check.h"
#include "api/status_http.h"
#include "api/store_loader.h"
#include "api/test_api_fixture.h"
#include "api/test_catalog.h"
#include "base/mutex.h"
#include "base/test_allocations.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "cache/test_gzip.h"
#include "metrics/metrics.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api {
namespace {

using namespace std::chrono_literals;
using cache::testing::Gunzip;
using testing::Answer;
using testing::ApiTest;
using testing::RecordingExchange;
using testing::Reply;
using testing::SinkExchange;

// Exact bodies of the known rows of test_catalog.cc.
constexpr std::string_view kItem1 =
    R"({"id":1,"sku":"SKU-0000002A","title":"Café \"quoted\" kit 😀 back\\slash",)"
    R"("category":"tools","price_cents":1999,"stock":5,"rating":4.5,)"
    R"("tags":["new","🔥","say \"hi\""],"updated_at":"2024-03-01T12:00:00Z"})";
constexpr std::string_view kItem2 =
    R"({"id":2,"sku":"SKU-0000002B","title":"Plain book","category":"books","price_cents":500,)"
    R"("stock":0,"rating":null,"tags":[],"updated_at":"2024-01-02T03:04:05Z"})";
constexpr std::string_view kItem3 =
    R"({"id":3,"sku":"SKU-0000002C","title":"Größe\ntwo lines","category":"tools",)"
    R"("price_cents":99999,"stock":12,"rating":3.0,"tags":"not json [",)"
    R"("updated_at":"2024-12-31T23:59:59Z"})";
constexpr std::string_view kReviews1 =
    R"([{"review_id":3,"author":"Q\\R","stars":1,"body":"broke","created_at":"2024-04-03T00:00:00Z"},)"
    R"({"review_id":2,"author":"O'Brien","stars":3,"body":"works\t\"ok\"",)"
    R"("created_at":"2024-04-02T00:00:00Z"},)"
    R"({"review_id":1,"author":"Zoë 😀","stars":5,"body":"love it\nwould buy again",)"
    R"("created_at":"2024-04-01T00:00:00Z"}])";
constexpr std::string_view kTools =
    R"([{"id":1,"title":"Café \"quoted\" kit 😀 back\\slash","price_cents":1999},)"
    R"({"id":3,"title":"Größe\ntwo lines","price_cents":99999},)"
    R"({"id":4,"title":"Grand deluxe edition of a classic portable wireless travel kit, vintage",)"
    R"("price_cents":12345}])";
constexpr std::string_view kNotFoundBody = R"({"error":"not found","status":404})";

TEST_F(ApiTest, ItemIsAnObjectThenAHit) {
  Reply miss = Get("/v1/items/1");
  EXPECT_TRUE(miss.deferred);
  EXPECT_EQ(miss.response.status, 200);
  EXPECT_EQ(miss.body(), kItem1);
  EXPECT_EQ(miss.response.content_type, "application/json");
  EXPECT_EQ(miss.response.etag, cache::StrongEtag(kItem1));
  EXPECT_EQ(miss.response.max_age, 60);
  EXPECT_EQ(miss.response.age, 0);
  EXPECT_EQ(miss.response.cache_status, "MISS");
  EXPECT_TRUE(miss.response.vary_accept_encoding);
  EXPECT_TRUE(miss.response.content_encoding.empty());
  EXPECT_NE(miss.response.owner, nullptr);

  clock_.Advance(7s);
  Reply hit = Get("/v1/items/001");  // same canonical key
  EXPECT_FALSE(hit.deferred);
  EXPECT_EQ(hit.response.status, 200);
  EXPECT_EQ(hit.body(), kItem1);
  EXPECT_EQ(hit.response.cache_status, "HIT");
  EXPECT_EQ(hit.response.max_age, 53);
  EXPECT_EQ(hit.response.age, 7);
  EXPECT_EQ(hit.response.etag, miss.response.etag);
  // The hit shares the cached buffer: no copy was made.
  EXPECT_EQ(hit.response.body.data(), miss.response.body.data());
  EXPECT_EQ(store_->queries(), 1u);
}

TEST_F(ApiTest, NullsNewlinesAndColumnsThatAreNotJson) {
  EXPECT_EQ(Get("/v1/items/2").body(), kItem2);
  // tags of item 3 is not valid JSON: it is sent as a string, so the body stays valid.
  EXPECT_EQ(Get("/v1/items/3").body(), kItem3);
  EXPECT_TRUE(IsValidJson(kItem3));
}

TEST_F(ApiTest, ReviewsAreAnArrayNewestFirst) {
  Reply all = Get("/v1/items/1/reviews");
  EXPECT_EQ(all.response.status, 200);
  EXPECT_EQ(all.body(), kReviews1);
  EXPECT_EQ(all.response.max_age, 30);
  Reply two = Get("/v1/items/1/reviews", "limit=2");
  EXPECT_EQ(two.body(),
            std::string(kReviews1.substr(0, kReviews1.find(",{\"review_id\":1"))) + "]");
  // Reviews of an item that does not exist are an empty array, not a 404.
  Reply none = Get("/v1/items/999/reviews");
  EXPECT_EQ(none.response.status, 200);
  EXPECT_EQ(none.body(), "[]");
}

TEST_F(ApiTest, CategoryListingIsAnArrayByIdAscending) {
  Reply tools = Get("/v1/categories/tools/items");
  EXPECT_EQ(tools.response.status, 200);
  EXPECT_EQ(tools.body(), kTools);
  EXPECT_EQ(tools.response.max_age, 10);
  EXPECT_EQ(Get("/v1/categories/tools/items", "limit=1").body(),
            R"([{"id":1,"title":"Café \"quoted\" kit 😀 back\\slash","price_cents":1999}])");
  EXPECT_EQ(Get("/v1/categories/no%20such/items").body(), "[]");
}

TEST_F(ApiTest, MissingItemIsANegativelyCached404) {
  Reply first = Get("/v1/items/999");
  EXPECT_TRUE(first.deferred);
  EXPECT_EQ(first.response.status, 404);
  EXPECT_EQ(first.body(), kNotFoundBody);
  EXPECT_EQ(first.response.max_age, 5);  // min(ttl 60 s, negative_ttl 5 s)
  Reply second = Get("/v1/items/999");
  EXPECT_FALSE(second.deferred);
  EXPECT_EQ(second.response.status, 404);
  EXPECT_EQ(second.body(), kNotFoundBody);
  EXPECT_EQ(second.response.cache_status, "HIT");
  EXPECT_EQ(store_->queries(), 1u);
  // A 404 never becomes a 304.
  Reply conditional = Get("/v1/items/999", "", {{"If-None-Match", "*"}});
  EXPECT_EQ(conditional.response.status, 404);
}

TEST_F(ApiTest, UnknownPathsAndMethods) {
  for (const char* path : {"/", "/v1/items", "/v1/items/1/", "/nope", "/v1/items/1/reviewz"}) {
    Reply r = Get(path);
    EXPECT_FALSE(r.deferred);
    EXPECT_EQ(r.response.status, 404) << path;
    EXPECT_EQ(r.body(), kNotFoundBody) << path;
  }
  Reply post = Get("/v1/items/1", "", {}, http::Method::kPost);
  EXPECT_EQ(post.response.status, 405);
  EXPECT_EQ(post.response.extra_headers, "Allow: GET, HEAD\r\n");
  EXPECT_EQ(Get("/nope", "", {}, http::Method::kPost).response.status, 404);
  EXPECT_EQ(Get("/_shoal/health", "", {}, http::Method::kDelete).response.status, 405);
  Reply head = Get("/v1/items/2", "", {}, http::Method::kHead);
  EXPECT_EQ(head.response.status, 200);
  EXPECT_EQ(head.body(), kItem2);  // the http layer drops it but keeps its Content-Length
  EXPECT_EQ(store_->queries(), 1u);
}

// Security review H1: the http layer asks before reading a body, and only the admin
// endpoints that change things take one (at most kMaxAdminBody).
TEST_F(ApiTest, OnlyAdminPostAndPutTakeABody) {
  auto max_body = [&](http::Method method, std::string_view path) {
    http::Request head;
    head.method = method;
    head.path = path;
    return api_->MaxBody(head);
  };
  EXPECT_EQ(max_body(http::Method::kPost, "/_shoal/purge"), kMaxAdminBody);
  EXPECT_EQ(max_body(http::Method::kPut, "/_shoal/peers"), kMaxAdminBody);
  EXPECT_EQ(max_body(http::Method::kGet, "/_shoal/peers"), 0u);
  EXPECT_EQ(max_body(http::Method::kGet, "/v1/items/1"), 0u);
  EXPECT_EQ(max_body(http::Method::kPost, "/v1/items/1"), 0u);
  EXPECT_EQ(max_body(http::Method::kPost, "/_shoal/health"), 0u);
  EXPECT_EQ(max_body(http::Method::kGet, "/_shoal/metrics"), 0u);
  EXPECT_EQ(max_body(http::Method::kPut, "/nope"), 0u);
}

TEST_F(ApiTest, BadParametersAre400WithAJsonError) {
  Reply bad = Get("/v1/items/abc");
  EXPECT_FALSE(bad.deferred);
  EXPECT_EQ(bad.response.status, 400);
  EXPECT_EQ(bad.body(),
            R"js({"error":"parameter 'id' must be an integer (int64)","status":400})js");
  EXPECT_EQ(Get("/v1/items/1/reviews", "limit=51").body(),
            R"({"error":"parameter 'limit' must be at most 50","status":400})");
  EXPECT_EQ(Get("/v1/items/1/reviews", "limit=0").body(),
            R"({"error":"parameter 'limit' must be at least 1","status":400})");
  EXPECT_EQ(Get("/v1/items/1/reviews", "limit=ten").response.status, 400);
  EXPECT_EQ(Get("/v1/categories/tools/items", "limit=101").response.status, 400);
  Reply typo = Get("/v1/items/1/reviews", "limt=5");
  EXPECT_EQ(typo.response.status, 400);
  EXPECT_NE(typo.body().find("limt"), std::string_view::npos);
  EXPECT_EQ(Get("/v1/categories/%zz/items").response.status, 400);
  EXPECT_EQ(store_->queries(), 0u);
}

TEST_F(ApiTest, OverlongAndNonUtf8StringParametersAre400NamingTheParameter) {
  Reply long_name = Get("/v1/categories/" + std::string(257, 'a') + "/items");
  EXPECT_FALSE(long_name.deferred);
  EXPECT_EQ(long_name.response.status, 400);
  EXPECT_EQ(long_name.body(),
            R"({"error":"parameter 'name' must be at most 256 bytes long","status":400})");
  Reply latin1 = Get("/v1/categories/caf%E9/items");
  EXPECT_EQ(latin1.response.status, 400);
  EXPECT_EQ(latin1.body(), R"({"error":"parameter 'name' must be valid UTF-8 text","status":400})");
  EXPECT_EQ(store_->queries(), 0u);
  EXPECT_EQ(cache_.Stats().entries, 0u);
  EXPECT_EQ(Get("/v1/categories/" + std::string(256, 'a') + "/items").response.status, 200);
}

TEST_F(ApiTest, AnEndpointPurgeInvalidatesWithoutVisitingTheEntries) {
  // 40 category listings (endpoint 2) and 3 items (endpoint 0), loaded through requests.
  std::vector<cache::EntryPtr> held;
  for (int i = 0; i < 40; ++i) {
    const std::string path = "/v1/categories/c" + std::to_string(i) + "/items";
    ASSERT_EQ(Get(path).response.status, 200);
    held.push_back(cache_.Lookup(path + "?limit=20"));
    ASSERT_NE(held.back(), nullptr) << path;
  }
  for (int id = 1; id <= 3; ++id) {
    ASSERT_EQ(Get("/v1/items/" + std::to_string(id)).response.status, 200);
  }
  std::vector<uint32_t> refs;
  refs.reserve(held.size());
  for (const auto& e : held) refs.push_back(e->RefCount());
  const uint64_t queries = store_->queries();

  Result<uint64_t> n =
      PurgeLocal(*router_, *read_through_, PurgeScope::kEndpoint, "/v1/categories/{name}/items");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 40u);  // the endpoint's entries that were valid
  // The purge did not visit them: the cache still holds every one (it lets go of each when it
  // next finds it, or evicts it)...
  EXPECT_EQ(cache_.Stats().entries, 43u);
  for (size_t i = 0; i < held.size(); ++i) EXPECT_EQ(held[i]->RefCount(), refs[i]) << i;
  // ...but they read as misses: the next request loads again, and the old entry goes.
  EXPECT_EQ(Get("/v1/categories/c0/items").response.status, 200);
  EXPECT_EQ(store_->queries(), queries + 1);
  EXPECT_NE(cache_.Lookup("/v1/categories/c0/items?limit=20"), held[0]);
  EXPECT_LT(held[0]->RefCount(), refs[0]);  // the cache (and this thread's front slot) let go
  // Other endpoints are untouched: hits.
  for (int id = 1; id <= 3; ++id) {
    EXPECT_EQ(Get("/v1/items/" + std::to_string(id)).response.status, 200);
  }
  EXPECT_EQ(store_->queries(), queries + 1);
  // Purging again counts only what was loaded since.
  n = PurgeLocal(*router_, *read_through_, PurgeScope::kEndpoint, "/v1/categories/{name}/items");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(PurgeLocal(*router_, *read_through_, PurgeScope::kEndpoint, "/v9/nope").status().code(),
            StatusCode::kNotFound);
}

TEST_F(ApiTest, IfNoneMatchGivesA304) {
  Reply first = Get("/v1/items/1");
  const std::string etag(first.response.etag);
  ASSERT_FALSE(etag.empty());
  for (const std::string& inm : {etag, "W/" + etag, "\"other\", " + etag, std::string("*"),
                                 "\"x\",W/" + etag + " , \"y\""}) {
    Reply r = Get("/v1/items/1", "", {{"If-None-Match", inm}});
    EXPECT_EQ(r.response.status, 304) << inm;
    EXPECT_TRUE(r.response.body.empty()) << inm;
    EXPECT_EQ(r.response.etag, etag);
    EXPECT_EQ(r.response.max_age, 60);
    EXPECT_EQ(r.response.age, 0);
  }
  for (const std::string& inm : {std::string("\"other\""), etag.substr(1), std::string("W/")}) {
    Reply r = Get("/v1/items/1", "", {{"If-None-Match", inm}});
    EXPECT_EQ(r.response.status, 200) << inm;
    EXPECT_EQ(r.body(), kItem1);
  }
  // A miss answers If-None-Match too, once the entry is loaded.
  const std::string etag2 = cache::StrongEtag(kItem2);
  Reply miss = Get("/v1/items/2", "", {{"If-None-Match", etag2}});
  EXPECT_TRUE(miss.deferred);
  EXPECT_EQ(miss.response.status, 304);
}

TEST_F(ApiTest, GzipWhenAcceptedAndChargedToTheCache) {
  Get("/v1/items/1");  // load it
  const uint64_t bytes_before = cache_.Stats().bytes;
  Reply gz = Get("/v1/items/1", "", {{"Accept-Encoding", "deflate, gzip;q=0.8, br"}});
  EXPECT_EQ(gz.response.status, 200);
  EXPECT_EQ(gz.response.content_encoding, "gzip");
  EXPECT_TRUE(gz.response.vary_accept_encoding);
  EXPECT_EQ(Gunzip(gz.body()), kItem1);
  const uint64_t bytes_after = cache_.Stats().bytes;
  EXPECT_GE(bytes_after, bytes_before + gz.response.body.size());
  // The variant is made once and shared.
  Reply again = Get("/v1/items/1", "", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(again.response.body.data(), gz.response.body.data());
  EXPECT_EQ(cache_.Stats().bytes, bytes_after);

  for (const char* refused : {"gzip;q=0", "identity", "gzip; q=0.000, deflate", "*;q=0", ""}) {
    Reply plain = Get("/v1/items/1", "", {{"Accept-Encoding", refused}});
    EXPECT_TRUE(plain.response.content_encoding.empty()) << refused;
    EXPECT_EQ(plain.body(), kItem1) << refused;
  }
  EXPECT_EQ(Get("/v1/items/1", "", {{"Accept-Encoding", "*"}}).response.content_encoding, "gzip");
  // Small bodies are not worth compressing.
  Reply small = Get("/v1/items/999/reviews", "", {{"Accept-Encoding", "gzip"}});
  EXPECT_TRUE(small.response.content_encoding.empty());
  EXPECT_EQ(small.body(), "[]");
}

TEST_F(ApiTest, StaleIsServedWhileOneRefreshRuns) {
  Get("/v1/items/1");
  ASSERT_EQ(store_->queries(), 1u);
  clock_.Advance(61s);  // past the 60 s ttl, within the 5 min grace
  Reply stale = Get("/v1/items/1");
  EXPECT_FALSE(stale.deferred);
  EXPECT_EQ(stale.response.status, 200);
  EXPECT_EQ(stale.response.cache_status, "STALE");
  EXPECT_EQ(stale.response.max_age, 0);
  EXPECT_EQ(stale.response.age, 61);
  EXPECT_EQ(stale.body(), kItem1);
  // One refresh, started by the stale hit, replaces the entry.
  const TimePoint now = clock_.Now();
  ASSERT_TRUE(WaitFor([&] {
    auto e = cache_.Lookup("/v1/items/1");
    return e && e->created() == now;
  }));
  EXPECT_EQ(store_->queries(), 2u);
  Reply fresh = Get("/v1/items/1");
  EXPECT_EQ(fresh.response.cache_status, "HIT");
  EXPECT_EQ(fresh.response.max_age, 60);
  EXPECT_EQ(fresh.response.age, 0);
  EXPECT_EQ(store_->queries(), 2u);
}

TEST_F(ApiTest, PastGraceIsAMissAgain) {
  Get("/v1/items/2");
  clock_.Advance(60s + 5min + 1s);
  Reply r = Get("/v1/items/2");
  EXPECT_TRUE(r.deferred);
  EXPECT_EQ(r.response.cache_status, "MISS");
  EXPECT_EQ(r.body(), kItem2);
  EXPECT_EQ(store_->queries(), 2u);
}

TEST_F(ApiTest, StaleIfErrorServesTheOldEntryWhenTheStoreFails) {
  Get("/v1/items/1");
  Get("/v1/items/2");
  store_->Shutdown();  // every query now fails with Cancelled
  // Within grace: served stale; the failed refresh does not remove it.
  clock_.Advance(61s);
  EXPECT_EQ(Get("/v1/items/1").body(), kItem1);
  EXPECT_TRUE(WaitFor([&] { return read_through_->Stats().load_errors >= 1; }));
  EXPECT_EQ(Get("/v1/items/1").response.status, 200);
  // Past grace: the load fails, and the older entry is served instead of an error.
  clock_.Advance(5min);
  Reply r = Get("/v1/items/2");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.cache_status, "STALE");
  EXPECT_EQ(r.body(), kItem2);
  // Nothing to fall back on: the error is a 503.
  Reply none = Get("/v1/items/3");
  EXPECT_EQ(none.response.status, 503);
  EXPECT_EQ(none.body(), R"({"error":"shutting down","status":503})");
}

TEST_F(ApiTest, AFailingStoreIsA503WithRetryAfter) {
  ASSERT_EQ(catalog_.Exec("DROP TABLE reviews"), "");
  Reply r = Get("/v1/items/1/reviews");
  EXPECT_EQ(r.response.status, 503);
  EXPECT_EQ(r.response.extra_headers,
            "Retry-After: 1\r\nCache-Status: shoal; fwd=miss; fwd-status=503\r\n");
  EXPECT_NE(r.body().find("\"status\":503"), std::string_view::npos);
  EXPECT_EQ(r.body().find("sqlite"), std::string_view::npos) << "internal details leaked";
}

TEST_F(ApiTest, ConcurrentIdenticalMissesQueryTheStoreOnce) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> ready{0};
  std::vector<std::shared_ptr<Answer>> answers(size_t{kThreads} * kPerThread);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) {
        http::Request req;
        req.method = http::Method::kGet;
        req.path = "/v1/items/4";
        RecordingExchange ex;
        api_->Handle(req, ex);
        answers[static_cast<size_t>(t) * kPerThread + static_cast<size_t>(i)] = ex.answer();
      }
    });
  }
  for (auto& th : threads) th.join();
  int misses = 0;
  for (const auto& a : answers) {
    auto r = a->Wait(10s);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.substr(0, 8), R"({"id":4,)");
    if (r->cache_status == "MISS") ++misses;
  }
  EXPECT_GE(misses, 1);
  EXPECT_EQ(store_->queries(), 1u);
}

TEST_F(ApiTest, HealthAndMetrics) {
  Reply health = Get("/_shoal/health");
  EXPECT_EQ(health.response.status, 200);
  EXPECT_EQ(health.body(), R"({"status":"ok"})");
  Get("/v1/items/1");
  Get("/v1/items/1");
  Reply metrics = Get("/_shoal/metrics");
  EXPECT_EQ(metrics.response.status, 200);
  EXPECT_EQ(metrics.response.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(metrics.body().find("shoal_api_hits_total 1\n"), std::string_view::npos)
      << metrics.body();
  EXPECT_NE(metrics.body().find("shoal_api_misses_total 1\n"), std::string_view::npos);
  EXPECT_NE(metrics.body().find("shoal_api_requests_endpoint_total 2\n"), std::string_view::npos);
  EXPECT_NE(metrics.body().find("shoal_api_miss_latency_seconds_count 1\n"),
            std::string_view::npos);
}

TEST_F(ApiTest, WorksWithoutARegistry) {
  Api bare(router_, *read_through_, cache_, clock_, nullptr);
  http::Request req;
  req.method = http::Method::kGet;
  req.path = "/v1/items/2";
  RecordingExchange ex;
  bare.Handle(req, ex);
  auto r = ex.answer()->Wait(10s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, kItem2);
  req.path = "/_shoal/metrics";
  RecordingExchange ex2;
  bare.Handle(req, ex2);
  EXPECT_EQ(ex2.answer()->Wait(1s)->status, 200);
}

#if defined(SHOAL_COUNT_ALLOCATIONS)
TEST_F(ApiTest, AHitAllocatesNothing) {
  // Load both and make their gzip variants (made once, on the first request that wants it).
  Get("/v1/items/1/reviews", "limit=3", {{"Accept-Encoding", "gzip"}});
  Get("/v1/items/1", "", {{"Accept-Encoding", "gzip"}});
  const std::vector<http::Header> headers = {{"Accept-Encoding", "gzip, br"},
                                             {"If-None-Match", "\"nope\""}};
  struct Case {
    std::string_view path, query;
    bool logged = false;
  };
  // The key is built in a per-thread string that the requests above have grown already.
  // Logged or not: a single node's owner lookup (for the access log) allocates nothing either.
  // Ignored tracking parameters (ignore_params) are matched and skipped without allocating.
  for (const Case& c : {Case{"/v1/items/1", ""}, Case{"/v1/items/1/reviews", "limit=3"},
                        Case{"/v1/items/1", "", true},
                        Case{"/v1/items/1/reviews", "utm_source=news&limit=3&fbclid=IwAR0"},
                        Case{"/v1/items/1", "utm%5Fmedium=email"}}) {
    http::Request req;
    req.access_logged = c.logged;
    req.method = http::Method::kGet;
    req.path = c.path;
    req.query = c.query;
    req.headers = headers;
    SinkExchange ex;
    uint64_t allocations = 0;
    {
      const ::shoal::testing::CountThisThread counter;
      api_->Handle(req, ex);
      allocations = counter.count();
    }
    EXPECT_EQ(ex.response.status, 200);
    EXPECT_EQ(ex.response.cache_status, "HIT");
    EXPECT_EQ(allocations, 0u) << c.path;
    EXPECT_EQ(ex.response.content_encoding, "gzip") << c.path;
  }
}

TEST_F(ApiTest, AHitWithACachePolicyAndCacheStatusAllocatesNothing) {
  // Every header configured: Cache-Control and CDN-Cache-Control per endpoint and globally,
  // debug headers (the key in Cache-Status). Their texts are interned when the snapshot is
  // made; a hit only points at them.
  ApiOptions o = options_;
  CacheControlOptions cc;
  cc.max_age = 10s;
  cc.s_maxage = 60s;
  cc.stale_while_revalidate = 30s;
  cc.is_public = true;
  o.cache_control = cc;
  CacheControlOptions cdn;
  cdn.stale_if_error = 24h;
  o.endpoints[0].cdn_cache_control = cdn;
  o.endpoints[0].grace = 1min;
  o.debug_headers = true;
  std::shared_ptr<LiveServing> serving = MakeLiveServing(router_, o);
  StoreLoader loader(serving, *store_, clock_);
  cache::Cache cache{cache::CacheOptions{16u << 20}};
  cache::ReadThrough read_through(cache, loader, clock_);
  Api api(serving, read_through, cache, clock_, &registry_);
  const std::vector<http::Header> headers = {{"Accept-Encoding", "gzip"}};
  http::Request req;
  req.method = http::Method::kGet;
  req.path = "/v1/items/1";
  req.headers = headers;
  RecordingExchange warm;
  api.Handle(req, warm);
  ASSERT_TRUE(warm.answer()->Wait(10s).has_value());
  for (int i = 0; i < 2; ++i) {  // the first hit makes the gzip variant
    SinkExchange ex;
    uint64_t allocations = 0;
    {
      const ::shoal::testing::CountThisThread counter;
      api.Handle(req, ex);
      allocations = counter.count();
    }
    EXPECT_EQ(ex.response.cache_status, "HIT");
    EXPECT_EQ(ex.response.cache_control,
              "max-age=10, s-maxage=60, stale-while-revalidate=30, public");
    EXPECT_EQ(ex.response.max_age, -1);
    EXPECT_EQ(ex.response.cdn_cache_control, "stale-if-error=86400");
    EXPECT_EQ(ex.response.cdn_max_age, 60);
    EXPECT_EQ(ex.response.cache_status_line.fwd, http::CacheStatusLine::Fwd::kHit);
    EXPECT_EQ(ex.response.cache_status_line.ttl, 60);
    EXPECT_EQ(ex.response.cache_status_line.key, "/v1/items/1");
    if (i == 1) {
      EXPECT_EQ(allocations, 0u);
    }
  }
  read_through.Shutdown();
}
#endif

TEST(CacheStatusTest, FormatsEveryParameter) {
  http::CacheStatusLine line;
  line.fwd = http::CacheStatusLine::Fwd::kStale;
  line.fwd_status = 503;
  line.collapsed = true;
  line.has_ttl = true;
  line.ttl = -12;
  line.key = "/v1/q?x=\"a\\b\"\x01";
  line.owner = "10.0.0.2:7070";
  std::string out;
  http::AppendCacheStatus(out, line);
  EXPECT_EQ(out,
            "shoal; fwd=stale; fwd-status=503; collapsed; ttl=-12; "
            "key=\"/v1/q?x=\\\"a\\\\b\\\"\"; detail=\"owner=10.0.0.2:7070\"");
  out.clear();
  http::CacheStatusLine hit;
  hit.fwd = http::CacheStatusLine::Fwd::kHit;
  http::AppendCacheStatus(out, hit);
  EXPECT_EQ(out, "shoal; hit");
}

TEST(StatusHttpTest, MapsEveryCode) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kDeadlineExceeded), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kCancelled), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
  EXPECT_EQ(ErrorResponseFor(Status::DeadlineExceeded("x")).extra_headers, "Retry-After: 1\r\n");
  EXPECT_EQ(ErrorResponseFor(Status::Unavailable("x")).extra_headers, "Retry-After: 1\r\n");
  EXPECT_EQ(ErrorResponseFor(Status::ResourceExhausted("x")).extra_headers, "");
  const http::Response internal = ErrorResponseFor(Status::Internal("secret detail"));
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.body.find("secret"), std::string_view::npos);
  EXPECT_EQ(ErrorResponseFor(Status::InvalidArgument("bad \"x\"")).body,
            R"({"error":"bad \"x\"","status":400})");
}

TEST(HeaderParsingTest, EtagMatches) {
  const std::string_view etag = "\"abc\"";
  EXPECT_TRUE(EtagMatches("\"abc\"", etag));
  EXPECT_TRUE(EtagMatches("W/\"abc\"", etag));
  EXPECT_TRUE(EtagMatches(" * ", etag));
  EXPECT_TRUE(EtagMatches("\"a\", \"abc\"", etag));
  EXPECT_TRUE(EtagMatches("\"a\",W/\"abc\"", etag));
  EXPECT_FALSE(EtagMatches("\"abcd\"", etag));
  EXPECT_FALSE(EtagMatches("abc", etag));
  EXPECT_FALSE(EtagMatches("\"abc", etag));
  EXPECT_FALSE(EtagMatches("", etag));
  EXPECT_FALSE(EtagMatches("\"a\", *", etag));  // '*' only alone
}

TEST(HeaderParsingTest, AcceptsGzip) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("GZIP"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));
  EXPECT_TRUE(AcceptsGzip("br;q=1.0, gzip;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.001"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("identity, *;q=0.1"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip; q=0.0"));
  EXPECT_FALSE(AcceptsGzip("gzip;Q=0.000"));
  EXPECT_FALSE(AcceptsGzip("deflate, br"));
  EXPECT_FALSE(AcceptsGzip("*, gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

// Every Value alternative renders as the api promises; a store's Json cell goes out as is.
TEST(RenderRowsTest, EveryValueKind) {
  EndpointInfo info;
  info.result = ResultShape::kOne;
  store::Rows rows;
  rows.columns = {"n", "i", "d", "s", "b", "j", "t"};
  rows.rows.push_back({store::Value(), int64_t{-7}, 2.5, std::string("a\"b"), store::Blob{"foobar"},
                       store::Json{"[1,{\"x\":null}]"}, store::Json{"\"2024-05-01\""}});
  EXPECT_EQ(RenderRows(info, rows),
            "{\"n\":null,\"i\":-7,\"d\":2.5,\"s\":\"a\\\"b\",\"b\":\"Zm9vYmFy\","
            "\"j\":[1,{\"x\":null}],\"t\":\"2024-05-01\"}");
  info.result = ResultShape::kMany;
  rows.rows.clear();
  EXPECT_EQ(RenderRows(info, rows), "[]");
}

}  // namespace
}  // namespace shoal::api

// What the Api tells the access log and the metrics about each answer (http::Response's unsent
// fields): the cache's part (http::CacheResult), the configured route, and the key's owner
// node, asked of the Loader only when the server logs the request.
#include <string_view>

#include <gtest/gtest.h>

#include "api/test_api_fixture.h"
#include "base/interned.h"

namespace shoal::api::testing {
namespace {

constexpr std::string_view kItemRoute = "/v1/items/{id:int}";

// OwnedElsewhere is the StoreLoader with every key owned by one named node, as a cluster's
// routing Loader would say; it counts the owner lookups.
class OwnedElsewhere final : public cache::Loader {
 public:
  explicit OwnedElsewhere(cache::Loader& inner) : inner_(inner) {}
  std::string_view OwnerOf(std::string_view /*key*/) const override {
    ++lookups;
    return Intern("10.0.0.2:7070");
  }
  uint32_t GroupOf(std::string_view key) const override { return inner_.GroupOf(key); }
  void Load(std::string key, cache::Scope scope, cache::LoadCallback done) override {
    inner_.Load(std::move(key), scope, std::move(done));
  }
  mutable int lookups = 0;

 private:
  cache::Loader& inner_;
};

http::Response Handle(Api& api, std::string_view path, bool logged = false,
                      http::Method method = http::Method::kGet) {
  http::Request req;
  req.method = method;
  req.path = path;
  req.access_logged = logged;
  RecordingExchange ex;
  api.Handle(req, ex);
  std::optional<http::Response> r = ex.answer()->Wait(10s);
  EXPECT_TRUE(r.has_value()) << path;
  return r ? *r : http::Response{};
}

TEST_F(ApiTest, AnswersSayHowTheCacheAnsweredAndWhichRouteMatched) {
  http::Response miss = Handle(*api_, "/v1/items/1");
  EXPECT_EQ(miss.cache_result, http::CacheResult::kMiss);
  EXPECT_EQ(miss.route, kItemRoute);
  // The interned copy: valid after the Router is gone (a reload), unlike the Router's string.
  EXPECT_EQ(miss.route.data(), router_->endpoint(0).interned_route.data());
  EXPECT_EQ(miss.owner_node, "");  // a single node: no owner elsewhere

  http::Response hit = Handle(*api_, "/v1/items/1", /*logged=*/true);
  EXPECT_EQ(hit.cache_result, http::CacheResult::kHit);
  EXPECT_EQ(hit.route, kItemRoute);
  EXPECT_EQ(hit.owner_node, "");

  clock_.Advance(61s);  // past the ttl, within grace
  http::Response stale = Handle(*api_, "/v1/items/1");
  EXPECT_EQ(stale.cache_result, http::CacheResult::kStale);

  http::Response negative = Handle(*api_, "/v1/items/999999");  // no such row: a cached 404
  EXPECT_EQ(negative.status, 404);
  EXPECT_EQ(negative.cache_result, http::CacheResult::kMiss);
  EXPECT_EQ(negative.route, kItemRoute);

  http::Response bad = Handle(*api_, "/v1/items/x");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.cache_result, http::CacheResult::kNone);
  EXPECT_EQ(bad.route, kItemRoute);

  http::Response post = Handle(*api_, "/v1/items/1", false, http::Method::kPost);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.cache_result, http::CacheResult::kNone);
  EXPECT_EQ(post.route, kItemRoute);

  http::Response unrouted = Handle(*api_, "/nope");
  EXPECT_EQ(unrouted.status, 404);
  EXPECT_EQ(unrouted.cache_result, http::CacheResult::kNone);
  EXPECT_EQ(unrouted.route, "");

  http::Response health = Handle(*api_, "/_shoal/health");
  EXPECT_EQ(health.cache_result, http::CacheResult::kNone);
  EXPECT_EQ(health.route, "");
}

TEST_F(ApiTest, AHitAsksTheOwnerOnlyWhenTheRequestIsLogged) {
  OwnedElsewhere loader(*loader_);
  cache::Cache cache{cache::CacheOptions{16u << 20}};
  cache::ReadThrough read_through(cache, loader, clock_);
  Api api(router_, read_through, cache, clock_, nullptr);

  // A load names the owner in its Cache-Status (one ring lookup per miss), not in the log.
  http::Response quiet = Handle(api, "/v1/items/2");
  EXPECT_EQ(quiet.owner_node, "");
  EXPECT_EQ(quiet.cache_status_line.owner, "10.0.0.2:7070");
  EXPECT_EQ(loader.lookups, 1);
  http::Response quiet_hit = Handle(api, "/v1/items/2");
  EXPECT_EQ(quiet_hit.cache_result, http::CacheResult::kHit);
  EXPECT_EQ(quiet_hit.cache_status_line.owner, "");
  EXPECT_EQ(loader.lookups, 1);

  http::Response hit = Handle(api, "/v1/items/2", /*logged=*/true);
  EXPECT_EQ(hit.cache_result, http::CacheResult::kHit);
  EXPECT_EQ(hit.owner_node, "10.0.0.2:7070");
  EXPECT_EQ(hit.cache_status_line.owner, "10.0.0.2:7070");
  EXPECT_EQ(loader.lookups, 2);

  http::Response miss = Handle(api, "/v1/items/3", /*logged=*/true);
  EXPECT_EQ(miss.cache_result, http::CacheResult::kMiss);  // loaded by the inner StoreLoader
  EXPECT_EQ(miss.owner_node, "10.0.0.2:7070");
  read_through.Shutdown();
}

TEST(CacheResultTest, NamesAreTheMetricLabelsAndTheLogWords) {
  EXPECT_EQ(http::CacheResultName(http::CacheResult::kHit), "hit");
  EXPECT_EQ(http::CacheResultName(http::CacheResult::kStale), "stale");
  EXPECT_EQ(http::CacheResultName(http::CacheResult::kMiss), "miss");
  EXPECT_EQ(http::CacheResultName(http::CacheResult::kPeer), "peer");
  EXPECT_EQ(http::CacheResultName(http::CacheResult::kNone), "");
}

}  // namespace
}  // namespace shoal::api::testing

// The api across a config reload: the Api, StoreLoader and Admin read one LiveServing; a
// reload builds the next Router, diffs it (DiffEndpoints), Sets the snapshot and purges the
// groups the diff names, as cli/reload.cc does. What stays cached, what goes, and that the
// purge groups follow routes, not positions.
#include <gtest/gtest.h>

#include "api/admin.h"
#include "api/router_diff.h"
#include "api/serving.h"
#include "api/test_api_fixture.h"

namespace shoal::api::testing {
namespace {

class ReloadApiTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    api_.reset();
    read_through_.reset();
    loader_.reset();
    serving_ = MakeLiveServing(router_, options_);
    loader_ = std::make_unique<StoreLoader>(serving_, *store_, clock_);
    read_through_ = std::make_unique<cache::ReadThrough>(cache_, *loader_, clock_);
    api_ = std::make_unique<Api>(serving_, *read_through_, cache_, clock_, &registry_);
  }

  // Reload applies `next` the way cli's Reloader does; the diff.
  EndpointDiff Reload(const ApiOptions& next) {
    auto router = Router::Build(next, *store_);
    EXPECT_TRUE(router.ok()) << router.status().ToString();
    if (!router.ok()) return {};
    EndpointDiff diff = DiffEndpoints(*serving_->Current()->router, **router);
    serving_->Set(MakeServing(*router, next));
    for (uint32_t g : diff.purge_groups) read_through_->PurgeGroup(g);
    return diff;
  }

  std::string XCache(std::string_view path, std::string_view query = "") {
    Reply r = Get(path, query);
    EXPECT_EQ(r.response.status, 200) << path << ": " << r.body();
    return std::string(r.response.cache_status);
  }

  static EndpointOptions Extra() {
    EndpointOptions e;  // assigned: a field added to EndpointOptions needs no change here
    e.route = "/v1/extra/{id:int}";
    e.query = "SELECT id, title FROM items WHERE id = :id";
    e.result = ResultShape::kOne;
    e.ttl = std::chrono::seconds(60);
    e.line = 40;
    return e;
  }

  static bool Lists(const EndpointDiff& d, std::string_view line) {
    for (const auto& c : d.changes) {
      if (c == line) return true;
    }
    return false;
  }

  std::shared_ptr<LiveServing> serving_;
};

TEST_F(ReloadApiTest, AChangedQueryDropsOnlyItsEntriesAndGroupsFollowRoutesNotPositions) {
  EXPECT_EQ(XCache("/v1/items/1"), "MISS");
  EXPECT_EQ(XCache("/v1/items/1/reviews"), "MISS");
  EXPECT_EQ(XCache("/v1/categories/tools/items"), "MISS");
  EXPECT_EQ(XCache("/v1/items/1"), "HIT");

  // A new endpoint in front shifts every index; the items query changes.
  ApiOptions next = options_;
  next.endpoints.insert(next.endpoints.begin(), Extra());
  next.endpoints[1].query =
      "SELECT id, sku, title, category, price_cents, stock, rating, tags, "
      "updated_at FROM items WHERE :id = id";
  const EndpointDiff diff = Reload(next);
  EXPECT_TRUE(Lists(diff, "endpoint /v1/extra/{id:int} added"));
  EXPECT_TRUE(Lists(diff, "endpoint /v1/items/{id:int} answer changed (query): entries dropped"));
  EXPECT_EQ(diff.kept, 2u);
  ASSERT_EQ(diff.purge_groups.size(), 1u);
  EXPECT_EQ(diff.purge_groups[0], router_->endpoint(0).group);

  EXPECT_EQ(XCache("/v1/items/1"), "MISS");
  EXPECT_EQ(XCache("/v1/items/1/reviews"), "HIT");
  EXPECT_EQ(XCache("/v1/categories/tools/items"), "HIT");
  Reply extra = Get("/v1/extra/2");
  EXPECT_EQ(extra.response.status, 200);
  EXPECT_EQ(extra.body(), R"({"id":2,"title":"Plain book"})");

  // Purging one endpoint by route after the shift hits that endpoint only.
  auto purged = PurgeLocal(*serving_->Current()->router, *read_through_, PurgeScope::kEndpoint,
                           "/v1/items/{id:int}/reviews");
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(XCache("/v1/items/1/reviews"), "MISS");
  EXPECT_EQ(XCache("/v1/categories/tools/items"), "HIT");
  EXPECT_EQ(XCache("/v1/items/1"), "HIT");
}

TEST_F(ReloadApiTest, ARemovedEndpointsEntriesGoAndItsRouteIsA404) {
  EXPECT_EQ(XCache("/v1/items/1/reviews"), "MISS");
  EXPECT_EQ(XCache("/v1/items/1"), "MISS");
  ApiOptions next = options_;
  next.endpoints.erase(next.endpoints.begin() + 1);  // reviews
  const EndpointDiff diff = Reload(next);
  EXPECT_TRUE(Lists(diff, "endpoint /v1/items/{id:int}/reviews removed"));
  EXPECT_EQ(Get("/v1/items/1/reviews").response.status, 404);
  EXPECT_EQ(XCache("/v1/items/1"), "HIT");
  // Back again: its old entry did not survive.
  Reload(options_);
  EXPECT_EQ(XCache("/v1/items/1/reviews"), "MISS");
}

TEST_F(ReloadApiTest, ATtlChangeAloneKeepsTheEntriesAndNewLoadsGetTheNewTtl) {
  EXPECT_EQ(XCache("/v1/items/1"), "MISS");
  ApiOptions next = options_;
  next.endpoints[0].ttl = std::chrono::seconds(5);
  next.grace = std::chrono::seconds(1);
  const EndpointDiff diff = Reload(next);
  EXPECT_TRUE(Lists(diff, "endpoint /v1/items/{id:int} ttl 60s -> 5s"));
  EXPECT_TRUE(diff.purge_groups.empty());
  EXPECT_EQ(XCache("/v1/items/1"), "HIT");
  // The kept entry keeps its deadlines (60 s); a new one gets 5 s and the new grace.
  EXPECT_EQ(XCache("/v1/items/2"), "MISS");
  clock_.Advance(std::chrono::seconds(7));
  EXPECT_EQ(XCache("/v1/items/1"), "HIT");
  Reply r = Get("/v1/items/2");
  EXPECT_EQ(r.response.cache_status, "MISS") << "past ttl and the new 1 s grace";
}

TEST_F(ReloadApiTest, AnAddedRouteThatMayTakeAKeptEndpointsKeysDropsThatEndpointsEntries) {
  EXPECT_EQ(XCache("/v1/categories/special/items"), "MISS");
  EXPECT_EQ(XCache("/v1/items/1"), "MISS");
  ApiOptions next = options_;
  EndpointOptions special = Extra();
  special.route = "/v1/categories/special/items";
  special.query = "SELECT id FROM items WHERE id = 1";
  special.result = ResultShape::kMany;
  next.endpoints.push_back(special);
  const EndpointDiff diff = Reload(next);
  EXPECT_TRUE(Lists(diff,
                    "endpoint /v1/categories/{name}/items entries dropped: the added route "
                    "/v1/categories/special/items may take its keys"));
  Reply r = Get("/v1/categories/special/items");
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.cache_status, "MISS");
  EXPECT_EQ(r.body(), R"([{"id":1}])");
  EXPECT_EQ(XCache("/v1/items/1"), "HIT");
}

TEST_F(ReloadApiTest, ParamsAndJsonColumnsShapeTheAnswer) {
  ApiOptions next = options_;
  next.endpoints[1].params[0].default_value = "5";
  next.endpoints[0].json_columns = {};
  const EndpointDiff diff = Reload(next);
  EXPECT_TRUE(Lists(diff,
                    "endpoint /v1/items/{id:int} answer changed (json columns): entries "
                    "dropped"));
  EXPECT_TRUE(Lists(diff,
                    "endpoint /v1/items/{id:int}/reviews answer changed (params): entries "
                    "dropped"));
  EXPECT_EQ(diff.purge_groups.size(), 2u);
}

// A request takes one snapshot: Read gives the same Router until a Set, then the new one, and
// a load's callback keeps the snapshot it started with.
TEST_F(ReloadApiTest, TheSnapshotIsReplacedWholeAndTheOldOneLivesWhileHeld) {
  const std::shared_ptr<const Serving> held = serving_->Current();
  const Router* before = &*serving_->Read().router;
  EXPECT_EQ(before, held->router.get());
  ApiOptions next = options_;
  next.endpoints.push_back(Extra());
  Reload(next);
  EXPECT_NE(&*serving_->Read().router, before);
  EXPECT_EQ(serving_->Read().router->endpoint_count(), 4u);
  EXPECT_EQ(held->router->endpoint_count(), 3u);  // still whole
  EXPECT_EQ(serving_->version(), 1u);
}

}  // namespace
}  // namespace shoal::api::testing

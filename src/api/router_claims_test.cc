// Router and claims bound as parameters (`from: claims.NAME`, auth.h): the claim's value goes
// into the key and the bound values, the query string cannot give it, a key carries it back
// (MatchKey), and Build refuses a claim parameter without auth.jwt or with a default.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/router.h"
#include "api/test_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api {
namespace {

class RouterClaimsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(catalog_.error(), "");
    store_ = catalog_.OpenStore(/*threads=*/1, /*queue_limit=*/64);
    ASSERT_NE(store_, nullptr);
  }

  static ApiOptions Options() {
    ApiOptions o = testing::CatalogApiOptions();
    EndpointOptions e;
    e.route = "/v1/mine/{id:int}";
    e.query = "SELECT id, title FROM items WHERE id = :id AND category = :tenant";
    ParamSpec tenant;
    tenant.name = "tenant";
    tenant.claim = "org";
    tenant.max = 10;
    tenant.line = 41;
    e.params.push_back(tenant);
    e.line = 40;
    o.endpoints.push_back(e);
    o.auth.emplace();
    o.auth->kind = AuthOptions::Kind::kJwt;
    o.auth->jwt.hs256_secret = "0123456789abcdef0123456789abcdef";
    o.auth->line = 2;
    return o;
  }

  testing::TestCatalog catalog_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(RouterClaimsTest, TheClaimIsInTheKeyAndNeverFromTheQuery) {
  auto router = Router::Build(Options(), *store_);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  const size_t mine = 3;
  ASSERT_EQ((*router)->endpoint(mine).route, "/v1/mine/{id:int}");
  EXPECT_TRUE((*router)->endpoint(mine).binds_claims);
  EXPECT_NE((*router)->endpoint(mine).auth, nullptr);
  EXPECT_NE((*router)->endpoint(0).auth, nullptr);  // the top level's, shared

  const Claims acme = {{"org", "acme%20co"}};
  std::string key;
  ASSERT_TRUE((*router)->KeyFor(mine, "/v1/mine/7", "", &key, &acme).ok());
  EXPECT_EQ(key, "/v1/mine/7?tenant=acme%20co");
  const Claims other = {{"org", "other"}};
  ASSERT_TRUE((*router)->KeyFor(mine, "/v1/mine/7", "", &key, &other).ok());
  EXPECT_EQ(key, "/v1/mine/7?tenant=other");

  // The query string may not give it, whatever the claims say.
  Status spoof = (*router)->KeyFor(mine, "/v1/mine/7", "tenant=other", &key, &acme);
  EXPECT_EQ(spoof.message(),
            "parameter 'tenant' comes from the caller's token; it cannot be given");
  EXPECT_FALSE((*router)->KeyFor(mine, "/v1/mine/7", "", &key, nullptr).ok());

  // A key carries it back: a peer or a purge loads it from the key alone.
  Result<RouteMatch> m = (*router)->MatchKey("/v1/mine/7?tenant=acme%20co");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->values.size(), 2u);
  EXPECT_EQ(std::get<std::string>(m->values[1]), "acme co");

  EXPECT_TRUE((*router)->CheckClaims(mine, &acme).ok());
  EXPECT_EQ((*router)->CheckClaims(mine, nullptr).message(),
            "the token has no claim 'org' (a string or an integer), which this endpoint needs");
  const Claims long_org = {{"org", "abcdefghijk"}};
  EXPECT_EQ((*router)->CheckClaims(mine, &long_org).message(),
            "the token's claim 'org' does not fit: parameter 'tenant' must be at most 10 bytes "
            "long");
}

TEST_F(RouterClaimsTest, BuildRefusesClaimsWithoutJwtOrWithADefault) {
  ApiOptions keys = Options();
  keys.auth.reset();
  auto r = Router::Build(keys, *store_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "catalog.yaml:41: endpoint '/v1/mine/{id:int}': parameter 'tenant' comes from the "
            "claim 'org': the endpoint needs auth.jwt");
  ApiOptions with_default = Options();
  with_default.endpoints.back().params[0].default_value = "acme";
  r = Router::Build(with_default, *store_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("catalog.yaml:41: endpoint '/v1/mine/{id:int}': parameter "
                                      "'tenant' comes from a claim and cannot have a default"),
            std::string::npos);
  ApiOptions bad_secret = Options();
  bad_secret.auth->jwt.hs256_secret = "short";
  r = Router::Build(bad_secret, *store_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("catalog.yaml:2: auth: an HS256 secret", 0), 0u);
}

}  // namespace
}  // namespace shoal::api

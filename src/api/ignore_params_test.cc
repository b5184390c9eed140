// Tests for ignore_params in the Router: ignored query parameters are neither checked nor
// keyed, every other unknown one is still refused, and a pattern that matches a parameter of
// the endpoint is a config error naming file:line. Over a real SqliteStore (test_catalog.h).
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/router.h"
#include "api/test_catalog.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api {
namespace {

using testing::CatalogApiOptions;
using testing::TestCatalog;

class IgnoreParamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(catalog_.error(), "");
    store_ = catalog_.OpenStore(/*threads=*/1, /*queue_limit=*/64);
    ASSERT_NE(store_, nullptr);
  }

  // Build builds the catalog with the global patterns `global` and, on the reviews endpoint
  // (index 1), `reviews`; the error message, or "" when it built.
  std::string Build(std::vector<ParamGlob> global, std::vector<ParamGlob> reviews = {}) {
    ApiOptions o = CatalogApiOptions();
    o.ignore_params = std::move(global);
    o.endpoints[1].ignore_params = std::move(reviews);
    auto r = Router::Build(o, *store_);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      return std::string(r.status().message());
    }
    router_ = *r;
    return "";
  }

  std::string Key(std::string_view path, std::string_view query) {
    auto m = router_->Match(path, query);
    return m.ok() ? m->key : "error: " + m.status().ToString();
  }

  // KeyFor is the hot path's key, for a path FindRoute knows.
  std::string KeyFor(std::string_view path, std::string_view query) {
    const std::optional<size_t> route = router_->FindRoute(path);
    if (!route) return "no route";
    std::string key;
    Status s = router_->KeyFor(*route, path, query, &key);
    return s.ok() ? key : "error: " + s.ToString();
  }

  TestCatalog catalog_;
  std::unique_ptr<store::SqliteStore> store_;
  std::shared_ptr<const Router> router_;
};

TEST_F(IgnoreParamsTest, IgnoredParametersNeitherFailNorSplitTheKey) {
  ASSERT_EQ(Build({{"utm_*", 3}, {"fbclid", 4}, {"gclid", 4}}), "");
  const std::string plain = Key("/v1/items/1/reviews", "limit=5");
  EXPECT_EQ(plain, "/v1/items/1/reviews?limit=5");
  EXPECT_EQ(Key("/v1/items/1/reviews", "utm_source=news&limit=5&utm_medium=email"), plain);
  EXPECT_EQ(Key("/v1/items/1/reviews", "limit=5&fbclid=IwAR0abc&gclid=x"), plain);
  EXPECT_EQ(KeyFor("/v1/items/1/reviews", "limit=5&utm_campaign=spring"), plain);
  // No value, an empty value, repeated: all dropped alike.
  EXPECT_EQ(Key("/v1/items/1/reviews", "limit=5&utm_x&utm_x=&utm_x=1"), plain);
  // Defaults still fill in, and an endpoint without query parameters takes them too.
  EXPECT_EQ(Key("/v1/items/1/reviews", "utm_source=news"), "/v1/items/1/reviews?limit=10");
  EXPECT_EQ(Key("/v1/items/1", "gclid=abc&utm_source=a%20b"), "/v1/items/1");
  // The name is matched decoded: utm%5Fsource is utm_source.
  EXPECT_EQ(Key("/v1/items/1", "utm%5Fsource=news"), "/v1/items/1");
  // An ignored parameter's value is not checked (it is never bound): bad UTF-8, junk.
  EXPECT_EQ(Key("/v1/items/1", "utm_source=%FF%FE"), "/v1/items/1");
}

TEST_F(IgnoreParamsTest, OtherUnknownParametersAreStillRefused) {
  ASSERT_EQ(Build({{"utm_*", 3}, {"fbclid", 4}}), "");
  auto m = router_->Match("/v1/items/1/reviews", "utm_source=x&limt=5&fbclid=y");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  // The message names the typo only: ignored names are not "unknown".
  EXPECT_NE(m.status().message().find("'limt'"), std::string_view::npos) << m.status().message();
  EXPECT_EQ(m.status().message().find("utm_source"), std::string_view::npos);
  EXPECT_EQ(m.status().message().find("fbclid"), std::string_view::npos);
  EXPECT_EQ(Key("/v1/items/1", "utm=1").substr(0, 6), "error:");     // utm_* needs the '_'
  EXPECT_EQ(Key("/v1/items/1", "FBCLID=1").substr(0, 6), "error:");  // case matters
  EXPECT_EQ(Key("/v1/items/1", "fbclid2=1").substr(0, 6), "error:");
  // A declared parameter is still checked and still repeated at most once.
  EXPECT_EQ(Key("/v1/items/1/reviews", "utm_a=1&limit=500").substr(0, 6), "error:");
  EXPECT_EQ(Key("/v1/items/1/reviews", "limit=5&utm_a=1&limit=6").substr(0, 6), "error:");
  // A path parameter given in the query string is still refused.
  EXPECT_EQ(Key("/v1/items/1/reviews", "id=2&utm_a=1").substr(0, 6), "error:");
}

TEST_F(IgnoreParamsTest, WithoutPatternsNothingIsIgnored) {
  ASSERT_EQ(Build({}), "");
  EXPECT_EQ(Key("/v1/items/1", "utm_source=news").substr(0, 6), "error:");
}

TEST_F(IgnoreParamsTest, AnEndpointsPatternsAddToTheGlobalOnes) {
  ASSERT_EQ(Build({{"utm_*", 3}}, {{"ref", 21}, {"?clid", 21}, {"fb*", 21}}), "");
  const std::string plain = "/v1/items/1/reviews?limit=10";
  EXPECT_EQ(Key("/v1/items/1/reviews", "ref=mail&utm_source=a&gclid=1&fbclid=2"), plain);
  // The other endpoints have the global ones only.
  EXPECT_EQ(Key("/v1/items/1", "utm_source=a"), "/v1/items/1");
  EXPECT_EQ(Key("/v1/items/1", "ref=mail").substr(0, 6), "error:");
  EXPECT_EQ(Key("/v1/categories/books/items", "gclid=1").substr(0, 6), "error:");
}

TEST_F(IgnoreParamsTest, APatternThatMatchesAParameterIsAConfigError) {
  // The reviews endpoint (catalog.yaml:20) declares limit (line 22) and has the route
  // parameter id.
  std::string e = Build({}, {{"lim*", 25}});
  EXPECT_NE(e.find("catalog.yaml:25: endpoint '/v1/items/{id:int}/reviews'"), std::string::npos)
      << e;
  EXPECT_NE(e.find("'lim*' matches the parameter 'limit' (catalog.yaml:22)"), std::string::npos)
      << e;
  e = Build({}, {{"?d", 26}});
  EXPECT_NE(e.find("catalog.yaml:26:"), std::string::npos) << e;
  EXPECT_NE(e.find("matches the parameter 'id'"), std::string::npos) << e;
  // A global pattern is checked against every endpoint: "na*" matches the categories
  // endpoint's route parameter {name} (catalog.yaml:30).
  e = Build({{"na*", 2}});
  EXPECT_NE(e.find("catalog.yaml:2: endpoint '/v1/categories/{name}/items'"), std::string::npos)
      << e;
  EXPECT_NE(e.find("matches the parameter 'name'"), std::string::npos) << e;
  // "*" matches everything, so only an endpoint without parameters could take it.
  EXPECT_NE(Build({{"*", 2}}).find("'*' matches the parameter 'id'"), std::string::npos);
}

TEST_F(IgnoreParamsTest, BadPatternsAreConfigErrors) {
  for (const char* bad : {"", "utm_[a]", "a\\*", "x]", "tab\there"}) {
    const std::string e = Build({{bad, 7}});
    EXPECT_NE(e.find("catalog.yaml:7:"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("ignore_params: bad pattern"), std::string::npos) << bad << ": " << e;
  }
}

}  // namespace
}  // namespace shoal::api

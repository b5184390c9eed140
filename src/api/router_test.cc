// Tests for Router: config checks with file:line messages, matching, canonical keys.
// Over a real SqliteStore on a small catalog file (test_catalog.h).
#include "api/router.h"

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/test_catalog.h"
#include "base/interned.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api {
namespace {

using testing::CatalogApiOptions;
using testing::TestCatalog;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(catalog_.error(), "");
    store_ = catalog_.OpenStore(/*threads=*/1, /*queue_limit=*/64);
    ASSERT_NE(store_, nullptr);
    auto router = Router::Build(CatalogApiOptions(), *store_);
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    router_ = *router;
  }

  // BuildError builds the catalog options changed by `edit` and returns the error message.
  std::string BuildError(const std::function<void(ApiOptions&)>& edit) {
    ApiOptions o = CatalogApiOptions();
    edit(o);
    auto r = Router::Build(o, *store_);
    if (r.ok()) return "(built)";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  }

  std::string Key(std::string_view path, std::string_view query = "") {
    auto m = router_->Match(path, query);
    return m.ok() ? m->key : "error: " + m.status().ToString();
  }

  Status Error(std::string_view path, std::string_view query = "") {
    auto m = router_->Match(path, query);
    return m.ok() ? Status::Ok() : m.status();
  }

  TestCatalog catalog_;
  std::unique_ptr<store::SqliteStore> store_;
  std::shared_ptr<const Router> router_;
};

TEST_F(RouterTest, DescribesEachEndpoint) {
  ASSERT_EQ(router_->endpoint_count(), 3u);
  const EndpointInfo& item = router_->endpoint(0);
  EXPECT_EQ(item.route, "/v1/items/{id:int}");
  EXPECT_EQ(item.interned_route, item.route);
  EXPECT_EQ(item.interned_route.data(), Intern("/v1/items/{id:int}").data());
  EXPECT_EQ(item.result, ResultShape::kOne);
  EXPECT_EQ(item.ttl, std::chrono::seconds(60));
  EXPECT_EQ(item.columns, (std::vector<std::string>{"id", "sku", "title", "category", "price_cents",
                                                    "stock", "rating", "tags", "updated_at"}));
  EXPECT_EQ(item.json_column,
            (std::vector<bool>{false, false, false, false, false, false, false, true, false}));
  EXPECT_EQ(router_->endpoint(1).result, ResultShape::kMany);
  EXPECT_EQ(router_->endpoint(2).ttl, std::chrono::seconds(10));
  EXPECT_NE(router_->endpoint(0).statement, router_->endpoint(1).statement);
}

TEST_F(RouterTest, MatchesItemAndBindsTheId) {
  auto m = router_->Match("/v1/items/42", "");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->endpoint, 0u);
  EXPECT_EQ(m->key, "/v1/items/42");
  EXPECT_EQ(m->values, (std::vector<store::Value>{int64_t{42}}));
}

TEST_F(RouterTest, IntsAreCanonicalInTheKey) {
  EXPECT_EQ(Key("/v1/items/042"), "/v1/items/42");
  EXPECT_EQ(Key("/v1/items/+42"), "/v1/items/42");
  EXPECT_EQ(Key("/v1/items/%34%32"), "/v1/items/42");
  EXPECT_EQ(Key("/v1/items/-0"), "/v1/items/0");
  EXPECT_EQ(Key("/v1/items/-7"), "/v1/items/-7");
  EXPECT_EQ(Key("/v1/items/9223372036854775807"), "/v1/items/9223372036854775807");
  EXPECT_EQ(Key("/v1/items/-9223372036854775808"), "/v1/items/-9223372036854775808");
  EXPECT_EQ(Key("/v1/items/042/reviews", "limit=010"), "/v1/items/42/reviews?limit=10");
}

TEST_F(RouterTest, DefaultsAreFilledInAndQueryParamsSorted) {
  auto m = router_->Match("/v1/items/42/reviews", "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->endpoint, 1u);
  EXPECT_EQ(m->key, "/v1/items/42/reviews?limit=10");
  // Statement order: :id first, then :limit.
  EXPECT_EQ(m->values, (std::vector<store::Value>{int64_t{42}, int64_t{10}}));
  EXPECT_EQ(Key("/v1/items/42/reviews", "limit=10"), "/v1/items/42/reviews?limit=10");
  EXPECT_EQ(Key("/v1/items/42/reviews", "limit=5&"), "/v1/items/42/reviews?limit=5");
  EXPECT_EQ(Key("/v1/items/42/reviews", "&&limit=50"), "/v1/items/42/reviews?limit=50");
  EXPECT_EQ(Key("/v1/categories/tools/items"), "/v1/categories/tools/items?limit=20");
}

TEST_F(RouterTest, StringsArePercentDecodedAndCanonicallyEncoded) {
  auto m = router_->Match("/v1/categories/a%20b/items", "limit=3");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->key, "/v1/categories/a%20b/items?limit=3");
  EXPECT_EQ(m->values, (std::vector<store::Value>{std::string("a b"), int64_t{3}}));
  EXPECT_EQ(Key("/v1/categories/caf%c3%a9/items"), "/v1/categories/caf%C3%A9/items?limit=20");
  EXPECT_EQ(Key("/v1/categories/café/items"), "/v1/categories/caf%C3%A9/items?limit=20");
  EXPECT_EQ(Key("/v1/categories/%61rt-supplies/items"),
            "/v1/categories/art-supplies/items?limit=20");
  EXPECT_EQ(Key("/v1/categories/a+b/items"), "/v1/categories/a%2Bb/items?limit=20");
  EXPECT_EQ(Key("/v1/categories/a%2Fb/items"), "/v1/categories/a%2Fb/items?limit=20");
  auto plus = router_->Match("/v1/categories/a+b/items", "");
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(plus->values[0], store::Value(std::string("a+b")));
  // Literal segments compare after decoding too.
  EXPECT_EQ(Key("/v1/%69tems/1"), "/v1/items/1");
  // Query parameter names may be encoded as well.
  EXPECT_EQ(Key("/v1/items/1/reviews", "%6cimit=7"), "/v1/items/1/reviews?limit=7");
}

// Options with one more endpoint, /v2/items?name=..., whose string parameter is in the query.
ApiOptions WithStringQueryParam() {
  ApiOptions o = CatalogApiOptions();
  EndpointOptions e = o.endpoints[2];
  e.route = "/v2/items";
  e.params.push_back(ParamSpec{"name", ParamType::kString, {}, {}, {}, 40});
  o.endpoints.push_back(std::move(e));
  return o;
}

TEST_F(RouterTest, StringParametersHaveADefaultMaximumLength) {
  // Path parameter {name}: 256 bytes (ApiOptions::max_string_param), counted decoded.
  EXPECT_TRUE(Error("/v1/categories/" + std::string(256, 'a') + "/items").ok());
  std::string encoded;
  for (int i = 0; i < 256; ++i) encoded += "%C3%A9";  // 512 bytes decoded
  Status s = Error("/v1/categories/" + std::string(257, 'a') + "/items");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "parameter 'name' must be at most 256 bytes long");
  EXPECT_EQ(Error("/v1/categories/" + encoded + "/items").code(), StatusCode::kInvalidArgument);

  // Query parameter.
  auto built = Router::Build(WithStringQueryParam(), *store_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  std::shared_ptr<const Router> r = *built;
  EXPECT_TRUE(r->Match("/v2/items", "name=" + std::string(256, 'a')).ok());
  auto m = r->Match("/v2/items", "name=" + std::string(257, 'a'));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "parameter 'name' must be at most 256 bytes long");

  // The operator's default.
  ApiOptions o = WithStringQueryParam();
  o.max_string_param = 8;
  built = Router::Build(o, *store_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  r = *built;
  EXPECT_TRUE(r->Match("/v1/categories/abcdefgh/items", "").ok());
  EXPECT_EQ(r->Match("/v1/categories/abcdefghi/items", "").status().message(),
            "parameter 'name' must be at most 8 bytes long");
  EXPECT_TRUE(r->Match("/v2/items", "name=abcdefgh").ok());
  EXPECT_FALSE(r->Match("/v2/items", "name=abcdefghi").ok());
  // Ints are bounded by value, not by this.
  EXPECT_TRUE(r->Match("/v1/items/1234567890", "").ok());
}

TEST_F(RouterTest, AParamSpecSetsTheBoundsOfAPathParameterOrOfAQueryParameter) {
  ApiOptions o = WithStringQueryParam();
  o.endpoints[2].params.push_back(ParamSpec{"name", ParamType::kString, {}, 2, 1000, 33});
  o.endpoints[3].params[1].max = 300;  // the query parameter
  o.endpoints[0].params.push_back(ParamSpec{"id", ParamType::kInt, {}, 1, 99, 11});
  auto built = Router::Build(o, *store_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  std::shared_ptr<const Router> r = *built;
  EXPECT_TRUE(r->Match("/v1/categories/" + std::string(1000, 'a') + "/items", "").ok());
  EXPECT_EQ(r->Match("/v1/categories/" + std::string(1001, 'a') + "/items", "").status().message(),
            "parameter 'name' must be at most 1000 bytes long");
  EXPECT_EQ(r->Match("/v1/categories/a/items", "").status().message(),
            "parameter 'name' must be at least 2 bytes long");
  EXPECT_TRUE(r->Match("/v2/items", "name=" + std::string(300, 'a')).ok());
  EXPECT_FALSE(r->Match("/v2/items", "name=" + std::string(301, 'a')).ok());
  EXPECT_TRUE(r->Match("/v1/items/99", "").ok());
  EXPECT_EQ(r->Match("/v1/items/100", "").status().message(), "parameter 'id' must be at most 99");
  // The key of a path parameter is unchanged by declaring it.
  EXPECT_EQ(r->Match("/v1/categories/tools/items", "").value().key,
            "/v1/categories/tools/items?limit=20");
}

TEST_F(RouterTest, StringParametersMustBeUtf8) {
  for (std::string_view good :
       {"caf%C3%A9", "%F0%9F%98%80", "%EF%BF%BD", "%F4%8F%BF%BF", "a%00b"}) {
    EXPECT_TRUE(Error("/v1/categories/" + std::string(good) + "/items").ok()) << good;
  }
  for (std::string_view bad : {"%FF", "caf%C3", "%C3%28", "%C0%AF", "%E0%80%AF", "%ED%A0%80",
                               "%F4%90%80%80", "%F8%88%80%80%80", "%80", "%E2%82"}) {
    Status s = Error("/v1/categories/" + std::string(bad) + "/items");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message(), "parameter 'name' must be valid UTF-8 text") << bad;
  }
  auto built = Router::Build(WithStringQueryParam(), *store_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ((*built)->Match("/v2/items", "name=%FE").status().message(),
            "parameter 'name' must be valid UTF-8 text");
  EXPECT_TRUE((*built)->Match("/v2/items", "name=Gr%C3%B6%C3%9Fe").ok());
}

TEST_F(RouterTest, MatchWithoutBindingGivesOnlyTheKey) {
  auto m = router_->Match("/v1/categories/tools/items", "limit=2", /*bind=*/false);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->key, "/v1/categories/tools/items?limit=2");
  EXPECT_TRUE(m->values.empty());
}

TEST_F(RouterTest, BadIntsAreInvalidArgumentNamingTheParameter) {
  for (const char* path :
       {"/v1/items/abc", "/v1/items/4x", "/v1/items/1.5", "/v1/items/-", "/v1/items/+",
        "/v1/items/ 1", "/v1/items/0x10", "/v1/items/9223372036854775808",
        "/v1/items/-9223372036854775809", "/v1/items/99999999999999999999999"}) {
    Status s = Error(path);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(s.message().find("'id'"), std::string_view::npos) << s.message();
    EXPECT_NE(s.message().find("integer"), std::string_view::npos) << s.message();
  }
  for (const char* query : {"limit=x", "limit=", "limit", "limit=1e2", "limit=%20 5"}) {
    Status s = Error("/v1/items/1/reviews", query);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << query;
    EXPECT_NE(s.message().find("'limit'"), std::string_view::npos) << s.message();
  }
}

TEST_F(RouterTest, BoundsAreCheckedAndNamed) {
  Status low = Error("/v1/items/1/reviews", "limit=0");
  EXPECT_EQ(low.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(low.message(), "parameter 'limit' must be at least 1");
  Status high = Error("/v1/items/1/reviews", "limit=51");
  EXPECT_EQ(high.message(), "parameter 'limit' must be at most 50");
  EXPECT_EQ(Error("/v1/items/1/reviews", "limit=-3").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Error("/v1/items/1/reviews", "limit=1").ok());
  EXPECT_TRUE(Error("/v1/items/1/reviews", "limit=50").ok());
  EXPECT_TRUE(Error("/v1/categories/x/items", "limit=100").ok());
  EXPECT_EQ(Error("/v1/categories/x/items", "limit=101").message(),
            "parameter 'limit' must be at most 100");
}

TEST_F(RouterTest, UnknownAndRepeatedQueryParametersAreRefused) {
  Status typo = Error("/v1/items/1/reviews", "limt=5&foo=1");
  EXPECT_EQ(typo.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(typo.message().find("'limt'"), std::string_view::npos) << typo.message();
  EXPECT_NE(typo.message().find("'foo'"), std::string_view::npos) << typo.message();
  EXPECT_NE(typo.message().find("limit"), std::string_view::npos) << typo.message();
  Status none = Error("/v1/items/1", "x=1");
  EXPECT_EQ(none.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(none.message().find("'x'"), std::string_view::npos);
  // A path parameter cannot be given in the query string.
  EXPECT_EQ(Error("/v1/items/1/reviews", "id=2").code(), StatusCode::kInvalidArgument);
  Status twice = Error("/v1/items/1/reviews", "limit=5&limit=6");
  EXPECT_EQ(twice.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.message().find("more than once"), std::string_view::npos);
}

TEST_F(RouterTest, BadPercentEncodingIsInvalidArgument) {
  EXPECT_EQ(Error("/v1/categories/%zz/items").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Error("/v1/categories/abc%4/items").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Error("/v1/categories/abc%/items").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Error("/v1/items/1/reviews", "limit=%4").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Error("/v1/items/%G1").code(), StatusCode::kInvalidArgument);
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
  for (const char* path : {"", "/", "v1/items/1", "/v1/items", "/v1/items/", "/v1/items/1/",
                           "/v1/items//reviews", "/v1/items/1/reviewz", "/v1/categories//items",
                           "/v2/items/1", "/V1/items/1", "/v1/items/1/reviews/x"}) {
    EXPECT_EQ(Error(path).code(), StatusCode::kNotFound) << path;
    EXPECT_FALSE(router_->FindRoute(path)) << path;
  }
  EXPECT_EQ(router_->FindRoute("/v1/items/abc"), std::optional<size_t>(0));
  EXPECT_EQ(router_->FindRoute("/v1/items/1/reviews"), std::optional<size_t>(1));
}

TEST_F(RouterTest, MissingRequiredParameter) {
  ApiOptions o = CatalogApiOptions();
  o.endpoints.resize(1);
  o.endpoints[0].route = "/v1/search";
  o.endpoints[0].json_columns.clear();
  o.endpoints[0].query = "SELECT id FROM items WHERE category = :q AND id > :after";
  o.endpoints[0].params = {
      ParamSpec{"q", ParamType::kString, std::nullopt, 2, 5, 11},
      ParamSpec{"after", ParamType::kInt, "0", std::nullopt, std::nullopt, 12}};
  auto r = Router::Build(o, *store_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto missing = (*r)->Match("/v1/search", "after=3");
  EXPECT_EQ(missing.status().message(), "missing required parameter 'q'");
  auto m = (*r)->Match("/v1/search", "q=%C3%A9t&after=3");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->key, "/v1/search?after=3&q=%C3%A9t");  // sorted by name
  EXPECT_EQ(m->values, (std::vector<store::Value>{std::string("ét"), int64_t{3}}));
  EXPECT_EQ((*r)->Match("/v1/search", "q=a").status().message(),
            "parameter 'q' must be at least 2 bytes long");
  EXPECT_EQ((*r)->Match("/v1/search", "q=abcdef").status().message(),
            "parameter 'q' must be at most 5 bytes long");
  EXPECT_TRUE((*r)->Match("/v1/search", "q=").status().message().find("at least") !=
              std::string_view::npos);
}

TEST_F(RouterTest, ALiteralSegmentBeatsAParameter) {
  ApiOptions o = CatalogApiOptions();
  EndpointOptions special;
  special.route = "/v1/items/special";
  special.query = "SELECT id FROM items WHERE id = 1";
  special.line = 40;
  o.endpoints.push_back(special);
  auto r = Router::Build(o, *store_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->FindRoute("/v1/items/special"), std::optional<size_t>(3));
  EXPECT_EQ((*r)->FindRoute("/v1/items/7"), std::optional<size_t>(0));
  auto m = (*r)->Match("/v1/items/special", "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->key, "/v1/items/special");
  EXPECT_EQ((*r)->EndpointOfKey("/v1/items/special"), std::optional<size_t>(3));
}

TEST_F(RouterTest, MatchKeyParsesCanonicalKeysBack) {
  for (const char* key : {"/v1/items/42", "/v1/items/-5", "/v1/items/42/reviews?limit=10",
                          "/v1/categories/caf%C3%A9/items?limit=20"}) {
    auto m = router_->MatchKey(key);
    ASSERT_TRUE(m.ok()) << key << ": " << m.status().ToString();
    EXPECT_EQ(m->key, key);
  }
  auto m = router_->MatchKey("/v1/categories/a%20b/items?limit=3");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->endpoint, 2u);
  EXPECT_EQ(m->values, (std::vector<store::Value>{std::string("a b"), int64_t{3}}));
  for (const char* key :
       {"/v1/items/042", "/v1/items/+42", "/v1/items/42?", "/v1/items/42/reviews",
        "/v1/items/42/reviews?limit=010", "/v1/categories/caf%c3%a9/items?limit=20",
        "/v1/categories/a b/items?limit=20", "/v1/items/42/reviews?limit=10&"}) {
    auto bad = router_->MatchKey(key);
    EXPECT_FALSE(bad.ok()) << key;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(router_->MatchKey("/nope").status().code(), StatusCode::kNotFound);
}

TEST_F(RouterTest, KeysBelongToTheirEndpoint) {
  EXPECT_EQ(router_->EndpointOfKey("/v1/items/42"), std::optional<size_t>(0));
  EXPECT_EQ(router_->EndpointOfKey("/v1/items/42/reviews?limit=10"), std::optional<size_t>(1));
  EXPECT_EQ(router_->EndpointOfKey("/v1/categories/tools/items?limit=20"),
            std::optional<size_t>(2));
  EXPECT_EQ(router_->EndpointOfKey("/v9/x"), std::nullopt);
}

// Each refused config names the file and line and says what is wrong.
TEST_F(RouterTest, RefusesMalformedRoutes) {
  for (const char* route :
       {"v1/items/{id:int}", "/v1//items/{id:int}", "/v1/items/{id:int}/", "/v1/items/{id",
        "/v1/items/{id:float}", "/v1/items/{1d:int}", "/v1/items/{}", "/v1/it ems/{id:int}",
        "/v1/items/{id:int}?x=1", "/v1/../{id:int}", "/_shoal/{id:int}"}) {
    const std::string msg = BuildError([route](ApiOptions& o) { o.endpoints[0].route = route; });
    EXPECT_NE(msg.find("catalog.yaml:10: "), std::string::npos) << route << " -> " << msg;
  }
  EXPECT_NE(BuildError([](ApiOptions& o) {
              o.endpoints[0].route = "/v1/{id:float}";
            }).find("unknown parameter type"),
            std::string::npos);
}

TEST_F(RouterTest, RefusesDuplicateAndClashingParameters) {
  std::string msg =
      BuildError([](ApiOptions& o) { o.endpoints[0].route = "/v1/items/{id:int}/{id}"; });
  EXPECT_NE(msg.find("catalog.yaml:10: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate parameter 'id'"), std::string::npos) << msg;

  // A ParamSpec may name a route parameter (to bound it), but cannot give it a default, change
  // its type or name it twice.
  msg = BuildError([](ApiOptions& o) {
    o.endpoints[1].params.push_back(ParamSpec{"id", ParamType::kInt, "1", {}, {}, 23});
  });
  EXPECT_NE(msg.find("catalog.yaml:23: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("route parameter 'id' cannot have a default"), std::string::npos) << msg;
  msg = BuildError([](ApiOptions& o) {
    o.endpoints[1].params.push_back(ParamSpec{"id", ParamType::kString, {}, {}, 10, 23});
  });
  EXPECT_NE(msg.find("catalog.yaml:23: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("parameter 'id' is an int in the route"), std::string::npos) << msg;
  msg = BuildError([](ApiOptions& o) {
    o.endpoints[2].params.push_back(ParamSpec{"name", ParamType::kString, {}, {}, 10, 33});
    o.endpoints[2].params.push_back(ParamSpec{"name", ParamType::kString, {}, {}, 20, 34});
  });
  EXPECT_NE(msg.find("catalog.yaml:34: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate parameter 'name'"), std::string::npos) << msg;
  msg = BuildError([](ApiOptions& o) {
    o.endpoints[2].params.push_back(ParamSpec{"name", ParamType::kString, {}, {}, -1, 33});
  });
  EXPECT_NE(msg.find("cannot be negative"), std::string::npos) << msg;
  msg = BuildError([](ApiOptions& o) {
    o.endpoints[2].params.push_back(ParamSpec{"name", ParamType::kString, {}, 300, {}, 33});
  });
  EXPECT_NE(msg.find("catalog.yaml:33: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("min is greater than the default max (256 bytes"), std::string::npos) << msg;
  EXPECT_EQ(
      BuildError([](ApiOptions& o) {
        o.endpoints[2].params.push_back(ParamSpec{"name", ParamType::kString, {}, 300, 400, 33});
      }),
      "(built)");

  msg =
      BuildError([](ApiOptions& o) { o.endpoints[1].params.push_back(o.endpoints[1].params[0]); });
  EXPECT_NE(msg.find("catalog.yaml:22: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate parameter 'limit'"), std::string::npos) << msg;
}

TEST_F(RouterTest, RefusesQueryMarkersAndParametersThatDoNotMatch) {
  std::string msg = BuildError([](ApiOptions& o) {
    o.endpoints[0].query = "SELECT id FROM items WHERE id = :id AND stock > :min_stock";
  });
  EXPECT_NE(msg.find("catalog.yaml:10: "), std::string::npos) << msg;
  EXPECT_NE(msg.find(":min_stock"), std::string::npos) << msg;

  msg = BuildError([](ApiOptions& o) {
    o.endpoints[2].params.push_back(ParamSpec{"offset", ParamType::kInt, "0", 0, {}, 33});
  });
  EXPECT_NE(msg.find("catalog.yaml:33: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("'offset' is not used by the query"), std::string::npos) << msg;

  msg = BuildError([](ApiOptions& o) { o.endpoints[0].route = "/v1/items/{id:int}/{extra}"; });
  EXPECT_NE(msg.find("catalog.yaml:10: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("'extra' is not used"), std::string::npos) << msg;
}

TEST_F(RouterTest, RefusesJsonColumnsOutsideTheResult) {
  const std::string msg = BuildError([](ApiOptions& o) { o.endpoints[0].json_columns = {"tagz"}; });
  EXPECT_NE(msg.find("catalog.yaml:10: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("json column 'tagz'"), std::string::npos) << msg;
}

TEST_F(RouterTest, RefusesDuplicateRoutes) {
  std::string msg = BuildError([](ApiOptions& o) {
    o.endpoints[2].route = "/v1/items/{id:int}";
    o.endpoints[2].query = "SELECT id FROM items WHERE id = :id";
    o.endpoints[2].params.clear();
  });
  EXPECT_NE(msg.find("catalog.yaml:30: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("catalog.yaml:10"), std::string::npos) << msg;
  // Same shape with other parameter names and types is the same route.
  msg = BuildError([](ApiOptions& o) {
    o.endpoints[2].route = "/v1/items/{name}";
    o.endpoints[2].params.clear();
    o.endpoints[2].query = "SELECT id FROM items WHERE category = :name";
  });
  EXPECT_NE(msg.find("duplicates"), std::string::npos) << msg;
}

TEST_F(RouterTest, RefusesBadDefaultsAndBounds) {
  std::string msg =
      BuildError([](ApiOptions& o) { o.endpoints[1].params[0].default_value = "ten"; });
  EXPECT_NE(msg.find("catalog.yaml:22: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("integer"), std::string::npos) << msg;

  msg = BuildError([](ApiOptions& o) { o.endpoints[1].params[0].default_value = "51"; });
  EXPECT_NE(msg.find("catalog.yaml:22: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("at most 50"), std::string::npos) << msg;

  msg = BuildError([](ApiOptions& o) { o.endpoints[1].params[0].min = 60; });
  EXPECT_NE(msg.find("catalog.yaml:22: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("min is greater than max"), std::string::npos) << msg;

  // A string default obeys the default maximum length and UTF-8 like a request's value.
  msg = BuildError([](ApiOptions& o) {
    o = WithStringQueryParam();
    o.max_string_param = 4;
    o.endpoints[3].params[1].default_value = "tools";
  });
  EXPECT_NE(msg.find("catalog.yaml:40: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("at most 4 bytes"), std::string::npos) << msg;
  msg = BuildError([](ApiOptions& o) {
    o = WithStringQueryParam();
    o.endpoints[3].params[1].default_value = "\xff";
  });
  EXPECT_NE(msg.find("valid UTF-8"), std::string::npos) << msg;

  msg = BuildError([](ApiOptions& o) { o.endpoints[0].ttl = Duration::zero(); });
  EXPECT_NE(msg.find("ttl"), std::string::npos) << msg;
}

TEST_F(RouterTest, IncludesTheStoresMessageWhenAQueryDoesNotPrepare) {
  std::string msg = BuildError(
      [](ApiOptions& o) { o.endpoints[0].query = "SELECT nope FROM items WHERE id = :id"; });
  EXPECT_NE(msg.find("catalog.yaml:10: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("nope"), std::string::npos) << msg;
  msg = BuildError([](ApiOptions& o) {
    o.config_file.clear();
    o.endpoints[1].query = "DELETE FROM items";
  });
  EXPECT_NE(msg.find("line 20: "), std::string::npos) << msg;
}

}  // namespace
}  // namespace shoal::api

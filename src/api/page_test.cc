// Tests for keyset pagination (page.h) and its cursors (cursor.h): cursors round-trip and
// refuse every alteration, another endpoint's and another key's; the page config is checked
// with file:line; the router keys and binds pages; a load cuts a page and makes its Link, and
// refuses rows not ordered by `by`. Over a real SqliteStore on the test catalog.
#include "api/page.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/cursor.h"
#include "api/router.h"
#include "api/router_diff.h"
#include "api/test_catalog.h"
#include "base/base64.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api {
namespace {

using testing::CatalogApiOptions;
using testing::TestCatalog;

TEST(Base64UrlTest, RoundTripsEveryLengthAndRefusesOtherText) {
  std::string data;
  for (int n = 0; n < 40; ++n) {
    std::string text;
    AppendBase64Url(text, data);
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos) << text;
    std::string back;
    ASSERT_TRUE(DecodeBase64Url(text, &back)) << text;
    EXPECT_EQ(back, data);
    data.push_back(static_cast<char>(n * 37 + 250));
  }
  std::string out;
  std::string enc;
  AppendBase64Url(enc, "\xfb\xff");
  EXPECT_EQ(enc, "-_8");
  EXPECT_FALSE(DecodeBase64Url("ab+c", &out));  // the standard alphabet's characters
  EXPECT_FALSE(DecodeBase64Url("ab/c", &out));
  EXPECT_FALSE(DecodeBase64Url("YQ==", &out));   // padding
  EXPECT_FALSE(DecodeBase64Url("abcde", &out));  // 4k + 1 characters
  EXPECT_FALSE(DecodeBase64Url("YR", &out));     // leftover bits set: "YQ" is the encoding
  EXPECT_TRUE(DecodeBase64Url("YQ", &out));
  EXPECT_EQ(out, "a");
}

const CursorKey& KeyA() {
  static const CursorKey kKey = CursorKey::Derive("a-secret-of-sixteen-or-more");
  return kKey;
}

TEST(CursorTest, RoundTripsIntsAndStrings) {
  for (const CursorValue& v :
       {CursorValue(int64_t{0}), CursorValue(int64_t{-1}), CursorValue(INT64_MIN),
        CursorValue(INT64_MAX), CursorValue(std::string()), CursorValue(std::string("b&c=d/é")),
        CursorValue(std::string(kMaxCursorValue, 'x'))}) {
    const std::string c = EncodeCursor(KeyA(), "/v1/r", v);
    EXPECT_LE(c.size(), kMaxCursorText);
    Result<CursorValue> back = DecodeCursor(KeyA(), "/v1/r", c);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, v);
  }
  // The same key derived again (another node, a restart) reads it.
  const std::string c = EncodeCursor(KeyA(), "/v1/r", int64_t{42});
  EXPECT_TRUE(DecodeCursor(CursorKey::Derive("a-secret-of-sixteen-or-more"), "/v1/r", c).ok());
}

TEST(CursorTest, EveryAlteredCharacterIsRefused) {
  const std::string c = EncodeCursor(KeyA(), "/v1/r", std::string("review-0042"));
  int refused = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    for (char ch : {'A', 'z', '-', '_', '0'}) {
      if (c[i] == ch) continue;
      std::string t = c;
      t[i] = ch;
      Result<CursorValue> r = DecodeCursor(KeyA(), "/v1/r", t);
      ASSERT_FALSE(r.ok()) << "altered at " << i;
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      ++refused;
    }
  }
  EXPECT_GT(refused, 4 * static_cast<int>(c.size()));
  EXPECT_FALSE(DecodeCursor(KeyA(), "/v1/r", c.substr(0, c.size() - 1)).ok());
  EXPECT_FALSE(DecodeCursor(KeyA(), "/v1/r", c + "A").ok());
  EXPECT_FALSE(DecodeCursor(KeyA(), "/v1/r", "").ok());
  EXPECT_FALSE(DecodeCursor(KeyA(), "/v1/r", "not a cursor").ok());
  EXPECT_FALSE(DecodeCursor(KeyA(), "/v1/r", std::string(4000, 'A')).ok());
}

TEST(CursorTest, AnotherEndpointsOrAnotherKeysCursorIsRefused) {
  const std::string c = EncodeCursor(KeyA(), "/v1/items/{id:int}/reviews", int64_t{7});
  EXPECT_TRUE(DecodeCursor(KeyA(), "/v1/items/{id:int}/reviews", c).ok());
  EXPECT_FALSE(DecodeCursor(KeyA(), "/v1/items/{id:int}/reviewz", c).ok());
  EXPECT_FALSE(DecodeCursor(KeyA(), "/v1/categories/{name}/items", c).ok());
  EXPECT_FALSE(
      DecodeCursor(CursorKey::Derive("another-secret-of-sixteen"), "/v1/items/{id:int}/reviews", c)
          .ok());
  EXPECT_FALSE(DecodeCursor(CursorKey::ProcessRandom(), "/v1/items/{id:int}/reviews", c).ok());
  // The process key is one key for the whole process.
  EXPECT_EQ(CursorKey::ProcessRandom().bytes, CursorKey::ProcessRandom().bytes);
}

TEST(NextTargetTest, ReplacesTheCursorOnly) {
  EXPECT_EQ(NextTarget("/v1/items/5/reviews?cursor=&limit=20", "AbC"),
            "/v1/items/5/reviews?cursor=AbC&limit=20");
  EXPECT_EQ(NextTarget("/v1/x?a=%20b&cursor=old&limit=3&z=1", "new"),
            "/v1/x?a=%20b&cursor=new&limit=3&z=1");
}

// PagedOptions is the catalog with its reviews endpoint paged by review_id (line 40).
ApiOptions PagedOptions() {
  ApiOptions o = CatalogApiOptions();
  o.cursor_secret = "a-secret-of-sixteen-or-more";
  EndpointOptions e;
  e.route = "/v2/items/{id:int}/reviews";
  e.query =
      "SELECT review_id, author, stars FROM reviews WHERE item_id = :id AND review_id > :after "
      "ORDER BY review_id LIMIT :limit";
  e.result = ResultShape::kMany;
  e.line = 40;
  PageOptions page;
  page.by = "review_id";
  page.size = 2;
  page.max = 5;
  page.line = 42;
  e.page = page;
  o.endpoints.push_back(e);
  return o;
}

class PageRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(catalog_.error(), "");
    store_ = catalog_.OpenStore(/*threads=*/1, /*queue_limit=*/64);
    ASSERT_NE(store_, nullptr);
  }

  std::string BuildError(const std::function<void(EndpointOptions&)>& edit) {
    ApiOptions o = PagedOptions();
    edit(o.endpoints.back());
    auto r = Router::Build(o, *store_);
    if (r.ok()) return "(built)";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  }

  TestCatalog catalog_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(PageRouterTest, ConfigErrorsNameFileAndLine) {
  EXPECT_EQ(BuildError([](EndpointOptions&) {}), "(built)");
  EXPECT_EQ(BuildError([](EndpointOptions& e) { e.page->by = "rating"; }),
            "catalog.yaml:42: endpoint '/v2/items/{id:int}/reviews': page.by: 'rating' is not a "
            "result column of the query (review_id, author, stars)");
  EXPECT_EQ(BuildError([](EndpointOptions& e) { e.page->size = 6; }),
            "catalog.yaml:42: endpoint '/v2/items/{id:int}/reviews': page.size: 6 is above "
            "page.max (5)");
  EXPECT_EQ(BuildError([](EndpointOptions& e) { e.result = ResultShape::kOne; }),
            "catalog.yaml:42: endpoint '/v2/items/{id:int}/reviews': page: only an endpoint of "
            "result: many can be paged");
  EXPECT_EQ(BuildError([](EndpointOptions& e) { e.max_rows = 5; }),
            "catalog.yaml:42: endpoint '/v2/items/{id:int}/reviews': page.max: 5 must be below "
            "max_rows (5): a page reads one row more than it sends");
  EXPECT_EQ(BuildError([](EndpointOptions& e) {
              e.query = "SELECT review_id FROM reviews WHERE item_id = :id LIMIT :limit";
            }),
            "catalog.yaml:42: endpoint '/v2/items/{id:int}/reviews': page: the query must use "
            ":after and :limit (e.g. `AND review_id > :after ORDER BY review_id LIMIT "
            ":limit`); it uses :limit only");
  EXPECT_EQ(BuildError([](EndpointOptions& e) {
              e.params.push_back(ParamSpec{"limit", ParamType::kInt, "10", 1, 50, 44});
            }),
            "catalog.yaml:44: endpoint '/v2/items/{id:int}/reviews': parameter 'limit' is "
            "reserved on a paged endpoint (page: limit, cursor and :after are shoal's)");
  EXPECT_EQ(BuildError([](EndpointOptions& e) {
              e.page->type = ParamType::kString;
              e.page->descending = true;
            }),
            "catalog.yaml:42: endpoint '/v2/items/{id:int}/reviews': page.start: a string `by` "
            "in descending order needs the value the first page starts below (no string is "
            "greater than every other)");
  EXPECT_EQ(BuildError([](EndpointOptions& e) { e.page->start = "x1"; }),
            "catalog.yaml:42: endpoint '/v2/items/{id:int}/reviews': page.start: expected an "
            "integer (int64)");
}

TEST_F(PageRouterTest, KeysCarryCursorAndLimitAndBindAfterAndLimitPlusOne) {
  auto built = Router::Build(PagedOptions(), *store_);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const Router& router = **built;
  auto first = router.Match("/v2/items/1/reviews", "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->key, "/v2/items/1/reviews?cursor=&limit=2");
  EXPECT_EQ(first->page_limit, 2);
  EXPECT_EQ(first->values,
            (std::vector<store::Value>{int64_t{1}, INT64_MIN, int64_t{3}}));  // id, after, limit+1

  const std::string c = EncodeCursor(KeyA(), "/v2/items/{id:int}/reviews", int64_t{2});
  auto next = router.Match("/v2/items/1/reviews", "limit=5&cursor=" + c);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->key, "/v2/items/1/reviews?cursor=" + c + "&limit=5");
  EXPECT_EQ(next->values, (std::vector<store::Value>{int64_t{1}, int64_t{2}, int64_t{6}}));
  auto again = router.MatchKey(next->key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->values, next->values);

  // Bad requests are 400s naming the parameter.
  for (const std::string& q :
       {std::string("limit=6"), std::string("limit=0"), std::string("limit=x"),
        "cursor=" + c.substr(1), "cursor=" + EncodeCursor(KeyA(), "/other", int64_t{2}),
        "cursor=" + EncodeCursor(KeyA(), "/v2/items/{id:int}/reviews", std::string("a string"))}) {
    auto m = router.Match("/v2/items/1/reviews", q);
    ASSERT_FALSE(m.ok()) << q;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument) << q;
  }
  // Without binding (the hit path's key), the cursor is not checked: the key just differs.
  std::string key;
  EXPECT_TRUE(router.KeyFor(3, "/v2/items/1/reviews", "cursor=zzzz", &key).ok());
}

// A reload that changes the cursor key or the page options drops the endpoint's pages: their
// Links would lead to 400s (another key) or to other rows.
TEST_F(PageRouterTest, AReloadWithAnotherKeyOrPageDropsThePages) {
  auto before = Router::Build(PagedOptions(), *store_);
  ASSERT_TRUE(before.ok());
  auto same = Router::Build(PagedOptions(), *store_);
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(DiffEndpoints(**before, **same).purge_groups.empty());
  ApiOptions rekeyed = PagedOptions();
  rekeyed.cursor_secret = "another-secret-of-sixteen";
  auto after = Router::Build(rekeyed, *store_);
  ASSERT_TRUE(after.ok());
  EndpointDiff d = DiffEndpoints(**before, **after);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0],
            "endpoint /v2/items/{id:int}/reviews answer changed (page): entries dropped");
  EXPECT_EQ(d.purge_groups, std::vector<uint32_t>{(*before)->endpoint(3).group});
  ApiOptions restarted = PagedOptions();
  restarted.endpoints.back().page->start = "1";
  auto later = Router::Build(restarted, *store_);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(DiffEndpoints(**before, **later).purge_groups.size(), 1u);
}

store::Rows ReviewRows(const std::vector<int64_t>& ids) {
  store::Rows rows;
  rows.columns = {"review_id", "author"};
  for (int64_t id : ids) rows.rows.push_back({id, std::string("a")});
  return rows;
}

TEST_F(PageRouterTest, CutPageKeepsLimitRowsAndLinksToTheNextPage) {
  auto built = Router::Build(PagedOptions(), *store_);
  ASSERT_TRUE(built.ok());
  const EndpointInfo& info = (*built)->endpoint(3);
  ASSERT_TRUE(info.page);
  const std::string key = "/v2/items/1/reviews?cursor=&limit=2";
  Result<PageCut> full = CutPage(*info.page, info.route, key, ReviewRows({1, 2, 3}), 2);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(full->rows, 2u);
  const std::string c = EncodeCursor(KeyA(), info.route, int64_t{2});
  EXPECT_EQ(full->link, "Link: </v2/items/1/reviews?cursor=" + c + "&limit=2>; rel=\"next\"\r\n");

  Result<PageCut> last = CutPage(*info.page, info.route, key, ReviewRows({1, 2}), 2);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->rows, 2u);
  EXPECT_EQ(last->link, "");
  Result<PageCut> empty = CutPage(*info.page, info.route, key, ReviewRows({}), 2);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->rows, 0u);
  EXPECT_EQ(empty->link, "");

  // Rows not strictly increasing in `by` (a query that does not sort by it, or a `by` that is
  // not unique) are the operator's fault.
  for (const std::vector<int64_t>& ids :
       {std::vector<int64_t>{2, 1, 3}, std::vector<int64_t>{1, 1}, std::vector<int64_t>{1, 2, 2}}) {
    Result<PageCut> bad = CutPage(*info.page, info.route, key, ReviewRows(ids), 2);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  }
  store::Rows strings;
  strings.columns = {"review_id", "author"};
  strings.rows.push_back({std::string("1"), std::string("a")});
  EXPECT_EQ(CutPage(*info.page, info.route, key, strings, 2).status().code(),
            StatusCode::kInternal);
}

}  // namespace
}  // namespace shoal::api

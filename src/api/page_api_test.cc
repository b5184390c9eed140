// The Api over a paged endpoint (page.h): a walk page by page answers every row once, in
// order, each page's Link leads to the next and the last has none; a page asked again is a
// hit that carries its Link from the entry and allocates nothing; a tampered cursor is a 400
// with a JSON body and starts no load. Over the real SQLite test catalog.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/cursor.h"
#include "api/test_api_fixture.h"
#include "base/test_allocations.h"

namespace shoal::api::testing {
namespace {

class PagedApiTest : public ApiTest {
 protected:
  ApiOptions Options() const override {
    ApiOptions o = CatalogApiOptions();
    o.cursor_secret = "a-secret-of-sixteen-or-more";
    EndpointOptions e;
    e.route = "/v2/items/{id:int}/reviews";
    e.query =
        "SELECT review_id, stars FROM reviews WHERE item_id = :id AND review_id > :after "
        "ORDER BY review_id LIMIT :limit";
    e.result = ResultShape::kMany;
    e.ttl = std::chrono::seconds(60);
    e.line = 40;
    PageOptions page;
    page.by = "review_id";
    page.size = 2;
    page.max = 5;
    e.page = page;
    o.endpoints.push_back(e);
    return o;
  }

  // NextOf returns the target in a `Link: <TARGET>; rel="next"` line, "" when there is none.
  static std::string NextOf(std::string_view lines) {
    constexpr std::string_view kPrefix = "Link: <";
    constexpr std::string_view kSuffix = ">; rel=\"next\"\r\n";
    if (lines.empty()) return "";
    EXPECT_TRUE(lines.starts_with(kPrefix) && lines.ends_with(kSuffix)) << lines;
    return std::string(
        lines.substr(kPrefix.size(), lines.size() - kPrefix.size() - kSuffix.size()));
  }
};

TEST_F(PagedApiTest, AWalkAnswersEveryRowOnceAndEachPageAgainIsAHitWithItsLink) {
  std::string target = "/v2/items/1/reviews?limit=1";
  std::vector<std::string> bodies;
  for (int pages = 0; !target.empty(); ++pages) {
    ASSERT_LT(pages, 10) << "the walk does not end";
    const size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    const Reply first = Get(path, query);
    ASSERT_EQ(first.response.status, 200) << first.body();
    EXPECT_EQ(first.response.cache_status, "MISS");
    const Reply again = Get(path, query);
    EXPECT_EQ(again.response.cache_status, "HIT");
    EXPECT_EQ(again.body(), first.body());
    EXPECT_EQ(again.response.entry_headers, first.response.entry_headers);
    bodies.emplace_back(first.body());
    target = NextOf(first.response.entry_headers);
  }
  // Item 1 has reviews 1, 2, 3: three pages of one, the last without a Link.
  EXPECT_EQ(bodies, (std::vector<std::string>{R"([{"review_id":1,"stars":5}])",
                                              R"([{"review_id":2,"stars":3}])",
                                              R"([{"review_id":3,"stars":1}])"}));
  // Two to a page: the second page is short, so it is the last.
  const Reply two = Get("/v2/items/1/reviews");
  EXPECT_EQ(two.body(), R"([{"review_id":1,"stars":5},{"review_id":2,"stars":3}])");
  const std::string next = NextOf(two.response.entry_headers);
  ASSERT_FALSE(next.empty());
  const Reply rest = Get("/v2/items/1/reviews", next.substr(next.find('?') + 1));
  EXPECT_EQ(rest.body(), R"([{"review_id":3,"stars":1}])");
  EXPECT_EQ(rest.response.entry_headers, "");
}

TEST_F(PagedApiTest, ATamperedOrForeignCursorIsA400AndNoLoad) {
  const Reply first = Get("/v2/items/1/reviews", "limit=1");
  std::string next = NextOf(first.response.entry_headers);
  ASSERT_FALSE(next.empty());
  const size_t at = next.find("cursor=") + 7;
  next[at] = next[at] == 'A' ? 'B' : 'A';
  const uint64_t loads = read_through_->Stats().loads;
  const Reply bad = Get("/v2/items/1/reviews", next.substr(next.find('?') + 1));
  EXPECT_EQ(bad.response.status, 400);
  EXPECT_NE(bad.body().find("\"error\":\"parameter 'cursor' is not a valid cursor"),
            std::string_view::npos)
      << bad.body();
  EXPECT_FALSE(bad.deferred);
  const std::string foreign = EncodeCursor(CursorKey::Derive("another-secret-of-sixteen"),
                                           "/v2/items/{id:int}/reviews", int64_t{1});
  EXPECT_EQ(Get("/v2/items/1/reviews", "cursor=" + foreign).response.status, 400);
  EXPECT_EQ(read_through_->Stats().loads, loads);
  EXPECT_EQ(Get("/v2/items/1/reviews", "limit=6").response.status, 400);
}

#if defined(SHOAL_COUNT_ALLOCATIONS)
TEST_F(PagedApiTest, AHitOnAPageWithALinkAllocatesNothing) {
  ASSERT_FALSE(Get("/v2/items/1/reviews", "limit=1").response.entry_headers.empty());
  http::Request req;
  req.method = http::Method::kGet;
  req.path = "/v2/items/1/reviews";
  req.query = "limit=1";
  SinkExchange ex;
  uint64_t allocations = 0;
  {
    const ::shoal::testing::CountThisThread counter;
    api_->Handle(req, ex);
    allocations = counter.count();
  }
  EXPECT_EQ(ex.response.cache_status, "HIT");
  EXPECT_FALSE(ex.response.entry_headers.empty());
  EXPECT_EQ(allocations, 0u);
}
#endif

}  // namespace
}  // namespace shoal::api::testing

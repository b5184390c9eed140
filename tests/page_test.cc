// Process tests of keyset pagination (`page:` on an endpoint, src/api/page.h) over a real
// SQLite catalog: walking a listing by its Link headers answers every row exactly once, in
// order, the last page has no Link, and every page asked again is a HIT with the same Link;
// ascending and descending int keys and a string key alike. A tampered cursor is a 400 with a
// JSON body, and so is a limit over page.max. With cursor_secret_env, a cursor made before a
// restart still works after it; without any secret the log says cursors are node-local.
//
// The oracle is the database itself (catalog_db.h).
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog_db.h"
#include "catalog_suite.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

namespace json = boost::json;

constexpr int kItems = 1500;
constexpr char kSecretVar[] = "SHOAL_PAGE_TEST_CURSOR_SECRET";

// kPagedEndpoints are appended to the example config's endpoints.
constexpr char kPagedEndpoints[] = R"yaml(
  - route: /v2/categories/{name}/items
    query: >-
      SELECT id, title FROM items WHERE category = :name AND id > :after
      ORDER BY id LIMIT :limit
    result: many
    ttl: 60s
    page: { by: id, size: 20, max: 100 }
  - route: /v2/categories/{name}/items-newest
    query: >-
      SELECT id, title FROM items WHERE category = :name AND id < :after
      ORDER BY id DESC LIMIT :limit
    result: many
    ttl: 60s
    page: { by: id, size: 20, max: 100, order: desc }
  - route: /v2/skus
    query: SELECT sku, id FROM items WHERE sku > :after ORDER BY sku LIMIT :limit
    result: many
    ttl: 60s
    page: { by: sku, type: string, size: 100, max: 500 }
)yaml";

class PageTest : public CatalogSuite<kItems> {
 protected:
  void Start(bool with_secret) {
    ASSERT_NE(dir_, nullptr);
    Result<std::string> config = ExampleConfig(db_);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    std::string text = *config + kPagedEndpoints;
    if (with_secret) {
      // NOLINTNEXTLINE(concurrency-mt-unsafe): set before the child starts, on the test thread.
      ASSERT_EQ(setenv(kSecretVar, "a-page-test-secret-of-some-length", 1), 0);
      text = std::string("cursor_secret_env: ") + kSecretVar + "\n" + text;
    }
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(dir_->Write("shoal.yaml", text));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(p).value();
  }

  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop(), 0) << server_->Output();
    }
  }

  HttpResponse Fetch(std::string_view target) {
    Result<HttpClient> c = HttpClient::Connect(server_->port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Get(target);
    EXPECT_TRUE(r.ok()) << target << ": " << r.status().ToString();
    return r.ok() ? std::move(r).value() : HttpResponse{};
  }

  // NextOf is the target of a `<TARGET>; rel="next"` Link value; "" when there is none.
  static std::string NextOf(const HttpResponse& r) {
    const std::string link = r.Header("Link");
    if (link.empty()) return "";
    EXPECT_TRUE(link.starts_with("<") && link.ends_with(">; rel=\"next\"")) << link;
    return link.substr(1, link.find('>') - 1);
  }

  // Walk follows the Link headers from `first` to the end, asking every page twice (the
  // second time must be a HIT with the same body and Link), and returns the rows in order.
  json::array Walk(const std::string& first, size_t* pages) {
    json::array rows;
    std::string target = first;
    *pages = 0;
    while (!target.empty()) {
      SCOPED_TRACE(target);
      if (*pages > 1000) {
        ADD_FAILURE() << "the walk does not end";
        break;
      }
      const HttpResponse r = Fetch(target);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      EXPECT_EQ(r.Header("X-Cache"), "MISS");
      const HttpResponse again = Fetch(target);
      EXPECT_EQ(again.Header("X-Cache"), "HIT");
      EXPECT_EQ(again.body, r.body);
      EXPECT_EQ(again.Header("Link"), r.Header("Link"));
      Result<json::value> v = ParseJson(r.body);
      EXPECT_TRUE(v.ok() && v->is_array()) << r.body;
      if (!v.ok() || !v->is_array()) break;
      for (const json::value& row : v->as_array()) rows.push_back(row);
      ++*pages;
      const std::string next = NextOf(r);
      // Only a full page has a next one; a page that is not full is the last.
      if (!next.empty()) {
        EXPECT_FALSE(v->as_array().empty());
      }
      target = next;
    }
    return rows;
  }

  static json::array Rows(std::string_view sql, const std::vector<SqlValue>& binds = {}) {
    Result<json::array> rows = QueryJson(db_, sql, binds);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::move(rows).value() : json::array();
  }

  // BusiestCategory is the category with the most items (several pages of 7).
  static std::string BusiestCategory() {
    const json::array c =
        Rows("SELECT category, count(*) AS n FROM items GROUP BY category ORDER BY n DESC LIMIT 1");
    return c.empty() ? "" : std::string(c[0].at("category").as_string());
  }

  static void ExpectJsonError(const HttpResponse& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    Result<json::value> v = ParseJson(r.body);
    ASSERT_TRUE(v.ok() && v->is_object()) << r.body;
    EXPECT_EQ(v->as_object().at("status"), json::value(status)) << r.body;
    EXPECT_TRUE(v->as_object().at("error").is_string()) << r.body;
  }

  std::unique_ptr<ShoalProcess> server_;
};

TEST_F(PageTest, WalkingByLinksAnswersEveryRowOnceInOrderAndEachPageIsCached) {
  Start(/*with_secret=*/true);
  ASSERT_NE(server_, nullptr);
  const std::string category = BusiestCategory();
  ASSERT_FALSE(category.empty());
  const json::array want =
      Rows("SELECT id, title FROM items WHERE category = ?1 ORDER BY id", {category});
  ASSERT_GT(want.size(), 30u) << "the walk should take several pages";

  size_t pages = 0;
  const json::array got = Walk("/v2/categories/" + category + "/items?limit=7", &pages);
  EXPECT_EQ(got, want);
  // A page reads one row more than it sends, so there is no empty page at the end.
  EXPECT_EQ(pages, (want.size() + 6) / 7);

  // The default size (20), newest first.
  json::array newest =
      Rows("SELECT id, title FROM items WHERE category = ?1 ORDER BY id DESC", {category});
  const json::array got_newest = Walk("/v2/categories/" + category + "/items-newest", &pages);
  EXPECT_EQ(got_newest, newest);
  EXPECT_EQ(pages, (newest.size() + 19) / 20);

  // A string key: every SKU of the catalog, 100 at a time.
  const json::array skus = Rows("SELECT sku, id FROM items ORDER BY sku");
  ASSERT_EQ(skus.size(), static_cast<size_t>(kItems));
  EXPECT_EQ(Walk("/v2/skus", &pages), skus);
  EXPECT_EQ(pages, static_cast<size_t>(kItems) / 100);  // 15 full pages, the last without a Link
}

TEST_F(PageTest, ATamperedCursorOrATooLargeLimitIsA400WithAJsonBody) {
  Start(/*with_secret=*/true);
  ASSERT_NE(server_, nullptr);
  const std::string category = BusiestCategory();
  const HttpResponse first = Fetch("/v2/categories/" + category + "/items");
  ASSERT_EQ(first.status, 200) << first.body;
  std::string next = NextOf(first);
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(Fetch(next).status, 200);

  std::string tampered = next;
  const size_t at = tampered.find("cursor=") + 7;
  tampered[at + 2] = tampered[at + 2] == 'x' ? 'y' : 'x';
  ExpectJsonError(Fetch(tampered), 400);
  // Another endpoint's cursor.
  const std::string other = NextOf(Fetch("/v2/categories/" + category + "/items-newest"));
  ASSERT_FALSE(other.empty());
  const std::string foreign = next.substr(0, at) + other.substr(other.find("cursor=") + 7);
  ExpectJsonError(Fetch(foreign), 400);
  ExpectJsonError(Fetch("/v2/categories/" + category + "/items?cursor=%%%"), 400);
  ExpectJsonError(Fetch("/v2/categories/" + category + "/items?limit=101"), 400);
  ExpectJsonError(Fetch("/v2/categories/" + category + "/items?limit=0"), 400);
  // The server is fine afterwards.
  EXPECT_EQ(Fetch(next).Header("X-Cache"), "HIT");
}

TEST_F(PageTest, WithASecretACursorOutlivesARestart) {
  Start(/*with_secret=*/true);
  ASSERT_NE(server_, nullptr);
  EXPECT_EQ(server_->Output().find("random key"), std::string::npos) << server_->Output();
  const std::string category = BusiestCategory();
  const std::string next = NextOf(Fetch("/v2/categories/" + category + "/items?limit=5"));
  ASSERT_FALSE(next.empty());
  const HttpResponse before = Fetch(next);
  ASSERT_EQ(before.status, 200);
  ASSERT_EQ(server_->Stop(), 0) << server_->Output();
  server_.reset();

  Start(/*with_secret=*/true);
  ASSERT_NE(server_, nullptr);
  const HttpResponse after = Fetch(next);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.Header("X-Cache"), "MISS");  // a new process: loaded again, same answer
  EXPECT_EQ(after.body, before.body);
}

TEST_F(PageTest, WithoutASecretCursorsDieAtARestartAndTheLogSaysSo) {
  Start(/*with_secret=*/false);
  ASSERT_NE(server_, nullptr);
  EXPECT_TRUE(server_->WaitForOutput("random key of this process", std::chrono::seconds(5)))
      << server_->Output();
  const std::string category = BusiestCategory();
  const std::string next = NextOf(Fetch("/v2/categories/" + category + "/items?limit=5"));
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(Fetch(next).status, 200);
  ASSERT_EQ(server_->Stop(), 0) << server_->Output();
  server_.reset();

  Start(/*with_secret=*/false);
  ASSERT_NE(server_, nullptr);
  ExpectJsonError(Fetch(next), 400);
}

}  // namespace
}  // namespace shoal::testing

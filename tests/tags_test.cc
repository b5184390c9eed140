// Process tests of tags (surrogate keys) and soft purge on one node (issue 17, items 1 and 2):
// a real shoal over a real SQLite catalog. Tags come from route parameters, query parameters
// and result rows; POST /_shoal/purge by tag removes exactly the entries carrying it (the
// others stay HIT) and says how many; a soft purge serves the stale answer at once while one
// store query refreshes it, however many clients ask; bad purge bodies are 400 with a JSON
// body; a template naming an unknown parameter or column is a config error naming file:line;
// an answer with more tags than cache.max_tags_per_entry is served but never cached.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog_db.h"
#include "catalog_suite.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

constexpr std::string_view kToken = "an-admin-token-of-some-length";

// The endpoints: items tagged by their id (a route parameter) and their category (a row),
// reviews by the item and the limit (a query parameter), a category listing by the category
// and every item it shows (rows).
constexpr std::string_view kConfig = R"(listen: 127.0.0.1:0
store:
  sqlite: { path: "DB" }
  timeout: 2s
cache:
  memory: 64MiB
  grace: 5m
  max_tags_per_entry: 30
http: { debug_headers: DEBUG }
admin: { token: TOKEN }
metrics: { cache: 0s }
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id, title, category FROM items WHERE id = :id
    result: one
    ttl: 60s
    tags: ["item:{id}", "category:{row.category}"]
  - route: /v1/items/{id:int}/reviews
    query: >-
      SELECT review_id, author FROM reviews WHERE item_id = :id
      ORDER BY review_id DESC LIMIT :limit
    params:
      limit: { type: int, default: 10, min: 1, max: 50 }
    result: many
    ttl: 60s
    tags: ["item:{id}", "reviews-limit:{limit}"]
  - route: /v1/categories/{name}/items
    query: SELECT id, title FROM items WHERE category = :name ORDER BY id LIMIT :limit
    params:
      limit: { type: int, default: 20, min: 1, max: 100 }
    result: many
    ttl: 60s
    tags: ["category:{name}", "item:{row.id}"]
)";

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

int LineOf(std::string_view text, std::string_view needle) {
  const size_t at = text.find(needle);
  if (at == std::string_view::npos) return 0;
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

class TagsTest : public CatalogSuite<300> {
 protected:
  static std::string ConfigText(bool debug = true, int max_tags = 30) {
    std::string t = Replace(std::string(kConfig), "\"DB\"", "\"" + db_ + "\"");
    t = Replace(t, "TOKEN", kToken);
    t = Replace(t, "max_tags_per_entry: 30", "max_tags_per_entry: " + std::to_string(max_tags));
    return Replace(t, "DEBUG", debug ? "true" : "false");
  }

  void Start(bool debug = true, int max_tags = 30) {
    Result<std::unique_ptr<ShoalProcess>> s =
        ShoalProcess::Serve(dir_->Write("tags.yaml", ConfigText(debug, max_tags)));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    node_ = std::move(s).value();
  }
  void TearDown() override {
    if (node_) {
      EXPECT_EQ(node_->Stop(), 0) << node_->Output();
    }
  }

  HttpResponse Get(const std::string& target) {
    Result<HttpClient> c = HttpClient::Connect(node_->port());
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Get(target);
    EXPECT_TRUE(r.ok()) << target;
    return r.ok() ? *r : HttpResponse{};
  }
  std::string XCache(const std::string& target) { return Get(target).Header("X-Cache"); }

  HttpResponse Purge(const std::string& body) {
    Result<HttpClient> c = HttpClient::Connect(node_->port());
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    const std::string req =
        "POST /_shoal/purge HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer " +
        std::string(kToken) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body;
    EXPECT_TRUE(c->Send(req).ok());
    Result<HttpResponse> r = c->Read();
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : HttpResponse{};
  }
  // Purged: the "purged" count of a 200 answer to `body`; -1 otherwise.
  int64_t Purged(const std::string& body) {
    HttpResponse r = Purge(body);
    EXPECT_EQ(r.status, 200) << r.body;
    Result<boost::json::value> v = ParseJson(r.body);
    if (r.status != 200 || !v.ok()) return -1;
    EXPECT_EQ(v->at("nodes").as_int64(), 1);
    return v->at("purged").as_int64();
  }

  double Queries() { return *ScrapeMetric(node_->port(), "shoal_store_queries_total"); }

  // A category and the ids its first page lists (the default limit, 20).
  std::pair<std::string, std::vector<int64_t>> FirstCategory() {
    Result<boost::json::array> rows =
        QueryJson(db_, "SELECT category FROM items ORDER BY id LIMIT 1");
    EXPECT_TRUE(rows.ok());
    const std::string name(rows->at(0).at("category").as_string());
    Result<boost::json::array> ids =
        QueryJson(db_, "SELECT id FROM items WHERE category = ?1 ORDER BY id LIMIT 20", {name});
    std::vector<int64_t> out;
    for (const auto& r : *ids) out.push_back(r.at("id").as_int64());
    return {name, out};
  }

  std::unique_ptr<ShoalProcess> node_;
};

// Categories in the demo catalog are plain words: no percent-encoding to mirror here.
TEST_F(TagsTest, TagsComeFromRouteParamsQueryParamsAndRows) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto [category, ids] = FirstCategory();
  ASSERT_GE(ids.size(), 2u);
  const std::string item = std::to_string(ids[0]);

  HttpResponse r = Get("/v1/items/" + item);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Surrogate-Key"), "item:" + item + " category:" + category);
  EXPECT_EQ(Get("/v1/items/" + item).Header("Surrogate-Key"),  // a hit carries them too
            "item:" + item + " category:" + category);
  EXPECT_EQ(Get("/v1/items/" + item + "/reviews?limit=3").Header("Surrogate-Key"),
            "item:" + item + " reviews-limit:3");
  EXPECT_EQ(Get("/v1/items/" + item + "/reviews").Header("Surrogate-Key"),
            "item:" + item + " reviews-limit:10");  // the default, as in the key
  std::string listing = "category:" + category;
  for (int64_t id : ids) listing += " item:" + std::to_string(id);
  EXPECT_EQ(Get("/v1/categories/" + category + "/items").Header("Surrogate-Key"), listing);
  // A negative entry carries the tags of its parameters.
  EXPECT_EQ(Get("/v1/items/999999").Header("Surrogate-Key"), "item:999999");
}

TEST_F(TagsTest, SurrogateKeyOnlyWithDebugHeaders) {
  ASSERT_NO_FATAL_FAILURE(Start(/*debug=*/false));
  EXPECT_FALSE(Get("/v1/items/1").HasHeader("Surrogate-Key"));
  EXPECT_FALSE(Get("/v1/items/1").HasHeader("Surrogate-Key"));  // the hit
  // The tags are still there: a tag purge finds the entry.
  EXPECT_EQ(Purged(R"({"tag":"item:1"})"), 1);
  EXPECT_EQ(XCache("/v1/items/1"), "MISS");
}

TEST_F(TagsTest, PurgeByTagRemovesExactlyTheTaggedEntries) {
  ASSERT_NO_FATAL_FAILURE(Start());
  auto [category, ids] = FirstCategory();
  ASSERT_GE(ids.size(), 2u);
  const std::string a = std::to_string(ids[0]), b = std::to_string(ids[1]);
  const std::string other = "/v1/items/299";  // not in the listing's first page
  const std::vector<std::string> tagged_a = {"/v1/items/" + a, "/v1/items/" + a + "/reviews",
                                             "/v1/categories/" + category + "/items"};
  const std::vector<std::string> untagged_a = {"/v1/items/" + b, "/v1/items/" + b + "/reviews",
                                               "/v1/items/" + a + "/reviews?limit=5"};
  for (const auto& t : tagged_a) EXPECT_EQ(XCache(t), "MISS") << t;
  for (const auto& t : untagged_a) EXPECT_EQ(XCache(t), "MISS") << t;
  // The reviews with limit=5 carry item:a too: make it a different tag's entry instead.
  EXPECT_EQ(Purged(R"({"tag":"reviews-limit:5"})"), 1);
  EXPECT_EQ(XCache("/v1/items/" + a + "/reviews?limit=5"), "MISS");

  EXPECT_EQ(Purged(R"({"tag":"item:)" + a + R"("})"), 4);  // 3 + the limit=5 reviews
  for (const auto& t : tagged_a) EXPECT_EQ(XCache(t), "MISS") << t;
  EXPECT_EQ(XCache("/v1/items/" + b), "HIT");
  EXPECT_EQ(XCache("/v1/items/" + b + "/reviews"), "HIT");
  // Loaded again above, but for the limit=5 reviews.
  EXPECT_EQ(Purged(R"({"tag":"item:)" + a + R"(", "soft": false})"), 3);
  EXPECT_EQ(Purged(R"({"tag":"no-such-tag"})"), 0);

  // The listing shows b too: a purge of b takes it and b's own entries, nothing of a's.
  for (const auto& t : tagged_a) EXPECT_EQ(XCache(t), "MISS") << t;
  EXPECT_EQ(XCache(other), "MISS");
  EXPECT_EQ(Purged(R"({"tag":"item:)" + b + R"("})"), 3);
  EXPECT_EQ(XCache("/v1/items/" + a), "HIT");
  EXPECT_EQ(XCache("/v1/categories/" + category + "/items"), "MISS");
  EXPECT_EQ(XCache(other), "HIT");

  // By category: the item rows say their category, the listing its parameter. Held now: a,
  // the listing and item 299 (when it is in that category); b went with item:b.
  Result<boost::json::array> c299 = QueryJson(db_, "SELECT category FROM items WHERE id = 299");
  const int same = c299->at(0).at("category").as_string() == category ? 1 : 0;
  EXPECT_EQ(Purged(R"({"tag":"category:)" + category + R"("})"), 2 + same);
  EXPECT_EQ(XCache("/v1/items/" + a + "/reviews"), "HIT");
}

TEST_F(TagsTest, BatchedTagsPurgeEveryTagOnce) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (int id = 1; id <= 5; ++id) EXPECT_EQ(XCache("/v1/items/" + std::to_string(id)), "MISS");
  EXPECT_EQ(Purged(R"({"tags":["item:1","item:2","item:4","item:77"]})"), 3);
  for (int id : {1, 2, 4}) EXPECT_EQ(XCache("/v1/items/" + std::to_string(id)), "MISS") << id;
  for (int id : {3, 5}) EXPECT_EQ(XCache("/v1/items/" + std::to_string(id)), "HIT") << id;
  // 1,000 tags is the most one batch may name.
  std::string body = R"({"tags":[)";
  for (int i = 0; i < 1000; ++i) body += (i ? ",\"item:" : "\"item:") + std::to_string(i) + "\"";
  EXPECT_EQ(Purged(body + "]}"), 5);
}

TEST_F(TagsTest, SoftPurgeServesStaleAtOnceAndRefreshesWithOneQuery) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string key = "/v1/items/7";
  ASSERT_EQ(XCache(key), "MISS");
  ASSERT_EQ(XCache(key), "HIT");
  ASSERT_TRUE(ExecSql(db_, "UPDATE items SET title = 'after the soft purge' WHERE id = 7;").ok());
  const double before = Queries();
  EXPECT_EQ(Purged(R"({"tag":"item:7","soft":true})"), 1);

  // Many clients at once: every one is answered at once (stale or, later, fresh).
  constexpr int kClients = 16, kEach = 10;
  std::atomic<int> stale{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&] {
      Result<HttpClient> c = HttpClient::Connect(node_->port());
      if (!c.ok()) return;
      for (int i = 0; i < kEach; ++i) {
        Result<HttpResponse> r = c->Get(key);
        if (!r.ok() || r->status != 200) continue;
        ++ok;
        if (r->Header("X-Cache") == "STALE") ++stale;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  EXPECT_GE(stale.load(), 1);
  // Exactly one store query refreshed it, then it is fresh with the new row.
  std::string title;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  HttpResponse r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = Get(key);
    if (r.Header("X-Cache") == "HIT") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(r.Header("X-Cache"), "HIT");
  EXPECT_NE(r.body.find("after the soft purge"), std::string::npos) << r.body;
  EXPECT_EQ(Queries() - before, 1);
}

TEST_F(TagsTest, SoftKeyAndEndpointPurgesServeStaleThenRefresh) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (int id = 10; id < 14; ++id) ASSERT_EQ(XCache("/v1/items/" + std::to_string(id)), "MISS");
  const double before = Queries();
  EXPECT_EQ(Purged(R"({"key":"/v1/items/10","soft":true})"), 1);
  EXPECT_EQ(XCache("/v1/items/10"), "STALE");
  EXPECT_EQ(XCache("/v1/items/11"), "HIT");
  EXPECT_EQ(Purged(R"({"endpoint":"/v1/items/{id:int}","soft":true})"), 4);
  for (int id = 11; id < 14; ++id) EXPECT_EQ(XCache("/v1/items/" + std::to_string(id)), "STALE");
  // Each refreshes once: 1 (key 10, maybe again after the endpoint purge) + 3.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool all_hit = false;
  while (!all_hit && std::chrono::steady_clock::now() < deadline) {
    all_hit = true;
    for (int id = 10; id < 14; ++id) all_hit &= XCache("/v1/items/" + std::to_string(id)) == "HIT";
  }
  EXPECT_TRUE(all_hit);
  const double queries = Queries() - before;
  EXPECT_GE(queries, 4);
  EXPECT_LE(queries, 5);
  // Hard purges still remove.
  EXPECT_EQ(Purged(R"({"endpoint":"/v1/items/{id:int}"})"), 4);
  EXPECT_EQ(XCache("/v1/items/10"), "MISS");
}

TEST_F(TagsTest, BadPurgeBodiesAre400WithAJsonBody) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::string too_many = R"({"tags":[)";
  for (int i = 0; i < 1001; ++i) too_many += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  too_many += "]}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"tag":5})", "tag: expected a tag"},
      {R"({"tag":""})", "tag: expected a tag"},
      {R"({"tag":"a b"})", "tag: expected a tag"},
      {R"({"tag":")" + std::string(1025, 'x') + R"("})", "tag: expected a tag"},
      {R"({"tags":[]})", "tags: expected a list of 1 to 1000 tags"},
      {R"({"tags":"item:1"})", "tags: expected a list"},
      {R"({"tags":["item:1", 2]})", "tags: expected a tag"},
      {R"({"tags":["item:1", ""]})", "tags: expected a tag"},
      {too_many, "tags: expected a list of 1 to 1000 tags"},
      {R"({"tag":"item:1","soft":"yes"})", "soft: expected true or false"},
      {R"({"tag":"item:1","key":"/v1/items/1"})", "expected exactly one of"},
      {R"({"soft":true})", "expected exactly one of"},
      {R"({"tag":"item:1","colour":1})", "expected exactly one of"},
  };
  for (const auto& [body, says] : cases) {
    SCOPED_TRACE(body.substr(0, 80));
    HttpResponse r = Purge(body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    Result<boost::json::value> v = ParseJson(r.body);
    ASSERT_TRUE(v.ok()) << r.body;
    EXPECT_EQ(v->at("status").as_int64(), 400);
    EXPECT_NE(std::string(v->at("error").as_string()).find(says), std::string::npos) << r.body;
  }
}

TEST_F(TagsTest, AnAnswerWithTooManyTagsIsServedButNotCached) {
  ASSERT_NO_FATAL_FAILURE(Start(/*debug=*/true, /*max_tags=*/4));
  // The largest category has at least 6 of the 300 items (50 categories): with limit=5 its
  // listing has 6 tags (the category and 5 items), over the bound of 4.
  Result<boost::json::array> top = QueryJson(
      db_, "SELECT category, count(*) AS n FROM items GROUP BY category ORDER BY n DESC LIMIT 1");
  ASSERT_TRUE(top.ok());
  ASSERT_GE(top->at(0).at("n").as_int64(), 5);
  const std::string category(top->at(0).at("category").as_string());
  const std::string big = "/v1/categories/" + category + "/items?limit=5";
  const double before = Queries();
  HttpResponse r = Get(big);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("X-Cache"), "MISS");
  EXPECT_FALSE(r.HasHeader("Surrogate-Key"));
  EXPECT_EQ(XCache(big), "MISS");
  EXPECT_EQ(Queries() - before, 2);
  EXPECT_EQ(*ScrapeMetric(node_->port(), "shoal_tags_overflow_total"), 2);
  EXPECT_TRUE(node_->WaitForOutput("served but not cached", std::chrono::seconds(2)));
  // Within the bound (the category and 3 items), it is cached.
  EXPECT_EQ(XCache("/v1/categories/" + category + "/items?limit=3"), "MISS");
  EXPECT_EQ(XCache("/v1/categories/" + category + "/items?limit=3"), "HIT");
}

TEST_F(TagsTest, TemplatesNamingUnknownParamsOrColumnsAreConfigErrors) {
  struct Case {
    std::string from, to, says;
  };
  const std::vector<Case> cases = {
      {R"(tags: ["item:{id}", "category:{row.category}"])",
       R"(tags: ["item:{idd}", "category:{row.category}"])", "'idd', which is not a parameter"},
      {R"(tags: ["item:{id}", "reviews-limit:{limit}"])",
       R"(tags: ["item:{id}", "reviews-limit:{row.stars}"])",
       "column 'stars', which the query does not return"},
      {R"(tags: ["category:{name}", "item:{row.id}"])",
       R"(tags: ["category:{name}", "item:{row.id"])", "'{' without '}'"},
      {R"(tags: ["category:{name}", "item:{row.id}"])",
       R"(tags: ["category:{name}", "item {row.id}"])", "space or control"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    const std::string text = Replace(ConfigText(), c.from, c.to);
    ASSERT_NE(text, ConfigText());
    const int line = LineOf(text, c.to);
    const std::string file = dir_->Write("bad-tags.yaml", text);
    const RunResult r = RunShoal({"check-config", "-c", file});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const std::string where = file + ":" + std::to_string(line) + ": ";
    EXPECT_NE(r.err.find(where), std::string::npos) << "want " << where << "\ngot " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace shoal::testing

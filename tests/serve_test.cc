// Process tests of `shoal serve` over the example catalog config: the three catalog routes
// answer what the SQLite file holds, errors are JSON with the right status, HTTP caching
// features (ETag, gzip, X-Cache, HEAD) work end to end, pipelined requests are answered in
// order, and malformed requests are refused without disturbing other connections.
//
// The oracle is the database itself, read with sqlite3 in the test (catalog_db.h): nothing
// here repeats what the server is expected to compute.
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
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kItems = 2000;

class ServeTest : public CatalogSuite<kItems> {
 protected:
  void SetUp() override {
    ASSERT_NE(dir_, nullptr);
    Result<std::string> config = ExampleConfig(db_);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    // Tracking parameters, dropped before the checks and the key (TrackingParameters...).
    *config += "ignore_params: [\"utm_*\", fbclid, gclid]\n";
    Result<std::unique_ptr<ShoalProcess>> p =
        ShoalProcess::Serve(dir_->Write("shoal.yaml", *config));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(p).value();
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    const std::optional<int> code = server_->Stop();
    EXPECT_EQ(code, 0) << server_->Output();
    EXPECT_NE(server_->Output().find("shoal: stopped"), std::string::npos) << server_->Output();
  }

  HttpClient Connect() {
    Result<HttpClient> c = HttpClient::Connect(server_->port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) std::abort();  // every test needs its connection; nothing sensible follows
    return std::move(c).value();
  }

  // Fetch GETs `target` on a new connection and requires an answer.
  HttpResponse Fetch(std::string_view target, std::string_view headers = "") {
    HttpClient c = Connect();
    Result<HttpResponse> r = c.Get(target, headers);
    EXPECT_TRUE(r.ok()) << target << ": " << r.status().ToString();
    return r.ok() ? std::move(r).value() : HttpResponse{};
  }

  static json::value Json(const HttpResponse& r) {
    Result<json::value> v = ParseJson(r.body);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? std::move(v).value() : json::value();
  }

  static json::array Rows(std::string_view sql, const std::vector<SqlValue>& binds = {},
                          const std::vector<std::string>& json_columns = {}) {
    Result<json::array> rows = QueryJson(db_, sql, binds, json_columns);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::move(rows).value() : json::array();
  }

  // ExpectJsonError checks an error answer: `status`, JSON content type, and a body
  // {"error": "...", "status": status}.
  static void ExpectJsonError(const HttpResponse& r, int status, std::string_view context) {
    SCOPED_TRACE(context);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    Result<json::value> v = ParseJson(r.body);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_TRUE(v->is_object()) << r.body;
    const json::object& o = v->as_object();
    EXPECT_EQ(o.size(), 2u) << r.body;
    ASSERT_TRUE(o.contains("error") && o.at("error").is_string()) << r.body;
    EXPECT_FALSE(o.at("error").as_string().empty());
    ASSERT_TRUE(o.contains("status")) << r.body;
    EXPECT_EQ(o.at("status"), json::value(status)) << r.body;
  }

  std::unique_ptr<ShoalProcess> server_;
};

constexpr char kItemSql[] =
    "SELECT id, sku, title, category, price_cents, stock, rating, tags, updated_at "
    "FROM items WHERE id = ?1";

TEST_F(ServeTest, ItemsAnswerTheirDatabaseRows) {
  std::vector<int64_t> ids = {1, 2, 17, 500, 1999, kItems};
  // Some ids whose rating is NULL, which must come out as JSON null.
  const json::array null_rated = Rows("SELECT id FROM items WHERE rating IS NULL LIMIT 3");
  ASSERT_EQ(null_rated.size(), 3u) << "the demo catalog should have NULL ratings";
  for (const json::value& row : null_rated) ids.push_back(row.at("id").as_int64());

  for (int64_t id : ids) {
    SCOPED_TRACE("item " + std::to_string(id));
    const HttpResponse r = Fetch("/v1/items/" + std::to_string(id));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/json");
    const json::array want = Rows(kItemSql, {id}, {"tags"});
    ASSERT_EQ(want.size(), 1u);
    const json::value got = Json(r);
    ASSERT_TRUE(got.is_object()) << r.body;
    EXPECT_EQ(got, want[0]) << "got  " << r.body << "\nwant " << json::serialize(want[0]);
    // The same, field by field, for a readable failure.
    const json::object& o = got.as_object();
    EXPECT_EQ(o.at("id"), json::value(id));
    EXPECT_EQ(o.at("title"), want[0].at("title"));
    ASSERT_TRUE(o.at("tags").is_array()) << r.body;
    EXPECT_EQ(o.at("tags"), want[0].at("tags"));
    EXPECT_EQ(o.at("rating").is_null(), want[0].at("rating").is_null());
  }
  for (const json::value& row : null_rated) {
    const HttpResponse r = Fetch("/v1/items/" + std::to_string(row.at("id").as_int64()));
    EXPECT_TRUE(Json(r).at("rating").is_null()) << r.body;
  }
}

TEST_F(ServeTest, ReviewsAreNewestFirstAndLimited) {
  const json::array most = Rows(
      "SELECT item_id, count(*) AS n FROM reviews GROUP BY item_id ORDER BY n DESC, item_id "
      "LIMIT 1");
  ASSERT_EQ(most.size(), 1u);
  const int64_t busy = most[0].at("item_id").as_int64();
  const int64_t busy_count = most[0].at("n").as_int64();
  ASSERT_GE(busy_count, 4);
  const json::array none = Rows(
      "SELECT id FROM items WHERE id NOT IN (SELECT item_id FROM reviews) ORDER BY id LIMIT 1");
  ASSERT_EQ(none.size(), 1u);
  const int64_t quiet = none[0].at("id").as_int64();

  struct Case {
    int64_t item;
    std::string query;  // after '?', or empty
    int64_t limit;      // what the route should apply
  };
  const std::vector<Case> cases = {
      {busy, "limit=1", 1},   {busy, "limit=3", 3}, {busy, "", 10},
      {busy, "limit=50", 50}, {quiet, "", 10},      {quiet, "limit=2", 2},
  };
  for (const Case& c : cases) {
    const std::string target =
        "/v1/items/" + std::to_string(c.item) + "/reviews" + (c.query.empty() ? "" : "?" + c.query);
    SCOPED_TRACE(target);
    const HttpResponse r = Fetch(target);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::array want = Rows(
        "SELECT review_id, author, stars, body, created_at FROM reviews WHERE item_id = ?1 "
        "ORDER BY review_id DESC LIMIT ?2",
        {c.item, c.limit});
    const json::value got = Json(r);
    ASSERT_TRUE(got.is_array()) << r.body;
    const json::array& rows = got.as_array();
    const int64_t total = c.item == busy ? busy_count : 0;
    EXPECT_EQ(static_cast<int64_t>(rows.size()), std::min(c.limit, total));
    EXPECT_EQ(got, json::value(want));
    for (size_t i = 1; i < rows.size(); ++i) {
      EXPECT_GT(rows[i - 1].at("review_id").as_int64(), rows[i].at("review_id").as_int64());
    }
  }
}

TEST_F(ServeTest, CategoriesAreInIdOrderAndLimited) {
  for (const std::string category : {"books", "yarn", "telescopes"}) {
    const int64_t in_db = Rows("SELECT count(*) AS n FROM items WHERE category = ?1", {category})[0]
                              .at("n")
                              .as_int64();
    ASSERT_GT(in_db, 20) << category;
    for (const auto& [query, limit] : std::vector<std::pair<std::string, int64_t>>{
             {"", 20}, {"?limit=5", 5}, {"?limit=100", 100}}) {
      const std::string target = "/v1/categories/" + category + "/items" + query;
      SCOPED_TRACE(target);
      const HttpResponse r = Fetch(target);
      ASSERT_EQ(r.status, 200) << r.body;
      const json::value got = Json(r);
      ASSERT_TRUE(got.is_array()) << r.body;
      const json::array& rows = got.as_array();
      EXPECT_EQ(static_cast<int64_t>(rows.size()), std::min(limit, in_db));
      for (size_t i = 1; i < rows.size(); ++i) {
        EXPECT_LT(rows[i - 1].at("id").as_int64(), rows[i].at("id").as_int64());
      }
      const json::array want =
          Rows("SELECT id, title, price_cents FROM items WHERE category = ?1 ORDER BY id LIMIT ?2",
               {category, limit});
      EXPECT_EQ(got, json::value(want));
    }
  }
  // A category with no items is an empty array, not a 404.
  const HttpResponse empty = Fetch("/v1/categories/no-such-category/items");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "[]");
}

TEST_F(ServeTest, MissingItemIsJson404) {
  for (int pass = 0; pass < 2; ++pass) {  // the miss, then the negative cache entry
    const HttpResponse r = Fetch("/v1/items/" + std::to_string(kItems + 1));
    ExpectJsonError(r, 404, "missing item, pass " + std::to_string(pass));
    EXPECT_EQ(r.body, R"({"error":"not found","status":404})");
  }
}

TEST_F(ServeTest, BadParametersAreJson400) {
  for (const std::string target :
       {"/v1/items/1/reviews?limit=0", "/v1/items/1/reviews?limit=abc",
        "/v1/items/1/reviews?limit=51", "/v1/items/1/reviews?limit=", "/v1/items/1/reviews?x=1",
        "/v1/categories/books/items?limit=101", "/v1/items/notanumber",
        "/v1/items/99999999999999999999"}) {
    ExpectJsonError(Fetch(target), 400, target);
  }
}

TEST_F(ServeTest, UnknownPathIsJson404) {
  for (const std::string target :
       {"/", "/v1/nothing", "/v1/items", "/v1/items/1/reviews/2", "/_shoal/unknown"}) {
    ExpectJsonError(Fetch(target), 404, target);
  }
}

TEST_F(ServeTest, OtherMethodsAre405) {
  HttpClient c = Connect();
  for (const std::string method : {"POST", "PUT", "DELETE"}) {
    // Without a body: an endpoint takes none (BodyOnAnEndpointIs413BeforeItIsSent).
    ASSERT_TRUE(
        c.Send(method + " /v1/items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").ok());
    Result<HttpResponse> r = c.Read();
    ASSERT_TRUE(r.ok()) << method << ": " << r.status().ToString();
    ExpectJsonError(*r, 405, method);
    EXPECT_NE(r->Header("Allow").find("GET"), std::string::npos);
  }
  // The connection is still usable afterwards.
  Result<HttpResponse> r = c.Get("/v1/items/1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
}

// Security review H1: a body on a route that takes none is refused as soon as the head is in,
// before the client sends it (only the admin endpoints' POST and PUT take a body).
TEST_F(ServeTest, BodyOnAnEndpointIs413BeforeItIsSent) {
  for (const std::string head :
       {"GET /v1/items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n",
        "POST /v1/items/1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /_shoal/health HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n"}) {
    SCOPED_TRACE(head);
    HttpClient c = Connect();
    ASSERT_TRUE(c.Send(head).ok());  // the head only
    Result<HttpResponse> r = c.Read();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectJsonError(*r, 413, "body");
    EXPECT_EQ(r->Header("X-Content-Type-Options"), "nosniff");
    EXPECT_TRUE(c.WaitClosed(seconds(5)));
  }
}

TEST_F(ServeTest, EtagRevalidatesTo304) {
  HttpClient c = Connect();
  Result<HttpResponse> first = c.Get("/v1/items/42");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->status, 200);
  const std::string etag = first->Header("ETag");
  ASSERT_FALSE(etag.empty());
  ASSERT_EQ(etag.front(), '"');

  Result<HttpResponse> again = c.Get("/v1/items/42", "If-None-Match: " + etag + "\r\n");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  EXPECT_EQ(again->Header("ETag"), etag);

  Result<HttpResponse> other = c.Get("/v1/items/42", "If-None-Match: \"not-it\"\r\n");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(other->body, first->body);
}

TEST_F(ServeTest, GzipBodyInflatesToThePlainBody) {
  // Reviews bodies are hundreds of bytes: above the size below which shoal does not gzip.
  const std::string target = "/v1/items/7/reviews?limit=50";
  const HttpResponse plain = Fetch(target);
  ASSERT_EQ(plain.status, 200);
  ASSERT_GE(plain.body.size(), 128u) << "pick an item with more reviews";
  EXPECT_TRUE(plain.Header("Content-Encoding").empty());

  const HttpResponse zipped = Fetch(target, "Accept-Encoding: br, gzip;q=0.8\r\n");
  ASSERT_EQ(zipped.status, 200);
  EXPECT_EQ(zipped.Header("Content-Encoding"), "gzip");
  EXPECT_NE(zipped.Header("Vary").find("Accept-Encoding"), std::string::npos);
  EXPECT_EQ(zipped.Header("Content-Length"), std::to_string(zipped.body.size()));
  Result<std::string> inflated = Gunzip(zipped.body);
  ASSERT_TRUE(inflated.ok()) << inflated.status().ToString();
  EXPECT_EQ(*inflated, plain.body);

  // gzip refused by q=0: the plain body.
  const HttpResponse refused = Fetch(target, "Accept-Encoding: gzip;q=0\r\n");
  EXPECT_TRUE(refused.Header("Content-Encoding").empty());
  EXPECT_EQ(refused.body, plain.body);
}

TEST_F(ServeTest, SecondRequestIsACacheHit) {
  HttpClient c = Connect();
  Result<HttpResponse> first = c.Get("/v1/items/1234");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->Header("X-Cache"), "MISS");
  Result<HttpResponse> second = c.Get("/v1/items/1234");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->Header("X-Cache"), "HIT");
  EXPECT_EQ(second->body, first->body);
  EXPECT_EQ(second->Header("ETag"), first->Header("ETag"));
}

TEST_F(ServeTest, TrackingParametersAreIgnoredAndShareTheEntry) {
  HttpClient c = Connect();
  Result<HttpResponse> plain = c.Get("/v1/items/1/reviews?limit=3");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_EQ(plain->status, 200) << plain->body;
  EXPECT_EQ(plain->Header("X-Cache"), "MISS");
  // A newsletter link: same entry (a HIT, same ETag and body), not a 400 and not a new key.
  for (const std::string target :
       {"/v1/items/1/reviews?limit=3&utm_source=news&utm_medium=email",
        "/v1/items/1/reviews?utm_campaign=spring&limit=3", "/v1/items/1/reviews?limit=3&fbclid=Iw",
        "/v1/items/1/reviews?gclid=x&limit=3&gclid=y", "/v1/items/1/reviews?limit=3&utm%5Fid=1"}) {
    Result<HttpResponse> r = c.Get(target);
    ASSERT_TRUE(r.ok()) << target << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 200) << target << ": " << r->body;
    EXPECT_EQ(r->Header("X-Cache"), "HIT") << target;
    EXPECT_EQ(r->Header("ETag"), plain->Header("ETag")) << target;
    EXPECT_EQ(r->body, plain->body) << target;
  }
  // The item endpoint takes no query parameters, and tracking ones all the same.
  Result<HttpResponse> item = c.Get("/v1/items/7?utm_source=x");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->status, 200) << item->body;
  // Every other unknown parameter is still refused, with the usual JSON body.
  for (const std::string target : {"/v1/items/1/reviews?limit=3&utm=1",
                                   "/v1/items/1/reviews?limit=3&ref=news", "/v1/items/7?x=1"}) {
    ExpectJsonError(Fetch(target), 400, target);
  }
}

TEST_F(ServeTest, HeadHasContentLengthAndNoBody) {
  HttpClient c = Connect();
  Result<HttpResponse> get = c.Get("/v1/items/99");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  Result<HttpResponse> head = c.Request("HEAD", "/v1/items/99");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(get->body.size()));
  EXPECT_EQ(head->Header("ETag"), get->Header("ETag"));
  // Had HEAD sent body bytes, they would be read here as the next response's status line.
  Result<HttpResponse> next = c.Get("/v1/items/100");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(Json(*next).at("id"), json::value(100));
}

TEST_F(ServeTest, HundredPipelinedRequestsAreAnsweredInOrder) {
  // Warm a third of the keys so the batch mixes hits with misses (and two 404s).
  for (int id = 3; id <= 300; id += 9)
    ASSERT_EQ(Fetch("/v1/items/" + std::to_string(id)).status, 200);
  std::vector<int64_t> ids;
  std::string batch;
  for (int i = 0; i < 100; ++i) {
    int64_t id = (i * 3) + 3;                        // 3, 6, 9, ...: every third of them was warmed
    if (i == 40 || i == 77) id = kItems + 1000 + i;  // not found
    ids.push_back(id);
    batch += RequestText("GET", "/v1/items/" + std::to_string(id));
  }
  HttpClient c = Connect();
  ASSERT_TRUE(c.Send(batch).ok());  // one write
  int hits = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE("response " + std::to_string(i) + ", id " + std::to_string(ids[i]));
    Result<HttpResponse> r = c.Read();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (ids[i] > kItems) {
      EXPECT_EQ(r->status, 404) << r->body;
      continue;
    }
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(Json(*r).at("id"), json::value(ids[i])) << r->body;
    hits += r->Header("X-Cache") == "HIT" ? 1 : 0;
  }
  EXPECT_GE(hits, 20);  // the warmed keys
  EXPECT_LE(hits, 40);
  // The connection is still in step: one more request, one more answer.
  Result<HttpResponse> last = c.Get("/v1/items/1");
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ(Json(*last).at("id"), json::value(1));
}

TEST_F(ServeTest, MalformedRequestsAreRefusedWhileOthersAreServed) {
  HttpClient keeper = Connect();
  int served = 0;
  auto keeper_works = [&](std::string_view when) {
    SCOPED_TRACE(when);
    const int64_t id = 1 + served++;
    Result<HttpResponse> r = keeper.Get("/v1/items/" + std::to_string(id));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(Json(*r).at("id"), json::value(id));
  };
  struct Case {
    std::string name;
    std::string bytes;
    int status;
  };
  static constexpr char kNulRequest[] = "GET /v1/items/1 HTTP/1.1\r\nHost: t\r\nX-A: a\0b\r\n\r\n";
  const std::string big_header = "X-Big: " + std::string(17000, 'a') + "\r\n";
  const std::string long_target = "/v1/items/1?pad=" + std::string(9000, 'b');
  const std::vector<Case> cases = {
      {"bad request line", "GARBAGE\r\n\r\n", 400},
      {"bad method token", "GE(T /v1/items/1 HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"oversized header", RequestText("GET", "/v1/items/1", big_header), 431},
      {"URL too long", RequestText("GET", long_target), 414},
      {"Content-Length with Transfer-Encoding",
       "POST /v1/items/1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"NUL byte in a header", std::string(kNulRequest, sizeof kNulRequest - 1), 400},
      {"no Host on HTTP/1.1", "GET /v1/items/1 HTTP/1.1\r\n\r\n", 400},
      {"bare LF line ending", "GET /v1/items/1 HTTP/1.1\nHost: t\n\n", 400},
  };
  keeper_works("before");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HttpClient bad = Connect();
    ASSERT_TRUE(bad.Send(c.bytes).ok());
    Result<HttpResponse> r = bad.Read();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectJsonError(*r, c.status, c.name);
    // A request the server could not frame leaves the stream unusable: it must close.
    EXPECT_TRUE(bad.WaitClosed(seconds(5)));
    keeper_works("after " + c.name);
  }
  Result<double> fives = ScrapeMetric(server_->port(), "shoal_http_responses_5xx_total");
  ASSERT_TRUE(fives.ok()) << fives.status().ToString();
  EXPECT_EQ(*fives, 0);
}

}  // namespace
}  // namespace shoal::testing

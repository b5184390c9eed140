// Answer caps (M4) end to end: the Api over a real Cache, ReadThrough, StoreLoader and
// SqliteStore. Each endpoint's max_rows and max_body, or ApiOptions' when it sets none, travel
// with its query as store::QueryLimits; an answer over a cap is a bare 500 logged with the
// route for the operator; a result-one endpoint reads one row, however many match.
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/router.h"
#include "api/store_loader.h"
#include "api/test_catalog.h"
#include "base/memory_logger.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api {
namespace {

using namespace std::chrono_literals;

// FutureExchange hands the one response to a future, whether given now or later.
class FutureExchange final : public http::Exchange {
 public:
  void Reply(http::Response r) override { promise_->set_value(std::move(r)); }
  http::ReplyLater Defer() override {
    return [promise = promise_](http::Response r) { promise->set_value(std::move(r)); };
  }
  std::future<http::Response> future() { return promise_->get_future(); }

 private:
  std::shared_ptr<std::promise<http::Response>> promise_ =
      std::make_shared<std::promise<http::Response>>();
};

EndpointOptions Endpoint(std::string route, ResultShape result) {
  EndpointOptions e;
  e.route = std::move(route);
  e.query = "SELECT x FROM seq WHERE x <= :n ORDER BY x";
  e.result = result;
  e.line = 1;
  return e;
}

class StoreLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(catalog_.Exec("CREATE TABLE seq (x INTEGER PRIMARY KEY);"
                            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 1000) INSERT INTO seq SELECT i FROM n;"),
              "");
    store_ = catalog_.OpenStore(1, 64);
    ASSERT_NE(store_, nullptr);
    options_.endpoints.push_back(Endpoint("/v1/capped/{n:int}", ResultShape::kMany));
    options_.endpoints.back().max_rows = 5;
    options_.endpoints.push_back(Endpoint("/v1/global/{n:int}", ResultShape::kMany));
    options_.endpoints.push_back(Endpoint("/v1/first/{n:int}", ResultShape::kOne));
    options_.endpoints.push_back(Endpoint("/v1/small/{n:int}", ResultShape::kMany));
    options_.endpoints.back().max_body = 40;
    options_.max_rows = 50;
    options_.logger = &logger_;
    auto router = Router::Build(options_, *store_);
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    loader_ = std::make_unique<StoreLoader>(*router, *store_, clock_, options_);
    read_through_ = std::make_unique<cache::ReadThrough>(cache_, *loader_, clock_);
    api_ = std::make_unique<Api>(*router, *read_through_, cache_, clock_, nullptr);
  }

  void TearDown() override {
    api_.reset();
    if (read_through_) read_through_->Shutdown();
    if (store_) store_->Shutdown();
  }

  http::Response Get(std::string_view path) {
    http::Request req;
    req.method = http::Method::kGet;
    req.target = path;
    req.path = path;
    FutureExchange ex;
    std::future<http::Response> answer = ex.future();
    api_->Handle(req, ex);
    EXPECT_EQ(answer.wait_for(10s), std::future_status::ready) << "no answer for " << path;
    return answer.get();
  }

  void ExpectTooLarge(std::string_view path, std::string_view route, std::string_view why) {
    const http::Response r = Get(path);
    EXPECT_EQ(r.status, 500) << path << ": " << r.body;
    EXPECT_EQ(std::string_view(r.body), R"({"error":"internal error","status":500})");
    size_t logged = 0;
    for (const MemoryLogger::Line& line : logger_.lines()) {
      if (line.message.find(route) != std::string::npos &&
          line.message.find(why) != std::string::npos) {
        ++logged;
      }
    }
    EXPECT_EQ(logged, 1u) << path << ": no log line naming " << route << " and " << why;
  }

  testing::TestCatalog catalog_;
  MemoryLogger logger_;
  std::unique_ptr<store::SqliteStore> store_;
  ManualClock clock_;
  ApiOptions options_;
  cache::Cache cache_{cache::CacheOptions{1u << 20}};
  std::unique_ptr<StoreLoader> loader_;
  std::unique_ptr<cache::ReadThrough> read_through_;
  std::unique_ptr<Api> api_;
};

TEST_F(StoreLimitsTest, AnEndpointsOwnMaxRowsBeatsTheGlobalOne) {
  EXPECT_EQ(Get("/v1/capped/5").status, 200);
  const uint64_t before = store_->rows_read();
  ExpectTooLarge("/v1/capped/1000", "/v1/capped/{n:int}", "more than 5 rows");
  EXPECT_EQ(store_->rows_read() - before, 6u);  // stopped one row past the cap
  EXPECT_EQ(Get("/v1/global/50").status, 200);  // the global cap, 50, applies here
  ExpectTooLarge("/v1/global/51", "/v1/global/{n:int}", "more than 50 rows");
}

TEST_F(StoreLimitsTest, AResultOneEndpointReadsOneRow) {
  const uint64_t before = store_->rows_read();
  const http::Response r = Get("/v1/first/1000");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(std::string_view(r.body), R"({"x":1})");
  EXPECT_EQ(store_->rows_read() - before, 1u);
}

TEST_F(StoreLimitsTest, MaxBodyIsTheRenderedJsonsSize) {
  // [{"x":1},...,{"x":4}] is 33 bytes; with a fifth row 41, over 40, although the store
  // counted only 40 bytes of cells (8 per integer).
  const http::Response r = Get("/v1/small/4");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.size(), 33u);
  ExpectTooLarge("/v1/small/5", "/v1/small/{n:int}", "41 bytes of JSON");
  // Far over: the store stops reading at the row whose cells pass 40 bytes (the 6th), before
  // any JSON is built. (The log line is rate-limited: the one above stands for both.)
  const uint64_t before = store_->rows_read();
  const http::Response far = Get("/v1/small/1000");
  EXPECT_EQ(far.status, 500) << far.body;
  EXPECT_EQ(std::string_view(far.body), R"({"error":"internal error","status":500})");
  EXPECT_EQ(store_->rows_read() - before, 6u);
}

}  // namespace
}  // namespace shoal::api

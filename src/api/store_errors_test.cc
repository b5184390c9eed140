// What a store's failure looks like to an HTTP client, and to the operator: the Api over a real
// Cache and ReadThrough and a fake Store whose every query fails with a chosen Status carrying
// a database's message. The client sees a fixed body (status_http.h) with nothing of the
// database; an error the operator must fix is logged once, with the route and the query.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/router.h"
#include "api/store_loader.h"
#include "base/memory_logger.h"
#include "base/mutex.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "metrics/metrics.h"
#include "store/store.h"

namespace shoal::api {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kQuery = "SELECT id, title FROM items WHERE id = :id";
// What the Cassandra client puts in a server error's message: the node and the server's text.
constexpr std::string_view kDatabaseMessage =
    "cassandra: 127.0.0.1:9042: SyntaxError line 1:7 no viable alternative at input 'FROM'";

// FailingStore prepares any query as taking :id and returning (id, title), and fails every
// query with `failure`, from a thread of its own (a store answers on its own threads).
class FailingStore final : public store::Store {
 public:
  explicit FailingStore(Status failure) : failure_(std::move(failure)) {}
  ~FailingStore() override { Shutdown(); }

  Result<store::StatementInfo> Prepare(std::string_view /*query*/) override {
    return store::StatementInfo{0, {"id"}, {"id", "title"}, {}};
  }
  using store::Store::Query;
  void Query(size_t /*id*/, std::vector<store::Value> /*params*/, store::QueryLimits /*limits*/,
             TimePoint /*deadline*/, store::QueryCallback done) override {
    MutexLock lock(mu_);
    threads_.emplace_back([failure = failure_, done = std::move(done)] { done(failure); });
  }
  void Shutdown() override {
    std::vector<std::thread> threads;
    {
      MutexLock lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  const Status failure_;
  Mutex mu_;
  std::vector<std::thread> threads_ SHOAL_GUARDED_BY(mu_);
};

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

class StoreErrorsTest : public ::testing::Test {
 protected:
  void Start(Status failure) {
    store_ = std::make_unique<FailingStore>(std::move(failure));
    EndpointOptions endpoint;
    endpoint.route = "/v1/items/{id:int}";
    endpoint.query = std::string(kQuery);
    endpoint.line = 7;
    options_.endpoints.push_back(std::move(endpoint));
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
    req.path = path;
    FutureExchange ex;
    std::future<http::Response> answer = ex.future();
    api_->Handle(req, ex);
    EXPECT_EQ(answer.wait_for(10s), std::future_status::ready) << "no answer for " << path;
    return answer.get();
  }

  // ExpectBare500 checks that `r` is the generic 500, whatever the store said.
  static void ExpectBare500(const http::Response& r) {
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(std::string_view(r.body), R"({"error":"internal error","status":500})");
  }

  // ExpectNothingOfTheDatabase checks that `body` names neither the node nor the query.
  static void ExpectNothingOfTheDatabase(std::string_view body) {
    for (std::string_view leak : {"cassandra", "127.0.0.1", "9042", "SyntaxError", "SELECT"}) {
      EXPECT_EQ(body.find(leak), std::string_view::npos) << leak << " leaked into " << body;
    }
  }

  MemoryLogger logger_;
  std::unique_ptr<FailingStore> store_;
  ManualClock clock_;
  ApiOptions options_;
  cache::Cache cache_{cache::CacheOptions{1u << 20}};
  std::unique_ptr<StoreLoader> loader_;
  std::unique_ptr<cache::ReadThrough> read_through_;
  std::unique_ptr<Api> api_;
};

TEST_F(StoreErrorsTest, AnInternalStoreErrorIsABare500AndIsLoggedWithTheQuery) {
  Start(Status::Internal(std::string(kDatabaseMessage)));
  const http::Response r = Get("/v1/items/1");
  ExpectBare500(r);
  ExpectNothingOfTheDatabase(r.body);

  const std::vector<MemoryLogger::Line> lines = logger_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].level, LogLevel::kError);
  EXPECT_EQ(lines[0].component, "api");
  EXPECT_NE(lines[0].message.find("/v1/items/{id:int}"), std::string::npos) << lines[0].message;
  EXPECT_NE(lines[0].message.find(kQuery), std::string::npos) << lines[0].message;
  EXPECT_NE(lines[0].message.find(kDatabaseMessage), std::string::npos) << lines[0].message;
}

TEST_F(StoreErrorsTest, ARepeatedFailureIsLoggedOncePerInterval) {
  Start(Status::Internal(std::string(kDatabaseMessage)));
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(Get("/v1/items/" + std::to_string(i)).status, 500);
  }
  EXPECT_EQ(logger_.Count("api", kQuery), 1u);
}

// A store's InvalidArgument at query time is the caller's input (store.h: a parameter that is
// not valid UTF-8, an empty partition key); its message is written for the client and passes
// through as a 400, not logged. A store's NotFound (a table that went away) is the operator's
// or our bug: a 500, never a 404 that would carry the database's message.
TEST_F(StoreErrorsTest, AStoreInvalidArgumentIsA400WithItsOwnMessage) {
  Start(Status::InvalidArgument("parameter 'id' is not valid UTF-8"));
  const http::Response r = Get("/v1/items/1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(std::string_view(r.body),
            R"({"error":"parameter 'id' is not valid UTF-8","status":400})");
  EXPECT_TRUE(logger_.lines().empty());
}

TEST_F(StoreErrorsTest, AStoreNotFoundIsInternalNotA404) {
  Start(Status::NotFound(std::string(kDatabaseMessage)));
  ExpectBare500(Get("/v1/items/1"));
}

TEST_F(StoreErrorsTest, AnUnavailableStoreIsAGeneric503AndNotLogged) {
  Start(Status::Unavailable(std::string(kDatabaseMessage)));
  const http::Response r = Get("/v1/items/1");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(std::string_view(r.body), R"({"error":"the database is unavailable","status":503})");
  EXPECT_EQ(r.extra_headers, "Retry-After: 1\r\nCache-Status: shoal; fwd=miss; fwd-status=503\r\n");
  ExpectNothingOfTheDatabase(r.body);
  // The store logs its own state changes (a node down); a request's failure adds nothing.
  EXPECT_TRUE(logger_.lines().empty());
}

TEST_F(StoreErrorsTest, ASlowStoreIsAGeneric503) {
  Start(Status::DeadlineExceeded(std::string(kDatabaseMessage)));
  const http::Response r = Get("/v1/items/1");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(std::string_view(r.body),
            R"({"error":"the database did not answer in time","status":503})");
  EXPECT_EQ(r.extra_headers, "Retry-After: 1\r\nCache-Status: shoal; fwd=miss; fwd-status=503\r\n");
  ExpectNothingOfTheDatabase(r.body);
}

TEST(StoreErrorForClientTest, KeepsTheCodesOfAStoreThatIsDownSlowOrStopping) {
  for (const Status& s :
       {Status::Unavailable("x"), Status::DeadlineExceeded("x"), Status::ResourceExhausted("x"),
        Status::Cancelled("x"), Status::Internal("x"), Status::InvalidArgument("x")}) {
    EXPECT_EQ(StoreErrorForClient(s).code(), s.code()) << s.ToString();
  }
  EXPECT_EQ(StoreErrorForClient(Status::InvalidArgument("x")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StoreErrorForClient(Status::NotFound("x")).code(), StatusCode::kInternal);
  EXPECT_EQ(StoreErrorForClient(Status::NotFound("x")).message(), "x");
}

}  // namespace
}  // namespace shoal::api

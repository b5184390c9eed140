// What a Cassandra failure looks like to an HTTP client (label cassandra): the Api over a real
// Cache, ReadThrough, StoreLoader and CassandraStore against the shared server. A caller's bad
// key (not UTF-8, or an empty partition key) is a 400 that names the parameter and nothing of
// the database; a statement the server refuses at run time is a bare 500, logged once per
// interval for the operator; an answer over its cap is a 500 too. Nothing in any body names
// the node, the keyspace or the server's text.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/router.h"
#include "api/store_loader.h"
#include "base/memory_logger.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "store/cassandra/cassandra_store.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_session.h"

namespace shoal::api {
namespace {

using namespace std::chrono_literals;
using store::cassandra::testing::CassandraPort;

const std::string& Keyspace() {
  static const std::string kName =
      store::cassandra::testing::UniqueKeyspace("shoal_api_errors_test");
  return kName;
}

std::string ContactPoint() { return "127.0.0.1:" + std::to_string(CassandraPort()); }

// Admin runs DDL on a keyspace-less session.
class Admin {
 public:
  Admin() {
    store::cassandra::SessionOptions o;
    o.contact_points = {ContactPoint()};
    o.connections_per_node = 1;
    auto s = store::cassandra::Session::Open(o);
    status_ = s.status();
    if (s.ok()) session_ = std::move(s).value();
  }
  const Status& status() const { return status_; }
  Status Run(const std::string& cql) { return session_->Run(cql, 30s).status(); }

 private:
  std::unique_ptr<store::cassandra::Session> session_;
  Status status_;
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

EndpointOptions Endpoint(std::string route, std::string query, ResultShape result) {
  EndpointOptions e;
  e.route = std::move(route);
  e.query = std::move(query);
  e.result = result;
  e.line = 1;
  return e;
}

class CassandraStoreErrorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!store::cassandra::testing::Listening(CassandraPort())) return;
    admin_ = new Admin();
    ASSERT_TRUE(admin_->status().ok()) << admin_->status().ToString();
    const std::string& ks = Keyspace();
    for (const std::string& cql : {
             "DROP KEYSPACE IF EXISTS " + ks,
             "CREATE KEYSPACE " + ks +
                 " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
             "CREATE TABLE " + ks + ".users (name text PRIMARY KEY, age int)",
             "INSERT INTO " + ks + ".users (name, age) VALUES ('ann', 41)",
             "CREATE TABLE " + ks + ".doomed (name text PRIMARY KEY, age int)",
             "CREATE TABLE " + ks + ".wide (k int, c int, v text, PRIMARY KEY (k, c))",
         }) {
      Status s = admin_->Run(cql);
      ASSERT_TRUE(s.ok()) << cql << ": " << s.ToString();
    }
    for (int c = 0; c < 30; ++c) {
      Status s = admin_->Run("INSERT INTO " + ks + ".wide (k, c, v) VALUES (1, " +
                             std::to_string(c) + ", 'v" + std::to_string(c) + "')");
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  static void TearDownTestSuite() {
    if (admin_ != nullptr) (void)admin_->Run("DROP KEYSPACE IF EXISTS " + Keyspace());
    delete admin_;
    admin_ = nullptr;
  }

  void SetUp() override { SHOAL_NEED_CASSANDRA(); }

  void Start() {
    store::CassandraOptions o;
    o.session.contact_points = {ContactPoint()};
    o.session.keyspace = Keyspace();
    o.session.connections_per_node = 1;
    o.logger = &store_log_;
    auto store = store::CassandraStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
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

  http::Response Get(std::string_view target) {
    http::Request req;
    req.method = http::Method::kGet;
    req.target = target;
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string_view::npos) req.query = target.substr(q + 1);
    FutureExchange ex;
    std::future<http::Response> answer = ex.future();
    api_->Handle(req, ex);
    EXPECT_EQ(answer.wait_for(20s), std::future_status::ready) << "no answer for " << target;
    return answer.get();
  }

  // ExpectNothingOfTheDatabase checks that `body` names neither the node, the keyspace, the
  // table, nor the server's words.
  static void ExpectNothingOfTheDatabase(std::string_view body) {
    for (const std::string& leak :
         {std::string("cassandra"), std::string("127.0.0.1"), std::to_string(CassandraPort()),
          Keyspace(), std::string("users"), std::string("doomed"), std::string("Invalid"),
          std::string("Key may not be empty"), std::string("SELECT")}) {
      EXPECT_EQ(body.find(leak), std::string_view::npos) << leak << " leaked into " << body;
    }
  }

  inline static Admin* admin_ = nullptr;
  MemoryLogger logger_;
  MemoryLogger store_log_;
  std::unique_ptr<store::CassandraStore> store_;
  ManualClock clock_;
  ApiOptions options_;
  cache::Cache cache_{cache::CacheOptions{1u << 20}};
  std::unique_ptr<StoreLoader> loader_;
  std::unique_ptr<cache::ReadThrough> read_through_;
  std::unique_ptr<Api> api_;
};

TEST_F(CassandraStoreErrorsTest, AKeyThatIsNotUtf8IsA400WithoutDatabaseText) {
  options_.endpoints.push_back(Endpoint(
      "/v1/users/{name}", "SELECT name, age FROM users WHERE name = :name", ResultShape::kOne));
  Start();
  EXPECT_EQ(Get("/v1/users/ann").status, 200);
  const http::Response r = Get("/v1/users/%FF");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(std::string_view(r.body).find("parameter 'name' must be valid UTF-8 text"),
            std::string_view::npos)
      << r.body;
  ExpectNothingOfTheDatabase(r.body);
}

TEST_F(CassandraStoreErrorsTest, AnEmptyPartitionKeyIsA400NamingTheParameter) {
  options_.endpoints.push_back(
      Endpoint("/v1/users", "SELECT name, age FROM users WHERE name = :name", ResultShape::kOne));
  options_.endpoints.back().params.push_back(ParamSpec{"name", ParamType::kString, {}, {}, {}, 1});
  Start();
  EXPECT_EQ(Get("/v1/users?name=ann").status, 200);
  const http::Response r = Get("/v1/users?name=");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(std::string_view(r.body).find("parameter 'name'"), std::string_view::npos) << r.body;
  EXPECT_NE(std::string_view(r.body).find("empty"), std::string_view::npos) << r.body;
  ExpectNothingOfTheDatabase(r.body);
}

TEST_F(CassandraStoreErrorsTest, AServerErrorIsABare500LoggedOncePerInterval) {
  options_.endpoints.push_back(Endpoint(
      "/v1/doomed/{name}", "SELECT name, age FROM doomed WHERE name = :name", ResultShape::kOne));
  Start();
  EXPECT_EQ(Get("/v1/doomed/ann").status, 404);
  ASSERT_TRUE(admin_->Run("DROP TABLE " + Keyspace() + ".doomed").ok());
  for (int i = 0; i < 3; ++i) {
    const http::Response r = Get("/v1/doomed/bob" + std::to_string(i));
    EXPECT_EQ(r.status, 500) << r.body;
    EXPECT_EQ(std::string_view(r.body), R"({"error":"internal error","status":500})");
    ExpectNothingOfTheDatabase(r.body);
  }
  // The operator learns the route, the query and the server's words, once per interval.
  EXPECT_EQ(logger_.Count("api", "/v1/doomed/{name}"), 1u);
  EXPECT_EQ(logger_.Count("api", "doomed"), 1u);
}

TEST_F(CassandraStoreErrorsTest, AnAnswerOverItsRowCapIsA500LoggedWithTheRoute) {
  options_.endpoints.push_back(
      Endpoint("/v1/wide/{k:int}", "SELECT c, v FROM wide WHERE k = :k", ResultShape::kMany));
  options_.endpoints.back().max_rows = 10;
  options_.endpoints.push_back(
      Endpoint("/v1/all/{k:int}", "SELECT c, v FROM wide WHERE k = :k", ResultShape::kMany));
  options_.max_rows = 100;
  Start();
  const http::Response over = Get("/v1/wide/1");
  EXPECT_EQ(over.status, 500) << over.body;
  EXPECT_EQ(std::string_view(over.body), R"({"error":"internal error","status":500})");
  EXPECT_EQ(logger_.Count("api", "/v1/wide/{k:int}"), 1u);
  EXPECT_EQ(Get("/v1/all/1").status, 200);  // the global cap (100) lets 30 rows through
}

}  // namespace
}  // namespace shoal::api

// ApiTest: the fixture of the Api tests (api_test.cc, api_security_test.cc): a real
// SqliteStore on the test catalog, a real Cache and ReadThrough, a ManualClock, a Registry,
// and the Api driven directly through a recording Exchange (no sockets). Test code only.
// Thread-safety: an Answer may be set from any thread; the rest belongs to the test thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/store_loader.h"
#include "api/test_catalog.h"
#include "base/mutex.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "metrics/metrics.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api::testing {

using namespace std::chrono_literals;

// Answer is where one request's response lands, now or later, from any thread.
class Answer {
 public:
  void Set(http::Response r) {
    MutexLock lock(mu_);
    EXPECT_FALSE(response_.has_value()) << "answered twice";
    response_ = std::move(r);
    cv_.NotifyAll();
  }
  std::optional<http::Response> Wait(Duration timeout) {
    MutexLock lock(mu_);
    cv_.WaitFor(mu_, timeout, [this]() SHOAL_REQUIRES(mu_) { return response_.has_value(); });
    return response_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::optional<http::Response> response_ SHOAL_GUARDED_BY(mu_);
};

class RecordingExchange final : public http::Exchange {
 public:
  void Reply(http::Response r) override {
    ++calls_;
    answer_->Set(std::move(r));
  }
  http::ReplyLater Defer() override {
    ++calls_;
    deferred_ = true;
    return [answer = answer_](http::Response r) { answer->Set(std::move(r)); };
  }
  bool deferred() const { return deferred_; }
  int calls() const { return calls_; }
  const std::shared_ptr<Answer>& answer() const { return answer_; }

 private:
  std::shared_ptr<Answer> answer_ = std::make_shared<Answer>();
  bool deferred_ = false;
  int calls_ = 0;
};

// SinkExchange keeps the response without allocating: for the tests that count a hit's
// allocations.
class SinkExchange final : public http::Exchange {
 public:
  void Reply(http::Response r) override { response = std::move(r); }
  http::ReplyLater Defer() override {
    ADD_FAILURE() << "a hit must not defer";
    return [](const http::Response&) {};
  }
  http::Response response;
};

struct Reply {
  http::Response response;
  bool deferred = false;
  std::string_view body() const { return response.body; }
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(catalog_.error(), "");
    store_ = catalog_.OpenStore(/*threads=*/2, /*queue_limit=*/4096);
    ASSERT_NE(store_, nullptr);
    options_ = Options();
    options_.grace = 5min;
    options_.negative_ttl = 5s;
    // Tracking parameters, as a catalog would drop them (AHitAllocatesNothing uses them).
    options_.ignore_params = {{"utm_*", 0}, {"fbclid", 0}};
    auto router = Router::Build(options_, *store_);
    ASSERT_TRUE(router.ok()) << router.status().ToString();
    router_ = *router;
    loader_ = std::make_unique<StoreLoader>(router_, *store_, clock_, options_);
    read_through_ = std::make_unique<cache::ReadThrough>(cache_, *loader_, clock_);
    api_ = std::make_unique<Api>(router_, *read_through_, cache_, clock_, &registry_);
  }

  // Options are the endpoints the fixture serves: the catalog's unless a subclass says.
  virtual ApiOptions Options() const { return CatalogApiOptions(); }

  Reply Get(std::string_view path, std::string_view query = "",
            std::vector<http::Header> headers = {}, http::Method method = http::Method::kGet) {
    http::Request req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.headers = headers;
    RecordingExchange ex;
    api_->Handle(req, ex);
    EXPECT_EQ(ex.calls(), 1);
    auto r = ex.answer()->Wait(10s);
    EXPECT_TRUE(r.has_value()) << "no answer for " << path;
    return Reply{r ? *r : http::Response{}, ex.deferred()};
  }

  // WaitFor polls `pred` for up to 10 s (background refreshes run on store threads).
  template <typename Pred>
  bool WaitFor(Pred pred) {
    for (int i = 0; i < 2000; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return pred();
  }

  TestCatalog catalog_;
  std::unique_ptr<store::SqliteStore> store_;
  ManualClock clock_;
  ApiOptions options_;
  std::shared_ptr<const Router> router_;
  cache::Cache cache_{cache::CacheOptions{64u << 20}};
  std::unique_ptr<StoreLoader> loader_;
  metrics::Registry registry_;
  std::unique_ptr<cache::ReadThrough> read_through_;
  std::unique_ptr<Api> api_;
};

}  // namespace shoal::api::testing

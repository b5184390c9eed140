// Process tests of shoal under concurrent load over real sockets: singleflight seen from the
// network (many identical misses, one store query) and a thousand keep-alive connections at
// once. Both are races on purpose, so they are worth most under the TSan build of shoal.
//
// Clients: a few threads, each driving many connections (write a request on each, then read
// each answer), so that a thousand connections need no thousand threads.
#include <atomic>
#include <functional>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "catalog_db.h"
#include "catalog_suite.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using std::chrono::seconds;

constexpr int kItems = 2000;

// Wave describes a batch: `threads` threads, each with `per_thread` connections, all opened
// before any request is sent; then `rounds` rounds of one request per connection.
struct Wave {
  int threads = 10;
  int per_thread = 10;
  int rounds = 1;
  // Target for connection `conn` (0-based over all threads) in round `round`.
  std::function<std::string(int conn, int round)> target;
  // Check returns "" when the answer is right, else what is wrong with it.
  std::function<std::string(int conn, int round, const HttpResponse&)> check;
};

struct WaveResult {
  int ok = 0;
  std::vector<std::string> errors;  // the first few
  int error_count = 0;
};

WaveResult RunWave(uint16_t port, const Wave& wave) {
  std::mutex mu;
  WaveResult result;
  auto fail = [&](std::string what) {
    std::lock_guard guard(mu);
    ++result.error_count;
    if (result.errors.size() < 10) result.errors.push_back(std::move(what));
  };
  std::atomic<int> ok{0};
  std::latch all_open(wave.threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < wave.threads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::optional<HttpClient>> conns;
      for (int i = 0; i < wave.per_thread; ++i) {
        Result<HttpClient> c = HttpClient::Connect(port, seconds(30));
        if (c.ok()) {
          conns.emplace_back(std::move(c).value());
        } else {
          fail("connect: " + c.status().ToString());
          conns.emplace_back();
        }
      }
      all_open.arrive_and_wait();
      for (int round = 0; round < wave.rounds; ++round) {
        for (int i = 0; i < wave.per_thread; ++i) {
          if (!conns[static_cast<size_t>(i)]) continue;
          const int conn = t * wave.per_thread + i;
          if (Status s =
                  conns[static_cast<size_t>(i)]->Send(RequestText("GET", wave.target(conn, round)));
              !s.ok()) {
            fail("send: " + s.ToString());
            conns[static_cast<size_t>(i)].reset();
          }
        }
        for (int i = 0; i < wave.per_thread; ++i) {
          if (!conns[static_cast<size_t>(i)]) continue;
          const int conn = t * wave.per_thread + i;
          Result<HttpResponse> r = conns[static_cast<size_t>(i)]->Read();
          if (!r.ok()) {
            fail(wave.target(conn, round) + ": " + r.status().ToString());
            conns[static_cast<size_t>(i)].reset();
            continue;
          }
          if (std::string why = wave.check(conn, round, *r); !why.empty()) {
            fail(wave.target(conn, round) + ": " + why);
          } else {
            ok.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  result.ok = ok.load();
  return result;
}

class LoadTest : public CatalogSuite<kItems> {
 protected:
  // StartServer serves the example config plus the slow endpoint.
  void StartServer() {
    ASSERT_NE(dir_, nullptr);
    Result<std::string> config = ExampleConfig(db_);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    // metrics.cache 0s: the tests compare counters read a moment apart.
    const std::string path =
        dir_->Write("shoal.yaml", "metrics: { cache: 0s }\n" + *config + SlowEndpointYaml());
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(path);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(p).value();
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    const std::optional<int> code = server_->Stop();
    EXPECT_EQ(code, 0) << server_->Output();
  }

  double Metric(std::string_view name) {
    Result<double> v = ScrapeMetric(server_->port(), name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  std::unique_ptr<ShoalProcess> server_;
};

// SameBodyWave asks every one of `threads` x `per_thread` connections for `target` once and
// requires identical 200 answers.
WaveResult SameBodyWave(uint16_t port, const std::string& target, int threads, int per_thread) {
  auto first_body = std::make_shared<std::string>();
  auto mu = std::make_shared<std::mutex>();
  Wave wave;
  wave.threads = threads;
  wave.per_thread = per_thread;
  wave.target = [target](int, int) { return target; };
  wave.check = [first_body, mu](int, int, const HttpResponse& r) -> std::string {
    if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body;
    std::lock_guard guard(*mu);
    if (first_body->empty()) *first_body = r.body;
    return r.body == *first_body ? "" : "a different body: " + r.body;
  };
  return RunWave(port, wave);
}

TEST_F(LoadTest, TwoHundredConcurrentMissesQueryTheStoreOnce) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const double before = Metric("shoal_store_queries_total");
  const WaveResult r = SameBodyWave(server_->port(), "/v1/items/1717", 20, 10);
  EXPECT_EQ(r.ok, 200);
  EXPECT_EQ(r.error_count, 0) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(Metric("shoal_store_queries_total"), before + 1);
}

// The item query takes microseconds, so most of the 200 requests above may find the entry
// already cached. Here the load takes ~300 ms, so they do overlap it: they must all wait for
// the one query rather than start their own.
TEST_F(LoadTest, TwoHundredConcurrentMissesOfASlowKeyShareOneLoad) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const int64_t n = RowsForDuration(std::chrono::milliseconds(300));
  const double before = Metric("shoal_store_queries_total");
  const double dedup_before = Metric("shoal_load_dedup_total");
  const WaveResult r = SameBodyWave(server_->port(), "/slow/" + std::to_string(n), 20, 10);
  EXPECT_EQ(r.ok, 200);
  EXPECT_EQ(r.error_count, 0) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(Metric("shoal_store_queries_total"), before + 1);
  EXPECT_GT(Metric("shoal_load_dedup_total"), dedup_before);
}

TEST_F(LoadTest, ThousandKeepAliveConnectionsServeEveryRequest) {
  constexpr int kThreads = 20;
  constexpr int kPerThread = 50;
  constexpr rlim_t kFiles = 4096;  // 1,000 client ends here, 1,000 server ends in the child
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur < kFiles) {
    if (lim.rlim_max < kFiles) GTEST_SKIP() << "RLIMIT_NOFILE hard limit " << lim.rlim_max;
    lim.rlim_cur = kFiles;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
  }
  ASSERT_NO_FATAL_FAILURE(StartServer());  // after setrlimit: the child inherits the limit

  static constexpr const char* kCategories[] = {"books", "yarn", "maps", "coffee", "kites"};
  Wave wave;
  wave.threads = kThreads;
  wave.per_thread = kPerThread;
  wave.rounds = 3;
  // Round 0: an item; 1: its reviews; 2: a category. Ids repeat across connections, so the
  // rounds mix misses, hits and loads joined in flight.
  wave.target = [](int conn, int round) -> std::string {
    const int id = 1 + (conn * 7) % kItems;
    switch (round) {
      case 0:
        return "/v1/items/" + std::to_string(id);
      case 1:
        return "/v1/items/" + std::to_string(id) + "/reviews?limit=3";
      default:
        return std::string("/v1/categories/") + kCategories[conn % 5] + "/items?limit=5";
    }
  };
  wave.check = [](int conn, int round, const HttpResponse& r) -> std::string {
    if (r.status != 200) return "status " + std::to_string(r.status) + ": " + r.body;
    Result<boost::json::value> v = ParseJson(r.body);
    if (!v.ok()) return v.status().ToString();
    if (round == 0) {
      const int id = 1 + (conn * 7) % kItems;
      if (!v->is_object() || v->as_object().at("id") != boost::json::value(id)) {
        return "wrong item: " + r.body;
      }
    } else if (!v->is_array()) {
      return "not an array: " + r.body;
    }
    return "";
  };
  const WaveResult r = RunWave(server_->port(), wave);
  EXPECT_EQ(r.error_count, 0) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(r.ok, kThreads * kPerThread * 3);
  EXPECT_EQ(Metric("shoal_http_responses_5xx_total"), 0);
  EXPECT_GE(Metric("shoal_http_connections_total"), kThreads * kPerThread);
}

}  // namespace
}  // namespace shoal::testing

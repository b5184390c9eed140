// Process tests of GET /_shoal/ready: the real shoal over a real SQLite file turns unready when
// the file is locked by another process (every query fails for real: SQLite cannot take its
// shared lock) and ready again when the lock goes; and SIGTERM turns it unready at once while
// the listener keeps serving for http.drain_delay, after which the node drains and exits 0.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kItems = 200;

class ReadyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("catalog.db");
    Status s = MakeCatalog(db_, kItems);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void TearDown() override {
    if (locker_ != nullptr) sqlite3_close(locker_);
    if (server_ == nullptr || !server_->Running()) return;
    EXPECT_EQ(server_->Stop(), 0) << server_->Output();
  }

  // StartServer serves the example config with `prefix` (top-level keys) before it.
  void StartServer(const std::string& prefix) {
    Result<std::string> config = ExampleConfig(db_);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    Result<std::unique_ptr<ShoalProcess>> p =
        ShoalProcess::Serve(dir_.Write("shoal.yaml", prefix + *config));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(p).value();
  }

  // Get asks `target` on a new connection; status 0 when the connection fails.
  HttpResponse Get(std::string_view target) {
    Result<HttpClient> c = HttpClient::Connect(server_->port(), seconds(5));
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Get(target);
    return r.ok() ? *r : HttpResponse{};
  }

  // WaitReady polls /_shoal/ready until it answers `status`; the time it took, or nullopt.
  std::optional<milliseconds> WaitReady(int status, Duration timeout, HttpResponse* last) {
    const auto start = SteadyClock::now();
    while (SteadyClock::now() - start < timeout) {
      *last = Get("/_shoal/ready");
      if (last->status == status) {
        return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return std::nullopt;
  }

  // Lock takes SQLite's exclusive lock on the file from this process (a writer that never
  // commits), so the server's reads cannot start; Unlock lets it go.
  void Lock() {
    ASSERT_EQ(sqlite3_open_v2(db_.c_str(), &locker_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(locker_, "BEGIN EXCLUSIVE", nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "");
  }
  void Unlock() {
    ASSERT_EQ(sqlite3_exec(locker_, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(locker_);
    locker_ = nullptr;
  }

  TempDir dir_;
  std::string db_;
  sqlite3* locker_ = nullptr;
  std::unique_ptr<ShoalProcess> server_;
};

TEST_F(ReadyTest, UnreadyWithinTheWindowWhileTheStoreFailsAndReadyAgainAfter) {
  // metrics.cache 0s: a page rendered while ready would otherwise be served again for 1 s.
  StartServer("ready: { probe_interval: 200ms, window: 1s }\nmetrics: { cache: 0s }\n");
  HttpResponse r;
  ASSERT_TRUE(WaitReady(200, seconds(5), &r)) << r.status << " " << r.body;
  EXPECT_EQ(r.body, R"({"status":"ready"})");
  EXPECT_EQ(Get("/_shoal/health").status, 200);
  Result<double> gauge = ScrapeMetric(server_->port(), "shoal_ready");
  ASSERT_TRUE(gauge.ok()) << gauge.status().ToString();
  EXPECT_EQ(*gauge, 1);

  Lock();
  // The window is 1 s and the probe asks every 0.2 s: unready after about 1 s.
  const std::optional<milliseconds> down = WaitReady(503, seconds(5), &r);
  ASSERT_TRUE(down) << r.status << " " << r.body;
  std::printf("unready %lld ms after the lock (window 1000 ms)\n",
              static_cast<long long>(down->count()));
  EXPECT_GE(down->count(), 700) << "the window was not waited for";
  EXPECT_LE(down->count(), 2500);
  EXPECT_NE(r.body.find(R"("status":"not ready")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("store: no answer for"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("store unavailable"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("sqlite"), std::string::npos) << "the database's own words: " << r.body;
  EXPECT_EQ(Get("/_shoal/health").status, 200) << "liveness does not follow the store";
  gauge = ScrapeMetric(server_->port(), "shoal_ready");
  ASSERT_TRUE(gauge.ok());
  EXPECT_EQ(*gauge, 0);
  // The operator's log has the store's own message.
  EXPECT_TRUE(server_->WaitForOutput("database is locked", seconds(3))) << server_->Output();

  Unlock();
  const std::optional<milliseconds> up = WaitReady(200, seconds(5), &r);
  ASSERT_TRUE(up) << r.status << " " << r.body;
  EXPECT_LE(up->count(), 1000) << "one probe interval should do";
  EXPECT_TRUE(server_->WaitForOutput("ready again", seconds(3))) << server_->Output();
}

TEST_F(ReadyTest, SigtermTurnsReadinessOffWhileServingForTheDrainDelay) {
  StartServer("http: { drain_delay: 2s }\n");
  HttpResponse r;
  ASSERT_TRUE(WaitReady(200, seconds(5), &r)) << r.status << " " << r.body;

  const auto signalled = SteadyClock::now();
  server_->Signal(SIGTERM);
  const std::optional<milliseconds> down = WaitReady(503, seconds(1), &r);
  ASSERT_TRUE(down) << r.status << " " << r.body;
  EXPECT_NE(r.body.find("draining"), std::string::npos) << r.body;
  // New connections are still accepted and answered during the delay.
  const HttpResponse item = Get("/v1/items/7");
  EXPECT_EQ(item.status, 200) << item.body;
  EXPECT_LT(SteadyClock::now() - signalled, seconds(2)) << "too slow to test the delay";

  const std::optional<int> code = server_->WaitExit(seconds(20));
  ASSERT_TRUE(code.has_value()) << server_->Output();
  EXPECT_EQ(*code, 0) << server_->Output();
  const auto took = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - signalled);
  std::printf("exited %lld ms after SIGTERM (drain_delay 2000 ms)\n",
              static_cast<long long>(took.count()));
  EXPECT_GE(took.count(), 1900) << "the drain did not wait for drain_delay";
}

TEST_F(ReadyTest, ASecondSignalDuringTheDrainDelayExitsAtOnce) {
  StartServer("http: { drain_delay: 60s }\n");
  HttpResponse r;
  ASSERT_TRUE(WaitReady(200, seconds(5), &r)) << r.status << " " << r.body;
  server_->Signal(SIGTERM);
  ASSERT_TRUE(WaitReady(503, seconds(1), &r)) << r.status << " " << r.body;
  server_->Signal(SIGTERM);
  const std::optional<int> code = server_->WaitExit(seconds(5));
  ASSERT_TRUE(code.has_value()) << server_->Output();
  EXPECT_EQ(*code, 128 + SIGTERM);
}

TEST_F(ReadyTest, ASeedOnlyNodeIsReadyOnceItHasLearnedTheMemberList) {
  const std::string a = "127.0.0.1:" + std::to_string(FreeLocalPort());
  const std::string b = "127.0.0.1:" + std::to_string(FreeLocalPort());
  const std::string cluster_tail =
      "  secret: a-test-secret-of-some-length\n  peer_timeout: 1s\n  probe_interval: 100ms\n"
      "  sync_interval: 200ms\n";
  // Node A knows only a seed (B), which is not up yet.
  Result<std::string> base = ExampleConfig(db_);
  ASSERT_TRUE(base.ok());
  const std::string a_config = "ready: { probe_interval: 200ms, window: 2s }\n" + *base +
                               "cluster:\n  self: " + a + "\n  seeds: [" + b + "]\n" + cluster_tail;
  Result<std::unique_ptr<ShoalProcess>> pa = ShoalProcess::Serve(dir_.Write("a.yaml", a_config));
  ASSERT_TRUE(pa.ok()) << pa.status().ToString();
  server_ = std::move(pa).value();
  HttpResponse r;
  // The store answers, so the one reason left is the cluster's.
  const auto deadline = SteadyClock::now() + seconds(5);
  do {
    r = Get("/_shoal/ready");
    std::this_thread::sleep_for(milliseconds(100));
  } while (r.body.find("store:") != std::string::npos && SteadyClock::now() < deadline);
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("cluster: the member list is not known"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("store:"), std::string::npos) << r.body;

  // B starts with a static list of itself; A learns the list from it (and joins).
  const std::string b_config =
      *base + "cluster:\n  self: " + b + "\n  peers: [" + b + "]\n" + cluster_tail;
  Result<std::unique_ptr<ShoalProcess>> pb = ShoalProcess::Serve(dir_.Write("b.yaml", b_config));
  ASSERT_TRUE(pb.ok()) << pb.status().ToString();
  const std::optional<milliseconds> up = WaitReady(200, seconds(10), &r);
  EXPECT_TRUE(up) << r.status << " " << r.body << "\n" << server_->Output();
  EXPECT_EQ((*pb)->Stop(), 0) << (*pb)->Output();
}

}  // namespace
}  // namespace shoal::testing

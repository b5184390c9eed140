// Process tests of shoal's behaviour over time and under failure: the SIGTERM drain, which
// thread takes the signals, the store timeout, and stale-if-error when the database breaks under a
// running server.
//
// A slow store is made with kSlowQuery (catalog_db.h), a recursive CTE whose cost is linear
// in its :n parameter; RowsForDuration calibrates :n on this machine, so "about one second"
// holds on a loaded 2-core box and under sanitizers alike (SQLite itself is not instrumented).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <signal.h>

#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kItems = 2000;

// ReplaceAll replaces every `from` in `text` by `to`; returns how many it replaced.
int ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  int n = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    ++n;
  }
  return n;
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("catalog.db");
    Status s = MakeCatalog(db_, kItems);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void TearDown() override {
    if (server_ == nullptr || !server_->Running()) return;
    EXPECT_EQ(server_->Stop(), 0) << server_->Output();
  }

  // StartServer serves the example config, with `edit` applied, plus the slow endpoint.
  void StartServer(const std::function<void(std::string&)>& edit) {
    Result<std::string> config = ExampleConfig(db_);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    // metrics.cache 0s: the tests wait on counters (a request in flight), which a page kept for
    // a second would show late, after the slow request had already been answered.
    std::string text = "metrics: { cache: 0s }\n" + *config + SlowEndpointYaml();
    edit(text);
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(dir_.Write("shoal.yaml", text));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(p).value();
  }

  HttpClient Connect() {
    Result<HttpClient> c = HttpClient::Connect(server_->port());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) std::abort();
    return std::move(c).value();
  }

  double Metric(std::string_view name) {
    Result<double> v = ScrapeMetric(server_->port(), name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  TempDir dir_;
  std::string db_;
  std::unique_ptr<ShoalProcess> server_;
};

TEST_F(LifecycleTest, SigtermDrainAnswersTheRequestInFlightThenExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartServer(
      [](std::string& t) { ASSERT_EQ(ReplaceAll(t, "timeout: 2s", "timeout: 30s"), 1); }));
  const int64_t n = RowsForDuration(seconds(1));
  const double queries = Metric("shoal_store_queries_total");

  HttpClient slow = Connect();
  ASSERT_TRUE(slow.Send(RequestText("GET", "/slow/" + std::to_string(n))).ok());
  // In flight once the store has it.
  const auto deadline = SteadyClock::now() + seconds(10);
  while (Metric("shoal_store_queries_total") < queries + 1 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(Metric("shoal_store_queries_total"), queries + 1);
  HttpClient idle = Connect();  // an idle keep-alive connection: the drain closes it

  server_->Signal(SIGTERM);
  // New connections are refused soon after the signal, while the slow request still runs.
  bool refused = false;
  const auto refuse_deadline = SteadyClock::now() + seconds(5);
  while (!refused && SteadyClock::now() < refuse_deadline) {
    Result<HttpClient> c = HttpClient::Connect(server_->port(), seconds(1));
    refused = !c.ok();
    if (!refused) std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_TRUE(refused) << "a new connection was still accepted 5 s after SIGTERM";
  EXPECT_TRUE(server_->Running()) << "exited before answering the request in flight";

  Result<HttpResponse> r = slow.Read();
  ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << server_->Output();
  EXPECT_EQ(r->status, 200) << r->body;
  Result<json::value> body = ParseJson(r->body);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->at("n"), json::value(n));
  EXPECT_EQ(body->at("total"), json::value(n));
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(slow.WaitClosed(seconds(10)));
  EXPECT_TRUE(idle.WaitClosed(seconds(10)));

  EXPECT_EQ(server_->WaitExit(seconds(30)), 0) << server_->Output();
  EXPECT_TRUE(server_->WaitForOutput("shoal: stopped", seconds(5))) << server_->Output();
}

// SigBlkOf is the blocked-signal mask of each of `pid`'s threads, from /proc/PID/task/*/status.
std::vector<uint64_t> SigBlkOf(pid_t pid) {
  std::vector<uint64_t> masks;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("SigBlk:", 0) == 0) masks.push_back(std::stoull(line.substr(7), nullptr, 16));
    }
  }
  return masks;
}

// The operator's signals reach one thread only (cli/signals.h): every other thread blocks
// them, so that no store, peer or event-loop call is interrupted, and the handler runs on a
// thread parked in epoll_wait (ThreadSanitizer defers a signal that lands elsewhere).
TEST_F(LifecycleTest, OneThreadTakesTheOperatorSignals) {
  ASSERT_NO_FATAL_FAILURE(StartServer([](std::string&) {}));
  const std::vector<uint64_t> masks = SigBlkOf(server_->pid());
  ASSERT_GE(masks.size(), 3U) << "threads of shoal";
  for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) {
    const uint64_t bit = uint64_t{1} << (signo - 1);
    const auto open =
        std::count_if(masks.begin(), masks.end(), [bit](uint64_t m) { return (m & bit) == 0; });
    EXPECT_EQ(open, 1) << "threads that take signal " << signo << " of " << masks.size();
  }
}

// A SIGTERM that comes while the process cannot run is not lost; a test whose shoal does not
// stop in time shows every thread's stack (gdb) in the output it prints.
TEST_F(LifecycleTest, AProcessThatDoesNotStopInTimeHasItsThreadsPrinted) {
  ASSERT_NO_FATAL_FAILURE(StartServer([](std::string&) {}));
  ASSERT_EQ(::kill(server_->pid(), SIGSTOP), 0);
  EXPECT_EQ(server_->Stop(milliseconds(200)), std::nullopt);
  const std::string out = server_->Output();
  EXPECT_NE(out.find("shoal did not stop in time: its threads (gdb)"), std::string::npos) << out;
  EXPECT_NE(out.find("Thread 1 "), std::string::npos) << out;
  EXPECT_NE(out.find("epoll_wait"), std::string::npos) << out;
  ASSERT_EQ(::kill(server_->pid(), SIGCONT), 0);
  EXPECT_EQ(server_->WaitExit(seconds(30)), 0) << server_->Output();
  EXPECT_TRUE(server_->WaitForOutput("shoal: stopped", seconds(5))) << server_->Output();
}

TEST_F(LifecycleTest, StoreTimeoutIs503QuicklyAndOtherRoutesKeepServing) {
  ASSERT_NO_FATAL_FAILURE(StartServer(
      [](std::string& t) { ASSERT_EQ(ReplaceAll(t, "timeout: 2s", "timeout: 300ms"), 1); }));
  // Ten times the timeout: a query that is not interrupted holds its worker that long.
  const std::string target = "/slow/" + std::to_string(RowsForDuration(seconds(3)));

  HttpClient slow = Connect();
  const auto start = SteadyClock::now();
  ASSERT_TRUE(slow.Send(RequestText("GET", target)).ok());
  // Meanwhile another route answers, from the store's other worker.
  HttpClient other = Connect();
  Result<HttpResponse> item = other.Get("/v1/items/5");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->status, 200);

  Result<HttpResponse> r = slow.Read();
  const auto elapsed = SteadyClock::now() - start;
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503) << r->body;
  Result<json::value> body = ParseJson(r->body);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->at("status"), json::value(503));
  EXPECT_TRUE(body->at("error").is_string());
  EXPECT_FALSE(r->Header("Retry-After").empty());
  EXPECT_LT(elapsed, milliseconds(1500))
      << std::chrono::duration_cast<milliseconds>(elapsed).count() << " ms";

  // The worker was freed (the query was interrupted, not left running): both workers serve.
  for (int id = 10; id < 20; ++id) {
    Result<HttpResponse> again = other.Get("/v1/items/" + std::to_string(id));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->status, 200);
  }
  // A timeout is not cached: the next ask tries again and times out again.
  Result<HttpResponse> second = slow.Get(target);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->status, 503);
  EXPECT_GE(Metric("shoal_store_queries_total"), 3);
}

TEST_F(LifecycleTest, StaleEntryIsServedWhenTheStoreFails) {
  ASSERT_NO_FATAL_FAILURE(StartServer([](std::string& t) {
    ASSERT_GE(ReplaceAll(t, "ttl: 60s", "ttl: 1s"), 1);
    ASSERT_EQ(ReplaceAll(t, "grace: 5m", "grace: 1s"), 1);
  }));
  HttpClient c = Connect();
  Result<HttpResponse> fresh = c.Get("/v1/items/7");
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  ASSERT_EQ(fresh->status, 200);

  // Break the store behind the server's back: the items table is gone.
  Status broken = ExecSql(db_, "ALTER TABLE items RENAME TO gone");
  ASSERT_TRUE(broken.ok()) << broken.ToString();
  std::this_thread::sleep_for(milliseconds(2500));  // past ttl (1 s) + grace (1 s)

  Result<HttpResponse> stale = c.Get("/v1/items/7");
  ASSERT_TRUE(stale.ok()) << stale.status().ToString();
  EXPECT_EQ(stale->status, 200) << stale->body;
  EXPECT_EQ(stale->body, fresh->body);
  EXPECT_EQ(stale->Header("X-Cache"), "STALE");

  Result<HttpResponse> never = c.Get("/v1/items/8");
  ASSERT_TRUE(never.ok()) << never.status().ToString();
  EXPECT_EQ(never->status, 503) << never->body;
  Result<json::value> body = ParseJson(never->body);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->at("status"), json::value(503));

  EXPECT_GE(Metric("shoal_stale_if_error_total"), 1);
}

}  // namespace
}  // namespace shoal::testing

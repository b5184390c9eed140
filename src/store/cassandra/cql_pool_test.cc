// Pool against the real server (label cassandra): Sync adds and removes nodes, a node keeps
// its identity (host_id) across an address change, the server's DOWN takes a node out of
// routing at once, and a node takes requests only once warmed up. The one server is reached
// under two addresses, 127.0.0.1 and localhost, to stand for two nodes.
#include "store/cassandra/cql_pool.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

#include "base/memory_logger.h"
#include "store/cassandra/cassandra_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

template <typename Pred>
bool WaitFor(Pred done, Duration limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

NodeInfo Node(const std::string& host, std::string host_id = "") {
  NodeInfo n;
  n.endpoint = HostPort{host, testing::CassandraPort()};
  n.address = n.endpoint.ToString();
  n.host_id = std::move(host_id);
  return n;
}

// Harness runs an io_context on one thread around a pool.
class PoolTest : public ::testing::Test {
 protected:
  void Make(WarmUp warm_up = {}) {
    PoolOptions o;
    o.connections_per_node = 2;
    o.reconnect_initial = 10ms;
    o.reconnect_max = 50ms;
    o.warm_up = std::move(warm_up);
    o.logger = &log_;
    pool_.emplace(io_, std::move(o));
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (pool_) pool_->Close();
    std::this_thread::sleep_for(20ms);  // the closes' callbacks
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    if (pool_) pool_->Clear();
  }

  MemoryLogger log_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  std::optional<Pool> pool_;
  std::thread thread_;
};

TEST_F(PoolTest, SyncAddsAndRemovesNodes) {
  SHOAL_NEED_CASSANDRA();
  Make();
  auto nodes = pool_->Sync({Node("127.0.0.1")});
  ASSERT_EQ(nodes.size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return nodes[0]->routable(); }));
  EXPECT_NE(nodes[0]->Pick(), nullptr);

  auto two = pool_->Sync({Node("127.0.0.1"), Node("localhost")});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], nodes[0]);  // the same member, not redialled
  ASSERT_TRUE(WaitFor([&] { return two[1]->routable(); }));
  EXPECT_EQ(pool_->size(), 2u);
  EXPECT_EQ(pool_->nodes_up(), 2u);
  EXPECT_EQ(log_.Count("cassandra", "joined the ring"), 2u);
  EXPECT_EQ(pool_->Reports().size(), 2u);

  // localhost leaves: closed at once, kept alive by `two` (as a View would), never redialled.
  const uint64_t reconnects = pool_->reconnects();
  auto one = pool_->Sync({Node("127.0.0.1")});
  EXPECT_EQ(one.size(), 1u);
  EXPECT_TRUE(two[1]->removed());
  EXPECT_EQ(two[1]->Pick(), nullptr);
  EXPECT_EQ(pool_->size(), 1u);
  EXPECT_EQ(log_.Count("cassandra", "node localhost:"), 2u);  // joined, left
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(pool_->reconnects(), reconnects);
  EXPECT_EQ(log_.Count("cassandra", " lost: "), 0u);  // a removal is not a loss
  EXPECT_TRUE(two[0]->routable());
}

TEST_F(PoolTest, AHostIdKeepsTheNodeAcrossAnAddressChange) {
  SHOAL_NEED_CASSANDRA();
  Make();
  auto before = pool_->Sync({Node("127.0.0.1", "id-1")});
  ASSERT_TRUE(WaitFor([&] { return before[0]->routable(); }));
  before[0]->stats().OnSent(std::chrono::steady_clock::now());
  auto after = pool_->Sync({Node("localhost", "id-1")});
  EXPECT_EQ(after[0], before[0]);
  EXPECT_EQ(after[0]->address(), "localhost:" + std::to_string(testing::CassandraPort()));
  ASSERT_TRUE(WaitFor([&] {
    auto c = after[0]->Pick();
    return c && c->address().rfind("localhost:", 0) == 0;
  }));
  NodeReport r;
  after[0]->stats().Report(std::chrono::steady_clock::now(), &r);
  EXPECT_EQ(r.requests, 1u);  // the stats stayed
  EXPECT_EQ(pool_->size(), 1u);
}

TEST_F(PoolTest, TheServersDownTakesANodeOutAtOnceAndUpBringsItBack) {
  SHOAL_NEED_CASSANDRA();
  Make();
  auto nodes = pool_->Sync({Node("127.0.0.1")});
  ASSERT_TRUE(WaitFor([&] { return nodes[0]->routable(); }));
  EXPECT_EQ(pool_->Find(nodes[0]->info().endpoint), nodes[0]);
  pool_->SetServerDown(nodes[0], true);
  EXPECT_FALSE(nodes[0]->routable());
  EXPECT_EQ(nodes[0]->Pick(), nullptr);
  EXPECT_EQ(pool_->nodes_up(), 0u);
  pool_->SetServerDown(nodes[0], true);  // logged once
  EXPECT_EQ(log_.Count("cassandra", "is down (the cluster says so)"), 1u);
  pool_->SetServerDown(nodes[0], false);
  EXPECT_TRUE(nodes[0]->routable());
  EXPECT_EQ(log_.Count("cassandra", "is up (the cluster says so)"), 1u);
}

TEST_F(PoolTest, ANodeTakesRequestsOnlyOnceWarmedUp) {
  SHOAL_NEED_CASSANDRA();
  std::atomic<int> calls{0};
  std::function<void(bool)> pending;
  std::mutex mu;
  Make([&](const std::shared_ptr<Connection>& conn, std::function<void(bool)> done) {
    EXPECT_FALSE(conn->closed());
    if (calls.fetch_add(1) == 0) {
      done(false);  // the first warm-up fails: that connection is dropped and redialled
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    pending = std::move(done);
  });
  auto nodes = pool_->Sync({Node("127.0.0.1")});
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return pending != nullptr;
  }));
  EXPECT_GE(calls.load(), 2);
  EXPECT_FALSE(nodes[0]->routable());  // open, but not warmed up
  EXPECT_EQ(nodes[0]->Pick(), nullptr);
  {
    std::lock_guard<std::mutex> lock(mu);
    pending(true);
  }
  EXPECT_TRUE(nodes[0]->routable());
  EXPECT_NE(nodes[0]->Pick(), nullptr);
}

}  // namespace
}  // namespace shoal::store::cassandra

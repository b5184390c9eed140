// Session against the real server (label cassandra), through a TCP proxy the test can cut:
// a node that goes down and comes back logs one line each way, however many requests and
// redials happen meanwhile.
#include "store/cassandra/cql_session.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/memory_logger.h"
#include "base/test_socket.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_test_proxy.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::chrono_literals;

using testing::Proxy;

// WaitFor polls `done` for up to `limit`.
template <typename Pred>
bool WaitFor(Pred done, Duration limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(CqlSessionTest, ANodeDownAndUpLogsOnceEachWayHoweverManyRequestsAndRedials) {
  SHOAL_NEED_CASSANDRA();
  Proxy proxy(testing::CassandraPort());
  MemoryLogger log;
  SessionOptions o;
  o.contact_points = {"127.0.0.1:" + std::to_string(proxy.port())};
  o.discover_peers = false;  // the proxy is the one node
  o.connections_per_node = 2;
  o.reconnect_initial = 5ms;
  o.reconnect_max = 20ms;
  o.logger = &log;
  auto session = Session::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Session& s = **session;
  EXPECT_EQ(log.Count("cassandra", "discovered 1 node: 127.0.0.1:"), 1u);
  ASSERT_TRUE(s.Run("SELECT release_version FROM system.local", 10s).ok());

  for (size_t cycle = 1; cycle <= 2; ++cycle) {
    proxy.Stop();
    ASSERT_TRUE(WaitFor([&s] { return s.nodes_up() == 0; })) << "cycle " << cycle;
    const uint64_t reconnects = s.reconnects();
    for (int i = 0; i < 50; ++i) {
      Result<std::string> r = s.Run("SELECT release_version FROM system.local", 1s);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
    }
    // Redials fail meanwhile (connection refused), each after its backoff, silently.
    ASSERT_TRUE(WaitFor([&s, reconnects] { return s.reconnects() >= reconnects + 10; }));
    EXPECT_EQ(log.Count("cassandra", "is down"), cycle) << "cycle " << cycle;
    EXPECT_EQ(log.Count("cassandra", "is up again"), cycle - 1) << "cycle " << cycle;

    proxy.Start();
    ASSERT_TRUE(WaitFor([&s] { return s.nodes_up() == 1; })) << "cycle " << cycle;
    Result<std::string> r = s.Run("SELECT release_version FROM system.local", 10s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(log.Count("cassandra", "is down"), cycle) << "cycle " << cycle;
    EXPECT_EQ(log.Count("cassandra", "is up again"), cycle) << "cycle " << cycle;
  }
  // Each lost connection was logged: at least one per cycle (the second slot may not have
  // been redialled yet when the proxy stopped again).
  const size_t lost = log.Count("cassandra", " lost: ");
  EXPECT_GE(lost, 2u);
  EXPECT_LE(lost, 4u);
  s.Shutdown();
  // Closing at shutdown is not a loss.
  EXPECT_EQ(log.Count("cassandra", " lost: "), lost);
  for (const MemoryLogger::Line& line : log.lines()) {
    if (line.message.find("is down") != std::string::npos) {
      EXPECT_EQ(line.level, LogLevel::kWarn);
    }
    if (line.message.find("is up again") != std::string::npos) {
      EXPECT_EQ(line.level, LogLevel::kInfo);
    }
  }
}

// A node that comes back (its first connection after being down) is sent a PREPARE of every
// statement the session made before it takes requests: the node is up (routable) only once
// the log says so.
TEST(CqlSessionTest, AReturningNodePreparesTheStatementsBeforeTakingRequests) {
  SHOAL_NEED_CASSANDRA();
  Proxy proxy(testing::CassandraPort());
  MemoryLogger log;
  SessionOptions o;
  o.contact_points = {"127.0.0.1:" + std::to_string(proxy.port())};
  o.discover_peers = false;
  o.connections_per_node = 2;
  o.reconnect_initial = 5ms;
  o.reconnect_max = 20ms;
  o.logger = &log;
  auto session = Session::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Session& s = **session;
  EXPECT_EQ(log.Count("cassandra", "statements on"), 0u);  // none made yet at Open
  auto a = s.Prepare("SELECT release_version FROM system.local", 10s);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = s.Prepare("SELECT cluster_name FROM system.local", 10s);
  ASSERT_TRUE(b.ok()) << b.status().ToString();

  for (size_t cycle = 1; cycle <= 2; ++cycle) {
    proxy.Stop();
    ASSERT_TRUE(WaitFor([&s] { return s.nodes_up() == 0; })) << "cycle " << cycle;
    proxy.Start();
    ASSERT_TRUE(WaitFor([&s] { return s.nodes_up() == 1; })) << "cycle " << cycle;
    EXPECT_EQ(log.Count("cassandra",
                        "prepared 2 statements on 127.0.0.1:" + std::to_string(proxy.port()) +
                            " before sending it requests"),
              cycle);
    std::atomic<bool> done{false};
    Status answer = Status::Internal("no answer");  // the message views the frame: keep the status
    s.Execute(*a, "", 0, ExecuteOptions{}, std::chrono::steady_clock::now() + 10s,
              [&](const Result<ResultMessage>& r) {
                answer = r.status();
                done = true;
              });
    ASSERT_TRUE(WaitFor([&] { return done.load(); }));
    EXPECT_TRUE(answer.ok()) << answer.ToString();
  }
  EXPECT_EQ(s.reprepares(), 0u);
  s.Shutdown();
}

// node_networks: a network that does not parse fails Open naming the option; the contact
// point is dialled whatever the networks (the test server is one node on 127.0.0.1, outside
// 10.0.0.0/8).
TEST(CqlSessionTest, NodeNetworksAreCheckedAndNeverKeepOutTheContactPoint) {
  SessionOptions bad;
  bad.contact_points = {"127.0.0.1:" + std::to_string(testing::CassandraPort())};
  bad.node_networks = {"10.0.0.0/8", "10.0.0.1/33"};
  auto refused = Session::Open(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("node_networks"), std::string::npos)
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("10.0.0.1/33"), std::string::npos)
      << refused.status().ToString();

  SHOAL_NEED_CASSANDRA();
  SessionOptions o = bad;
  o.node_networks = {"10.0.0.0/8"};
  o.connections_per_node = 1;
  auto session = Session::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ((*session)->nodes_up(), 1u);
  EXPECT_TRUE((*session)->Run("SELECT release_version FROM system.local", 10s).ok());
}

}  // namespace
}  // namespace shoal::store::cassandra

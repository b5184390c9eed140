// The control connection against the real server (label cassandra): REGISTER is accepted,
// schema changes arrive as events and bring a refresh, the refresh interval refreshes, and a
// lost control connection is re-established and registers again.
#include "store/cassandra/cql_control.h"

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "base/memory_logger.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_session.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool WaitFor(Pred done, Duration limit = 20s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

SessionOptions Options(MemoryLogger* log) {
  SessionOptions o;
  o.contact_points = {"127.0.0.1:" + std::to_string(testing::CassandraPort())};
  o.connections_per_node = 1;
  o.reconnect_initial = 10ms;
  o.reconnect_max = 100ms;
  o.logger = log;
  return o;
}

// Run runs DDL, failing the test on an error.
void RunDdl(Session& s, const std::string& cql) {
  Result<std::string> r = s.Run(cql, 60s, Consistency::kOne);
  ASSERT_TRUE(r.ok()) << cql << ": " << r.status().ToString();
}

TEST(CqlControlTest, SchemaChangesArriveAsEventsAndBringARefresh) {
  SHOAL_NEED_CASSANDRA();
  MemoryLogger log;
  auto session = Session::Open(Options(&log));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Session& s = **session;
  EXPECT_EQ(s.control_address(), "127.0.0.1:" + std::to_string(testing::CassandraPort()));
  const Session::RingCounters before = s.ring_counters();
  EXPECT_EQ(before.control_reconnects, 0u);

  const std::string ks = testing::UniqueKeyspace("shoal_control");
  RunDdl(s, "DROP KEYSPACE IF EXISTS " + ks);
  RunDdl(s, "CREATE KEYSPACE " + ks +
                " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
  RunDdl(s, "CREATE TABLE " + ks + ".t (k int PRIMARY KEY)");
  // At least the keyspace's and the table's CREATED; one refresh (debounced) after them.
  ASSERT_TRUE(WaitFor([&] { return s.ring_counters().schema_events >= before.schema_events + 2; }))
      << s.ring_counters().schema_events;
  ASSERT_TRUE(WaitFor([&] { return s.ring_counters().refreshes > before.refreshes; }));
  const uint64_t refreshes = s.ring_counters().refreshes;
  RunDdl(s, "DROP TABLE " + ks + ".t");
  ASSERT_TRUE(WaitFor([&] { return s.ring_counters().refreshes > refreshes; }));
  RunDdl(s, "DROP KEYSPACE " + ks);
  EXPECT_EQ(s.ring_counters().refresh_failures, 0u);
  EXPECT_EQ(s.nodes(), 1u);  // the refresh kept the one node
  EXPECT_EQ(s.nodes_up(), 1u);
  s.Shutdown();
}

TEST(CqlControlTest, ALostControlConnectionComesBackAndRegistersAgain) {
  SHOAL_NEED_CASSANDRA();
  MemoryLogger log;
  auto session = Session::Open(Options(&log));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Session& s = **session;
  for (uint64_t round = 1; round <= 2; ++round) {
    s.CloseControlForTest();
    ASSERT_TRUE(WaitFor([&] { return s.ring_counters().control_reconnects == round; }));
    ASSERT_TRUE(WaitFor([&] { return !s.control_address().empty(); }));
    EXPECT_EQ(log.Count("cassandra", "control connection moved from"), round);
    // Registered again: a schema change still arrives.
    const uint64_t events = s.ring_counters().schema_events;
    const std::string ks = testing::UniqueKeyspace("shoal_control_re") + std::to_string(round);
    RunDdl(s, "CREATE KEYSPACE IF NOT EXISTS " + ks +
                  " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    ASSERT_TRUE(WaitFor([&] { return s.ring_counters().schema_events > events; }));
    RunDdl(s, "DROP KEYSPACE " + ks);
  }
  // Requests never depended on the control connection.
  EXPECT_TRUE(s.Run("SELECT release_version FROM system.local", 10s).ok());
  s.Shutdown();
}

TEST(CqlControlTest, TheRefreshIntervalRefreshes) {
  SHOAL_NEED_CASSANDRA();
  MemoryLogger log;
  SessionOptions o = Options(&log);
  o.refresh_interval = 100ms;
  auto session = Session::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return (*session)->ring_counters().refreshes >= 3; }));
  EXPECT_EQ((*session)->nodes_up(), 1u);
  (*session)->Shutdown();
  // Shutdown stops the thread: nothing refreshes afterwards.
  const uint64_t after = (*session)->ring_counters().refreshes;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ((*session)->ring_counters().refreshes, after);
}

// Shutdown right after the control connection was lost (its thread failing over) is clean:
// the thread is joined and the new connection, if any, closed.
TEST(CqlControlTest, ShutdownWhileTheControlConnectionFailsOverIsClean) {
  SHOAL_NEED_CASSANDRA();
  MemoryLogger log;
  SessionOptions o = Options(&log);
  auto session = Session::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  (*session)->CloseControlForTest();
  (*session)->Shutdown();
  EXPECT_EQ((*session)->control_address(), "");
}

// On a real ring (SHOAL_CASSANDRA_RING=HOST:PORT[,HOST:PORT...], as scripts/with-cassandra.sh
// exports scripts/cassandra-ring.sh's nodes; skipped otherwise; nothing here disturbs the
// ring): every node gets a pool, and a lost control connection moves to another node.
TEST(CqlControlTest, OnARingTheControlConnectionMovesToAnotherNode) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): tests read the environment, nothing writes it.
  const char* ring = std::getenv("SHOAL_CASSANDRA_RING");
  if (ring == nullptr) GTEST_SKIP() << "SHOAL_CASSANDRA_RING not set";
  MemoryLogger log;
  SessionOptions o = Options(&log);
  o.contact_points.clear();
  std::string_view rest = ring;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    o.contact_points.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  o.port = 9042;
  auto session = Session::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Session& s = **session;
  ASSERT_GE(s.nodes(), 2u);
  ASSERT_TRUE(WaitFor([&] { return s.nodes_up() == s.nodes(); }));
  const std::string first = s.control_address();
  // Counted before the move: the refresh the reconnection brings may end before this thread
  // sees the new address (the CI of 2026-12-06 read the count after it, then waited 20 s for
  // the next one, due in 60 s).
  const uint64_t refreshes = s.ring_counters().refreshes;
  s.CloseControlForTest();
  ASSERT_TRUE(WaitFor([&] { return s.ring_counters().control_reconnects == 1; }));
  ASSERT_TRUE(WaitFor([&] { return !s.control_address().empty(); }));
  EXPECT_NE(s.control_address(), first);
  // The refresh through the new node sees the same ring.
  ASSERT_TRUE(WaitFor([&] { return s.ring_counters().refreshes > refreshes; }));
  EXPECT_EQ(s.nodes(), s.NodeReports().size());
  ASSERT_TRUE(WaitFor([&] { return s.nodes_up() == s.nodes(); }));
  EXPECT_EQ(log.Count("cassandra", "left the ring"), 0u);
  s.Shutdown();
}

}  // namespace
}  // namespace shoal::store::cassandra

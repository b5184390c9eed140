// Discovery and replication against the real server (label cassandra; the shared single node,
// SimpleSnitch: data centre "datacenter1", rack "rack1"): DiscoverTopology fills the contact's
// host_id (as the server prints it), data centre, rack and tokens; ReadReplication reads a
// SimpleStrategy keyspace, a NetworkTopologyStrategy one and a LocalStrategy system keyspace,
// and refuses a keyspace that does not exist (names are exact: another case is another
// keyspace); DiscoverTopology with a keyspace carries its replication, from which ReplicaMap
// and ResolveLocalDc work. The keyspaces are this process's own (shoal_topo_<pid>_s / _n),
// dropped at the end.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "base/memory_logger.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_blocking.h"
#include "store/cassandra/cql_replicas.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_result.h"
#include "store/cassandra/cql_topology.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::chrono_literals;

constexpr Duration kTimeout = 10s;

std::string SimpleKs() { return testing::UniqueKeyspace("shoal_topo") + "_s"; }
std::string NetworkKs() { return testing::UniqueKeyspace("shoal_topo") + "_n"; }

// Server is one connection to the shared node on a thread of its own, for one test.
class Server {
 public:
  Server() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {
    contact_ = HostPort{"127.0.0.1", testing::CassandraPort()};
    ConnectionOptions o;
    o.host = contact_.host;
    o.port = contact_.port;
    Result<std::shared_ptr<Connection>> c = ConnectAndWait(io_, std::move(o));
    if (c.ok()) {
      conn_ = std::move(c).value();
    } else {
      error_ = c.status().ToString();
    }
  }
  ~Server() {
    if (conn_) conn_->Close();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  Connection* conn() { return conn_.get(); }
  const std::string& error() const { return error_; }
  const HostPort& contact() const { return contact_; }

  // Run runs one statement; its RESULT message or the error.
  Result<std::string> Run(const std::string& cql) {
    return ResultOrError(SendAndWait(
                             *conn_,
                             [cql](std::string& out, int16_t stream) {
                               return AppendQuery(out, stream, cql, QueryParameters{});
                             },
                             kTimeout),
                         contact_.ToString(), ErrorStage::kSetup);
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  HostPort contact_;
  std::shared_ptr<Connection> conn_;
  std::string error_;
};

// Keyspaces makes this process's two keyspaces before the tests and drops them after.
class Keyspaces : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!testing::Listening(testing::CassandraPort())) return;
    Server s;
    if (s.conn() == nullptr) return;
    for (const std::string& cql :
         {"CREATE KEYSPACE IF NOT EXISTS " + SimpleKs() +
              " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
          "CREATE KEYSPACE IF NOT EXISTS " + NetworkKs() +
              " WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 1}"}) {
      const Result<std::string> r = s.Run(cql);
      if (!r.ok()) ADD_FAILURE() << cql << ": " << r.status().ToString();
    }
  }
  void TearDown() override {
    if (!testing::Listening(testing::CassandraPort())) return;
    Server s;
    if (s.conn() == nullptr) return;
    for (const std::string& ks : {SimpleKs(), NetworkKs()}) {
      const Result<std::string> r = s.Run("DROP KEYSPACE IF EXISTS " + ks);
      if (!r.ok()) ADD_FAILURE() << "dropping " << ks << ": " << r.status().ToString();
    }
  }
};

[[maybe_unused]] ::testing::Environment* const kKeyspaces =
    ::testing::AddGlobalTestEnvironment(new Keyspaces);

// ServerHostId is the contact's host_id as the server itself prints it (SELECT JSON), so
// that the test does not check our uuid decoder against itself.
std::string ServerHostId(Server& s) {
  const Result<std::string> r = s.Run("SELECT JSON host_id FROM system.local");
  if (!r.ok()) return "error: " + r.status().ToString();
  const Result<ResultMessage> m = ParseResult(*r);
  const auto* rows = m.ok() ? std::get_if<RowsResult>(&*m) : nullptr;
  if (rows == nullptr || rows->row_count != 1) return "no row";
  CellCursor cells = rows->cells();
  const std::optional<std::string_view> json = cells.Next();
  if (!json) return "null";
  // {"host_id": "8-4-4-4-12"}
  const size_t open = json->find(": \"");
  if (open == std::string_view::npos) return std::string(*json);
  return std::string(json->substr(open + 3, 36));
}

TEST(DiscoveryTest, FillsHostIdDataCentreRackAndTokens) {
  SHOAL_NEED_CASSANDRA();
  Server s;
  ASSERT_NE(s.conn(), nullptr) << s.error();
  MemoryLogger logger;
  Discovery d;
  d.timeout = kTimeout;
  const Result<Topology> t = DiscoverTopology(*s.conn(), s.contact(), d, Log(&logger, "c"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_GE(t->nodes.size(), 1u);
  const NodeInfo& node = t->nodes[0];
  EXPECT_EQ(node.address, s.contact().ToString());
  EXPECT_EQ(node.dc, "datacenter1");
  EXPECT_EQ(node.rack, "rack1");
  EXPECT_EQ(node.host_id.size(), 36u);
  EXPECT_EQ(node.host_id, ServerHostId(s));
  EXPECT_FALSE(node.tokens.empty());
  size_t tokens = 0;
  for (const NodeInfo& n : t->nodes) {
    tokens += n.tokens.size();
    // Every peer kept has what routing needs.
    EXPECT_FALSE(n.host_id.empty()) << n.address;
    EXPECT_FALSE(n.tokens.empty()) << n.address;
  }
  EXPECT_EQ(t->ring.size(), tokens);
  EXPECT_EQ(t->replication.kind, Replication::Kind::kUnknown);  // no keyspace asked for
  EXPECT_NE(DescribeTopology(*t).find(node.address + " (datacenter1/rack1)"), std::string::npos)
      << DescribeTopology(*t);
}

TEST(DiscoveryTest, ReadsEachKindOfReplication) {
  SHOAL_NEED_CASSANDRA();
  Server s;
  ASSERT_NE(s.conn(), nullptr) << s.error();
  Result<Replication> r = ReadReplication(*s.conn(), s.contact(), SimpleKs(), kTimeout);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, Replication::Kind::kSimple);
  EXPECT_EQ(r->simple_rf, 1);
  EXPECT_EQ(r->class_name, "org.apache.cassandra.locator.SimpleStrategy");

  r = ReadReplication(*s.conn(), s.contact(), NetworkKs(), kTimeout);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, Replication::Kind::kNetworkTopology);
  EXPECT_EQ(r->dc_rf, (std::map<std::string, int>{{"datacenter1", 1}}));

  r = ReadReplication(*s.conn(), s.contact(), "system", kTimeout);  // LocalStrategy
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->kind, Replication::Kind::kEverywhere);
}

TEST(DiscoveryTest, AKeyspaceThatDoesNotExistIsRefused) {
  SHOAL_NEED_CASSANDRA();
  Server s;
  ASSERT_NE(s.conn(), nullptr) << s.error();
  const std::string missing = testing::UniqueKeyspace("shoal_no_such");
  Result<Replication> r = ReadReplication(*s.conn(), s.contact(), missing, kTimeout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "cassandra: keyspace '" + missing + "' does not exist");
  // Names are exact, as the session's USE "ks" takes them.
  std::string upper = SimpleKs();
  upper[0] = 'S';
  r = ReadReplication(*s.conn(), s.contact(), upper, kTimeout);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  MemoryLogger logger;
  Discovery d;
  d.timeout = kTimeout;
  d.keyspace = missing;
  const Result<Topology> t = DiscoverTopology(*s.conn(), s.contact(), d, Log(&logger, "c"));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

TEST(DiscoveryTest, TheKeyspacesReplicationRoutesToTheNode) {
  SHOAL_NEED_CASSANDRA();
  Server s;
  ASSERT_NE(s.conn(), nullptr) << s.error();
  MemoryLogger logger;
  Discovery d;
  d.timeout = kTimeout;
  d.keyspace = NetworkKs();
  const Result<Topology> t = DiscoverTopology(*s.conn(), s.contact(), d, Log(&logger, "c"));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->replication.kind, Replication::Kind::kNetworkTopology);
  const ReplicaMap replicas = ReplicaMap::Build(*t, t->replication);
  for (const std::string key : {"a", "b", "hello"}) {
    const std::span<const size_t> r = replicas.ForToken(Murmur3Token(key));
    ASSERT_EQ(r.size(), 1u) << key;  // RF 1 in datacenter1
    EXPECT_EQ(t->nodes[r[0]].dc, "datacenter1");
  }
  Result<std::string> dc = ResolveLocalDc(*t, "", 0);
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(*dc, "datacenter1");
  dc = ResolveLocalDc(*t, "dc9", 0);
  ASSERT_FALSE(dc.ok());
  EXPECT_NE(dc.status().message().find("(the ring has: datacenter1)"), std::string::npos)
      << dc.status().ToString();
}

}  // namespace
}  // namespace shoal::store::cassandra

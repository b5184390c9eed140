// KeepNodesIn, the node_networks filter of discovery (SessionOptions::node_networks): a
// discovered peer outside the networks is left out (never dialled, so never sent the
// credentials) and logged once; the contact and the configured contact points stay wherever
// they are; no networks keeps every node.
#include "store/cassandra/cql_topology.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/memory_logger.h"

namespace shoal::store::cassandra {
namespace {

NodeInfo Node(std::string host) {
  NodeInfo n;
  n.endpoint = HostPort{std::move(host), 9042};
  n.address = n.endpoint.ToString();
  n.tokens = {1};
  return n;
}

std::vector<std::string> Addresses(const std::vector<NodeInfo>& nodes) {
  std::vector<std::string> out;
  out.reserve(nodes.size());
  for (const NodeInfo& n : nodes) out.push_back(n.address);
  return out;
}

std::vector<Cidr> Networks(const std::vector<std::string_view>& texts) {
  std::vector<Cidr> out;
  for (std::string_view t : texts) {
    Result<Cidr> c = Cidr::Parse(t);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (c.ok()) out.push_back(*c);
  }
  return out;
}

TEST(KeepNodesInTest, PeersOutsideTheNetworksAreLeftOutAndLoggedOnce) {
  MemoryLogger logger;
  const Log log(&logger, "cassandra");
  std::vector<NodeInfo> nodes = {Node("192.0.2.10"), Node("10.1.0.2"),   Node("203.0.113.66"),
                                 Node("fd00::5"),    Node("10.200.0.9"), Node("198.51.100.7")};
  const std::vector<HostPort> contacts = {HostPort{"192.0.2.10", 9042},
                                          HostPort{"198.51.100.7", 9042}};
  KeepNodesIn(nodes, Networks({"10.0.0.0/8", "fd00::/8"}), contacts, log);
  // The contact (node 0) and another contact point stay although outside the networks.
  EXPECT_EQ(Addresses(nodes),
            (std::vector<std::string>{"192.0.2.10:9042", "10.1.0.2:9042", "[fd00::5]:9042",
                                      "10.200.0.9:9042", "198.51.100.7:9042"}));
  EXPECT_EQ(logger.Count("cassandra", "203.0.113.66:9042"), 1u);
  EXPECT_EQ(logger.Count("cassandra", "node_networks"), 1u);
  EXPECT_EQ(logger.lines().size(), 1u);
}

TEST(KeepNodesInTest, NoNetworksKeepsEveryNode) {
  MemoryLogger logger;
  const Log log(&logger, "cassandra");
  std::vector<NodeInfo> nodes = {Node("192.0.2.10"), Node("203.0.113.66")};
  KeepNodesIn(nodes, {}, {}, log);
  EXPECT_EQ(nodes.size(), 2u);
  EXPECT_TRUE(logger.lines().empty());
}

}  // namespace
}  // namespace shoal::store::cassandra

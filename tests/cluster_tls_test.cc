// Cluster process tests with mutual TLS on the peer port (cluster.tls): real shoal nodes on
// 127.0.0.1 ports, one SQLite catalog, certificates made by scripts/cluster-tls.sh into the
// suite's temporary directory.
//
// What they pin down: three nodes with cluster.tls and no secret serve each other's keys
// (a miss on a node that does not own the key is answered by its owner through the peer
// port, counted in the owner's served gets); a fourth node whose certificate comes from
// another CA cannot join: its forwarded misses fall back to a local load, no owner serves it
// anything, and the owners log the refused TLS handshake.
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog_suite.h"
#include "cluster/hash_ring.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using std::chrono::seconds;

constexpr int kItems = 200;
constexpr std::string_view kToken = "an-admin-token-of-some-length";

std::string Addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

class ClusterTlsTest : public CatalogSuite<kItems> {
 protected:
  static void SetUpTestSuite() {
    CatalogSuite<kItems>::SetUpTestSuite();
    const std::string make =
        std::string(SHOAL_SOURCE_DIR) + "/scripts/cluster-tls.sh '" + Tls("") + "' >/dev/null";
    // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): one command, before any thread
    ASSERT_EQ(std::system(make.c_str()), 0) << make;
  }

  static std::string Tls(const std::string& file) { return dir_->File("tls/" + file); }

  void TearDown() override {
    for (auto& n : nodes_) {
      if (n && n->Running()) {
        EXPECT_EQ(n->Stop(), 0) << n->Output();
      }
    }
  }

  // Start starts a node at `port` with `cert` (a cluster-tls.sh name) and owners `peers`
  // (memory 0, owning nothing, when it is not among them); returns its index.
  size_t Start(uint16_t port, const std::vector<uint16_t>& peers, const std::string& cert) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = *base;
    bool owner = false;
    for (uint16_t p : peers) owner = owner || p == port;
    if (!owner) text.replace(text.find("memory: 256MiB"), 14, "memory: 0");
    text += "\ncluster:\n  self: " + Addr(port) + "\n  peers: [";
    for (size_t i = 0; i < peers.size(); ++i) text += (i ? ", " : "") + Addr(peers[i]);
    text += "]\n  peer_timeout: 2s\n  probe_interval: 100ms\n";
    // The CA is the cluster's for every node: the stranger trusts the owners' certificates;
    // its own is another CA's.
    text += "  tls:\n    ca: tls/ca.pem\n    cert: tls/" + cert + ".pem\n    key: tls/" + cert +
            "-key.pem\n";
    text += "admin:\n  token: " + std::string(kToken) + "\n";
    text += "metrics: { cache: 0s }\n";
    Result<std::unique_ptr<ShoalProcess>> p =
        ShoalProcess::Serve(dir_->Write("node-" + std::to_string(port) + ".yaml", text));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    nodes_.push_back(p.ok() ? std::move(p).value() : nullptr);
    return nodes_.size() - 1;
  }

  double Metric(size_t i, std::string_view name) {
    Result<double> v = ScrapeMetric(nodes_[i]->port(), name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  // ItemsOwnedBy returns `count` item ids whose key the node at `owner` owns.
  std::vector<int> ItemsOwnedBy(uint16_t owner, size_t count) const {
    std::vector<std::string> names;
    for (uint16_t p : ports_) names.push_back(Addr(p));
    cluster::HashRing ring(names);
    std::vector<int> ids;
    for (int id = 1; id <= kItems && ids.size() < count; ++id) {
      if (ring.Owner("/v1/items/" + std::to_string(id)) == Addr(owner)) ids.push_back(id);
    }
    return ids;
  }

  void StartOwners() {
    ports_ = {FreeLocalPort(), FreeLocalPort(), FreeLocalPort()};
    for (uint16_t p : ports_) Start(p, ports_, "node1");  // node1.pem names 127.0.0.1
    for (const auto& n : nodes_) ASSERT_NE(n, nullptr);
  }

  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<ShoalProcess>> nodes_;
};

TEST_F(ClusterTlsTest, ThreeNodesWithTlsServeEachOthersKeys) {
  ASSERT_NO_FATAL_FAILURE(StartOwners());
  const std::vector<int> ids = ItemsOwnedBy(ports_[2], 5);
  ASSERT_EQ(ids.size(), 5u);
  Result<HttpClient> c = HttpClient::Connect(nodes_[0]->port());
  ASSERT_TRUE(c.ok());
  for (int id : ids) {
    Result<HttpResponse> r = c->Get("/v1/items/" + std::to_string(id));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200) << r->body;
  }
  // Node 0 asked the owner for each (over TLS), and node 2 answered them.
  EXPECT_EQ(Metric(0, "shoal_cluster_peer_gets_total"), 5);
  EXPECT_EQ(Metric(0, "shoal_cluster_peer_errors_total"), 0);
  EXPECT_EQ(Metric(0, "shoal_cluster_local_fallbacks_total"), 0);
  EXPECT_EQ(Metric(2, "shoal_cluster_served_gets_total"), 5);
  EXPECT_EQ(Metric(0, "shoal_store_queries_total"), 0);
  EXPECT_EQ(Metric(2, "shoal_store_queries_total"), 5);
}

TEST_F(ClusterTlsTest, ANodeWithACertificateFromAnotherCaCannotJoin) {
  ASSERT_NO_FATAL_FAILURE(StartOwners());
  const size_t stranger = Start(FreeLocalPort(), ports_, "other-node");
  ASSERT_NE(nodes_[stranger], nullptr);
  Result<HttpClient> c = HttpClient::Connect(nodes_[stranger]->port());
  ASSERT_TRUE(c.ok());
  for (int id = 1; id <= 6; ++id) {
    Result<HttpResponse> r = c->Get("/v1/items/" + std::to_string(id));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200) << r->body;  // loaded by the stranger itself
  }
  EXPECT_EQ(Metric(stranger, "shoal_cluster_local_fallbacks_total"), 6);
  EXPECT_EQ(Metric(stranger, "shoal_store_queries_total"), 6);
  double served = 0;
  for (size_t i = 0; i < 3; ++i) served += Metric(i, "shoal_cluster_served_gets_total");
  EXPECT_EQ(served, 0);
  // The owners say why: the stranger's certificate does not lead to the cluster's CA.
  bool logged = false;
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (!logged && std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < 3 && !logged; ++i) {
      logged = nodes_[i]->Output().find("TLS handshake failed: certificate verify failed") !=
               std::string::npos;
    }
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(logged) << nodes_[0]->Output();
}

}  // namespace
}  // namespace shoal::testing

// Process test of purge catch-up (issue 15, item 3): real shoal nodes on 127.0.0.1, one
// SQLite catalog. A node that is stopped (SIGSTOP) while a purge runs misses it; once it runs
// again (SIGCONT), the purge's origin catches it up (PURGE_SYNC, then the purge sent again),
// so it never serves the purged answer for long: the test changes the row in the catalog
// before purging and asserts that every node serves the new row afterwards. Without the
// catch-up, the stopped node keeps its hot copy of the old row for the endpoint's whole ttl.
//
// Also here (the same nodes and helpers): handover on scale-out (item 4). Three warm nodes,
// a fourth joins (PUT /_shoal/peers on every node); the keys it now owns are taken from
// their previous owners' memory, not loaded from the store again (cluster.handover).
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <signal.h>

#include "catalog_db.h"
#include "catalog_suite.h"
#include "cluster/hash_ring.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;

constexpr int kItems = 200;
constexpr std::string_view kSecret = "a-cluster-secret-of-32-characters";
constexpr std::string_view kToken = "an-admin-token-of-some-length";

std::string Addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

class ClusterPurgeTest : public CatalogSuite<kItems> {
 protected:
  void TearDown() override {
    for (auto& n : nodes_) {
      if (n && n->Running()) {
        n->Signal(SIGCONT);
        EXPECT_EQ(n->Stop(), 0) << n->Output();
      }
    }
  }

  std::string ConfigFor(uint16_t self, const std::vector<uint16_t>& peers, bool handover = true) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = *base + "\ncluster:\n  self: " + Addr(self) + "\n  peers: [";
    for (size_t i = 0; i < peers.size(); ++i) text += (i ? ", " : "") + Addr(peers[i]);
    text += std::string("]\n  handover: ") + (handover ? "true" : "false");
    text += "\n  peer_timeout: 500ms\n  probe_interval: 100ms\n  hot_min_hits: 1\n  secret: " +
            std::string(kSecret) + "\nadmin:\n  token: " + std::string(kToken) +
            "\nmetrics: { cache: 0s }\n";  // counters read a moment apart
    return dir_->Write("purge-node-" + std::to_string(self) + ".yaml", text);
  }

  void StartOwners(size_t n) {
    for (size_t i = 0; i < n; ++i) ports_.push_back(FreeLocalPort());
    for (uint16_t p : ports_) ASSERT_NO_FATAL_FAILURE(StartNode(p, ports_));
  }

  void StartNode(uint16_t self, const std::vector<uint16_t>& peers, bool handover = true) {
    Result<std::unique_ptr<ShoalProcess>> s = ShoalProcess::Serve(ConfigFor(self, peers, handover));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    nodes_.push_back(std::move(s).value());
  }

  Result<HttpResponse> SetPeers(size_t i, const std::vector<uint16_t>& peers) {
    std::string body = R"({"peers":[)";
    for (size_t k = 0; k < peers.size(); ++k)
      body += (k ? "," : "") + ("\"" + Addr(peers[k]) + "\"");
    body += "]}";
    Result<HttpClient> c = HttpClient::Connect(nodes_[i]->port());
    if (!c.ok()) return c.status();
    std::string req =
        "PUT /_shoal/peers HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer " +
        std::string(kToken) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body;
    if (Status st = c->Send(req); !st.ok()) return st;
    return c->Read();
  }

  // GrowByOne: three warm nodes, then a fourth joins; returns {keys it now owns, store queries
  // it made answering them}.
  std::pair<int, double> GrowByOne(bool handover) {
    for (size_t i = 0; i < 4; ++i) ports_.push_back(FreeLocalPort());
    const std::vector<uint16_t> three(ports_.begin(), ports_.begin() + 3);
    for (uint16_t p : three) StartNode(p, three, handover);
    for (int id = 1; id <= kItems; ++id) {  // warm: every key in its owner's cache
      EXPECT_NE(Title(0, "/v1/items/" + std::to_string(id)).front(), '(');
    }
    StartNode(ports_[3], ports_, handover);
    for (size_t i = 0; i < 4; ++i) {
      Result<HttpResponse> r = SetPeers(i, ports_);
      EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    }
    const double before = *ScrapeMetric(nodes_[3]->port(), "shoal_store_queries_total");
    int moved = 0;
    for (int id = 1; id <= kItems; ++id) {
      const std::string key = "/v1/items/" + std::to_string(id);
      std::vector<std::string> names;
      for (uint16_t p : ports_) names.push_back(Addr(p));
      if (cluster::HashRing(names).Owner(key) != Addr(ports_[3])) continue;
      ++moved;
      EXPECT_NE(Title(3, key).front(), '(') << key;
    }
    const double after = *ScrapeMetric(nodes_[3]->port(), "shoal_store_queries_total");
    return {moved, after - before};
  }

  // Title: the item's title as node i serves it now.
  std::string Title(size_t i, const std::string& key) {
    Result<HttpClient> c = HttpClient::Connect(nodes_[i]->port());
    if (!c.ok()) return "(no connection)";
    Result<HttpResponse> r = c->Get(key);
    if (!r.ok() || r->status != 200) return "(no answer)";
    Result<boost::json::value> v = ParseJson(r->body);
    if (!v.ok() || !v->is_object() || !v->as_object().contains("title")) return "(bad body)";
    return std::string(v->at("title").as_string());
  }

  Result<HttpResponse> Purge(size_t i, const std::string& key) {
    Result<HttpClient> c = HttpClient::Connect(nodes_[i]->port());
    if (!c.ok()) return c.status();
    const std::string body = R"({"key":")" + key + R"("})";
    std::string req =
        "POST /_shoal/purge HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer " +
        std::string(kToken) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body;
    if (Status s = c->Send(req); !s.ok()) return s;
    return c->Read();
  }

  // KeyOwnedBy: an item key node `owner` owns.
  std::string KeyOwnedBy(size_t owner) const {
    std::vector<std::string> names;
    for (uint16_t p : ports_) names.push_back(Addr(p));
    cluster::HashRing ring(names);
    for (int id = 1;; ++id) {
      std::string key = "/v1/items/" + std::to_string(id);
      if (ring.Owner(key) == Addr(ports_[owner])) return key;
    }
  }

  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<ShoalProcess>> nodes_;
};

TEST_F(ClusterPurgeTest, ANodeStoppedDuringAPurgeServesTheNewRowOnceItRunsAgain) {
  ASSERT_NO_FATAL_FAILURE(StartOwners(3));
  // Node 0 owns the key; node 2 (to be stopped) keeps a hot copy; node 1 purges.
  const std::string key = KeyOwnedBy(0);
  const std::string id = key.substr(key.rfind('/') + 1);
  const std::string old_title = Title(0, key);
  ASSERT_NE(old_title.front(), '(');
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < 3; ++i) ASSERT_EQ(Title(i, key), old_title);
  }

  nodes_[2]->Signal(SIGSTOP);
  ASSERT_TRUE(
      ExecSql(db_, "UPDATE items SET title = 'after the purge' WHERE id = " + id + ";").ok());
  Result<HttpResponse> r = Purge(1, key);
  ASSERT_TRUE(r.ok());
  Result<boost::json::value> v = ParseJson(r->body);
  ASSERT_TRUE(v.ok()) << r->body;
  EXPECT_EQ(v->at("nodes").as_int64(), 2) << r->body;  // node 2 did not answer
  EXPECT_EQ(Title(0, key), "after the purge");
  EXPECT_EQ(Title(1, key), "after the purge");

  nodes_[2]->Signal(SIGCONT);
  // The catch-up runs within a few probe intervals (100 ms) of node 2 answering again.
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    seen = Title(2, key);
    if (seen == "after the purge") break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(seen, "after the purge") << "node 2 still serves the purged row";
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Title(i, key), "after the purge") << "node " << i;
  // Node 2 applies the purge when node 1's PURGE_SYNC reaches it; node 1 counts the sync when
  // the reply gets back, a moment later: wait for that too.
  Result<double> syncs = 0.0;
  do {
    syncs = ScrapeMetric(nodes_[1]->port(), "shoal_cluster_purge_syncs_total");
    ASSERT_TRUE(syncs.ok());
    if (*syncs >= 1) break;
    std::this_thread::sleep_for(milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline + std::chrono::seconds(2));
  EXPECT_GE(*syncs, 1);
}

TEST_F(ClusterPurgeTest, ANodeThatJoinsTakesOverItsKeysFromThePreviousOwnersMemory) {
  auto [moved, queries] = GrowByOne(/*handover=*/true);
  ASSERT_GT(moved, 20);
  RecordProperty("moved", moved);
  RecordProperty("store_queries", static_cast<int>(queries));
  EXPECT_LE(queries, moved * 0.05) << moved << " keys moved";
  EXPECT_GE(*ScrapeMetric(nodes_[3]->port(), "shoal_cluster_handover_hits_total"), moved * 0.95);
}

TEST_F(ClusterPurgeTest, WithoutHandoverEveryMovedKeyIsLoadedFromTheStoreAgain) {
  auto [moved, queries] = GrowByOne(/*handover=*/false);
  ASSERT_GT(moved, 20);
  RecordProperty("moved", moved);
  RecordProperty("store_queries", static_cast<int>(queries));
  EXPECT_EQ(queries, moved);
}

}  // namespace
}  // namespace shoal::testing

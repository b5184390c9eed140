// Process test of purge catch-up (issue 15, item 3): real shoal nodes on 127.0.0.1, one
// SQLite catalog. A node that is stopped (SIGSTOP) while a purge runs misses it; once it runs
// again (SIGCONT), the purge's origin catches it up (PURGE_SYNC, then the purge sent again),
// so it never serves the purged answer for long: the test changes the row in the catalog
// before purging and asserts that every node serves the new row afterwards. Without the
// catch-up, the stopped node keeps its hot copy of the old row for the endpoint's whole ttl.
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

  std::string ConfigFor(uint16_t self) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = *base + "\ncluster:\n  self: " + Addr(self) + "\n  peers: [";
    for (size_t i = 0; i < ports_.size(); ++i) text += (i ? ", " : "") + Addr(ports_[i]);
    text += "]\n  peer_timeout: 500ms\n  probe_interval: 100ms\n  hot_min_hits: 1\n  secret: " +
            std::string(kSecret) + "\nadmin:\n  token: " + std::string(kToken) + "\n";
    return dir_->Write("purge-node-" + std::to_string(self) + ".yaml", text);
  }

  void StartOwners(size_t n) {
    for (size_t i = 0; i < n; ++i) ports_.push_back(FreeLocalPort());
    for (uint16_t p : ports_) {
      Result<std::unique_ptr<ShoalProcess>> s = ShoalProcess::Serve(ConfigFor(p));
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      nodes_.push_back(std::move(s).value());
    }
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
  Result<double> syncs = ScrapeMetric(nodes_[1]->port(), "shoal_cluster_purge_syncs_total");
  ASSERT_TRUE(syncs.ok());
  EXPECT_GE(*syncs, 1);
}

}  // namespace
}  // namespace shoal::testing

// Process tests of tag purge and soft purge across a cluster (issue 17, items 1 and 2): three
// real shoal nodes on 127.0.0.1 over one SQLite catalog. A tag purge sent to any node removes
// the tagged entries on every node, the owner's and the hot copies alike, and the answer sums
// the counts; a soft purge marks them stale everywhere, every node answers STALE at once, and
// the cluster makes one store query to refresh the key (a non-owner refreshes through the
// owner); a node stopped during a tag purge catches it up (PURGE_SYNC) once it runs again.
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

constexpr std::string_view kSecret = "a-cluster-secret-of-32-characters";
constexpr std::string_view kToken = "an-admin-token-of-some-length";

std::string Addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

class ClusterTagsTest : public CatalogSuite<200> {
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
    std::string text = "listen: 127.0.0.1:0\nstore:\n  sqlite: { path: \"" + db_ +
                       "\" }\n  timeout: 2s\ncache:\n  memory: 64MiB\n  grace: 5m\n"
                       "http: { debug_headers: true }\nadmin:\n  token: " +
                       std::string(kToken) +
                       "\nmetrics: { cache: 0s }\n"
                       "endpoints:\n"
                       "  - route: /v1/items/{id:int}\n"
                       "    query: SELECT id, title, category FROM items WHERE id = :id\n"
                       "    result: one\n"
                       "    ttl: 60s\n"
                       "    tags: [\"item:{id}\", \"category:{row.category}\"]\n";
    text += "cluster:\n  self: " + Addr(self) + "\n  peers: [";
    for (size_t i = 0; i < ports_.size(); ++i) text += (i ? ", " : "") + Addr(ports_[i]);
    text += "]\n  peer_timeout: 500ms\n  probe_interval: 100ms\n  hot_min_hits: 1\n  secret: " +
            std::string(kSecret) + "\n";
    return dir_->Write("tags-node-" + std::to_string(self) + ".yaml", text);
  }

  void StartThree() {
    for (size_t i = 0; i < 3; ++i) ports_.push_back(FreeLocalPort());
    for (uint16_t p : ports_) {
      Result<std::unique_ptr<ShoalProcess>> s = ShoalProcess::Serve(ConfigFor(p));
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      nodes_.push_back(std::move(s).value());
    }
  }

  HttpResponse Get(size_t i, const std::string& key) {
    Result<HttpClient> c = HttpClient::Connect(nodes_[i]->port());
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Get(key);
    return r.ok() ? *r : HttpResponse{};
  }

  // Purge sends `body` to node i; returns the parsed answer (null on failure).
  boost::json::value Purge(size_t i, const std::string& body) {
    Result<HttpClient> c = HttpClient::Connect(nodes_[i]->port());
    if (!c.ok()) return nullptr;
    const std::string req =
        "POST /_shoal/purge HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer " +
        std::string(kToken) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body;
    if (!c->Send(req).ok()) return nullptr;
    Result<HttpResponse> r = c->Read();
    if (!r.ok()) return nullptr;
    Result<boost::json::value> v = ParseJson(r->body);
    return v.ok() ? *v : nullptr;
  }

  double Queries() {
    double sum = 0;
    for (auto& n : nodes_) sum += *ScrapeMetric(n->port(), "shoal_store_queries_total");
    return sum;
  }

  // An item whose key node `owner` owns: {key, id}.
  std::pair<std::string, std::string> ItemOwnedBy(size_t owner) const {
    std::vector<std::string> names;
    for (uint16_t p : ports_) names.push_back(Addr(p));
    cluster::HashRing ring(names);
    for (int id = 1;; ++id) {
      std::string key = "/v1/items/" + std::to_string(id);
      if (ring.Owner(key) == Addr(ports_[owner])) return {key, std::to_string(id)};
    }
  }

  // Warm: node 0 owns `key` and holds it; nodes 1 and 2 hold hot copies (hot_min_hits: 1),
  // so every node answers HIT.
  void Warm(const std::string& key) {
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < 3; ++i) ASSERT_EQ(Get(i, key).status, 200);
    }
    for (size_t i = 0; i < 3; ++i) ASSERT_EQ(Get(i, key).Header("X-Cache"), "HIT") << i;
  }

  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<ShoalProcess>> nodes_;
};

TEST_F(ClusterTagsTest, ATagPurgeRemovesTheOwnersEntryAndEveryHotCopy) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  auto [key, id] = ItemOwnedBy(0);
  auto [other, other_id] = ItemOwnedBy(1);
  ASSERT_NO_FATAL_FAILURE(Warm(key));
  ASSERT_NO_FATAL_FAILURE(Warm(other));
  // A hot copy carries its tags: the non-owner shows them too.
  EXPECT_EQ(Get(2, key).Header("Surrogate-Key").rfind("item:" + id + " category:", 0), 0u);

  const boost::json::value v = Purge(1, R"({"tag":"item:)" + id + R"("})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.at("nodes").as_int64(), 3);
  EXPECT_EQ(v.at("purged").as_int64(), 3);  // the owner's entry and two hot copies
  EXPECT_TRUE(v.at("failed").as_array().empty());
  const double before = Queries();
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Get(i, key).Header("X-Cache"), "MISS") << i;
  EXPECT_EQ(Queries() - before, 1);  // loaded once, by the owner
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Get(i, other).Header("X-Cache"), "HIT") << i;

  // Batched, several tags in one purge.
  const boost::json::value b =
      Purge(2, R"({"tags":["item:)" + id + R"(", "item:)" + other_id + R"(", "item:9999"]})");
  ASSERT_TRUE(b.is_object());
  EXPECT_EQ(b.at("nodes").as_int64(), 3);
  // `key` is held by the owner (the MISSes above gave nodes 1 and 2 only answers or copies:
  // count what they kept) and `other` by all three.
  EXPECT_GE(b.at("purged").as_int64(), 4);
  EXPECT_LE(b.at("purged").as_int64(), 6);
  // The owner (node 1) first: a non-owner's miss would reload it there.
  for (size_t i : {size_t{1}, size_t{0}, size_t{2}})
    EXPECT_EQ(Get(i, other).Header("X-Cache"), "MISS") << i;
}

TEST_F(ClusterTagsTest, ASoftPurgeServesStaleEverywhereAndRefreshesWithOneQuery) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  auto [key, id] = ItemOwnedBy(0);
  ASSERT_NO_FATAL_FAILURE(Warm(key));
  ASSERT_TRUE(ExecSql(db_, "UPDATE items SET title = 'soft' WHERE id = " + id + ";").ok());
  const double before = Queries();
  const boost::json::value v = Purge(2, R"({"tag":"item:)" + id + R"(","soft":true})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.at("nodes").as_int64(), 3);
  EXPECT_EQ(v.at("purged").as_int64(), 3);
  // Every node answers at once with the stale answer (the old row)...
  for (size_t i = 0; i < 3; ++i) {
    HttpResponse r = Get(i, key);
    EXPECT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.Header("X-Cache"), "STALE") << i;
    EXPECT_EQ(r.body.find("\"soft\""), std::string::npos) << i << r.body;
  }
  // ...and the new row arrives everywhere, from one store query in the whole cluster.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool fresh = false;
  while (!fresh && std::chrono::steady_clock::now() < deadline) {
    fresh = true;
    for (size_t i = 0; i < 3; ++i) {
      HttpResponse r = Get(i, key);
      fresh &= r.Header("X-Cache") == "HIT" && r.body.find("\"soft\"") != std::string::npos;
    }
    if (!fresh) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(fresh);
  EXPECT_EQ(Queries() - before, 1);
  // A soft endpoint purge reaches every node too.
  const boost::json::value e = Purge(1, R"({"endpoint":"/v1/items/{id:int}","soft":true})");
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(e.at("nodes").as_int64(), 3);
  EXPECT_EQ(e.at("purged").as_int64(), 3);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Get(i, key).Header("X-Cache"), "STALE") << i;
}

TEST_F(ClusterTagsTest, ANodeStoppedDuringATagPurgeCatchesItUp) {
  ASSERT_NO_FATAL_FAILURE(StartThree());
  auto [key, id] = ItemOwnedBy(0);
  ASSERT_NO_FATAL_FAILURE(Warm(key));
  nodes_[2]->Signal(SIGSTOP);
  ASSERT_TRUE(ExecSql(db_, "UPDATE items SET title = 'caught up' WHERE id = " + id + ";").ok());
  const boost::json::value v = Purge(1, R"({"tag":"item:)" + id + R"("})");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.at("nodes").as_int64(), 2);  // node 2 did not answer
  EXPECT_EQ(v.at("failed").as_array().size(), 1u);
  EXPECT_NE(Get(0, key).body.find("caught up"), std::string::npos);
  nodes_[2]->Signal(SIGCONT);
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    seen = Get(2, key).body;
    if (seen.find("caught up") != std::string::npos) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_NE(seen.find("caught up"), std::string::npos) << "node 2 still serves " << seen;
}

}  // namespace
}  // namespace shoal::testing

// Cluster process tests: real shoal nodes on 127.0.0.1 ports, one SQLite catalog, the peer
// protocol between them. Each test starts its own nodes with configs written here.
//
// What they pin down (the cluster issue): one store query in the whole cluster for 300
// concurrent misses spread over 3 nodes; kill -9 of a node under load costs no 5xx and the
// node owns its keys again after a restart; purge reaches every node, owners and hot copies;
// the peer list changes under load without errors; a node with the wrong secret is refused;
// a node without memory (the original system's web tier) forwards every miss.
//
// Ownership is computed with the same HashRing the nodes use, so a test can pick keys that a
// given node owns.
#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "catalog_db.h"
#include "catalog_suite.h"
#include "cluster/hash_ring.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kItems = 600;
constexpr std::string_view kSecret = "a-cluster-secret-of-32-characters";
constexpr std::string_view kToken = "an-admin-token-of-some-length";

std::string Addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

struct NodeSpec {
  uint16_t peer_port = 0;
  std::vector<uint16_t> peers;  // peer ports of the owners
  bool memory = true;           // false: cache.memory 0, owns nothing
  std::string secret = std::string(kSecret);
  std::string peer_timeout = "2s";  // generous: the TSan build runs these tests too
  int ring_points = 160;
};

class ClusterTest : public CatalogSuite<kItems> {
 protected:
  void TearDown() override {
    for (auto& n : nodes_) {
      if (n && n->Running()) {
        EXPECT_EQ(n->Stop(), 0) << n->Output();
      }
    }
  }

  // ConfigFor writes a node's config: the example catalog plus cluster and admin sections.
  std::string ConfigFor(const NodeSpec& spec) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = *base;
    if (!spec.memory) text.replace(text.find("memory: 256MiB"), 14, "memory: 0");
    text += "\ncluster:\n  self: " + Addr(spec.peer_port) + "\n  peers: [";
    for (size_t i = 0; i < spec.peers.size(); ++i) {
      text += (i ? ", " : "") + Addr(spec.peers[i]);
    }
    text += "]\n  peer_timeout: " + spec.peer_timeout +
            "\n  probe_interval: 100ms\n  hot_min_hits: 2\n  ring_points: " +
            std::to_string(spec.ring_points) + "\n";
    if (!spec.secret.empty()) text += "  secret: " + spec.secret + "\n";
    text += "admin:\n  token: " + std::string(kToken) + "\n";
    text += "metrics: { cache: 0s }\n";  // the tests compare counters read a moment apart
    return dir_->Write("node-" + std::to_string(spec.peer_port) + ".yaml", text);
  }

  // Start starts a node and returns its index in nodes_.
  size_t Start(const NodeSpec& spec) {
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(ConfigFor(spec));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    nodes_.push_back(p.ok() ? std::move(p).value() : nullptr);
    return nodes_.size() - 1;
  }

  // StartOwners starts `n` nodes that all own keys; their peer ports are in ports_.
  void StartOwners(size_t n) {
    for (size_t i = 0; i < n; ++i) ports_.push_back(FreeLocalPort());
    for (size_t i = 0; i < n; ++i) Start({ports_[i], ports_});
    for (const auto& node : nodes_) ASSERT_NE(node, nullptr);
  }

  uint16_t Http(size_t i) const { return nodes_[i]->port(); }

  double Metric(size_t i, std::string_view name) {
    Result<double> v = ScrapeMetric(Http(i), name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  double Sum(std::string_view name) {
    double total = 0;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i] && nodes_[i]->Running()) total += Metric(i, name);
    }
    return total;
  }

  // Admin sends an authenticated admin request with a JSON body.
  Result<HttpResponse> Admin(size_t node, std::string_view method, std::string_view path,
                             std::string_view body, std::string_view token = kToken) {
    Result<HttpClient> c = HttpClient::Connect(Http(node));
    if (!c.ok()) return c.status();
    std::string req = std::string(method) + " " + std::string(path) +
                      " HTTP/1.1\r\nHost: shoal.test\r\nContent-Type: application/json\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + std::string(token) + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
    if (Status s = c->Send(req); !s.ok()) return s;
    return c->Read();
  }

  // OwnedBy returns `count` item keys (/v1/items/N) that the node with peer port `owner` owns
  // in the ring of `ring_ports`, starting at id `from`.
  static std::vector<int> ItemsOwnedBy(uint16_t owner, const std::vector<uint16_t>& ring_ports,
                                       int from, size_t count) {
    std::vector<std::string> names;
    for (uint16_t p : ring_ports) names.push_back(Addr(p));
    cluster::HashRing ring(names);
    std::vector<int> ids;
    for (int id = from; id <= kItems && ids.size() < count; ++id) {
      if (ring.Owner("/v1/items/" + std::to_string(id)) == Addr(owner)) ids.push_back(id);
    }
    return ids;
  }

  // OwnerFirst returns the node indices of ports_, the owner of `key` first.
  std::vector<size_t> OwnerFirst(const std::string& key) const {
    std::vector<std::string> names;
    for (uint16_t p : ports_) names.push_back(Addr(p));
    const std::string owner = cluster::HashRing(names).Owner(key);
    std::vector<size_t> order;
    for (size_t i = 0; i < ports_.size(); ++i) {
      if (Addr(ports_[i]) == owner)
        order.insert(order.begin(), i);
      else
        order.push_back(i);
    }
    return order;
  }

  // WaitPeerUp polls node i's peer list until `address` is up (or, with `up` false, down).
  bool WaitPeerUp(size_t i, const std::string& address, Duration timeout, bool up = true) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Result<HttpResponse> r = Admin(i, "GET", "/_shoal/peers", "");
      if (r.ok() && r->status == 200) {
        Result<boost::json::value> v = ParseJson(r->body);
        if (v.ok()) {
          for (const auto& p : v->at("peers").as_array()) {
            if (p.at("address").as_string() == address && p.at("up").as_bool() == up) return true;
          }
        }
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<ShoalProcess>> nodes_;
};

// Load drives `threads` keep-alive clients; client t sends to node ports[t % size] the
// targets target(t, i) for i in [0, per_thread), counting answers by class.
struct LoadResult {
  std::atomic<int> ok{0}, not_found{0}, server_errors{0}, other{0}, transport{0};
  std::mutex mu;
  std::vector<std::string> first_errors;
  void Fail(std::string what) {
    std::lock_guard lock(mu);
    if (first_errors.size() < 5) first_errors.push_back(std::move(what));
  }
  std::string Errors() {
    std::lock_guard lock(mu);
    std::string s;
    for (const auto& e : first_errors) s += e + "\n";
    return s;
  }
};

void RunLoad(const std::vector<uint16_t>& http_ports, int threads, int per_thread,
             const std::function<std::string(int, int)>& target, LoadResult* out,
             std::atomic<int>* progress = nullptr) {
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      const uint16_t port = http_ports[static_cast<size_t>(t) % http_ports.size()];
      std::optional<HttpClient> c;
      for (int i = 0; i < per_thread; ++i) {
        if (!c) {
          Result<HttpClient> cc = HttpClient::Connect(port);
          if (!cc.ok()) {
            out->transport.fetch_add(1);
            out->Fail("connect: " + cc.status().ToString());
            continue;
          }
          c.emplace(std::move(cc).value());
        }
        Result<HttpResponse> r = c->Get(target(t, i));
        if (progress != nullptr) progress->fetch_add(1);
        if (!r.ok()) {
          out->transport.fetch_add(1);
          out->Fail(target(t, i) + ": " + r.status().ToString());
          c.reset();
          continue;
        }
        if (r->status == 200) {
          out->ok.fetch_add(1);
        } else if (r->status == 404) {
          out->not_found.fetch_add(1);
        } else if (r->status >= 500) {
          out->server_errors.fetch_add(1);
          out->Fail(target(t, i) + ": " + std::to_string(r->status) + " " + r->body);
        } else {
          out->other.fetch_add(1);
          out->Fail(target(t, i) + ": " + std::to_string(r->status) + " " + r->body);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
}

TEST_F(ClusterTest, ThreeHundredConcurrentMissesMakeOneStoreQueryInTheCluster) {
  ASSERT_NO_FATAL_FAILURE(StartOwners(3));
  constexpr int kThreads = 30, kPerThread = 10;
  std::latch open(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::string> bodies(kThreads * kPerThread);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      std::vector<std::optional<HttpClient>> conns;
      for (int i = 0; i < kPerThread; ++i) {
        Result<HttpClient> c =
            HttpClient::Connect(Http(static_cast<size_t>((t * kPerThread + i) % 3)));
        if (c.ok()) conns.emplace_back(std::move(c).value());
      }
      open.arrive_and_wait();
      for (auto& c : conns) (void)c->Send(RequestText("GET", "/v1/items/77"));
      for (size_t i = 0; i < conns.size(); ++i) {
        Result<HttpResponse> r = conns[i]->Read();
        if (r.ok() && r->status == 200) {
          ok.fetch_add(1);
          bodies[static_cast<size_t>(t * kPerThread) + i] = r->body;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  for (const auto& b : bodies) EXPECT_EQ(b, bodies[0]);
  EXPECT_EQ(Sum("shoal_store_queries_total"), 1);
  // The two nodes that do not own the key asked the owner: each of their flights is one
  // call (a request read after its node's flight ended makes another, since a non-owner keeps
  // the answer only once the key is hot), never one call per request.
  const double peer_gets = Sum("shoal_cluster_peer_gets_total");
  EXPECT_GE(peer_gets, 2);
  EXPECT_LT(peer_gets, 20);
  EXPECT_EQ(Sum("shoal_cluster_peer_errors_total"), 0);
}

TEST_F(ClusterTest, KillNineOfOneNodeUnderLoadCostsNoServerErrorAndItRejoins) {
  ASSERT_NO_FATAL_FAILURE(StartOwners(3));
  const std::vector<uint16_t> survivors = {Http(0), Http(1)};
  LoadResult result;
  std::atomic<int> progress{0};
  // 2,000 requests over distinct keys (reviews of 500 items at 4 page sizes), so most are
  // misses that go to their owner; a third of those is node 2's.
  std::thread load([&] {
    RunLoad(
        survivors, 4, 500,
        [](int t, int i) {
          return "/v1/items/" + std::to_string(i + 1) + "/reviews?limit=" + std::to_string(t + 1);
        },
        &result, &progress);
  });
  while (progress.load() < 500) std::this_thread::sleep_for(milliseconds(5));
  nodes_[2]->Signal(SIGKILL);
  ASSERT_TRUE(nodes_[2]->WaitExit(seconds(10)).has_value());
  load.join();
  EXPECT_EQ(result.server_errors.load(), 0) << result.Errors();
  EXPECT_EQ(result.transport.load(), 0) << result.Errors();
  EXPECT_EQ(result.ok.load(), 2000) << result.Errors();
  EXPECT_GT(Metric(0, "shoal_cluster_local_fallbacks_total") +
                Metric(1, "shoal_cluster_local_fallbacks_total"),
            0);

  // Restart node 2 on its peer port: the others probe it, mark it up, and send it its keys.
  nodes_[2] = nullptr;
  Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(ConfigFor({ports_[2], ports_}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  nodes_[2] = std::move(p).value();
  ASSERT_TRUE(WaitPeerUp(0, Addr(ports_[2]), seconds(20)));
  const std::vector<int> ids = ItemsOwnedBy(ports_[2], ports_, 1, 10);
  ASSERT_EQ(ids.size(), 10u);
  for (int id : ids) {
    Result<HttpClient> c = HttpClient::Connect(Http(0));
    ASSERT_TRUE(c.ok());
    // An item nobody asked for yet: a miss on node 0, owned by node 2.
    Result<HttpResponse> r = c->Get("/v1/items/" + std::to_string(id));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_GE(Metric(2, "shoal_cluster_served_gets_total"), 1);
  EXPECT_GE(Metric(2, "shoal_store_queries_total"), 1);
}

TEST_F(ClusterTest, PurgeRemovesAKeyAndAnEndpointOnEveryNode) {
  ASSERT_NO_FATAL_FAILURE(StartOwners(3));
  const std::string key = "/v1/items/42";
  // Ask every node several times: the owner caches it, the others copy it into their hot
  // caches (hot_min_hits: 2).
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < 3; ++i) {
      Result<HttpClient> c = HttpClient::Connect(Http(i));
      ASSERT_TRUE(c.ok());
      ASSERT_EQ(c->Get(key)->status, 200);
      ASSERT_EQ(c->Get("/v1/items/43/reviews")->status, 200);
    }
  }
  EXPECT_GE(Sum("shoal_hot_cache_entries"), 2);
  const double queries = Sum("shoal_store_queries_total");

  Result<HttpResponse> denied = Admin(0, "POST", "/_shoal/purge", R"({"key":"/v1/items/42"})", "");
  ASSERT_TRUE(denied.ok());
  EXPECT_EQ(denied->status, 401);
  Result<HttpResponse> wrong =
      Admin(0, "POST", "/_shoal/purge", R"({"key":"/v1/items/42"})", "not-the-token");
  EXPECT_EQ(wrong->status, 401);
  Result<HttpResponse> bad = Admin(0, "POST", "/_shoal/purge", R"({"key": 42})");
  EXPECT_EQ(bad->status, 400);
  Result<HttpResponse> unknown = Admin(0, "POST", "/_shoal/purge", R"({"endpoint":"/nope"})");
  EXPECT_EQ(unknown->status, 404);

  Result<HttpResponse> r = Admin(1, "POST", "/_shoal/purge", R"({"key":"/v1/items/42?"})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  Result<boost::json::value> v = ParseJson(r->body);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->at("nodes").as_int64(), 3);
  // The owner's entry and the two hot copies.
  EXPECT_EQ(v->at("purged").as_int64(), 3) << r->body;
  // Ask the owner first: once it has reloaded the key, it answers the others' asks from its
  // cache, which are still misses on the asking nodes.
  for (size_t i : OwnerFirst(key)) {
    Result<HttpClient> c = HttpClient::Connect(Http(i));
    Result<HttpResponse> again = c->Get(key);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->Header("X-Cache"), "MISS") << "node " << i;
  }
  // One more store query in the cluster: the owner reloaded it once for all three.
  EXPECT_EQ(Sum("shoal_store_queries_total"), queries + 1);

  // Every key of the item route goes; the reviews route's keys stay.
  r = Admin(2, "POST", "/_shoal/purge", R"({"endpoint":"/v1/items/{id:int}"})");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_GE(ParseJson(r->body)->at("purged").as_int64(), 1);
  for (size_t i : OwnerFirst(key)) {
    Result<HttpClient> c = HttpClient::Connect(Http(i));
    EXPECT_EQ(c->Get(key)->Header("X-Cache"), "MISS") << "node " << i;
    EXPECT_EQ(c->Get("/v1/items/43/reviews")->Header("X-Cache"), "HIT");
  }
}

// Cache-Status (RFC 9211) in a cluster: a load names the key's owner on every node (the owner
// itself included, and the nodes that asked it over the peer link), and the owner's next
// answer is a fresh hit.
TEST_F(ClusterTest, CacheStatusNamesTheKeysOwnerOnEveryNode) {
  ASSERT_NO_FATAL_FAILURE(StartOwners(3));
  const std::string key = "/v1/items/77";
  const std::vector<size_t> order = OwnerFirst(key);
  const std::string owner = Addr(ports_[order[0]]);
  for (size_t i : order) {
    Result<HttpClient> c = HttpClient::Connect(Http(i));
    ASSERT_TRUE(c.ok());
    Result<HttpResponse> first = c->Get(key);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->status, 200) << first->body;
    const std::string status = first->Header("Cache-Status");
    EXPECT_EQ(status.rfind("shoal; fwd=miss", 0), 0u) << "node " << i << ": " << status;
    EXPECT_NE(status.find("; detail=\"owner=" + owner + "\""), std::string::npos)
        << "node " << i << ": " << status;
  }
  // The owner keeps it: its next answer is a hit (a hit names no owner unless logged).
  Result<HttpClient> c = HttpClient::Connect(Http(order[0]));
  ASSERT_TRUE(c.ok());
  Result<HttpResponse> again = c->Get(key);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->Header("Cache-Status").rfind("shoal; hit; ttl=", 0), 0u)
      << again->Header("Cache-Status");
}

TEST_F(ClusterTest, PeerListChangesUnderLoadWithoutErrors) {
  // Nodes 0 and 1 start as a ring of two; node 2 already counts itself in.
  ports_ = {FreeLocalPort(), FreeLocalPort(), FreeLocalPort()};
  const std::vector<uint16_t> two = {ports_[0], ports_[1]};
  Start({ports_[0], two});
  Start({ports_[1], two});
  Start({ports_[2], ports_});
  for (const auto& n : nodes_) ASSERT_NE(n, nullptr);

  LoadResult result;
  std::atomic<int> progress{0};
  std::thread load([&] {
    RunLoad(
        {Http(0), Http(1)}, 4, 600,
        [](int t, int i) {
          return "/v1/items/" + std::to_string(i % kItems + 1) +
                 "/reviews?limit=" + std::to_string(t * 5 + i / kItems + 1);
        },
        &result, &progress);
  });
  // A failed ASSERT below returns early: join the load first, or ~thread terminates the test.
  struct Joiner {
    std::thread& thread;
    ~Joiner() {
      if (thread.joinable()) thread.join();
    }
  } joiner{load};
  auto peers_json = [](const std::vector<uint16_t>& ports) {
    std::string s = R"({"peers":[)";
    for (size_t i = 0; i < ports.size(); ++i) s += (i ? "," : "") + ("\"" + Addr(ports[i]) + "\"");
    return s + "]}";
  };
  // The list is versioned and spreads (membership_sync.h): one PUT, on one node, changes it
  // everywhere. The configs disagree at start (epoch 0 on all three), which the nodes settle
  // by the lists' digests, so how many ring changes each made is not fixed; the list they end
  // with is.
  while (progress.load() < 600) std::this_thread::sleep_for(milliseconds(5));
  Result<HttpResponse> r = Admin(0, "PUT", "/_shoal/peers", peers_json(ports_));
  ASSERT_TRUE(r.ok()) << r.status().ToString() << "\nnode 0:\n" << nodes_[0]->Output();
  EXPECT_EQ(r->status, 200) << r->body;
  while (progress.load() < 1600) std::this_thread::sleep_for(milliseconds(5));
  const double served_by_new = Metric(2, "shoal_cluster_served_gets_total");
  EXPECT_EQ(Admin(1, "PUT", "/_shoal/peers", peers_json(two))->status, 200);
  load.join();
  EXPECT_EQ(result.server_errors.load(), 0) << result.Errors();
  EXPECT_EQ(result.transport.load(), 0) << result.Errors();
  EXPECT_EQ(result.other.load(), 0) << result.Errors();
  EXPECT_GT(served_by_new, 0);  // the new member got its share of the keys
  EXPECT_GE(Metric(0, "shoal_cluster_ring_changes_total"), 2);
  // Every node ends on node 1's two-node list, node 2 included (which then owns nothing).
  for (size_t i = 0; i < 3; ++i) {
    bool settled = false;
    std::string body;
    for (int attempt = 0; attempt < 100 && !settled; ++attempt) {
      Result<HttpResponse> view = Admin(i, "GET", "/_shoal/cluster", "");
      ASSERT_TRUE(view.ok());
      body = view->body;
      settled = body.find("\"origin\":\"" + Addr(ports_[1]) + "\"") != std::string::npos &&
                body.find(Addr(ports_[2]) + "\",\"self\":false") == std::string::npos &&
                (i != 2 || body.find("\"member\":false") != std::string::npos);
      if (!settled) std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_TRUE(settled) << "node " << i << ": " << body;
  }

  // Bad lists change nothing and say why.
  Result<HttpResponse> bad = Admin(0, "PUT", "/_shoal/peers", R"({"peers":["nohost"]})");
  EXPECT_EQ(bad->status, 400);
  Result<HttpResponse> without_self =
      Admin(0, "PUT", "/_shoal/peers", peers_json({ports_[1], ports_[2]}));
  EXPECT_EQ(without_self->status, 400);
  EXPECT_NE(without_self->body.find("must be one of the peers"), std::string::npos);
}

TEST_F(ClusterTest, APeerWithTheWrongSecretIsRefused) {
  ports_ = {FreeLocalPort(), FreeLocalPort(), FreeLocalPort()};
  Start({ports_[0], ports_});
  Start({ports_[1], ports_});
  NodeSpec stranger{ports_[2], ports_};
  stranger.secret = "another-secret-entirely-0123456789";
  Start(stranger);
  for (const auto& n : nodes_) ASSERT_NE(n, nullptr);
  const std::vector<int> ids = ItemsOwnedBy(ports_[2], ports_, 1, 3);
  ASSERT_EQ(ids.size(), 3u);
  Result<HttpClient> c = HttpClient::Connect(Http(0));
  for (int id : ids) {
    Result<HttpResponse> r = c->Get("/v1/items/" + std::to_string(id));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);  // node 0 loaded it itself
  }
  EXPECT_GE(Metric(0, "shoal_cluster_peer_errors_total") +
                Metric(0, "shoal_cluster_local_fallbacks_total"),
            3);
  EXPECT_EQ(Metric(2, "shoal_cluster_served_gets_total"), 0);
  EXPECT_TRUE(nodes_[2]->WaitForOutput("authentication", seconds(5))) << nodes_[2]->Output();
}

TEST_F(ClusterTest, ANodeWithoutMemoryForwardsEveryMissToTheOwners) {
  ports_ = {FreeLocalPort(), FreeLocalPort(), FreeLocalPort()};
  const std::vector<uint16_t> owners = {ports_[1], ports_[2]};
  NodeSpec front{ports_[0], owners};
  front.memory = false;
  Start(front);
  Start({ports_[1], owners});
  Start({ports_[2], owners});
  for (const auto& n : nodes_) ASSERT_NE(n, nullptr);
  Result<HttpClient> c = HttpClient::Connect(Http(0));
  for (int id = 1; id <= 20; ++id) {
    Result<HttpResponse> r = c->Get("/v1/items/" + std::to_string(id));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);
    Result<HttpResponse> again = c->Get("/v1/items/" + std::to_string(id));
    EXPECT_EQ(again->status, 200);
  }
  EXPECT_EQ(Metric(0, "shoal_store_queries_total"), 0);
  EXPECT_EQ(Metric(0, "shoal_cache_entries"), 0);
  EXPECT_EQ(Metric(1, "shoal_store_queries_total") + Metric(2, "shoal_store_queries_total"), 20);
  EXPECT_EQ(Metric(0, "shoal_cluster_peer_gets_total"), 40);
}

TEST_F(ClusterTest, AHungPeerCostsAtMostThePeerDeadlineAndComesBack) {
  ports_ = {FreeLocalPort(), FreeLocalPort(), FreeLocalPort()};
  for (size_t i = 0; i < 3; ++i) {
    NodeSpec spec{ports_[i], ports_};
    spec.peer_timeout = "300ms";
    Start(spec);
  }
  for (const auto& n : nodes_) ASSERT_NE(n, nullptr);
  const std::vector<int> ids = ItemsOwnedBy(ports_[2], ports_, 1, 6);
  ASSERT_EQ(ids.size(), 6u);
  nodes_[2]->Signal(SIGSTOP);  // alive to the kernel (connections open), silent to its peers
  Result<HttpClient> c = HttpClient::Connect(Http(0));
  ASSERT_TRUE(c.ok());
  for (int id : ids) {
    const auto t0 = std::chrono::steady_clock::now();
    Result<HttpResponse> r = c->Get("/v1/items/" + std::to_string(id));
    const auto waited = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200);  // loaded by node 0 itself
    // The deadline (300 ms) plus the local query: far below the http request_timeout (5 s)
    // that a request stuck on the peer would reach.
    EXPECT_LT(waited, seconds(2)) << "item " << id;
  }
  EXPECT_TRUE(WaitPeerUp(0, Addr(ports_[2]), seconds(10), /*up=*/false));
  EXPECT_GE(Metric(0, "shoal_cluster_local_fallbacks_total"), 6);
  nodes_[2]->Signal(SIGCONT);
  EXPECT_TRUE(WaitPeerUp(0, Addr(ports_[2]), seconds(20)));
}

TEST_F(ClusterTest, TwoNodesThatDisagreeAboutAnOwnerNeverWaitOnEachOther) {
  // Different ring_points give the two nodes different rings over the same peers, so some
  // keys are owned by node 1 in node 0's view and by node 0 in node 1's: each forwards them
  // to the other. A peer's request is loaded where it lands, so no call waits on another.
  ports_ = {FreeLocalPort(), FreeLocalPort()};
  NodeSpec a{ports_[0], ports_};
  NodeSpec b{ports_[1], ports_};
  b.ring_points = 3;
  Start(a);
  Start(b);
  for (const auto& n : nodes_) ASSERT_NE(n, nullptr);
  std::vector<std::string> names = {Addr(ports_[0]), Addr(ports_[1])};
  cluster::HashRing ring_a(names, 160), ring_b(names, 3);
  std::vector<std::string> crossed;
  for (int id = 1; id <= kItems && crossed.size() < 20; ++id) {
    const std::string key = "/v1/items/" + std::to_string(id) + "/reviews?limit=7";
    if (ring_a.Owner(key) == names[1] && ring_b.Owner(key) == names[0]) crossed.push_back(key);
  }
  ASSERT_GE(crossed.size(), 5u);
  LoadResult result;
  // Every key asked on both nodes at once, many times.
  RunLoad(
      {Http(0), Http(1)}, 8, static_cast<int>(crossed.size()) * 3,
      [&crossed](int, int i) { return crossed[static_cast<size_t>(i) % crossed.size()]; }, &result);
  EXPECT_EQ(result.server_errors.load(), 0) << result.Errors();
  EXPECT_EQ(result.transport.load(), 0) << result.Errors();
  EXPECT_EQ(Sum("shoal_cluster_peer_errors_total"), 0);  // no call ran into its deadline
  EXPECT_GT(Metric(0, "shoal_cluster_served_gets_total"), 0);
  EXPECT_GT(Metric(1, "shoal_cluster_served_gets_total"), 0);
}

}  // namespace
}  // namespace shoal::testing

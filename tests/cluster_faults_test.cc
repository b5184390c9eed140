// Network faults between cluster nodes, made by a real Toxiproxy (scripts/toxiproxy.sh) under
// a steady load: the cluster issue's item 7.
//
// Three shoal nodes over one SQLite catalog. Every ordered pair of nodes has its own proxy:
// node i reaches node j through the proxy "n<i>-n<j>" (cluster.connect_to), so one link is
// the two proxies n0-n2 and n2-n0, and all links of node 2 are the four proxies to and from
// it. Client threads send GETs of distinct keys (spread over all three owners; most are
// misses, so non-owners forward them) through nodes 0 and 1, never through node 2. Then a
// toxic goes on both directions of the chosen proxies for a few seconds:
//
//   latency      1 s each way, far above the peer timeout
//   timeout      nothing passes and nothing closes (a partition)
//   reset_peer   every connection is reset (RST) at once, the new ones too
//   bandwidth    1 KB/s: a reply of a few KB takes seconds
//
// What must hold, for each fault on one link and on all links of one node:
//   - no 5xx and no transport error, during the fault or after it;
//   - p99 of the requests sent during the fault within kBound: the peer timeout (what a
//     request may wait for an owner that does not answer) + kStoreAllowance (its local load
//     from SQLite, a few ms in a debug build) + kMargin (scheduling on a 2-core machine
//     shared with other builds). A request that waited for the faulty link would take more
//     than 1 s (latency), or until the HTTP request timeout (timeout, bandwidth);
//   - the fault bit: some requests fell back to a local load while it lasted (else the test
//     could not fail);
//   - recovery within kRecovery (2 s) of the toxics' removal: the nodes' local-fallback
//     counters (/_shoal/metrics) stop growing while the load goes on and forwarded GETs
//     succeed again; then fresh keys owned by node 2, asked through nodes 0 and 1 once the
//     load has stopped, are each served by node 2 (its served_gets grows by exactly their
//     number) with no local fallback.
// Each test prints one line of figures (p99, max, errors, recovery time).
//
// The short peer timeout (250 ms) and probe interval (100 ms) keep the file under a minute or
// so. Label cluster_faults: the dev suite only (latency is measured: RUN_SERIAL).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog_db.h"
#include "catalog_suite.h"
#include "cluster/hash_ring.h"
#include "http_client.h"
#include "shoal_process.h"
#include "toxiproxy.h"

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kItems = 600;
constexpr int kNodes = 3;
constexpr std::string_view kSecret = "a-cluster-secret-of-32-characters";
constexpr Duration kPeerTimeout = milliseconds(250);
constexpr Duration kStoreAllowance = milliseconds(100);
constexpr Duration kMargin = milliseconds(400);
constexpr Duration kBound = kPeerTimeout + kStoreAllowance + kMargin;  // 750 ms
constexpr Duration kRecovery = seconds(2);
constexpr Duration kWarm = seconds(1);
constexpr Duration kFault = seconds(3);
constexpr Duration kAfter = seconds(3);       // kRecovery, then a quiet second with the load on
constexpr int kThreads = 6;                   // three through node 0, three through node 1
constexpr Duration kPace = milliseconds(10);  // per thread: at most 100 requests a second

std::string Addr(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

double Ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// LoadKey is the k-th key of the load: a reviews page, distinct for k below 30,000.
std::string LoadKey(uint64_t k) {
  return "/v1/items/" + std::to_string(k % kItems + 1) +
         "/reviews?limit=" + std::to_string(k / kItems % 50 + 1);
}

struct Sample {
  Duration start;    // since the load began
  Duration latency;  // until the whole response was read
  int status = 0;    // 0: transport error (connect, send, read)
};

// Load runs kThreads keep-alive clients until Stop, each through one of `ports` in turn,
// each asking a new key every kPace, and records every request.
class Load {
 public:
  explicit Load(std::vector<uint16_t> ports) : ports_(std::move(ports)), t0_(SteadyClock::now()) {
    per_thread_.resize(kThreads);
    for (int t = 0; t < kThreads; ++t) threads_.emplace_back([this, t] { Run(t); });
  }
  ~Load() { Stop(); }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;

  SteadyClock::time_point t0() const { return t0_; }

  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  std::vector<Sample> Samples() const {
    std::vector<Sample> all;
    for (const auto& v : per_thread_) all.insert(all.end(), v.begin(), v.end());
    return all;
  }

  std::string Errors() {
    std::lock_guard lock(mu_);
    std::string s;
    for (const auto& e : errors_) s += e + "\n";
    return s;
  }

 private:
  void Run(int t) {
    const uint16_t port = ports_[static_cast<size_t>(t) % ports_.size()];
    std::optional<HttpClient> c;
    std::vector<Sample>& out = per_thread_[static_cast<size_t>(t)];
    auto next = SteadyClock::now();
    while (!stop_) {
      std::this_thread::sleep_until(next);
      next += kPace;
      const std::string key = LoadKey(next_key_.fetch_add(1));
      const auto start = SteadyClock::now();
      Sample s{start - t0_, Duration::zero(), 0};
      if (!c) {
        Result<HttpClient> cc = HttpClient::Connect(port);
        if (cc.ok()) c.emplace(std::move(cc).value());
      }
      if (c) {
        Result<HttpResponse> r = c->Get(key);
        if (r.ok()) {
          s.status = r->status;
          if (r->status != 200) Note(key + ": " + std::to_string(r->status) + " " + r->body);
        } else {
          Note(key + ": " + r.status().ToString());
          c.reset();
        }
      } else {
        Note(key + ": cannot connect");
      }
      s.latency = SteadyClock::now() - start;
      out.push_back(s);
    }
  }

  void Note(std::string what) {
    std::lock_guard lock(mu_);
    if (errors_.size() < 5) errors_.push_back(std::move(what));
  }

  const std::vector<uint16_t> ports_;
  const SteadyClock::time_point t0_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_key_{0};
  std::vector<std::vector<Sample>> per_thread_;  // one writer each; read after Stop
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<std::string> errors_;
};

enum class Scope { kOneLink, kAllLinksOfANode };

struct Fault {
  const char* name;
  const char* type;        // the toxic
  const char* attributes;  // its JSON attributes
  Scope scope;
};

// PrintTo names a fault in test output (and in ctest's test names).
void PrintTo(const Fault& fault, std::ostream* os) {
  *os << fault.type << (fault.scope == Scope::kOneLink ? ", one link" : ", all links of a node");
}

std::string FaultName(const ::testing::TestParamInfo<Fault>& info) {
  return std::string(info.param.name) +
         (info.param.scope == Scope::kOneLink ? "OnOneLink" : "OnAllLinksOfANode");
}

class ClusterFaultsTest : public CatalogSuite<kItems>, public ::testing::WithParamInterface<Fault> {
 protected:
  void SetUp() override {
    const std::string binary = Toxiproxy::ServerBinary();
    if (binary.empty()) {
      if (Toxiproxy::Required()) {
        FAIL() << "SHOAL_REQUIRE_TOXIPROXY=1 but no Toxiproxy server: run "
                  "scripts/toxiproxy.sh install";
      }
      std::fprintf(stderr,
                   "\n###### TOXIPROXY NOT INSTALLED: network-fault test SKIPPED "
                   "(scripts/toxiproxy.sh install) ######\n\n");
      GTEST_SKIP() << "Toxiproxy is not installed (scripts/toxiproxy.sh install)";
    }
    Result<std::unique_ptr<Toxiproxy>> t = Toxiproxy::Start(binary);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    toxi_ = std::move(t).value();
    for (int i = 0; i < kNodes; ++i) ports_.push_back(FreeLocalPort());
    for (int i = 0; i < kNodes; ++i) {
      for (int j = 0; j < kNodes; ++j) {
        if (i == j) continue;
        proxy_[i][j] = FreeLocalPort();
        Status s = toxi_->CreateProxy(Proxy(i, j), proxy_[i][j], ports_[static_cast<size_t>(j)]);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    }
    for (int i = 0; i < kNodes; ++i) {
      Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(ConfigFor(i));
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      nodes_.push_back(std::move(p).value());
    }
  }

  void TearDown() override {
    for (auto& n : nodes_) {
      if (n && n->Running()) {
        EXPECT_EQ(n->Stop(), 0) << n->Output();
      }
    }
  }

  static std::string Proxy(int from, int to) {
    return "n" + std::to_string(from) + "-n" + std::to_string(to);
  }

  // ConfigFor: the example catalog, and a cluster section in which node i reaches every
  // other node j through the proxy n<i>-n<j>. No hot copies (hot_memory 0): a non-owner
  // forwards every miss of another node's key, so the links carry the load.
  std::string ConfigFor(int i) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = *base;
    const uint16_t self = ports_[static_cast<size_t>(i)];
    text += "\ncluster:\n  self: " + Addr(self) + "\n  peers: [";
    for (size_t k = 0; k < ports_.size(); ++k) text += (k ? ", " : "") + Addr(ports_[k]);
    text += "]\n  secret: " + std::string(kSecret) + "\n  peer_timeout: " +
            std::to_string(std::chrono::duration_cast<milliseconds>(kPeerTimeout).count()) +
            "ms\n  probe_interval: 100ms\n  hot_memory: 0\n  connect_to:\n";
    for (int j = 0; j < kNodes; ++j) {
      if (j == i) continue;
      text +=
          "    \"" + Addr(ports_[static_cast<size_t>(j)]) + "\": \"" + Addr(proxy_[i][j]) + "\"\n";
    }
    text += "metrics: { cache: 0s }\n";
    return dir_->Write("node-" + std::to_string(self) + ".yaml", text);
  }

  // Proxies the fault goes on: the link between nodes 0 and 2, or every link of node 2.
  static std::vector<std::string> ProxiesOf(Scope scope) {
    if (scope == Scope::kOneLink) return {Proxy(0, 2), Proxy(2, 0)};
    return {Proxy(0, 2), Proxy(2, 0), Proxy(1, 2), Proxy(2, 1)};
  }

  double Metric(size_t i, std::string_view name) {
    Result<double> v = ScrapeMetric(nodes_[i]->port(), name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  // Counters of the nodes the load goes through (0 and 1), summed.
  struct Counters {
    SteadyClock::time_point at;
    double fallbacks = 0, peer_gets = 0, peer_errors = 0;
  };
  Counters Read() {
    Counters c{SteadyClock::now()};
    for (size_t i : {0u, 1u}) {
      c.fallbacks += Metric(i, "shoal_cluster_local_fallbacks_total");
      c.peer_gets += Metric(i, "shoal_cluster_peer_gets_total");
      c.peer_errors += Metric(i, "shoal_cluster_peer_errors_total");
    }
    return c;
  }

  // ItemsOwnedBy: `count` item ids whose /v1/items/N key node `owner` owns.
  std::vector<int> ItemsOwnedBy(int owner, size_t count) const {
    std::vector<std::string> names;
    for (uint16_t p : ports_) names.push_back(Addr(p));
    cluster::HashRing ring(names);
    std::vector<int> ids;
    for (int id = 1; id <= kItems && ids.size() < count; ++id) {
      if (ring.Owner("/v1/items/" + std::to_string(id)) == names[static_cast<size_t>(owner)]) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  std::unique_ptr<Toxiproxy> toxi_;
  std::vector<uint16_t> ports_;  // peer ports
  uint16_t proxy_[kNodes][kNodes] = {};
  std::vector<std::unique_ptr<ShoalProcess>> nodes_;
};

TEST_P(ClusterFaultsTest, UnderLoad) {
  const Fault& fault = GetParam();
  const std::vector<std::string> proxies = ProxiesOf(fault.scope);

  Load load({nodes_[0]->port(), nodes_[1]->port()});
  // The counters every 50 ms, on this thread, through the whole run.
  std::vector<Counters> counters;
  auto watch = [&](Duration d) {
    const auto until = SteadyClock::now() + d;
    while (SteadyClock::now() < until) {
      counters.push_back(Read());
      std::this_thread::sleep_for(milliseconds(50));
    }
  };
  watch(kWarm);
  const Counters before_fault = Read();

  const auto on = SteadyClock::now();
  for (const std::string& p : proxies) {
    for (const char* stream : {"upstream", "downstream"}) {
      Status s = toxi_->AddToxic(p, std::string(fault.type) + "_" + stream, fault.type, stream,
                                 fault.attributes);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  watch(kFault);
  const auto off = SteadyClock::now();
  for (const std::string& p : proxies) {
    for (const char* stream : {"upstream", "downstream"}) {
      Status s = toxi_->RemoveToxic(p, std::string(fault.type) + "_" + stream);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  const Counters at_off = Read();
  watch(kAfter);
  load.Stop();
  const Counters end = Read();

  // Requests sent during the fault, and all of them.
  const std::vector<Sample> samples = load.Samples();
  std::vector<Duration> during;
  int server_errors = 0, transport = 0, other = 0;
  for (const Sample& s : samples) {
    if (s.status >= 500) ++server_errors;
    if (s.status == 0) ++transport;
    if (s.status != 0 && s.status != 200 && s.status < 500) ++other;
    if (s.start >= on - load.t0() && s.start < off - load.t0()) during.push_back(s.latency);
  }
  std::sort(during.begin(), during.end());
  ASSERT_GE(during.size(), 100u) << "too few requests during the fault to measure";
  const Duration p99 = during[(during.size() * 99 + 99) / 100 - 1];
  const Duration max = during.back();
  const auto waited = static_cast<size_t>(
      during.end() - std::lower_bound(during.begin(), during.end(), kPeerTimeout));
  // How often nodes 0 and 1 marked a peer down (each is one "down (" line in their logs).
  size_t marked_down = 0;
  for (size_t i : {0u, 1u}) {
    const std::string out = nodes_[i]->Output();
    for (size_t at = out.find(" down ("); at != std::string::npos;
         at = out.find(" down (", at + 1)) {
      ++marked_down;
    }
  }

  // Recovery: the last 50 ms window after `off` in which the fallback counter grew.
  Duration recovery = Duration::zero();
  for (size_t k = 1; k < counters.size(); ++k) {
    if (counters[k].at <= off) continue;
    if (counters[k].fallbacks > counters[k - 1].fallbacks) recovery = counters[k].at - off;
  }
  const double fallbacks_during = at_off.fallbacks - before_fault.fallbacks;

  std::printf(
      "cluster_faults: %-10s %-20s requests %zu (%zu during the fault): during p99 %.0f ms, "
      "max %.0f ms, %zu waited the peer timeout; 5xx %d, transport errors %d, other %d; local "
      "fallbacks during %.0f; peers marked down %zu times; recovered %.0f ms after the fault "
      "ended\n",
      fault.name, fault.scope == Scope::kOneLink ? "one link (0<->2)" : "all links of node 2",
      samples.size(), during.size(), Ms(p99), Ms(max), waited, server_errors, transport, other,
      fallbacks_during, marked_down, Ms(recovery));

  EXPECT_EQ(server_errors, 0) << load.Errors();
  EXPECT_EQ(transport, 0) << load.Errors();
  EXPECT_EQ(other, 0) << load.Errors();
  EXPECT_LE(p99, kBound) << "p99 " << Ms(p99) << " ms over the bound of " << Ms(kBound) << " ms";
  EXPECT_GT(fallbacks_during, 0) << "the fault did not bite: no request fell back to a local load";
  EXPECT_LE(recovery, kRecovery) << "local fallbacks went on " << Ms(recovery)
                                 << " ms after the fault ended";
  // The load's last second: forwarded GETs succeed, none falls back.
  const Counters* quiet = nullptr;
  for (const Counters& c : counters) {
    if (c.at >= off + kRecovery) {
      quiet = &c;
      break;
    }
  }
  ASSERT_NE(quiet, nullptr);
  EXPECT_EQ(end.fallbacks, quiet->fallbacks);
  EXPECT_EQ(end.peer_errors, quiet->peer_errors);
  EXPECT_GT(end.peer_gets, quiet->peer_gets + 50) << "the load stopped forwarding";

  // Node 2 serves its own keys to both other nodes again: fresh item keys, one request each.
  const std::vector<int> ids = ItemsOwnedBy(2, 10);
  ASSERT_EQ(ids.size(), 10u);
  const double served = Metric(2, "shoal_cluster_served_gets_total");
  const Counters quiet_start = Read();
  for (size_t via : {0u, 1u}) {
    Result<HttpClient> c = HttpClient::Connect(nodes_[via]->port());
    ASSERT_TRUE(c.ok());
    for (int id : ids) {
      Result<HttpResponse> r = c->Get("/v1/items/" + std::to_string(id));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->status, 200) << r->body;
    }
  }
  EXPECT_EQ(Metric(2, "shoal_cluster_served_gets_total"),
            served + 2.0 * static_cast<double>(ids.size()));
  EXPECT_EQ(Read().fallbacks, quiet_start.fallbacks);
}

// Latency 1 s each way: four times the peer timeout. timeout 0: the toxic never closes the
// connection, it only stops every byte. reset_peer 0: reset at once. bandwidth: KB/s.
const Fault kFaults[] = {
    {"Latency", "latency", R"({"latency":1000,"jitter":0})", Scope::kOneLink},
    {"Latency", "latency", R"({"latency":1000,"jitter":0})", Scope::kAllLinksOfANode},
    {"Partition", "timeout", R"({"timeout":0})", Scope::kOneLink},
    {"Partition", "timeout", R"({"timeout":0})", Scope::kAllLinksOfANode},
    {"Resets", "reset_peer", R"({"timeout":0})", Scope::kOneLink},
    {"Resets", "reset_peer", R"({"timeout":0})", Scope::kAllLinksOfANode},
    {"Bandwidth", "bandwidth", R"({"rate":1})", Scope::kOneLink},
    {"Bandwidth", "bandwidth", R"({"rate":1})", Scope::kAllLinksOfANode},
};

INSTANTIATE_TEST_SUITE_P(Toxics, ClusterFaultsTest, ::testing::ValuesIn(kFaults), FaultName);

}  // namespace
}  // namespace shoal::testing

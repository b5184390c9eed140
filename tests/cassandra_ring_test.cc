// shoal over a real multi-node Cassandra ring (label cassandra_ring): real `shoal serve`
// processes read a keyspace replicated with NetworkTopologyStrategy {dc1: 2, dc2: 1} while a
// test client sends a steady load of cache misses, and the ring changes under them: a node
// killed and restarted, a node bootstrapped then decommissioned, a node hung (SIGSTOP) for
// 20 s, and the local_dc option keeping reads in one data centre.
//
// The ring is scripts/cassandra-ring.sh's (3 nodes: 127.0.0.2 dc1/rack1, 127.0.0.3 dc1/rack2,
// 127.0.0.4 dc2/rack1), started once by scripts/with-cassandra.sh and given through
// SHOAL_CASSANDRA_RING (see tests/lib/cassandra_ring.h). Every test leaves the ring as it
// found it (a guard restarts, resumes or decommissions what the test changed), so the tests
// run in any order; they must not run beside each other or beside other tests (RUN_SERIAL in
// tests/CMakeLists.txt): they change the shared ring and measure throughput.
//
// Per-node figures come from shoal's labelled metrics on /_shoal/metrics:
// shoal_cassandra_requests_total{node="127.0.0.4:9042",dc="dc2"} (attempts sent to the node)
// and shoal_cassandra_node_up{node=...,dc=...}. Each phase prints its figures (req/s before,
// during and after, 5xx counts, per-node request deltas) on lines starting "[ring]".
#include "cassandra_ring.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr char kKeyspace[] = "shoal_ring_test";
constexpr int kRows = 1000;       // ids 1..kRows exist
constexpr int kKeySpace = 20000;  // requests pick ids in 1..kKeySpace: nearly all misses
constexpr char kRequests[] = "shoal_cassandra_requests_total";
constexpr char kNodeUp[] = "shoal_cassandra_node_up";

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// Counts of answers by kind.
struct Counts {
  int64_t ok = 0;             // 200
  int64_t not_found = 0;      // 404: no such row, still a read from Cassandra
  int64_t server_errors = 0;  // 5xx
  int64_t other = 0;          // any other status
  int64_t failures = 0;       // no answer (connection error or client timeout)

  int64_t answered() const { return ok + not_found + server_errors + other; }
  Counts operator-(const Counts& b) const {
    return {ok - b.ok, not_found - b.not_found, server_errors - b.server_errors, other - b.other,
            failures - b.failures};
  }
};

// MissLoad sends GET /v1/ring/{random id} to one shoal from `threads` threads, each paced at
// `rate` requests per second on its own keep-alive connection (a closed loop: a slow answer
// delays that thread's next request, as a real client's would). Counts answers by kind, in
// total and per second since the start.
class MissLoad {
 public:
  MissLoad(uint16_t port, int threads, int rate) : start_(SteadyClock::now()) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, port, rate, i, threads] { Run(port, rate, i, threads); });
    }
  }
  ~MissLoad() { Stop(); }
  MissLoad(const MissLoad&) = delete;
  MissLoad& operator=(const MissLoad&) = delete;

  void Stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  Counts Totals() const {
    Counts c;
    for (const auto& b : seconds_) {
      c.ok += b[0].load();
      c.not_found += b[1].load();
      c.server_errors += b[2].load();
      c.other += b[3].load();
      c.failures += b[4].load();
    }
    return c;
  }

  // Timeline prints answers per second (and 5xx and failures when there are any) from
  // `from` to `to`, one line.
  std::string Timeline(SteadyClock::time_point from, SteadyClock::time_point to) const {
    std::string out;
    const auto first = static_cast<size_t>(std::max(0.0, Seconds(from - start_)));
    const auto last = static_cast<size_t>(std::max(0.0, Seconds(to - start_)));
    for (size_t s = first; s <= last && s < seconds_.size(); ++s) {
      const auto& b = seconds_[s];
      out += std::to_string(b[0] + b[1] + b[2] + b[3]);
      if (b[2] + b[4] > 0)
        out += "(5xx " + std::to_string(b[2]) + ",fail " + std::to_string(b[4]) + ")";
      out += " ";
    }
    return out;
  }

 private:
  void Count(size_t kind) {
    const auto s = static_cast<size_t>(Seconds(SteadyClock::now() - start_));
    if (s < seconds_.size()) seconds_[s][kind].fetch_add(1);
  }

  void Run(uint16_t port, int rate, int seed, int threads) {
    std::mt19937 rng(static_cast<unsigned>(seed * 7919 + 17));
    std::uniform_int_distribution<int> id(1, kKeySpace);
    const auto interval = std::chrono::nanoseconds(1'000'000'000 / rate);
    auto next = SteadyClock::now() + interval * seed / threads;  // spread
    std::optional<HttpClient> client;
    while (!stop_) {
      std::this_thread::sleep_until(next);
      next += interval;
      // Behind schedule (a slow answer): do not catch up in a burst.
      if (next < SteadyClock::now()) next = SteadyClock::now();
      if (!client) {
        auto c = HttpClient::Connect(port, 10s);
        if (!c.ok()) {
          Count(4);
          continue;
        }
        client.emplace(std::move(*c));
      }
      auto r = client->Get("/v1/ring/" + std::to_string(id(rng)));
      if (!r.ok()) {
        Count(4);
        client.reset();
        continue;
      }
      Count(r->status == 200 ? 0u : r->status == 404 ? 1u : r->status >= 500 ? 2u : 3u);
    }
  }

  const SteadyClock::time_point start_;
  std::atomic<bool> stop_{false};
  // Answers per second since start_, by kind: 200, 404, 5xx, other, failure (20 minutes).
  std::array<std::array<std::atomic<int64_t>, 5>, 1200> seconds_{};
  std::vector<std::thread> threads_;
};

std::string Metrics(uint16_t port) {
  auto client = HttpClient::Connect(port, 5s);
  if (!client.ok()) return "";
  auto r = client->Get("/_shoal/metrics");
  return r.ok() && r->status == 200 ? r->body : "";
}

double Sample(const std::map<std::string, double>& samples, const std::string& node) {
  auto it = samples.find(node);
  return it == samples.end() ? -1 : it->second;
}

std::string Describe(const std::map<std::string, double>& samples) {
  if (samples.empty()) return "(no per-node samples: metric not exported)";
  std::string out;
  for (const auto& [node, v] : samples) out += node + "=" + std::to_string(int64_t(v)) + " ";
  return out;
}

// Deltas per node between two samplings of a counter.
std::map<std::string, double> Delta(const std::map<std::string, double>& before,
                                    const std::map<std::string, double>& after) {
  std::map<std::string, double> out;
  for (const auto& [node, v] : after) {
    auto it = before.find(node);
    out[node] = v - (it == before.end() ? 0 : it->second);
  }
  return out;
}

void Report(const char* phase, const Counts& c, double seconds, const std::string& extra = "") {
  std::printf(
      "[ring] %-28s %6.1f s  %7.1f req/s  200=%lld 404=%lld 5xx=%lld other=%lld "
      "failed=%lld %s\n",
      phase, seconds, seconds > 0 ? double(c.answered()) / seconds : 0.0,
      static_cast<long long>(c.ok), static_cast<long long>(c.not_found),
      static_cast<long long>(c.server_errors), static_cast<long long>(c.other),
      static_cast<long long>(c.failures), extra.c_str());
  std::fflush(stdout);
}

// A window of the load: counts and time between Begin and End.
struct Window {
  SteadyClock::time_point t0, t1;
  Counts c0, c1;
  std::map<std::string, double> m0, m1;  // shoal_cassandra_requests_total per node

  void Begin(const MissLoad& load, uint16_t port) {
    t0 = SteadyClock::now();
    c0 = load.Totals();
    m0 = NodeSamples(Metrics(port), kRequests);
  }
  void End(const MissLoad& load, uint16_t port) {
    t1 = SteadyClock::now();
    c1 = load.Totals();
    m1 = NodeSamples(Metrics(port), kRequests);
  }
  Counts counts() const { return c1 - c0; }
  double seconds() const { return Seconds(t1 - t0); }
  double rate() const { return seconds() > 0 ? double(counts().answered()) / seconds() : 0; }
  void Print(const char* phase) const {
    Report(phase, counts(), seconds(), "per-node requests: " + Describe(Delta(m0, m1)));
  }
};

class CassandraRingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ring_ = CassandraRing::FromEnvironment();
    if (!ring_) return;
    setup_error_ = PrepareKeyspace();
  }

  // PrepareKeyspace creates the keyspace and table on node 1 (once per ring), fills ids
  // 1..kRows, and waits until every node knows the table.
  static std::string PrepareKeyspace() {
    const std::string ks = kKeyspace;
    auto done =
        ring_->Cql(1, {"SELECT id FROM " + ks + ".items WHERE id = " + std::to_string(kRows)});
    if (done.ok() && done->find("(1 rows)") != std::string::npos) return "";
    std::vector<std::string> statements = {
        "CREATE KEYSPACE IF NOT EXISTS " + ks +
            " WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}",
        "CREATE TABLE IF NOT EXISTS " + ks + ".items (id int PRIMARY KEY, title text)"};
    for (int id = 1; id <= kRows; ++id) {
      statements.push_back("INSERT INTO " + ks + ".items (id, title) VALUES (" +
                           std::to_string(id) + ", 'item " + std::to_string(id) + "')");
    }
    auto created = ring_->Cql(1, statements);
    if (!created.ok()) return created.status().ToString();
    auto nodes = ring_->Nodes();
    if (!nodes.ok()) return nodes.status().ToString();
    for (const RingNode& n : *nodes) {
      if (n.state != "up") continue;
      const auto until = SteadyClock::now() + 60s;
      while (!ring_->Cql(n.index, {"SELECT id FROM " + ks + ".items WHERE id = 1"}).ok()) {
        if (SteadyClock::now() > until) return "node " + n.address + " never saw the table";
        std::this_thread::sleep_for(500ms);
      }
    }
    return "";
  }

  void SetUp() override {
    if (!ring_) {
      if (CassandraRing::Required()) {
        FAIL() << "SHOAL_REQUIRE_CASSANDRA_RING=1 but SHOAL_CASSANDRA_RING is not set";
      }
      GTEST_SKIP() << "SKIPPED: no Cassandra ring (SHOAL_CASSANDRA_RING unset; start one with "
                      "scripts/cassandra-ring.sh start, or run under scripts/with-cassandra.sh)";
    }
    ASSERT_EQ(setup_error_, "") << "preparing keyspace " << kKeyspace;
    auto nodes = ring_->Nodes();
    ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
    for (const RingNode& n : *nodes) {
      if (n.state == "decommissioned") continue;
      ASSERT_EQ(n.state, "up") << "ring node " << n.address << " is not up at the start";
      nodes_.push_back(n);
    }
    ASSERT_GE(nodes_.size(), 3u) << "the ring tests need the 3-node ring of cassandra-ring.sh";
  }

  // Config is a shoal config over the ring: contact points = every node, the keyspace, one
  // route whose keys are nearly all misses; `cassandra_extra` lines go under store.cassandra.
  std::string Config(const std::string& cassandra_extra = "") const {
    std::string points;
    for (const std::string& e : ring_->endpoints()) points += (points.empty() ? "" : ", ") + e;
    return "listen: 127.0.0.1:0\n"
           "store:\n"
           "  cassandra:\n"
           "    contact_points: [" +
           points +
           "]\n"
           "    keyspace: " +
           std::string(kKeyspace) +
           "\n"
           "    consistency: LOCAL_ONE\n" +
           cassandra_extra +
           "  timeout: 2s\n"
           "cache:\n"
           "  memory: 64MiB\n"
           "  negative_ttl: 1s\n"
           "metrics:\n"
           "  cache: 0s\n"
           "endpoints:\n"
           "  - route: /v1/ring/{id:int}\n"
           "    query: SELECT id, title FROM items WHERE id = :id\n"
           "    result: one\n"
           "    ttl: 2s\n";
  }

  std::unique_ptr<ShoalProcess> Serve(const std::string& name, const std::string& yaml) {
    auto server = ShoalProcess::Serve(dir_.Write(name, yaml), 60s);
    EXPECT_TRUE(server.ok()) << name << ": " << server.status().ToString() << "\n" << yaml;
    return server.ok() ? std::move(*server) : nullptr;
  }

  const RingNode& NodeIndex(int index) const {
    for (const RingNode& n : nodes_) {
      if (n.index == index) return n;
    }
    return nodes_.front();
  }

  inline static std::optional<CassandraRing> ring_;
  inline static std::string setup_error_;
  std::vector<RingNode> nodes_;
  TempDir dir_;
};

// RingGuard puts node `index` back as it was when the guard ends: resumed if paused,
// restarted if down; a node the test added is decommissioned.
class RingGuard {
 public:
  explicit RingGuard(const CassandraRing& ring) : ring_(ring) {}
  ~RingGuard() {
    try {
      Restore();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
    }
  }
  RingGuard(const RingGuard&) = delete;
  RingGuard& operator=(const RingGuard&) = delete;
  void Watch(int index) { watched_ = index; }
  void Added(const std::string& address) { added_ = address; }

 private:
  void Restore() {
    auto nodes = ring_.Nodes();
    if (!nodes.ok()) return;
    for (const RingNode& n : *nodes) {
      if (n.index == watched_ && n.state == "paused") (void)ring_.Verb("resume", n.index);
      if (n.index == watched_ && n.state == "down") (void)ring_.Verb("restart", n.index);
      if (n.address == added_ && n.state != "decommissioned") {
        (void)ring_.Verb("decommission", n.index);
      }
    }
  }

  const CassandraRing& ring_;
  int watched_ = 0;
  std::string added_;
};

constexpr int kThreads = 8;
constexpr int kRatePerThread = 20;  // 160 requests/s in all

// a. kill -9 a node under load, restart it: no 5xx, and the node gets requests again once back.
TEST_F(CassandraRingTest, KilledNodeCostsNo5xxAndGetsRequestsAgainAfterRestart) {
  const RingNode victim = NodeIndex(2);  // dc1/rack2, not the seed
  RingGuard guard(*ring_);
  guard.Watch(victim.index);
  auto shoal = Serve("kill.yaml", Config());
  ASSERT_NE(shoal, nullptr);
  const uint16_t port = shoal->port();
  MissLoad load(port, kThreads, kRatePerThread);
  std::this_thread::sleep_for(3s);
  Window before, down, restarting, after;
  before.Begin(load, port);
  std::this_thread::sleep_for(5s);
  before.End(load, port);

  down.Begin(load, port);
  ASSERT_TRUE(ring_->Verb("kill", victim.index).ok());
  std::this_thread::sleep_for(8s);
  down.End(load, port);

  restarting.Begin(load, port);
  ScriptRun restart;
  ASSERT_TRUE(ring_->Verb("restart", victim.index, &restart).ok()) << restart.output;
  restarting.End(load, port);

  // The node serves CQL again: it must get requests within a few seconds.
  after.Begin(load, port);
  const double base = Sample(after.m0, victim.endpoint());
  double back_after = -1;
  while (SteadyClock::now() - after.t0 < 10s) {
    const double now = Sample(NodeSamples(Metrics(port), kRequests), victim.endpoint());
    if (base >= 0 && now > base) {
      back_after = Seconds(SteadyClock::now() - after.t0);
      break;
    }
    std::this_thread::sleep_for(250ms);
  }
  std::this_thread::sleep_for(std::max(
      0s, std::chrono::duration_cast<std::chrono::seconds>(5s - (SteadyClock::now() - after.t0))));
  after.End(load, port);
  load.Stop();

  before.Print("a. before kill");
  down.Print("a. node killed (8 s)");
  restarting.Print("a. node restarting");
  after.Print("a. after restart");
  std::printf(
      "[ring] a. restart took %.1f s; %s got requests again %.1f s after serving CQL "
      "(-1: never)\n[ring] a. answers/s: %s\n",
      restart.seconds, victim.endpoint().c_str(), back_after,
      load.Timeline(before.t0, after.t1).c_str());
  const Counts total = after.c1 - before.c0;
  EXPECT_EQ(total.server_errors, 0) << "5xx while a node was killed and restarted";
  EXPECT_EQ(total.failures, 0) << "requests without an answer";
  EXPECT_GT(before.rate(), kThreads * kRatePerThread * 0.5) << "the load did not run";
  EXPECT_GE(back_after, 0) << victim.endpoint() << " got no requests within 10 s of serving CQL "
                           << "again; " << kRequests << " per node: " << Describe(after.m1)
                           << "\nshoal's log:\n"
                           << shoal->Output();
}

// b. bootstrap a 4th node: shoal sends it requests within a few seconds of its serving CQL;
// c. decommission it: shoal marks it down, sends it nothing more, and does not redial it.
TEST_F(CassandraRingTest, AddedNodeGetsRequestsThenDecommissionedNodeIsDropped) {
  RingGuard guard(*ring_);
  auto first = Serve("add.yaml", Config());
  ASSERT_NE(first, nullptr);
  MissLoad load(first->port(), kThreads, kRatePerThread);
  std::this_thread::sleep_for(3s);
  Window before, adding, joined;
  before.Begin(load, first->port());
  std::this_thread::sleep_for(5s);
  before.End(load, first->port());

  adding.Begin(load, first->port());
  ScriptRun add;
  auto added = ring_->Add(&add);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  guard.Added(*added);
  adding.End(load, first->port());
  const std::string endpoint = *added + ":9042";

  // b: requests to the new node, from the metrics of the shoal that was serving before it came.
  joined.Begin(load, first->port());
  double used_after = -1;
  while (SteadyClock::now() - joined.t0 < 10s) {
    if (Sample(NodeSamples(Metrics(first->port()), kRequests), endpoint) > 0) {
      used_after = Seconds(SteadyClock::now() - joined.t0);
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(2s);
  joined.End(load, first->port());
  before.Print("b. before add");
  adding.Print("b. node bootstrapping");
  joined.Print("b. after it serves CQL");
  std::printf(
      "[ring] b. add took %.1f s; %s got its first request %.1f s after serving CQL "
      "(-1: not within 10 s)\n",
      add.seconds, endpoint.c_str(), used_after);
  EXPECT_GE(used_after, 0) << endpoint << " got no requests within 10 s; " << kRequests
                           << " per node: " << Describe(joined.m1);
  EXPECT_LE(used_after, 5.0) << "the new node should get requests within a few seconds";

  // c: a second shoal that knew the node from its start, and the first one, under load while
  // the node leaves.
  auto second = Serve("decommission.yaml", Config());
  ASSERT_NE(second, nullptr);
  MissLoad load2(second->port(), kThreads / 2, kRatePerThread);
  std::this_thread::sleep_for(3s);
  auto node = ring_->NodeAt(*added);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  Window leaving;
  leaving.Begin(load, first->port());
  const Counts second_before = load2.Totals();
  const auto second_t0 = SteadyClock::now();
  ScriptRun decommission;
  ASSERT_TRUE(ring_->Verb("decommission", node->index, &decommission).ok()) << decommission.output;
  leaving.End(load, first->port());
  std::this_thread::sleep_for(3s);  // settle: events and pool closing

  struct Probe {
    const char* name = "";
    ShoalProcess* shoal = nullptr;
    double requests = 0, reconnects = 0;
    size_t log_size = 0;
  };
  std::array<Probe, 2> probes = {{{"first", first.get()}, {"second", second.get()}}};
  for (Probe& p : probes) {
    const std::string m = Metrics(p.shoal->port());
    p.requests = Sample(NodeSamples(m, kRequests), endpoint);
    p.reconnects = MetricValue(m, "shoal_cassandra_reconnects_total").value_or(-1);
    p.log_size = p.shoal->Output().size();
    // A node that left the ring leaves the metrics too (absent: -1), or is at least down.
    EXPECT_LE(Sample(NodeSamples(m, kNodeUp), endpoint), 0)
        << p.name << " shoal: " << kNodeUp << " of the decommissioned " << endpoint
        << " is neither absent nor 0; per node: " << Describe(NodeSamples(m, kNodeUp));
  }
  std::this_thread::sleep_for(10s);
  const Counts second_during = load2.Totals() - second_before;
  const double second_seconds = Seconds(SteadyClock::now() - second_t0);
  load.Stop();
  load2.Stop();
  leaving.Print("c. decommissioning (first)");
  Report("c. decommission..+13s (second)", second_during, second_seconds);
  std::printf("[ring] c. decommission took %.1f s\n", decommission.seconds);
  for (Probe& p : probes) {
    const std::string m = Metrics(p.shoal->port());
    const double requests = Sample(NodeSamples(m, kRequests), endpoint);
    const double reconnects = MetricValue(m, "shoal_cassandra_reconnects_total").value_or(-1);
    const std::string later_log = p.shoal->Output().substr(p.log_size);
    size_t mentions = 0;
    for (size_t at = later_log.find(*added); at != std::string::npos;
         at = later_log.find(*added, at + 1)) {
      ++mentions;
    }
    std::printf(
        "[ring] c. %s shoal, +3 s..+13 s after the decommission: requests to %s "
        "%.0f -> %.0f, reconnects_total %.0f -> %.0f, log lines naming it: %zu\n",
        p.name, endpoint.c_str(), p.requests, requests, p.reconnects, reconnects, mentions);
    EXPECT_EQ(requests, p.requests) << p.name << ": requests still sent to " << endpoint;
    EXPECT_EQ(reconnects, p.reconnects) << p.name << ": still redialling (reconnects_total grows)";
    EXPECT_LE(mentions, 1u) << p.name << ": repeated log lines about " << endpoint << ":\n"
                            << later_log;
  }
  EXPECT_EQ((leaving.counts()).server_errors + second_during.server_errors, 0)
      << "5xx while a node was decommissioned";
  EXPECT_EQ((joined.c1 - before.c0).server_errors, 0) << "5xx while a node was added";
}

// d. SIGSTOP a node for 20 s under load: no 5xx and throughput within 20 % of before.
TEST_F(CassandraRingTest, HungNodeCostsNo5xxAndLittleThroughput) {
  const RingNode victim = NodeIndex(2);
  RingGuard guard(*ring_);
  guard.Watch(victim.index);
  auto shoal = Serve("pause.yaml", Config());
  ASSERT_NE(shoal, nullptr);
  const uint16_t port = shoal->port();
  MissLoad load(port, kThreads, kRatePerThread);
  std::this_thread::sleep_for(3s);
  Window before, paused, after;
  before.Begin(load, port);
  std::this_thread::sleep_for(5s);
  before.End(load, port);
  paused.Begin(load, port);
  ASSERT_TRUE(ring_->Verb("pause", victim.index).ok());
  std::this_thread::sleep_for(20s);
  ASSERT_TRUE(ring_->Verb("resume", victim.index).ok());
  paused.End(load, port);
  after.Begin(load, port);
  std::this_thread::sleep_for(5s);
  after.End(load, port);
  load.Stop();
  before.Print("d. before SIGSTOP");
  paused.Print("d. node hung (20 s)");
  after.Print("d. after SIGCONT");
  std::printf("[ring] d. answers/s: %s\n", load.Timeline(before.t0, after.t1).c_str());
  EXPECT_EQ(paused.counts().server_errors, 0) << "5xx while " << victim.address << " was hung";
  EXPECT_EQ(paused.counts().failures, 0) << "requests without an answer";
  EXPECT_GT(before.rate(), kThreads * kRatePerThread * 0.5) << "the load did not run";
  EXPECT_GE(paused.rate(), 0.8 * before.rate())
      << "throughput fell by more than 20 % while a node was hung";
}

// e. local_dc keeps reads in its data centre: dc1 never reads from dc2, and dc2 only from its
// own node (replication dc2: 1 holds every key there).
TEST_F(CassandraRingTest, LocalDcKeepsReadsInItsDataCentre) {
  for (const std::string dc : {"dc1", "dc2"}) {
    auto shoal = Serve("local-" + dc + ".yaml", Config("    local_dc: " + dc + "\n"));
    ASSERT_NE(shoal, nullptr) << "local_dc: " << dc;
    MissLoad load(shoal->port(), kThreads / 2, kRatePerThread);
    std::this_thread::sleep_for(2s);
    Window w;
    w.Begin(load, shoal->port());
    std::this_thread::sleep_for(5s);
    w.End(load, shoal->port());
    load.Stop();
    w.Print(("e. local_dc " + dc).c_str());
    const std::map<std::string, double> delta = Delta(w.m0, w.m1);
    double local = 0;
    for (const RingNode& n : nodes_) {
      const double d = Sample(delta, n.endpoint());
      if (n.dc == dc) {
        local += std::max(0.0, d);
      } else {
        EXPECT_EQ(d, 0) << "local_dc " << dc << ": " << n.endpoint() << " (" << n.dc
                        << ") got reads; per node: " << Describe(delta);
      }
    }
    EXPECT_GT(local, 0) << "local_dc " << dc << ": no reads in " << dc
                        << "; per node: " << Describe(delta);
    EXPECT_EQ(w.counts().server_errors, 0);
  }
}

// The metric parsing the ring tests rely on, without a ring.
TEST(RingMetricsTest, NodeSamplesReadsTheNodeLabelOfOneMetric) {
  const std::string exposition =
      "# HELP shoal_cassandra_requests_total attempts sent to a node\n"
      "# TYPE shoal_cassandra_requests_total counter\n"
      "shoal_cassandra_requests_total{node=\"127.0.0.2:9042\",dc=\"dc1\"} 12\n"
      "shoal_cassandra_requests_total{dc=\"dc2\",node=\"127.0.0.4:9042\"} 3.5e3\n"
      "shoal_cassandra_requests_totals{node=\"127.0.0.9:9042\"} 7\n"
      "shoal_cassandra_requests_total 99\n"
      "shoal_cassandra_request_duration_seconds_bucket{node=\"127.0.0.2:9042\",le=\"0.1\"} 4\n"
      "shoal_cassandra_node_up{xnode=\"a\",node=\"127.0.0.3:9042\"} 0\n";
  const auto requests = NodeSamples(exposition, "shoal_cassandra_requests_total");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests.at("127.0.0.2:9042"), 12);
  EXPECT_EQ(requests.at("127.0.0.4:9042"), 3500);
  const auto up = NodeSamples(exposition, "shoal_cassandra_node_up");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up.at("127.0.0.3:9042"), 0);
  EXPECT_EQ(Label(R"({xnode="a",node="b"})", "node"), "b");
  EXPECT_EQ(Label(R"({dc="dc1"})", "node"), "");
}

}  // namespace
}  // namespace shoal::testing

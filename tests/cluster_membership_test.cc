// Membership process tests: real shoal nodes settle on one versioned member list
// (membership_sync.h) over the peer protocol. Each test polls GET /_shoal/cluster on every
// node until all show the same version and list, within the 2 s target:
//   - a PUT /_shoal/peers on one node (drop a node, add it back) reaches every node, the
//     dropped one included, which then says it owns no keys;
//   - a node started with only `seeds:` learns the list and joins it;
//   - peers_file: rewriting one node's file moves every node; PUT is refused with 409;
//   - peers_dns against a dnsmasq this test starts (skipped, loudly, without the binary
//     unless SHOAL_REQUIRE_DNSMASQ=1): nodes on 127.0.0.2-4 with the same port; adding an
//     address to the hosts file grows every node's ring, removing one shrinks it. SRV too.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog_db.h"
#include "catalog_suite.h"
#include "cluster/peers_dns.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kItems = 50;
constexpr std::string_view kSecret = "a-cluster-secret-of-32-characters";
constexpr std::string_view kToken = "an-admin-token-of-some-length";
constexpr auto kTarget = seconds(2);  // the convergence target

std::string Addr(uint16_t port, std::string_view host = "127.0.0.1") {
  return std::string(host) + ":" + std::to_string(port);
}

// View is what one node's GET /_shoal/cluster said.
struct View {
  bool ok = false;
  bool member = false;
  uint64_t epoch = 0;
  std::string origin;
  std::vector<std::string> members;
  double shares = 0;
  std::string body;
};

class MembershipTest : public CatalogSuite<kItems> {
 protected:
  void TearDown() override {
    for (auto& n : nodes_) {
      if (n && n->Running()) {
        EXPECT_EQ(n->Stop(), 0) << n->Output();
      }
    }
  }

  // Start starts a node whose cluster section is `self` and the source lines given.
  size_t Start(const std::string& self, const std::string& source, bool memory = true) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = *base;
    if (!memory) text.replace(text.find("memory: 256MiB"), 14, "memory: 0");
    text += "\ncluster:\n  self: " + self + "\n" + source + "  secret: " + std::string(kSecret) +
            "\n  peer_timeout: 2s\n  probe_interval: 100ms\n";
    text += "admin:\n  token: " + std::string(kToken) + "\n";
    std::string file =
        "node-" + std::to_string(nodes_.size()) + "-" + std::to_string(serial_++) + ".yaml";
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(dir_->Write(file, text));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    nodes_.push_back(p.ok() ? std::move(p).value() : nullptr);
    return nodes_.size() - 1;
  }

  static std::string PeersLine(const std::vector<std::string>& peers) {
    std::string s = "  peers: [";
    for (size_t i = 0; i < peers.size(); ++i) s += (i ? ", " : "") + peers[i];
    return s + "]\n";
  }

  Result<HttpResponse> Admin(size_t node, std::string_view method, std::string_view path,
                             std::string_view body = "") {
    Result<HttpClient> c = HttpClient::Connect(nodes_[node]->port());
    if (!c.ok()) return c.status();
    std::string req = std::string(method) + " " + std::string(path) +
                      " HTTP/1.1\r\nHost: shoal.test\r\nContent-Type: application/json\r\n"
                      "Authorization: Bearer " +
                      std::string(kToken) + "\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\n\r\n" + std::string(body);
    if (Status s = c->Send(req); !s.ok()) return s;
    return c->Read();
  }

  View Cluster(size_t node) {
    View v;
    Result<HttpResponse> r = Admin(node, "GET", "/_shoal/cluster");
    if (!r.ok() || r->status != 200) return v;
    v.body = r->body;
    Result<boost::json::value> j = ParseJson(r->body);
    if (!j.ok()) return v;
    const auto& o = j->as_object();
    v.member = o.at("member").as_bool();
    v.epoch = static_cast<uint64_t>(o.at("version").at("epoch").as_int64());
    const auto& origin = o.at("version").at("origin");
    v.origin = origin.is_null() ? "" : std::string(origin.as_string());
    for (const auto& m : o.at("members").as_array()) {
      v.members.emplace_back(m.at("address").as_string());
      v.shares += m.at("share").as_double();
    }
    v.ok = true;
    return v;
  }

  // Converge polls every node until all show `members` (sorted) at one version with an epoch
  // of at least `min_epoch`; returns how long that took, or nullopt after `timeout`.
  std::optional<milliseconds> Converge(std::vector<std::string> members, uint64_t min_epoch,
                                       Duration timeout = kTarget) {
    std::sort(members.begin(), members.end());
    const auto start = Clock::now();
    for (;;) {
      bool same = true;
      std::optional<View> first;
      for (size_t i = 0; i < nodes_.size() && same; ++i) {
        if (!nodes_[i]) continue;
        View v = Cluster(i);
        same = v.ok && v.members == members && v.epoch >= min_epoch &&
               (!first || (v.epoch == first->epoch && v.origin == first->origin));
        if (!first) first = v;
      }
      const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
      if (same) return took;
      if (Clock::now() - start > timeout) {
        for (size_t i = 0; i < nodes_.size(); ++i) {
          if (nodes_[i]) ADD_FAILURE() << "node " << i << ": " << Cluster(i).body;
        }
        return std::nullopt;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  // NewPort: a free port not handed out before in this test (the kernel may offer a port
  // again once the probe socket is closed).
  uint16_t NewPort() {
    for (;;) {
      const uint16_t p = FreeLocalPort();
      if (std::find(used_.begin(), used_.end(), p) == used_.end()) {
        used_.push_back(p);
        return p;
      }
    }
  }

  std::vector<std::unique_ptr<ShoalProcess>> nodes_;
  std::vector<uint16_t> used_;
  int serial_ = 0;
};

TEST_F(MembershipTest, APutOnOneNodeReachesEveryNodeWithinTwoSeconds) {
  std::vector<std::string> all;
  for (int i = 0; i < 3; ++i) all.push_back(Addr(NewPort()));
  for (const auto& a : all) Start(a, PeersLine(all));
  ASSERT_TRUE(Converge(all, 0, seconds(10)));  // the configured list: epoch 0 everywhere
  // The admin token guards it like the other /_shoal routes.
  Result<HttpClient> c = HttpClient::Connect(nodes_[0]->port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->Send("GET /_shoal/cluster HTTP/1.1\r\nHost: shoal.test\r\n\r\n").ok());
  Result<HttpResponse> unauthorised = c->Read();
  ASSERT_TRUE(unauthorised.ok());
  EXPECT_EQ(unauthorised->status, 401);

  // Drop node 2 on node 0.
  const std::vector<std::string> two = {all[0], all[1]};
  Result<HttpResponse> r =
      Admin(0, "PUT", "/_shoal/peers", "{\"peers\": [\"" + all[0] + "\", \"" + all[1] + "\"]}");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  std::optional<milliseconds> took = Converge(two, 1);
  ASSERT_TRUE(took);
  std::printf("drop: every node at epoch 1 after %lld ms\n", static_cast<long long>(took->count()));
  View v0 = Cluster(0), v2 = Cluster(2);
  EXPECT_EQ(v0.origin, all[0]);
  EXPECT_TRUE(v0.member);
  EXPECT_NEAR(v0.shares, 1.0, 1e-6);
  EXPECT_FALSE(v2.member) << v2.body;
  EXPECT_NE(v2.body.find("owns no keys"), std::string::npos) << v2.body;
  EXPECT_TRUE(nodes_[2]->WaitForOutput("is not a member of list version epoch 1", seconds(2)));

  // Add it back, this time on node 1.
  r = Admin(1, "PUT", "/_shoal/peers",
            "{\"peers\": [\"" + all[0] + "\", \"" + all[1] + "\", \"" + all[2] + "\"]}");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  took = Converge(all, 2);
  ASSERT_TRUE(took);
  std::printf("add: every node at epoch 2 after %lld ms\n", static_cast<long long>(took->count()));
  EXPECT_EQ(Cluster(2).origin, all[1]);
  EXPECT_TRUE(Cluster(2).member);
  Result<double> adopted =
      ScrapeMetric(nodes_[2]->port(), "shoal_cluster_membership_changes_total");
  ASSERT_TRUE(adopted.ok());
  EXPECT_EQ(*adopted, 2);
  EXPECT_EQ(*ScrapeMetric(nodes_[2]->port(), "shoal_cluster_list_epoch"), 2);
  EXPECT_EQ(*ScrapeMetric(nodes_[2]->port(), "shoal_cluster_members"), 3);
}

TEST_F(MembershipTest, ANodeStartedWithSeedsLearnsTheListAndJoins) {
  std::vector<std::string> all;
  for (int i = 0; i < 3; ++i) all.push_back(Addr(NewPort()));
  for (const auto& a : all) Start(a, PeersLine(all));
  ASSERT_TRUE(Converge(all, 0, seconds(10)));
  const std::string fourth = Addr(NewPort());
  Start(fourth, "  seeds: [" + all[1] + "]\n");
  ASSERT_NE(nodes_.back(), nullptr);
  std::vector<std::string> grown = all;
  grown.push_back(fourth);
  std::optional<milliseconds> took = Converge(grown, 1);
  ASSERT_TRUE(took);
  std::printf("join: 4 nodes agree %lld ms after the 4th served\n",
              static_cast<long long>(took->count()));
  EXPECT_TRUE(Cluster(3).member);
  EXPECT_EQ(Cluster(3).epoch, 1u);
}

TEST_F(MembershipTest, RewritingOnePeersFileMovesEveryNode) {
  std::vector<std::string> all;
  for (int i = 0; i < 3; ++i) all.push_back(Addr(NewPort()));
  auto text = [](const std::vector<std::string>& peers) {
    std::string t = "# the owners\n";
    for (const auto& p : peers) t += p + "  # a node\n";
    return t + "\n";
  };
  std::vector<std::string> files;
  for (size_t i = 0; i < all.size(); ++i) {
    files.push_back(dir_->Write("peers-" + std::to_string(i), text(all)));
    Start(all[i], "  peers_file: " + files[i] + "\n");
  }
  ASSERT_TRUE(Converge(all, 0, seconds(10)));
  // PUT is refused: the file is the source.
  Result<HttpResponse> r = Admin(0, "PUT", "/_shoal/peers", "{\"peers\": [\"" + all[0] + "\"]}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_NE(r->body.find(files[0]), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("peers_file"), std::string::npos) << r->body;

  const std::vector<std::string> two = {all[0], all[2]};
  const std::string tmp = dir_->Write("peers-1.new", text(two));
  ASSERT_EQ(std::rename(tmp.c_str(), files[1].c_str()), 0);
  // The file is polled every second: allow that on top of the 2 s target.
  std::optional<milliseconds> took = Converge(two, 1, seconds(3));
  ASSERT_TRUE(took);
  std::printf("peers_file: every node follows node 1's file after %lld ms\n",
              static_cast<long long>(took->count()));
  EXPECT_EQ(Cluster(0).origin, all[1]);
  EXPECT_FALSE(Cluster(1).member);

  // A broken file keeps the list.
  dir_->Write("peers-0", "not an address\n");
  std::this_thread::sleep_for(milliseconds(1500));
  std::vector<std::string> sorted = two;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Cluster(0).members, sorted);
  EXPECT_TRUE(nodes_[0]->WaitForOutput(files[0] + ":1:", seconds(1))) << nodes_[0]->Output();
}

// ---- DNS ----------------------------------------------------------------------------------

std::string Which(const std::string& name) {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    std::string p = std::string(dir) + "/" + name;
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// Dnsmasq runs dnsmasq in the foreground on 127.0.0.1:port, answering from a hosts file
// only (no upstream, no /etc/hosts); killed by its pid.
class Dnsmasq {
 public:
  Dnsmasq(const std::string& binary, uint16_t port, const std::string& hosts,
          const std::vector<std::string>& extra) {
    std::vector<std::string> args = {binary,
                                     "--keep-in-foreground",
                                     "--conf-file=/dev/null",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--port=" + std::to_string(port),
                                     "--listen-address=127.0.0.1",
                                     "--bind-interfaces",
                                     "--user=" + std::string(geteuid() == 0 ? "root" : ""),
                                     "--pid-file=",
                                     "--addn-hosts=" + hosts};
    if (geteuid() != 0) args.erase(args.begin() + 8);
    for (const auto& e : extra) args.push_back(e);
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Dnsmasq() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;
  void Reload() const { kill(pid_, SIGHUP); }
  bool Running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

class DnsTest : public MembershipTest {
 protected:
  void SetUp() override {
    binary_ = Which("dnsmasq");
    if (binary_.empty()) {
      const char* require = std::getenv("SHOAL_REQUIRE_DNSMASQ");
      if (require != nullptr && std::string(require) == "1") {
        FAIL() << "SHOAL_REQUIRE_DNSMASQ=1 but there is no dnsmasq binary";
      }
      GTEST_SKIP() << "*** dnsmasq is not installed: the peers_dns tests are SKIPPED "
                      "(scripts/install-deps.sh installs dnsmasq-base) ***";
    }
    // dnsmasq may read the hosts file as another user: let it.
    chmod(dns_dir_.path().c_str(), 0755);
    dns_port_ = NewPort();
  }
  std::string WriteHosts(const std::vector<std::string>& ips) {
    std::string t;
    for (size_t i = 0; i < ips.size(); ++i) {
      t += ips[i] + " shoal.test n" + std::to_string(i) + ".shoal.test\n";
    }
    std::string path = dns_dir_.Write("hosts", t);
    chmod(path.c_str(), 0644);
    return path;
  }

  TempDir dns_dir_;
  std::string binary_;
  uint16_t dns_port_ = 0;
};

TEST_F(DnsTest, AddingAnAddressGrowsEveryRingAndRemovingOneShrinksIt) {
  const uint16_t port = NewPort();
  const std::vector<std::string> ips = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  const std::string hosts = WriteHosts({ips[0], ips[1]});
  Dnsmasq dns(binary_, dns_port_, hosts,
              {"--srv-host=_shoal._tcp.shoal.test,n0.shoal.test," + std::to_string(port)});
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(dns.Running());
  // SRV: the target's address with the record's port.
  cluster::DnsSource srv{"_shoal._tcp.shoal.test", "127.0.0.1:" + std::to_string(dns_port_), 1,
                         std::chrono::seconds(1)};
  Result<std::vector<std::string>> got = cluster::ResolvePeers(srv);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, std::vector<std::string>{Addr(port, ips[0])});
  cluster::DnsSource missing{"nobody.shoal.test", srv.server, 1, std::chrono::seconds(1)};
  EXPECT_FALSE(cluster::ResolvePeers(missing).ok());

  const std::string source =
      "  peers_dns: shoal.test\n  dns_server: 127.0.0.1:" + std::to_string(dns_port_) +
      "\n  dns_interval: 200ms\n";
  for (const auto& ip : ips) Start(Addr(port, ip), source);
  for (const auto& n : nodes_) ASSERT_NE(n, nullptr);
  const std::vector<std::string> two = {Addr(port, ips[0]), Addr(port, ips[1])};
  ASSERT_TRUE(Converge(two, 1, seconds(10)));
  EXPECT_FALSE(Cluster(2).member);  // not in DNS yet: owns no keys
  const uint64_t epoch = Cluster(0).epoch;

  WriteHosts(ips);
  dns.Reload();
  std::vector<std::string> three;
  for (const auto& ip : ips) three.push_back(Addr(port, ip));
  std::optional<milliseconds> took = Converge(three, epoch + 1);
  ASSERT_TRUE(took);
  std::printf("dns: 3 members everywhere %lld ms after the reload\n",
              static_cast<long long>(took->count()));
  EXPECT_TRUE(Cluster(2).member);

  WriteHosts({ips[0], ips[2]});
  dns.Reload();
  took = Converge({Addr(port, ips[0]), Addr(port, ips[2])}, epoch + 2);
  ASSERT_TRUE(took);
  std::printf("dns: back to 2 members %lld ms after the reload\n",
              static_cast<long long>(took->count()));
  EXPECT_FALSE(Cluster(1).member);
  // PUT is refused: DNS is the source.
  Result<HttpResponse> r = Admin(0, "PUT", "/_shoal/peers", "{\"peers\": []}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 409) << r->body;
}

}  // namespace
}  // namespace shoal::testing

// GET /_shoal/ready over a real Cassandra reached through Toxiproxy (label cassandra): when the
// link is cut (a timeout toxic: the proxy swallows every byte) the node turns unready within
// ready.window and says why; when the link is back it is ready again once the client has
// redialled. The node is pointed at the proxy only (discover_peers: false), and its one
// endpoint reads system.local, so no keyspace of the test's own is needed.
//
// Skips without Cassandra (SHOAL_NEED_CASSANDRA) or without Toxiproxy, unless
// SHOAL_REQUIRE_CASSANDRA=1 / SHOAL_REQUIRE_TOXIPROXY=1 make those failures.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "http_client.h"
#include "shoal_process.h"
#include "store/cassandra/cassandra_test_util.h"
#include "toxiproxy.h"

namespace shoal::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

HttpResponse GetReady(uint16_t port) {
  Result<HttpClient> c = HttpClient::Connect(port, seconds(5));
  if (!c.ok()) return {};
  Result<HttpResponse> r = c->Get("/_shoal/ready");
  return r.ok() ? *r : HttpResponse{};
}

// WaitReady polls until /_shoal/ready answers `status`; how long it took, or nullopt.
std::optional<milliseconds> WaitReady(uint16_t port, int status, Duration timeout,
                                      HttpResponse* last) {
  const auto start = SteadyClock::now();
  while (SteadyClock::now() - start < timeout) {
    *last = GetReady(port);
    if (last->status == status) {
      return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return std::nullopt;
}

TEST(ReadyCassandraTest, UnreadyWhileTheLinkToCassandraIsCutAndReadyAfter) {
  SHOAL_NEED_CASSANDRA();
  const std::string binary = Toxiproxy::ServerBinary();
  if (binary.empty()) {
    if (Toxiproxy::Required()) FAIL() << "SHOAL_REQUIRE_TOXIPROXY=1 but no Toxiproxy server";
    GTEST_SKIP() << "Toxiproxy is not installed (scripts/toxiproxy.sh install)";
  }
  Result<std::unique_ptr<Toxiproxy>> toxi = Toxiproxy::Start(binary);
  ASSERT_TRUE(toxi.ok()) << toxi.status().ToString();
  const uint16_t proxy_port = FreeLocalPort();
  ASSERT_NE(proxy_port, 0);
  ASSERT_TRUE((*toxi)
                  ->CreateProxy("cassandra", proxy_port, store::cassandra::testing::CassandraPort())
                  .ok());

  TempDir dir;
  const std::string config =
      "listen: 127.0.0.1:0\n"
      "store:\n"
      "  cassandra:\n"
      "    contact_points: [127.0.0.1:" +
      std::to_string(proxy_port) +
      "]\n"
      "    keyspace: system\n"
      "    discover_peers: false\n"
      "  timeout: 500ms\n"
      "ready: { probe_interval: 200ms, window: 2s }\n"
      "endpoints:\n"
      "  - route: /v1/release\n"
      "    query: SELECT release_version FROM system.local\n"
      "    result: one\n"
      "    ttl: 1s\n";
  Result<std::unique_ptr<ShoalProcess>> server = ShoalProcess::Serve(dir.Write("c.yaml", config));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const uint16_t port = (*server)->port();

  HttpResponse r;
  ASSERT_TRUE(WaitReady(port, 200, seconds(10), &r)) << r.status << " " << r.body;

  // Cut: the proxy keeps the connections but passes no byte either way.
  ASSERT_TRUE(
      (*toxi)->AddToxic("cassandra", "cut_down", "timeout", "downstream", R"({"timeout":0})").ok());
  ASSERT_TRUE(
      (*toxi)->AddToxic("cassandra", "cut_up", "timeout", "upstream", R"({"timeout":0})").ok());
  const std::optional<milliseconds> down = WaitReady(port, 503, seconds(8), &r);
  ASSERT_TRUE(down) << r.status << " " << r.body << "\n" << (*server)->Output();
  std::printf("unready %lld ms after the cut (window 2000 ms)\n",
              static_cast<long long>(down->count()));
  EXPECT_NE(r.body.find("store: no answer for"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("cassandra"), std::string::npos) << "the store's own words: " << r.body;

  ASSERT_TRUE((*toxi)->Reset().ok());
  // The client redials with backoff (at most 10 s between attempts).
  const std::optional<milliseconds> up = WaitReady(port, 200, seconds(30), &r);
  ASSERT_TRUE(up) << r.status << " " << r.body << "\n" << (*server)->Output();
  std::printf("ready %lld ms after the link came back\n", static_cast<long long>(up->count()));
  EXPECT_EQ((*server)->Stop(), 0) << (*server)->Output();
}

}  // namespace
}  // namespace shoal::testing

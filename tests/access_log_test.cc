// Access-log process tests: a real `shoal serve` over the test catalog with log.access.
//
// What they pin down (issue 16, item 1): one line per request, with the client, the request,
// the status, the body bytes, the cache's part (hit, miss, "-" for a 404 or a 400), the
// route and the owner node, in both formats; SIGUSR1 after a rename (logrotate) sends the
// next lines to a new file; a bad format and a path that cannot be opened stop the start with
// the config's file:line; on a 2-node cluster a key owned by the other node is logged "peer"
// with that node as its owner.
#include <algorithm>
#include <filesystem>
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

using namespace std::chrono_literals;

constexpr int kItems = 200;

// Fields splits a combined line into its fields: bare words, "quoted" and [bracketed] ones
// (their delimiters dropped).
std::vector<std::string> Fields(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ' || line[i] == '\n') {
      ++i;
      continue;
    }
    const char open = line[i];
    const char close = open == '"' ? '"' : open == '[' ? ']' : ' ';
    const size_t start = close == ' ' ? i : i + 1;
    size_t end = line.find(close, start);
    if (end == std::string_view::npos) end = line.size();
    out.emplace_back(line.substr(start, end - start));
    i = end + 1;
  }
  return out;
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  const std::string text = ReadFile(path);
  size_t at = 0;
  while (at < text.size()) {
    const size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;  // a partial line: not yet
    out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

// WaitForLines waits up to 10 s for `path` to hold at least `n` lines and returns them.
std::vector<std::string> WaitForLines(const std::string& path, size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::vector<std::string> lines = Lines(path);
  while (lines.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    lines = Lines(path);
  }
  return lines;
}

class AccessLogTest : public CatalogSuite<kItems> {
 protected:
  // Serve starts a node whose config ends with `extra` (YAML) and whose log.access is
  // `access` (the inside of a flow mapping).
  std::unique_ptr<ShoalProcess> Serve(const std::string& name, const std::string& access,
                                      const std::string& extra = "") {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    const std::string config =
        dir_->Write(name + ".yaml", *base + extra + "\nlog:\n  access: { " + access + " }\n");
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(config);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  // Get sends one request on a new connection and returns the answer.
  static HttpResponse Get(uint16_t port, const std::string& target) {
    Result<HttpClient> c = HttpClient::Connect(port);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Get(target, "User-Agent: access-test/1\r\n");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }
};

TEST_F(AccessLogTest, CombinedLinesCarryEveryFieldAndSigusr1Reopens) {
  const std::string log = dir_->File("combined.log");
  std::unique_ptr<ShoalProcess> node = Serve("combined", "path: combined.log");
  ASSERT_NE(node, nullptr);
  const HttpResponse miss = Get(node->port(), "/v1/items/7");
  const HttpResponse hit = Get(node->port(), "/v1/items/7");
  const HttpResponse not_found = Get(node->port(), "/no/such/route");
  const HttpResponse bad = Get(node->port(), "/v1/items/seven");
  ASSERT_EQ(miss.status, 200);
  ASSERT_EQ(hit.status, 200);
  ASSERT_EQ(not_found.status, 404);
  ASSERT_EQ(bad.status, 400);

  const std::vector<std::string> lines = WaitForLines(log, 4);
  ASSERT_EQ(lines.size(), 4u);
  struct Want {
    std::string request;
    int status;
    size_t bytes;
    std::string cache;
    std::string route;
  };
  const Want want[] = {
      {"GET /v1/items/7 HTTP/1.1", 200, miss.body.size(), "miss", "/v1/items/{id:int}"},
      {"GET /v1/items/7 HTTP/1.1", 200, hit.body.size(), "hit", "/v1/items/{id:int}"},
      {"GET /no/such/route HTTP/1.1", 404, not_found.body.size(), "-", "-"},
      {"GET /v1/items/seven HTTP/1.1", 400, bad.body.size(), "-", "/v1/items/{id:int}"},
  };
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(lines[i]);
    const std::vector<std::string> f = Fields(lines[i]);
    ASSERT_EQ(f.size(), 13u);
    EXPECT_EQ(f[0], "127.0.0.1");
    EXPECT_EQ(f[1], "-");
    EXPECT_EQ(f[2], "-");
    EXPECT_TRUE(f[3].ends_with(" +0000")) << f[3];
    EXPECT_EQ(f[4], want[i].request);
    EXPECT_EQ(f[5], std::to_string(want[i].status));
    EXPECT_EQ(f[6], std::to_string(want[i].bytes));
    EXPECT_EQ(f[7], "-");
    EXPECT_EQ(f[8], "access-test/1");
    EXPECT_GT(std::stod(f[9]), 0.0);
    EXPECT_LT(std::stod(f[9]), 10.0);
    EXPECT_EQ(f[10], want[i].cache);
    EXPECT_EQ(f[11], want[i].route);
    EXPECT_EQ(f[12], "-");  // a single node
  }

  // logrotate: move the file, SIGUSR1, the next lines go to a new file at the same path.
  std::filesystem::rename(log, log + ".1");
  node->Signal(SIGUSR1);
  ASSERT_TRUE(node->WaitForOutput("reopened", 10s)) << node->Output();
  ASSERT_EQ(Get(node->port(), "/v1/items/8").status, 200);
  const std::vector<std::string> after = WaitForLines(log, 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0].find("\"GET /v1/items/8 HTTP/1.1\" 200"), std::string::npos) << after[0];
  EXPECT_EQ(Lines(log + ".1").size(), 4u);

  // Counted in the metrics (written so far: 5; the scrape's own line may not be yet).
  Result<double> lines_total = ScrapeMetric(node->port(), "shoal_access_log_lines_total");
  ASSERT_TRUE(lines_total.ok()) << lines_total.status().ToString();
  EXPECT_GE(*lines_total, 5);
  Result<double> dropped = ScrapeMetric(node->port(), "shoal_access_log_dropped_total");
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 0);
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

TEST_F(AccessLogTest, JsonLinesAreOneObjectEach) {
  const std::string log = dir_->File("json.log");
  std::unique_ptr<ShoalProcess> node = Serve("json", "path: json.log, format: json");
  ASSERT_NE(node, nullptr);
  ASSERT_EQ(Get(node->port(), "/v1/items/9").status, 200);
  ASSERT_EQ(Get(node->port(), "/v1/items/9?a=%22q%22").status, 400);  // unknown parameter
  const std::vector<std::string> lines = WaitForLines(log, 2);
  ASSERT_EQ(lines.size(), 2u);
  Result<boost::json::value> first = ParseJson(lines[0]);
  ASSERT_TRUE(first.ok()) << lines[0];
  const boost::json::object& o = first->as_object();
  EXPECT_EQ(o.at("client").as_string(), "127.0.0.1");
  EXPECT_EQ(o.at("method").as_string(), "GET");
  EXPECT_EQ(o.at("target").as_string(), "/v1/items/9");
  EXPECT_EQ(o.at("status").as_int64(), 200);
  EXPECT_EQ(o.at("cache").as_string(), "miss");
  EXPECT_EQ(o.at("route").as_string(), "/v1/items/{id:int}");
  EXPECT_EQ(o.at("owner").as_string(), "-");
  EXPECT_EQ(o.at("user_agent").as_string(), "access-test/1");
  EXPECT_GT(o.at("duration_ms").as_double(), 0.0);
  Result<boost::json::value> second = ParseJson(lines[1]);
  ASSERT_TRUE(second.ok()) << lines[1];
  EXPECT_EQ(second->as_object().at("target").as_string(), "/v1/items/9?a=%22q%22");
  EXPECT_EQ(second->as_object().at("status").as_int64(), 400);
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

TEST_F(AccessLogTest, ABadFormatOrAPathThatCannotBeOpenedStopsTheStartNamingTheLine) {
  Result<std::string> base = ExampleConfig(db_);
  ASSERT_TRUE(base.ok());
  // The base ends with a newline; an empty line, then "log:", "access:", "path:", "format:".
  const size_t log_line = static_cast<size_t>(std::count(base->begin(), base->end(), '\n')) + 2;

  std::string config = dir_->Write(
      "bad-format.yaml", *base + "\nlog:\n  access:\n    path: a.log\n    format: apache\n");
  RunResult r = RunShoal({"serve", "-c", config}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("bad-format.yaml:" + std::to_string(log_line + 3) +
                       ": log.access.format: expected combined or json, got 'apache'"),
            std::string::npos)
      << r.err;

  config =
      dir_->Write("bad-path.yaml", *base + "\nlog:\n  access:\n    path: no/such/dir/access.log\n");
  r = RunShoal({"serve", "-c", config}, 30s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("bad-path.yaml:" + std::to_string(log_line + 2) +
                       ": log.access.path: cannot open " + dir_->File("no/such/dir/access.log") +
                       " for appending: No such file or directory"),
            std::string::npos)
      << r.err;
}

// On a 2-node cluster: a key the other node owns is "peer" with that node as owner; a key
// this node owns is a "miss" with this node as owner.
TEST_F(AccessLogTest, ClusterLinesNameTheOwnerAndThePeerResult) {
  const uint16_t a = FreeLocalPort(), b = FreeLocalPort();
  auto addr = [](uint16_t p) { return "127.0.0.1:" + std::to_string(p); };
  const std::string cluster = "\ncluster:\n  self: SELF\n  peers: [" + addr(a) + ", " + addr(b) +
                              "]\n  secret: a-cluster-secret-of-32-characters\n";
  auto with_self = [&](uint16_t self) {
    std::string c = cluster;
    c.replace(c.find("SELF"), 4, addr(self));
    return c;
  };
  std::unique_ptr<ShoalProcess> node_a = Serve("cluster-a", "path: cluster-a.log", with_self(a));
  std::unique_ptr<ShoalProcess> node_b = Serve("cluster-b", "path: cluster-b.log", with_self(b));
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  cluster::HashRing ring({addr(a), addr(b)});
  int own = 0, other = 0;
  for (int id = 1; id <= kItems && (own == 0 || other == 0); ++id) {
    const std::string owner = ring.Owner("/v1/items/" + std::to_string(id));
    if (owner == addr(a) && own == 0) own = id;
    if (owner == addr(b) && other == 0) other = id;
  }
  ASSERT_NE(own, 0);
  ASSERT_NE(other, 0);
  ASSERT_EQ(Get(node_a->port(), "/v1/items/" + std::to_string(other)).status, 200);
  ASSERT_EQ(Get(node_a->port(), "/v1/items/" + std::to_string(own)).status, 200);
  const std::vector<std::string> lines = WaitForLines(dir_->File("cluster-a.log"), 2);
  ASSERT_EQ(lines.size(), 2u);
  std::vector<std::string> f = Fields(lines[0]);
  ASSERT_EQ(f.size(), 13u) << lines[0];
  EXPECT_EQ(f[10], "peer") << lines[0];
  EXPECT_EQ(f[12], addr(b)) << lines[0];
  f = Fields(lines[1]);
  ASSERT_EQ(f.size(), 13u) << lines[1];
  EXPECT_EQ(f[10], "miss") << lines[1];
  EXPECT_EQ(f[12], addr(a)) << lines[1];
  EXPECT_EQ(node_a->Stop(), 0) << node_a->Output();
  EXPECT_EQ(node_b->Stop(), 0) << node_b->Output();
}

}  // namespace
}  // namespace shoal::testing

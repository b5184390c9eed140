// Process tests of the operator's endpoints: the admin token (security review L3), the admin
// listener (admin.listen: M6, L9) and the metrics page's one render per second (L9).
//
// With admin.listen, purge, peers and metrics move to a second listener; the public one
// answers 404 for them and keeps /_shoal/health. Without it, nothing changes.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "catalog_suite.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

constexpr std::string_view kToken = "an-admin-token-of-some-length";

class AdminTest : public CatalogSuite<200> {
 protected:
  // Serve starts a node on the example catalog with `extra` appended to its config.
  std::unique_ptr<ShoalProcess> Serve(const std::string& extra) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    const std::string file = dir_->Write("admin-" + std::to_string(++configs_) + ".yaml",
                                         (base.ok() ? *base : "") + extra);
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(file);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  // Send sends one request with an optional bearer token and body; the response.
  static Result<HttpResponse> Send(uint16_t port, std::string_view method, std::string_view path,
                                   std::string_view token, std::string_view body = "") {
    Result<HttpClient> c = HttpClient::Connect(port);
    if (!c.ok()) return c.status();
    std::string req = std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + std::string(token) + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
    if (Status s = c->Send(req); !s.ok()) return s;
    return c->Read();
  }

  static int StatusOf(uint16_t port, std::string_view method, std::string_view path,
                      std::string_view token, std::string_view body = "") {
    Result<HttpResponse> r = Send(port, method, path, token, body);
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    return r.ok() ? r->status : -1;
  }

  int configs_ = 0;
};

constexpr std::string_view kPurgeBody = R"({"endpoint": "/v1/items/{id:int}"})";

TEST_F(AdminTest, OnlyTheExactTokenOpensTheAdminEndpoints) {
  std::unique_ptr<ShoalProcess> node = Serve("admin:\n  token: " + std::string(kToken) + "\n");
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  const std::string token(kToken);
  for (const std::string& wrong :
       {std::string(""), token.substr(0, token.size() - 1), token + "x", token.substr(1),
        "x" + token.substr(1), std::string(token.size(), 'a'), std::string(4096, 'a')}) {
    SCOPED_TRACE(wrong.size());
    EXPECT_EQ(StatusOf(port, "POST", "/_shoal/purge", wrong, kPurgeBody), 401);
  }
  EXPECT_EQ(StatusOf(port, "POST", "/_shoal/purge", token, kPurgeBody), 200);
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

// admin.listen: purge and metrics on the admin port only; health on both; the public port
// answers 404 for the admin routes whatever the token.
TEST_F(AdminTest, AdminListenerTakesTheAdminRoutesOffThePublicPort) {
  const uint16_t admin_port = FreeLocalPort();
  ASSERT_NE(admin_port, 0);
  std::unique_ptr<ShoalProcess> node =
      Serve("admin:\n  token: " + std::string(kToken) +
            "\n  listen: 127.0.0.1:" + std::to_string(admin_port) + "\n");
  ASSERT_NE(node, nullptr);
  EXPECT_NE(node->Output().find("shoal: admin endpoints on http://127.0.0.1:" +
                                std::to_string(admin_port)),
            std::string::npos)
      << node->Output();
  const uint16_t pub = node->port();
  ASSERT_NE(pub, admin_port);

  // Load a key, then purge the endpoint on the admin port: one key removed.
  Result<HttpClient> c = HttpClient::Connect(pub);
  ASSERT_TRUE(c.ok());
  Result<HttpResponse> item = c->Get("/v1/items/7");
  ASSERT_TRUE(item.ok());
  ASSERT_EQ(item->status, 200);
  Result<HttpResponse> purge = Send(admin_port, "POST", "/_shoal/purge", kToken, kPurgeBody);
  ASSERT_TRUE(purge.ok()) << purge.status().ToString();
  EXPECT_EQ(purge->status, 200) << purge->body;
  EXPECT_NE(purge->body.find("\"purged\":1"), std::string::npos) << purge->body;
  EXPECT_EQ(StatusOf(admin_port, "POST", "/_shoal/purge", "wrong-token-of-some-length", kPurgeBody),
            401);

  // The public port: 404 for purge, peers and metrics, with or without the token.
  EXPECT_EQ(StatusOf(pub, "POST", "/_shoal/purge", kToken, kPurgeBody), 404);
  EXPECT_EQ(StatusOf(pub, "GET", "/_shoal/peers", kToken), 404);
  EXPECT_EQ(StatusOf(pub, "GET", "/_shoal/metrics", ""), 404);
  EXPECT_EQ(StatusOf(pub, "GET", "/_shoal/health", ""), 200);
  // The admin port serves only the admin routes.
  EXPECT_EQ(StatusOf(admin_port, "GET", "/_shoal/health", ""), 200);
  EXPECT_EQ(StatusOf(admin_port, "GET", "/v1/items/7", ""), 404);
  Result<HttpResponse> metrics = Send(admin_port, "GET", "/_shoal/metrics", "");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("shoal_api_requests_endpoint_total 1\n"), std::string::npos)
      << metrics->body;

  EXPECT_EQ(node->Stop(), 0) << node->Output();
  EXPECT_FALSE(HttpClient::Connect(admin_port, std::chrono::seconds(1)).ok())
      << "the admin listener outlived the node";
}

// An admin address that cannot be bound stops serve with a message naming it.
TEST_F(AdminTest, AnAdminAddressInUseIsAnError) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  Result<std::string> base = ExampleConfig(db_);
  ASSERT_TRUE(base.ok());
  const std::string file =
      dir_->Write("taken.yaml", *base + "admin:\n  token: " + std::string(kToken) +
                                    "\n  listen: " + taken + "\n");
  const RunResult r = RunShoal({"serve", "-c", file}, std::chrono::seconds(20));
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("shoal: admin.listen " + taken + ": "), std::string::npos) << r.err;
}

// Without admin.listen the public port keeps every route (as before).
TEST_F(AdminTest, WithoutAnAdminListenerThePublicPortServesEverything) {
  std::unique_ptr<ShoalProcess> node = Serve("admin:\n  token: " + std::string(kToken) + "\n");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(StatusOf(node->port(), "POST", "/_shoal/purge", kToken, kPurgeBody), 200);
  EXPECT_EQ(StatusOf(node->port(), "GET", "/_shoal/metrics", ""), 200);
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

// L9: however fast the scrapes come, the page is rendered at most once a second. Forty scrapes
// in a burst see at most (elapsed seconds + 1) distinct render counts.
TEST_F(AdminTest, MetricsAreRenderedAtMostOncePerSecond) {
  std::unique_ptr<ShoalProcess> node = Serve("");
  ASSERT_NE(node, nullptr);
  const auto start = std::chrono::steady_clock::now();
  // The first two scrapes (the first renders) are byte for byte the same, although the
  // second request moved shoal_http_requests_total.
  Result<HttpClient> c = HttpClient::Connect(node->port());
  ASSERT_TRUE(c.ok());
  Result<HttpResponse> a = c->Get("/_shoal/metrics");
  Result<HttpResponse> b = c->Get("/_shoal/metrics");
  ASSERT_TRUE(a.ok() && b.ok());
  if (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(900)) {
    EXPECT_EQ(a->body, b->body);
  }
  std::vector<double> renders;
  for (int i = 0; i < 40; ++i) {
    Result<double> v = ScrapeMetric(node->port(), "shoal_api_metrics_renders_total");
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    renders.push_back(*v);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double distinct = renders.back() - renders.front() + 1;
  EXPECT_LE(distinct, elapsed + 1.0) << "renders from " << renders.front() << " to "
                                     << renders.back() << " in " << elapsed << " s";
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

}  // namespace
}  // namespace shoal::testing

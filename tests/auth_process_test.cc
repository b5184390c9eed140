// Process tests of end-user auth (issue 17, item 10): the real shoal over the demo catalog
// with API keys and JWTs (keys and tokens made here by OpenSSL). What they prove: no key or
// an unknown key is a 401 with a JSON body and the RFC 6750 WWW-Authenticate, a good key (either
// header) a 200 marked Cache-Control: private, and an endpoint with `auth: none` stays open;
// a reload that rewrites the keys file takes the removed key away and lets the new one in; a
// good JWT passes, an expired or wrongly signed one is a 401 invalid_token; a claim bound as a
// parameter gives two tenants different answers on the same URL, each cached on its own, and
// a client cannot override it with the query string; a token without the claim is a 403. No
// key and no token ever appears in the node's output.
#include <chrono>
#include <csignal>
#include <ctime>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "api/test_jwt.h"
#include "catalog_suite.h"
#include "http_client.h"

namespace shoal::testing {
namespace {

constexpr std::string_view kKeyA = "key-a-0123456789abcdef";
constexpr std::string_view kKeyB = "key-b-0123456789abcdef";

class AuthProcessTest : public CatalogSuite<2000> {
 protected:
  static void SetUpTestSuite() {
    CatalogSuite<2000>::SetUpTestSuite();
    rsa_ = new api::testing::TestPkey(api::testing::NewRsaKey());
    other_ = new api::testing::TestPkey(api::testing::NewRsaKey());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete other_;
    CatalogSuite<2000>::TearDownTestSuite();
  }

  void WriteKeys(std::string_view text) const {
    const std::string tmp = dir_->Write("keys.txt.tmp", text);
    ASSERT_EQ(::chmod(tmp.c_str(), 0600), 0);
    ASSERT_EQ(std::rename(tmp.c_str(), dir_->File("keys.txt").c_str()), 0);
  }

  std::unique_ptr<ShoalProcess> Start() {
    WriteKeys("# the catalog's clients\nmobile: " + std::string(kKeyA) + "\n");
    dir_->Write("jwks.json", "{\"keys\":[" + api::testing::Jwk(rsa_->get(), "k1") + "]}");
    const std::string config = dir_->Write("auth.yaml", R"(listen: 127.0.0.1:0
store:
  sqlite: { path: ")" + db_ + R"(" }
auth:
  api_keys_file: keys.txt
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id, title FROM items WHERE id = :id
    result: one
    ttl: 60s
  - route: /v1/open/{id:int}
    query: SELECT id, title FROM items WHERE id = :id
    result: one
    ttl: 60s
    auth: none
  - route: /v1/mine
    query: SELECT id, category FROM items WHERE category = :tenant ORDER BY id LIMIT 3
    result: many
    ttl: 60s
    params:
      tenant: { from: claims.tenant }
    auth:
      jwt: { jwks_file: jwks.json, issuer: "https://id.test", audience: shoal, leeway: 5s }
)");
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(config);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  static std::string Jwt(std::string_view claims, int64_t exp_in = 300,
                         const api::testing::TestPkey* key = nullptr) {
    const std::string payload = R"({"iss":"https://id.test","aud":"shoal","exp":)" +
                                std::to_string(std::time(nullptr) + exp_in) + std::string(claims) +
                                "}";
    return api::testing::Token((key != nullptr ? key : rsa_)->get(), "RS256",
                               R"({"alg":"RS256","kid":"k1","typ":"JWT"})", payload);
  }

  static HttpResponse Get(const ShoalProcess& node, std::string_view target,
                          std::string_view headers = "") {
    Result<HttpClient> c = HttpClient::Connect(node.port());
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return {};
    Result<HttpResponse> r = c->Get(target, headers);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }

  static std::string Bearer(std::string_view token) {
    return "Authorization: Bearer " + std::string(token) + "\r\n";
  }

  static size_t Count(const ShoalProcess& node, std::string_view text) {
    const std::string out = node.Output();
    size_t n = 0;
    for (size_t at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) ++n;
    return n;
  }

  inline static api::testing::TestPkey* rsa_ = nullptr;
  inline static api::testing::TestPkey* other_ = nullptr;
};

TEST_F(AuthProcessTest, ApiKeysGuardTheEndpointsAndAReloadChangesThem) {
  std::unique_ptr<ShoalProcess> node = Start();
  ASSERT_NE(node, nullptr);

  HttpResponse none = Get(*node, "/v1/items/7");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.Header("WWW-Authenticate"), "Bearer realm=\"shoal\"");
  EXPECT_EQ(none.body, R"({"error":"an API key is required","status":401})");

  HttpResponse bad = Get(*node, "/v1/items/7", "X-Api-Key: " + std::string(kKeyB) + "\r\n");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.Header("WWW-Authenticate"), "Bearer realm=\"shoal\", error=\"invalid_token\"");

  HttpResponse good = Get(*node, "/v1/items/7", "X-Api-Key: " + std::string(kKeyA) + "\r\n");
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(good.Header("Cache-Control").rfind("private, max-age=", 0), 0u)
      << good.Header("Cache-Control");
  EXPECT_EQ(Get(*node, "/v1/items/7", Bearer(kKeyA)).status, 200);
  // Both headers at once: RFC 6750's invalid_request.
  EXPECT_EQ(
      Get(*node, "/v1/items/7", Bearer(kKeyA) + "X-Api-Key: " + std::string(kKeyA) + "\r\n").status,
      400);

  // auth: none opens one endpoint under the top-level auth; its answers are not private.
  HttpResponse open = Get(*node, "/v1/open/7");
  EXPECT_EQ(open.status, 200);
  EXPECT_EQ(open.Header("Cache-Control").find("private"), std::string::npos);

  // The keys file changes: key A is revoked, key B added; a reload reads it again.
  WriteKeys("web: " + std::string(kKeyB) + "\n");
  const size_t before = Count(*node, "reloaded ");
  node->Signal(SIGHUP);
  for (int i = 0; i < 2000 && Count(*node, "reloaded ") == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GT(Count(*node, "reloaded "), before) << node->Output();
  EXPECT_EQ(Get(*node, "/v1/items/7", "X-Api-Key: " + std::string(kKeyA) + "\r\n").status, 401);
  EXPECT_EQ(Get(*node, "/v1/items/7", "X-Api-Key: " + std::string(kKeyB) + "\r\n").status, 200);

  // A keys file others may read is refused at reload; the running keys stay.
  ASSERT_EQ(::chmod(dir_->File("keys.txt").c_str(), 0644), 0);
  const size_t refused = Count(*node, "reload refused");
  node->Signal(SIGHUP);
  for (int i = 0; i < 2000 && Count(*node, "reload refused") == refused; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_NE(node->Output().find("keys.txt: holds API keys and is readable"), std::string::npos)
      << node->Output();
  EXPECT_EQ(Get(*node, "/v1/items/7", "X-Api-Key: " + std::string(kKeyB) + "\r\n").status, 200);

  EXPECT_EQ(node->Output().find(kKeyA), std::string::npos);
  EXPECT_EQ(node->Output().find(kKeyB), std::string::npos);
  EXPECT_EQ(node->Stop(), 0);
}

TEST_F(AuthProcessTest, JwtClaimsSeparateTenants) {
  std::unique_ptr<ShoalProcess> node = Start();
  ASSERT_NE(node, nullptr);
  const std::string books = Jwt(R"(,"tenant":"books")");
  const std::string kites = Jwt(R"(,"tenant":"kites")");

  HttpResponse a = Get(*node, "/v1/mine", Bearer(books));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find(R"("category":"books")"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.find("kites"), std::string::npos) << a.body;
  EXPECT_EQ(a.Header("X-Cache"), "MISS");
  HttpResponse b = Get(*node, "/v1/mine", Bearer(kites));
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_NE(b.body.find(R"("category":"kites")"), std::string::npos) << b.body;
  EXPECT_EQ(b.Header("X-Cache"), "MISS");  // not the books entry
  // Each tenant's entry is cached on its own, and each gets its own back.
  HttpResponse a2 = Get(*node, "/v1/mine", Bearer(books));
  EXPECT_EQ(a2.Header("X-Cache"), "HIT");
  EXPECT_EQ(a2.body, a.body);
  HttpResponse b2 = Get(*node, "/v1/mine", Bearer(kites));
  EXPECT_EQ(b2.Header("X-Cache"), "HIT");
  EXPECT_EQ(b2.body, b.body);
  EXPECT_NE(a.body, b.body);

  // The query string cannot set the claim's parameter.
  HttpResponse spoof = Get(*node, "/v1/mine?tenant=kites", Bearer(books));
  EXPECT_EQ(spoof.status, 400);
  EXPECT_NE(spoof.body.find("comes from the caller's token"), std::string::npos) << spoof.body;

  HttpResponse missing = Get(*node, "/v1/mine", Bearer(Jwt("")));
  EXPECT_EQ(missing.status, 403);
  EXPECT_EQ(missing.Header("WWW-Authenticate"),
            "Bearer realm=\"shoal\", error=\"insufficient_scope\"");
  EXPECT_NE(missing.body.find("the token has no claim 'tenant'"), std::string::npos);

  HttpResponse expired = Get(*node, "/v1/mine", Bearer(Jwt(R"(,"tenant":"books")", -60)));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.Header("WWW-Authenticate"), "Bearer realm=\"shoal\", error=\"invalid_token\"");
  EXPECT_EQ(expired.body, R"({"error":"the token has expired","status":401})");

  HttpResponse forged = Get(*node, "/v1/mine", Bearer(Jwt(R"(,"tenant":"books")", 300, other_)));
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.body, R"({"error":"the token's signature does not verify","status":401})");

  EXPECT_EQ(Get(*node, "/v1/mine").status, 401);
  // An API key is no credential for the JWT endpoint.
  EXPECT_EQ(Get(*node, "/v1/mine", Bearer(kKeyA)).status, 401);

  EXPECT_EQ(node->Output().find(books.substr(books.rfind('.'))), std::string::npos);
  EXPECT_EQ(node->Stop(), 0);
}

TEST_F(AuthProcessTest, ConfigErrorsNameFileAndLine) {
  const std::string config = dir_->Write("bad.yaml", R"(listen: 127.0.0.1:0
store:
  sqlite: { path: ")" + db_ + R"(" }
endpoints:
  - route: /v1/mine
    query: SELECT id FROM items WHERE category = :tenant
    ttl: 60s
    params:
      tenant: { from: claims.tenant }
)");
  RunResult r = RunShoal({"serve", "-c", config}, std::chrono::seconds(30));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err)
                .find("bad.yaml:9: endpoint '/v1/mine': parameter 'tenant' comes from "
                      "the claim 'tenant': the endpoint needs auth.jwt"),
            std::string::npos)
      << r.out << r.err;
}

}  // namespace
}  // namespace shoal::testing

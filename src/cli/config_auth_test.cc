// The auth sections of the config (config_auth.cc): the top level's and an endpoint's, `none`,
// api_keys_file, jwt, params from claims; errors name file:line.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "cli/config.h"

namespace shoal::cli {
namespace {

constexpr std::string_view kHead = R"(listen: 127.0.0.1:9090
store:
  sqlite: { path: db/catalog.db }
)";

std::string Error(const std::string& text) {
  Result<Config> c = ParseConfig(text, "conf/shoal.yaml");
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ConfigAuthTest, TopLevelAndEndpointSections) {
  const std::string text = std::string(kHead) + R"(auth:
  api_keys_file: keys.txt
endpoints:
  - route: /v1/a
    query: SELECT 1
    ttl: 60s
  - route: /v1/b
    query: SELECT 1
    ttl: 60s
    auth: none
  - route: /v1/c
    query: SELECT id FROM t WHERE tenant = :tenant
    ttl: 60s
    params:
      tenant: { type: string, from: claims.org_id, max: 40 }
    auth:
      jwt:
        jwks_file: /etc/shoal/jwks.json
        issuer: https://id.example
        audience: [a, b]
        leeway: 10s
)";
  Result<Config> c = ParseConfig(text, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.auth->kind, api::AuthOptions::Kind::kApiKeys);
  EXPECT_EQ(c->api.auth->api_keys_file, "conf/keys.txt");  // beside the config
  EXPECT_EQ(c->api.auth->line, 5);
  ASSERT_EQ(c->api.endpoints.size(), 3u);
  EXPECT_FALSE(c->api.endpoints[0].auth.has_value());
  ASSERT_TRUE(c->api.endpoints[1].auth.has_value());
  EXPECT_EQ(c->api.endpoints[1].auth->kind, api::AuthOptions::Kind::kNone);
  const api::AuthOptions& jwt = *c->api.endpoints[2].auth;
  EXPECT_EQ(jwt.kind, api::AuthOptions::Kind::kJwt);
  EXPECT_EQ(jwt.jwt.jwks_file, "/etc/shoal/jwks.json");
  EXPECT_EQ(jwt.jwt.issuer, "https://id.example");
  EXPECT_EQ(jwt.jwt.audience, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(jwt.jwt.leeway, std::chrono::seconds(10));
  EXPECT_EQ(c->api.endpoints[2].params[0].claim, "org_id");
}

TEST(ConfigAuthTest, Hs256SecretComesFromTheEnvironmentOnly) {
  const std::string base = std::string(kHead) + "auth:\n  jwt:\n";
  const std::string eps = "endpoints:\n  - route: /v1/a\n    query: SELECT 1\n    ttl: 60s\n";
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the test runs on one thread.
  ::setenv("SHOAL_TEST_JWT_SECRET", "0123456789abcdef0123456789abcdef!", 1);
  Result<Config> c =
      ParseConfig(base + "    hs256_secret_env: SHOAL_TEST_JWT_SECRET\n" + eps, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.auth->jwt.hs256_secret, "0123456789abcdef0123456789abcdef!");
  EXPECT_FALSE(c->file_holds_secret);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the test runs on one thread.
  ::setenv("SHOAL_TEST_JWT_SECRET", "0123456789abcdef-too-short", 1);
  EXPECT_EQ(Error(base + "    hs256_secret_env: SHOAL_TEST_JWT_SECRET\n" + eps),
            "conf/shoal.yaml:6: auth.jwt.hs256_secret_env: an HS256 secret must be at least 32 "
            "bytes");
  EXPECT_EQ(Error(base + "    hs256_secret: 0123456789abcdef0123456789abcdef!\n" + eps)
                .rfind("conf/shoal.yaml:6: auth.jwt: unknown key 'hs256_secret'", 0),
            0u);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the test runs on one thread.
  ::unsetenv("SHOAL_TEST_JWT_SECRET");
}

TEST(ConfigAuthTest, ErrorsNameFileAndLine) {
  const std::string eps = "endpoints:\n  - route: /v1/a\n    query: SELECT 1\n    ttl: 60s\n";
  EXPECT_EQ(Error(std::string(kHead) + "auth: open\n" + eps),
            "conf/shoal.yaml:4: auth: expected none or a mapping with api_keys_file or jwt");
  EXPECT_EQ(Error(std::string(kHead) + "auth: {}\n" + eps),
            "conf/shoal.yaml:4: auth: give exactly one of api_keys_file and jwt");
  EXPECT_EQ(Error(std::string(kHead) + "auth:\n  api_keys_file: k\n  jwt: {jwks_file: j}\n" + eps),
            "conf/shoal.yaml:5: auth: give exactly one of api_keys_file and jwt");
  EXPECT_EQ(Error(std::string(kHead) + "auth:\n  jwt: {issuer: x}\n" + eps),
            "conf/shoal.yaml:5: auth.jwt: give exactly one of jwks_file (public keys) and "
            "hs256_secret_env");
  EXPECT_EQ(Error(std::string(kHead) + "auth:\n  jwt: {jwks_file: j, leeway: 1h}\n" + eps),
            "conf/shoal.yaml:5: auth.jwt.leeway: at most 10m");
  EXPECT_EQ(Error(std::string(kHead) + eps + "    params:\n      t: {from: tenant}\n"),
            "conf/shoal.yaml:9: params.t.from: expected claims.NAME (a claim of the caller's "
            "token)");
  EXPECT_EQ(Error(std::string(kHead) + eps + "    auth: {api_key_file: k}\n")
                .rfind("conf/shoal.yaml:8: endpoint.auth: unknown key 'api_key_file'", 0),
            0u);
}

}  // namespace
}  // namespace shoal::cli

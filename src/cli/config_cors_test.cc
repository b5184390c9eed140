// The cors sections of the config (config_cors.cc): top level and per endpoint, the defaults,
// origins put in their serialized form, and every error naming file:line.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "cli/config.h"
#include "cli/reload.h"

namespace shoal::cli {
namespace {

using std::chrono::seconds;

constexpr char kBase[] = R"(store: { sqlite: { path: c.db } }
endpoints:
  - route: /a/{id:int}
    query: SELECT :id AS id
    result: one
    ttl: 1s
)";

TEST(ConfigCorsTest, NoSectionNoCors) {
  Result<Config> c = ParseConfig(kBase, "shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->api.cors.has_value());
  EXPECT_FALSE(c->api.endpoints[0].cors.has_value());
}

TEST(ConfigCorsTest, TopLevelWithDefaults) {
  Result<Config> c = ParseConfig(
      std::string("cors:\n  origins: [HTTPS://App.Example.com:443, \"http://127.0.0.1:8080\"]\n") +
          kBase,
      "shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->api.cors.has_value());
  const api::CorsOptions& o = *c->api.cors;
  EXPECT_EQ(o.origins,
            (std::vector<std::string>{"https://app.example.com", "http://127.0.0.1:8080"}));
  EXPECT_EQ(o.methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_TRUE(o.headers.empty());
  EXPECT_EQ(o.expose_headers,
            (std::vector<std::string>{"ETag", "Age", "Cache-Status", "X-Cache", "Link"}));
  EXPECT_EQ(o.max_age, std::chrono::minutes(10));
  EXPECT_FALSE(o.credentials);
}

TEST(ConfigCorsTest, EveryKeyAndThePerEndpointSection) {
  Result<Config> c = ParseConfig(std::string(kBase) +
                                     "    cors:\n"
                                     "      origins: https://a.example\n"
                                     "      methods: [get]\n"
                                     "      headers: [X-Api-Version, Authorization]\n"
                                     "      expose_headers: []\n"
                                     "      max_age: 90s\n"
                                     "      credentials: true\n"
                                     "  - route: /b/{id:int}\n"
                                     "    query: SELECT :id AS id\n"
                                     "    ttl: 1s\n"
                                     "    cors: false\n",
                                 "shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->api.cors.has_value());
  ASSERT_TRUE(c->api.endpoints[0].cors.has_value());
  const api::CorsOptions& o = *c->api.endpoints[0].cors;
  EXPECT_TRUE(o.enabled);
  EXPECT_EQ(o.origins, std::vector<std::string>{"https://a.example"});
  EXPECT_EQ(o.methods, std::vector<std::string>{"GET"});
  EXPECT_EQ(o.headers, (std::vector<std::string>{"X-Api-Version", "Authorization"}));
  EXPECT_TRUE(o.expose_headers.empty());
  EXPECT_EQ(o.max_age, seconds(90));
  EXPECT_TRUE(o.credentials);
  ASSERT_TRUE(c->api.endpoints[1].cors.has_value());
  EXPECT_FALSE(c->api.endpoints[1].cors->enabled);
}

TEST(ConfigCorsTest, ErrorsNameTheFileAndLine) {
  const struct {
    std::string yaml;
    const char* message;
  } cases[] = {
      {"cors:\n  origins: [\"*\"]\n  credentials: true\n",
       "shoal.yaml:2: cors.origins: \"*\" is not allowed with credentials: true"},
      {"cors:\n  origins:\n    - https://a.example\n    - https://b.example/\n",
       "shoal.yaml:4: cors.origins: 'https://b.example/' is not an origin: an origin has no "
       "path"},
      {"cors:\n  origins: [app.example.com]\n", "shoal.yaml:2: cors.origins: 'app.example.com'"},
      {"cors:\n  origins: [\"null\"]\n", "shoal.yaml:2: cors.origins: 'null' is not an origin"},
      {"cors:\n  origins: [\"*\", https://a.example]\n",
       "shoal.yaml:2: cors.origins: \"*\" "
       "must be the only entry"},
      {"cors:\n  origins: []\n", "shoal.yaml:2: cors.origins: needs at least one origin"},
      {"cors:\n  methods: [GET]\n", "shoal.yaml:2: cors: needs 'origins'"},
      {"cors:\n  origins: [https://a.example]\n  methods: [POST]\n",
       "shoal.yaml:2: cors.methods: 'POST': an endpoint answers only GET and HEAD"},
      {"cors:\n  origins: [https://a.example]\n  headers: [\"X Bad\"]\n",
       "shoal.yaml:2: cors.headers: 'X Bad' is not a header name"},
      {"cors:\n  origins: [https://a.example]\n  headers: [\"*\"]\n  credentials: true\n",
       "shoal.yaml:2: cors.headers: \"*\" is not allowed with credentials"},
      {"cors:\n  origins: [https://a.example]\n  max_age: often\n", "shoal.yaml:3: cors.max_age"},
      {"cors:\n  origins: [https://a.example]\n  credentials: yes\n",
       "shoal.yaml:3: cors.credentials: expected true or false"},
      {"cors:\n  origins: [https://a.example]\n  allow: [x]\n",
       "shoal.yaml:3: cors: unknown key 'allow'"},
      {"cors: false\n", "shoal.yaml:1: cors: false is for an endpoint"},
      {"cors: [https://a.example]\n", "shoal.yaml:1: cors: expected a mapping"},
  };
  for (const auto& k : cases) {
    Result<Config> c = ParseConfig(k.yaml + kBase, "shoal.yaml");
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_NE(c.status().message().find(k.message), std::string_view::npos)
        << k.yaml << " -> " << c.status().message();
  }
  // In an endpoint: the endpoint's own line numbers.
  Result<Config> c = ParseConfig(
      std::string(kBase) + "    cors: { origins: [\"ftp://x.example/\"] }\n", "shoal.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("shoal.yaml:7: cors.origins: 'ftp://x.example/'"),
            std::string_view::npos)
      << c.status().message();
}

TEST(ConfigCorsTest, ATopLevelChangeIsLiveOnReload) {
  const std::string a = std::string("cors:\n  origins: [https://a.example]\n") + kBase;
  const std::string b =
      std::string("cors:\n  origins: [https://b.example]\n  max_age: 1m\n") + kBase;
  EXPECT_TRUE(RestartNeeded(a, b).empty());
  const std::vector<std::string> live = LiveChanged(a, b);
  EXPECT_EQ(live.size(), 2u);
  for (const char* key : {"cors.origins", "cors.max_age"}) {
    EXPECT_NE(std::find(live.begin(), live.end(), key), live.end()) << key;
  }
  EXPECT_TRUE(RestartNeeded(kBase, a).empty());
}

}  // namespace
}  // namespace shoal::cli

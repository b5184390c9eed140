// The config diff of a reload (reload.h): which keys change live, which need a restart.
#include <gtest/gtest.h>

#include "cli/reload.h"

namespace shoal::cli {
namespace {

using Keys = std::vector<std::string>;

constexpr std::string_view kBase = R"(listen: 127.0.0.1:8080
http:
  threads: 2
  max_string_param: 256
store:
  sqlite: { path: catalog.db }
  timeout: 2s
cache:
  memory: 256MiB
  grace: 5m
admin:
  token: one-token-of-some-length
log:
  level: info
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id FROM items WHERE id = :id
    ttl: 60s
)";

std::string With(std::string_view from, std::string_view to) {
  std::string s(kBase);
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(ConfigReloadTest, TheSameFileChangesNothing) {
  EXPECT_EQ(RestartNeeded(kBase, kBase), Keys{});
  EXPECT_EQ(LiveChanged(kBase, kBase), Keys{});
}

TEST(ConfigReloadTest, EndpointsAreNotTheDiffsBusiness) {
  const std::string next = With("ttl: 60s", "ttl: 5s");
  EXPECT_EQ(RestartNeeded(kBase, next), Keys{});
  EXPECT_EQ(LiveChanged(kBase, next), Keys{});
}

TEST(ConfigReloadTest, IgnoreParamsAreLive) {
  // Applied by the Router a reload builds, like the endpoints: no restart.
  const std::string next = std::string(kBase) + "ignore_params: [utm_*, fbclid]\n";
  EXPECT_EQ(RestartNeeded(kBase, next), Keys{});
  EXPECT_EQ(RestartNeeded(next, kBase), Keys{});
  // An unknown top-level key would need one: the check above can fail.
  EXPECT_EQ(RestartNeeded(kBase, std::string(kBase) + "ignore_paramz: [x]\n"),
            Keys{"ignore_paramz"});
}

TEST(ConfigReloadTest, LiveKeys) {
  EXPECT_EQ(LiveChanged(kBase, With("level: info", "level: debug")), Keys{"log.level"});
  EXPECT_EQ(LiveChanged(kBase, With("one-token", "two-token")), Keys{"admin.token"});
  EXPECT_EQ(LiveChanged(kBase, With("grace: 5m", "grace: 1m\n  negative_ttl: 1s")),
            (Keys{"cache.grace", "cache.negative_ttl"}));
  EXPECT_EQ(LiveChanged(kBase, With("timeout: 2s", "timeout: 1s\n  max_rows: 10")),
            (Keys{"store.timeout", "store.max_rows"}));
  EXPECT_EQ(LiveChanged(kBase, With("max_string_param: 256", "max_string_param: 64")),
            Keys{"http.max_string_param"});
  // The cache policy (issue 17): the endpoints' defaults, rebuilt with the Serving.
  EXPECT_EQ(LiveChanged(kBase, With("grace: 5m",
                                    "grace: 5m\n  stale_if_error: 1m\n"
                                    "  cache_control: { public: true }\n"
                                    "  cdn_cache_control: { s_maxage: 1m }")),
            (Keys{"cache.stale_if_error", "cache.cache_control", "cache.cdn_cache_control"}));
  EXPECT_EQ(RestartNeeded(kBase, With("grace: 5m", "grace: 5m\n  stale_if_error: 1m")), Keys{});
  for (const std::string& next :
       {With("level: info", "level: debug"), With("one-token", "two-token"),
        With("grace: 5m", "grace: 1m"), With("timeout: 2s", "timeout: 1s")}) {
    EXPECT_EQ(RestartNeeded(kBase, next), Keys{}) << next;
  }
}

TEST(ConfigReloadTest, RestartOnlyKeys) {
  EXPECT_EQ(RestartNeeded(kBase, With("8080", "8081")), Keys{"listen"});
  EXPECT_EQ(RestartNeeded(kBase, With("threads: 2", "threads: 4")), Keys{"http.threads"});
  EXPECT_EQ(RestartNeeded(kBase, With("catalog.db", "other.db")), Keys{"store.sqlite"});
  EXPECT_EQ(RestartNeeded(kBase, With("memory: 256MiB", "memory: 1GiB")), Keys{"cache.memory"});
  EXPECT_EQ(RestartNeeded(kBase, With("level: info", "level: info\n  format: json")),
            Keys{"log.format"});
  EXPECT_EQ(RestartNeeded(kBase, With("one-token-of-some-length",
                                      "one-token-of-some-length\n  listen: 127.0.0.1:9")),
            Keys{"admin.listen"});
  EXPECT_EQ(RestartNeeded(kBase, std::string(kBase) + "cluster:\n  self: 127.0.0.1:7000\n"),
            Keys{"cluster"});
  EXPECT_EQ(RestartNeeded(kBase, std::string(kBase) + "metrics:\n  cache: 0s\n"), Keys{"metrics"});
  // A whole section removed counts too; and none of these is live.
  EXPECT_EQ(RestartNeeded(kBase, With("cache:\n  memory: 256MiB\n  grace: 5m\n", "")),
            (Keys{"cache.memory"}));
  EXPECT_EQ(LiveChanged(kBase, With("cache:\n  memory: 256MiB\n  grace: 5m\n", "")),
            (Keys{"cache.grace"}));
  // Several, in file order.
  std::string both = With("8080", "8081");
  both.replace(both.find("256MiB"), 6, "1GiB");
  EXPECT_EQ(RestartNeeded(kBase, both), (Keys{"listen", "cache.memory"}));
}

TEST(ConfigReloadTest, FormattingAloneIsNoChange) {
  const std::string next = With("sqlite: { path: catalog.db }", "sqlite:\n    path: catalog.db");
  EXPECT_EQ(RestartNeeded(kBase, next), Keys{});
  EXPECT_EQ(RestartNeeded(kBase,
                          With("sqlite: { path: catalog.db }", "sqlite: { path: \"catalog.db\" }")),
            Keys{});
  EXPECT_EQ(RestartNeeded(kBase, std::string(kBase) + "# a comment\n"), Keys{});
}

}  // namespace
}  // namespace shoal::cli

// The config keys of readiness and the drain: ready.probe_interval, ready.window and
// http.drain_delay, their defaults and their errors.
#include <string>

#include <gtest/gtest.h>

#include "cli/config.h"

namespace shoal::cli {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kBase[] = R"(store: { sqlite: { path: c.db } }
endpoints:
  - route: /a/{id:int}
    query: SELECT :id AS id
    result: one
    ttl: 1s
)";

TEST(ConfigReadyTest, DefaultsAreTwoSecondsTenSecondsAndNoDrainDelay) {
  Result<Config> c = ParseConfig(kBase, "shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ready.probe_interval, seconds(2));
  EXPECT_EQ(c->ready.window, seconds(10));
  EXPECT_EQ(c->http.drain_delay, Duration::zero());
}

TEST(ConfigReadyTest, ReadsTheKeys) {
  Result<Config> c = ParseConfig(std::string("http: { drain_delay: 5s }\n"
                                             "ready: { probe_interval: 500ms, window: 3s }\n") +
                                     kBase,
                                 "shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ready.probe_interval, milliseconds(500));
  EXPECT_EQ(c->ready.window, seconds(3));
  EXPECT_EQ(c->http.drain_delay, seconds(5));
}

TEST(ConfigReadyTest, BadValuesNameTheFileAndLine) {
  const struct {
    const char* yaml;
    const char* message;
  } cases[] = {
      {"ready: { probe_interval: 0s }\n", "shoal.yaml:1: ready.probe_interval"},
      {"ready: { window: soon }\n", "shoal.yaml:1: ready.window"},
      {"ready: { probe_interval: 5s, window: 1s }\n",
       "shoal.yaml:1: ready.window: must be at least ready.probe_interval"},
      {"ready: { interval: 1s }\n", "shoal.yaml:1: ready"},
      {"http: { drain_delay: -1s }\n", "shoal.yaml:1: http.drain_delay"},
  };
  for (const auto& k : cases) {
    Result<Config> c = ParseConfig(std::string(k.yaml) + kBase, "shoal.yaml");
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_NE(c.status().message().find(k.message), std::string_view::npos)
        << k.yaml << " -> " << c.status().message();
  }
}

}  // namespace
}  // namespace shoal::cli

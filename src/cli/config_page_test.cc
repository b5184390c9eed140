// Config tests for keyset pagination: an endpoint's `page:` section and the top-level
// `cursor_secret_env` (api/page.h, api/cursor.h). Errors name file:line; the checks against
// the query (page.by a result column, the markers) are the router's (api/page_test.cc).
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "cli/config.h"

namespace shoal::cli {
namespace {

const std::string kHead =
    "store:\n  sqlite: { path: x.db }\nendpoints:\n  - route: /a\n    query: SELECT 1\n"
    "    ttl: 1s\n    result: many\n";

std::string Error(std::string_view text) {
  Result<Config> c = ParseConfig(text, "conf/shoal.yaml");
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(ConfigPageTest, PageIsRead) {
  Result<Config> c = ParseConfig(
      kHead + "    page: { by: sku, type: string, size: 5, max: 9, order: desc, start: zz }\n",
      "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const api::EndpointOptions& e = c->api.endpoints.at(0);
  ASSERT_TRUE(e.page);
  EXPECT_EQ(e.page->by, "sku");
  EXPECT_EQ(e.page->type, api::ParamType::kString);
  EXPECT_EQ(e.page->size, 5);
  EXPECT_EQ(e.page->max, 9);
  EXPECT_TRUE(e.page->descending);
  EXPECT_EQ(e.page->start, "zz");
  EXPECT_EQ(e.page->line, 8);

  Result<Config> d = ParseConfig(kHead + "    page: { by: id }\n", "conf/shoal.yaml");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const api::PageOptions& p = *d->api.endpoints.at(0).page;
  EXPECT_EQ(p.type, api::ParamType::kInt);
  EXPECT_EQ(p.size, 20);
  EXPECT_EQ(p.max, 100);
  EXPECT_FALSE(p.descending);
  EXPECT_FALSE(p.start);
  EXPECT_TRUE(d->api.cursor_secret.empty());  // a random key per process
}

TEST(ConfigPageTest, PageErrorsNameTheirLine) {
  EXPECT_EQ(Error(kHead + "    page: { size: 5 }\n"),
            "conf/shoal.yaml:8: page: needs 'by' (the result column pages are keyed on)");
  EXPECT_EQ(Error(kHead + "    page: { by: id, size: 50, max: 10 }\n"),
            "conf/shoal.yaml:8: page.size: 50 is above page.max (10)");
  EXPECT_EQ(Error(kHead + "    page:\n      by: id\n      max: 0\n"),
            "conf/shoal.yaml:10: page.max: 0 is outside 1..100000000");
  EXPECT_EQ(Error(kHead + "    page: { by: id, order: sideways }\n"),
            "conf/shoal.yaml:8: page.order: expected asc or desc, got 'sideways'");
  EXPECT_EQ(Error(kHead + "    page: { by: id, type: float }\n"),
            "conf/shoal.yaml:8: page.type: expected int or string, got 'float'");
  EXPECT_EQ(Error(kHead + "    page: { by: id, after: 3 }\n"),
            "conf/shoal.yaml:8: page: unknown key 'after' (known: by, type, size, max, order, "
            "start)");
}

TEST(ConfigPageTest, CursorSecretComesFromTheEnvironmentOrTheClusterSecret) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the test is single-threaded.
  ASSERT_EQ(setenv("SHOAL_CONFIG_PAGE_SECRET", "sixteen-chars-or-more", 1), 0);
  Result<Config> c =
      ParseConfig("cursor_secret_env: SHOAL_CONFIG_PAGE_SECRET\n" + kHead, "conf/shoal.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->api.cursor_secret, "sixteen-chars-or-more");
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the test is single-threaded.
  ASSERT_EQ(setenv("SHOAL_CONFIG_PAGE_SHORT", "short", 1), 0);
  EXPECT_EQ(Error("cursor_secret_env: SHOAL_CONFIG_PAGE_SHORT\n" + kHead),
            "conf/shoal.yaml:1: cursor_secret_env: use at least 16 characters (it signs page "
            "cursors)");
  EXPECT_EQ(Error("cursor_secret_env: SHOAL_CONFIG_PAGE_UNSET_VARIABLE\n" + kHead),
            "conf/shoal.yaml:1: cursor_secret_env: the environment has no "
            "SHOAL_CONFIG_PAGE_UNSET_VARIABLE");

  Result<Config> cluster = ParseConfig(
      "listen: 127.0.0.1:0\ncluster:\n  self: 127.0.0.1:7001\n  peers: [127.0.0.1:7001]\n"
      "  secret: a-cluster-secret-of-32-characters\n" +
          kHead,
      "conf/shoal.yaml");
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  EXPECT_EQ(cluster->api.cursor_secret, "a-cluster-secret-of-32-characters");
}

}  // namespace
}  // namespace shoal::cli

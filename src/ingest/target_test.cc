// Target parsing: sqlite:PATH, cassandra:HOST[:PORT]/KEYSPACE (through base/host_port.h) and
// the credentials from the environment.
#include "ingest/target.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace shoal::ingest {
namespace {

TEST(CassandraTargetTest, HostPortKeyspaceAndCredentials) {
  // This test runs on one thread: nothing reads the environment while it changes.
  // NOLINTBEGIN(concurrency-mt-unsafe)
  ::unsetenv("SHOAL_CASSANDRA_USER");
  ::unsetenv("SHOAL_CASSANDRA_PASSWORD");
  // NOLINTEND(concurrency-mt-unsafe)
  Result<CassandraTarget> t = ParseCassandraTarget("db1.example/shop");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->host, "db1.example");
  EXPECT_EQ(t->port, 9042);
  EXPECT_EQ(t->keyspace, "shop");
  EXPECT_EQ(t->user, "");

  // NOLINTBEGIN(concurrency-mt-unsafe)
  ::setenv("SHOAL_CASSANDRA_USER", "loader", 1);
  ::setenv("SHOAL_CASSANDRA_PASSWORD", "s3cret", 1);
  t = ParseCassandraTarget("127.0.0.1:19042/shoal_catalog");
  ::unsetenv("SHOAL_CASSANDRA_USER");
  ::unsetenv("SHOAL_CASSANDRA_PASSWORD");
  // NOLINTEND(concurrency-mt-unsafe)
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 19042);
  EXPECT_EQ(t->keyspace, "shoal_catalog");
  EXPECT_EQ(t->user, "loader");
  EXPECT_EQ(t->password, "s3cret");

  t = ParseCassandraTarget("[::1]:9043/ks");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, 9043);
  t = ParseCassandraTarget("[::1]/ks");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->port, 9042);

  for (const char* bad : {"host", "host/", "/ks", "h:0/ks", "h:99999/ks", "h:x/ks", "::1/ks",
                          "[::1/ks", "h/k-s", "h/ks/more", "h:/ks"}) {
    EXPECT_FALSE(ParseCassandraTarget(bad).ok()) << bad;
  }
  Result<CassandraTarget> v6 = ParseCassandraTarget("::1/ks");
  EXPECT_NE(v6.status().message().find("[::1]"), std::string_view::npos) << v6.status().message();
}

TEST(TargetTest, SqliteOrCassandra) {
  Result<Target> t = ParseTarget("sqlite:/tmp/x.db");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->sqlite_path, "/tmp/x.db");
  EXPECT_FALSE(t->cassandra);
  t = ParseTarget("cassandra:h:9050/ks");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->cassandra);
  EXPECT_EQ(t->cassandra->port, 9050);
  for (const char* bad : {"sqlite:", "mysql:x", "", "cassandra:h"}) {
    EXPECT_FALSE(ParseTarget(bad).ok()) << bad;
  }
  EXPECT_NE(ParseTarget("mysql:x").status().message().find("expected sqlite:PATH"),
            std::string_view::npos);
}

}  // namespace
}  // namespace shoal::ingest

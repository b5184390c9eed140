// SqliteStore's page cache bound (SqliteOptions::page_cache) over a real SQLite file of about
// 4 MiB: a query that reads every page leaves each worker's page cache within the bound, while
// the same query under a bound larger than the file keeps far more, so the bound (not the
// query) is what limits it. A bound under 1 KiB is refused.
#include <string>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::store {
namespace {

using testing::QuerySync;
using testing::TempDir;
using testing::Writer;

constexpr int kRows = 20000;  // of about 200 bytes each: some 1,000 pages of 4 KiB
constexpr size_t kBound = size_t{64} << 10;
// SQLite sizes the cache in whole pages (with their headers) and reports the cache's own
// bookkeeping too (some 250 bytes): within one page of the bound is within it.
constexpr uint64_t kSlack = 4096;

class SqliteStoreMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("memory.db");
    Writer(path_).Exec(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, pad TEXT NOT NULL);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
        std::to_string(kRows) + ") INSERT INTO big SELECT i, hex(randomblob(100)) FROM n;");
  }

  // CacheAfterScan opens a store with `page_cache` bytes per connection, reads every row
  // (twice: a second pass would be served from the cache if it were large enough) and
  // returns what its worker connections' page caches hold afterwards.
  uint64_t CacheAfterScan(size_t page_cache, int threads) {
    auto store = SqliteStore::Open({.path = path_, .threads = threads, .page_cache = page_cache});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return 0;
    auto info = (*store)->Prepare("SELECT count(*), sum(length(pad)) FROM big WHERE id > :min");
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) return 0;
    for (int pass = 0; pass < 2 * threads; ++pass) {
      Result<Rows> rows = QuerySync(**store, info->id, {int64_t{0}});
      EXPECT_TRUE(rows.ok()) << rows.status().ToString();
      if (!rows.ok()) return 0;
      EXPECT_EQ(rows->rows[0][0], Value(int64_t{kRows}));
    }
    return (*store)->page_cache_bytes();
  }

  TempDir dir_;
  std::string path_;
};

TEST_F(SqliteStoreMemoryTest, ScanKeepsThePageCacheWithinItsBound) {
  const uint64_t used = CacheAfterScan(kBound, 1);
  EXPECT_GT(used, kBound / 2);  // the scan did fill it
  EXPECT_LE(used, kBound + kSlack);
}

TEST_F(SqliteStoreMemoryTest, EveryWorkerIsBounded) {
  // The queue is shared, so a worker may have run any number of the scans; together the
  // two stay within twice the bound.
  EXPECT_LE(CacheAfterScan(kBound, 2), 2 * (kBound + kSlack));
}

TEST_F(SqliteStoreMemoryTest, WithoutATightBoundTheScanKeepsMuchMore) {
  // 8 MiB is more than the file: the cache keeps (nearly) every page read.
  EXPECT_GT(CacheAfterScan(size_t{8} << 20, 1), uint64_t{2} << 20);
}

TEST_F(SqliteStoreMemoryTest, ABoundUnderOneKibIsRefused) {
  auto store = SqliteStore::Open({.path = path_, .threads = 1, .page_cache = 512});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("page_cache"), std::string::npos);
}

}  // namespace
}  // namespace shoal::store

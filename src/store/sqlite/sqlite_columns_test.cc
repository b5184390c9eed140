// Tests for sqlite_columns.h through SqliteStore::Prepare: the column types reported from
// declared types, and the NOT NULL promises (kept for plain table columns, withdrawn for
// computed columns, outer joins, compound selects, aggregates and views).
#include "store/sqlite/sqlite_columns.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::store {
namespace {

using testing::TempDir;
using testing::Writer;

TEST(SqliteColumns, AffinityType) {
  EXPECT_EQ(AffinityType(""), ColumnType::kAny);
  EXPECT_EQ(AffinityType("INTEGER"), ColumnType::kInteger);
  EXPECT_EQ(AffinityType("bigint"), ColumnType::kInteger);
  EXPECT_EQ(AffinityType("VARCHAR(20)"), ColumnType::kString);
  EXPECT_EQ(AffinityType("text"), ColumnType::kString);
  EXPECT_EQ(AffinityType("CLOB"), ColumnType::kString);
  EXPECT_EQ(AffinityType("BLOB"), ColumnType::kBase64);
  EXPECT_EQ(AffinityType("REAL"), ColumnType::kNumber);
  EXPECT_EQ(AffinityType("DOUBLE PRECISION"), ColumnType::kNumber);
  EXPECT_EQ(AffinityType("NUMERIC"), ColumnType::kNumber);
  EXPECT_EQ(AffinityType("BOOLEAN"), ColumnType::kNumber);
  // SQLite's own rule order: "CHARINT" has INT, so it is an integer.
  EXPECT_EQ(AffinityType("CHARINT"), ColumnType::kInteger);
}

TEST(SqliteColumns, QueryMayAddNulls) {
  EXPECT_FALSE(QueryMayAddNulls("SELECT a, b FROM t WHERE id = :id", {}));
  EXPECT_FALSE(QueryMayAddNulls("SELECT a FROM t JOIN u ON t.x = u.x", {}));
  EXPECT_TRUE(QueryMayAddNulls("SELECT a FROM t left join u ON t.x = u.x", {}));
  EXPECT_TRUE(QueryMayAddNulls("SELECT a FROM t UNION ALL SELECT b FROM u", {}));
  EXPECT_TRUE(QueryMayAddNulls("SELECT a, count (*) FROM t", {}));
  // A column named like an aggregate is not a call.
  EXPECT_FALSE(QueryMayAddNulls("SELECT total, max_price FROM t", {}));
  EXPECT_TRUE(QueryMayAddNulls("SELECT a FROM Catalog", {"catalog"}));
  EXPECT_FALSE(QueryMayAddNulls("SELECT a FROM catalogs", {"catalog"}));
}

class SqliteColumnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("columns.db");
    Writer(path_).Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, "
        "photo BLOB NOT NULL, tags);"
        "CREATE TABLE codes (code VARCHAR(8) PRIMARY KEY, label TEXT);"
        "CREATE TABLE reviews (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, body TEXT);"
        "CREATE VIEW item_reviews AS SELECT items.name, reviews.item_id FROM items "
        "LEFT JOIN reviews ON reviews.item_id = items.id;");
    auto store = SqliteStore::Open({.path = path_, .threads = 1});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  std::vector<ColumnMeta> Meta(std::string_view query) {
    auto info = store_->Prepare(query);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) return {};
    EXPECT_EQ(info->column_meta.size(), info->columns.size());
    return info->column_meta;
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteColumnsTest, TableColumns) {
  const auto m = Meta(
      "SELECT id, name, price, photo, tags, code FROM items JOIN codes ON label = name "
      "WHERE id = :id");
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0], (ColumnMeta{ColumnType::kInteger, true}));  // INTEGER PRIMARY KEY: the rowid
  EXPECT_EQ(m[1], (ColumnMeta{ColumnType::kString, true}));
  EXPECT_EQ(m[2], (ColumnMeta{ColumnType::kNumber, false}));
  EXPECT_EQ(m[3], (ColumnMeta{ColumnType::kBase64, true}));
  EXPECT_EQ(m[4], (ColumnMeta{ColumnType::kAny, false}));     // declared without a type
  EXPECT_EQ(m[5], (ColumnMeta{ColumnType::kString, false}));  // a non-integer key may be NULL
}

TEST_F(SqliteColumnsTest, ComputedColumnsPromiseNothing) {
  const auto m = Meta("SELECT name AS label, length(name) AS n, 1 + id AS next FROM items");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0], (ColumnMeta{ColumnType::kString, true}));  // renamed, still the column
  EXPECT_EQ(m[1], (ColumnMeta{ColumnType::kAny, false}));
  EXPECT_EQ(m[2], (ColumnMeta{ColumnType::kAny, false}));
}

TEST_F(SqliteColumnsTest, OuterJoinsAggregatesAndViewsWithdrawNotNull) {
  EXPECT_EQ(Meta("SELECT r.item_id FROM items i LEFT JOIN reviews r ON r.item_id = i.id")[0],
            (ColumnMeta{ColumnType::kInteger, false}));
  EXPECT_EQ(Meta("SELECT r.item_id FROM items i JOIN reviews r ON r.item_id = i.id")[0],
            (ColumnMeta{ColumnType::kInteger, true}));
  EXPECT_EQ(Meta("SELECT name, count(*) AS n FROM items")[0],
            (ColumnMeta{ColumnType::kString, false}));
  EXPECT_EQ(Meta("SELECT name FROM items UNION SELECT body FROM reviews")[0].not_null, false);
  EXPECT_EQ(Meta("SELECT item_id FROM item_reviews")[0], (ColumnMeta{ColumnType::kInteger, false}));
}

}  // namespace
}  // namespace shoal::store

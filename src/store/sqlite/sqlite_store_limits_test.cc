// SqliteStore's QueryLimits (store.h) over a real SQLite file of 1000 rows: a first-row-only
// query steps once (rows_read shows where the store stopped), an answer past max_rows or
// max_bytes is AnswerTooLarge after reading at most one row past the cap, and an answer
// within its caps comes back whole.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::store {
namespace {

using std::chrono::seconds;
using testing::ItemsSql;
using testing::QuerySync;
using testing::TempDir;
using testing::Writer;

constexpr int64_t kItems = 1000;

class SqliteStoreLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = dir_.File("limits.db");
    Writer(path).Exec(ItemsSql(kItems, "1.5"));
    auto store = SqliteStore::Open({.path = path, .threads = 1});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto info = store_->Prepare("SELECT id, name FROM items WHERE price > :min ORDER BY id");
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    id_ = info->id;
  }

  // Run queries every item and returns the answer and how many rows the store stepped.
  Result<Rows> Run(QueryLimits limits, uint64_t* stepped) {
    const uint64_t before = store_->rows_read();
    Result<Rows> rows = QuerySync(*store_, id_, {int64_t{0}}, seconds(5), seconds(20), limits);
    *stepped = store_->rows_read() - before;
    return rows;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  size_t id_ = 0;
};

TEST_F(SqliteStoreLimitsTest, FirstRowOnlyStepsOnce) {
  uint64_t stepped = 0;
  Result<Rows> rows = Run(QueryLimits{.first_row_only = true}, &stepped);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][0], Value(int64_t{1}));
  EXPECT_EQ(stepped, 1u);
  // Without the flag, the same query reads every row: the count above is the store's doing.
  rows = Run(QueryLimits{}, &stepped);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows.size(), static_cast<size_t>(kItems));
  EXPECT_EQ(stepped, static_cast<uint64_t>(kItems));
}

TEST_F(SqliteStoreLimitsTest, MoreRowsThanMaxRowsIsAnswerTooLargeAfterOneRowPastTheCap) {
  uint64_t stepped = 0;
  Result<Rows> rows = Run(QueryLimits{.max_rows = 10}, &stepped);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kResourceExhausted) << rows.status().ToString();
  EXPECT_TRUE(IsAnswerTooLarge(rows.status())) << rows.status().ToString();
  EXPECT_EQ(stepped, 11u);
  // Exactly at the cap is fine.
  rows = Run(QueryLimits{.max_rows = static_cast<size_t>(kItems)}, &stepped);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows.size(), static_cast<size_t>(kItems));
}

TEST_F(SqliteStoreLimitsTest, MoreBytesThanMaxBytesIsAnswerTooLarge) {
  // Rows 1-9 count 14 bytes each (an id: 8; "item-N": 6): the 8th row passes 100 bytes.
  uint64_t stepped = 0;
  Result<Rows> rows = Run(QueryLimits{.max_bytes = 100}, &stepped);
  ASSERT_FALSE(rows.ok());
  EXPECT_TRUE(IsAnswerTooLarge(rows.status())) << rows.status().ToString();
  EXPECT_EQ(stepped, 8u);
  rows = Run(QueryLimits{.max_bytes = 100, .first_row_only = true}, &stepped);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows.size(), 1u);
}

TEST(AnswerTooLargeTest, IsToldApartFromAFullQueue) {
  EXPECT_TRUE(IsAnswerTooLarge(AnswerTooLarge("more than 3 rows")));
  EXPECT_EQ(AnswerTooLarge("x").code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(IsAnswerTooLarge(Status::ResourceExhausted("sqlite: query queue full")));
  EXPECT_FALSE(IsAnswerTooLarge(Status::Internal("answer too large: x")));
}

}  // namespace
}  // namespace shoal::store

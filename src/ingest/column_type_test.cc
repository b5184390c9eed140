// Column kinds from declared types, and the conversion of source values to them.
#include "ingest/column_type.h"

#include <bit>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace shoal::ingest {
namespace {

TEST(ColumnTypeTest, SqliteAffinityRules) {
  EXPECT_EQ(SqliteColumnKind("INTEGER"), ColumnKind::kInteger);
  EXPECT_EQ(SqliteColumnKind("bigint"), ColumnKind::kInteger);
  EXPECT_EQ(SqliteColumnKind("POINT"), ColumnKind::kInteger);  // "INT" anywhere, as SQLite
  EXPECT_EQ(SqliteColumnKind("VARCHAR(10)"), ColumnKind::kText);
  EXPECT_EQ(SqliteColumnKind("text"), ColumnKind::kText);
  EXPECT_EQ(SqliteColumnKind(""), ColumnKind::kAny);
  EXPECT_EQ(SqliteColumnKind("BLOB"), ColumnKind::kAny);
  EXPECT_EQ(SqliteColumnKind("REAL"), ColumnKind::kReal);
  EXPECT_EQ(SqliteColumnKind("Double Precision"), ColumnKind::kReal);
  EXPECT_EQ(SqliteColumnKind("FLOAT"), ColumnKind::kReal);
  EXPECT_EQ(SqliteColumnKind("NUMERIC"), ColumnKind::kNumeric);
  EXPECT_EQ(SqliteColumnKind("DECIMAL(10,2)"), ColumnKind::kNumeric);
  EXPECT_EQ(SqliteColumnKind("DATE"), ColumnKind::kNumeric);
}

const TargetColumn kInt{"id", "INTEGER", ColumnKind::kInteger};
const TargetColumn kReal{"price", "REAL", ColumnKind::kReal};
const TargetColumn kNumeric{"n", "NUMERIC", ColumnKind::kNumeric};
const TargetColumn kText{"t", "TEXT", ColumnKind::kText};

// Convert returns the converted value, or the error's message as a string Value prefixed
// with "error: ".
store::Value Convert(store::Value v, const TargetColumn& c, bool text) {
  Status s = ConvertValue(&v, c, text);
  if (!s.ok()) return std::string("error: ") + std::string(s.message());
  return v;
}

TEST(ColumnTypeTest, TextIsParsedByTheColumnsType) {
  using V = store::Value;
  EXPECT_EQ(Convert(V(std::string("-9223372036854775808")), kInt, true), V(INT64_MIN));
  EXPECT_EQ(Convert(V(std::string("1e3")), kInt, true), V(int64_t{1000}));
  EXPECT_EQ(Convert(V(std::string("1.5")), kInt, true),
            V(std::string("error: column 'id' (INTEGER): '1.5' is not a 64-bit integer")));
  EXPECT_EQ(Convert(V(std::string("9223372036854775808")), kInt, true),
            V(std::string("error: column 'id' (INTEGER): '9223372036854775808' is not a 64-bit "
                          "integer")));
  EXPECT_EQ(Convert(V(std::string("")), kInt, true),
            V(std::string("error: column 'id' (INTEGER): '' is not a 64-bit integer")));
  EXPECT_EQ(Convert(V(std::string("0.1")), kReal, true), V(0.1));
  EXPECT_EQ(std::bit_cast<uint64_t>(std::get<double>(Convert(V(std::string("-0")), kReal, true))),
            std::bit_cast<uint64_t>(-0.0));
  EXPECT_EQ(Convert(V(std::string("4.9406564584124654e-324")), kReal, true),
            V(4.9406564584124654e-324));
  EXPECT_EQ(Convert(V(std::string("abc")), kReal, true),
            V(std::string("error: column 'price' (REAL): 'abc' is not a number")));
  EXPECT_EQ(Convert(V(std::string(100, 'x')), kReal, true),
            V(std::string("error: column 'price' (REAL): '" + std::string(64, 'x') +
                          "...' is not a number")));
  EXPECT_EQ(Convert(V(std::string("12")), kNumeric, true), V(int64_t{12}));
  EXPECT_EQ(Convert(V(std::string("1.25")), kNumeric, true), V(1.25));
  EXPECT_EQ(Convert(V(std::string("2024-05-01")), kNumeric, true), V(std::string("2024-05-01")));
  EXPECT_EQ(Convert(V(std::string("12")), kText, true), V(std::string("12")));
  EXPECT_EQ(Convert(V(), kInt, true), V());  // null stays null
}

TEST(ColumnTypeTest, TypedValuesAreCheckedNotReparsed) {
  using V = store::Value;
  EXPECT_EQ(Convert(V(2.0), kInt, false), V(int64_t{2}));
  EXPECT_EQ(Convert(V(-0.0), kInt, false), V(int64_t{0}));
  EXPECT_EQ(Convert(V(1.5), kInt, false),
            V(std::string("error: column 'id' (INTEGER): 1.5 is not an integer")));
  EXPECT_EQ(Convert(V(1e19), kInt, false),
            V(std::string("error: column 'id' (INTEGER): 1e+19 is not an integer")));
  EXPECT_EQ(Convert(V(-9223372036854775808.0), kInt, false), V(INT64_MIN));
  EXPECT_EQ(Convert(V(int64_t{7}), kReal, false), V(int64_t{7}));  // the database converts
  // A JSON string is a string: the database decides what it makes of it.
  EXPECT_EQ(Convert(V(std::string("abc")), kInt, false), V(std::string("abc")));
  EXPECT_EQ(Convert(V(1.5), TargetColumn{"x", "", ColumnKind::kAny}, false), V(1.5));
}

TEST(ColumnTypeTest, ConvertRowStopsAtTheFirstBadValue) {
  std::vector<store::Value> row = {std::string("1"), std::string("x")};
  Status s = ConvertRow(&row, {kInt, kReal}, true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "column 'price' (REAL): 'x' is not a number");
  row = {std::string("1"), std::string("2.5")};
  ASSERT_TRUE(ConvertRow(&row, {kInt, kReal}, true).ok());
  EXPECT_EQ(row, (std::vector<store::Value>{int64_t{1}, 2.5}));
}

}  // namespace
}  // namespace shoal::ingest

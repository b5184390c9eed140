// Numbers survive ingestion into SQLite bit for bit (issue 12, item 7): 20,000 doubles and
// 64-bit integers (roundtrip_test_util.h), written as JSONL and as CSV, loaded through the
// ingest layer and read back with sqlite3_column_double / sqlite3_column_int64.
//
// The one exception is SQLite's own: a REAL column does not keep the sign of zero. SQLite
// stores a REAL value that is integral as an integer in the record (a space optimisation) and
// turns it back into a REAL on reading, so -0.0 comes back as +0.0 (SQLite 3.40;
// SignOfZeroIsSQLitesToKeepNot shows it without shoal). A column with no declared type keeps
// -0.0, but a typed REAL column is what tables declare, so that is what is tested, with -0.0
// expected back as +0.0.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "ingest/ingest_test_util.h"
#include "ingest/load.h"
#include "ingest/roundtrip_test_util.h"
#include "ingest/source.h"
#include "ingest/sqlite_writer.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::ingest {
namespace {

using testing::Bits;
using testing::NumberRow;
using testing::TempDir;

constexpr size_t kRows = 20000;

TEST(NumberRoundTripTest, SignOfZeroIsSQLitesToKeepNot) {
  TempDir dir;
  store::testing::Writer w(dir.File("z.db"));
  w.Exec("CREATE TABLE z (r REAL, a)");
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(w.db(), "INSERT INTO z VALUES (?1, ?1)", -1, &st, nullptr),
            SQLITE_OK);
  sqlite3_bind_double(st, 1, -0.0);
  ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(w.db(), "SELECT r, a FROM z", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_FALSE(std::signbit(sqlite3_column_double(st, 0)));  // REAL: +0.0
  EXPECT_TRUE(std::signbit(sqlite3_column_double(st, 1)));   // no type: -0.0 kept
  sqlite3_finalize(st);
}

class NumberRoundTripTest : public ::testing::TestWithParam<FileFormat> {};

TEST_P(NumberRoundTripTest, DoublesAndInt64sComeBackBitForBit) {
  const std::vector<NumberRow> rows = testing::NumberRows(kRows);
  TempDir dir;
  const std::string db = dir.File("n.db");
  {
    store::testing::Writer w(db);
    w.Exec("CREATE TABLE n (id INTEGER PRIMARY KEY, d REAL, i INTEGER)");
  }
  const bool csv = GetParam() == FileFormat::kCsv;
  const std::string path = dir.Write(csv ? "n.csv" : "n.jsonl",
                                     csv ? testing::NumbersCsv(rows) : testing::NumbersJsonl(rows));
  auto source = OpenFileSource(path, GetParam(), {});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto writer = OpenSqliteWriter(db);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  Result<LoadReport> report = Load(**source, **writer, "n", [](uint64_t, uint64_t) {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->rejected, 0u) << report->first_rejects.front().reason;
  ASSERT_EQ(report->written, kRows);

  store::testing::Writer w(db);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(w.db(), "SELECT id, d, i FROM n ORDER BY id", -1, &st, nullptr),
            SQLITE_OK);
  size_t k = 0;
  size_t differ = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ASSERT_LT(k, rows.size());
    const NumberRow& want = rows[k++];
    ASSERT_EQ(sqlite3_column_int64(st, 0), want.id);
    // SQLite keeps no -0.0 in a REAL column (see the top of this file).
    const double expected = want.d == 0 ? 0.0 : want.d;
    if (Bits(sqlite3_column_double(st, 1)) != Bits(expected) ||
        sqlite3_column_int64(st, 2) != want.i) {
      if (++differ <= 5) {
        ADD_FAILURE() << "row " << want.id << ": wrote " << testing::DoubleText(want) << " and "
                      << want.i << ", read " << sqlite3_column_double(st, 1) << " and "
                      << sqlite3_column_int64(st, 2);
      }
    }
  }
  sqlite3_finalize(st);
  EXPECT_EQ(k, kRows);
  EXPECT_EQ(differ, 0u);
}

INSTANTIATE_TEST_SUITE_P(Formats, NumberRoundTripTest,
                         ::testing::Values(FileFormat::kJsonl, FileFormat::kCsv),
                         [](const auto& param_info) {
                           return param_info.param == FileFormat::kCsv ? "Csv" : "Jsonl";
                         });

}  // namespace
}  // namespace shoal::ingest

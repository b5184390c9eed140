// OpenSqlite: each mode's flags and pragmas, as read back from the connection, and its errors.
#include "store/sqlite/sqlite_open.h"

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/sqlite_test_util.h"

namespace shoal::store {
namespace {

using testing::TempDir;

// Pragma reads one pragma's value as text.
std::string Pragma(sqlite3* db, const std::string& name) {
  sqlite3_stmt* st = nullptr;
  std::string out = "?";
  if (sqlite3_prepare_v2(db, ("PRAGMA " + name).c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    out = text != nullptr ? reinterpret_cast<const char*>(text) : "";
  }
  sqlite3_finalize(st);
  return out;
}

int Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

// BusyTimeout reads the busy timeout back: PRAGMA busy_timeout answers with it.
int BusyTimeout(sqlite3* db) { return std::stoi(Pragma(db, "busy_timeout")); }

TEST(SqliteOpenTest, FixtureCreatesAFileAndWaitsFiveSecondsForLocks) {
  TempDir dir;
  Result<SqliteHandle> db = OpenSqlite(dir.File("f.db"), SqliteMode::kFixture);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(BusyTimeout(db->get()), 5000);
  EXPECT_EQ(Pragma(db->get(), "journal_mode"), "delete");  // the default journal
  EXPECT_EQ(Exec(db->get(), "CREATE TABLE t (a)"), SQLITE_OK);
  EXPECT_EQ(db->Close(), SQLITE_OK);
  EXPECT_FALSE(*db);
}

TEST(SqliteOpenTest, ServeIsReadOnlyAndQueryOnly) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  ASSERT_TRUE(OpenSqlite(path, SqliteMode::kFixture).ok());  // creates an empty database
  Result<SqliteHandle> db = OpenSqlite(path, SqliteMode::kServe);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(BusyTimeout(db->get()), 2000);
  EXPECT_EQ(Pragma(db->get(), "query_only"), "1");
  EXPECT_EQ(sqlite3_db_readonly(db->get(), "main"), 1);
  EXPECT_NE(Exec(db->get(), "CREATE TABLE t (a)"), SQLITE_OK);

  // Nothing is created, and a file that is not a database says so.
  Result<SqliteHandle> missing = OpenSqlite(dir.File("none.db"), SqliteMode::kServe);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(missing.status().message().find("none.db"), std::string_view::npos);
  std::ofstream(dir.File("text.db")) << "this is not a database, not at all, not even close\n";
  Result<SqliteHandle> text = OpenSqlite(dir.File("text.db"), SqliteMode::kServe);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(text.status().message().find("is not a database"), std::string_view::npos);
}

TEST(SqliteOpenTest, LoadWritesAnExistingFileInWalMode) {
  TempDir dir;
  const std::string path = dir.File("l.db");
  Result<SqliteHandle> missing = OpenSqlite(path, SqliteMode::kLoad);
  ASSERT_FALSE(missing.ok());
  EXPECT_FALSE(std::filesystem::exists(path));  // creates nothing

  ASSERT_TRUE(OpenSqlite(path, SqliteMode::kFixture).ok());
  Result<SqliteHandle> db = OpenSqlite(path, SqliteMode::kLoad);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(BusyTimeout(db->get()), 5000);
  EXPECT_EQ(Pragma(db->get(), "journal_mode"), "wal");
  EXPECT_EQ(Exec(db->get(), "CREATE TABLE t (a)"), SQLITE_OK);
  *db = SqliteHandle();  // closes

  // A write-protected file opens read-only under READWRITE: refused up front. (Root can write
  // anything, so there is nothing to see when the tests run as root.)
  ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
  if (::geteuid() != 0) {
    Result<SqliteHandle> protected_db = OpenSqlite(path, SqliteMode::kLoad);
    ASSERT_FALSE(protected_db.ok());
    EXPECT_NE(protected_db.status().message().find("read-only"), std::string_view::npos);
  }
}

TEST(SqliteOpenTest, BuildTradesSafetyForSpeed) {
  TempDir dir;
  Result<SqliteHandle> db = OpenSqlite(dir.File("b.db"), SqliteMode::kBuild);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(Pragma(db->get(), "journal_mode"), "off");
  EXPECT_EQ(Pragma(db->get(), "synchronous"), "0");
  EXPECT_EQ(Pragma(db->get(), "locking_mode"), "exclusive");
}

TEST(SqliteOpenTest, HandleMovesAndCloseReportsBusy) {
  TempDir dir;
  Result<SqliteHandle> db = OpenSqlite(dir.File("h.db"), SqliteMode::kFixture);
  ASSERT_TRUE(db.ok());
  SqliteHandle moved = std::move(*db);
  EXPECT_FALSE(*db);
  ASSERT_TRUE(moved);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(moved.get(), "SELECT 1", -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(moved.Close(), SQLITE_BUSY);  // a statement is still open: the handle keeps it
  EXPECT_TRUE(moved);
  sqlite3_finalize(st);
  EXPECT_EQ(moved.Close(), SQLITE_OK);
}

}  // namespace
}  // namespace shoal::store

// Test helpers shared by the sqlite store tests (test code only; not part of any library).
//
// TempDir is base/test_temp_dir.h's. Writer is a read-write connection (sqlite_open.h's
// kFixture) for building fixtures, holding locks and reading rows back as text. QuerySync blocks
// on Store::Query; ItemsSql writes the table most tests query. Thread-safety: QuerySync may be
// called from any thread; the classes are not thread-safe.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/test_temp_dir.h"
#include "store/sqlite/sqlite_open.h"
#include "store/store.h"

namespace shoal::store::testing {

using shoal::testing::TempDir;

class Writer {
 public:
  explicit Writer(const std::string& path) {
    Result<SqliteHandle> db = OpenSqlite(path, SqliteMode::kFixture);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (db.ok()) db_ = std::move(db).value();
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  sqlite3* db() const { return db_.get(); }

  // Exec runs one or more statements and reports a failure to the running test.
  bool Exec(const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "") << " in: " << sql;
    sqlite3_free(error);
    return rc == SQLITE_OK;
  }

  // TextRows runs `sql` and returns each row as its cells' text joined by '|' (a NULL cell is
  // empty), reporting a statement that does not compile to the running test.
  std::vector<std::string> TextRows(const std::string& sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_.get()) << " in: " << sql;
    while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const unsigned char* text = sqlite3_column_text(st, c);
        if (c > 0) row += '|';
        if (text != nullptr) row += reinterpret_cast<const char*>(text);
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    return rows;
  }

 private:
  SqliteHandle db_;
};

// ItemsSql creates the tests' items table, ids 1..count, each named "item-ID" and priced
// ID * price_per_id.
inline std::string ItemsSql(int64_t count, std::string_view price_per_id) {
  return "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);"
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
         std::to_string(count) + ") INSERT INTO items SELECT i, 'item-' || i, i * " +
         std::string(price_per_id) + " FROM n;";
}

inline TimePoint In(Duration d) { return std::chrono::steady_clock::now() + d; }

// QuerySync runs one query and waits for its answer, failing the test (and returning
// Internal) if no answer comes within `wait`.
inline Result<Rows> QuerySync(Store& store, size_t id, std::vector<Value> params,
                              Duration timeout = std::chrono::seconds(5),
                              Duration wait = std::chrono::seconds(20),
                              QueryLimits limits = QueryLimits{}) {
  // Shared, so that a late callback after a failed wait still has somewhere to write.
  auto answer = std::make_shared<std::promise<Result<Rows>>>();
  auto future = answer->get_future();
  store.Query(id, std::move(params), limits, In(timeout),
              [answer](Result<Rows> rows) { answer->set_value(std::move(rows)); });
  if (future.wait_for(wait) != std::future_status::ready) {
    ADD_FAILURE() << "no answer from the store";
    return Status::Internal("no answer from the store");
  }
  return future.get();
}

}  // namespace shoal::store::testing

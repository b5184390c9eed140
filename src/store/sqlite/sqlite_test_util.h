// Test helpers shared by the sqlite store tests (test code only; not part of any library).
//
// TempDir owns a fresh directory and removes it with its contents. Writer is a read-write
// connection (sqlite_open.h's kFixture) for building fixtures and holding locks. QuerySync blocks
// on Store::Query. Thread-safety: QuerySync may be called from any thread; the classes are not
// thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "store/sqlite/sqlite_open.h"
#include "store/store.h"

namespace shoal::store::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "shoal-test-XXXXXX").string();
    const char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

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

 private:
  SqliteHandle db_;
};

inline TimePoint In(Duration d) { return std::chrono::steady_clock::now() + d; }

// QuerySync runs one query and waits for its answer, failing the test (and returning
// Internal) if no answer comes within `wait`.
inline Result<Rows> QuerySync(Store& store, size_t id, std::vector<Value> params,
                              Duration timeout = std::chrono::seconds(5),
                              Duration wait = std::chrono::seconds(20)) {
  // Shared, so that a late callback after a failed wait still has somewhere to write.
  auto answer = std::make_shared<std::promise<Result<Rows>>>();
  auto future = answer->get_future();
  store.Query(id, std::move(params), In(timeout),
              [answer](Result<Rows> rows) { answer->set_value(std::move(rows)); });
  if (future.wait_for(wait) != std::future_status::ready) {
    ADD_FAILURE() << "no answer from the store";
    return Status::Internal("no answer from the store");
  }
  return future.get();
}

}  // namespace shoal::store::testing

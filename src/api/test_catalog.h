// TestCatalog: a small catalog database (the schema of the shared workload's gen_catalog.py)
// in a fresh temporary directory, for the api tests. Test code only.
//
// The rows are few and known, chosen to exercise JSON rendering: quotes, backslashes,
// newlines, non-ASCII text and emoji, a NULL rating, tags that are valid JSON and tags that
// are not. Exec runs SQL on a read-write connection so that a test can change or break the
// database under a running store. The directory and its files go with the object. A failure
// to build the database is reported to the running gtest test.
// Thread-safety: not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "api/endpoint.h"
#include "base/test_temp_dir.h"
#include "store/sqlite/sqlite_store.h"

namespace shoal::api::testing {

// CatalogApiOptions returns the three catalog endpoints of the shared workload's SPEC.md, as
// examples/catalog configures them (lines 10, 20 and 30 of "catalog.yaml").
ApiOptions CatalogApiOptions();

class TestCatalog {
 public:
  TestCatalog();  // creates the directory and catalog.db with the known rows
  TestCatalog(const TestCatalog&) = delete;
  TestCatalog& operator=(const TestCatalog&) = delete;

  const std::string& path() const { return db_path_; }
  // error is "" or why the catalog could not be written (the tests that follow then fail on
  // the missing rows or a null store; they print this).
  const std::string& error() const { return error_; }
  // OpenStore opens a SqliteStore over the catalog with `threads` workers and `queue_limit`;
  // null (and a failure reported to the running test) if that fails.
  std::unique_ptr<store::SqliteStore> OpenStore(int threads, size_t queue_limit) const;
  // Exec runs `sql` on a new read-write connection; returns "" or SQLite's error message.
  std::string Exec(std::string_view sql) const;

 private:
  shoal::testing::TempDir dir_;
  std::string db_path_;
  std::string error_;
};

}  // namespace shoal::api::testing

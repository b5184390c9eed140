// OpenSqlite: the one way shoal opens a SQLite file, with the flags and pragmas of what the
// connection is for (SqliteMode), and SqliteHandle, which owns the connection.
//
// Each mode keeps what its user set before this file existed: serving reads a file it never
// writes, `shoal load` writes into a file a serving shoal may be reading, the demo builds a
// new file nobody reads yet, and test fixtures create and fill files.
//
// Ownership: a SqliteHandle owns one sqlite3 connection and closes it when destroyed (or on
// Close, which reports SQLite's answer). Thread-safety: OpenSqlite is thread-safe; a handle is
// used by one thread at a time (kServe and kBuild open with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <string>

#include "base/status.h"

struct sqlite3;  // <sqlite3.h> stays out of this header

namespace shoal::store {

enum class SqliteMode {
  // Serving (SqliteStore): read-only, never creates; busy timeout 2 s for the setup queries
  // (the store sets a per-query timeout later); PRAGMA query_only=1; a read of sqlite_master
  // proves the file is a database (InvalidArgument if it is not).
  kServe,
  // Loading (`shoal load`): read-write, the file must exist (nothing is created), refused if
  // SQLite falls back to read-only (a write-protected file); busy timeout 5 s and
  // journal_mode=WAL, so a serving shoal goes on reading while the load writes.
  kLoad,
  // Building a new file that nobody reads yet (the demo catalog): created if missing;
  // journal_mode=OFF, synchronous=OFF, locking_mode=EXCLUSIVE: the fastest writes, and a
  // crash leaves a file that is deleted and built again.
  kBuild,
  // Test fixtures and tools that set a file up: read-write, created if missing, the default
  // journal, busy timeout 5 s.
  kFixture,
};

// SqliteHandle owns one connection. Move-only.
class SqliteHandle {
 public:
  SqliteHandle() = default;
  explicit SqliteHandle(sqlite3* db) : db_(db) {}
  ~SqliteHandle();
  SqliteHandle(SqliteHandle&& other) noexcept : db_(other.release()) {}
  SqliteHandle& operator=(SqliteHandle&& other) noexcept;
  SqliteHandle(const SqliteHandle&) = delete;
  SqliteHandle& operator=(const SqliteHandle&) = delete;

  sqlite3* get() const { return db_; }
  explicit operator bool() const { return db_ != nullptr; }
  // release gives the connection up to the caller, who must close it.
  sqlite3* release() {
    sqlite3* db = db_;
    db_ = nullptr;
    return db;
  }
  // Close closes the connection now and returns sqlite3_close's code: SQLITE_BUSY (and the
  // handle keeps the connection) while statements of it are not finalized.
  int Close();

 private:
  sqlite3* db_ = nullptr;
};

// OpenSqlite opens `path` for `mode`. Errors (Unavailable unless said otherwise) start with
// "sqlite: " and name the path and SQLite's message.
Result<SqliteHandle> OpenSqlite(const std::string& path, SqliteMode mode);

}  // namespace shoal::store

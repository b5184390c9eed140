// OpenSqlite and SqliteHandle: see sqlite_open.h.
#include "store/sqlite/sqlite_open.h"

#include <utility>

#include <sqlite3.h>

namespace shoal::store {
namespace {

// Serving: how long the setup queries wait for a writer's lock before giving up.
constexpr int kServeBusyTimeoutMs = 2000;
// Loading and fixtures: a checkpoint or another writer's commit is ridden out.
constexpr int kWriteBusyTimeoutMs = 5000;

std::string Quoted(const std::string& path) { return "'" + path + "'"; }

// Exec runs `sql` and returns SQLite's code, with its message in *message on failure.
int Exec(sqlite3* db, const char* sql, std::string* message) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) *message = error != nullptr ? error : sqlite3_errmsg(db);
  sqlite3_free(error);
  return rc;
}

// CheckReadable reads the schema table: opening succeeds on any file, reading proves it is a
// database.
int CheckReadable(sqlite3* db) {
  sqlite3_stmt* check = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &check, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(check);
    if (rc == SQLITE_ROW) rc = SQLITE_OK;
  }
  sqlite3_finalize(check);
  return rc;
}

int Flags(SqliteMode mode) {
  switch (mode) {
    case SqliteMode::kServe:
      return SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
    case SqliteMode::kLoad:
      return SQLITE_OPEN_READWRITE;
    case SqliteMode::kBuild:
      return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    case SqliteMode::kFixture:
      return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  }
  return SQLITE_OPEN_READONLY;
}

// Configure sets the mode's timeouts and pragmas on a connection that opened.
Status Configure(sqlite3* db, const std::string& path, SqliteMode mode) {
  std::string message;
  switch (mode) {
    case SqliteMode::kServe: {
      sqlite3_busy_timeout(db, kServeBusyTimeoutMs);
      int rc = Exec(db, "PRAGMA query_only=1", &message);
      if (rc == SQLITE_OK) {
        rc = CheckReadable(db);
        if (rc != SQLITE_OK) message = sqlite3_errmsg(db);
      }
      if (rc == SQLITE_OK) return Status::Ok();
      if ((rc & 0xff) == SQLITE_NOTADB) {
        return Status::InvalidArgument("sqlite: " + Quoted(path) +
                                       " is not a database: " + message);
      }
      return Status::Unavailable("sqlite: cannot read " + Quoted(path) + ": " + message);
    }
    case SqliteMode::kLoad:
      // READWRITE quietly falls back to read-only on a write-protected file; every write
      // would then fail the same way, so refuse up front.
      if (sqlite3_db_readonly(db, "main") == 1) {
        return Status::Unavailable("sqlite: cannot open " + Quoted(path) +
                                   " for writing: the file is read-only");
      }
      sqlite3_busy_timeout(db, kWriteBusyTimeoutMs);
      if (Exec(db, "PRAGMA journal_mode=WAL", &message) != SQLITE_OK) {
        return Status::Unavailable("sqlite: PRAGMA journal_mode=WAL on " + Quoted(path) + ": " +
                                   message);
      }
      return Status::Ok();
    case SqliteMode::kBuild:
      if (Exec(db,
               "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;",
               &message) != SQLITE_OK) {
        return Status::Unavailable("sqlite: cannot set up " + Quoted(path) + ": " + message);
      }
      return Status::Ok();
    case SqliteMode::kFixture:
      sqlite3_busy_timeout(db, kWriteBusyTimeoutMs);
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

SqliteHandle::~SqliteHandle() { sqlite3_close(db_); }

SqliteHandle& SqliteHandle::operator=(SqliteHandle&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = other.release();
  }
  return *this;
}

int SqliteHandle::Close() {
  const int rc = sqlite3_close(db_);
  if (rc == SQLITE_OK) db_ = nullptr;
  return rc;
}

Result<SqliteHandle> OpenSqlite(const std::string& path, SqliteMode mode) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, Flags(mode), nullptr);
  SqliteHandle db(raw);  // closes `raw` on every early return, even after a failed open
  if (rc != SQLITE_OK) {
    return Status::Unavailable("sqlite: cannot open " + Quoted(path) + ": " +
                               (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  if (Status s = Configure(raw, path, mode); !s.ok()) return s;
  return db;
}

}  // namespace shoal::store

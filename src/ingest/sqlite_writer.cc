// The SQLite writer: see sqlite_writer.h.
//
// Invariant: pending_ holds the `done` of every row stepped since the transaction began and
// not yet committed; pending_.size() < kSqliteBatch between calls, which is what lets the
// driver, allowed kSqliteBatch unfinished writes, never wait for a callback that only a later
// Write fires.
#include "ingest/sqlite_writer.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "base/status.h"
#include "ingest/column_type.h"
#include "ingest/writer_internal.h"
#include "store/sqlite/sqlite_open.h"

namespace shoal::ingest {
namespace {

std::string ColumnText(sqlite3_stmt* st, int column) {
  const unsigned char* text = sqlite3_column_text(st, column);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

class SqliteWriter final : public RowWriter {
 public:
  SqliteWriter(store::SqliteHandle db, std::string path)
      : db_(std::move(db)), path_(std::move(path)) {}
  ~SqliteWriter() override {
    if (in_tx_) {
      (void)Exec("ROLLBACK");
      FailPending(Status::Cancelled("the load stopped before its transaction committed"));
    }
    sqlite3_finalize(insert_);
  }  // then db_ closes

  Status Begin(const std::string& table, const std::vector<std::string>& columns,
               bool values_are_text) override {
    const std::string sql = internal::InsertStatement("INSERT OR REPLACE INTO", table, columns);
    sqlite3_finalize(insert_);
    insert_ = nullptr;
    if (sqlite3_prepare_v2(db(), sql.c_str(), -1, &insert_, nullptr) != SQLITE_OK) {
      return Status::InvalidArgument("cannot load into table '" + table + "' of " + path_ + ": " +
                                     sqlite3_errmsg(db()));
    }
    text_ = values_are_text;
    return ReadColumnTypes(table, columns);
  }

  void Write(std::vector<store::Value> row, std::function<void(Status)> done) override {
    if (Status s = ConvertRow(&row, columns_, text_); !s.ok()) return done(s);
    if (!in_tx_) {
      // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a writer
      // elsewhere shows up as one clear error here rather than in the middle of a batch.
      if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return done(s);
      in_tx_ = true;
    }
    if (Status s = Bind(row); !s.ok()) {
      sqlite3_reset(insert_);
      sqlite3_clear_bindings(insert_);
      return done(s);
    }
    const int rc = sqlite3_step(insert_);
    std::optional<Status> error;
    if (rc != SQLITE_DONE) error = StepError(rc);
    sqlite3_reset(insert_);
    sqlite3_clear_bindings(insert_);  // the bindings point into `row`
    if (error) {
      // A constraint failure (ABORT, the default even under OR REPLACE for NOT NULL without
      // a default, CHECK and foreign keys) undoes this statement only and the transaction
      // goes on. Some errors (disk full, I/O) make SQLite roll the whole transaction back:
      // then the batch's earlier rows are lost too, and say so.
      if (sqlite3_get_autocommit(db()) != 0) {
        in_tx_ = false;
        FailPending(Status(error->code() == StatusCode::kUnavailable ? StatusCode::kUnavailable
                                                                     : StatusCode::kCancelled,
                           "SQLite rolled the transaction back: " + std::string(error->message())));
      }
      return done(*error);
    }
    pending_.push_back(std::move(done));
    if (pending_.size() >= kSqliteBatch) (void)Commit();
  }

  size_t concurrency() const override { return kSqliteBatch; }

  const std::vector<TargetColumn>* target_columns() const override { return &columns_; }

  Status Finish() override {
    if (!in_tx_) return Status::Ok();
    return Commit();
  }

 private:
  sqlite3* db() const { return db_.get(); }

  // StepError is a failed insert's reason: the row's (InvalidArgument: a constraint or a
  // trigger's RAISE, a value of the wrong type or size) or else the store's (Unavailable: the
  // disk, I/O, a lock, a broken file, the table dropped during the load).
  Status StepError(int rc) const {
    std::string message = sqlite3_errmsg(db()) + OsError();
    switch (rc & 0xff) {
      case SQLITE_CONSTRAINT:
      case SQLITE_MISMATCH:
      case SQLITE_TOOBIG:
      case SQLITE_RANGE:
        return Status::InvalidArgument(std::move(message));
      default:
        return Status::Unavailable(path_ + ": " + message);
    }
  }

  // OsError is " (the system's reason)" after an I/O or disk error, "" otherwise.
  std::string OsError() const {
    const int code = sqlite3_errcode(db()) & 0xff;
    const int err = sqlite3_system_errno(db());
    if (err == 0 || (code != SQLITE_IOERR && code != SQLITE_CANTOPEN)) {  // only those set it
      return "";
    }
    return " (" + ErrnoText(err) + ")";
  }

  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db(), sql, nullptr, nullptr, &error) != SQLITE_OK) {
      Status s = Status::Unavailable(std::string(sql) + " on " + path_ + ": " +
                                     (error ? error : sqlite3_errmsg(db())) + OsError());
      sqlite3_free(error);
      return s;
    }
    return Status::Ok();
  }

  // ReadColumnTypes finds the declared type of each of `columns` (names compare as SQLite
  // compares them, ignoring ASCII case). A rowid alias that is not a declared column binds
  // as an integer.
  Status ReadColumnTypes(const std::string& table, const std::vector<std::string>& columns) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db(), "SELECT name, type FROM pragma_table_xinfo(?1)", -1, &st,
                           nullptr) != SQLITE_OK) {
      return Status::Unavailable("cannot read the columns of '" + table + "' in " + path_ + ": " +
                                 sqlite3_errmsg(db()));
    }
    sqlite3_bind_text64(st, 1, table.data(), table.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    std::vector<std::pair<std::string, std::string>> declared;
    while (sqlite3_step(st) == SQLITE_ROW)
      declared.emplace_back(ColumnText(st, 0), ColumnText(st, 1));
    sqlite3_finalize(st);
    columns_.clear();
    for (const std::string& name : columns) {
      TargetColumn column{name, "", ColumnKind::kAny};
      bool found = false;
      for (const auto& [declared_name, type] : declared) {
        if (sqlite3_stricmp(declared_name.c_str(), name.c_str()) == 0) {
          column.declared = type;
          column.kind = SqliteColumnKind(type);
          found = true;
          break;
        }
      }
      if (!found) {
        for (const char* alias : {"rowid", "oid", "_rowid_"}) {
          if (sqlite3_stricmp(alias, name.c_str()) == 0) column.kind = ColumnKind::kInteger;
        }
      }
      columns_.push_back(std::move(column));
    }
    return Status::Ok();
  }

  Status Bind(const std::vector<store::Value>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const store::Value& v = row[i];
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(insert_, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(insert_, index, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(insert_, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (const auto* b = std::get_if<store::Blob>(&v)) {
        rc = sqlite3_bind_blob64(insert_, index, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
      } else if (const auto* j = std::get_if<store::Json>(&v)) {
        rc = sqlite3_bind_text64(insert_, index, j->text.data(), j->text.size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
      }  // monostate: left unbound, which is NULL
      if (rc != SQLITE_OK) {
        return Status::InvalidArgument("value " + std::to_string(index) + ": " +
                                       sqlite3_errmsg(db()));
      }
    }
    return Status::Ok();
  }

  // Commit ends the transaction and tells every pending row how it went.
  Status Commit() {
    Status s = Exec("COMMIT");
    if (!s.ok() && sqlite3_get_autocommit(db()) == 0) (void)Exec("ROLLBACK");
    in_tx_ = false;
    std::vector<std::function<void(Status)>> pending = std::move(pending_);
    pending_.clear();
    for (auto& done : pending) done(s);
    return s;
  }

  void FailPending(const Status& s) {
    std::vector<std::function<void(Status)>> pending = std::move(pending_);
    pending_.clear();
    for (auto& done : pending) done(s);
  }

  store::SqliteHandle db_;
  const std::string path_;
  sqlite3_stmt* insert_ = nullptr;
  std::vector<TargetColumn> columns_;  // in Begin's order
  bool text_ = false;                  // the source's values_are_text
  bool in_tx_ = false;
  std::vector<std::function<void(Status)>> pending_;
};

}  // namespace

Result<std::unique_ptr<RowWriter>> OpenSqliteWriter(const std::string& path) {
  Result<store::SqliteHandle> db = store::OpenSqlite(path, store::SqliteMode::kLoad);
  if (!db.ok()) {
    std::string message(db.status().message());
    if (message.find("read-only") == std::string::npos) {
      message += " (shoal load creates nothing: the file and the table must exist)";
    }
    return Status::Unavailable(message);
  }
  return std::unique_ptr<RowWriter>(new SqliteWriter(std::move(db).value(), path));
}

}  // namespace shoal::ingest

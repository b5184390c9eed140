// SqliteStore: see sqlite_store.h for the contract.
//
// Invariants:
// - A Worker's connection and statements are touched only by its own thread once the thread
//   has started (Open writes them before; the thread finalizes and closes them as it exits).
// - Worker::compiled[id].stmt, once set, lives until the worker exits; each use begins with
//   bound parameters pointing into the running job and ends (ResetOnExit) with the statement
//   reset and its bindings cleared, so no binding outlives the job's parameters.
// - statements_ only grows, and a registered Statement never changes, so a worker may read one
//   through a pointer taken under mu_ after releasing mu_.
// - Callbacks are called with no lock of the store held: a callback may call Query again.
#include "store/sqlite/sqlite_store.h"

#include <atomic>
#include <cassert>
#include <chrono>
#include <climits>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

#include <sqlite3.h>

#include "store/sqlite/sqlite_columns.h"
#include "store/sqlite/sqlite_open.h"

namespace shoal::store {

struct SqliteStore::Statement {
  std::string text;
  StatementInfo info;
};

struct SqliteStore::Job {
  size_t id = 0;
  std::vector<Value> params;
  QueryLimits limits;
  TimePoint deadline;
  QueryCallback done;
  // Not OK for a job that must not run: a reject known at submission, or a queued job
  // cancelled by Shutdown. The job is answered with it.
  Status verdict;
};

struct SqliteStore::Worker {
  struct Compiled {
    const Statement* def = nullptr;
    sqlite3_stmt* stmt = nullptr;
  };
  sqlite3* db = nullptr;
  std::vector<Compiled> compiled;  // by statement id; empty until first run on this worker
  // Deadline of the running job, read by the progress handler on this same thread.
  TimePoint deadline;
  // The connection's page cache after its last query (written by this worker's thread only).
  std::atomic<uint64_t> cache_used{0};
  std::thread thread;
};

namespace {

// How many SQLite VM instructions run between two deadline checks. One check costs a clock
// read (~20 ns) and 1000 instructions take several microseconds, so the check is well under
// 1% of a query while a runaway query stops within a millisecond of its deadline.
constexpr int kProgressInstructions = 1000;

// SQLITE_STATIC is a C cast in a macro; this is the same "the bytes outlive the binding".
const sqlite3_destructor_type kBytesOutliveBinding = nullptr;

int InterruptAfterDeadline(void* deadline) {
  return std::chrono::steady_clock::now() > *static_cast<const TimePoint*>(deadline) ? 1 : 0;
}

std::string ErrorMessage(sqlite3* db, int rc) {
  return db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

bool IsLockError(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// StepError turns a failed sqlite3_prepare or sqlite3_step into a Status.
Status StepError(sqlite3* db, int rc) {
  if ((rc & 0xff) == SQLITE_INTERRUPT) {
    return Status::DeadlineExceeded("sqlite: query interrupted at its deadline");
  }
  if (IsLockError(rc)) return Status::Unavailable("sqlite: database is locked");
  return Status::Unavailable("sqlite: " + ErrorMessage(db, rc));
}

// Finalizer finalizes a statement that is used only within one scope.
struct Finalizer {
  sqlite3_stmt* stmt = nullptr;
  ~Finalizer() { sqlite3_finalize(stmt); }
};

// ResetOnExit returns a reused statement to its unbound, not-running state.
struct ResetOnExit {
  sqlite3_stmt* stmt;
  ~ResetOnExit() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

// OpenConnection opens one read-only connection (sqlite_open.h's kServe, which also proves
// that the file is a database) and bounds its page cache to `page_cache` bytes.
Status OpenConnection(const std::string& path, size_t page_cache, sqlite3** out) {
  Result<SqliteHandle> db = OpenSqlite(path, SqliteMode::kServe);
  if (!db.ok()) return db.status();
  // A negative cache_size is a size in KiB rather than a page count.
  const std::string pragma = "PRAGMA cache_size=-" + std::to_string(page_cache >> 10);
  char* error = nullptr;
  const int rc = sqlite3_exec(db->get(), pragma.c_str(), nullptr, nullptr, &error);
  std::string message = error != nullptr ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  if (rc != SQLITE_OK) return Status::Unavailable("sqlite: " + pragma + ": " + message);
  *out = db->release();  // closed by the worker that uses it, or by ~SqliteStore
  return Status::Ok();
}

// CacheUsed is the connection's page cache in bytes (SQLITE_DBSTATUS_CACHE_USED).
uint64_t CacheUsed(sqlite3* db) {
  int current = 0;
  int highwater = 0;
  if (sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0) != SQLITE_OK) {
    return 0;
  }
  return static_cast<uint64_t>(current);
}

// Bind binds one parameter value; the bytes of strings and blobs must outlive the binding.
int Bind(sqlite3_stmt* stmt, int index, const Value& value) {
  return std::visit(
      [stmt, index](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return sqlite3_bind_null(stmt, index);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return sqlite3_bind_int64(stmt, index, static_cast<sqlite3_int64>(v));
        } else if constexpr (std::is_same_v<T, double>) {
          return sqlite3_bind_double(stmt, index, v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return sqlite3_bind_text64(stmt, index, v.data(), v.size(), kBytesOutliveBinding,
                                     SQLITE_UTF8);
        } else if constexpr (std::is_same_v<T, Blob>) {
          return sqlite3_bind_blob64(stmt, index, v.bytes.data(), v.bytes.size(),
                                     kBytesOutliveBinding);
        } else {
          static_assert(std::is_same_v<T, Json>);
          return sqlite3_bind_text64(stmt, index, v.text.data(), v.text.size(),
                                     kBytesOutliveBinding, SQLITE_UTF8);
        }
      },
      value);
}

// ColumnValue reads column `c` of the current row, keeping SQLite's storage class.
Value ColumnValue(sqlite3_stmt* stmt, int c) {
  switch (sqlite3_column_type(stmt, c)) {
    case SQLITE_INTEGER:
      return int64_t{sqlite3_column_int64(stmt, c)};
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt, c);
    case SQLITE_TEXT: {
      // Text first, then its size: the documented order that avoids a conversion.
      const auto* text = sqlite3_column_text(stmt, c);
      const auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, c));
      return std::string(reinterpret_cast<const char*>(text), size);
    }
    case SQLITE_BLOB: {
      const void* bytes = sqlite3_column_blob(stmt, c);
      const auto size = static_cast<size_t>(sqlite3_column_bytes(stmt, c));
      if (size == 0) return Blob{};
      return Blob{std::string(static_cast<const char*>(bytes), size)};
    }
    default:
      return std::monostate{};
  }
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(SqliteOptions options) {
  if (options.path.empty()) return Status::InvalidArgument("sqlite: no database path given");
  if (options.threads < 1 || options.threads > 256) {
    return Status::InvalidArgument("sqlite: threads must be 1..256, not " +
                                   std::to_string(options.threads));
  }
  if (options.queue_limit < 1) return Status::InvalidArgument("sqlite: queue_limit must be >= 1");
  if (options.page_cache < 1024) {
    return Status::InvalidArgument("sqlite: page_cache must be at least 1 KiB, not " +
                                   std::to_string(options.page_cache) + " bytes");
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(options)));
  Status status = store->OpenConnections();
  if (!status.ok()) return status;
  return store;
}

SqliteStore::SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

SqliteStore::~SqliteStore() {
  Shutdown();
  // Workers whose thread never started (Open failed half way) still hold their connection.
  for (auto& worker : workers_) sqlite3_close(worker->db);
  MutexLock lock(check_mu_);
  sqlite3_close(check_db_);
}

Status SqliteStore::OpenConnections() {
  MutexLock shutdown_lock(shutdown_mu_);
  {
    MutexLock lock(check_mu_);
    Status status = OpenConnection(options_.path, options_.page_cache, &check_db_);
    if (!status.ok()) return status;
  }
  for (int i = 0; i < options_.threads; ++i) {
    auto worker = std::make_unique<Worker>();
    Status status = OpenConnection(options_.path, options_.page_cache, &worker->db);
    if (!status.ok()) return status;
    sqlite3_progress_handler(worker->db, kProgressInstructions, &InterruptAfterDeadline,
                             &worker->deadline);
    workers_.push_back(std::move(worker));
  }
  // Only now, with every connection open, do threads start: a failure above leaves none.
  for (auto& worker : workers_) {
    worker->thread = std::thread([this, w = worker.get()] { WorkerLoop(*w); });
  }
  return Status::Ok();
}

Result<StatementInfo> SqliteStore::Prepare(std::string_view query) {
  if (query.size() > static_cast<size_t>(INT_MAX)) {
    return Status::InvalidArgument("sqlite: query too long");
  }
  auto statement = std::make_unique<Statement>();
  statement->text = std::string(query);
  StatementInfo& info = statement->info;
  {
    MutexLock lock(check_mu_);
    Finalizer first;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(check_db_, statement->text.data(),
                                static_cast<int>(statement->text.size()), &first.stmt, &tail);
    if (rc != SQLITE_OK) {
      std::string message = "sqlite: " + ErrorMessage(check_db_, rc) + " in: " + statement->text;
      if (IsLockError(rc)) return Status::Unavailable(std::move(message));
      return Status::InvalidArgument(std::move(message));
    }
    if (first.stmt == nullptr) return Status::InvalidArgument("sqlite: the query is empty");

    // Anything after the first statement other than blanks and comments is refused, even a
    // valid second statement: it would never run, which is surely not what was meant.
    const auto rest_offset = static_cast<size_t>(tail - statement->text.data());
    if (rest_offset < statement->text.size()) {
      Finalizer second;
      rc = sqlite3_prepare_v2(check_db_, tail,
                              static_cast<int>(statement->text.size() - rest_offset), &second.stmt,
                              nullptr);
      if (rc != SQLITE_OK || second.stmt != nullptr) {
        return Status::InvalidArgument("sqlite: more than one statement in: " + statement->text);
      }
    }
    if (sqlite3_stmt_readonly(first.stmt) == 0) {
      return Status::InvalidArgument("sqlite: not a read-only statement: " + statement->text);
    }
    const int columns = sqlite3_column_count(first.stmt);
    if (columns == 0) {
      return Status::InvalidArgument("sqlite: the statement returns no columns: " +
                                     statement->text);
    }
    const int params = sqlite3_bind_parameter_count(first.stmt);
    for (int i = 1; i <= params; ++i) {
      const char* name = sqlite3_bind_parameter_name(first.stmt, i);
      if (name == nullptr || name[0] != ':') {
        const std::string marker = name == nullptr ? "?" : name;
        return Status::InvalidArgument(
            "sqlite: parameter marker '" + marker +
            "' is not supported, write parameters as :name, in: " + statement->text);
      }
      info.params.emplace_back(name + 1);
    }
    for (int c = 0; c < columns; ++c) {
      const char* name = sqlite3_column_name(first.stmt, c);
      if (name == nullptr) return Status::Internal("sqlite: out of memory naming a column");
      info.columns.emplace_back(name);
    }
    info.column_meta = ColumnMetas(check_db_, first.stmt, statement->text);
  }
  MutexLock lock(mu_);
  // A config reload prepares every endpoint's query again: the same text with the same shape
  // reuses its statement (and each worker's compiled copy), so statements_ grows only with
  // queries not seen before. The check above ran anyway: a changed schema is still refused.
  for (const auto& known : statements_) {
    if (known->text == statement->text && known->info.params == info.params &&
        known->info.columns == info.columns && known->info.column_meta == info.column_meta) {
      return known->info;
    }
  }
  info.id = statements_.size();
  StatementInfo result = info;
  statements_.push_back(std::move(statement));
  return result;
}

void SqliteStore::Query(size_t id, std::vector<Value> params, QueryLimits limits,
                        TimePoint deadline, QueryCallback done) {
  assert(done && "Query needs a callback");
  queries_.fetch_add(1, std::memory_order_relaxed);
  Job job{id, std::move(params), limits, deadline, std::move(done), Status::Ok()};
  {
    MutexLock lock(mu_);
    if (!stopping_) {
      // An unknown statement or a wrong parameter count is the caller's bug: Internal.
      if (id >= statements_.size()) {
        job.verdict = Status::Internal("sqlite: no statement " + std::to_string(id));
      } else if (job.params.size() != statements_[id]->info.params.size()) {
        job.verdict = Status::Internal("sqlite: statement " + std::to_string(id) + " takes " +
                                       std::to_string(statements_[id]->info.params.size()) +
                                       " parameters, got " + std::to_string(job.params.size()));
      } else if (queue_.size() >= options_.queue_limit) {
        job.verdict = Status::ResourceExhausted("sqlite: query queue full (" +
                                                std::to_string(options_.queue_limit) + " waiting)");
      }
      if (job.verdict.ok()) {
        queue_.push_back(std::move(job));
      } else {
        rejects_.push_back(std::move(job));
      }
      work_cv_.NotifyOne();
      return;
    }
  }
  // No worker is left to call back (see the header): the one answer on the caller's stack.
  job.done(Status::Cancelled("sqlite: store is shut down"));
}

void SqliteStore::Shutdown() {
  MutexLock shutdown_lock(shutdown_mu_);
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  work_cv_.NotifyAll();
  // Workers answer what is left (queued jobs with Cancelled) before they exit.
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

const SqliteStore::Statement* SqliteStore::StatementFor(size_t id) {
  MutexLock lock(mu_);
  return statements_[id].get();
}

uint64_t SqliteStore::page_cache_bytes() const {
  uint64_t sum = 0;
  for (const auto& worker : workers_) sum += worker->cache_used.load(std::memory_order_relaxed);
  return sum;
}

void SqliteStore::WorkerLoop(Worker& worker) {
  for (;;) {
    Job job;
    {
      MutexLock lock(mu_);
      work_cv_.Wait(mu_, [this]() SHOAL_REQUIRES(mu_) {
        return stopping_ || !queue_.empty() || !rejects_.empty();
      });
      if (!rejects_.empty()) {
        job = std::move(rejects_.front());
        rejects_.pop_front();
      } else if (!queue_.empty()) {
        job = std::move(queue_.front());
        queue_.pop_front();
        if (stopping_) job.verdict = Status::Cancelled("sqlite: store is shutting down");
      } else {
        break;  // stopping, and nothing left to answer
      }
    }
    if (job.verdict.ok()) {
      Result<Rows> rows = Run(worker, job);
      worker.cache_used.store(CacheUsed(worker.db), std::memory_order_relaxed);
      job.done(std::move(rows));
    } else {
      job.done(job.verdict);
    }
  }
  for (auto& compiled : worker.compiled) sqlite3_finalize(compiled.stmt);
  worker.compiled.clear();
  sqlite3_close(worker.db);
  worker.db = nullptr;
}

Result<Rows> SqliteStore::Run(Worker& worker, const Job& job) {
  const TimePoint now = std::chrono::steady_clock::now();
  if (now >= job.deadline) {
    return Status::DeadlineExceeded("sqlite: deadline passed while the query waited");
  }
  worker.deadline = job.deadline;
  // Wait for a writer's lock no longer than the deadline allows (at least 1 ms: 0 would
  // remove the busy handler altogether).
  const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(job.deadline - now).count();
  sqlite3_busy_timeout(worker.db, static_cast<int>(wait_ms > INT_MAX ? INT_MAX : wait_ms));

  if (job.id >= worker.compiled.size()) worker.compiled.resize(job.id + 1);
  Worker::Compiled& compiled = worker.compiled[job.id];
  if (compiled.stmt == nullptr) {
    compiled.def = StatementFor(job.id);
    prepares_.fetch_add(1, std::memory_order_relaxed);
    const std::string& text = compiled.def->text;
    int rc = sqlite3_prepare_v3(worker.db, text.data(), static_cast<int>(text.size()),
                                SQLITE_PREPARE_PERSISTENT, &compiled.stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(compiled.stmt);
      compiled.stmt = nullptr;  // try again next time: the lock or the fault may pass
      return StepError(worker.db, rc);
    }
  }
  sqlite3_stmt* stmt = compiled.stmt;
  ResetOnExit reset{stmt};

  for (size_t i = 0; i < job.params.size(); ++i) {
    const int rc = Bind(stmt, static_cast<int>(i + 1), job.params[i]);
    if (rc != SQLITE_OK) {
      // SQLITE_TOOBIG or SQLITE_NOMEM: nothing for the client to fix or to read about.
      return Status::Internal("sqlite: cannot bind :" + compiled.def->info.params[i] + ": " +
                              ErrorMessage(worker.db, rc));
    }
  }

  Rows rows;
  rows.columns = compiled.def->info.columns;
  const QueryLimits& limits = job.limits;
  size_t bytes = 0;
  for (;;) {
    if (limits.first_row_only && !rows.rows.empty()) break;  // never step past the first row
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return StepError(worker.db, rc);
    rows_read_.fetch_add(1, std::memory_order_relaxed);
    if (rows.rows.size() >= limits.max_rows) {
      return AnswerTooLarge("more than " + std::to_string(limits.max_rows) + " rows");
    }
    // SQLite recompiles a statement by itself after a schema change, so a SELECT * may come
    // back wider or narrower than Prepare reported; callers rely on the reported shape.
    const int columns = sqlite3_column_count(stmt);
    if (static_cast<size_t>(columns) != rows.columns.size()) {
      return Status::Unavailable("sqlite: the statement's columns changed since it was prepared");
    }
    Row& row = rows.rows.emplace_back();
    row.reserve(rows.columns.size());
    for (int c = 0; c < columns; ++c) {
      row.push_back(ColumnValue(stmt, c));
      bytes += CellBytes(row.back());
    }
    if (bytes > limits.max_bytes) {
      return AnswerTooLarge("more than " + std::to_string(limits.max_bytes) + " bytes");
    }
  }
  return rows;
}

}  // namespace shoal::store

// SqliteStore: the Store adapter for a SQLite database file, read-only, served by a small pool
// of worker threads so that no query ever runs on a caller's (event loop) thread.
//
// Ownership: the store owns its connections (one per worker thread plus one used only by
// Prepare), its threads and every queued job. Each worker connection is opened by Open, then
// handed to its thread and used by that thread alone until it closes it; a connection is never
// used by two threads. Every worker compiles each registered statement once, the first time it
// runs it, and keeps the sqlite3_stmt for the life of the store (reset and rebound per query).
// Preparing a text already registered, with the same parameters and columns, returns its id
// (a config reload prepares every query again).
//
// Queueing: Query puts a job in one bounded FIFO (SqliteOptions::queue_limit) shared by the
// workers. A job whose deadline passed while it waited is answered DeadlineExceeded without
// touching the database; a running job is interrupted once its deadline passes (a progress
// handler), and waits for a lock no longer than its deadline allows (a busy timeout).
//
// Memory: each connection's page cache is bounded by SqliteOptions::page_cache (PRAGMA
// cache_size, in KiB), so the store's page caches take at most (threads + 1) x page_cache;
// page_cache_bytes() reports what the workers' caches hold.
//
// Limits: a job steps its statement only as far as its QueryLimits allow (store.h), so an
// answer over its cap costs at most the cap plus one row of memory, and a result-one endpoint
// over a non-unique column costs one step, not a scan.
//
// Callbacks: every callback runs on a worker thread, outside the store's locks, exactly once.
// Errors known at submission (unknown statement, wrong parameter count, queue full) travel
// through a separate unbounded lane that workers serve first, so that even they are not
// delivered on the caller's stack. The one exception: after Shutdown has begun there are no
// workers left to call back, so Query calls `done` with Cancelled before returning.
//
// Thread-safety: thread-safe. Shutdown (and so the destructor) must not be called from a
// query callback, because it waits for the workers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "store/store.h"

struct sqlite3;  // <sqlite3.h> stays out of this header

namespace shoal::store {

struct SqliteOptions {
  // The database file. It must exist: the store opens it read-only and never creates it.
  std::string path;
  // Worker threads, each with its own connection. At least 1.
  int threads = 2;
  // Jobs that may wait for a worker; one more is refused with ResourceExhausted. At least 1.
  size_t queue_limit = 4096;
  // Bytes of page cache each connection may keep (PRAGMA cache_size=-KiB, rounded down to
  // whole KiB; at least 1 KiB). SQLite's own default is 2000 KiB; the file is read-only and
  // the kernel keeps it in its page cache anyway, so a small cache costs a pread per page
  // missed, not a disk read.
  size_t page_cache = kDefaultPageCache;
  static constexpr size_t kDefaultPageCache = size_t{256} << 10;
};

class SqliteStore final : public Store {
 public:
  // Open opens `options.threads` + 1 read-only connections to `options.path`, checks that the
  // file is a SQLite database and starts the workers. Errors: InvalidArgument for bad options
  // or a file that is not a database, Unavailable when the file cannot be opened.
  static Result<std::unique_ptr<SqliteStore>> Open(SqliteOptions options);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Prepare compiles `query` on the store's checking connection. The query must be exactly one
  // read-only statement that returns columns, with parameters written only as :name. The
  // returned params are the names in SQLite's binding order (first appearance in the text);
  // a name used twice is one parameter. Errors are InvalidArgument carrying SQLite's message.
  Result<StatementInfo> Prepare(std::string_view query) override;

  // Query steps the statement only as far as `limits` allow: after the first row for
  // first_row_only, and no further than one row past max_rows, or than the row that passes
  // max_bytes (store.h's AnswerTooLarge).
  using Store::Query;
  void Query(size_t id, std::vector<Value> params, QueryLimits limits, TimePoint deadline,
             QueryCallback done) override;

  void Shutdown() override;

  // queries counts every call to Query, whatever its outcome (tests use it to show that a
  // layer above asked the store only once).
  uint64_t queries() const { return queries_.load(std::memory_order_relaxed); }
  // prepares counts statements compiled by the workers; with reuse it stays at most
  // threads x statements however many queries run.
  uint64_t prepares() const { return prepares_.load(std::memory_order_relaxed); }
  // rows_read counts rows stepped out of the database (sqlite3_step answering SQLITE_ROW), so
  // tests can see where a query stopped.
  uint64_t rows_read() const { return rows_read_.load(std::memory_order_relaxed); }
  // page_cache_bytes is the sum over the worker connections of their page caches
  // (SQLITE_DBSTATUS_CACHE_USED), each as its worker saw it after its last query.
  uint64_t page_cache_bytes() const;

 private:
  struct Statement;
  struct Job;
  struct Worker;

  explicit SqliteStore(SqliteOptions options);

  // OpenConnections opens the checking connection and one per worker, then starts the
  // workers. Called once, by Open, before the store is shared.
  Status OpenConnections();

  // WorkerLoop is the body of each worker thread; it owns `worker`'s connection.
  void WorkerLoop(Worker& worker);
  // Run executes one job on `worker`'s connection and returns its rows or error.
  Result<Rows> Run(Worker& worker, const Job& job);
  // StatementFor returns the statement registered as `id`; it never moves once registered.
  const Statement* StatementFor(size_t id) SHOAL_EXCLUDES(mu_);

  const SqliteOptions options_;

  // Serialises Prepare's use of check_db_, a connection no worker touches.
  Mutex check_mu_;
  sqlite3* check_db_ SHOAL_PT_GUARDED_BY(check_mu_) = nullptr;

  // Held for the whole of Shutdown so that a second caller waits until the first has joined.
  Mutex shutdown_mu_;

  mutable Mutex mu_;
  CondVar work_cv_;  // signalled when a job or a reject arrives, and on shutdown
  // Registered statements, indexed by id; append-only, each immutable once added.
  std::vector<std::unique_ptr<const Statement>> statements_ SHOAL_GUARDED_BY(mu_);
  std::deque<Job> queue_ SHOAL_GUARDED_BY(mu_);    // at most options_.queue_limit jobs
  std::deque<Job> rejects_ SHOAL_GUARDED_BY(mu_);  // answered before any queued job
  bool stopping_ SHOAL_GUARDED_BY(mu_) = false;
  // Filled by OpenConnections before any worker starts; their threads are joined by Shutdown.
  std::vector<std::unique_ptr<Worker>> workers_;

  std::atomic<uint64_t> queries_{0};
  std::atomic<uint64_t> prepares_{0};
  std::atomic<uint64_t> rows_read_{0};
};

}  // namespace shoal::store

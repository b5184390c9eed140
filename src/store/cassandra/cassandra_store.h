// CassandraStore: the Store adapter for Apache Cassandra, over shoal's own CQL client
// (cql_session.h: pools, token-aware routing, re-prepare, retries, reconnect).
//
// Each endpoint's query is CQL with named bind markers (`SELECT ... WHERE id = :id`),
// prepared at start: a statement the server refuses fails Prepare with the server's message,
// and one that returns no columns (not a SELECT) is refused. Query binds the parameters by the
// types the server reported for the markers (cql_types.h's AppendBoundValue), reads the pages
// of the result (page_size rows at a time, continuing with the paging state until the server
// says there are no more, or the query's QueryLimits stop it: a first-row-only query asks for
// pages of one row and stops at the first row; otherwise each page asks for no more than the
// rows left before max_rows, plus one (so at most max_rows + 1 rows are ever read), and the
// rows and CellBytes are counted as each page is converted, failing with
// AnswerTooLarge at the first row past a cap; max_bytes cannot size a page (CQL pages count
// rows), so memory stays within one page of that cap),
// and hands back the rows with each cell as the Value of the
// same meaning SQLite would give: text as string, the integer types as int64, double as
// double, blob as Blob, and every other type (uuid, timestamp, decimal, varint beyond 64
// bits, float, boolean, collections, UDTs) already rendered as JSON (store::Json), so an
// endpoint answers the same JSON whichever database serves it.
//
// Errors (store.h's vocabulary; server ERRORs mapped by code alone in cql_error.h's
// ErrorStatus): a server that is down, overloaded or bootstrapping, or no node reachable, is
// Unavailable; the deadline passing, or the server's read timeout, is DeadlineExceeded; more
// than queue_limit queries in flight is ResourceExhausted; a statement the server refuses at
// run time (a table dropped since Prepare, a revoked grant) is Internal, for the operator to
// fix, as are an unknown statement id and a wrong parameter count (the caller's bug); after
// Shutdown, Cancelled. Every server ERROR is Unavailable, DeadlineExceeded or Internal, whose
// messages (node, keyspace, server text) are for logs only. InvalidArgument at Query time is
// only the caller's input, checked here before anything is sent, with a message fit for an
// HTTP client that names the parameter and nothing of the database: text that is not valid
// UTF-8 ("parameter 'x' must be valid UTF-8 text"), an empty string or blob bound to a partition
// key component ("parameter 'x' is empty (a partition key may not be)"; the components are the
// prepared statement's pk_indexes, known only when every key column is a bind marker), a
// value that does not convert to its marker's type. At Prepare, a query the server refuses is
// InvalidArgument (configuration, as with SQLite).
//
// Ownership: owns its Session. Callbacks run on a session I/O thread, never on the caller's
// stack, except after Shutdown, when Query calls back with Cancelled before returning.
// Thread-safety: thread-safe; Shutdown must not be called from a query callback.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/logger.h"
#include "base/mutex.h"
#include "base/status.h"
#include "store/cassandra/cql_column_type.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_session.h"
#include "store/store.h"

namespace shoal::store {

struct CassandraOptions {
  cassandra::SessionOptions session;
  // Every read's consistency; LOCAL_ONE answers from the nearest replica, which is what a
  // read-through cache in front of Cassandra usually wants (the cache is the staleness budget).
  cassandra::Consistency consistency = cassandra::Consistency::kLocalOne;
  // Rows per page; results larger than this take several round trips. 0: the whole result
  // in one page. A query's QueryLimits make pages smaller still (see above).
  int32_t page_size = 5000;
  // Queries in flight at once; one more is refused with ResourceExhausted.
  size_t queue_limit = 4096;
  Duration prepare_timeout = std::chrono::seconds(10);
  // Where the client logs (component "cassandra"; cql_session.h says what). Open hands it to
  // the session unless session.logger is set. Must outlive the store.
  Logger* logger = &NullLogger();
};

class CassandraStore final : public Store {
 public:
  // Open opens the session (cql_session.h's Session::Open). Errors: InvalidArgument for a bad
  // option, a refused login or keyspace; Unavailable when no node answers.
  static Result<std::unique_ptr<CassandraStore>> Open(CassandraOptions options);

  ~CassandraStore() override;
  CassandraStore(const CassandraStore&) = delete;
  CassandraStore& operator=(const CassandraStore&) = delete;

  // Prepare prepares `query` on the cluster. params are the bind markers' names in order of
  // first appearance (a name used twice is one parameter); columns the result's columns.
  Result<StatementInfo> Prepare(std::string_view query) override;

  // Query pages as far as `limits` allow (see above).
  using Store::Query;
  void Query(size_t id, std::vector<Value> params, QueryLimits limits, TimePoint deadline,
             QueryCallback done) override;

  void Shutdown() override;

  uint64_t queries() const { return queries_.load(std::memory_order_relaxed); }
  // rows_read counts rows received from the server (every row of every page), so tests can
  // see where a query stopped.
  uint64_t rows_read() const { return rows_read_.load(std::memory_order_relaxed); }
  cassandra::Session& session() { return *session_; }

  // CellValue converts one cell of `type` to the Value described above (exposed for tests).
  static Result<Value> CellValue(const cassandra::CqlType& type,
                                 std::optional<std::string_view> cell);

 private:
  struct Statement;
  struct Pages;

  CassandraStore(CassandraOptions options, std::unique_ptr<cassandra::Session> session);
  std::shared_ptr<const Statement> StatementFor(size_t id) SHOAL_EXCLUDES(mu_);
  // CheckParams refuses, before anything is sent, text that is not UTF-8 and an empty
  // partition key component (InvalidArgument naming the parameter).
  static Status CheckParams(const Statement& statement, const std::vector<Value>& params);
  void Fetch(const std::shared_ptr<Pages>& pages);
  // PageSize is the size of the next page for a query with `limits` that holds `rows` rows:
  // 1 for first_row_only, else the configured size (0: unpaged) capped at the rows left
  // before max_rows, plus one.
  static int32_t PageSize(int32_t configured, const QueryLimits& limits, size_t rows);

  const CassandraOptions options_;
  std::unique_ptr<cassandra::Session> session_;

  mutable Mutex mu_;
  std::vector<std::shared_ptr<const Statement>> statements_ SHOAL_GUARDED_BY(mu_);

  std::atomic<bool> stopped_{false};
  std::atomic<size_t> in_flight_{0};
  std::atomic<uint64_t> queries_{0};
  std::atomic<uint64_t> rows_read_{0};
};

}  // namespace shoal::store

// Store: the one asynchronous query interface that every database adapter implements.
//
// A query is prepared once at start (Prepare), which checks it against the database and reports
// the named parameters it uses and the columns it returns (names, and the types and
// nullability its metadata tells: ColumnMeta), so a config that does not hold
// together is refused before serving. At run time Query binds values to those parameters (never
// splicing them into the text) and calls back with the rows, on a thread of the store's own,
// never on the caller's stack: callers must not hold locks that the callback takes. A query
// carries QueryLimits, which the store enforces while it reads (SQLite steps, Cassandra
// pages), so a result larger than its cap costs at most the cap, never the whole result.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace shoal::store {

// Blob holds raw bytes from a BLOB column; it renders to JSON as base64.
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// Json holds a cell the store has already rendered as JSON text, for types that have no JSON
// scalar of their own: Cassandra's collections, UUIDs, timestamps, decimals (cql_types.h
// says how each renders). The api writes it into the response as is. It is a result value
// only; as a bound parameter SQLite binds its text and Cassandra refuses it.
struct Json {
  std::string text;
  bool operator==(const Json&) const = default;
};

// Value is one cell or one bound parameter. monostate is SQL NULL.
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob, Json>;

using Row = std::vector<Value>;

struct Rows {
  std::vector<std::string> columns;  // as named by the query
  std::vector<Row> rows;             // each row has columns.size() values
};

// ColumnType is the JSON a result column renders as, as far as the store's metadata can tell
// (SQLite: the declared type's affinity; Cassandra: the column's CQL type). kAny promises
// nothing (a computed SQLite column, a column without a declared type). The api describes
// its answers with it (api/openapi.h); it never changes how a value renders.
enum class ColumnType : unsigned char {
  kAny,
  kInteger,   // a JSON integer
  kNumber,    // a JSON number (integral or not)
  kBoolean,   // true / false
  kString,    // a JSON string
  kBase64,    // a JSON string holding bytes in base64 (a blob)
  kUuid,      // a string: 8-4-4-4-12 hex digits
  kDateTime,  // a string: an RFC 3339 date and time
  kDate,      // a string: an RFC 3339 full-date
  kArray,     // a JSON array (a CQL list, set or tuple)
  kObject,    // a JSON object (a CQL map or UDT)
};

// ColumnMeta is what the store knows of one result column beyond its name.
struct ColumnMeta {
  ColumnType type = ColumnType::kAny;
  // True only when the store can promise the column is never NULL in any row.
  bool not_null = false;
  bool operator==(const ColumnMeta&) const = default;
};

// StatementInfo describes a prepared query.
struct StatementInfo {
  size_t id = 0;                     // pass to Query
  std::vector<std::string> params;   // named parameters (without ':'), in binding order
  std::vector<std::string> columns;  // result column names, in order
  // Parallel to `columns`: each one's type and nullability from the store's metadata.
  std::vector<ColumnMeta> column_meta;
};

using QueryCallback = std::function<void(Result<Rows>)>;

// QueryLimits caps one answer. The default is no cap (tools and tests).
struct QueryLimits {
  // More rows than this fails the query with AnswerTooLarge; the store reads at most one row
  // past it.
  size_t max_rows = std::numeric_limits<size_t>::max();
  // More bytes than this, counted by CellBytes over the rows read, fails the query with
  // AnswerTooLarge. An approximation of the JSON answer's size, which is larger (names,
  // quotes, escapes, base64): it bounds the store's memory; the api measures the rendered
  // JSON exactly (store_loader.h).
  size_t max_bytes = std::numeric_limits<size_t>::max();
  // Read the first row only (an endpoint of result one): the store stops after it (SQLite: one
  // step; Cassandra: pages of one row), so max_rows cannot be exceeded.
  bool first_row_only = false;
};

// CellBytes is what a cell counts towards QueryLimits::max_bytes: the bytes of text, a blob or
// rendered JSON, 8 for a number, 0 for NULL.
inline size_t CellBytes(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return s->size();
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes.size();
  if (const auto* j = std::get_if<Json>(&v)) return j->text.size();
  return std::holds_alternative<std::monostate>(v) ? 0 : 8;
}

// AnswerTooLarge is the error of a query whose answer passes its QueryLimits: code
// ResourceExhausted (a limit of ours), told apart from a full queue by IsAnswerTooLarge.
inline constexpr std::string_view kAnswerTooLarge = "answer too large: ";
inline Status AnswerTooLarge(std::string_view detail) {
  return Status::ResourceExhausted(std::string(kAnswerTooLarge) + std::string(detail));
}
inline bool IsAnswerTooLarge(const Status& status) {
  return status.code() == StatusCode::kResourceExhausted &&
         status.message().substr(0, kAnswerTooLarge.size()) == kAnswerTooLarge;
}

class Store {
 public:
  virtual ~Store() = default;

  // Prepare checks `query` (named parameters written :name) and registers it. Call before the
  // first Query; not on a hot path. Errors carry the database's message.
  virtual Result<StatementInfo> Prepare(std::string_view query) = 0;

  // Query runs statement `id` with `params` bound in StatementInfo::params order and calls
  // `done` exactly once, on a store thread. When `deadline` passes first (waiting in the
  // queue or running), `done` gets DeadlineExceeded; a full queue gives ResourceExhausted;
  // an unreachable or locked database gives Unavailable; after Shutdown, Cancelled. The
  // database refusing the statement, an unknown `id` or a wrong parameter count is Internal
  // (the operator's or the caller's bug; the message, which may name the database, is for
  // logs). InvalidArgument means the caller's input only (a parameter that is not valid UTF-8,
  // an empty partition key), with a message fit for an HTTP client: it names the parameter
  // and nothing of the database. An answer beyond `limits` is AnswerTooLarge.
  virtual void Query(size_t id, std::vector<Value> params, QueryLimits limits, TimePoint deadline,
                     QueryCallback done) = 0;

  // Query without limits (tools, tests). Implementations say `using Store::Query;`.
  void Query(size_t id, std::vector<Value> params, TimePoint deadline, QueryCallback done) {
    Query(id, std::move(params), QueryLimits{}, deadline, std::move(done));
  }

  // Shutdown fails queued queries with Cancelled, waits for running ones, and stops the
  // store's threads. Idempotent; the destructor calls it.
  virtual void Shutdown() = 0;
};

}  // namespace shoal::store

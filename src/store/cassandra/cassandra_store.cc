// CassandraStore: see cassandra_store.h.
#include "store/cassandra/cassandra_store.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <utility>

#include "base/big_endian.h"
#include "base/utf8.h"
#include "store/cassandra/cql_json_type.h"
#include "store/cassandra/cql_types.h"

namespace shoal::store {

using cassandra::CqlType;
using cassandra::TypeId;

// Statement is one prepared endpoint query and how its parameters map to bind markers.
struct CassandraStore::Statement {
  std::shared_ptr<const cassandra::PreparedStatement> prepared;
  // bind_param[i] is the index into StatementInfo::params of bind marker i.
  std::vector<size_t> bind_param;
  size_t param_count = 0;
  std::vector<std::string> params;  // StatementInfo::params, for messages
  // partition_key[p]: parameter p is bound to a partition key component (pk_indexes).
  std::vector<bool> partition_key;
  std::vector<std::string> columns;
};

// Pages is one Query on its way through the pages of its result.
struct CassandraStore::Pages {
  std::shared_ptr<const Statement> statement;
  std::string values;
  uint16_t count = 0;
  std::string routing_key;
  std::optional<std::string> paging_state;
  TimePoint deadline;
  QueryLimits limits;
  size_t bytes = 0;  // CellBytes of the rows so far
  QueryCallback done;
  Rows rows;
};

Result<Value> CassandraStore::CellValue(const CqlType& type, std::optional<std::string_view> cell) {
  if (!cell) return Value();
  const std::string_view b = *cell;
  auto fixed = [&](size_t size) -> Result<Value> {
    if (b.empty()) return Value();  // an empty (not null) cell of a non-text type: null (§6)
    if (b.size() != size) {
      return Status::InvalidArgument("cassandra: a " + type.ToString() + " cell of " +
                                     std::to_string(b.size()) + " bytes");
    }
    return Value(LoadBigEndianSigned(b));
  };
  switch (type.id()) {
    case TypeId::kAscii:
    case TypeId::kVarchar:
      return Value(std::string(b));
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kCounter:
      return fixed(IntegerSize(type.id()));
    case TypeId::kDouble: {
      if (b.empty()) return Value();
      if (b.size() != 8) {
        return Status::InvalidArgument("cassandra: a double cell of " + std::to_string(b.size()) +
                                       " bytes");
      }
      const uint64_t bits = LoadBigEndian(b);
      double d = 0;
      std::memcpy(&d, &bits, sizeof d);
      if (!std::isfinite(d)) return Value();  // JSON has no NaN or infinity
      return Value(d);
    }
    case TypeId::kBlob:
      return Value(Blob{std::string(b)});
    default: {
      Json json;
      if (Status s = cassandra::AppendCellJson(json.text, type, cell); !s.ok()) return s;
      return Value(std::move(json));
    }
  }
}

int32_t CassandraStore::PageSize(int32_t configured, const QueryLimits& limits, size_t rows) {
  if (limits.first_row_only) return 1;
  // One row past max_rows is enough to know the answer is too large.
  const size_t left = limits.max_rows >= rows ? limits.max_rows - rows : 0;
  const size_t cap = left >= static_cast<size_t>(INT32_MAX) ? size_t{INT32_MAX} : left + 1;
  if (configured <= 0) {  // 0: unpaged, unless capped
    return left >= static_cast<size_t>(INT32_MAX) ? 0 : static_cast<int32_t>(cap);
  }
  return static_cast<int32_t>(std::min(static_cast<size_t>(configured), cap));
}

CassandraStore::CassandraStore(CassandraOptions options,
                               std::unique_ptr<cassandra::Session> session)
    : options_(std::move(options)), session_(std::move(session)) {}

CassandraStore::~CassandraStore() { Shutdown(); }

Result<std::unique_ptr<CassandraStore>> CassandraStore::Open(CassandraOptions options) {
  if (options.page_size < 0) return Status::InvalidArgument("cassandra: page_size below 0");
  if (options.queue_limit == 0) return Status::InvalidArgument("cassandra: queue limit 0");
  if (options.session.logger == &NullLogger()) options.session.logger = options.logger;
  Result<std::unique_ptr<cassandra::Session>> session = cassandra::Session::Open(options.session);
  if (!session.ok()) return session.status();
  return std::unique_ptr<CassandraStore>(
      new CassandraStore(std::move(options), std::move(session).value()));
}

Result<StatementInfo> CassandraStore::Prepare(std::string_view query) {
  Result<std::shared_ptr<const cassandra::PreparedStatement>> prepared =
      session_->Prepare(query, options_.prepare_timeout);
  if (!prepared.ok()) return prepared.status();
  const cassandra::PreparedResult& result = (*prepared)->result;
  if (result.result_metadata.columns.empty()) {
    return Status::InvalidArgument(
        "cassandra: the query returns no columns (an endpoint's query must be a SELECT)");
  }
  auto statement = std::make_shared<Statement>();
  statement->prepared = *prepared;
  StatementInfo info;
  for (const cassandra::ColumnSpec& bind : result.bind_columns) {
    const std::string name(bind.name);
    size_t index = 0;
    while (index < info.params.size() && info.params[index] != name) ++index;
    if (index == info.params.size()) info.params.push_back(name);
    statement->bind_param.push_back(index);
  }
  statement->param_count = info.params.size();
  statement->params = info.params;
  statement->partition_key.assign(info.params.size(), false);
  for (uint16_t marker : result.pk_indexes) {
    if (marker < statement->bind_param.size()) {
      statement->partition_key[statement->bind_param[marker]] = true;
    }
  }
  for (const cassandra::ColumnSpec& column : result.result_metadata.columns) {
    statement->columns.emplace_back(column.name);
    info.column_meta.push_back({cassandra::JsonTypeOf(column.type.id()), /*not_null=*/false});
  }
  info.columns = statement->columns;
  MutexLock lock(mu_);
  info.id = statements_.size();
  statements_.push_back(std::move(statement));
  return info;
}

Status CassandraStore::CheckParams(const Statement& statement, const std::vector<Value>& params) {
  for (size_t p = 0; p < params.size(); ++p) {
    const std::string& name = statement.params[p];
    const auto* text = std::get_if<std::string>(&params[p]);
    if (text != nullptr && !IsValidUtf8(*text)) {
      return Status::InvalidArgument("parameter '" + name + "' must be valid UTF-8 text");
    }
    if (!statement.partition_key[p]) continue;
    const auto* blob = std::get_if<Blob>(&params[p]);
    if ((text != nullptr && text->empty()) || (blob != nullptr && blob->bytes.empty())) {
      return Status::InvalidArgument("parameter '" + name +
                                     "' is empty (a partition key may not be)");
    }
  }
  return Status();
}

std::shared_ptr<const CassandraStore::Statement> CassandraStore::StatementFor(size_t id) {
  MutexLock lock(mu_);
  return id < statements_.size() ? statements_[id] : nullptr;
}

void CassandraStore::Query(size_t id, std::vector<Value> params, QueryLimits limits,
                           TimePoint deadline, QueryCallback done) {
  queries_.fetch_add(1, std::memory_order_relaxed);
  if (stopped_.load(std::memory_order_acquire)) {
    done(Status::Cancelled("cassandra: the store is shut down"));
    return;
  }
  auto refuse = [this, &done](Status status) {
    session_->Post([done = std::move(done), status = std::move(status)] { done(status); });
  };
  std::shared_ptr<const Statement> statement = StatementFor(id);
  // Our callers' bugs, not the HTTP client's input: Internal.
  if (!statement) {
    return refuse(Status::Internal("cassandra: no statement " + std::to_string(id)));
  }
  if (params.size() != statement->param_count) {
    return refuse(Status::Internal("cassandra: the statement takes " +
                                   std::to_string(statement->param_count) + " parameters, given " +
                                   std::to_string(params.size())));
  }
  if (Status s = CheckParams(*statement, params); !s.ok()) return refuse(std::move(s));
  if (in_flight_.fetch_add(1, std::memory_order_acq_rel) >= options_.queue_limit) {
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    return refuse(Status::ResourceExhausted("cassandra: too many queries in flight"));
  }
  auto pages = std::make_shared<Pages>();
  pages->statement = statement;
  pages->deadline = deadline;
  pages->limits = limits;
  pages->done = [this, done = std::move(done)](Result<Rows> r) {
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    done(std::move(r));
  };
  std::vector<Value> bound;
  bound.reserve(statement->bind_param.size());
  for (size_t p : statement->bind_param) bound.push_back(params[p]);
  size_t bad_marker = 0;
  if (Status s = cassandra::Session::BindValues(*statement->prepared, bound, &pages->values,
                                                &pages->routing_key, &bad_marker);
      !s.ok()) {
    // A value that does not convert to its marker's type ('x' for an int column, 300 for a
    // tinyint): the caller's input. The message names the parameter, not the column's type.
    const std::string& name = statement->params[statement->bind_param[bad_marker]];
    Status client =
        Status::InvalidArgument("parameter '" + name + "' has a value its column cannot hold");
    session_->Post([pages, client] { pages->done(client); });
    return;
  }
  pages->count = static_cast<uint16_t>(bound.size());
  pages->rows.columns = statement->columns;
  Fetch(pages);
}

void CassandraStore::Fetch(const std::shared_ptr<Pages>& pages) {
  cassandra::ExecuteOptions options;
  options.consistency = options_.consistency;
  options.page_size = PageSize(options_.page_size, pages->limits, pages->rows.rows.size());
  options.idempotent = true;  // a SELECT
  options.routing_key = pages->routing_key;
  options.paging_state = std::move(pages->paging_state);
  pages->paging_state.reset();
  // Each page sends the same values; the session consumes its copy.
  std::string values = pages->values;
  const TimePoint deadline = pages->deadline;
  session_->Execute(
      pages->statement->prepared, std::move(values), pages->count, std::move(options), deadline,
      [this, pages](Result<cassandra::ResultMessage> r) {
        if (!r.ok()) {
          // The session never answers a request with InvalidArgument (cql_session.h); should
          // it, that would be no caller's input: only CheckParams speaks for the client.
          if (r.status().code() == StatusCode::kInvalidArgument) {
            pages->done(Status::Internal(std::string(r.status().message())));
            return;
          }
          pages->done(r.status());
          return;
        }
        const auto* rows = std::get_if<cassandra::RowsResult>(&*r);
        if (rows == nullptr) {
          pages->done(Status::Internal("cassandra: a SELECT was answered without rows"));
          return;
        }
        const auto& specs = rows->metadata.columns;
        const size_t width = static_cast<size_t>(rows->metadata.column_count);
        if (specs.size() != width) {
          pages->done(Status::Internal("cassandra: rows without column metadata"));
          return;
        }
        // The table may have changed since Prepare (ALTER TABLE): the names of this answer
        // are the truth.
        if (pages->rows.columns.size() != width) {
          pages->rows.columns.clear();
          for (const auto& spec : specs) pages->rows.columns.emplace_back(spec.name);
        }
        cassandra::CellCursor cells = rows->cells();
        rows_read_.fetch_add(static_cast<uint64_t>(std::max(rows->row_count, 0)),
                             std::memory_order_relaxed);
        const QueryLimits& limits = pages->limits;
        for (int32_t i = 0; i < rows->row_count; ++i) {
          if (limits.first_row_only && !pages->rows.rows.empty()) break;
          if (pages->rows.rows.size() >= limits.max_rows) {
            pages->done(AnswerTooLarge("more than " + std::to_string(limits.max_rows) + " rows"));
            return;
          }
          Row row;
          row.reserve(width);
          for (size_t c = 0; c < width; ++c) {
            Result<Value> v = CellValue(specs[c].type, cells.Next());
            if (!v.ok()) {
              pages->done(Status::Internal(std::string(v.status().message()) + " in column " +
                                           std::string(specs[c].name)));
              return;
            }
            pages->bytes += CellBytes(*v);
            row.push_back(std::move(v).value());
          }
          if (pages->bytes > limits.max_bytes) {
            pages->done(AnswerTooLarge("more than " + std::to_string(limits.max_bytes) + " bytes"));
            return;
          }
          pages->rows.rows.push_back(std::move(row));
        }
        // A first-row-only query pages on only while the pages come back empty (a page may
        // hold no row and still promise more, e.g. past tombstones).
        const bool done_reading = limits.first_row_only && !pages->rows.rows.empty();
        if (rows->metadata.paging_state && !done_reading) {
          if (stopped_.load(std::memory_order_acquire)) {
            pages->done(Status::Cancelled("cassandra: the store is shut down"));
            return;
          }
          pages->paging_state = std::string(*rows->metadata.paging_state);
          Fetch(pages);
          return;
        }
        pages->done(std::move(pages->rows));
      });
}

void CassandraStore::Shutdown() {
  stopped_.store(true, std::memory_order_release);
  session_->Shutdown();
}

}  // namespace shoal::store

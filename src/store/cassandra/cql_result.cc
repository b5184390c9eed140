// cql_result: see cql_result.h.
#include "store/cassandra/cql_result.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace shoal::store::cassandra {
namespace {

// ReadColumnSpecs reads `count` column specs (§4.2.5.2) after an optional global table spec.
Status ReadColumnSpecs(WireReader& in, int32_t count, bool global, std::string_view what,
                       std::vector<ColumnSpec>* out) {
  std::string_view ks;
  std::string_view table;
  if (global && (!in.String(&ks) || !in.String(&table))) {
    return TruncatedError(std::string(what) + " global table spec");
  }
  // Every spec takes at least 4 bytes (a name and a type id), so a lying count cannot make
  // this reserve more than the body could describe.
  out->reserve(std::min(static_cast<size_t>(count), in.remaining() / 4));
  for (int32_t i = 0; i < count; ++i) {
    ColumnSpec spec;
    spec.keyspace = ks;
    spec.table = table;
    if ((!global && (!in.String(&spec.keyspace) || !in.String(&spec.table))) ||
        !in.String(&spec.name)) {
      return TruncatedError(std::string(what) + " column " + std::to_string(i));
    }
    Result<CqlType> type = ReadType(in);
    if (!type.ok()) return type.status();
    spec.type = *type;
    out->push_back(spec);
  }
  return Status();
}

Status ReadRowsMetadata(WireReader& in, std::string_view what, RowsMetadata* md) {
  if (!in.Int(&md->flags) || !in.Int(&md->column_count)) return TruncatedError(what);
  if (md->column_count < 0) return MalformedError(std::string(what) + ": negative column count");
  if (md->flags & rows_flag::kHasMorePages) {
    std::optional<std::string_view> state;
    if (!in.Bytes(&state)) return TruncatedError(std::string(what) + " paging state");
    // A null state with the flag set would make the caller stop early and silently lose
    // rows; treat it as the lie it is.
    if (!state) return MalformedError(std::string(what) + ": more pages but a null paging state");
    md->paging_state = state;
  }
  if (md->flags & rows_flag::kNoMetadata) return Status();
  return ReadColumnSpecs(in, md->column_count, (md->flags & rows_flag::kGlobalTablesSpec) != 0,
                         what, &md->columns);
}

Result<ResultMessage> ParseRows(WireReader& in) {
  RowsResult rows;
  Status s = ReadRowsMetadata(in, "RESULT Rows metadata", &rows.metadata);
  if (!s.ok()) return s;
  if (!in.Int(&rows.row_count)) return TruncatedError("RESULT Rows row count");
  if (rows.row_count < 0) return MalformedError("RESULT Rows: negative row count");
  // Rows of no columns take no bytes, so nothing would bound a lying count; no CQL query
  // selects zero columns.
  if (rows.row_count > 0 && rows.metadata.column_count == 0) {
    return MalformedError("RESULT Rows: " + std::to_string(rows.row_count) + " rows of 0 columns");
  }
  // Walk every cell once so that CellCursor can be trusted; each takes at least 4 bytes, so
  // this stops at the first missing one whatever the counts claim.
  const std::string_view start = in.rest();
  const uint64_t cells =
      static_cast<uint64_t>(rows.row_count) * static_cast<uint64_t>(rows.metadata.column_count);
  for (uint64_t i = 0; i < cells; ++i) {
    std::optional<std::string_view> cell;
    if (!in.Bytes(&cell)) {
      const uint64_t columns = static_cast<uint64_t>(rows.metadata.column_count);
      return TruncatedError("RESULT Rows: row " + std::to_string(i / columns) + ", column " +
                            std::to_string(i % columns));
    }
  }
  rows.content = start.substr(0, start.size() - in.remaining());
  return ResultMessage(std::move(rows));
}

Result<ResultMessage> ParsePrepared(WireReader& in) {
  PreparedResult p;
  if (!in.ShortBytes(&p.id)) return TruncatedError("RESULT Prepared id");
  int32_t column_count = 0;
  int32_t pk_count = 0;
  if (!in.Int(&p.flags) || !in.Int(&column_count) || !in.Int(&pk_count)) {
    return TruncatedError("RESULT Prepared metadata");
  }
  if (column_count < 0 || pk_count < 0) {
    return MalformedError("RESULT Prepared metadata: negative count");
  }
  p.pk_indexes.reserve(std::min(static_cast<size_t>(pk_count), in.remaining() / 2));
  for (int32_t i = 0; i < pk_count; ++i) {
    uint16_t index = 0;
    if (!in.Short(&index)) return TruncatedError("RESULT Prepared partition key indexes");
    // Checked here so that routing code can index the bound values without a check.
    if (index >= column_count) {
      return MalformedError("RESULT Prepared: partition key index " + std::to_string(index) +
                            " of " + std::to_string(column_count) + " bind markers");
    }
    p.pk_indexes.push_back(index);
  }
  Status s = ReadColumnSpecs(in, column_count, (p.flags & rows_flag::kGlobalTablesSpec) != 0,
                             "RESULT Prepared bind metadata", &p.bind_columns);
  if (!s.ok()) return s;
  s = ReadRowsMetadata(in, "RESULT Prepared result metadata", &p.result_metadata);
  if (!s.ok()) return s;
  return ResultMessage(std::move(p));
}

Result<ResultMessage> ParseSchemaChange(WireReader& in) {
  SchemaChangeResult c;
  if (!in.String(&c.change) || !in.String(&c.target) || !in.String(&c.keyspace)) {
    return TruncatedError("RESULT Schema_change");
  }
  if (c.target == "KEYSPACE") return ResultMessage(std::move(c));
  if (c.target == "TABLE" || c.target == "TYPE") {
    if (!in.String(&c.name)) return TruncatedError("RESULT Schema_change name");
    return ResultMessage(std::move(c));
  }
  if (c.target == "FUNCTION" || c.target == "AGGREGATE") {
    if (!in.String(&c.name) || !in.StringList(&c.arg_types)) {
      return TruncatedError("RESULT Schema_change function");
    }
    return ResultMessage(std::move(c));
  }
  return MalformedError("RESULT Schema_change: unknown target '" + std::string(c.target) + "'");
}

}  // namespace

std::optional<std::string_view> CellCursor::Next() {
  assert(left_ > 0);
  if (left_ == 0) return std::nullopt;
  --left_;
  std::optional<std::string_view> cell;
  if (!in_.Bytes(&cell)) {
    left_ = 0;  // only for a RowsResult not made by ParseResult
    return std::nullopt;
  }
  return cell;
}

Result<ResultMessage> ParseResult(std::string_view message) {
  WireReader in(message);
  int32_t kind = 0;
  if (!in.Int(&kind)) return TruncatedError("RESULT kind");
  switch (static_cast<ResultKind>(kind)) {
    case ResultKind::kVoid:
      return ResultMessage(VoidResult());
    case ResultKind::kRows:
      return ParseRows(in);
    case ResultKind::kSetKeyspace: {
      SetKeyspaceResult r;
      if (!in.String(&r.keyspace)) return TruncatedError("RESULT Set_keyspace");
      return ResultMessage(r);
    }
    case ResultKind::kPrepared:
      return ParsePrepared(in);
    case ResultKind::kSchemaChange:
      return ParseSchemaChange(in);
  }
  return MalformedError("RESULT: unknown kind " + std::to_string(kind));
}

}  // namespace shoal::store::cassandra

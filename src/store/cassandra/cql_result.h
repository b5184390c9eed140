// cql_result: RESULT messages of every kind (§4.2.5 of native_protocol_v4.spec): Void, Rows
// (metadata, then the cells walked by a CellCursor), Set_keyspace, Prepared (bind markers,
// partition key indexes, result metadata) and Schema_change.
//
// ParseResult reads through a WireReader: a truncated body, a count larger than what follows
// or a lying paging flag is InvalidArgument, never an over-read. Bytes after the described
// message are ignored, as the spec asks (§1, §4.2).
//
// Ownership: parsed messages hold std::string_views into the body they were parsed from (zero
// copy) and are valid only while that body is. To keep a message (a prepared statement's
// metadata, say), copy its body into a std::string and parse that copy.
// Thread-safety: pure functions and value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "store/cassandra/cql_column_type.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {

// RESULT kinds (§4.2.5).
enum class ResultKind : int32_t {
  kVoid = 0x0001,
  kRows = 0x0002,
  kSetKeyspace = 0x0003,
  kPrepared = 0x0004,
  kSchemaChange = 0x0005,
};

// Rows metadata flag bits (§4.2.5.2).
namespace rows_flag {
inline constexpr int32_t kGlobalTablesSpec = 0x0001;
inline constexpr int32_t kHasMorePages = 0x0002;
inline constexpr int32_t kNoMetadata = 0x0004;
}  // namespace rows_flag

struct ColumnSpec {
  std::string_view keyspace;
  std::string_view table;
  std::string_view name;
  CqlType type;
};

// RowsMetadata is the metadata of Rows, and the result metadata of Prepared.
struct RowsMetadata {
  int32_t flags = 0;
  int32_t column_count = 0;
  // Set when Has_more_pages: send it back (QueryParameters::paging_state) for the next page.
  // Decide "more pages" from this, never from the row count (§8).
  std::optional<std::string_view> paging_state;
  // Empty when No_metadata is set (the caller asked for Skip_metadata); else column_count
  // specs, each with its keyspace and table filled in even under Global_tables_spec.
  std::vector<ColumnSpec> columns;
};

// CellCursor walks the cells of a Rows result, row after row, column after column. On a
// RowsResult from ParseResult every cell is known to be there; on any other the cursor still
// never reads past its bytes (a missing cell comes back as null).
class CellCursor {
 public:
  CellCursor(std::string_view content, uint64_t cells) : in_(content), left_(cells) {}

  bool done() const { return left_ == 0; }
  uint64_t remaining() const { return left_; }
  // Next returns the next cell; std::nullopt is NULL. Empty (not null) cells exist: most
  // non-text types may hold an empty value (§6). REQUIRES: !done().
  std::optional<std::string_view> Next();

 private:
  WireReader in_;
  uint64_t left_;
};

struct RowsResult {
  RowsMetadata metadata;
  int32_t row_count = 0;
  std::string_view content;  // row_count x column_count [bytes]
  // cells walks the content from the first cell (negative counts count as zero).
  CellCursor cells() const {
    return CellCursor(
        content, static_cast<uint64_t>(row_count < 0 ? 0 : row_count) *
                     static_cast<uint64_t>(metadata.column_count < 0 ? 0 : metadata.column_count));
  }
};

struct VoidResult {};

struct SetKeyspaceResult {
  std::string_view keyspace;
};

struct PreparedResult {
  std::string_view id;
  int32_t flags = 0;  // of the bind metadata: only Global_tables_spec (rows_flag) is defined
  // pk_indexes[i] is the bind marker holding partition key column i (token-aware routing);
  // empty when some key column is not a plain bind marker. Each is < bind_columns.size().
  std::vector<uint16_t> pk_indexes;
  std::vector<ColumnSpec> bind_columns;  // one per bind marker, in order
  RowsMetadata result_metadata;          // often No_metadata with 0 columns for non-SELECTs
};

// SchemaChangeResult answers DDL (§4.2.5.5, §4.2.6).
struct SchemaChangeResult {
  std::string_view change;                  // CREATED, UPDATED, DROPPED
  std::string_view target;                  // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string_view keyspace;                // always
  std::string_view name;                    // TABLE, TYPE, FUNCTION, AGGREGATE
  std::vector<std::string_view> arg_types;  // FUNCTION, AGGREGATE
};

using ResultMessage =
    std::variant<VoidResult, RowsResult, SetKeyspaceResult, PreparedResult, SchemaChangeResult>;

// ParseResult reads a RESULT message of any kind. For Rows it checks that every cell is
// present (walking the cells once, without copying them), so that cells() can be trusted.
Result<ResultMessage> ParseResult(std::string_view message);

}  // namespace shoal::store::cassandra

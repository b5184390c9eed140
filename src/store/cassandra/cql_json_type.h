// cql_json_type: the store::ColumnType of a CQL column type, i.e. the JSON that
// AppendCellJson (cql_types.h) renders its cells as, so that CassandraStore::Prepare can
// report it (store.h's ColumnMeta; the api's OpenAPI document reads it).
//
// Cassandra promises no column is non-NULL in a result (a key column's NULL is impossible, but
// the result metadata does not say which columns are keys, and an empty cell of a non-text
// type renders as null), so CassandraStore reports every column as nullable.
// Thread-safety: a pure function.
#pragma once

#include "store/cassandra/cql_column_type.h"
#include "store/store.h"

namespace shoal::store::cassandra {

// JsonTypeOf is the JSON shape of `id`'s cells, as AppendCellJson renders them.
ColumnType JsonTypeOf(TypeId id);

}  // namespace shoal::store::cassandra

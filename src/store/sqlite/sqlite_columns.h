// sqlite_columns: what SqliteStore::Prepare reports of a statement's result columns beyond
// their names (store::ColumnMeta): the JSON type their declared type's affinity gives, and
// whether SQLite can promise they are never NULL.
//
// Types follow the affinity rules of SQLite's "Datatypes In SQLite" (section 3.1): a declared
// type containing INT is an integer; CHAR, CLOB or TEXT a string; BLOB a blob (base64 in
// JSON); REAL, FLOA or DOUB a number; anything else (NUMERIC, DECIMAL, BOOLEAN, DATE) a
// number. A column without a declared type (an expression, a computed column, a column
// declared without a type) is kAny. The declared type describes what the schema means: a table
// that is not STRICT may still hold a value of another type in a row, which then renders as
// what it is (the api never converts).
//
// NOT NULL is promised only when all of these hold: the column is a table column (SQLite's
// column metadata names its origin) declared NOT NULL, or an INTEGER PRIMARY KEY; the query
// text names no view; and the query text has none of the words that can put a NULL into such
// a column (LEFT, RIGHT, FULL or OUTER joins, UNION, EXCEPT, INTERSECT, and the aggregate
// functions, whose bare columns are NULL over no rows). The check is on words, so it errs on
// the side of "nullable" (a word in a string literal counts).
//
// sqlite3.h stays out of this header: the reading is in sqlite_columns.cc.
// Thread-safety: pure functions; ColumnMetas uses `db` and `stmt`, which the caller serialises.
#pragma once

#include <string_view>
#include <vector>

#include "store/store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace shoal::store {

// AffinityType is the ColumnType of declared type `declared` (kAny when empty).
ColumnType AffinityType(std::string_view declared);

// QueryMayAddNulls says whether `sql` has a word that can make a NOT NULL table column NULL
// in a result row (see above), or names one of `views`.
bool QueryMayAddNulls(std::string_view sql, const std::vector<std::string_view>& views);

// ColumnMetas reads the metadata of the result columns of `stmt`, prepared on `db` from `sql`.
// A failure to read the schema's view names only withdraws the NOT NULL promises.
std::vector<ColumnMeta> ColumnMetas(sqlite3* db, sqlite3_stmt* stmt, std::string_view sql);

}  // namespace shoal::store

// Column types for ingestion: what a writer's table declares, reduced to what decides how a
// value is bound (ColumnKind), and the conversion of a source's value to its column's kind.
//
// Numbers are parsed once, correctly rounded (base/numbers.h: std::from_chars), and bound
// typed, so a double's shortest text reads back bit for bit and an integer column never gets
// a fraction:
//
//   kind       text (a CSV field)                 int64           double
//   kInteger   ParseInt64, or a double text of    as is           an integral value in
//              an integral value in int64 range                   int64 range; 1.5 refused
//              ("1e3"); anything else refused
//   kReal      ParseDouble; anything else         as is (the      as is
//              refused                            database
//                                                 converts)
//   kNumeric   ParseInt64, else ParseDouble,      as is           as is
//              else the text as is (SQLite's NUMERIC affinity keeps such text too)
//   kText, kAny  as is
//
// A string from a typed source (JSON) is bound as a string whatever the column: the database
// decides, as it did before this conversion existed. Null, Blob and Json values pass as is.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace shoal::ingest {

enum class ColumnKind { kInteger, kReal, kNumeric, kText, kAny };

// TargetColumn is one column a writer binds: its name and declared type (for messages) and
// its kind.
struct TargetColumn {
  std::string name;
  std::string declared;  // "INTEGER", "double", ... (empty when the table declares none)
  ColumnKind kind = ColumnKind::kAny;
};

// SqliteColumnKind applies SQLite's affinity rules (https://sqlite.org/datatype3.html, 3.1)
// to a declared type: "INT" anywhere -> kInteger; "CHAR", "CLOB", "TEXT" -> kText; "BLOB" or
// nothing -> kAny; "REAL", "FLOA", "DOUB" -> kReal; anything else -> kNumeric. Case-insensitive.
ColumnKind SqliteColumnKind(std::string_view declared);

// ConvertValue converts *value for `column` as the table above says. `from_text` is the
// source's values_are_text(). An error (InvalidArgument) says "column 'NAME' (TYPE): 'TEXT'
// is not an integer" or the like; *value is then unspecified.
Status ConvertValue(store::Value* value, const TargetColumn& column, bool from_text);

// ConvertRow converts every value of *row (in `columns` order). REQUIRES: the sizes match.
Status ConvertRow(std::vector<store::Value>* row, const std::vector<TargetColumn>& columns,
                  bool from_text);

}  // namespace shoal::ingest

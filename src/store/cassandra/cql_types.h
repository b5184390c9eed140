// cql_types: CQL cell values to JSON text, and shoal's bound values to CQL bytes.
//
// AppendCellJson renders one cell of a Rows result (cql_frame.h's CellCursor) as JSON,
// rendering a value the way the api renders the SQLite value of the same meaning, so an
// endpoint answers alike whichever database serves it:
//
//   NULL (and an empty cell of a non-text type, §6)  null
//   ascii, varchar (text)         string; invalid UTF-8 becomes U+FFFD (base/json.h)
//   tinyint, smallint, int, bigint, counter, varint
//                                 integer (varint at any size, as exact decimal digits)
//   boolean                       true / false
//   float, double                 shortest text that reads back to the same value, with a
//                                 ".0" on integral values (4.0); NaN and infinities are null
//   decimal                       exact JSON number: 12.50, 0.001; scales outside 0..100
//                                 use an exponent (12e3, 5e-200) so a 5-byte cell cannot
//                                 expand into gigabytes of zeros
//   uuid, timeuuid                "01234567-89ab-cdef-0123-456789abcdef"
//   timestamp                     "2024-05-01T12:00:00.000Z" (UTC; years outside 0..9999
//                                 are written with a sign, as ISO 8601 expands them)
//   date                          "2024-05-01"
//   time                          "12:00:00.000000000" (nanoseconds)
//   inet                          "10.0.0.1", "2001:db8::1"
//   blob, custom types            base64 string (RFC 4648, padded), as the api does for
//                                 SQLite blobs; custom (duration, vector on v4) stays opaque
//   list, set, tuple              array
//   map                           object; a key that does not render as a JSON string is
//                                 written as the string of its JSON text (1 -> "1")
//   UDT                           object of field name -> value; absent trailing fields null
//
// A cell whose bytes do not fit its type (wrong size, truncated collection, time outside a
// day, varint over kMaxVarintBytes) is InvalidArgument naming the type; `out` is then left as
// it was.
//
// AppendBoundValue encodes a shoal::store::Value as the [value] of a bind marker whose type
// the Prepared metadata gave. It converts where the meaning is unambiguous and refuses the
// rest (InvalidArgument naming value kind and type):
//
//   NULL            any type: null
//   int64           tinyint, smallint, int (range-checked), bigint, counter, varint, decimal,
//                   timestamp (milliseconds since the epoch), double, float, boolean (0 or 1),
//                   ascii/varchar (its decimal text: what SQLite's text affinity would do)
//   double          double, float (finite values beyond float's range are refused)
//   string          ascii (checked), varchar, blob; uuid/timeuuid from the 8-4-4-4-12 form;
//                   integer types, double, float from their decimal text; boolean from
//                   "true"/"false"; inet from its text form; timestamp from ISO 8601 with a
//                   zone, date from "YYYY-MM-DD" or an instant at midnight UTC
//                   (base/iso8601.h: what Solr's date fields hold)
//   Blob            blob, custom
//   Json            nothing: it is a result value only (store.h)
//
// AppendCellJson is in cql_cell_json.cc, AppendBoundValue in cql_bound_value.cc.
// Ownership: both functions append to a caller's string and keep nothing. Thread-safety:
// pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/cassandra/cql_column_type.h"
#include "store/store.h"

namespace shoal::store::cassandra {

// kMaxVarintBytes bounds a varint rendered to decimal. The conversion is quadratic in the
// size; 8 KiB (about 19,700 digits) takes well under a millisecond, and no real column holds
// a larger integer than that.
inline constexpr size_t kMaxVarintBytes = 8 << 10;

// kMaxPlainDecimalScale: decimals with a scale in 0..this are written with a decimal point,
// others with an exponent (see above).
inline constexpr int32_t kMaxPlainDecimalScale = 100;

// AppendCellJson appends the JSON of `cell` (std::nullopt is NULL) of column type `type`.
Status AppendCellJson(std::string& out, const CqlType& type, std::optional<std::string_view> cell);

// AppendBoundValue appends `value` as a [value] for a bind marker of type `type`.
Status AppendBoundValue(std::string& out, const CqlType& type, const Value& value);

}  // namespace shoal::store::cassandra

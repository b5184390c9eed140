// cql_column_type: the [option] that describes a column or a bind marker (§4.2.5.2 of
// native_protocol_v4.spec): TypeId, and CqlType, a validated view of one whole [option] with
// accessors for its parameters (element, key and value, tuple and UDT fields).
//
// ReadType checks every nested option once (unknown ids, truncation, nesting deeper than
// kMaxTypeDepth are InvalidArgument); the accessors then trust the bytes.
// Ownership: a CqlType views the body it was read from (or static storage for Native).
// Thread-safety: value types and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {

// kMaxTypeDepth bounds the nesting of a column type ([option] inside list/map/set/tuple/UDT).
// Parsing and rendering recurse once per level, so a lying body must not choose the depth;
// real schemas nest a handful of levels (a frozen<map<text, frozen<list<...>>>> is 3).
inline constexpr int kMaxTypeDepth = 32;

enum class TypeId : uint16_t {
  kCustom = 0x0000,  // [string] Java class; also how v4 sees duration and vector
  kAscii = 0x0001,
  kBigint = 0x0002,
  kBlob = 0x0003,
  kBoolean = 0x0004,
  kCounter = 0x0005,
  kDecimal = 0x0006,
  kDouble = 0x0007,
  kFloat = 0x0008,
  kInt = 0x0009,
  kTimestamp = 0x000B,
  kUuid = 0x000C,
  kVarchar = 0x000D,  // text
  kVarint = 0x000E,
  kTimeuuid = 0x000F,
  kInet = 0x0010,
  kDate = 0x0011,
  kTime = 0x0012,
  kSmallint = 0x0013,
  kTinyint = 0x0014,
  kList = 0x0020,   // [option] element
  kMap = 0x0021,    // [option] key, [option] value
  kSet = 0x0022,    // [option] element
  kUdt = 0x0030,    // [string] ks, [string] name, [short] n, n x ([string] field, [option])
  kTuple = 0x0031,  // [short] n, n x [option]
};

// TypeIdName returns the CQL name ("int", "varchar", "list", ...).
std::string_view TypeIdName(TypeId id);
// IsNativeType says whether `id` is a type without parameters (not custom, not a collection,
// tuple or UDT).
bool IsNativeType(TypeId id);
// IntegerSize is the size in bytes of a cell of a fixed-width integer type: 1 for tinyint, 2
// for smallint, 4 for int, 8 for bigint and counter; 0 for every other type.
size_t IntegerSize(TypeId id);

class FieldCursor;

// CqlType views one whole, validated [option]; it is cheap to copy. Only ReadType, ParseType
// and Native make one, so the accessors can trust the bytes. A default CqlType is blob.
class CqlType {
 public:
  CqlType();
  // Native returns the type `id` without parameters. REQUIRES: IsNativeType(id).
  static CqlType Native(TypeId id);

  TypeId id() const;
  std::string_view encoded() const { return bytes_; }

  // custom_class is the Java class name of a custom type. REQUIRES: id() == kCustom.
  std::string_view custom_class() const;
  // element is a list's or set's element type. REQUIRES: id() is kList or kSet.
  CqlType element() const;
  // key and value are a map's. REQUIRES: id() == kMap.
  CqlType key() const;
  CqlType value() const;
  // udt_keyspace and udt_name name a UDT. REQUIRES: id() == kUdt.
  std::string_view udt_keyspace() const;
  std::string_view udt_name() const;
  // field_count and fields walk a tuple's components (names empty) or a UDT's fields.
  // REQUIRES: id() is kTuple or kUdt.
  size_t field_count() const;
  FieldCursor fields() const;

  // ToString spells the type as CQL does, e.g. "list<map<varchar, int>>", for messages.
  std::string ToString() const;

 private:
  friend Result<CqlType> ReadType(WireReader& in);
  friend class FieldCursor;
  explicit CqlType(std::string_view bytes) : bytes_(bytes) {}

  std::string_view bytes_;
};

// FieldCursor yields a tuple's or UDT's components in order.
class FieldCursor {
 public:
  // Next sets the next field's name (empty for a tuple) and type; false after the last.
  bool Next(std::string_view* name, CqlType* type);

 private:
  friend class CqlType;
  FieldCursor(std::string_view rest, size_t count, bool named)
      : in_(rest), left_(count), named_(named) {}

  WireReader in_;
  size_t left_;
  bool named_;
};

// ReadType reads one [option], checking every nested option (unknown ids, truncation, depth
// over kMaxTypeDepth are InvalidArgument).
Result<CqlType> ReadType(WireReader& in);
// ParseType reads an [option] that must fill `encoded` exactly (tests, stored metadata).
Result<CqlType> ParseType(std::string_view encoded);

}  // namespace shoal::store::cassandra

// cql_json_type: see cql_json_type.h. Each case follows cql_types.h's table.
#include "store/cassandra/cql_json_type.h"

namespace shoal::store::cassandra {

ColumnType JsonTypeOf(TypeId id) {
  switch (id) {
    case TypeId::kAscii:
    case TypeId::kVarchar:
    case TypeId::kTime:  // "12:00:00.000000000"
    case TypeId::kInet:
      return ColumnType::kString;
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInt:
    case TypeId::kBigint:
    case TypeId::kCounter:
    case TypeId::kVarint:
      return ColumnType::kInteger;
    case TypeId::kBoolean:
      return ColumnType::kBoolean;
    case TypeId::kFloat:
    case TypeId::kDouble:
    case TypeId::kDecimal:
      return ColumnType::kNumber;
    case TypeId::kUuid:
    case TypeId::kTimeuuid:
      return ColumnType::kUuid;
    case TypeId::kTimestamp:
      return ColumnType::kDateTime;
    case TypeId::kDate:
      return ColumnType::kDate;
    case TypeId::kBlob:
    case TypeId::kCustom:
      return ColumnType::kBase64;
    case TypeId::kList:
    case TypeId::kSet:
    case TypeId::kTuple:
      return ColumnType::kArray;
    case TypeId::kMap:
    case TypeId::kUdt:
      return ColumnType::kObject;
  }
  return ColumnType::kAny;
}

}  // namespace shoal::store::cassandra

// Tests for cql_json_type.h: every CQL type id maps to the JSON that cql_types.h renders its
// cells as; the renderer itself is asked for a few, so the two cannot drift apart unnoticed.
#include "store/cassandra/cql_json_type.h"

#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "store/cassandra/cql_types.h"

namespace shoal::store::cassandra {
namespace {

TEST(CqlJsonType, EveryTypeId) {
  const std::pair<TypeId, ColumnType> cases[] = {
      {TypeId::kCustom, ColumnType::kBase64},      {TypeId::kAscii, ColumnType::kString},
      {TypeId::kBigint, ColumnType::kInteger},     {TypeId::kBlob, ColumnType::kBase64},
      {TypeId::kBoolean, ColumnType::kBoolean},    {TypeId::kCounter, ColumnType::kInteger},
      {TypeId::kDecimal, ColumnType::kNumber},     {TypeId::kDouble, ColumnType::kNumber},
      {TypeId::kFloat, ColumnType::kNumber},       {TypeId::kInt, ColumnType::kInteger},
      {TypeId::kTimestamp, ColumnType::kDateTime}, {TypeId::kUuid, ColumnType::kUuid},
      {TypeId::kVarchar, ColumnType::kString},     {TypeId::kVarint, ColumnType::kInteger},
      {TypeId::kTimeuuid, ColumnType::kUuid},      {TypeId::kInet, ColumnType::kString},
      {TypeId::kDate, ColumnType::kDate},          {TypeId::kTime, ColumnType::kString},
      {TypeId::kSmallint, ColumnType::kInteger},   {TypeId::kTinyint, ColumnType::kInteger},
      {TypeId::kList, ColumnType::kArray},         {TypeId::kMap, ColumnType::kObject},
      {TypeId::kSet, ColumnType::kArray},          {TypeId::kUdt, ColumnType::kObject},
      {TypeId::kTuple, ColumnType::kArray},
  };
  for (const auto& [id, type] : cases) {
    EXPECT_EQ(JsonTypeOf(id), type) << TypeIdName(id);
  }
}

// The renderer agrees for the natives whose JSON shape shows in the first character.
TEST(CqlJsonType, AgreesWithTheRenderer) {
  const std::pair<TypeId, std::string> cells[] = {
      {TypeId::kInt, std::string("\x00\x00\x00\x07", 4)},
      {TypeId::kBoolean, std::string("\x01", 1)},
      {TypeId::kVarchar, std::string("hi")},
      {TypeId::kDouble, std::string("\x3f\xf8\x00\x00\x00\x00\x00\x00", 8)},
      {TypeId::kTimestamp, std::string(8, '\0')},
      {TypeId::kUuid, std::string(16, '\x11')},
      {TypeId::kBlob, std::string("\x01\x02", 2)},
  };
  for (const auto& [id, cell] : cells) {
    std::string json;
    ASSERT_TRUE(AppendCellJson(json, CqlType::Native(id), cell).ok()) << TypeIdName(id);
    ASSERT_FALSE(json.empty());
    switch (JsonTypeOf(id)) {
      case ColumnType::kInteger:
        EXPECT_EQ(json, "7");
        break;
      case ColumnType::kNumber:
        EXPECT_EQ(json, "1.5");
        break;
      case ColumnType::kBoolean:
        EXPECT_EQ(json, "true");
        break;
      case ColumnType::kDateTime:
        EXPECT_EQ(json, "\"1970-01-01T00:00:00.000Z\"");
        break;
      default:
        EXPECT_EQ(json.front(), '"') << TypeIdName(id) << " renders " << json;
    }
  }
}

}  // namespace
}  // namespace shoal::store::cassandra

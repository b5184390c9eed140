// Tests for cql_result.h and cql_column_type.h: column types (nested, UDT, tuple, custom, the
// refusals), and RESULT of every kind on whole, truncated and lying bodies.
#include "store/cassandra/cql_result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cql_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::string_literals;

TEST(CqlTypeTest, NestedCollectionsParseAndName) {
  auto t = ParseType(Keep(ListOfMapTextInt()));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->id(), TypeId::kList);
  EXPECT_EQ(t->element().id(), TypeId::kMap);
  EXPECT_EQ(t->element().key().id(), TypeId::kVarchar);
  EXPECT_EQ(t->element().value().id(), TypeId::kInt);
  EXPECT_EQ(t->ToString(), "list<map<varchar, int>>");
}

TEST(CqlTypeTest, UdtTupleAndCustom) {
  const std::string udt = T(TypeId::kUdt) + S("ks") + S("address") + H("0002") + S("street") +
                          T(TypeId::kVarchar) + S("zip") + T(TypeId::kInt);
  auto u = ParseType(udt);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->udt_keyspace(), "ks");
  EXPECT_EQ(u->udt_name(), "address");
  EXPECT_EQ(u->field_count(), 2u);
  FieldCursor fields = u->fields();
  std::string_view name;
  CqlType type;
  ASSERT_TRUE(fields.Next(&name, &type));
  EXPECT_EQ(name, "street");
  EXPECT_EQ(type.id(), TypeId::kVarchar);
  ASSERT_TRUE(fields.Next(&name, &type));
  EXPECT_EQ(name, "zip");
  EXPECT_EQ(type.id(), TypeId::kInt);
  EXPECT_FALSE(fields.Next(&name, &type));

  auto tuple = ParseType(Keep(T(TypeId::kTuple) + H("0002") + T(TypeId::kInt) + udt));
  ASSERT_TRUE(tuple.ok());
  EXPECT_EQ(tuple->ToString(), "tuple<int, ks.address>");

  auto custom =
      ParseType(Keep(T(TypeId::kCustom) + S("org.apache.cassandra.db.marshal.DurationType")));
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->custom_class(), "org.apache.cassandra.db.marshal.DurationType");
}

TEST(CqlTypeTest, UnknownTruncatedAndTooDeepTypesAreRefused) {
  EXPECT_NE(ParseType(Keep(H("0015"))).status().message().find("unknown column type id 0x0015"),
            std::string_view::npos);
  EXPECT_FALSE(ParseType(Keep(H("000a"))).ok());  // unused id
  EXPECT_FALSE(ParseType(Keep(H("00"))).ok());
  EXPECT_FALSE(ParseType(Keep(T(TypeId::kMap) + T(TypeId::kInt))).ok());
  EXPECT_FALSE(ParseType(Keep(T(TypeId::kTuple) + H("0003") + T(TypeId::kInt))).ok());
  EXPECT_FALSE(ParseType(Keep(T(TypeId::kInt) + "x")).ok());  // bytes after the type
  std::string deep;
  for (int i = 0; i < kMaxTypeDepth - 1; ++i) deep += T(TypeId::kList);
  EXPECT_TRUE(ParseType(Keep(deep + T(TypeId::kInt))).ok());
  EXPECT_NE(
      ParseType(Keep(T(TypeId::kList) + deep + T(TypeId::kInt))).status().message().find("deeper"),
      std::string_view::npos);
  // A body of 100000 nested lists must not recurse 100000 deep.
  std::string very_deep;
  for (int i = 0; i < 100000; ++i) very_deep += T(TypeId::kList);
  EXPECT_FALSE(ParseType(Keep(very_deep + T(TypeId::kInt))).ok());
}

TEST(CqlTypeTest, NativeAndDefault) {
  EXPECT_EQ(CqlType().id(), TypeId::kBlob);
  EXPECT_EQ(CqlType::Native(TypeId::kTinyint).id(), TypeId::kTinyint);
  EXPECT_EQ(CqlType::Native(TypeId::kVarchar).ToString(), "varchar");
}

TEST(CqlResultTest, RowsGiveMetadataAndCellsAsViews) {
  const std::string body = RowsBody();
  auto r = ParseResult(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RowsResult& rows = std::get<RowsResult>(*r);
  EXPECT_EQ(rows.metadata.column_count, 2);
  EXPECT_EQ(rows.metadata.paging_state, "page-2");
  ASSERT_EQ(rows.metadata.columns.size(), 2u);
  EXPECT_EQ(rows.metadata.columns[0].keyspace, "ks");
  EXPECT_EQ(rows.metadata.columns[0].table, "t");
  EXPECT_EQ(rows.metadata.columns[0].name, "k");
  EXPECT_EQ(rows.metadata.columns[0].type.id(), TypeId::kInt);
  EXPECT_EQ(rows.metadata.columns[1].name, "tags");
  EXPECT_EQ(rows.metadata.columns[1].type.ToString(), "list<map<varchar, int>>");
  EXPECT_EQ(rows.row_count, 2);
  CellCursor cells = rows.cells();
  EXPECT_EQ(cells.remaining(), 4u);
  EXPECT_EQ(cells.Next(), H("00000007"));
  auto list = cells.Next();
  ASSERT_TRUE(list.has_value());
  // Zero copy: the cell points into the body.
  EXPECT_GE(list->data(), body.data());
  EXPECT_LT(list->data(), body.data() + body.size());
  auto empty = cells.Next();
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  EXPECT_FALSE(cells.Next().has_value());  // NULL
  EXPECT_TRUE(cells.done());
}

TEST(CqlResultTest, EveryTruncationOfRowsIsRefused) {
  const std::string body = RowsBody();
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = ParseResult(body.substr(0, n));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "length " << n;
  }
  EXPECT_TRUE(ParseResult(Keep(body + "extra")).ok());  // trailing bytes are ignored (§4.2)
}

TEST(CqlResultTest, RowsWithPerColumnTableSpecs) {
  const std::string body = Int(2) + Int(0) + Int(2) + S("ks1") + S("t1") + S("a") +
                           T(TypeId::kVarchar) + S("ks2") + S("t2") + S("b") + T(TypeId::kBoolean) +
                           Int(1) + Cell("x") + Cell(H("01"));
  auto r = ParseResult(body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RowsResult& rows = std::get<RowsResult>(*r);
  EXPECT_FALSE(rows.metadata.paging_state.has_value());
  EXPECT_EQ(rows.metadata.columns[1].keyspace, "ks2");
  EXPECT_EQ(rows.metadata.columns[1].table, "t2");
  EXPECT_EQ(rows.metadata.columns[1].type.id(), TypeId::kBoolean);
}

TEST(CqlResultTest, RowsWithoutMetadataStillCountColumns) {
  const std::string body =
      Int(2) + Int(rows_flag::kNoMetadata) + Int(1) + Int(2) + Cell("a") + Cell("b");
  auto r = ParseResult(body);
  ASSERT_TRUE(r.ok());
  const RowsResult& rows = std::get<RowsResult>(*r);
  EXPECT_TRUE(rows.metadata.columns.empty());
  CellCursor c = rows.cells();
  EXPECT_EQ(c.Next(), "a");
  EXPECT_EQ(c.Next(), "b");
  EXPECT_TRUE(c.done());
}

TEST(CqlResultTest, LyingRowsCountsAreRefused) {
  const std::string no_md = Int(2) + Int(rows_flag::kNoMetadata);
  // Two billion columns of metadata in a few bytes: refused without reserving for them.
  EXPECT_FALSE(ParseResult(Keep(Int(2) + Int(1) + Int(0x7fffffff) + S("ks") + S("t") + S("a") +
                                T(TypeId::kInt)))
                   .ok());
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(0x7fffffff) + Int(0x7fffffff) + Cell("x"))).ok());
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(-1) + Int(0))).ok());
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(1) + Int(-1))).ok());
  // Rows of zero columns take no bytes, so nothing would bound their number.
  EXPECT_FALSE(ParseResult(Keep(no_md + Int(0) + Int(1000000000))).ok());
  EXPECT_TRUE(ParseResult(Keep(no_md + Int(0) + Int(0))).ok());
  // More pages announced with a null paging state.
  EXPECT_FALSE(ParseResult(Keep(Int(2) + Int(rows_flag::kNoMetadata | rows_flag::kHasMorePages) +
                                Int(1) + H("ffffffff") + Int(0)))
                   .ok());
}

// PreparedBody: SELECT v FROM ks.t WHERE k = ? AND c = ?, partition key k at marker 0.
std::string PreparedBody() {
  return Int(4) + H("0002 beef") + Int(rows_flag::kGlobalTablesSpec) + Int(2) + Int(1) + H("0000") +
         S("ks") + S("t") + S("k") + T(TypeId::kVarchar) + S("c") + T(TypeId::kTimestamp) +
         Int(rows_flag::kGlobalTablesSpec) + Int(1) + S("ks") + S("t") + S("v") +
         T(TypeId::kDouble);
}

TEST(CqlResultTest, PreparedGivesIdBindMarkersKeyIndexesAndResultColumns) {
  auto r = ParseResult(Keep(PreparedBody()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const PreparedResult& p = std::get<PreparedResult>(*r);
  EXPECT_EQ(p.id, H("beef"));
  EXPECT_EQ(p.pk_indexes, std::vector<uint16_t>{0});
  ASSERT_EQ(p.bind_columns.size(), 2u);
  EXPECT_EQ(p.bind_columns[0].name, "k");
  EXPECT_EQ(p.bind_columns[1].type.id(), TypeId::kTimestamp);
  ASSERT_EQ(p.result_metadata.columns.size(), 1u);
  EXPECT_EQ(p.result_metadata.columns[0].name, "v");
  EXPECT_EQ(p.result_metadata.columns[0].type.id(), TypeId::kDouble);
}

TEST(CqlResultTest, EveryTruncationOfPreparedIsRefused) {
  const std::string body = PreparedBody();
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(ParseResult(body.substr(0, n)).ok()) << "length " << n;
  }
}

TEST(CqlResultTest, APartitionKeyIndexBeyondTheMarkersIsRefused) {
  const std::string body = Int(4) + H("0001 01") + Int(1) + Int(1) + Int(1) + H("0001") + S("ks") +
                           S("t") + S("k") + T(TypeId::kInt) + Int(rows_flag::kNoMetadata) + Int(0);
  EXPECT_NE(ParseResult(body).status().message().find("partition key index 1"),
            std::string_view::npos);
}

TEST(CqlResultTest, VoidSetKeyspaceAndSchemaChange) {
  EXPECT_TRUE(std::holds_alternative<VoidResult>(*ParseResult(Keep(Int(1)))));
  auto ks = ParseResult(Keep(Int(3) + S("shop")));
  ASSERT_TRUE(ks.ok());
  EXPECT_EQ(std::get<SetKeyspaceResult>(*ks).keyspace, "shop");

  auto table = ParseResult(Keep(Int(5) + S("CREATED") + S("TABLE") + S("shop") + S("items")));
  ASSERT_TRUE(table.ok());
  const auto& t = std::get<SchemaChangeResult>(*table);
  EXPECT_EQ(t.change, "CREATED");
  EXPECT_EQ(t.target, "TABLE");
  EXPECT_EQ(t.keyspace, "shop");
  EXPECT_EQ(t.name, "items");

  auto keyspace = ParseResult(Keep(Int(5) + S("DROPPED") + S("KEYSPACE") + S("shop")));
  ASSERT_TRUE(keyspace.ok());
  EXPECT_EQ(std::get<SchemaChangeResult>(*keyspace).name, "");

  auto fn = ParseResult(Keep(Int(5) + S("UPDATED") + S("FUNCTION") + S("shop") + S("f") +
                             H("0002") + S("int") + S("text")));
  ASSERT_TRUE(fn.ok());
  EXPECT_EQ(std::get<SchemaChangeResult>(*fn).arg_types,
            (std::vector<std::string_view>{"int", "text"}));

  EXPECT_FALSE(ParseResult(Keep(Int(5) + S("CREATED") + S("INDEX") + S("shop"))).ok());
  EXPECT_FALSE(ParseResult(Keep(Int(5) + S("CREATED") + S("TABLE") + S("shop"))).ok());
  EXPECT_FALSE(ParseResult(Keep(Int(3))).ok());
  EXPECT_NE(ParseResult(Keep(Int(6))).status().message().find("unknown kind 6"),
            std::string_view::npos);
  EXPECT_FALSE(ParseResult(Keep(H("000000"))).ok());
}

}  // namespace
}  // namespace shoal::store::cassandra

// Tests for cql_types.h: every CQL type rendered to JSON, edge values included, malformed
// cells refused, and shoal values encoded for bind markers (and read back).
#include "store/cassandra/cql_types.h"

#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "store/cassandra/cql_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::string_literals;

// Type parses an [option]; its storage lives as long as the test program (a CqlType views it).
CqlType Type(std::string encoded) {
  static std::deque<std::string> kept;
  auto t = ParseType(kept.emplace_back(std::move(encoded)));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : CqlType();
}

CqlType Native(TypeId id) { return CqlType::Native(id); }

// Json renders one cell, or returns "error: <message>".
std::string Json(const CqlType& type, std::optional<std::string_view> cell) {
  std::string out;
  Status s = AppendCellJson(out, type, cell);
  if (!s.ok()) {
    EXPECT_TRUE(out.empty()) << "a failed render must leave the output as it was";
    return "error: " + std::string(s.message());
  }
  return out;
}

std::string Json(TypeId id, std::string_view cell) { return Json(Native(id), cell); }

bool IsErrorNaming(const std::string& result, std::string_view type) {
  return result.rfind("error: ", 0) == 0 && result.find(type) != std::string::npos;
}

// ---------------------------------------------------------------------------------------
// Scalars.

TEST(CqlCellJsonTest, NullAndEmpty) {
  EXPECT_EQ(Json(Native(TypeId::kInt), std::nullopt), "null");
  EXPECT_EQ(Json(Native(TypeId::kVarchar), std::nullopt), "null");
  // Empty non-text values (legal in CQL for legacy reasons) have no value: null.
  EXPECT_EQ(Json(TypeId::kInt, ""), "null");
  EXPECT_EQ(Json(TypeId::kTimestamp, ""), "null");
  EXPECT_EQ(Json(TypeId::kVarint, ""), "null");
  // Empty text and blobs are just empty.
  EXPECT_EQ(Json(TypeId::kVarchar, ""), "\"\"");
  EXPECT_EQ(Json(TypeId::kBlob, ""), "\"\"");
}

TEST(CqlCellJsonTest, Integers) {
  EXPECT_EQ(Json(TypeId::kTinyint, H("80")), "-128");
  EXPECT_EQ(Json(TypeId::kTinyint, H("7f")), "127");
  EXPECT_EQ(Json(TypeId::kSmallint, H("8000")), "-32768");
  EXPECT_EQ(Json(TypeId::kInt, H("7fffffff")), "2147483647");
  EXPECT_EQ(Json(TypeId::kInt, H("ffffffff")), "-1");
  EXPECT_EQ(Json(TypeId::kBigint, H("8000000000000000")), "-9223372036854775808");
  EXPECT_EQ(Json(TypeId::kBigint, H("7fffffffffffffff")), "9223372036854775807");
  EXPECT_EQ(Json(TypeId::kCounter, H("000000000000002a")), "42");
}

TEST(CqlCellJsonTest, WrongSizesAreRefusedNamingTheType) {
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kInt, H("000001")), "malformed int value: 3 bytes"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kBigint, H("00")), "bigint"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kSmallint, H("000000")), "smallint"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kTinyint, H("0000")), "tinyint"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kBoolean, H("0000")), "boolean"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kDouble, H("00")), "double"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kFloat, H("00")), "float"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kUuid, H("00")), "uuid"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kTimestamp, H("00")), "timestamp"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kDate, H("00")), "date"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kInet, H("0000000000")), "inet"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kDecimal, H("00000000")), "decimal"));
}

TEST(CqlCellJsonTest, FailedRenderLeavesEarlierOutputAlone) {
  std::string out = "[1,";
  EXPECT_FALSE(AppendCellJson(out, Native(TypeId::kInt), H("00")).ok());
  EXPECT_EQ(out, "[1,");
}

TEST(CqlCellJsonTest, Boolean) {
  EXPECT_EQ(Json(TypeId::kBoolean, H("00")), "false");
  EXPECT_EQ(Json(TypeId::kBoolean, H("01")), "true");
  EXPECT_EQ(Json(TypeId::kBoolean, H("ff")), "true");  // any non-zero (§6.4)
}

TEST(CqlCellJsonTest, FloatingPointIsShortestRoundTripAndNaNIsNull) {
  EXPECT_EQ(Json(TypeId::kDouble, H("3fb999999999999a")), "0.1");
  EXPECT_EQ(Json(TypeId::kDouble, H("4010000000000000")), "4.0");
  EXPECT_EQ(Json(TypeId::kDouble, H("7e37e43c8800759c")), "1e+300");
  EXPECT_EQ(Json(TypeId::kDouble, H("7ff8000000000000")), "null");  // NaN
  EXPECT_EQ(Json(TypeId::kDouble, H("fff0000000000000")), "null");  // -inf
  EXPECT_EQ(Json(TypeId::kDouble, H("8000000000000000")), "-0.0");
  // A float's own shortest form: 0.1f is 0.1, not 0.10000000149011612.
  EXPECT_EQ(Json(TypeId::kFloat, H("3dcccccd")), "0.1");
  EXPECT_EQ(Json(TypeId::kFloat, H("40400000")), "3.0");
  EXPECT_EQ(Json(TypeId::kFloat, H("7fc00000")), "null");
  EXPECT_EQ(Json(TypeId::kFloat, H("7f800000")), "null");
}

TEST(CqlCellJsonTest, TextIsEscapedAndInvalidUtf8Replaced) {
  EXPECT_EQ(Json(TypeId::kVarchar, "caf\xC3\xA9"), "\"caf\xC3\xA9\"");
  EXPECT_EQ(Json(TypeId::kVarchar, "a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(Json(TypeId::kVarchar,
                 "a\xFF"
                 "b"),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(Json(TypeId::kVarchar, "\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong
  EXPECT_EQ(Json(TypeId::kAscii, "plain"), "\"plain\"");
  EXPECT_EQ(Json(TypeId::kVarchar, "nul\0in"s), "\"nul\\u0000in\"");
}

TEST(CqlCellJsonTest, BlobsAndCustomTypesAreBase64) {
  // RFC 4648 section 10 vectors.
  EXPECT_EQ(Json(TypeId::kBlob, "f"), "\"Zg==\"");
  EXPECT_EQ(Json(TypeId::kBlob, "fo"), "\"Zm8=\"");
  EXPECT_EQ(Json(TypeId::kBlob, "foo"), "\"Zm9v\"");
  EXPECT_EQ(Json(TypeId::kBlob, "foobar"), "\"Zm9vYmFy\"");
  EXPECT_EQ(Json(TypeId::kBlob, H("fffe00")), "\"//4A\"");
  const CqlType duration =
      Type(T(TypeId::kCustom) + S("org.apache.cassandra.db.marshal.DurationType"));
  EXPECT_EQ(Json(duration, H("020406")), "\"AgQG\"");
}

TEST(CqlCellJsonTest, UuidsAreCanonicalLowercase) {
  EXPECT_EQ(Json(TypeId::kUuid, H("0123456789ABCDEF0123456789abcdef")),
            "\"01234567-89ab-cdef-0123-456789abcdef\"");
  EXPECT_EQ(Json(TypeId::kTimeuuid, H("e2e3f2a0 07a1 11ef 8000 000000000001")),
            "\"e2e3f2a0-07a1-11ef-8000-000000000001\"");
}

TEST(CqlCellJsonTest, Inet) {
  EXPECT_EQ(Json(TypeId::kInet, H("0a000001")), "\"10.0.0.1\"");
  EXPECT_EQ(Json(TypeId::kInet, H("20010db8000000000000000000000001")), "\"2001:db8::1\"");
}

// ---------------------------------------------------------------------------------------
// Arbitrary precision.

TEST(CqlCellJsonTest, VarintsOfAnySize) {
  EXPECT_EQ(Json(TypeId::kVarint, H("00")), "0");
  EXPECT_EQ(Json(TypeId::kVarint, H("7f")), "127");
  EXPECT_EQ(Json(TypeId::kVarint, H("80")), "-128");
  EXPECT_EQ(Json(TypeId::kVarint, H("0080")), "128");  // spec §6.23 examples
  EXPECT_EQ(Json(TypeId::kVarint, H("ff7f")), "-129");
  // 9 bytes: just past int64 either way.
  EXPECT_EQ(Json(TypeId::kVarint, H("008000000000000000")), "9223372036854775808");
  EXPECT_EQ(Json(TypeId::kVarint, H("ff7fffffffffffffff")), "-9223372036854775809");
  EXPECT_EQ(Json(TypeId::kVarint, H("000de0b6b3a7640000")), "1000000000000000000");
  // 17 bytes: 2^128, -2^128, 2^128 - 1.
  EXPECT_EQ(Json(TypeId::kVarint, H("01 00000000000000000000000000000000")),
            "340282366920938463463374607431768211456");
  EXPECT_EQ(Json(TypeId::kVarint, H("ff 00000000000000000000000000000000")),
            "-340282366920938463463374607431768211456");
  EXPECT_EQ(Json(TypeId::kVarint, H("00 ffffffffffffffffffffffffffffffff")),
            "340282366920938463463374607431768211455");
  EXPECT_EQ(Json(TypeId::kVarint, H("e29cd60e3ca35b4054460a9efff8a432eb")),
            "-10000000000000000000000000000000123456789");
  // Base-10^9 chunks that are zero inside the number keep their nine digits.
  EXPECT_EQ(Json(TypeId::kVarint, H("033b2e3c9fd0803ce8000005")), "1000000000000000000000000005");
  // Redundant sign bytes change nothing.
  EXPECT_EQ(Json(TypeId::kVarint, H("ffffffffffffffffffffff")), "-1");
  EXPECT_EQ(Json(TypeId::kVarint, H("0000000000000000000000")), "0");
}

TEST(CqlCellJsonTest, HugeVarintsAreRefused) {
  const std::string ok(kMaxVarintBytes, '\x11');
  const std::string json = Json(TypeId::kVarint, ok);
  EXPECT_GT(json.size(), 19000u);
  EXPECT_EQ(json.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kVarint, ok + "x"), "varint"));
}

TEST(CqlCellJsonTest, DecimalsAreExact) {
  EXPECT_EQ(Json(TypeId::kDecimal, Int(2) + H("04e2")), "12.50");  // 1250 x 10^-2
  EXPECT_EQ(Json(TypeId::kDecimal, Int(0) + H("00")), "0");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(5) + H("7b")), "0.00123");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(3) + H("7b")), "0.123");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(3) + H("ff85")), "-0.123");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(1) + H("fb")), "-0.5");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(1) + H("0b")), "1.1");
  // Negative scale multiplies: 12 x 10^3.
  EXPECT_EQ(Json(TypeId::kDecimal, Int(-3) + H("0c")), "12e3");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(-3) + H("f4")), "-12e3");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(kMaxPlainDecimalScale + 1) + H("01")), "1e-101");
  EXPECT_EQ(Json(TypeId::kDecimal, Int(std::numeric_limits<int32_t>::min()) + H("01")),
            "1e2147483648");
  // A 17-byte unscaled value with a scale.
  EXPECT_EQ(Json(TypeId::kDecimal, Int(10) + H("01 00000000000000000000000000000000")),
            "34028236692093846346337460743.1768211456");
}

// ---------------------------------------------------------------------------------------
// Dates and times.

TEST(CqlCellJsonTest, TimestampsAreIsoUtcWithMilliseconds) {
  EXPECT_EQ(Json(TypeId::kTimestamp, H("0000000000000000")), "\"1970-01-01T00:00:00.000Z\"");
  // 1714564800000 ms.
  EXPECT_EQ(Json(TypeId::kTimestamp, H("0000018f34069e00")), "\"2024-05-01T12:00:00.000Z\"");
  EXPECT_EQ(Json(TypeId::kTimestamp, H("ffffffffffffffff")), "\"1969-12-31T23:59:59.999Z\"");
  // 2000-02-29T23:59:59.123Z: a leap day in a year divisible by 400.
  EXPECT_EQ(Json(TypeId::kTimestamp, H("000000dd9fcd3893")), "\"2000-02-29T23:59:59.123Z\"");
  // The ends of the range, as java.time.Instant prints them.
  EXPECT_EQ(Json(TypeId::kTimestamp, H("7fffffffffffffff")), "\"+292278994-08-17T07:12:55.807Z\"");
  EXPECT_EQ(Json(TypeId::kTimestamp, H("8000000000000000")), "\"-292275055-05-16T16:47:04.192Z\"");
}

TEST(CqlCellJsonTest, DatesCountFromTwoToTheThirtyOne) {
  EXPECT_EQ(Json(TypeId::kDate, H("80000000")), "\"1970-01-01\"");
  EXPECT_EQ(Json(TypeId::kDate, H("7fffffff")), "\"1969-12-31\"");
  EXPECT_EQ(Json(TypeId::kDate, Int(static_cast<int32_t>(0x80000000u - 25567u))), "\"1900-01-01\"");
  // The spec's own examples (§6.5): 0 and the largest day, which it calls 2^32 (one past
  // what a uint32 holds; the date checks out by 400-year cycles from 0380-07-11).
  EXPECT_EQ(Json(TypeId::kDate, H("00000000")), "\"-5877641-06-23\"");
  EXPECT_EQ(Json(TypeId::kDate, H("ffffffff")), "\"+5881580-07-11\"");
  // Year 0 and 1 BC: ISO 8601 year 0000 is 1 BC, -0001 is 2 BC.
  EXPECT_EQ(Json(TypeId::kDate, Int(static_cast<int32_t>(0x80000000u - 719528u))),
            "\"0000-01-01\"");
  EXPECT_EQ(Json(TypeId::kDate, Int(static_cast<int32_t>(0x80000000u - 719529u))),
            "\"-0001-12-31\"");
}

TEST(CqlCellJsonTest, TimesOfDayInNanoseconds) {
  EXPECT_EQ(Json(TypeId::kTime, H("0000000000000000")), "\"00:00:00.000000000\"");
  EXPECT_EQ(Json(TypeId::kTime, H("00004e94914effff")), "\"23:59:59.999999999\"");
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kTime, H("00004e94914f0000")), "time"));
  EXPECT_TRUE(IsErrorNaming(Json(TypeId::kTime, H("ffffffffffffffff")), "time"));
}

// ---------------------------------------------------------------------------------------
// Collections, tuples, UDTs.

std::string Collection(std::initializer_list<std::optional<std::string>> items) {
  std::string out;
  AppendInt(out, static_cast<int32_t>(items.size()));
  for (const auto& item : items) {
    if (item) {
      AppendValue(out, *item);
    } else {
      AppendNullValue(out);
    }
  }
  return out;
}

// MapCell builds a map cell from alternating keys and values.
std::string MapCell(std::initializer_list<std::string> kv) {
  std::string out;
  AppendInt(out, static_cast<int32_t>(kv.size() / 2));
  for (const std::string& x : kv) AppendValue(out, x);
  return out;
}

TEST(CqlCellJsonTest, NestedListOfMapOfTextToInt) {
  const CqlType type =
      Type(T(TypeId::kList) + T(TypeId::kMap) + T(TypeId::kVarchar) + T(TypeId::kInt));
  const std::string cell =
      Collection({MapCell({"a", H("00000001"), "b\"", H("fffffffe")}), MapCell({}), std::nullopt});
  EXPECT_EQ(Json(type, cell), "[{\"a\":1,\"b\\\"\":-2},{},null]");
  EXPECT_EQ(Json(type, Collection({})), "[]");
}

TEST(CqlCellJsonTest, SetsAndMapKeysThatAreNotStrings) {
  EXPECT_EQ(
      Json(Type(T(TypeId::kSet) + T(TypeId::kInt)), Collection({H("00000001"), H("00000002")})),
      "[1,2]");
  // Non-string keys become the string of their JSON: {"1": ...}.
  EXPECT_EQ(Json(Type(T(TypeId::kMap) + T(TypeId::kInt) + T(TypeId::kVarchar)),
                 MapCell({H("00000001"), "x", H("ffffffff"), "y"})),
            "{\"1\":\"x\",\"-1\":\"y\"}");
  // String renderings stay as they are.
  EXPECT_EQ(Json(Type(T(TypeId::kMap) + T(TypeId::kUuid) + T(TypeId::kBoolean)),
                 MapCell({H("0123456789abcdef0123456789abcdef"), H("01")})),
            "{\"01234567-89ab-cdef-0123-456789abcdef\":true}");
  // A tuple key is quoted JSON text.
  EXPECT_EQ(Json(Type(T(TypeId::kMap) + T(TypeId::kTuple) + H("0002") + T(TypeId::kInt) +
                      T(TypeId::kVarchar) + T(TypeId::kInt)),
                 MapCell({Cell(H("00000001")) + Cell("a"), H("00000002")})),
            "{\"[1,\\\"a\\\"]\":2}");
}

TEST(CqlCellJsonTest, TuplesAndUdts) {
  const CqlType tuple = Type(T(TypeId::kTuple) + H("0003") + T(TypeId::kInt) + T(TypeId::kVarchar) +
                             T(TypeId::kBoolean));
  EXPECT_EQ(Json(tuple, Cell(H("00000007")) + H("ffffffff") + Cell(H("01"))), "[7,null,true]");
  const CqlType udt = Type(T(TypeId::kUdt) + S("ks") + S("address") + H("0002") + S("street") +
                           T(TypeId::kVarchar) + S("zip") + T(TypeId::kInt));
  EXPECT_EQ(Json(udt, Cell("Main St") + Cell(H("00003039"))),
            "{\"street\":\"Main St\",\"zip\":12345}");
  // A UDT value may stop early (§7): the missing fields are null.
  EXPECT_EQ(Json(udt, Cell("Main St")), "{\"street\":\"Main St\",\"zip\":null}");
  EXPECT_TRUE(
      IsErrorNaming(Json(udt, Cell("a") + Cell(H("00000001")) + Cell("extra")), "ks.address"));
}

TEST(CqlCellJsonTest, MalformedCollectionsAreRefusedNamingTheType) {
  const CqlType list = Type(T(TypeId::kList) + T(TypeId::kInt));
  EXPECT_TRUE(IsErrorNaming(Json(list, H("000000")), "list<int>"));
  EXPECT_TRUE(IsErrorNaming(Json(list, Int(-1)), "negative count"));
  EXPECT_TRUE(IsErrorNaming(Json(list, Int(2) + Cell(H("00000001"))), "truncated at element 1"));
  EXPECT_TRUE(IsErrorNaming(Json(list, Int(0x7fffffff) + Cell(H("00000001"))), "list<int>"));
  EXPECT_TRUE(IsErrorNaming(Json(list, Collection({H("00000001")}) + "x"), "bytes after"));
  // The element's own error names the element type.
  EXPECT_TRUE(IsErrorNaming(Json(list, Collection({H("0001")})), "malformed int value"));
  const CqlType map = Type(T(TypeId::kMap) + T(TypeId::kVarchar) + T(TypeId::kInt));
  EXPECT_TRUE(IsErrorNaming(Json(map, Int(1) + Cell("k")), "truncated at value 0"));
}

// ---------------------------------------------------------------------------------------
// Bound values.

// Bound encodes `value` for `type` and returns the [value] bytes, or "error: ...".
std::string Bound(const CqlType& type, const Value& value) {
  std::string out;
  Status s = AppendBoundValue(out, type, value);
  if (!s.ok()) {
    EXPECT_TRUE(out.empty());
    return "error: " + std::string(s.message());
  }
  return out;
}

std::string Bound(TypeId id, const Value& value) { return Bound(Native(id), value); }

TEST(CqlBoundValueTest, IntegersToEveryIntegerType) {
  EXPECT_EQ(Bound(TypeId::kInt, int64_t{42}), H("00000004 0000002a"));
  EXPECT_EQ(Bound(TypeId::kInt, int64_t{-1}), H("00000004 ffffffff"));
  EXPECT_EQ(Bound(TypeId::kBigint, std::numeric_limits<int64_t>::min()),
            H("00000008 8000000000000000"));
  EXPECT_EQ(Bound(TypeId::kCounter, int64_t{1}), H("00000008 0000000000000001"));
  EXPECT_EQ(Bound(TypeId::kSmallint, int64_t{-32768}), H("00000002 8000"));
  EXPECT_EQ(Bound(TypeId::kTinyint, int64_t{127}), H("00000001 7f"));
  EXPECT_EQ(Bound(TypeId::kTimestamp, int64_t{1714564800000}), H("00000008 0000018f34069e00"));
  EXPECT_EQ(Bound(TypeId::kBoolean, int64_t{1}), H("00000001 01"));
  EXPECT_EQ(Bound(TypeId::kDouble, int64_t{4}), H("00000008 4010000000000000"));
  EXPECT_EQ(Bound(TypeId::kVarchar, int64_t{-17}), H("00000003") + "-17");
}

TEST(CqlBoundValueTest, IntegersOutOfRangeAreRefused) {
  EXPECT_NE(Bound(TypeId::kInt, int64_t{5000000000}).find("5000000000 is out of range for int"),
            std::string::npos);
  EXPECT_NE(Bound(TypeId::kSmallint, int64_t{32768}).find("error"), std::string::npos);
  EXPECT_NE(Bound(TypeId::kTinyint, int64_t{-129}).find("error"), std::string::npos);
  EXPECT_NE(Bound(TypeId::kBoolean, int64_t{2}).find("error"), std::string::npos);
  EXPECT_NE(Bound(TypeId::kUuid, int64_t{1}).find("cannot bind an integer to a uuid"),
            std::string::npos);
}

TEST(CqlBoundValueTest, VarintsAreMinimal) {
  // The spec's table (§6.23).
  EXPECT_EQ(Bound(TypeId::kVarint, int64_t{0}), H("00000001 00"));
  EXPECT_EQ(Bound(TypeId::kVarint, int64_t{127}), H("00000001 7f"));
  EXPECT_EQ(Bound(TypeId::kVarint, int64_t{128}), H("00000002 0080"));
  EXPECT_EQ(Bound(TypeId::kVarint, int64_t{129}), H("00000002 0081"));
  EXPECT_EQ(Bound(TypeId::kVarint, int64_t{-1}), H("00000001 ff"));
  EXPECT_EQ(Bound(TypeId::kVarint, int64_t{-128}), H("00000001 80"));
  EXPECT_EQ(Bound(TypeId::kVarint, int64_t{-129}), H("00000002 ff7f"));
  EXPECT_EQ(Bound(TypeId::kVarint, std::numeric_limits<int64_t>::min()),
            H("00000008 8000000000000000"));
  EXPECT_EQ(Bound(TypeId::kDecimal, int64_t{-129}), H("00000006 00000000 ff7f"));
}

TEST(CqlBoundValueTest, Reals) {
  EXPECT_EQ(Bound(TypeId::kDouble, 0.1), H("00000008 3fb999999999999a"));
  EXPECT_EQ(Bound(TypeId::kFloat, 0.1), H("00000004 3dcccccd"));
  EXPECT_NE(Bound(TypeId::kFloat, 1e300).find("out of range for float"), std::string::npos);
  EXPECT_NE(Bound(TypeId::kInt, 1.5).find("cannot bind a real number to a int"), std::string::npos);
}

TEST(CqlBoundValueTest, Strings) {
  EXPECT_EQ(Bound(TypeId::kVarchar, std::string("hé")), H("00000003") + "h\xC3\xA9");
  EXPECT_EQ(Bound(TypeId::kAscii, std::string("abc")), H("00000003") + "abc");
  EXPECT_NE(Bound(TypeId::kAscii, std::string("h\xC3\xA9")).find("is not a ascii"),
            std::string::npos);
  EXPECT_EQ(Bound(TypeId::kBlob, std::string("\x01\x02")), H("00000002 0102"));
  EXPECT_EQ(Bound(TypeId::kUuid, std::string("01234567-89AB-cdef-0123-456789abcdef")),
            H("00000010 0123456789abcdef0123456789abcdef"));
  EXPECT_NE(Bound(TypeId::kUuid, std::string("01234567-89ab-cdef-0123-456789abcde")).find("error"),
            std::string::npos);
  EXPECT_NE(Bound(TypeId::kUuid, std::string("0123456789abcdef0123456789abcdef")).find("error"),
            std::string::npos);
  EXPECT_NE(Bound(TypeId::kUuid, std::string("01234567-89ab-cdef-0123-456789abcdeg")).find("error"),
            std::string::npos);
  // A timeuuid must be version 1.
  EXPECT_EQ(Bound(TypeId::kTimeuuid, std::string("e2e3f2a0-07a1-11ef-8000-000000000001")),
            H("00000010 e2e3f2a007a111ef8000000000000001"));
  EXPECT_NE(
      Bound(TypeId::kTimeuuid, std::string("e2e3f2a0-07a1-41ef-8000-000000000001")).find("error"),
      std::string::npos);
  EXPECT_EQ(Bound(TypeId::kInt, std::string("-42")), H("00000004 ffffffd6"));
  EXPECT_NE(Bound(TypeId::kInt, std::string("4x")).find("'4x' is not a int"), std::string::npos);
  EXPECT_NE(Bound(TypeId::kInt, std::string("")).find("error"), std::string::npos);
  EXPECT_NE(Bound(TypeId::kBigint, std::string("99999999999999999999")).find("error"),
            std::string::npos);
  EXPECT_EQ(Bound(TypeId::kDouble, std::string("2.5")), H("00000008 4004000000000000"));
  EXPECT_EQ(Bound(TypeId::kBoolean, std::string("false")), H("00000001 00"));
  EXPECT_NE(Bound(TypeId::kBoolean, std::string("yes")).find("error"), std::string::npos);
  EXPECT_EQ(Bound(TypeId::kInet, std::string("10.0.0.1")), H("00000004 0a000001"));
  EXPECT_EQ(Bound(TypeId::kInet, std::string("::1")),
            H("00000010 00000000000000000000000000000001"));
  EXPECT_NE(Bound(TypeId::kInet, std::string("10.0.0")).find("error"), std::string::npos);
  // Dates as Solr writes them: a timestamp's milliseconds, a date's days from 2^31.
  EXPECT_EQ(Bound(TypeId::kTimestamp, std::string("2024-05-01T12:00:00.123Z")),
            H("00000008 0000018f34069e7b"));
  EXPECT_EQ(Bound(TypeId::kTimestamp, std::string("1969-12-31T23:59:59.999Z")),
            H("00000008 ffffffffffffffff"));
  EXPECT_NE(Bound(TypeId::kTimestamp, std::string("2024-05-01T12:00:00")).find("error"),
            std::string::npos);  // no zone
  EXPECT_EQ(Bound(TypeId::kDate, std::string("1970-01-02")), H("00000004 80000001"));
  EXPECT_EQ(Bound(TypeId::kDate, std::string("1969-12-31T00:00:00Z")), H("00000004 7fffffff"));
  EXPECT_NE(Bound(TypeId::kDate, std::string("2024-05-01T12:00:00Z"))
                .find("'2024-05-01T12:00:00Z' is not a date"),
            std::string::npos);  // a time of day would be lost
  EXPECT_NE(Bound(Type(T(TypeId::kList) + T(TypeId::kInt)), std::string("[1]"))
                .find("cannot bind a string to a list<int> parameter"),
            std::string::npos);
}

TEST(CqlBoundValueTest, NullAndBlobs) {
  EXPECT_EQ(Bound(TypeId::kInt, std::monostate()), H("ffffffff"));
  EXPECT_EQ(Bound(Type(T(TypeId::kList) + T(TypeId::kInt)), std::monostate()), H("ffffffff"));
  EXPECT_EQ(Bound(TypeId::kBlob, Blob{"\xff"}), H("00000001 ff"));
  EXPECT_NE(Bound(TypeId::kInt, Blob{"\xff"}).find("cannot bind a blob"), std::string::npos);
  // Json is a result value only (store.h): never bound.
  EXPECT_NE(Bound(TypeId::kVarchar, shoal::store::Json{"1"}).find("cannot bind a JSON value"),
            std::string::npos);
}

TEST(CqlBoundValueTest, ValuesReadBackAsTheSameJson) {
  struct Case {
    TypeId type;
    Value value;
    std::string json;
  };
  const Case cases[] = {
      {TypeId::kInt, int64_t{-7}, "-7"},
      {TypeId::kBigint, std::numeric_limits<int64_t>::max(), "9223372036854775807"},
      {TypeId::kVarint, std::numeric_limits<int64_t>::min(), "-9223372036854775808"},
      {TypeId::kDecimal, int64_t{1234}, "1234"},
      {TypeId::kDouble, 2.5, "2.5"},
      {TypeId::kTimestamp, int64_t{-1}, "\"1969-12-31T23:59:59.999Z\""},
      {TypeId::kTimestamp, std::string("2024-05-01T14:00:00.5+02:00"),
       "\"2024-05-01T12:00:00.500Z\""},
      {TypeId::kDate, std::string("2024-02-29"), "\"2024-02-29\""},
      {TypeId::kDate, std::string("1900-01-01"), "\"1900-01-01\""},
      {TypeId::kVarchar, std::string("x\ty"), "\"x\\ty\""},
      {TypeId::kUuid, std::string("00112233-4455-6677-8899-aabbccddeeff"),
       "\"00112233-4455-6677-8899-aabbccddeeff\""},
      {TypeId::kInet, std::string("2001:db8::1"), "\"2001:db8::1\""},
      {TypeId::kBlob, Blob{"foobar"}, "\"Zm9vYmFy\""},
      {TypeId::kInt, std::monostate(), "null"},
  };
  for (const Case& c : cases) {
    std::string encoded;
    ASSERT_TRUE(AppendBoundValue(encoded, Native(c.type), c.value).ok());
    WireReader r(encoded);
    std::optional<std::string_view> cell;
    ASSERT_TRUE(r.Bytes(&cell));
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(Json(Native(c.type), cell), c.json) << TypeIdName(c.type);
  }
}

}  // namespace
}  // namespace shoal::store::cassandra

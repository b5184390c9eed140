// cql_column_type: see cql_column_type.h.
#include "store/cassandra/cql_column_type.h"

#include <cassert>

#include "base/big_endian.h"
#include "base/name_table.h"

namespace shoal::store::cassandra {
namespace {

// The 2-byte [option] of each type without parameters, indexed by id, so that Native can
// hand out views of static storage. Ids 0x00 (custom) and 0x0A (unused) never get here.
constexpr char kNativeOptions[0x15][2] = {
    {0, 0x00}, {0, 0x01}, {0, 0x02}, {0, 0x03}, {0, 0x04}, {0, 0x05}, {0, 0x06},
    {0, 0x07}, {0, 0x08}, {0, 0x09}, {0, 0x0A}, {0, 0x0B}, {0, 0x0C}, {0, 0x0D},
    {0, 0x0E}, {0, 0x0F}, {0, 0x10}, {0, 0x11}, {0, 0x12}, {0, 0x13}, {0, 0x14},
};

// SkipType consumes one [option] and everything nested in it.
Status SkipType(WireReader& in, int depth) {
  if (depth >= kMaxTypeDepth) {
    return Status::InvalidArgument("cql: column type nested deeper than " +
                                   std::to_string(kMaxTypeDepth) + " levels");
  }
  uint16_t raw = 0;
  if (!in.Short(&raw)) return TruncatedError("column type");
  const auto id = static_cast<TypeId>(raw);
  if (IsNativeType(id)) return Status();
  switch (id) {
    case TypeId::kCustom: {
      std::string_view cls;
      if (!in.String(&cls)) return TruncatedError("custom type class name");
      return Status();
    }
    case TypeId::kList:
    case TypeId::kSet:
      return SkipType(in, depth + 1);
    case TypeId::kMap: {
      Status s = SkipType(in, depth + 1);
      if (!s.ok()) return s;
      return SkipType(in, depth + 1);
    }
    case TypeId::kUdt:
    case TypeId::kTuple: {
      const bool udt = id == TypeId::kUdt;
      std::string_view ks;
      std::string_view name;
      if (udt && (!in.String(&ks) || !in.String(&name))) return TruncatedError("UDT name");
      uint16_t n = 0;
      if (!in.Short(&n)) return TruncatedError(udt ? "UDT field count" : "tuple arity");
      for (uint16_t i = 0; i < n; ++i) {
        std::string_view field;
        if (udt && !in.String(&field)) return TruncatedError("UDT field name");
        Status s = SkipType(in, depth + 1);
        if (!s.ok()) return s;
      }
      return Status();
    }
    default:
      return Status::InvalidArgument("cql: unknown column type id " + HexText(raw, 4));
  }
}

// NextType reads a nested [option] of an already validated type; it cannot fail there, and
// falls back to blob rather than over-read if it somehow did.
CqlType NextType(WireReader& in) {
  Result<CqlType> t = ReadType(in);
  return t.ok() ? *t : CqlType();
}

void AppendTypeName(std::string& out, const CqlType& t) {
  switch (t.id()) {
    case TypeId::kCustom:
      out.push_back('\'');
      out.append(t.custom_class());
      out.push_back('\'');
      return;
    case TypeId::kList:
    case TypeId::kSet:
      out.append(TypeIdName(t.id()));
      out.push_back('<');
      AppendTypeName(out, t.element());
      out.push_back('>');
      return;
    case TypeId::kMap:
      out.append("map<");
      AppendTypeName(out, t.key());
      out.append(", ");
      AppendTypeName(out, t.value());
      out.push_back('>');
      return;
    case TypeId::kUdt:
      out.append(t.udt_keyspace());
      out.push_back('.');
      out.append(t.udt_name());
      return;
    case TypeId::kTuple: {
      out.append("tuple<");
      FieldCursor fields = t.fields();
      std::string_view name;
      CqlType field;
      bool first = true;
      while (fields.Next(&name, &field)) {
        if (!first) out.append(", ");
        first = false;
        AppendTypeName(out, field);
      }
      out.push_back('>');
      return;
    }
    default:
      out.append(TypeIdName(t.id()));
      return;
  }
}

}  // namespace

std::string_view TypeIdName(TypeId id) {
  static constexpr Named<TypeId> kNames[] = {{TypeId::kCustom, "custom"},
                                             {TypeId::kAscii, "ascii"},
                                             {TypeId::kBigint, "bigint"},
                                             {TypeId::kBlob, "blob"},
                                             {TypeId::kBoolean, "boolean"},
                                             {TypeId::kCounter, "counter"},
                                             {TypeId::kDecimal, "decimal"},
                                             {TypeId::kDouble, "double"},
                                             {TypeId::kFloat, "float"},
                                             {TypeId::kInt, "int"},
                                             {TypeId::kTimestamp, "timestamp"},
                                             {TypeId::kUuid, "uuid"},
                                             {TypeId::kVarchar, "varchar"},
                                             {TypeId::kVarint, "varint"},
                                             {TypeId::kTimeuuid, "timeuuid"},
                                             {TypeId::kInet, "inet"},
                                             {TypeId::kDate, "date"},
                                             {TypeId::kTime, "time"},
                                             {TypeId::kSmallint, "smallint"},
                                             {TypeId::kTinyint, "tinyint"},
                                             {TypeId::kList, "list"},
                                             {TypeId::kMap, "map"},
                                             {TypeId::kSet, "set"},
                                             {TypeId::kUdt, "udt"},
                                             {TypeId::kTuple, "tuple"}};
  return NameOf(kNames, id, "?");
}

bool IsNativeType(TypeId id) {
  const auto v = static_cast<uint16_t>(id);
  return v >= 0x0001 && v <= 0x0014 && v != 0x000A;
}

size_t IntegerSize(TypeId id) {
  if (id == TypeId::kTinyint) return 1;
  if (id == TypeId::kSmallint) return 2;
  if (id == TypeId::kInt) return 4;
  if (id == TypeId::kBigint || id == TypeId::kCounter) return 8;
  return 0;
}

CqlType::CqlType() : CqlType(Native(TypeId::kBlob)) {}

CqlType CqlType::Native(TypeId id) {
  assert(IsNativeType(id));
  const auto v = static_cast<uint16_t>(id);
  if (!IsNativeType(id)) return CqlType();
  return CqlType(std::string_view(kNativeOptions[v], 2));
}

TypeId CqlType::id() const { return static_cast<TypeId>(LoadBigEndian16(bytes_.data())); }

std::string_view CqlType::custom_class() const {
  assert(id() == TypeId::kCustom);
  WireReader r(bytes_.substr(2));
  std::string_view cls;
  return r.String(&cls) ? cls : std::string_view();
}

CqlType CqlType::element() const {
  assert(id() == TypeId::kList || id() == TypeId::kSet);
  WireReader r(bytes_.substr(2));
  return NextType(r);
}

CqlType CqlType::key() const {
  assert(id() == TypeId::kMap);
  WireReader r(bytes_.substr(2));
  return NextType(r);
}

CqlType CqlType::value() const {
  assert(id() == TypeId::kMap);
  WireReader r(bytes_.substr(2));
  NextType(r);
  return NextType(r);
}

std::string_view CqlType::udt_keyspace() const {
  assert(id() == TypeId::kUdt);
  WireReader r(bytes_.substr(2));
  std::string_view ks;
  return r.String(&ks) ? ks : std::string_view();
}

std::string_view CqlType::udt_name() const {
  assert(id() == TypeId::kUdt);
  WireReader r(bytes_.substr(2));
  std::string_view ks;
  std::string_view name;
  return r.String(&ks) && r.String(&name) ? name : std::string_view();
}

size_t CqlType::field_count() const {
  assert(id() == TypeId::kTuple || id() == TypeId::kUdt);
  WireReader r(bytes_.substr(2));
  std::string_view skip;
  if (id() == TypeId::kUdt && (!r.String(&skip) || !r.String(&skip))) return 0;
  uint16_t n = 0;
  return r.Short(&n) ? n : 0;
}

FieldCursor CqlType::fields() const {
  assert(id() == TypeId::kTuple || id() == TypeId::kUdt);
  const bool udt = id() == TypeId::kUdt;
  WireReader r(bytes_.substr(2));
  std::string_view skip;
  uint16_t n = 0;
  if ((udt && (!r.String(&skip) || !r.String(&skip))) || !r.Short(&n)) {
    return FieldCursor({}, 0, udt);
  }
  return FieldCursor(r.rest(), n, udt);
}

std::string CqlType::ToString() const {
  std::string s;
  AppendTypeName(s, *this);
  return s;
}

bool FieldCursor::Next(std::string_view* name, CqlType* type) {
  if (left_ == 0) return false;
  --left_;
  *name = {};
  if (named_ && !in_.String(name)) {
    left_ = 0;
    return false;
  }
  *type = NextType(in_);
  return true;
}

Result<CqlType> ReadType(WireReader& in) {
  WireReader r = in;  // consume nothing on failure
  Status s = SkipType(r, 0);
  if (!s.ok()) return s;
  const std::string_view start = in.rest();
  CqlType t(start.substr(0, start.size() - r.remaining()));
  in = r;
  return t;
}

Result<CqlType> ParseType(std::string_view encoded) {
  WireReader r(encoded);
  Result<CqlType> t = ReadType(r);
  if (!t.ok()) return t;
  if (r.remaining() != 0) return MalformedError("column type: bytes after the type");
  return t;
}

}  // namespace shoal::store::cassandra

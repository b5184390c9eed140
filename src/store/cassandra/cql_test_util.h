// Test helpers for the CQL protocol tests (cql_*_test.cc): bytes from spec-like hex, the
// notations built by hand, a response frame around a body, and bodies several tests share.
// Test-only; not part of any library. Thread-compatible (Keep keeps a static store).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "store/cassandra/cql_column_type.h"
#include "store/cassandra/cql_frame.h"
#include "store/cassandra/cql_wire.h"

namespace shoal::store::cassandra {

// H turns "04 00 00 01" (spaces ignored) into bytes, so expected frames read like the spec.
inline std::string H(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (const char c : hex) {
    if (c == ' ') continue;
    const int v = (c >= '0' && c <= '9') ? c - '0' : (c | 0x20) - 'a' + 10;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

// S is a [string]; T a native type [option].
inline std::string S(std::string_view s) {
  std::string out;
  AppendShort(out, static_cast<uint16_t>(s.size()));
  out.append(s);
  return out;
}

inline std::string T(TypeId id) {
  std::string out;
  AppendShort(out, static_cast<uint16_t>(id));
  return out;
}

inline std::string Int(int32_t v) {
  std::string out;
  AppendInt(out, v);
  return out;
}

inline std::string Cell(std::string_view bytes) {
  std::string out;
  AppendValue(out, bytes);
  return out;
}

// Keep holds a body for the rest of the test program: parsed messages view the body they
// came from, so it must outlive them (a temporary would dangle).
inline std::string_view Keep(std::string body) {
  static std::deque<std::string> kept;
  return kept.emplace_back(std::move(body));
}

// Response wraps a body in a response frame header.
inline std::string Response(Opcode op, std::string_view body, int16_t stream = 0,
                            uint8_t flags = 0) {
  std::string out;
  FrameHeader h;
  h.response = true;
  h.flags = flags;
  h.stream = stream;
  h.opcode = op;
  h.length = static_cast<uint32_t>(body.size());
  AppendFrameHeader(out, h);
  out.append(body);
  return out;
}

// ListOfMapTextInt is list<map<varchar, int>>.
inline std::string ListOfMapTextInt() {
  return T(TypeId::kList) + T(TypeId::kMap) + T(TypeId::kVarchar) + T(TypeId::kInt);
}

// RowsBody: Rows with a global table spec, more pages, columns (k int, tags
// list<map<varchar,int>>), and two rows, the second with a null and an empty cell.
inline std::string RowsBody() {
  std::string list;  // [{"a": 1}]
  AppendInt(list, 1);
  std::string map;
  AppendInt(map, 1);
  map += Cell("a") + Cell(H("00000001"));
  list += Cell(map);
  return Int(2) + Int(0x0003) + Int(2) + Cell("page-2") + S("ks") + S("t") + S("k") +
         T(TypeId::kInt) + S("tags") + ListOfMapTextInt() + Int(2) + Cell(H("00000007")) +
         Cell(list) + Cell("") + H("ffffffff");
}

}  // namespace shoal::store::cassandra

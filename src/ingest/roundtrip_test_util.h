// Test code only: the values of the ingestion round-trip tests (number_roundtrip_test.cc for
// SQLite, cassandra_writer_test.cc for Cassandra) and the JSONL and CSV files that carry them.
//
// Doubles: the edge cases (+-0, DBL_MAX, DBL_MIN, the smallest and largest subnormals, 2^53 + 2,
// 2^63, the 1.0928245501588325e-10) and random ones: arbitrary bit patterns (every
// exponent), subnormals, and values in [0, 1) scaled by powers of ten (mostly needing 16-17
// significant digits). Every fourth row is written with %.17g (17 digits, not the shortest
// form) so that parsing of longer text is checked too; the others with std::to_chars' shortest
// form, which is what Python's repr writes. Integers: INT64_MIN, INT64_MAX, 0, +-1, 2^53 + 1
// and random 64-bit values. Deterministic (fixed seed). Not thread-safe.
#pragma once

#include <bit>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace shoal::ingest::testing {

struct NumberRow {
  int64_t id = 0;
  double d = 0;
  int64_t i = 0;
};

inline std::vector<NumberRow> NumberRows(size_t count) {
  std::vector<double> doubles = {0.0,
                                 -0.0,
                                 DBL_MAX,
                                 -DBL_MAX,
                                 DBL_MIN,
                                 -DBL_MIN,
                                 std::numeric_limits<double>::denorm_min(),
                                 -std::numeric_limits<double>::denorm_min(),
                                 std::nextafter(DBL_MIN, 0.0),
                                 9007199254740994.0,
                                 9223372036854775808.0,
                                 -9223372036854775808.0,
                                 1.0928245501588325e-10,
                                 0.1,
                                 1.0 / 3};
  std::vector<int64_t> ints = {INT64_MIN, INT64_MAX, 0, 1, -1, 9007199254740993, -9007199254740993};
  std::mt19937_64 rng(20240501);
  while (doubles.size() < count) {
    const uint64_t bits = rng();
    double d = 0;
    switch (doubles.size() % 3) {
      case 0:
        d = std::bit_cast<double>(bits);
        break;
      case 1:  // subnormal: exponent bits all zero
        d = std::bit_cast<double>(bits & 0x800FFFFFFFFFFFFFull);
        break;
      default:
        d = std::ldexp(static_cast<double>(bits >> 11), -53) *
            std::pow(10.0, static_cast<double>(static_cast<int>(bits % 40) - 20));
        break;
    }
    if (std::isfinite(d)) doubles.push_back(d);
  }
  while (ints.size() < count) ints.push_back(static_cast<int64_t>(rng()));
  std::vector<NumberRow> rows(count);
  for (size_t k = 0; k < count; ++k) rows[k] = {static_cast<int64_t>(k + 1), doubles[k], ints[k]};
  return rows;
}

// DoubleText is the text a row's double is written with (see above).
inline std::string DoubleText(const NumberRow& row) {
  char buf[64];
  if (row.id % 4 == 0) {
    std::snprintf(buf, sizeof buf, "%.17g", row.d);
    return buf;
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, row.d);
  return std::string(buf, r.ptr);
}

inline std::string IntText(int64_t v) { return std::to_string(v); }

inline std::string NumbersJsonl(const std::vector<NumberRow>& rows) {
  std::string out;
  for (const NumberRow& r : rows) {
    out += "{\"id\": " + IntText(r.id) + ", \"d\": " + DoubleText(r) + ", \"i\": " + IntText(r.i) +
           "}\n";
  }
  return out;
}

inline std::string NumbersCsv(const std::vector<NumberRow>& rows) {
  std::string out = "id,d,i\n";
  for (const NumberRow& r : rows) {
    out += IntText(r.id) + "," + DoubleText(r) + "," + IntText(r.i) + "\n";
  }
  return out;
}

inline uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }

}  // namespace shoal::ingest::testing

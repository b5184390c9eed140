// ColumnKind and the conversions: see column_type.h.
#include "ingest/column_type.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <optional>

#include "base/numbers.h"

namespace shoal::ingest {
namespace {

bool Contains(std::string_view upper, std::string_view part) {
  return upper.find(part) != std::string_view::npos;
}

// ExactInt64 is `d` as an int64 when `d` is integral and in range; -0.0 is 0.
std::optional<int64_t> ExactInt64(double d) {
  // 2^63 is exactly representable; every double below it in magnitude converts exactly.
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!std::isfinite(d) || d != std::trunc(d) || d < -kTwo63 || d >= kTwo63) return std::nullopt;
  return static_cast<int64_t>(d);
}

Status Refuse(const TargetColumn& column, std::string_view shown, std::string_view what) {
  std::string message = "column '" + column.name + "'";
  if (!column.declared.empty()) message += " (" + column.declared + ")";
  return Status::InvalidArgument(message + ": " + std::string(shown) + " is not " +
                                 std::string(what));
}

std::string QuotedText(std::string_view text) {
  constexpr size_t kShown = 64;  // a long field is cut: the line number finds the rest
  return "'" + std::string(text.substr(0, kShown)) + (text.size() > kShown ? "...'" : "'");
}

std::string DoubleText(double d) {
  std::string out;
  AppendJsonDouble(out, d);
  return out;
}

// FromText parses `text`, which is the string held by *value: each branch reads it before
// assigning *value (which destroys it).
Status FromText(store::Value* value, const std::string& text, const TargetColumn& column) {
  switch (column.kind) {
    case ColumnKind::kInteger: {
      if (std::optional<int64_t> n = ParseInt64(text)) {
        *value = *n;
        return Status::Ok();
      }
      const std::optional<double> d = ParseDouble(text);
      const std::optional<int64_t> n = d ? ExactInt64(*d) : std::nullopt;
      if (!n) return Refuse(column, QuotedText(text), "a 64-bit integer");
      *value = *n;
      return Status::Ok();
    }
    case ColumnKind::kReal: {
      const std::optional<double> d = ParseDouble(text);
      if (!d) return Refuse(column, QuotedText(text), "a number");
      *value = *d;
      return Status::Ok();
    }
    case ColumnKind::kNumeric:
      if (std::optional<int64_t> n = ParseInt64(text)) {
        *value = *n;
      } else if (std::optional<double> d = ParseDouble(text)) {
        *value = *d;
      }
      return Status::Ok();
    case ColumnKind::kText:
    case ColumnKind::kAny:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

ColumnKind SqliteColumnKind(std::string_view declared) {
  std::string upper(declared);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (Contains(upper, "INT")) return ColumnKind::kInteger;
  if (Contains(upper, "CHAR") || Contains(upper, "CLOB") || Contains(upper, "TEXT")) {
    return ColumnKind::kText;
  }
  if (upper.empty() || Contains(upper, "BLOB")) return ColumnKind::kAny;
  if (Contains(upper, "REAL") || Contains(upper, "FLOA") || Contains(upper, "DOUB")) {
    return ColumnKind::kReal;
  }
  return ColumnKind::kNumeric;
}

Status ConvertValue(store::Value* value, const TargetColumn& column, bool from_text) {
  if (const auto* text = std::get_if<std::string>(value)) {
    if (!from_text) return Status::Ok();
    return FromText(value, *text, column);
  }
  if (const auto* d = std::get_if<double>(value);
      d != nullptr && column.kind == ColumnKind::kInteger) {
    const std::optional<int64_t> n = ExactInt64(*d);
    if (!n) return Refuse(column, DoubleText(*d), "an integer");
    *value = *n;
  }
  return Status::Ok();
}

Status ConvertRow(std::vector<store::Value>* row, const std::vector<TargetColumn>& columns,
                  bool from_text) {
  for (size_t i = 0; i < row->size() && i < columns.size(); ++i) {
    if (Status s = ConvertValue(&(*row)[i], columns[i], from_text); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace shoal::ingest

// Name tables: the names of an enum's or a protocol's codes, for logs and error messages.
//
// A dense enum (values 0..N-1) keeps its names in a plain array indexed by value, and the
// caller static_asserts the array's size against the enum's last value, so that a new value
// without a name fails to compile:
//
//   static constexpr std::string_view kNames[] = {"debug", "info", "warn", "error", "off"};
//   static_assert(std::size(kNames) == static_cast<size_t>(LogLevel::kOff) + 1);
//   return NameAt(kNames, level, "off");
//
// A sparse code space (CQL opcodes, error codes, type ids) keeps {value, name} pairs and is
// searched front to back (the tables are a few dozen entries, read only when a message is built):
//
//   static constexpr Named<int32_t> kNames[] = {{0x0000, "Server_error"}, ...};
//   return NameOf(kNames, code, "unknown");
//
// Both return `unknown` for a value the table does not name (a byte off the wire can be any
// value). Thread-safe: pure functions over constant tables.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal {

// NameAt returns names[value], or `unknown` when value is past the end of the table.
template <typename Enum, size_t N>
constexpr std::string_view NameAt(const std::string_view (&names)[N], Enum value,
                                  std::string_view unknown) {
  const auto i = static_cast<size_t>(value);
  return i < N ? names[i] : unknown;
}

// Named is one entry of a sparse table.
template <typename Value>
struct Named {
  Value value;
  std::string_view name;
};

// NameOf returns the name of the first entry whose value is `value`, or `unknown`.
template <typename Value, size_t N>
constexpr std::string_view NameOf(const Named<Value> (&table)[N], Value value,
                                  std::string_view unknown) {
  for (const Named<Value>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return unknown;
}

}  // namespace shoal

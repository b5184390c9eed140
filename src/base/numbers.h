// Numbers as text, exactly: shortest round-trip formatting and correctly rounded parsing.
//
// Formatting uses std::to_chars, which writes the shortest text that reads back as the same
// value; parsing uses std::from_chars, which rounds correctly (so "0.1" is the double nearest
// 0.1, and every text AppendDouble writes reads back bit for bit). One implementation for JSON
// rendering (api, cassandra cells), response headers, and ingestion. Thread-safe (pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

// AppendInt and AppendUint append the decimal form.
void AppendInt(std::string& out, int64_t v);
void AppendUint(std::string& out, uint64_t v);

// AppendJsonDouble appends the shortest round-trip form of `v` as a JSON number, keeping ".0"
// on integral values (so 2.0 stays a float to a reader: "2.0", "1e+21"); NaN and infinities,
// which JSON cannot hold, are `null`.
void AppendJsonDouble(std::string& out, double v);
// AppendJsonFloat is the same for a float, shortest for its own type (0.1f is "0.1").
void AppendJsonFloat(std::string& out, float v);

// ParseInt64 reads an optional '-' and decimal digits, the whole text; nullopt on anything
// else or on overflow.
std::optional<int64_t> ParseInt64(std::string_view text);
// ParseDouble reads a decimal number (JSON's grammar and more: "1.", ".5", "1e5", "inf" and
// "nan" are refused; a leading '+' is refused), correctly rounded; nullopt if the text is not
// a whole number or is out of range. Subnormals and -0 are kept.
std::optional<double> ParseDouble(std::string_view text);

}  // namespace shoal

// ISO 8601 dates and times as text, read into instants: what Solr writes for its date fields
// ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123Z") and what the Cassandra writer binds to
// timestamp and date columns (store/cassandra/cql_bound_value.cc). Writing them is the cell
// renderer's (cql_cell_json.cc). Proleptic Gregorian calendar, years 0000 to 9999, UTC.
// Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace shoal {

inline constexpr int64_t kMillisPerDay = 86'400'000;

// ParseIsoMillis reads, as the whole text, a date "YYYY-MM-DD" (its midnight UTC) or a date and
// time "YYYY-MM-DDThh:mm", "...:ss" or "...:ss.f" (1 to 9 fraction digits; 'T' or one space
// between date and time) followed by a zone: "Z", or an offset "+hh:mm", "-hh:mm", "+hhmm" or
// "+hh". It returns the milliseconds since 1970-01-01T00:00:00Z. nullopt for anything else:
// a field out of range (month 13, February 30, hour 24, second 60), a time without a zone (its
// meaning would be the reader's local time), or fraction digits beyond the millisecond that
// are not 0 (an instant is never rounded).
std::optional<int64_t> ParseIsoMillis(std::string_view text);

}  // namespace shoal

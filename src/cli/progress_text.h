// What the commands print about work in progress (`shoal load`, `shoal solr-fetch`,
// `shoal stats`): numbers with thousands separators, a duration as a clock, a size in binary
// units, a bar. One implementation of each, for every command. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace shoal::cli {

// Thousands: 1234567 -> "1,234,567".
std::string Thousands(uint64_t n);

// ClockText: 75 -> "1:15", 3725 -> "1:02:05" (rounded to the second).
std::string ClockText(double seconds);

// HumanBytes: 512 -> "512 B", 1536 -> "1.5 KiB", up to TiB.
std::string HumanBytes(double bytes);

// Bar: "[#####---------------] 25%" for `fraction` (clamped to 0..1), `width` cells wide.
std::string Bar(double fraction, int width = 20);

}  // namespace shoal::cli

#include "base/iso8601.h"

#include <chrono>

namespace shoal {
namespace {

// Digits reads exactly `n` decimal digits at text[*at], moving *at past them.
std::optional<int> Digits(std::string_view text, size_t* at, size_t n) {
  if (*at + n > text.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[*at + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  *at += n;
  return v;
}

// Expect moves *at past `c` when it is there.
bool Expect(std::string_view text, size_t* at, char c) {
  if (*at >= text.size() || text[*at] != c) return false;
  ++*at;
  return true;
}

}  // namespace

std::optional<int64_t> ParseIsoMillis(std::string_view text) {
  size_t at = 0;
  const std::optional<int> year = Digits(text, &at, 4);
  if (!year || !Expect(text, &at, '-')) return std::nullopt;
  const std::optional<int> month = Digits(text, &at, 2);
  if (!month || !Expect(text, &at, '-')) return std::nullopt;
  const std::optional<int> day = Digits(text, &at, 2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  if (at == text.size()) return days * kMillisPerDay;

  if (!Expect(text, &at, 'T') && !Expect(text, &at, ' ')) return std::nullopt;
  const std::optional<int> hour = Digits(text, &at, 2);
  if (!hour || *hour > 23 || !Expect(text, &at, ':')) return std::nullopt;
  const std::optional<int> minute = Digits(text, &at, 2);
  if (!minute || *minute > 59) return std::nullopt;
  int second = 0;
  int64_t millis = 0;
  if (Expect(text, &at, ':')) {
    const std::optional<int> s = Digits(text, &at, 2);
    if (!s || *s > 59) return std::nullopt;
    second = *s;
    if (Expect(text, &at, '.')) {
      size_t digits = 0;
      for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
        const int d = text[at] - '0';
        if (digits < 3) {
          millis = millis * 10 + d;
        } else if (d != 0) {
          return std::nullopt;  // below the millisecond: would be rounded
        }
      }
      if (digits == 0 || digits > 9) return std::nullopt;
      for (size_t i = digits; i < 3; ++i) millis *= 10;
    }
  }
  // The zone: Z, or an offset from UTC.
  int64_t offset_minutes = 0;
  if (!Expect(text, &at, 'Z')) {
    if (at >= text.size() || (text[at] != '+' && text[at] != '-')) return std::nullopt;
    const int sign = text[at] == '-' ? -1 : 1;
    ++at;
    const std::optional<int> oh = Digits(text, &at, 2);
    if (!oh || *oh > 23) return std::nullopt;
    int om = 0;
    if (at < text.size()) {
      (void)Expect(text, &at, ':');
      const std::optional<int> m = Digits(text, &at, 2);
      if (!m || *m > 59) return std::nullopt;
      om = *m;
    }
    offset_minutes = int64_t{sign} * (*oh * 60 + om);
  }
  if (at != text.size()) return std::nullopt;
  const int64_t seconds_of_day = (*hour * 60 + *minute - offset_minutes) * 60 + second;
  return days * kMillisPerDay + seconds_of_day * 1000 + millis;
}

}  // namespace shoal

// EscapeForLog: makes text that someone else chose (a peer's ERROR reason, an address a peer
// claims, a reply's bytes) safe to put in one log line.
//
// Printable ASCII (0x20-0x7e) is kept, except the backslash, which is doubled; every other
// byte (CR, LF, ESC and the rest of the control bytes, DEL, non-ASCII) is written as \xNN,
// so a logged text can neither start a new line nor send terminal escapes. At most `max`
// input bytes are shown; a longer text is cut and ends with "...(<n> bytes)".
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shoal {

inline constexpr size_t kLogEscapeMax = 200;

std::string EscapeForLog(std::string_view text, size_t max = kLogEscapeMax);

// AppendEscapedForLog appends all of `text` to `out`, escaped as EscapeForLog does (no length
// limit); with `quote` set, '"' is written \x22 too, so that the text can stand between double
// quotes (the access log's combined format, as nginx escapes it).
void AppendEscapedForLog(std::string& out, std::string_view text, bool quote = false);

}  // namespace shoal

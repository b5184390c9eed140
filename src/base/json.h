// JSON string escaping shared by every layer that writes JSON (http error bodies, api rows).
//
// AppendJsonString writes `s` as a quoted JSON string: '"', '\\' and every control character
// are escaped; valid UTF-8 passes through as is; each invalid UTF-8 sequence (bad lead byte,
// truncated or overlong sequence, surrogate, beyond U+10FFFF) becomes U+FFFD, so the output is
// always valid JSON and valid UTF-8 whatever bytes came in (the rules are base/utf8.h's, whose
// IsValidUtf8 says whether `s` would pass through unchanged). Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace shoal {

void AppendJsonString(std::string& out, std::string_view s);

}  // namespace shoal

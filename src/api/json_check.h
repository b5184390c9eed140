// IsValidJson: a strict checker of JSON text.
//
// IsValidJson accepts exactly RFC 8259 JSON text (any value at top level, surrounding
// whitespace allowed), valid UTF-8 only, no unpaired \u surrogate escapes, nesting at most
// kMaxJsonDepth deep. The api uses it to decide whether a `json:` column's text may be
// embedded as is (JsonWriter::Raw) or must be sent as a JSON string instead.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace shoal::api {

// kMaxJsonDepth bounds nesting in IsValidJson (the checker recurses once per level).
inline constexpr int kMaxJsonDepth = 64;

// IsValidJson reports whether `text` is one complete, strict RFC 8259 JSON text.
bool IsValidJson(std::string_view text);

}  // namespace shoal::api

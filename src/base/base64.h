// Base64: standard base64 (RFC 4648 section 4, with '=' padding), as JSON renders blobs.
// Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace shoal {

// AppendBase64 appends `data` encoded; it reserves the exact size first.
void AppendBase64(std::string& out, std::string_view data);

}  // namespace shoal

// Base64: standard base64 (RFC 4648 section 4, with '=' padding), as JSON renders blobs; and
// base64url (section 5, without padding), for tokens that travel in URLs (the api's page
// cursors) and as JSON Web Tokens and keys carry their parts. Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace shoal {

// AppendBase64 appends `data` encoded; it reserves the exact size first.
void AppendBase64(std::string& out, std::string_view data);

// AppendBase64Url appends `data` in the URL-safe alphabet ('-' and '_'), without padding.
void AppendBase64Url(std::string& out, std::string_view data);

// DecodeBase64Url decodes unpadded base64url text into *out (replacing its content). False for
// any other character, '=' included, for a length that no encoding has (4k + 1), and for
// non-zero bits left over in the last character (so each value has exactly one encoding).
bool DecodeBase64Url(std::string_view text, std::string* out);

}  // namespace shoal

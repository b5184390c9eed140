// ApiKeySet: the end users' API keys of an endpoint (`auth: {api_keys_file: FILE}`), held as
// SHA-256 digests only.
//
// The file: one key per line, or `name: key` so that logs can name the client without the
// key; blank lines and lines starting with '#' are ignored, and so is space around the name
// and the key. A key is at least 16 characters of the RFC 6750 b64token alphabet
// (A-Z a-z 0-9 - . _ ~ + / and trailing '='), so it travels as `Authorization: Bearer KEY`
// or `X-Api-Key: KEY`. A name is 1 to 64 characters of A-Z a-z 0-9 - . _ @; a key without one
// is named "FILE:LINE". Two lines with the same key, or the same name, are an error. Errors
// name FILE:LINE and never quote a key.
//
// Lookup hashes the given key once and binary-searches the sorted digests; the digest found
// is compared in constant time (secret.h). The time taken reveals nothing about the keys: a
// client cannot choose digests.
//
// Thread-safety: immutable after Parse/Load; Find may be called concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "api/secret.h"
#include "base/status.h"

namespace shoal::api {

class ApiKeySet {
 public:
  // Parse reads the text of a keys file; `file` names it in messages.
  static Result<ApiKeySet> Parse(std::string_view text, std::string_view file);
  // Load reads the file at `path`. A file its group or others may read is refused: it holds
  // secrets (chmod 600 it).
  static Result<ApiKeySet> Load(const std::string& path);

  // Find returns the name of the key `given`, or "" when no key matches.
  std::string_view Find(std::string_view given) const;

  size_t size() const { return keys_.size(); }

 private:
  struct Key {
    Sha256Digest digest{};
    std::string name;
  };
  std::vector<Key> keys_;  // sorted by digest
};

// IsB64Token reports whether `s` is an RFC 6750 b64token (what a bearer token may be).
bool IsB64Token(std::string_view s);

}  // namespace shoal::api

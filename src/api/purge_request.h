// PurgeRequest: the body of POST /_shoal/purge, checked (admin.h has the endpoint).
//
//   {"key": "/v1/items/42"}          one key, canonicalised like a request
//   {"endpoint": "/v1/items/{id}"}   every key of a configured route
//   {"tag": "item:42"}               every entry carrying the tag (tag_template.h)
//   {"tags": ["item:42", ...]}       every entry carrying any of them: 1 to kMaxPurgeTags
// each with an optional "soft": true (mark stale instead of remove; default false). A tag is
// 1 to 1024 bytes with no space or control byte (a tag never holds one: it could match
// nothing). Anything else is InvalidArgument (a 400) with a message; a key or route that is
// not served is NotFound (a 404).
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string>

#include <rapidjson/document.h>

#include "api/router.h"
#include "base/status.h"

namespace shoal::api {

enum class PurgeScope : unsigned char {
  kKey,
  kEndpoint,
  kTag,  // the text is one or more tags joined by single spaces
};

struct PurgeRequest {
  PurgeScope scope = PurgeScope::kKey;
  std::string text;  // the canonical key, the route, or the tags joined by spaces
  bool soft = false;
};

inline constexpr size_t kMaxPurgeTags = 1000;

Result<PurgeRequest> ParsePurgeRequest(const rapidjson::Value& body, const Router& router);

}  // namespace shoal::api

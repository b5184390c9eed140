// Claims: the verified claims of a request's token that its endpoint binds as parameters
// (`params: {tenant: {from: claims.tenant}}`). Values are percent-encoded (percent_encoding.h),
// as a query string's values are, so the Router checks and canonicalises them like any other.
// Thread-compatible: plain data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace shoal::api {

struct Claim {
  std::string name;
  std::string value;  // percent-encoded
};
using Claims = std::vector<Claim>;

// FindClaim returns the claim `name`, or nullptr.
inline const Claim* FindClaim(const Claims* claims, std::string_view name) {
  if (claims == nullptr) return nullptr;
  for (const Claim& c : *claims) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace shoal::api

// The key of a JwtVerifier, shared by jwt.cc (verifying) and jwks.cc (reading a JWKS).
// Internal to api. Immutable once built.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "api/jwt.h"

namespace shoal::api {

enum class JwtAlg : unsigned char { kHs256, kRs256, kEs256, kEdDsa };

// AlgFromName maps a JWS `alg` to the algorithms supported; nullopt for any other ("none").
std::optional<JwtAlg> AlgFromName(std::string_view name);
std::string_view AlgName(JwtAlg alg);

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

struct JwtVerifier::Key {
  std::string kid;
  bool has_kid = false;
  JwtAlg alg = JwtAlg::kRs256;               // the one algorithm this key allows
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;  // public keys
  std::string secret;                        // HS256
};

}  // namespace shoal::api

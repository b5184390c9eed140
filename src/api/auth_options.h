// AuthOptions: who may call an endpoint, as the operator declared it (`auth:` at the top of
// the config for every endpoint, or in one endpoint's mapping, which then replaces the top
// level's; `auth: none` opens one endpoint under a top-level auth). cli/config*.cc fill it;
// api/auth.h builds the checks from it when the Router is built (and again at each reload, so
// the files it names are read again).
//
// Plain structs, one documented field per knob.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/clock.h"

namespace shoal::api {

struct JwtOptions {
  // The keys that may sign tokens: a JSON Web Key Set file (RFC 7517: RSA, EC P-256 and
  // Ed25519 public keys), or one HS256 secret (at least 32 bytes). Exactly one of the two.
  std::string jwks_file;     // resolved against the config's directory
  std::string hs256_secret;  // the secret itself (hs256_secret_env names where it came from)
  // When set, a token's `iss` must equal it.
  std::string issuer;
  // When not empty, a token's `aud` (a string or a list) must name one of these.
  std::vector<std::string> audience;
  // Clock skew tolerated on `exp` and `nbf`.
  Duration leeway = std::chrono::seconds(30);
};

struct AuthOptions {
  enum class Kind : unsigned char {
    kNone,     // open: anyone may call
    kApiKeys,  // a key from api_keys_file
    kJwt,      // a JSON Web Token signed by a key of `jwt`
  };
  Kind kind = Kind::kNone;
  // kApiKeys: one key per line, or `name: key` (api_keys.h); resolved against the config's
  // directory. It must not be readable by its group or others.
  std::string api_keys_file;
  JwtOptions jwt;
  int line = 0;  // config line of the auth section, for error messages
};

}  // namespace shoal::api

// JwtVerifier: checks a JSON Web Token (RFC 7519, compact JWS, RFC 7515) against the keys an
// endpoint trusts and the claims its config asks for. Built with OpenSSL directly (see
// jwt.cc for why no JWT library).
//
// Keys: a JSON Web Key Set (RFC 7517; jwks.cc) of RSA (RS256, at least 2048 bits), EC P-256
// (ES256) and Ed25519 (EdDSA) public keys, or one HS256 secret (at least 32 bytes). Each key
// allows exactly one algorithm: the JWK's `alg` when it gives one, else the one its type
// implies. Keys with `use` other than "sig" and of types or algorithms not listed are skipped;
// a set with no usable key is an error.
//
// A token is accepted when, in this order:
//   - it is three base64url parts (no padding) of at most kMaxToken bytes in all;
//   - its header is a JSON object whose `alg` is one of RS256, ES256, EdDSA, HS256 ("none"
//     never is) and which has no `crit`;
//   - its key is found: the one whose `kid` the header names, or, without a kid, the only key
//     that allows its alg; the key must allow exactly that alg (so HS256 with an RSA public key
//     as the secret, the classic confusion, is refused before any check);
//   - the signature verifies (ES256: the raw 64-byte R||S of RFC 7518 3.4);
//   - the payload is a JSON object with a numeric `exp` not more than `leeway` in the past, an
//     `nbf` (if any) not more than `leeway` in the future, `iss` equal to the configured
//     issuer (when one is), and an `aud` (a string or a list) naming one of the configured
//     audiences (when some are).
// Every refusal is an InvalidArgument whose message says which rule failed, in words safe
// for a client and a log (never the token, never a key).
//
// Claims: the verifier keeps only the claims it was built to keep (those an endpoint binds as
// parameters), each a string (as is) or an integer (in decimal); others are left out.
//
// Thread-safety: immutable after construction; Verify may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/auth_options.h"
#include "base/status.h"

namespace shoal::api {

inline constexpr size_t kMaxToken = 8192;

// VerifiedToken is what a valid token says.
struct VerifiedToken {
  int64_t exp = 0;  // seconds since the Unix epoch
  // The kept claims present in the token, in the order they were asked for.
  std::vector<std::pair<std::string, std::string>> claims;
};

class JwtVerifier {
 public:
  // FromJwks builds a verifier over the keys of a JWKS document; `file` names it in messages.
  static Result<std::unique_ptr<const JwtVerifier>> FromJwks(std::string_view jwks,
                                                             std::string_view file,
                                                             const JwtOptions& options,
                                                             std::vector<std::string> keep);
  // FromHs256Secret builds a verifier over one HS256 secret (at least 32 bytes).
  static Result<std::unique_ptr<const JwtVerifier>> FromHs256Secret(std::string_view secret,
                                                                    const JwtOptions& options,
                                                                    std::vector<std::string> keep);

  // Verify checks `token` as of `now` (seconds since the Unix epoch).
  Result<VerifiedToken> Verify(std::string_view token, int64_t now) const;

  // id is unique to this verifier in the process: verified-token caches key on it, so that a
  // reload (a new verifier) never answers from tokens the old keys verified.
  uint64_t id() const { return id_; }
  Duration leeway() const { return options_.leeway; }
  size_t key_count() const;

  struct Key;  // defined in jwt.cc (an OpenSSL key, or the HMAC secret)
  JwtVerifier(std::vector<Key> keys, const JwtOptions& options, std::vector<std::string> keep);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

 private:
  const Key* Select(std::string_view alg, bool has_kid, std::string_view kid, Status* error) const;

  std::vector<Key> keys_;
  JwtOptions options_;
  std::vector<std::string> keep_;
  uint64_t id_ = 0;
};

// Jwks parsing, for jwt.cc: the usable keys of a JWKS document (see above).
Result<std::vector<JwtVerifier::Key>> ParseJwks(std::string_view jwks, std::string_view file);

}  // namespace shoal::api

// Authenticator: who may call an endpoint (auth_options.h), checked on every request before
// the cache is consulted; and Authorize, the api's one call for it.
//
// Credentials:
//   api keys  `Authorization: Bearer KEY` or `X-Api-Key: KEY` (api_keys.h); both at once is a
//             400 (RFC 6750 invalid_request).
//   jwt       `Authorization: Bearer TOKEN` (jwt.h), through this thread's TokenCache: a token
//             seen before costs a digest and a probe, and its exp is checked again each time.
// Answers (RFC 6750 section 3), each a JSON error body and never cached:
//   401 + `WWW-Authenticate: Bearer realm="shoal"` when no credentials came (or another scheme);
//   401 + `WWW-Authenticate: Bearer realm="shoal", error="invalid_token"` for an unknown key or
//       a token refused for any reason: malformed, bad signature, unknown kid, alg not allowed,
//       expired, not yet valid, another issuer or audience (a token made for another service
//       is no credential here, whatever it says);
//   403 + `error="insufficient_scope"` for a valid credential that lacks what the endpoint
//       binds: a claim it takes as a parameter is missing or does not fit the parameter.
// The body says which rule failed (jwt.h's messages); it never echoes the token or a key, and
// nothing here logs.
//
// Thread-safety: immutable after Build; Check may be called concurrently (the token cache is
// per thread).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_keys.h"
#include "api/auth_options.h"
#include "api/claims.h"
#include "api/jwt.h"
#include "base/status.h"
#include "http/handler.h"

namespace shoal::api {

class Router;

class Authenticator {
 public:
  // Build reads the files `options` names (the keys file, the JWKS file). `claims` are the
  // claim names the endpoints it guards bind as parameters (kept from each token). Errors
  // are InvalidArgument naming the file (and line, for a keys file).
  static Result<std::shared_ptr<const Authenticator>> Build(const AuthOptions& options,
                                                            std::vector<std::string> claims);

  struct Outcome {
    int status = 0;                  // 0: allowed; else 400, 401
    std::string_view error;          // RFC 6750 error code, "" when none applies
    std::string message;             // for the body
    std::string_view client;         // the API key's name ("" for a token)
    const Claims* claims = nullptr;  // valid until this thread's next Check
  };
  // Check authenticates `request` as of `now` (seconds since the Unix epoch).
  Outcome Check(const http::Request& request, int64_t now) const;

  AuthOptions::Kind kind() const { return kind_; }

  Authenticator(AuthOptions::Kind kind, std::unique_ptr<const ApiKeySet> keys,
                std::unique_ptr<const JwtVerifier> jwt);
  ~Authenticator();

 private:
  Outcome CheckKey(const http::Request& request) const;
  Outcome CheckToken(std::string_view token, int64_t now) const;

  AuthOptions::Kind kind_;
  std::unique_ptr<const ApiKeySet> keys_;
  std::unique_ptr<const JwtVerifier> jwt_;
};

// Refusal builds the answer for a refused Outcome (status 400, 401 or 403).
http::Response Refusal(int status, std::string_view error, std::string_view message);

// Authorize checks `request` against endpoint `endpoint` of `router` when the endpoint has an
// Authenticator: nullopt when it may proceed (*claims then points at the claims it binds, or
// is null), else the refusal to send. Costs nothing for an open endpoint.
std::optional<http::Response> Authorize(const Router& router, size_t endpoint,
                                        const http::Request& request, const Claims** claims);

// UnixNow is the wall clock in whole seconds (CLOCK_REALTIME_COARSE), as tokens count time.
int64_t UnixNow();

}  // namespace shoal::api

// Authenticator and Authorize; see auth.h.
#include "api/auth.h"

#include <ctime>
#include <fstream>
#include <sstream>
#include <utility>

#include "api/percent_encoding.h"
#include "api/router.h"
#include "api/token_cache.h"

namespace shoal::api {
namespace {

constexpr std::string_view kInvalidToken = "invalid_token";
constexpr std::string_view kInvalidRequest = "invalid_request";
constexpr std::string_view kInsufficientScope = "insufficient_scope";

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// BearerToken reads `Authorization: Bearer TOKEN` (the scheme is case-insensitive): the token,
// or "" when the header names another scheme or no token.
std::string_view BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) return {};
  }
  std::string_view rest = authorization.substr(kScheme.size());
  if (!IsSpace(rest.front())) return {};
  while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
  return rest;
}

Authenticator::Outcome Refused(int status, std::string_view error, std::string message) {
  Authenticator::Outcome o;
  o.status = status;
  o.error = error;
  o.message = std::move(message);
  return o;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path + ": cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument(path + ": cannot read the file");
  return text.str();
}

}  // namespace

int64_t UnixNow() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return ts.tv_sec;
}

Authenticator::Authenticator(AuthOptions::Kind kind, std::unique_ptr<const ApiKeySet> keys,
                             std::unique_ptr<const JwtVerifier> jwt)
    : kind_(kind), keys_(std::move(keys)), jwt_(std::move(jwt)) {}

Authenticator::~Authenticator() = default;

Result<std::shared_ptr<const Authenticator>> Authenticator::Build(const AuthOptions& options,
                                                                  std::vector<std::string> claims) {
  switch (options.kind) {
    case AuthOptions::Kind::kNone:
      return std::shared_ptr<const Authenticator>();
    case AuthOptions::Kind::kApiKeys: {
      Result<ApiKeySet> keys = ApiKeySet::Load(options.api_keys_file);
      if (!keys.ok()) return keys.status();
      return std::make_shared<const Authenticator>(
          options.kind, std::make_unique<const ApiKeySet>(std::move(keys).value()), nullptr);
    }
    case AuthOptions::Kind::kJwt: {
      Result<std::unique_ptr<const JwtVerifier>> v = Status::InvalidArgument("no keys");
      if (!options.jwt.jwks_file.empty()) {
        Result<std::string> text = ReadFile(options.jwt.jwks_file);
        if (!text.ok()) return text.status();
        v = JwtVerifier::FromJwks(*text, options.jwt.jwks_file, options.jwt, std::move(claims));
      } else {
        v = JwtVerifier::FromHs256Secret(options.jwt.hs256_secret, options.jwt, std::move(claims));
      }
      if (!v.ok()) return v.status();
      return std::make_shared<const Authenticator>(options.kind, nullptr, std::move(v).value());
    }
  }
  return Status::InvalidArgument("unknown auth kind");
}

Authenticator::Outcome Authenticator::Check(const http::Request& request, int64_t now) const {
  if (kind_ == AuthOptions::Kind::kApiKeys) return CheckKey(request);
  const std::string_view authorization = request.HeaderValue("Authorization");
  const std::string_view token = BearerToken(authorization);
  if (token.empty()) return Refused(401, {}, "a bearer token is required");
  return CheckToken(token, now);
}

Authenticator::Outcome Authenticator::CheckKey(const http::Request& request) const {
  const std::string_view authorization = request.HeaderValue("Authorization");
  const std::string_view header_key = request.HeaderValue("X-Api-Key");
  std::string_view key = BearerToken(authorization);
  if (!key.empty() && !header_key.empty()) {
    return Refused(400, kInvalidRequest,
                   "give the API key in one header: Authorization: Bearer or X-Api-Key");
  }
  if (key.empty()) key = header_key;
  if (key.empty()) return Refused(401, {}, "an API key is required");
  const std::string_view name = keys_->Find(key);
  if (name.empty()) return Refused(401, kInvalidToken, "the API key is not valid");
  Outcome o;
  o.client = name;
  return o;
}

Authenticator::Outcome Authenticator::CheckToken(std::string_view token, int64_t now) const {
  if (token.size() > kMaxToken) return Refused(401, kInvalidToken, "the token is too long");
  TokenCache& cache = TokenCache::ForThisThread();
  const Sha256Digest digest = Sha256(token);
  const int64_t leeway = std::chrono::duration_cast<std::chrono::seconds>(jwt_->leeway()).count();
  Outcome o;
  if (const CachedToken* hit = cache.Find(jwt_->id(), digest)) {
    if (now - leeway > hit->exp) return Refused(401, kInvalidToken, "the token has expired");
    o.claims = &hit->claims;
    return o;
  }
  Result<VerifiedToken> v = jwt_->Verify(token, now);
  if (!v.ok()) return Refused(401, kInvalidToken, std::string(v.status().message()));
  Claims claims;
  claims.reserve(v->claims.size());
  for (auto& [name, value] : v->claims) {
    std::string encoded;
    for (char c : value) AppendEncodedByte(encoded, c);
    claims.push_back(Claim{std::move(name), std::move(encoded)});
  }
  o.claims = &cache.Put(jwt_->id(), digest, v->exp, std::move(claims));
  return o;
}

http::Response Refusal(int status, std::string_view error, std::string_view message) {
  http::Response r = http::ErrorResponse(status, message);
  r.extra_headers = "WWW-Authenticate: Bearer realm=\"shoal\"";
  if (!error.empty()) {
    r.extra_headers += ", error=\"";
    r.extra_headers += error;
    r.extra_headers += '"';
  }
  r.extra_headers += "\r\nCache-Control: no-store\r\n";
  return r;
}

std::optional<http::Response> Authorize(const Router& router, size_t endpoint,
                                        const http::Request& request, const Claims** claims) {
  const EndpointInfo& info = router.endpoint(endpoint);
  *claims = nullptr;
  if (info.auth == nullptr) return std::nullopt;
  Authenticator::Outcome o = info.auth->Check(request, UnixNow());
  if (o.status != 0) return Refusal(o.status, o.error, o.message);
  if (info.binds_claims) {
    if (Status s = router.CheckClaims(endpoint, o.claims); !s.ok()) {
      return Refusal(403, kInsufficientScope, s.message());
    }
  }
  *claims = o.claims;
  return std::nullopt;
}

}  // namespace shoal::api

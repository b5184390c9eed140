// JwtVerifier: compact JWS parsing, signature checks with OpenSSL, claim checks; see jwt.h.
//
// Why OpenSSL directly rather than a JWT library: Debian 12 packages two. libjwt 1.10.2 takes
// one PEM key per decode, has no JWK/JWKS support and no claim validation (jwt_valid_* came in
// 1.12) and brings jansson; libcpp-jwt 1.4 has no JWKS either and brings nlohmann-json, a second
// JSON library. Either way the JWKS-to-key work and the alg/key binding would be ours, and
// those are most of the job. OpenSSL (already linked for the admin token and TLS) does the
// cryptography; RapidJSON (already a dependency) parses the header and payload.
#include <atomic>
#include <chrono>
#include <cmath>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>

#include "api/jwt_internal.h"
#include "base/base64.h"

namespace shoal::api {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

std::atomic<uint64_t> next_verifier_id{1};

Status Refuse(std::string_view why) { return Status::InvalidArgument(std::string(why)); }

bool ParseObject(const std::string& json, rapidjson::Document* doc) {
  doc->Parse(json.data(), json.size());
  return !doc->HasParseError() && doc->IsObject();
}

// DigestVerify checks `sig` over `data` with a public key (`md` null for EdDSA).
bool DigestVerify(EVP_PKEY* pkey, const EVP_MD* md, std::string_view data, const unsigned char* sig,
                  size_t sig_size) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  return ctx != nullptr && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) == 1 &&
         EVP_DigestVerify(ctx.get(), sig, sig_size,
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

// EcdsaDer turns a JWS ES256 signature (R||S, 32 bytes each) into the DER form OpenSSL takes.
std::string EcdsaDer(const std::string& raw) {
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, 32, nullptr);
  BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return {};
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return {};
  return der;
}

bool SignatureHolds(const JwtVerifier::Key& key, std::string_view signed_part,
                    const std::string& sig) {
  const auto* s = reinterpret_cast<const unsigned char*>(sig.data());
  switch (key.alg) {
    case JwtAlg::kHs256: {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_size = 0;
      if (HMAC(EVP_sha256(), key.secret.data(), static_cast<int>(key.secret.size()),
               reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
               &mac_size) == nullptr) {
        return false;
      }
      return sig.size() == mac_size && CRYPTO_memcmp(mac, s, mac_size) == 0;
    }
    case JwtAlg::kRs256:
      return DigestVerify(key.pkey.get(), EVP_sha256(), signed_part, s, sig.size());
    case JwtAlg::kEs256: {
      if (sig.size() != 64) return false;
      const std::string der = EcdsaDer(sig);
      return !der.empty() &&
             DigestVerify(key.pkey.get(), EVP_sha256(), signed_part,
                          reinterpret_cast<const unsigned char*>(der.data()), der.size());
    }
    case JwtAlg::kEdDsa:
      return DigestVerify(key.pkey.get(), nullptr, signed_part, s, sig.size());
  }
  return false;
}

// NumericDate reads a claim that is a JSON number of seconds; false when absent or not one.
bool NumericDate(const rapidjson::Value& payload, const char* name, int64_t* out) {
  auto it = std::as_const(payload).FindMember(name);
  if (it == std::as_const(payload).MemberEnd() || !it->value.IsNumber()) return false;
  if (it->value.IsInt64()) {
    *out = it->value.GetInt64();
    return true;
  }
  const double d = it->value.GetDouble();
  if (!std::isfinite(d) || std::fabs(d) > 1e15) return false;
  *out = static_cast<int64_t>(std::floor(d));
  return true;
}

bool StringIs(const rapidjson::Value& v, std::string_view want) {
  return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == want;
}

}  // namespace

std::optional<JwtAlg> AlgFromName(std::string_view name) {
  if (name == "RS256") return JwtAlg::kRs256;
  if (name == "ES256") return JwtAlg::kEs256;
  if (name == "EdDSA") return JwtAlg::kEdDsa;
  if (name == "HS256") return JwtAlg::kHs256;
  return std::nullopt;
}

std::string_view AlgName(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::kHs256:
      return "HS256";
    case JwtAlg::kRs256:
      return "RS256";
    case JwtAlg::kEs256:
      return "ES256";
    case JwtAlg::kEdDsa:
      return "EdDSA";
  }
  return "?";
}

JwtVerifier::JwtVerifier(std::vector<Key> keys, const JwtOptions& options,
                         std::vector<std::string> keep)
    : keys_(std::move(keys)),
      options_(options),
      keep_(std::move(keep)),
      id_(next_verifier_id.fetch_add(1, std::memory_order_relaxed)) {
  options_.hs256_secret.clear();  // the key holds it; no second copy
}

JwtVerifier::~JwtVerifier() = default;

size_t JwtVerifier::key_count() const { return keys_.size(); }

Result<std::unique_ptr<const JwtVerifier>> JwtVerifier::FromJwks(std::string_view jwks,
                                                                 std::string_view file,
                                                                 const JwtOptions& options,
                                                                 std::vector<std::string> keep) {
  Result<std::vector<Key>> keys = ParseJwks(jwks, file);
  if (!keys.ok()) return keys.status();
  return std::unique_ptr<const JwtVerifier>(
      new JwtVerifier(std::move(keys).value(), options, std::move(keep)));
}

Result<std::unique_ptr<const JwtVerifier>> JwtVerifier::FromHs256Secret(
    std::string_view secret, const JwtOptions& options, std::vector<std::string> keep) {
  if (secret.size() < 32) {
    return Status::InvalidArgument("an HS256 secret must be at least 32 bytes (RFC 7518 3.2)");
  }
  std::vector<Key> keys(1);
  keys[0].alg = JwtAlg::kHs256;
  keys[0].secret = std::string(secret);
  return std::unique_ptr<const JwtVerifier>(
      new JwtVerifier(std::move(keys), options, std::move(keep)));
}

const JwtVerifier::Key* JwtVerifier::Select(std::string_view alg_name, bool has_kid,
                                            std::string_view kid, Status* error) const {
  const std::optional<JwtAlg> alg = AlgFromName(alg_name);
  if (!alg) {
    *error = Refuse(alg_name == "none" || alg_name.empty()
                        ? "unsigned tokens (alg none) are never accepted"
                        : "the token's alg is not one of RS256, ES256, EdDSA, HS256");
    return nullptr;
  }
  const Key* found = nullptr;
  const bool secret_only = keys_.size() == 1 && keys_[0].alg == JwtAlg::kHs256;
  if (has_kid && !secret_only) {
    for (const Key& k : keys_) {
      if (k.has_kid && k.kid == kid) found = &k;
    }
    if (found == nullptr) {
      *error = Refuse("the token's kid names no key this endpoint trusts");
      return nullptr;
    }
  } else {
    size_t candidates = 0;
    for (const Key& k : keys_) {
      if (k.alg == *alg) {
        found = &k;
        ++candidates;
      }
    }
    if (candidates > 1) {
      *error = Refuse("the token names no kid and several keys could have signed it");
      return nullptr;
    }
    if (found == nullptr) found = keys_.empty() ? nullptr : &keys_[0];  // refused just below
  }
  if (found == nullptr || found->alg != *alg) {
    *error = Refuse("the token's alg is not the one its key allows");
    return nullptr;
  }
  return found;
}

Result<VerifiedToken> JwtVerifier::Verify(std::string_view token, int64_t now) const {
  if (token.size() > kMaxToken) return Refuse("the token is too long");
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Refuse("malformed token: expected three base64url parts");
  }
  std::string header_json, payload_json, sig;
  if (!DecodeBase64Url(token.substr(0, dot1), &header_json) ||
      !DecodeBase64Url(token.substr(dot1 + 1, dot2 - dot1 - 1), &payload_json) ||
      !DecodeBase64Url(token.substr(dot2 + 1), &sig)) {
    return Refuse("malformed token: a part is not base64url");
  }
  rapidjson::Document header;
  if (!ParseObject(header_json, &header)) return Refuse("malformed token: bad header");
  auto alg = std::as_const(header).FindMember("alg");
  if (alg == std::as_const(header).MemberEnd() || !alg->value.IsString()) {
    return Refuse("malformed token: the header has no alg");
  }
  if (header.HasMember("crit")) return Refuse("the token has critical extensions (crit)");
  auto kid = std::as_const(header).FindMember("kid");
  const bool has_kid = kid != std::as_const(header).MemberEnd();
  if (has_kid && !kid->value.IsString()) return Refuse("malformed token: kid is not a string");
  Status error;
  const Key* key =
      Select(std::string_view(alg->value.GetString(), alg->value.GetStringLength()), has_kid,
             has_kid ? std::string_view(kid->value.GetString(), kid->value.GetStringLength())
                     : std::string_view(),
             &error);
  if (key == nullptr) return error;
  if (!SignatureHolds(*key, token.substr(0, dot2), sig)) {
    return Refuse("the token's signature does not verify");
  }

  rapidjson::Document payload;
  if (!ParseObject(payload_json, &payload)) return Refuse("malformed token: bad payload");
  const int64_t leeway = std::chrono::duration_cast<std::chrono::seconds>(options_.leeway).count();
  VerifiedToken out;
  if (!NumericDate(payload, "exp", &out.exp)) return Refuse("the token has no exp");
  if (now - leeway > out.exp) return Refuse("the token has expired");
  int64_t nbf = 0;
  if (payload.HasMember("nbf")) {
    if (!NumericDate(payload, "nbf", &nbf)) return Refuse("malformed token: nbf is not a number");
    if (nbf > now + leeway) return Refuse("the token is not valid yet (nbf)");
  }
  if (!options_.issuer.empty()) {
    auto iss = std::as_const(payload).FindMember("iss");
    if (iss == std::as_const(payload).MemberEnd() || !StringIs(iss->value, options_.issuer)) {
      return Refuse("the token's issuer is not the one this endpoint trusts");
    }
  }
  if (!options_.audience.empty()) {
    auto aud = std::as_const(payload).FindMember("aud");
    bool match = false;
    if (aud != std::as_const(payload).MemberEnd()) {
      for (const std::string& want : options_.audience) {
        if (StringIs(aud->value, want)) match = true;
        if (aud->value.IsArray()) {
          for (const auto& a : aud->value.GetArray()) match = match || StringIs(a, want);
        }
      }
    }
    if (!match) return Refuse("the token is not meant for this audience (aud)");
  }
  for (const std::string& name : keep_) {
    auto it = std::as_const(payload).FindMember(
        rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    if (it == std::as_const(payload).MemberEnd()) continue;
    const rapidjson::Value& v = it->value;
    if (v.IsString()) {
      out.claims.emplace_back(name, std::string(v.GetString(), v.GetStringLength()));
    } else if (v.IsInt64()) {
      out.claims.emplace_back(name, std::to_string(v.GetInt64()));
    } else if (v.IsUint64()) {
      out.claims.emplace_back(name, std::to_string(v.GetUint64()));
    }
  }
  return out;
}

}  // namespace shoal::api

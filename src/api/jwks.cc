// ParseJwks: a JSON Web Key Set (RFC 7517, RFC 7518 section 6, RFC 8037) to OpenSSL public
// keys, through OpenSSL 3's EVP_PKEY_fromdata (RSA n/e, EC P-256 x/y) and raw Ed25519 keys.
// See jwt.h for which keys are used and which are skipped.
#include <utility>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <rapidjson/document.h>

#include "api/jwt_internal.h"
#include "base/base64.h"

namespace shoal::api {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamsFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Member returns the string member `name` of `key`, decoded from base64url when `b64`;
// nullopt when absent or not a string (or not base64url).
std::optional<std::string> Member(const rapidjson::Value& key, const char* name, bool b64) {
  auto it = std::as_const(key).FindMember(name);
  if (it == std::as_const(key).MemberEnd() || !it->value.IsString()) return std::nullopt;
  std::string_view text(it->value.GetString(), it->value.GetStringLength());
  if (!b64) return std::string(text);
  std::string out;
  if (!DecodeBase64Url(text, &out)) return std::nullopt;
  return out;
}

Pkey FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamsFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  Pkey out(pkey);
  // The point must lie on the curve, the modulus be odd and so on.
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return out;
}

Status RsaKey(const rapidjson::Value& jwk, Pkey* out) {
  const std::optional<std::string> n = Member(jwk, "n", true), e = Member(jwk, "e", true);
  if (!n || !e) return Status::InvalidArgument("an RSA key needs n and e in base64url");
  std::unique_ptr<BIGNUM, BnFree> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                                                 static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                                                 static_cast<int>(e->size()), nullptr));
  if (bn_n == nullptr || bn_e == nullptr) return Status::InvalidArgument("bad n or e");
  if (BN_num_bits(bn_n.get()) < 2048) {
    return Status::InvalidArgument("an RSA key must have at least 2048 bits");
  }
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Status::InvalidArgument("cannot build the RSA key");
  }
  *out = FromData("RSA", bld.get());
  if (*out == nullptr) return Status::InvalidArgument("not a valid RSA public key");
  return Status::Ok();
}

Status EcKey(const rapidjson::Value& jwk, Pkey* out) {
  const std::optional<std::string> x = Member(jwk, "x", true), y = Member(jwk, "y", true);
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return Status::InvalidArgument("a P-256 key needs x and y of 32 bytes each in base64url");
  }
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Status::InvalidArgument("cannot build the EC key");
  }
  *out = FromData("EC", bld.get());
  if (*out == nullptr) return Status::InvalidArgument("not a point of P-256");
  return Status::Ok();
}

Status EdKey(const rapidjson::Value& jwk, Pkey* out) {
  const std::optional<std::string> x = Member(jwk, "x", true);
  if (!x || x->size() != 32) {
    return Status::InvalidArgument("an Ed25519 key needs x of 32 bytes in base64url");
  }
  out->reset(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (*out == nullptr) return Status::InvalidArgument("not a valid Ed25519 key");
  return Status::Ok();
}

}  // namespace

Result<std::vector<JwtVerifier::Key>> ParseJwks(std::string_view jwks, std::string_view file) {
  const std::string where(file);
  rapidjson::Document doc;
  doc.Parse(jwks.data(), jwks.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument(where + ": not a JSON Web Key Set (a JSON object)");
  }
  auto keys = std::as_const(doc).FindMember("keys");
  if (keys == std::as_const(doc).MemberEnd() || !keys->value.IsArray()) {
    return Status::InvalidArgument(where + ": a JSON Web Key Set needs a \"keys\" list");
  }
  std::vector<JwtVerifier::Key> out;
  rapidjson::SizeType i = 0;
  for (const rapidjson::Value& jwk : keys->value.GetArray()) {
    const std::string at = where + ": keys[" + std::to_string(i++) + "]";
    if (!jwk.IsObject()) return Status::InvalidArgument(at + ": expected a JSON object");
    JwtVerifier::Key key;
    if (std::optional<std::string> kid = Member(jwk, "kid", false)) {
      key.kid = std::move(*kid);
      key.has_kid = true;
    }
    const std::string named = key.has_kid ? at + " (kid '" + key.kid + "')" : at;
    const std::optional<std::string> use = Member(jwk, "use", false);
    if (use && *use != "sig") continue;  // an encryption key: not ours to use
    const std::optional<std::string> kty = Member(jwk, "kty", false);
    const std::optional<std::string> crv = Member(jwk, "crv", false);
    if (!kty) return Status::InvalidArgument(named + ": needs kty");
    JwtAlg implied;
    Status built;
    if (*kty == "RSA") {
      implied = JwtAlg::kRs256;
      built = RsaKey(jwk, &key.pkey);
    } else if (*kty == "EC" && crv == "P-256") {
      implied = JwtAlg::kEs256;
      built = EcKey(jwk, &key.pkey);
    } else if (*kty == "OKP" && crv == "Ed25519") {
      implied = JwtAlg::kEdDsa;
      built = EdKey(jwk, &key.pkey);
    } else if (*kty == "oct") {
      return Status::InvalidArgument(named +
                                     ": a shared secret (kty oct) does not belong in a key set "
                                     "file; use auth.jwt.hs256_secret_env");
    } else {
      continue;  // another curve or type: skipped (jwt.h)
    }
    if (const std::optional<std::string> alg = Member(jwk, "alg", false)) {
      const std::optional<JwtAlg> a = AlgFromName(*alg);
      if (!a || *a != implied) continue;  // RS384, PS256, ...: not supported, skipped
    }
    if (!built.ok()) return Status::InvalidArgument(named + ": " + std::string(built.message()));
    key.alg = implied;
    for (const auto& other : out) {
      if (key.has_kid && other.has_kid && other.kid == key.kid) {
        return Status::InvalidArgument(named + ": the kid is used by another key too");
      }
    }
    out.push_back(std::move(key));
  }
  if (out.empty()) {
    return Status::InvalidArgument(where +
                                   ": no usable key (RSA of 2048 bits or more, EC P-256 or "
                                   "Ed25519, for signatures)");
  }
  return out;
}

}  // namespace shoal::api

// Test-only: keys, JWKS documents and signed tokens made with OpenSSL, for the auth tests
// (src/api/auth_test.cc, tests/auth_test.cc, bench/auth_bench.cc). Nothing is copied from
// elsewhere: every key is generated when the test runs.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "base/base64.h"

namespace shoal::api::testing {

struct TestPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using TestPkey = std::unique_ptr<EVP_PKEY, TestPkeyFree>;

inline TestPkey NewRsaKey(unsigned bits = 2048) { return TestPkey(EVP_RSA_gen(bits)); }
inline TestPkey NewEcKey() {
  // EVP_EC_gen casts the const away from its curve name: the call it stands for, without it.
  return TestPkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}
inline TestPkey NewEd25519Key() { return TestPkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }

inline std::string B64(std::string_view s) {
  std::string out;
  AppendBase64Url(out, s);
  return out;
}

inline std::string BnBytes(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) throw std::runtime_error("bn param");
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

// Jwk renders the public half of `pkey` as a JWK (RSA, EC P-256 or Ed25519); `extra` is
// appended inside the object (such as ,"alg":"RS256").
inline std::string Jwk(const EVP_PKEY* pkey, std::string_view kid, std::string_view extra = "") {
  std::string out = "{";
  if (!kid.empty()) out += "\"kid\":\"" + std::string(kid) + "\",";
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    out += "\"kty\":\"RSA\",\"n\":\"" + B64(BnBytes(pkey, OSSL_PKEY_PARAM_RSA_N)) + "\",\"e\":\"" +
           B64(BnBytes(pkey, OSSL_PKEY_PARAM_RSA_E)) + "\"";
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    unsigned char point[65];
    size_t size = 0;
    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &size);
    if (size != 65) throw std::runtime_error("ec point");
    const std::string p(reinterpret_cast<char*>(point), size);
    out += "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + B64(p.substr(1, 32)) + "\",\"y\":\"" +
           B64(p.substr(33, 32)) + "\"";
  } else {
    unsigned char raw[32];
    size_t size = sizeof(raw);
    EVP_PKEY_get_raw_public_key(pkey, raw, &size);
    out += "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" +
           B64(std::string_view(reinterpret_cast<char*>(raw), size)) + "\"";
  }
  out += std::string(extra) + "}";
  return out;
}

// Sign returns the JWS signature of `input` with `pkey` for `alg` (RS256, ES256 as R||S,
// EdDSA).
inline std::string Sign(const EVP_PKEY* pkey, std::string_view alg, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const EVP_MD* md = alg == "EdDSA" ? nullptr : EVP_sha256();
  size_t size = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, md, nullptr, const_cast<EVP_PKEY*>(pkey)) != 1 ||
      EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    EVP_MD_CTX_free(ctx);
    throw std::runtime_error("sign");
  }
  sig.resize(size);
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &size,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(size);
  EVP_MD_CTX_free(ctx);
  if (alg != "ES256") return sig;
  const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(es);
  return raw;
}

inline std::string Hs256(std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
  return std::string(reinterpret_cast<char*>(mac), size);
}

// Token builds a compact JWS from a header and a payload (JSON texts) signed by `pkey`.
inline std::string Token(const EVP_PKEY* pkey, std::string_view alg, std::string_view header,
                         std::string_view payload) {
  const std::string input = B64(header) + "." + B64(payload);
  return input + "." + B64(Sign(pkey, alg, input));
}

// HsToken builds an HS256 token (whatever alg the header claims).
inline std::string HsToken(std::string_view secret, std::string_view header,
                           std::string_view payload) {
  const std::string input = B64(header) + "." + B64(payload);
  return input + "." + B64(Hs256(secret, input));
}

}  // namespace shoal::api::testing

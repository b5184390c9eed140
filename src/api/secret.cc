// Secrets compared in constant time; see secret.h.
#include "api/secret.h"

#include <memory>
#include <new>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace shoal::api {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  // One context per thread, reset by each Init: no allocation after the first call.
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  Sha256Digest out{};
  unsigned int size = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1 || size != out.size()) {
    // Only when OpenSSL cannot allocate: no digest may stand for a secret.
    throw std::bad_alloc();
  }
  return out;
}

bool SameDigest(const Sha256Digest& a, const Sha256Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool SameSecret(std::string_view given, std::string_view secret) {
  return SameDigest(Sha256(given), Sha256(secret));
}

}  // namespace shoal::api

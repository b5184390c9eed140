#include "rpc/auth.h"

#include <climits>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace shoal::rpc::auth {
namespace {

// Distinct labels for the two directions (domain separation); the version is part of them so
// that a later revision of the handshake cannot accept a proof made for this one.
constexpr std::string_view kClientLabel = "shoal-rpc v1 client proof";
constexpr std::string_view kServerLabel = "shoal-rpc v1 server proof";

std::string Proof(std::string_view label, std::string_view secret, std::string_view client_nonce,
                  std::string_view server_nonce) {
  std::string message;
  message.reserve(label.size() + client_nonce.size() + server_nonce.size());
  message.append(label).append(client_nonce).append(server_nonce);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  // An empty secret never reaches here (no secret means no handshake), and a secret over
  // INT_MAX bytes is not a secret anyone configures; clamp rather than overflow.
  const int key_size = secret.size() > INT_MAX ? INT_MAX : static_cast<int>(secret.size());
  if (HMAC(EVP_sha256(), secret.data(), key_size,
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
           &mac_size) == nullptr) {
    return {};  // compares unequal to every proof (ProofMatches checks the size)
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

}  // namespace

std::string MakeNonce() {
  unsigned char bytes[kNonceSize];
  if (RAND_bytes(bytes, static_cast<int>(sizeof(bytes))) != 1) return {};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

std::string ClientProof(std::string_view secret, std::string_view client_nonce,
                        std::string_view server_nonce) {
  return Proof(kClientLabel, secret, client_nonce, server_nonce);
}

std::string ServerProof(std::string_view secret, std::string_view client_nonce,
                        std::string_view server_nonce) {
  return Proof(kServerLabel, secret, client_nonce, server_nonce);
}

bool ProofMatches(std::string_view received, std::string_view expected) {
  if (expected.size() != kProofSize || received.size() != kProofSize) return false;
  return CRYPTO_memcmp(received.data(), expected.data(), kProofSize) == 0;
}

}  // namespace shoal::rpc::auth

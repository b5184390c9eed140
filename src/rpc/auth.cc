#include "rpc/auth.h"

#include <climits>
#include <string>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace shoal::rpc::auth {
namespace {

// Distinct labels for the two directions (domain separation); the version is part of them so
// that no other revision of the handshake can accept a proof made for this one.
constexpr std::string_view kClientLabel = "shoal-rpc v2 client proof";
constexpr std::string_view kServerLabel = "shoal-rpc v2 server proof";
constexpr std::string_view kVersionMismatch = "unsupported handshake version ";

void PutShort(std::string& out, std::string_view s) {
  const std::string_view cut = s.substr(0, kMaxAddress);
  out.push_back(static_cast<char>(cut.size()));
  out.append(cut);
}

std::string Proof(std::string_view label, std::string_view secret, const Hello& hello,
                  std::string_view server_nonce) {
  std::string message;
  message.reserve(label.size() + 2 + hello.client_self.size() + hello.server_addr.size() +
                  hello.nonce.size() + server_nonce.size());
  message.append(label);
  PutShort(message, hello.client_self);
  PutShort(message, hello.server_addr);
  message.append(hello.nonce).append(server_nonce);
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

std::string EncodeHello(const Hello& hello) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(hello.nonce.size()));
  out.append(hello.nonce);
  PutShort(out, hello.client_self);
  PutShort(out, hello.server_addr);
  return out;
}

Result<Hello> DecodeHello(std::string_view payload) {
  if (payload.empty()) return Status::InvalidArgument("empty HELLO");
  const auto version = static_cast<uint8_t>(payload[0]);
  if (version != kVersion) {
    return Status::InvalidArgument(std::string(kVersionMismatch) + std::to_string(version) +
                                   " (this node speaks " + std::to_string(kVersion) + ")");
  }
  payload.remove_prefix(1);
  Hello hello;
  std::string_view parts[3];  // nonce, client_self, server_addr
  for (int i = 0; i < 3; ++i) {
    if (payload.empty()) return Status::InvalidArgument("truncated HELLO");
    const auto n = static_cast<uint8_t>(payload[0]);
    payload.remove_prefix(1);
    if (payload.size() < n) return Status::InvalidArgument("truncated HELLO");
    parts[i] = payload.substr(0, n);
    payload.remove_prefix(n);
  }
  if (!payload.empty()) return Status::InvalidArgument("trailing bytes after HELLO");
  if (!parts[0].empty() && parts[0].size() != kNonceSize) {
    return Status::InvalidArgument("HELLO with a nonce of " + std::to_string(parts[0].size()) +
                                   " bytes");
  }
  hello.nonce = std::string(parts[0]);
  hello.client_self = std::string(parts[1]);
  hello.server_addr = std::string(parts[2]);
  return hello;
}

bool IsVersionMismatch(const Status& status) {
  return status.message().starts_with(kVersionMismatch);
}

std::string MakeNonce() {
  unsigned char bytes[kNonceSize];
  if (RAND_bytes(bytes, static_cast<int>(sizeof(bytes))) != 1) return {};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

std::string ClientProof(std::string_view secret, const Hello& hello,
                        std::string_view server_nonce) {
  return Proof(kClientLabel, secret, hello, server_nonce);
}

std::string ServerProof(std::string_view secret, const Hello& hello,
                        std::string_view server_nonce) {
  return Proof(kServerLabel, secret, hello, server_nonce);
}

bool ProofMatches(std::string_view received, std::string_view expected) {
  if (expected.size() != kProofSize || received.size() != kProofSize) return false;
  return CRYPTO_memcmp(received.data(), expected.data(), kProofSize) == 0;
}

void NonceSet::Add(std::string_view nonce) {
  MutexLock lock(mu_);
  nonces_.emplace(nonce);
}

void NonceSet::Remove(std::string_view nonce) {
  MutexLock lock(mu_);
  auto it = nonces_.find(std::string(nonce));
  if (it != nonces_.end()) nonces_.erase(it);
}

bool NonceSet::Contains(std::string_view nonce) const {
  MutexLock lock(mu_);
  return nonces_.count(std::string(nonce)) > 0;
}

}  // namespace shoal::rpc::auth

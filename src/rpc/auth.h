// rpc authentication: the HMAC-SHA256 challenge-response of the connection handshake.
//
// Both ends hold a shared secret. Each end sends a fresh 32-byte nonce; the client proves
// the secret first with HMAC(secret, client label || client nonce || server nonce), and only
// a client that did so gets the server's proof, HMAC(secret, server label || client nonce ||
// server nonce). The labels differ so a proof can never be replayed in the other direction,
// and each proof covers the verifier's own fresh nonce so an old one is worthless. The secret
// itself never crosses the wire. The handshake authenticates peers; it does not encrypt or
// protect the frames that follow (docs/rpc-format.md, "Authentication").
//
// Internal to src/rpc (OpenSSL's libcrypto stays out of the public headers).
// Thread-safety: the functions are thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shoal::rpc::auth {

inline constexpr size_t kNonceSize = 32;
inline constexpr size_t kProofSize = 32;  // an HMAC-SHA256
// kVersion is the first byte of HELLO: the handshake and frame format revision.
inline constexpr unsigned char kVersion = 1;

// MakeNonce returns kNonceSize bytes from OpenSSL's CSPRNG (RAND_bytes), or an empty string
// if it failed (the caller then refuses the connection rather than use a weak nonce).
std::string MakeNonce();

// ClientProof and ServerProof return the two proofs described above (kProofSize bytes).
std::string ClientProof(std::string_view secret, std::string_view client_nonce,
                        std::string_view server_nonce);
std::string ServerProof(std::string_view secret, std::string_view client_nonce,
                        std::string_view server_nonce);

// ProofMatches compares a received proof with the expected one in constant time
// (CRYPTO_memcmp), so timing does not tell an attacker how many leading bytes were right.
bool ProofMatches(std::string_view received, std::string_view expected);

}  // namespace shoal::rpc::auth

// rpc authentication: the HMAC-SHA256 challenge-response of the connection handshake (v2).
//
// Both ends hold a shared secret. The client's HELLO names who it is (`client_self`, its own
// peer address) and whom it meant to dial (`server_addr`, the address as it dialled it), with
// its fresh 32-byte nonce; the server answers with its own nonce. The client proves the secret
// first with HMAC(secret, client label || client_self || server_addr || Nc || Ns), and only a
// client that did so gets the server's proof, the same with the server label. Each proof binds
// both identities and both nonces (the addresses are length-prefixed so that no two
// (client_self, server_addr) pairs give the same bytes):
//   - the labels differ, so a proof is never accepted in the other direction;
//   - each covers the verifier's own fresh nonce, so a recorded proof is worthless later;
//   - the server requires server_addr == its own self and client_self != its self, so a
//     handshake an attacker relays from a node that dialled it (the attacker's address is
//     server_addr) to another node, or reflects back to the dialler's own server, fails;
//   - as a last guard, a server refuses a HELLO whose nonce its own node (the clients on the
//     same rpc::Runtime) has sent and not yet finished with (NonceSet), which is what a
//     reflection back to the dialler looks like.
// The secret itself never crosses the wire. The handshake authenticates peers; it does not
// encrypt or protect the frames that follow (docs/rpc-format.md, "Authentication").
//
// Internal to src/rpc (OpenSSL's libcrypto stays out of the public headers).
// Thread-safety: the functions are thread-safe; NonceSet is thread-safe (locked).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

#include "base/mutex.h"
#include "base/status.h"

namespace shoal::rpc::auth {

inline constexpr size_t kNonceSize = 32;
inline constexpr size_t kProofSize = 32;  // an HMAC-SHA256
// kVersion is the first byte of HELLO: the handshake and frame format revision.
inline constexpr unsigned char kVersion = 2;
// kMaxAddress bounds each address in HELLO (a DNS name is at most 253 bytes, plus ":port").
inline constexpr size_t kMaxAddress = 255;
// kMaxHelloPayload: version, nonce length, nonce, and two length-prefixed addresses.
inline constexpr size_t kMaxHelloPayload = 1 + 1 + kNonceSize + 2 * (1 + kMaxAddress);
// kMaxHandshakeFrame is the largest length field either side accepts before the handshake is
// done (HELLO is the largest handshake frame; a server's ERROR reason is kept below it).
inline constexpr uint32_t kMaxHandshakeFrame = 10 + kMaxHelloPayload;
// kMaxErrorText bounds the reason text of an ERROR frame (it fits kMaxHandshakeFrame).
inline constexpr size_t kMaxErrorText = 256;

// Hello is the payload of a v2 HELLO:
//   u8 version (kVersion) | u8 nonce length (0 or 32) | nonce |
//   u8 length | client_self | u8 length | server_addr
struct Hello {
  std::string nonce;  // empty: the client has no secret
  std::string client_self;
  std::string server_addr;
};

// EncodeHello writes `hello` with kVersion; addresses are cut at kMaxAddress bytes.
std::string EncodeHello(const Hello& hello);
// DecodeHello reads a HELLO payload: InvalidArgument for a malformed one, or for a version
// other than kVersion (IsVersionMismatch tells that case apart, for a clear log line).
Result<Hello> DecodeHello(std::string_view payload);
// IsVersionMismatch says whether DecodeHello's error was a version other than kVersion.
bool IsVersionMismatch(const Status& status);

// MakeNonce returns kNonceSize bytes from OpenSSL's CSPRNG (RAND_bytes), or an empty string
// if it failed (the caller then refuses the connection rather than use a weak nonce).
std::string MakeNonce();

// ClientProof and ServerProof return the two proofs described above (kProofSize bytes).
std::string ClientProof(std::string_view secret, const Hello& hello, std::string_view server_nonce);
std::string ServerProof(std::string_view secret, const Hello& hello, std::string_view server_nonce);

// ProofMatches compares a received proof with the expected one in constant time
// (CRYPTO_memcmp), so timing does not tell an attacker how many leading bytes were right.
bool ProofMatches(std::string_view received, std::string_view expected);

// NonceSet: the client nonces one node has sent in a HELLO and whose handshake has not
// finished. Each rpc::Runtime (one per node) holds one: a client adds its nonce before sending
// HELLO and removes it when the handshake ends (either way); a server on the same Runtime
// refuses a HELLO carrying one of them. (Per Runtime rather than per process, so that tests
// can run two nodes in one process, each with its own Runtime, as a cluster would.)
class NonceSet {
 public:
  void Add(std::string_view nonce) SHOAL_EXCLUDES(mu_);
  void Remove(std::string_view nonce) SHOAL_EXCLUDES(mu_);
  bool Contains(std::string_view nonce) const SHOAL_EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::unordered_multiset<std::string> nonces_ SHOAL_GUARDED_BY(mu_);
};

}  // namespace shoal::rpc::auth

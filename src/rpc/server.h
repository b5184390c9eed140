// rpc::Server: accepts peer connections and hands each CALL frame to a Handler.
//
// One Server listens on one address. Each connection reads frames, answers PING with PONG
// itself, and gives CALLs to the Handler, which may answer from any thread, in any order, at
// any later time: the reply carries the call's request id. A connection that sends a
// malformed frame (a length over max_frame, an unknown frame type, a frame that cannot be
// parsed) is dropped; others go on. A Handler that rejects a call's content (returns an
// error) also gets that connection dropped, with a log line naming the peer.
//
// With a secret set, every connection must pass the HMAC-SHA256 challenge-response
// (docs/rpc-format.md) before its first CALL: the client's HELLO must name this server's
// `self` as the address dialled and a client address other than `self` (that `accept_client`
// accepts), and carry no nonce that a client of this node (same Runtime) has outstanding; a peer
// that fails is logged (rate-limited) and dropped. Without one, the server accepts any peer and
// does not authenticate itself.
//
// With `tls` set, every connection is TLS (1.2 or later) from its first byte, and the client
// must present a certificate that leads to tls.ca; the handshake above then runs inside TLS.
// The client's HELLO must then also name this server's self as the address dialled, a client
// address other than self that `accept_client` accepts, and the host of that address must be
// in the client certificate's subjectAltName (an IP SAN for an address, a DNS SAN for a name):
// a node cannot present its own certificate and claim another member's address. With TLS, a
// secret is optional (both may be set: both must then pass). A TLS handshake that fails (no
// certificate, another CA, a plain client) is logged with the reason and the connection is
// closed at once; it counts against auth_timeout.
//
// Before the handshake is done a connection may send only frames of the handshake's size,
// must finish within auth_timeout, and counts against max_handshakes (and, per remote address,
// max_handshakes_per_address) as well as max_connections. A reply larger than max_frame is
// never sent: the caller gets ResourceExhausted (a FAIL frame) and the connection goes on.
// A bad_alloc while reading drops that connection only. A connection with
// max_calls_in_flight calls unanswered is not read until one is answered; an authenticated one
// that sends nothing for idle_timeout (when set) with no call in flight is dropped.
//
// Handler calls come from Runtime threads. The CALLs of one connection are handed over one
// at a time, in the order they arrived; those of different connections may run at the same
// time when the Runtime has several threads. The replies to the calls of one read leave in
// one write.
//
// Ownership: borrows the Runtime and the Handler, which must outlive it. Stop (and the
// destructor) closes the listener and every connection; replies given after that are dropped.
// Thread-safety: Start/Stop from one thread that is not a Runtime thread. (A destructor that
// runs on a Runtime thread, from a callback, is tolerated: Stop then starts the closes and
// returns without waiting, since it may be running on one of the strands it would wait for.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/logger.h"
#include "base/status.h"
#include "base/tls_files.h"
#include "rpc/runtime.h"

namespace shoal::rpc {

// Responder sends one call's reply payload. Call it exactly once, from any thread, during
// Handle or at any later time; calling it after the connection has gone is harmless (the
// reply is dropped).
using Responder = std::function<void(std::string payload)>;

class Handler {
 public:
  virtual ~Handler() = default;
  // Handle receives one CALL. `payload` is valid only during the call. Returning an error
  // means the content was malformed: the connection is dropped and `respond` is not used.
  virtual Status Handle(uint8_t method, std::string_view payload, Responder respond) = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;   // 0: any free port (see port())
  std::string secret;  // empty: no authentication
  // This node's address as its peers dial it (cluster.self). With a secret, a client's HELLO
  // must name it as the address dialled (docs/rpc-format.md). Empty: host:port listened on.
  std::string self;
  // With a secret or TLS, a client's claimed address (its own self) must pass this check too
  // (the cluster accepts its peers); it is never this server's self. Empty: any other address.
  std::function<bool(std::string_view client_self)> accept_client;
  // Mutual TLS (cluster.tls): all three files, or none (plain TCP). Start loads them and
  // fails (InvalidArgument naming the file) if they do not load.
  TlsFiles tls;
  // Without a secret or TLS, Start refuses a host beyond loopback (IsLoopbackHost) unless this
  // is set (cluster.insecure): anyone who reaches the port could then call.
  bool allow_insecure = false;
  // The largest length field accepted once a connection is authenticated (before, frames
  // are capped at the handshake's size, auth::kMaxHandshakeFrame). A reply over it is not
  // sent: the call fails with ResourceExhausted on the caller (a FAIL frame).
  uint32_t max_frame = 64u << 20;
  size_t max_connections = 1024;  // connections beyond it are closed at once
  // Connections still in the handshake have their own pool, and a cap per remote address,
  // so that unauthenticated ones cannot take the slots of real peers; beyond either, a new
  // connection is closed at once.
  size_t max_handshakes = 64;
  size_t max_handshakes_per_address = 8;
  // Per connection, the calls handed to the Handler and not yet answered; at the cap the
  // connection stops reading until one is answered (or its Responder is dropped).
  size_t max_calls_in_flight = 4096;
  // An authenticated connection that sends nothing (PING included) this long, with no call
  // in flight, is dropped. Zero: never. (The cluster sets a few probe intervals, and makes
  // its clients PING idle connections: ClientOptions::keepalive.)
  Duration idle_timeout = Duration::zero();
  Duration auth_timeout = std::chrono::seconds(1);  // a peer silent this long at connect goes
  // Component "rpc": refused connections and handshakes (who, why), malformed frames and
  // rejected calls, each rate-limited.
  Logger* logger = &NullLogger();
};

struct ServerStats {
  uint64_t connections_accepted = 0;  // admitted (not those refused by a cap)
  uint64_t connections_refused = 0;   // closed at accept: max_connections or a handshake cap
  uint64_t connections_open = 0;
  uint64_t auth_failures = 0;  // handshakes (TLS included) refused or timed out (auth_timeout)
  uint64_t malformed = 0;      // connections dropped for a malformed frame or rejected content
  uint64_t calls = 0;
  uint64_t oversized_replies = 0;  // replies over max_frame, answered ResourceExhausted
};

class Server {
 public:
  Server(Runtime& runtime, ServerOptions options, Handler& handler);
  ~Server();  // Stop()  NOLINT(bugprone-exception-escape): see server.cc
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Start binds and listens; the error names the address.
  Status Start();
  uint16_t port() const;
  // Stop closes the listener and every connection and waits for their handlers on the
  // Runtime to finish. Idempotent.
  void Stop();

  ServerStats Stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace shoal::rpc

// rpc::Client: calls to one peer over a small pool of persistent, multiplexed TCP connections.
//
// The lesson this layer exists for (DESIGN.md): the original system first opened a connection
// per request and collapsed under load (110 ms average, 5,401 timeouts); one shared,
// multiplexed connection brought it to 32 ms and no timeouts. So a Client keeps
// `connections` sockets open to its peer and sends every call on one of them, tagged with a
// request id; replies come back in any order and are matched by id. Many calls are in flight
// on one connection at once.
//
// Every call has a deadline. A call whose deadline passes fails with DeadlineExceeded and its
// late reply, if it ever comes, is dropped. A connection that breaks fails every call in
// flight on it with Unavailable. After a failed connect the client backs off (base::Backoff:
// the ceiling doubles from backoff_initial up to backoff_max, full jitter); while it backs
// off with no connection up,
// calls fail at once with Unavailable instead of waiting, so that a dead peer costs its
// callers nothing. Ping sends a PING frame and completes on the PONG.
//
// With a secret set, every connection first authenticates itself to the server and the
// server to itself (HMAC-SHA256 challenge-response binding `self`, the peer's address and
// both nonces; docs/rpc-format.md); a server that
// fails it, or that asks for no authentication, is refused (PermissionDenied-like:
// Unavailable with a message naming authentication), and its calls fail. connect_timeout
// covers the TCP connect and the handshake together.
//
// With `tls` set, every connection is TLS (1.2 or later) from its first byte: the client
// verifies the server's certificate against tls.ca and requires it to name the host dialled
// (an IP SAN for an address, a DNS SAN for a name), and presents its own certificate, whose
// SAN the server checks against the `self` this client names in HELLO. The handshake above
// then runs inside TLS, with or without a secret. A server that does not speak TLS (or a
// certificate that fails) fails the connection at once, logged with the reason; the TLS
// handshake counts against connect_timeout.
//
// Connections are dialled lazily: an empty slot of the pool is dialled by the next Call once
// the backoff allows. Calls go round-robin over the ready connections; a call made while
// none is ready waits on one being dialled. Request ids, the deadline sweep (every 5 ms,
// one timer per connection, none per call) and gathered writes are in client_conn.cc.
//
// The payload of a call and of its reply are opaque bytes to this layer: the cluster layer
// defines what is inside (cluster/messages.h).
//
// Ownership: a Client borrows its Runtime, which must outlive it. Callbacks run on a Runtime
// thread, exactly once per call, possibly before Call returns (on a refusal; and if the
// Runtime has already been stopped, a refusal's callback runs inside Call).
// Thread-safety: thread-safe. Close (and the destructor) may be called from any thread; after
// it returns, no callback of this client is running or will run. One exception: Close called
// on a Runtime thread from inside a callback of this same client (say, the callback dropped
// the last reference to the client) cannot wait for the callback it is part of, nor for the
// rest of the batch of replies that thread is delivering; those may run after it returns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/logger.h"
#include "base/status.h"
#include "base/tls_files.h"
#include "rpc/runtime.h"

namespace shoal::rpc {

struct ClientOptions {
  std::string host;  // the peer, e.g. "127.0.0.1": with port, its identity, named in HELLO
  uint16_t port = 0;
  // Where the TCP connections go when that is not host:port (cluster.connect_to, like curl's
  // --connect-to): a proxy or a tunnel in front of the peer. HELLO still names host:port, so
  // the peer checks it against its own self and both proofs bind it. Empty: host; 0: port.
  std::string dial_host;
  uint16_t dial_port = 0;
  size_t connections = 2;  // sockets kept open to the peer; calls are spread over them
  Duration connect_timeout = std::chrono::seconds(1);
  Duration backoff_initial = std::chrono::milliseconds(50);
  Duration backoff_max = std::chrono::seconds(2);
  std::string secret;  // empty: no authentication
  // This node's own peer address (cluster.self), named in HELLO: with a secret the server
  // checks it (not its own address; one of its peers) and both proofs bind it, together with
  // the peer's address (host:port as given here, even with dial_host), which must be the
  // server's own self.
  std::string self;
  // Mutual TLS (cluster.tls): all three files, or none (plain TCP). See above. The files are
  // loaded when the Client is made; if they fail to load, every call fails with Unavailable
  // naming the file (the config check catches that at start).
  TlsFiles tls;
  // Without a secret or TLS, a peer beyond loopback (IsLoopbackHost; host or dial_host) is
  // never dialled unless this is set (cluster.insecure): its calls fail at once with
  // Unavailable saying so.
  bool allow_insecure = false;
  // A reply frame whose length field exceeds this breaks the connection; a call whose payload
  // exceeds max_frame - 10 is refused with ResourceExhausted (it would break the server's).
  uint32_t max_frame = 64u << 20;
  size_t max_in_flight = 4096;  // per connection; more calls fail with ResourceExhausted
  // A ready connection that has written nothing for this long sends a PING, so that a
  // server's idle_timeout does not drop it. Zero: never.
  Duration keepalive = Duration::zero();
  // Component "rpc": the peer going down (first failed connect, with the reason) and coming
  // back (once each per change), refused handshakes and malformed frames (rate-limited).
  Logger* logger = &NullLogger();
};

struct ClientStats {
  uint64_t calls = 0;     // Call and Ping invocations
  uint64_t failures = 0;  // calls that completed with an error
  uint64_t timeouts = 0;  // of which DeadlineExceeded
  uint64_t connects = 0;  // connections established (after authentication)
  uint64_t connect_failures = 0;
  uint64_t in_flight = 0;  // calls queued or sent and not yet answered (gauge)
};

// CallCallback receives the reply's payload, or why there is none: DeadlineExceeded,
// Unavailable (no connection, connection broke, refused, authentication failed), Cancelled
// (Close), ResourceExhausted (too many in flight).
using CallCallback = std::function<void(Result<std::string>)>;

class Client {
 public:
  Client(Runtime& runtime, ClientOptions options);
  ~Client();  // Close()  NOLINT(bugprone-exception-escape): see client.cc
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Call sends `payload` as a CALL frame with the application's `method` byte and calls
  // `done` with the reply's payload or an error, within `timeout` from now.
  void Call(uint8_t method, std::string payload, Duration timeout, CallCallback done);

  // Ping sends a PING and calls `done` with OK on the PONG, or an error.
  void Ping(Duration timeout, std::function<void(Status)> done);

  // Close fails every pending call with Cancelled, closes the connections and waits until no
  // callback of this client runs. Idempotent. From a non-Runtime thread it posts its work to
  // the Runtime and waits for it, so that the Cancelled callbacks too run on a Runtime thread
  // (if the Runtime has been stopped, it does the work itself). Calls made afterwards fail
  // with Cancelled.
  void Close();

  ClientStats Stats() const;
  const ClientOptions& options() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace shoal::rpc

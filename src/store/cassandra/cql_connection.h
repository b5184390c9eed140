// cql_connection: one TCP connection to one Cassandra node, speaking CQL native protocol v4,
// with many requests in flight at once, told apart by stream id.
//
// Internal to store/cassandra: the session (cql_session.h) keeps a small pool of these per node;
// nothing outside this folder sees Asio. The wire format is cql_frame.h's.
//
// Life of a connection:
//   Connect  TCP connect (connect_timeout covers the whole handshake below), then the TLS
//            handshake when options.tls is on (cql_transport.h: the node's certificate is
//            verified against the CA and, with verify_hostname, must name the host dialled; a
//            failure is Unavailable "TLS handshake with HOST:PORT failed: <why>"; a TLS file
//            that is missing or does not parse is InvalidArgument naming its config key), then,
//            when options.compression is on, OPTIONS -> SUPPORTED (lz4 is asked for only if the
//            server lists it: one round trip buys a clean fallback), then
//            STARTUP (with COMPRESSION=lz4 when offered) -> READY, or AUTHENTICATE -> AUTH_RESPONSE
//            (PasswordAuthenticator, SASL PLAIN) -> AUTH_SUCCESS; an AUTH_CHALLENGE after the one
//            response is refused. The credentials go only to a class in
//            options.allowed_authenticators: any other class named in AUTHENTICATE fails Connect
//            with InvalidArgument naming it, and no AUTH_RESPONSE is sent. Then, when
//            options.keyspace is set, QUERY "USE <keyspace>" -> SetKeyspace. The callback gets the
//            ready connection, or a Status saying which step failed and the server's message: bad
//            credentials are PermissionDenied-like (Status::InvalidArgument naming
//            "authentication"), as is a keyspace that does not exist; a refused or unreachable
//            socket, or no answer within connect_timeout, Unavailable; a server that answers in
//            another protocol version (a v3-only server answers a v4 frame with a PROTOCOL_ERROR in
//            its own version) InvalidArgument naming the versions. shoal always speaks v4 and never
//            asks for v5: Cassandra 4 and 5 both answer v4 frames in v4.
//   Send     assigns a free stream id (0..32767), lets the caller's builder write the whole
//            frame with it, queues it; frames queued between two socket writes go out in one
//            gathered write. Every request has a deadline; when it passes first the callback
//            gets DeadlineExceeded and the stream id is QUARANTINED (not reused) until its late
//            response arrives or the connection closes, so a late answer can never be
//            delivered to another request. When more than kMaxQuarantined ids are stuck the
//            connection is presumed wedged and closed. Deadlines are checked by a sweep every
//            5 ms, so DeadlineExceeded may come up to 5 ms late, and an answer read before the
//            sweep saw its deadline pass is still delivered. A request whose deadline has
//            passed by the time it reaches the strand is failed without being sent (no id).
//   Idle     after heartbeat_interval without any frame read, an OPTIONS is sent; no answer
//            within heartbeat_timeout closes the connection (a half-open TCP connection is
//            found within interval + timeout, not at the next real request).
//   Compression  once STARTUP with COMPRESSION=lz4 is accepted, every request whose body is at
//            least compression_threshold bytes goes out compressed (cql_compression.h; smaller
//            or incompressible ones plain: the flag is per frame), and every response with the
//            compression flag is inflated before the callback sees it. A compressed body that
//            claims more than max_body bytes, or does not inflate to its stated length, is a
//            malformed frame.
//   Close    by Close(), a socket error, an undecodable frame, or the heartbeat: every request
//            in flight gets Unavailable (naming the node and the cause), on_close runs once,
//            and every later Send fails with Unavailable at once.
//
// Callbacks: run on the connection's strand (a thread of the io_context), exactly once per
// request, never inside Send (a Send that is refused, because the connection is closed or
// all 32768 ids are in use, posts its callback). The Frame handed to a ResponseCallback views
// the connection's read buffer and is valid only during the call: parse it there, copy what
// must outlive it. Callbacks must not block; they may call Send (on this or another
// connection) and Close.
//
// Ownership: Connect creates the connection as a shared_ptr; pending socket operations and
// timers hold a reference, so it lives until it is closed and its handlers have run, even if
// the caller drops its pointer. The io_context must outlive every connection (run it until
// they have all closed, or destroy them by stopping it and then destroying the io_context).
// Thread-safety: Send, Close and the accessors may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/clock.h"
#include "base/logger.h"
#include "base/status.h"
#include "store/cassandra/cql_frame.h"
#include "store/cassandra/cql_tls.h"

namespace shoal::store::cassandra {

struct ConnectionOptions {
  std::string host;  // an address or a name to resolve
  uint16_t port = 9042;
  // PasswordAuthenticator credentials; used only if the server asks (AUTHENTICATE). A server
  // that asks while user is empty fails Connect with a message saying credentials are needed.
  std::string user;
  std::string password;
  // Authenticator classes, as the server names them in AUTHENTICATE, that may receive the
  // credentials. Any other fails Connect with InvalidArgument naming the class (cql_session.h's
  // SessionOptions::allowed_authenticators) before a byte of them is sent.
  std::vector<std::string> allowed_authenticators = {
      "org.apache.cassandra.auth.PasswordAuthenticator"};
  // Sent as USE "<keyspace>" after READY when not empty. Must be a valid CQL identifier
  // (letters, digits, underscore, at most 48); anything else fails Connect with
  // InvalidArgument. It is quoted, as gocql does, so it is case-sensitive.
  std::string keyspace;
  Duration connect_timeout = std::chrono::seconds(5);
  Duration heartbeat_interval = std::chrono::seconds(5);
  Duration heartbeat_timeout = std::chrono::seconds(5);
  // Frames with a larger body (compressed or, once inflated, plain) are refused and close the
  // connection.
  uint32_t max_body = kMaxBodyLimit;
  // LZ4 frame compression when the server offers it (see above): request bodies of at least
  // compression_threshold bytes are compressed.
  bool compression = true;
  size_t compression_threshold = 512;
  // TLS (cql_tls.h) when tls.ca is set.
  TlsOptions tls;
  // Where a malformed frame from the server is logged (error, component "cassandra"), through
  // `fault_limiter` when set (a session shares one among its connections, so a server that
  // keeps sending garbage is logged a few times per interval, not once per connection).
  // Opening and losing connections is the session's to log (cql_pool.h).
  Logger* logger = &NullLogger();
  std::shared_ptr<LogLimiter> fault_limiter;
  // Receives each EVENT frame (stream -1; sent only to a connection that REGISTERed, the
  // session's control connection, cql_control.h), on the strand; the frame is valid only during
  // the call. Empty: events are dropped.
  std::function<void(const Frame&)> on_event;
};

class Connection;

// ResponseCallback gets the response frame (ERROR frames included: the caller decides what
// an ERROR means) or a Status: DeadlineExceeded, Unavailable (connection closed or refused),
// ResourceExhausted (no stream id free).
using ResponseCallback = std::function<void(Result<Frame>)>;
// FrameBuilder appends one whole request frame (header included) for `stream` to `out`, e.g.
// by calling AppendExecute(out, stream, ...). An error Status fails the request with it
// (nothing may have been appended).
using FrameBuilder = std::function<Status(std::string& out, int16_t stream)>;
using ConnectCallback = std::function<void(Result<std::shared_ptr<Connection>>)>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  static constexpr size_t kMaxStreams = 32768;
  static constexpr size_t kMaxQuarantined = 1024;

  // Connect dials `options` on `io` and completes the handshake; `done` runs once on an `io`
  // thread. `on_close` (may be empty) runs once when the ready connection later closes, with
  // the cause, on an `io` thread; it does not run if Connect itself fails.
  static void Connect(boost::asio::io_context& io, ConnectionOptions options,
                      std::function<void(const Status&)> on_close, ConnectCallback done);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Send queues one request (see above). `build` runs before Send returns or on the strand;
  // it must not capture views that die before then. Called on the connection's strand (from
  // one of its callbacks), Send takes the stream id and runs `build` before it returns.
  void Send(FrameBuilder build, TimePoint deadline, ResponseCallback done);

  // Close closes the socket and fails everything in flight with Unavailable; idempotent.
  void Close();

  bool closed() const { return closed_.load(std::memory_order_acquire); }
  // in_flight counts requests sent and not yet answered, failed or timed out (quarantined ids
  // not included; a heartbeat's OPTIONS included while it waits). The session picks the least
  // loaded connection of a node by it.
  size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  // quarantined counts stream ids whose request timed out and whose late answer is still due.
  size_t quarantined() const { return quarantined_.load(std::memory_order_relaxed); }
  // address is "host:port" as given, for messages.
  const std::string& address() const { return address_; }
  // compression says whether the server took COMPRESSION=lz4. The counters: request frames
  // sent compressed, response frames inflated, and the bytes written to and read from the
  // socket (TLS payload bytes, i.e. the CQL frames as sent, compressed or not).
  bool compression() const { return compression_.load(std::memory_order_relaxed); }
  uint64_t frames_compressed() const { return frames_compressed_.load(std::memory_order_relaxed); }
  uint64_t frames_decompressed() const {
    return frames_decompressed_.load(std::memory_order_relaxed);
  }
  uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }
  uint64_t bytes_read() const { return bytes_read_.load(std::memory_order_relaxed); }

  struct Impl;  // cql_connection.cc

 private:
  friend class ConnectionOps;  // cql_connection_impl.h: the strand-side logic
  explicit Connection(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  std::string address_;
  std::atomic<bool> closed_{false};
  std::atomic<size_t> in_flight_{0};
  std::atomic<size_t> quarantined_{0};
  std::atomic<bool> compression_{false};
  std::atomic<uint64_t> frames_compressed_{0};
  std::atomic<uint64_t> frames_decompressed_{0};
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> bytes_read_{0};
};

}  // namespace shoal::store::cassandra

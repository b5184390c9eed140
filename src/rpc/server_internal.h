// The insides of rpc::Server, shared by server.cc (the accept loop, Start and Stop) and
// server_conn.cc (one peer connection: handshake, frames, Handler calls, writes). Internal to
// src/rpc; nothing outside includes it.
//
// Stop: sets `stopped` (no new Handler call starts after it), closes the acceptor and every
// connection on their strands, and waits for those closes and for every running Handler
// call. Lock order: ServerCore::mu, then ServerConn::mu; no Handler call runs under either.
//
// Thread-safety: as annotated; strand-only members are marked so.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/logger.h"
#include "base/mutex.h"
#include "base/tls_stream.h"
#include "rpc/auth.h"
#include "rpc/frame.h"
#include "rpc/runtime_internal.h"
#include "rpc/server.h"

namespace shoal::rpc {
namespace server_internal {

using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// 8 MiB of unsent replies per connection before it stops reading: a few hundred typical
// entries, far above what a healthy peer leaves unread.
constexpr size_t kMaxUnsent = 8 << 20;

// Refusals and malformed frames log at most kFaultBurst lines per kFaultInterval each.
constexpr Duration kFaultInterval = std::chrono::seconds(10);
constexpr uint32_t kFaultBurst = 5;

}  // namespace server_internal

class ServerConn;

// ServerCore is Server::State (server.h keeps State private; ServerConn needs it by name).
struct ServerCore : std::enable_shared_from_this<ServerCore> {
  ServerCore(Runtime& rt, ServerOptions o, Handler& h)
      : impl(rt.impl()),
        options(std::move(o)),
        handler(h),
        strand(asio::make_strand(impl.io)),
        acceptor(strand),
        accept_retry(strand),
        log(options.logger, "rpc") {}

  void Accept();
  void OnAccept(const std::shared_ptr<ServerConn>& conn, const boost::system::error_code& ec);
  // Remove forgets a closed connection (and its handshake slot, if it still held one).
  void Remove(ServerConn* conn);
  // HandshakeDone gives back the handshake slot of a connection that became ready.
  void HandshakeDone(ServerConn* conn);
  // ReleaseHandshake gives back one slot of `address`.
  void ReleaseHandshake(const std::string& address) SHOAL_REQUIRES(mu);
  // HandlerDone ends one Handler call; wakes Stop if it waits.
  void HandlerDone();
  // CloseDone counts one of the closes Stop waits for.
  void CloseDone();

  Runtime::Impl& impl;
  const ServerOptions options;
  Handler& handler;
  const server_internal::Strand strand;  // the acceptor's
  server_internal::tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  const Log log;
  // Refused connections and handshakes, and malformed frames, can repeat once per connection
  // attempt of a misconfigured or hostile peer: each kind logs at most kFaultBurst lines per
  // kFaultInterval and counts the rest.
  LogLimiter refusal_log{server_internal::kFaultInterval, server_internal::kFaultBurst};
  LogLimiter malformed_log{server_internal::kFaultInterval, server_internal::kFaultBurst};

  Mutex mu;
  std::unordered_map<ServerConn*, std::shared_ptr<ServerConn>> conns SHOAL_GUARDED_BY(mu);
  size_t handshakes SHOAL_GUARDED_BY(mu) = 0;  // connections not yet ready
  std::unordered_map<std::string, size_t> handshakes_by_address SHOAL_GUARDED_BY(mu);
  bool started SHOAL_GUARDED_BY(mu) = false;
  CondVar cv;  // Stop waits here

  std::atomic<bool> stopped{false};
  std::atomic<int64_t> handling{0};        // Handler calls running
  std::atomic<int64_t> closes_pending{0};  // closes Stop posted and waits for
  std::atomic<uint16_t> port{0};
  // The address clients must name as dialled (options.self, or host:port once bound). Set
  // by Start before the first Accept is posted; read-only afterwards.
  std::string self;
  // options.tls loaded, or null for plain TCP. Set by Start before the first Accept is
  // posted; read-only afterwards.
  std::shared_ptr<asio::ssl::context> tls_context;

  std::atomic<uint64_t> accepted{0}, refused{0}, auth_failures{0}, malformed{0}, calls{0},
      oversized{0};
  std::atomic<int64_t> open{0};
};

// ServerConn: one accepted peer connection. Lives while the server's set or a pending Asio
// operation holds it.
class ServerConn : public std::enable_shared_from_this<ServerConn> {
 public:
  explicit ServerConn(std::shared_ptr<ServerCore> s)
      : state(std::move(s)),
        strand(asio::make_strand(state->impl.io)),
        stream(strand, state->tls_context),
        auth_timer_(strand),
        decoder_(auth::kMaxHandshakeFrame) {}

  // Start begins the handshake's clock and the reading. Strand.
  void Start();
  // Close closes the socket and leaves the server's set; idempotent. Strand (or no thread
  // running the runtime).
  void Close();
  // Enqueue appends a frame for the next write; any thread. Dropped once closed.
  void Enqueue(FrameType type, uint64_t id, std::string&& payload);
  // Reply sends a call's reply, or a FAIL (ResourceExhausted) when it is over max_frame;
  // any thread.
  void Reply(uint64_t id, std::string&& payload);

  // The remote address without the port, for the per-address handshake cap. Set before
  // Start; read-only afterwards.
  std::string address;
  // Whether the connection still holds a handshake slot. Guarded by ServerCore::mu (of
  // `state`; not annotated: the analysis cannot tell that this is the core's mutex).
  bool in_handshake = true;

  const std::shared_ptr<ServerCore> state;
  const server_internal::Strand strand;
  // Plain TCP or TLS (state->tls_context); its tcp() is accepted into by the acceptor, then
  // it is strand only.
  TlsStream stream;

  Mutex mu;
  bool closed SHOAL_GUARDED_BY(mu) = false;
  internal::OutQueue queued SHOAL_GUARDED_BY(mu);
  bool writing SHOAL_GUARDED_BY(mu) = false;

 private:
  enum class Stage : uint8_t { kHello, kAuth, kReady, kRefused };

  // OnTlsHandshake continues after the TLS handshake: reads the rpc handshake, or refuses.
  void OnTlsHandshake(const std::string& error);
  // ClientCertificateNames: with TLS, the client certificate must name the host of `client_self`.
  bool ClientCertificateNames(const std::string& client_self);
  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // Pump handles the frames the decoder has, then reads again, unless paused: at
  // max_calls_in_flight, or past kMaxUnsent unsent bytes. Resume continues after a pause.
  void Pump();
  void Resume();
  // CallDone frees one call's slot (any thread); resumes a connection paused at the cap.
  void CallDone();
  // ArmIdleTimer drops the connection after idle_timeout of silence (none in flight).
  void ArmIdleTimer();
  // OnFrame handles one frame; false once the connection is finished.
  bool OnFrame(const Frame& frame);
  bool OnHandshake(const Frame& frame);
  // Admit ends the handshake: the connection is ready; AUTH_OK carries `auth_ok`.
  bool Admit(std::string auth_ok);
  bool HandleCall(const Frame& frame);
  // Refuse logs (rate-limited), answers ERROR with `reason` and closes after writing it.
  void Refuse(const std::string& log_line, const std::string& reason);
  void WriteNext();
  size_t Unsent();

  // Strand only.
  asio::steady_timer auth_timer_;
  FrameDecoder decoder_;
  Stage stage_ = Stage::kHello;
  std::string remote_ = "?";
  auth::Hello hello_;  // the client's, once its HELLO passed
  std::string server_nonce_;
  internal::OutQueue writing_q_;
  std::vector<asio::const_buffer> bufs_;
  bool closed_here_ = false;
  bool paused_ = false;  // no read outstanding: Resume continues
  TimePoint last_heard_{};
  std::atomic<size_t> calls_in_flight_{0};  // any thread (Responders)
  bool close_after_write_ = false;
};

}  // namespace shoal::rpc

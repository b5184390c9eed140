// Server: the accept loop and one ServerConn per peer connection.
//
// A ServerConn reads into its FrameDecoder and handles every complete frame of a read before
// reading again, so the CALLs of one read are handed to the Handler back to back and their
// replies (when the Handler answers at once) leave in one write. Replies are appended to the
// connection's OutQueue under its mutex by the Responder, from any thread; the first one
// since the last write posts the write to the connection's strand.
//
// Handshake (docs/rpc-format.md): HELLO first, always; with a secret, CHALLENGE / AUTH and
// the server's proof in AUTH_OK, all within auth_timeout of the accept. Nothing but the
// handshake is accepted before it is done, and the Handler never sees an unauthenticated
// peer. A handshake that fails is answered with an ERROR frame naming the reason, then the
// connection is closed.
//
// Back-pressure: a peer that sends calls but does not read the replies would make the queue
// grow without bound; past kMaxUnsent bytes queued, the connection stops reading until the
// writes catch up.
//
// Stop: sets `stopped` (no new Handler call starts after it), closes the acceptor and every
// connection on their strands, and waits for those closes and for every running Handler
// call. Lock order: State::mu, then ServerConn::mu; no Handler call runs under either.
#include "rpc/server.h"

#include <algorithm>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "base/host_port.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "rpc/auth.h"
#include "rpc/frame.h"
#include "rpc/runtime_internal.h"

namespace shoal::rpc {
namespace {

using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// 8 MiB of unsent replies per connection before it stops reading: a few hundred typical
// entries, far above what a healthy peer leaves unread.
constexpr size_t kMaxUnsent = 8 << 20;

constexpr Duration kFaultInterval = std::chrono::seconds(10);
constexpr uint32_t kFaultBurst = 5;

}  // namespace

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
  // Remove forgets a closed connection.
  void Remove(ServerConn* conn);
  // HandlerDone ends one Handler call; wakes Stop if it waits.
  void HandlerDone();
  // CloseDone counts one of the closes Stop waits for.
  void CloseDone();

  Runtime::Impl& impl;
  const ServerOptions options;
  Handler& handler;
  const Strand strand;  // the acceptor's
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  const Log log;
  // Refused connections and handshakes, and malformed frames, can repeat once per connection
  // attempt of a misconfigured or hostile peer: each kind logs at most kFaultBurst lines per
  // kFaultInterval and counts the rest.
  LogLimiter refusal_log{kFaultInterval, kFaultBurst};
  LogLimiter malformed_log{kFaultInterval, kFaultBurst};

  Mutex mu;
  std::unordered_map<ServerConn*, std::shared_ptr<ServerConn>> conns SHOAL_GUARDED_BY(mu);
  bool started SHOAL_GUARDED_BY(mu) = false;
  CondVar cv;  // Stop waits here

  std::atomic<bool> stopped{false};
  std::atomic<int64_t> handling{0};        // Handler calls running
  std::atomic<int64_t> closes_pending{0};  // closes Stop posted and waits for
  std::atomic<uint16_t> port{0};

  std::atomic<uint64_t> accepted{0}, auth_failures{0}, malformed{0}, calls{0};
  std::atomic<int64_t> open{0};
};

struct Server::State : ServerCore {
  using ServerCore::ServerCore;
};

class ServerConn : public std::enable_shared_from_this<ServerConn> {
 public:
  explicit ServerConn(std::shared_ptr<ServerCore> s)
      : state(std::move(s)),
        strand(asio::make_strand(state->impl.io)),
        socket(strand),
        auth_timer_(strand),
        decoder_(state->options.max_frame) {}

  // Start begins the handshake's clock and the reading. Strand.
  void Start();
  // Close closes the socket and leaves the server's set; idempotent. Strand (or no thread
  // running the runtime).
  void Close();
  // Enqueue appends a frame for the next write; any thread. Dropped once closed.
  void Enqueue(FrameType type, uint64_t id, std::string&& payload);

  const std::shared_ptr<ServerCore> state;
  const Strand strand;
  tcp::socket socket;  // accepted into by the acceptor, then strand only

  Mutex mu;
  bool closed SHOAL_GUARDED_BY(mu) = false;
  internal::OutQueue queued SHOAL_GUARDED_BY(mu);
  bool writing SHOAL_GUARDED_BY(mu) = false;

 private:
  enum class Stage : uint8_t { kHello, kAuth, kReady, kRefused };

  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // OnFrame handles one frame; false once the connection is finished.
  bool OnFrame(const Frame& frame);
  bool OnHandshake(const Frame& frame);
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
  std::string client_nonce_, server_nonce_;
  internal::OutQueue writing_q_;
  std::vector<asio::const_buffer> bufs_;
  bool closed_here_ = false;
  bool read_paused_ = false;
  bool close_after_write_ = false;
};

// ---- ServerCore ------------------------------------------------------------------------

void ServerCore::Accept() {
  if (stopped.load()) return;
  auto conn = std::make_shared<ServerConn>(shared_from_this());
  acceptor.async_accept(conn->socket,
                        [self = shared_from_this(), conn](const boost::system::error_code& ec) {
                          self->OnAccept(conn, ec);
                        });
}

void ServerCore::OnAccept(const std::shared_ptr<ServerConn>& conn,
                          const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted || stopped.load()) return;
  if (ec) {
    // Out of descriptors or similar: retrying at once would spin; wait a little.
    accept_retry.expires_after(std::chrono::milliseconds(50));
    accept_retry.async_wait([self = shared_from_this()](const boost::system::error_code& wec) {
      if (!wec) self->Accept();
    });
    return;
  }
  bool admitted = false;
  {
    MutexLock lock(mu);
    // Checked under mu: Stop sets `stopped` before it takes mu to list the connections, so
    // a connection is either listed there or refused here.
    if (!stopped.load() && conns.size() < options.max_connections) {
      conns.emplace(conn.get(), conn);
      admitted = true;
    }
  }
  if (admitted) {
    accepted.fetch_add(1, std::memory_order_relaxed);
    open.fetch_add(1, std::memory_order_relaxed);
    asio::post(conn->strand, [conn] { conn->Start(); });
  } else if (!stopped.load()) {
    boost::system::error_code ignored;
    refusal_log.Write(log, LogLevel::kWarn,
                      "refusing a connection from " +
                          internal::EndpointText(conn->socket.remote_endpoint(ignored)) + ": " +
                          std::to_string(options.max_connections) +
                          " connections open (max_connections)");
    conn->socket.close(ignored);
  }
  Accept();
}

void ServerCore::Remove(ServerConn* conn) {
  bool removed = false;
  {
    MutexLock lock(mu);
    removed = conns.erase(conn) > 0;
  }
  if (removed) open.fetch_sub(1, std::memory_order_relaxed);
}

void ServerCore::HandlerDone() {
  handling.fetch_sub(1);
  if (stopped.load()) {
    MutexLock lock(mu);
    cv.NotifyAll();
  }
}

void ServerCore::CloseDone() {
  closes_pending.fetch_sub(1);
  MutexLock lock(mu);
  cv.NotifyAll();
}

// ---- ServerConn ---------------------------------------------------------------------------

void ServerConn::Start() {
  if (closed_here_) return;  // Stop got here first
  boost::system::error_code ec;
  remote_ = internal::EndpointText(socket.remote_endpoint(ec));
  socket.set_option(tcp::no_delay(true), ec);
  auth_timer_.expires_after(state->options.auth_timeout);
  auth_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& tec) {
    if (tec || self->closed_here_ || self->stage_ == Stage::kReady) return;
    self->state->auth_failures.fetch_add(1, std::memory_order_relaxed);
    ServerCore& s = *self->state;
    s.refusal_log.Write(s.log, LogLevel::kWarn,
                        "connection from " + self->remote_ + ": no handshake within " +
                            internal::MillisText(s.options.auth_timeout) +
                            "; dropping the connection");
    self->Close();
  });
  Read();
}

void ServerConn::Read() {
  std::span<char> space = decoder_.Prepare();
  socket.async_read_some(asio::buffer(space.data(), space.size()),
                         [self = shared_from_this()](const boost::system::error_code& ec,
                                                     size_t n) { self->OnRead(ec, n); });
}

void ServerConn::OnRead(const boost::system::error_code& ec, size_t n) {
  if (closed_here_ || stage_ == Stage::kRefused) return;
  if (ec) return Close();  // the peer went (eof) or the socket broke: nothing to log
  decoder_.Commit(n);
  for (;;) {
    Result<std::optional<Frame>> next = decoder_.Next();
    if (!next.ok()) {
      state->malformed.fetch_add(1, std::memory_order_relaxed);
      state->malformed_log.Write(state->log, LogLevel::kWarn,
                                 "malformed frame from " + remote_ + ": " +
                                     std::string(next.status().message()) +
                                     "; dropping the connection");
      return Close();
    }
    if (!next->has_value()) break;
    if (!OnFrame(**next)) return;
  }
  if (Unsent() > kMaxUnsent) {
    read_paused_ = true;  // WriteNext resumes reading once the queue has drained
    return;
  }
  Read();
}

bool ServerConn::OnFrame(const Frame& frame) {
  if (stage_ != Stage::kReady) return OnHandshake(frame);
  switch (frame.type) {
    case FrameType::kCall:
      return HandleCall(frame);
    case FrameType::kPing:
      Enqueue(FrameType::kPong, frame.id, std::string(frame.payload));
      return true;
    default:
      state->malformed.fetch_add(1, std::memory_order_relaxed);
      state->malformed_log.Write(state->log, LogLevel::kWarn,
                                 "malformed frame from " + remote_ + ": unexpected " +
                                     std::string(FrameTypeName(frame.type)) +
                                     " frame; dropping the connection");
      Close();
      return false;
  }
}

bool ServerConn::OnHandshake(const Frame& frame) {
  const std::string& secret = state->options.secret;
  auto fail = [&](const std::string& why, const std::string& reason) {
    state->auth_failures.fetch_add(1, std::memory_order_relaxed);
    Refuse("connection from " + remote_ + ": authentication failed: " + why, reason);
    return false;
  };
  const std::string got = std::string(FrameTypeName(frame.type));
  if (stage_ == Stage::kHello) {
    if (frame.type != FrameType::kHello) {
      return fail("sent " + got + " before the handshake",
                  "authentication required: expected HELLO, got " + got);
    }
    if (frame.payload.empty() || static_cast<uint8_t>(frame.payload[0]) != auth::kVersion) {
      return fail("unsupported handshake version",
                  "authentication failed: unsupported handshake version");
    }
    const std::string_view nonce = frame.payload.substr(1);
    if (!nonce.empty() && nonce.size() != auth::kNonceSize) {
      return fail("HELLO with a nonce of " + std::to_string(nonce.size()) + " bytes",
                  "authentication failed: malformed HELLO");
    }
    if (secret.empty()) {
      // No secret here: accept anyone and prove nothing. A client with a secret sees the
      // empty AUTH_OK and refuses us itself.
      stage_ = Stage::kReady;
      auth_timer_.cancel();
      Enqueue(FrameType::kAuthOk, 0, std::string());
      return true;
    }
    if (nonce.empty()) {
      return fail("the peer has no secret but this server requires one",
                  "authentication required: this server has a secret and the client sent no "
                  "nonce");
    }
    client_nonce_ = std::string(nonce);
    server_nonce_ = auth::MakeNonce();
    if (server_nonce_.empty()) {
      return fail("no random bytes for a nonce", "authentication failed: server error");
    }
    stage_ = Stage::kAuth;
    Enqueue(FrameType::kChallenge, 0, std::string(server_nonce_));
    return true;
  }
  // Stage::kAuth
  if (frame.type != FrameType::kAuth) {
    return fail("sent " + got + " instead of AUTH", "authentication failed: expected AUTH");
  }
  if (!auth::ProofMatches(frame.payload, auth::ClientProof(secret, client_nonce_, server_nonce_))) {
    return fail("wrong proof (different secret?)",
                "authentication failed: wrong proof (different secret?)");
  }
  stage_ = Stage::kReady;
  auth_timer_.cancel();
  Enqueue(FrameType::kAuthOk, 0, auth::ServerProof(secret, client_nonce_, server_nonce_));
  return true;
}

bool ServerConn::HandleCall(const Frame& frame) {
  ServerCore& s = *state;
  s.calls.fetch_add(1, std::memory_order_relaxed);
  // Counted before `stopped` is read: Stop sets `stopped` and then waits for `handling` to
  // reach zero, so either it waits for this call or this call sees `stopped`.
  s.handling.fetch_add(1);
  if (s.stopped.load()) {
    s.HandlerDone();
    Close();
    return false;
  }
  Responder respond = [weak = weak_from_this(), id = frame.id](std::string payload) {
    if (std::shared_ptr<ServerConn> conn = weak.lock()) {
      conn->Enqueue(FrameType::kReply, id, std::move(payload));
    }
  };
  Status st = s.handler.Handle(frame.method, frame.payload, std::move(respond));
  s.HandlerDone();
  if (!st.ok()) {
    s.malformed.fetch_add(1, std::memory_order_relaxed);
    s.malformed_log.Write(s.log, LogLevel::kWarn,
                          "connection from " + remote_ + ": handler rejected a call (method " +
                              std::to_string(frame.method) + "): " + std::string(st.message()) +
                              "; dropping the connection");
    Close();
    return false;
  }
  return true;
}

void ServerConn::Refuse(const std::string& log_line, const std::string& reason) {
  state->refusal_log.Write(state->log, LogLevel::kWarn, log_line);
  stage_ = Stage::kRefused;
  auth_timer_.cancel();
  close_after_write_ = true;
  std::string payload = reason;
  Enqueue(FrameType::kError, 0, std::move(payload));
}

void ServerConn::Enqueue(FrameType type, uint64_t id, std::string&& payload) {
  {
    MutexLock lock(mu);
    if (closed) return;
    queued.Append(type, 0, id, std::move(payload));
    if (writing) return;
    writing = true;
  }
  asio::post(strand, [self = shared_from_this()] { self->WriteNext(); });
}

size_t ServerConn::Unsent() {
  MutexLock lock(mu);
  return queued.bytes() + writing_q_.bytes();
}

void ServerConn::WriteNext() {
  bool have = false;
  {
    MutexLock lock(mu);
    if (!closed && !queued.empty()) {
      writing_q_.Swap(queued);
      have = true;
    } else {
      writing = false;
    }
  }
  if (!have) {
    if (closed_here_) return;
    if (close_after_write_) return Close();  // the ERROR frame has gone out
    if (read_paused_) {
      read_paused_ = false;
      Read();
    }
    return;
  }
  writing_q_.Buffers(bufs_);
  asio::async_write(socket, bufs_,
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->writing_q_.Clear();
                      if (ec) return self->Close();
                      self->WriteNext();
                    });
}

void ServerConn::Close() {
  if (closed_here_) return;
  closed_here_ = true;
  {
    MutexLock lock(mu);
    closed = true;
    queued.Clear();
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  auth_timer_.cancel();
  state->Remove(this);
}

// ---- Server -------------------------------------------------------------------------------

Server::Server(Runtime& runtime, ServerOptions options, Handler& handler)
    : state_(std::make_shared<State>(runtime, std::move(options), handler)) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  State& s = *state_;
  {
    MutexLock lock(s.mu);
    if (s.started) return Status::Internal("rpc::Server::Start called twice");
    if (s.stopped.load()) return Status::Internal("rpc::Server::Start after Stop");
    s.started = true;
  }
  const ServerOptions& o = s.options;
  const std::string where = FormatHostPort(o.host, o.port);
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  const asio::ip::address address =
      asio::ip::make_address(o.host == "localhost" ? std::string("127.0.0.1") : o.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, o.port);
  } else {
    tcp::resolver resolver(s.impl.io);
    tcp::resolver::results_type results = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("rpc: cannot listen on " + where + ": " +
                                     (ec ? ec.message() : std::string("no address")));
    }
    endpoint = results.begin()->endpoint();
  }
  s.acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR: a restarted node binds its port again at once, even while connections of
  // its previous run linger in TIME_WAIT.
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    if (ec == asio::error::address_in_use || ec == asio::error::access_denied) {
      return Status::Unavailable("rpc: cannot listen on " + where + ": " + ec.message());
    }
    return Status::InvalidArgument("rpc: cannot listen on " + where + ": " + ec.message());
  }
  s.port.store(s.acceptor.local_endpoint(ec).port());
  asio::post(s.strand, [st = state_] { st->Accept(); });
  return Status::Ok();
}

uint16_t Server::port() const { return state_->port.load(); }

void Server::Stop() {
  State& s = *state_;
  if (s.stopped.exchange(true)) return;
  std::vector<std::shared_ptr<ServerConn>> conns;
  {
    MutexLock lock(s.mu);
    conns.reserve(s.conns.size());
    for (auto& [p, c] : s.conns) conns.push_back(c);
  }
  Runtime::Impl& impl = s.impl;
  auto close_acceptor = [st = state_] {
    boost::system::error_code ignored;
    st->acceptor.close(ignored);
    st->accept_retry.cancel();
  };
  if (impl.stopped.load()) {
    // No runtime thread is left to race with: close everything here.
    close_acceptor();
    for (auto& c : conns) c->Close();
    return;
  }
  s.closes_pending.fetch_add(static_cast<int64_t>(conns.size()) + 1);
  asio::post(s.strand, [st = state_, close_acceptor] {
    close_acceptor();
    st->CloseDone();
  });
  for (auto& c : conns) {
    asio::post(c->strand, [c, st = state_] {
      c->Close();
      st->CloseDone();
    });
  }
  // On a Runtime thread (a destructor run by a callback) waiting could deadlock on the very
  // strand we are on; the closes are posted and will happen.
  if (impl.OnRuntimeThread()) return;
  for (;;) {
    MutexLock lock(s.mu);
    const bool done = s.cv.WaitFor(s.mu, std::chrono::milliseconds(20), [&s] {
      return s.closes_pending.load() == 0 && s.handling.load() == 0;
    });
    if (done) return;
    if (impl.stopped.load()) return;  // the runtime stopped under us; nothing more will run
  }
}

ServerStats Server::Stats() const {
  const State& s = *state_;
  ServerStats st;
  st.connections_accepted = s.accepted.load(std::memory_order_relaxed);
  st.connections_open = static_cast<uint64_t>(std::max<int64_t>(0, s.open.load()));
  st.auth_failures = s.auth_failures.load(std::memory_order_relaxed);
  st.malformed = s.malformed.load(std::memory_order_relaxed);
  st.calls = s.calls.load(std::memory_order_relaxed);
  return st;
}

}  // namespace shoal::rpc

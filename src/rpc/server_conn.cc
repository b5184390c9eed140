// ServerConn: one peer connection of an rpc::Server (server_internal.h).
//
// A ServerConn reads into its FrameDecoder and handles every complete frame of a read before
// reading again, so the CALLs of one read are handed to the Handler back to back and their
// replies (when the Handler answers at once) leave in one write. Replies are appended to the
// connection's OutQueue under its mutex by the Responder, from any thread; the first one
// since the last write posts the write to the connection's strand.
//
// Handshake (docs/rpc-format.md): with TLS, the TLS handshake first (the client's certificate
// required and verified against the CA); then HELLO, always; with a secret, CHALLENGE / AUTH
// and the server's proof in AUTH_OK, all within auth_timeout of the accept. With TLS, HELLO's
// client_self must be named by the client's certificate. Nothing but the
// handshake is accepted before it is done, and the Handler never sees an unauthenticated
// peer. A handshake that fails is answered with an ERROR frame naming the reason, then the
// connection is closed.
//
// Before the handshake is done, the decoder accepts frames of the handshake's size only
// (auth::kMaxHandshakeFrame), so an unauthenticated peer never makes it reserve max_frame;
// Admit raises the limit to max_frame and gives back the connection's handshake slot.
//
// Back-pressure: a peer that sends calls but does not read the replies would make the queue
// grow without bound; past kMaxUnsent bytes queued, the connection stops reading until the
// writes catch up. A reply over max_frame is replaced by a FAIL frame (ResourceExhausted).
#include <algorithm>
#include <new>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "base/host_port.h"
#include "base/log_escape.h"
#include "rpc/auth.h"
#include "rpc/server_internal.h"

namespace shoal::rpc {

using server_internal::kMaxUnsent;
using server_internal::tcp;

void ServerConn::Start() {
  if (closed_here_) return;  // Stop got here first
  boost::system::error_code ec;
  remote_ = internal::EndpointText(stream.tcp().remote_endpoint(ec));
  stream.tcp().set_option(tcp::no_delay(true), ec);
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
  if (!stream.tls()) return Read();
  stream.ServerHandshake(
      [self = shared_from_this()](const std::string& error) { self->OnTlsHandshake(error); });
}

void ServerConn::OnTlsHandshake(const std::string& error) {
  if (closed_here_) return;
  if (error.empty()) return Read();
  state->auth_failures.fetch_add(1, std::memory_order_relaxed);
  const char* hint =
      error.starts_with(TlsStream::kVerifyFailed)
          ? " (a client certificate not from cluster.tls.ca?)"
      : error.starts_with(TlsStream::kRefusedByPeer)
          ? " (is this node's certificate from the peer's CA, and does it name the address the "
            "peer dialled?)"
          : " (a peer without cluster.tls, or without a certificate?)";
  state->refusal_log.Write(state->log, LogLevel::kWarn,
                           "connection from " + remote_ + ": TLS handshake failed: " + error +
                               hint + "; dropping the connection");
  Close();
}

bool ServerConn::ClientCertificateNames(const std::string& client_self) {
  Result<HostPort> hp = ParseHostPort(client_self);
  return hp.ok() && stream.PeerCovers(hp->host);
}

void ServerConn::Read() {
  std::span<char> space;
  try {
    space = decoder_.Prepare();
  } catch (const std::bad_alloc&) {
    // No memory for this connection's next frame: drop it, not the process.
    state->malformed_log.Write(state->log, LogLevel::kError,
                               "connection from " + remote_ +
                                   ": out of memory for its next frame; dropping the connection");
    return Close();
  }
  stream.AsyncReadSome(asio::buffer(space.data(), space.size()),
                       [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                         self->OnRead(ec, n);
                       });
}

void ServerConn::OnRead(const boost::system::error_code& ec, size_t n) {
  if (closed_here_ || stage_ == Stage::kRefused) return;
  if (ec) return Close();  // the peer went (eof) or the socket broke: nothing to log
  decoder_.Commit(n);
  last_heard_ = std::chrono::steady_clock::now();
  Pump();
}

void ServerConn::Pump() {
  const size_t max_calls = std::max<size_t>(state->options.max_calls_in_flight, 1);
  for (;;) {
    if (stage_ == Stage::kReady && calls_in_flight_.load() >= max_calls) {
      paused_ = true;  // CallDone resumes once one is answered; the frames wait in the decoder
      return;
    }
    Result<std::optional<Frame>> next = decoder_.Next();
    if (!next.ok()) {
      state->malformed.fetch_add(1, std::memory_order_relaxed);
      // Before HELLO, garbage is most likely a TLS client and this server without TLS.
      const char* hint = stage_ == Stage::kHello && !stream.tls()
                             ? " (a TLS client? this node has no cluster.tls)"
                             : "";
      state->malformed_log.Write(state->log, LogLevel::kWarn,
                                 "malformed frame from " + remote_ + ": " +
                                     std::string(next.status().message()) + hint +
                                     "; dropping the connection");
      return Close();
    }
    if (!next->has_value()) break;
    if (!OnFrame(**next)) return;
  }
  if (Unsent() > kMaxUnsent) {
    paused_ = true;  // WriteNext resumes reading once the queue has drained
    return;
  }
  Read();
}

void ServerConn::Resume() {
  if (!paused_ || closed_here_ || stage_ == Stage::kRefused) return;
  paused_ = false;
  Pump();
}

void ServerConn::CallDone() {
  const size_t before = calls_in_flight_.fetch_sub(1);
  if (before >= std::max<size_t>(state->options.max_calls_in_flight, 1)) {
    asio::post(strand, [self = shared_from_this()] { self->Resume(); });
  }
}

void ServerConn::ArmIdleTimer() {
  const Duration idle = state->options.idle_timeout;
  if (idle <= Duration::zero() || closed_here_) return;
  auth_timer_.expires_at(last_heard_ + idle);
  auth_timer_.async_wait([self = shared_from_this(), idle](const boost::system::error_code& tec) {
    if (tec || self->closed_here_) return;
    const TimePoint now = std::chrono::steady_clock::now();
    if (now - self->last_heard_ < idle || self->calls_in_flight_.load() > 0) {
      if (now - self->last_heard_ >= idle) self->last_heard_ = now;  // busy: count from here
      return self->ArmIdleTimer();
    }
    ServerCore& s = *self->state;
    s.refusal_log.Write(s.log, LogLevel::kInfo,
                        "connection from " + self->remote_ + " sent nothing (not even PING) for " +
                            internal::MillisText(idle) + "; dropping it");
    self->Close();
  });
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
  const std::string& self = state->self;
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
    Result<auth::Hello> hello = auth::DecodeHello(frame.payload);
    if (!hello.ok()) {
      if (auth::IsVersionMismatch(hello.status())) {
        return fail("HELLO of another protocol version: " + std::string(hello.status().message()) +
                        " (a node of another shoal release?)",
                    "authentication failed: unsupported handshake version (this node speaks " +
                        std::to_string(auth::kVersion) + ")");
      }
      return fail("malformed HELLO: " + std::string(hello.status().message()),
                  "authentication failed: malformed HELLO");
    }
    const bool tls = stream.tls();
    if (secret.empty() && !tls) {
      // No secret here: accept anyone and prove nothing. A client with a secret sees the
      // empty AUTH_OK and refuses us itself.
      return Admit(std::string());
    }
    const auth::Hello& h = *hello;
    if (!secret.empty() && h.nonce.empty()) {
      return fail("the peer has no secret but this server requires one",
                  "authentication required: this server has a secret and the client sent no "
                  "nonce");
    }
    if (h.server_addr != self) {
      return fail("the peer dialled " + EscapeForLog(h.server_addr) + ", but this node is " + self,
                  "authentication failed: this node is " + self + ", not the address dialled");
    }
    if (h.client_self == self) {
      return fail("the peer claims to be this node (" + self + "): a reflected handshake",
                  "authentication failed: a client cannot claim this node's address");
    }
    if (state->options.accept_client && !state->options.accept_client(h.client_self)) {
      return fail("the peer claims to be " + EscapeForLog(h.client_self) + ", not a known peer",
                  "authentication failed: not a known peer");
    }
    if (tls && !ClientCertificateNames(h.client_self)) {
      return fail("the peer claims to be " + EscapeForLog(h.client_self) +
                      ", but its TLS certificate does not name that host (subjectAltName)",
                  "authentication failed: the client certificate does not name the address "
                  "the client claims");
    }
    // TLS without a secret: the certificate has authenticated the peer; nothing to prove.
    if (secret.empty()) return Admit(std::string());
    if (state->impl.nonces.Contains(h.nonce)) {
      return fail("HELLO carries a nonce this node sent as a client: a reflected handshake",
                  "authentication failed: reflected handshake");
    }
    hello_ = *std::move(hello);
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
  if (!auth::ProofMatches(frame.payload, auth::ClientProof(secret, hello_, server_nonce_))) {
    return fail("wrong proof (different secret?)",
                "authentication failed: wrong proof (different secret?)");
  }
  return Admit(auth::ServerProof(secret, hello_, server_nonce_));
}

bool ServerConn::Admit(std::string auth_ok) {
  stage_ = Stage::kReady;
  auth_timer_.cancel();
  decoder_.set_max_frame(state->options.max_frame);
  state->HandshakeDone(this);
  ArmIdleTimer();  // the auth timer, cancelled above, now watches for silence
  Enqueue(FrameType::kAuthOk, 0, std::move(auth_ok));
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
  // The token counts the call in flight until the Responder is called or dropped (a Handler
  // may drop it without answering): either frees the slot.
  calls_in_flight_.fetch_add(1);
  struct InFlight {
    std::weak_ptr<ServerConn> conn;
    std::atomic<bool> done{false};
    void Done() {
      if (done.exchange(true)) return;
      if (std::shared_ptr<ServerConn> c = conn.lock()) c->CallDone();
    }
    // Only CallDone's post can throw (bad_alloc), and then nothing can be cleaned up, as in
    // ~Server.
    ~InFlight() { Done(); }  // NOLINT(bugprone-exception-escape)
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
    explicit InFlight(std::weak_ptr<ServerConn> c) : conn(std::move(c)) {}
  };
  auto token = std::make_shared<InFlight>(weak_from_this());
  Responder respond = [token, id = frame.id](std::string payload) {
    if (std::shared_ptr<ServerConn> conn = token->conn.lock()) conn->Reply(id, std::move(payload));
    token->Done();
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
  // Cut so that it fits the client's pre-handshake frame limit.
  Enqueue(FrameType::kError, 0, reason.substr(0, auth::kMaxErrorText));
}

void ServerConn::Reply(uint64_t id, std::string&& payload) {
  const uint32_t max_frame = state->options.max_frame;
  if (payload.size() > max_frame - kMinFrameLength) {
    ServerCore& s = *state;
    s.oversized.fetch_add(1, std::memory_order_relaxed);
    s.malformed_log.Write(s.log, LogLevel::kWarn,
                          "a reply of " + std::to_string(payload.size()) + " bytes to " + remote_ +
                              " is over max_frame (" + std::to_string(max_frame) +
                              "); answering ResourceExhausted");
    return Enqueue(FrameType::kFail, id,
                   std::string(1, static_cast<char>(StatusCode::kResourceExhausted)));
  }
  Enqueue(FrameType::kReply, id, std::move(payload));
}

void ServerConn::Enqueue(FrameType type, uint64_t id, std::string&& payload) {
  {
    MutexLock lock(mu);
    if (closed) return;
    // Every caller keeps its payload within max_frame (Reply checks; the rest are small).
    (void)queued.Append(type, 0, id, std::move(payload));
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
    Resume();
    return;
  }
  writing_q_.Buffers(bufs_);
  stream.AsyncWrite(bufs_,
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
  stream.Close();
  auth_timer_.cancel();
  state->Remove(this);
}

}  // namespace shoal::rpc

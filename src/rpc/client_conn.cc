// ClientConn: one multiplexed connection of an rpc::Client's pool (client_internal.h).
//
// Dial -> resolve -> connect (to dial_host:dial_port) -> [TLS handshake, verifying host] ->
// HELLO (naming host:port) (+ CHALLENGE / AUTH with a secret) -> ready; then gathered writes of
// the queued frames, reads matched to pending calls by request id, the sweep tick that fails
// calls past their deadline, and (options.keepalive) a PING on a connection that has written
// nothing for a while, so that a server's idle_timeout keeps it. Everything here runs on the
// connection's strand; Call (client.cc) reaches it only through the mutex-guarded members. A
// connection that finishes hands its calls to ClientCore::ConnDied, which fails them.
#include <new>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "base/log_escape.h"
#include "rpc/auth.h"
#include "rpc/client_internal.h"

namespace shoal::rpc {

using client_internal::AddClaims;
using client_internal::kSweepTick;

ClientConn::ClientConn(std::shared_ptr<ClientCore> s, size_t slot_index, TimePoint now)
    : state(std::move(s)),
      slot(slot_index),
      dial_started(now),
      strand(asio::make_strand(state->impl.io)),
      connect_deadline(now + state->options.connect_timeout),
      timer_armed(true),  // Dial arms it: the connect timeout
      stream_(strand, state->tls_context),
      resolver_(strand),
      timer_(strand),
      keepalive_timer_(strand),
      decoder_(auth::kMaxHandshakeFrame) {}  // raised to max_frame once ready

void ClientConn::Dial() {
  ArmTimer();
  boost::system::error_code ec;
  // The connection goes to dial_host:dial_port (host:port unless a proxy sits in between);
  // HELLO names host:port either way.
  const asio::ip::address address = asio::ip::make_address(state->options.dial_host, ec);
  if (!ec) {
    endpoints_.assign(1, tcp::endpoint(address, state->options.dial_port));
    return Connect();
  }
  resolver_.async_resolve(
      state->options.dial_host, std::to_string(state->options.dial_port),
      [self = shared_from_this()](const boost::system::error_code& rec,
                                  const tcp::resolver::results_type& results) {
        if (rec) {
          return self->Fail(Status::Unavailable("peer " + self->state->peer + self->state->via +
                                                " down: resolve: " + rec.message()),
                            true);
        }
        self->endpoints_.assign(results.begin(), results.end());
        self->Connect();
      });
}

void ClientConn::Connect() {
  asio::async_connect(stream_.tcp(), endpoints_,
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  const tcp::endpoint&) { self->OnConnected(ec); });
}

void ClientConn::OnConnected(const boost::system::error_code& ec) {
  if (stage_ == Stage::kDone) return;
  if (ec) {
    return Fail(
        Status::Unavailable("peer " + state->peer + state->via + " down: connect: " + ec.message()),
        true);
  }
  boost::system::error_code ignored;
  stream_.tcp().set_option(tcp::no_delay(true), ignored);
  if (!stream_.tls()) return SendHello();
  // TLS first: the server's certificate must lead to our CA and name the host dialled.
  stage_ = Stage::kTls;
  stream_.ClientHandshake(
      state->options.host, true, [self = shared_from_this()](const std::string& error) {
        if (self->stage_ != Stage::kTls) return;  // finished meanwhile (timeout, Close)
        if (error.empty()) return self->SendHello();
        // An error like a refused authentication: a certificate or a node set up wrong.
        const std::string why = "TLS handshake failed: " + error + self->TlsHint(error);
        self->state->fault_log.Write(self->state->log, LogLevel::kError,
                                     "peer " + self->state->peer + ": " + why);
        self->Fail(Status::Unavailable("peer " + self->state->peer + " down: " + why), true);
      });
}

std::string ClientConn::TlsHint(std::string_view why) const {
  if (!stream_.tls()) {
    return " (does the peer require TLS? cluster.tls must be set on every node, or on none)";
  }
  if (why.starts_with(TlsStream::kRefusedByPeer)) {
    return " (is this node's certificate from the cluster's CA, and does it name the host of "
           "cluster.self?)";
  }
  if (why.starts_with(TlsStream::kVerifyFailed)) {
    return " (is the peer's certificate from cluster.tls.ca, and does it name the address "
           "dialled?)";
  }
  return " (does the peer have cluster.tls? every node needs it, or none)";
}

void ClientConn::SendHello() {
  // HELLO: the version, our nonce if we have a secret, who we are and whom we dialled
  // (docs/rpc-format.md). The nonce is outstanding until the handshake ends: a server of this
  // node (same Runtime) refuses a HELLO that carries it (a reflection).
  hello_.client_self = state->options.self;
  hello_.server_addr = state->peer;
  if (!state->options.secret.empty()) {
    hello_.nonce = auth::MakeNonce();
    if (hello_.nonce.empty()) {
      return Fail(Status::Unavailable("peer " + state->peer +
                                      " down: authentication: no random bytes for a nonce"),
                  true);
    }
    state->impl.nonces.Add(hello_.nonce);
    nonce_outstanding_ = true;
  }
  const std::string hello = auth::EncodeHello(hello_);
  stage_ = Stage::kHello;
  SendHandshake(FrameType::kHello, hello);
  Read();
}

void ClientConn::SendHandshake(FrameType type, std::string_view payload) {
  // Each handshake frame has its own buffer: the previous one's write may not have reported
  // completion yet (its bytes have left, since the server answered them).
  std::string& out = type == FrameType::kHello ? hello_out_ : auth_out_;
  out.clear();
  (void)AppendFrame(out, type, 0, 0, payload);  // handshake frames are tiny
  stream_.AsyncWrite(asio::buffer(out), [self = shared_from_this()](
                                            const boost::system::error_code& ec, size_t) {
    if (ec) {
      self->Fail(
          Status::Unavailable("peer " + self->state->peer + " down: handshake: " + ec.message()),
          true);
    }
  });
}

void ClientConn::Read() {
  std::span<char> space;
  try {
    space = decoder_.Prepare();
  } catch (const std::bad_alloc&) {
    // No memory for the next frame: fail this connection's calls, not the process.
    ProtocolError("out of memory for the next frame");
    return;
  }
  stream_.AsyncReadSome(asio::buffer(space.data(), space.size()),
                        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                          self->OnRead(ec, n);
                        });
}

void ClientConn::OnRead(const boost::system::error_code& ec, size_t n) {
  if (stage_ == Stage::kDone) return;
  const bool opening = stage_ != Stage::kReady;
  if (ec) {
    // With TLS 1.3 a client whose certificate the server refuses learns it here, at its
    // first read after the TLS handshake: FailureText says "refused by the peer (...)".
    const std::string what = ec == asio::error::eof ? std::string("closed by the peer")
                             : stream_.tls()        ? stream_.FailureText(ec)
                                                    : ec.message();
    return Fail(
        Status::Unavailable("peer " + state->peer +
                            (opening ? " down: handshake: connection " + what + TlsHint(what)
                                     : ": connection lost: " + what)),
        opening);
  }
  decoder_.Commit(n);
  batch_.clear();
  bool alive = true;
  for (;;) {
    Result<std::optional<Frame>> next = decoder_.Next();
    if (!next.ok()) {
      ProtocolError(std::string(next.status().message()) + (opening ? TlsHint("") : ""),
                    "malformed frame");
      alive = false;
      break;
    }
    if (!next->has_value()) break;
    if (!OnFrame(**next, batch_)) {
      alive = false;
      break;
    }
  }
  if (alive) Read();
  // Claimed in OnFrame. Deliver empties the vector and keeps its capacity for the next read;
  // no callback can reach OnRead of this connection (it runs only as a strand completion).
  state->Deliver(batch_);
}

bool ClientConn::ProtocolError(const std::string& why, std::string_view kind) {
  const std::string what = "peer " + state->peer + ": " + std::string(kind) + ": " + why;
  state->fault_log.Write(state->log, LogLevel::kWarn, what + "; dropping the connection");
  Fail(Status::Unavailable(what), stage_ != Stage::kReady);
  return false;
}

bool ClientConn::AuthFailure(const std::string& why) {
  state->fault_log.Write(state->log, LogLevel::kError,
                         "peer " + state->peer + ": authentication failed: " + why);
  Fail(Status::Unavailable("peer " + state->peer + " down: authentication failed: " + why), true);
  return false;
}

bool ClientConn::OnFrame(const Frame& frame, std::vector<Completion>& batch) {
  if (frame.type == FrameType::kError) {
    // The server's last word before it closes: usually why it refused us. Its text, escaped
    // and cut, for logs only.
    const std::string reason = EscapeForLog(frame.payload);
    if (stage_ != Stage::kReady) {
      state->fault_log.Write(state->log, LogLevel::kWarn,
                             "peer " + state->peer + " refused the connection: " + reason);
      Fail(Status::Unavailable("peer " + state->peer + " down: refused the connection: " + reason),
           true);
    } else {
      Fail(Status::Unavailable("peer " + state->peer + " closed the connection: " + reason), false);
    }
    return false;
  }
  if (stage_ != Stage::kReady) return OnHandshakeFrame(frame);
  if (frame.type != FrameType::kReply && frame.type != FrameType::kPong &&
      frame.type != FrameType::kFail) {
    return ProtocolError("unexpected " + std::string(FrameTypeName(frame.type)) + " frame");
  }
  Result<std::string> result = std::string();
  if (frame.type == FrameType::kFail) {
    // The call failed on the server; the code is all it says (the words are ours).
    if (frame.payload.size() != 1 || static_cast<uint8_t>(frame.payload[0]) !=
                                         static_cast<uint8_t>(StatusCode::kResourceExhausted)) {
      return ProtocolError("malformed FAIL frame");
    }
    result = Status::ResourceExhausted("peer " + state->peer +
                                       ": the reply is over the peer's max_frame");
  } else {
    result = std::string(frame.payload);
  }
  std::optional<CallCallback> done;
  {
    MutexLock lock(mu);
    done = pending.Take(frame.id);
    if (!done) return true;  // late: its deadline passed, or a duplicate
    state->active.fetch_add(1);
  }
  AddClaims(state.get(), 1);
  state->in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (!result.ok()) state->failures.fetch_add(1, std::memory_order_relaxed);
  batch.push_back(Completion{std::move(*done), std::move(result)});
  return true;
}

bool ClientConn::OnHandshakeFrame(const Frame& frame) {
  const std::string& secret = state->options.secret;
  auto got = [&] { return "unexpected " + std::string(FrameTypeName(frame.type)) + " frame"; };
  switch (stage_) {
    case Stage::kHello:
      if (frame.type == FrameType::kChallenge && !secret.empty()) {
        if (frame.payload.size() != auth::kNonceSize) {
          return ProtocolError("CHALLENGE of " + std::to_string(frame.payload.size()) + " bytes");
        }
        stage_ = Stage::kAuthSent;
        server_nonce_ = std::string(frame.payload);
        SendHandshake(FrameType::kAuth, auth::ClientProof(secret, hello_, server_nonce_));
        return true;
      }
      if (frame.type == FrameType::kAuthOk && secret.empty()) {
        if (!frame.payload.empty()) return ProtocolError("AUTH_OK with a payload");
        decoder_.set_max_frame(state->options.max_frame);
        stage_ = Stage::kReady;
        state->ConnReady(*this);
        ArmKeepalive();
        return true;
      }
      if (frame.type == FrameType::kAuthOk) {
        return AuthFailure(
            "the peer does not authenticate itself (it has no secret) but this client has one; "
            "refusing it");
      }
      if (frame.type == FrameType::kChallenge) {
        return AuthFailure("the peer asks for authentication but this client has no secret");
      }
      return ProtocolError(got() + " during the handshake");
    case Stage::kAuthSent:
      if (frame.type != FrameType::kAuthOk) return ProtocolError(got() + " during the handshake");
      if (!auth::ProofMatches(frame.payload, auth::ServerProof(secret, hello_, server_nonce_))) {
        return AuthFailure("the peer did not prove the shared secret (different secret?)");
      }
      ForgetNonce();
      decoder_.set_max_frame(state->options.max_frame);
      stage_ = Stage::kReady;
      state->ConnReady(*this);
      ArmKeepalive();
      return true;
    case Stage::kReady:
    case Stage::kConnecting:
    case Stage::kTls:
    case Stage::kDone:
      break;
  }
  return false;
}

void ClientConn::ArmTimer() {
  timer_.expires_after(kSweepTick);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec != asio::error::operation_aborted) self->OnTick();
  });
}

void ClientConn::OnTick() {
  const TimePoint now = std::chrono::steady_clock::now();
  std::vector<Completion> expired;
  bool connect_timeout = false;
  bool rearm = false;
  {
    MutexLock lock(mu);
    if (phase == Phase::kDead) {
      timer_armed = false;
      return;
    }
    if (phase == Phase::kOpening && now >= connect_deadline) {
      connect_timeout = true;
    } else {
      std::vector<CallCallback> due;
      if (pending.Expire(now, PendingTable::OnExpiry::kErase, due) > 0) {
        const Status late = Status::DeadlineExceeded("no reply from peer " + state->peer +
                                                     " before the call's deadline");
        expired.reserve(due.size());
        for (CallCallback& done : due) expired.push_back(Completion{std::move(done), late});
        state->active.fetch_add(static_cast<int64_t>(expired.size()));
      }
      rearm = !pending.empty() || phase == Phase::kOpening;
      if (!rearm) timer_armed = false;
    }
  }
  if (connect_timeout) {
    return Fail(Status::Unavailable("peer " + state->peer + " down: connect timed out after " +
                                    internal::MillisText(state->options.connect_timeout)),
                true);
  }
  if (!expired.empty()) {
    const auto n = static_cast<int64_t>(expired.size());
    AddClaims(state.get(), n);
    state->in_flight.fetch_sub(n, std::memory_order_relaxed);
    state->failures.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    state->timeouts.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  }
  if (rearm) ArmTimer();
  state->Deliver(expired);
}

void ClientConn::WriteNext() {
  {
    MutexLock lock(mu);
    if (phase == Phase::kDead || queued.empty()) {
      writing = false;
      return;
    }
    writing_q_.Swap(queued);
  }
  wrote_since_keepalive_ = true;
  writing_q_.Buffers(bufs_);
  stream_.AsyncWrite(bufs_, [self = shared_from_this()](const boost::system::error_code& ec,
                                                        size_t) {
    self->writing_q_.Clear();
    if (ec) {
      return self->Fail(
          Status::Unavailable("peer " + self->state->peer + ": connection lost: " + ec.message()),
          false);
    }
    self->WriteNext();
  });
}

void ClientConn::ArmKeepalive() {
  const Duration every = state->options.keepalive;
  if (every <= Duration::zero() || stage_ == Stage::kDone) return;
  keepalive_timer_.expires_after(every);
  keepalive_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->stage_ == Stage::kDone) return;
    if (!self->wrote_since_keepalive_) {
      bool write = false;
      {
        MutexLock lock(self->mu);
        if (self->phase != Phase::kReady) return;
        // No pending entry: the PONG finds none and is dropped, like a late reply.
        (void)self->queued.Append(FrameType::kPing, 0, self->next_id++, std::string_view());
        if (!self->writing) {
          self->writing = true;
          write = true;
        }
      }
      if (write) self->WriteNext();
    }
    self->wrote_since_keepalive_ = false;
    self->ArmKeepalive();
  });
}

void ClientConn::Fail(const Status& why, bool connect_failure) {
  if (stage_ == Stage::kDone) return;
  stage_ = Stage::kDone;
  CloseSocket();
  state->ConnDied(*this, why, connect_failure);
}

void ClientConn::ForgetNonce() {
  if (!nonce_outstanding_) return;
  nonce_outstanding_ = false;
  state->impl.nonces.Remove(hello_.nonce);
}

void ClientConn::CloseSocket() {
  stage_ = Stage::kDone;
  ForgetNonce();
  stream_.Close();
  resolver_.cancel();
  timer_.cancel();
  keepalive_timer_.cancel();
}

}  // namespace shoal::rpc

// Client: pooled, multiplexed calls to one peer.
//
// Pieces:
//   - Client::State (ClientCore): the pool (`slots`, one per configured connection, null while none
//   is
//     open), the backoff, the closed flag, the stats, and the bookkeeping that lets Close
//     wait for callbacks.
//   - ClientConn: one TCP connection. Its socket, timer and decoder are touched only on its
//     strand. Its call table (request id -> pending call), its queue of frames to write and
//     its phase are under its own mutex, because Call (any thread) inserts into them.
//
// Invariants:
//   - A call is in exactly one place: in its connection's `pending` table, or claimed by
//     one thread that is about to run its callback (or posted as a refusal). Whoever takes
//     it out of the table runs it, so each callback runs exactly once.
//   - A claim is counted in `active` while the lock it was taken under is still held; Close
//     marks everything closed and empties the tables under the same locks, then waits for
//     `active` (and `posted`) to drain. So once Close returns, nothing of this client is
//     claimed, and the tables are empty and stay empty: no callback can run any more.
//   - A connection is in `slots` only while not dead. A dead connection's table is empty.
//
// Lock order: State::mu, then ClientConn::mu. Both are leaves with respect to user code: no
// callback runs under either.
//
// Timers: one steady_timer per connection ticks every kSweepTick while the connection has
// calls pending or is still connecting; a tick fails the calls whose deadline has passed.
// Per call that costs nothing (no timer heap insert and cancel), at the price of a deadline
// firing up to one tick late. The table is scanned only when the earliest deadline recorded
// has passed, which for a healthy peer is about once per timeout, not once per tick.
#include "rpc/client.h"

#include <algorithm>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "base/mutex.h"
#include "rpc/auth.h"
#include "rpc/frame.h"
#include "rpc/runtime_internal.h"

namespace shoal::rpc {
namespace {

using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// 5 ms: deadlines of peer calls are tens to hundreds of milliseconds, so a deadline firing up
// to 5 ms late is noise, and a connection with calls pending wakes at most 200 times a second.
constexpr Duration kSweepTick = std::chrono::milliseconds(5);

struct Pending {
  CallCallback done;
  TimePoint deadline;
};

struct Completion {
  CallCallback done;
  Result<std::string> result;
};

// Claims held by the current thread, per client state: how many callbacks this thread has
// taken out of a table (or off the queue of refusals) and not yet finished running. Close
// called on a Runtime thread, for instance by the destructor of an object a callback owned,
// must not wait for these: they are on its own stack.
thread_local std::vector<std::pair<const void*, int64_t>> tls_claims;

void AddClaims(const void* owner, int64_t n) {
  for (size_t i = 0; i < tls_claims.size(); ++i) {
    if (tls_claims[i].first == owner) {
      tls_claims[i].second += n;
      if (tls_claims[i].second == 0) {
        tls_claims[i] = tls_claims.back();
        tls_claims.pop_back();
      }
      return;
    }
  }
  if (n != 0) tls_claims.emplace_back(owner, n);
}

int64_t ClaimsHere(const void* owner) {
  for (const auto& [o, n] : tls_claims) {
    if (o == owner) return n;
  }
  return 0;
}

ClientOptions Normalized(ClientOptions o) {
  o.connections = std::max<size_t>(o.connections, 1);
  o.max_frame = std::max(o.max_frame, kMinFrameLength);
  o.max_in_flight = std::max<size_t>(o.max_in_flight, 1);
  if (o.backoff_initial <= Duration::zero()) o.backoff_initial = std::chrono::milliseconds(1);
  o.backoff_max = std::max(o.backoff_max, o.backoff_initial);
  if (o.connect_timeout <= Duration::zero()) o.connect_timeout = std::chrono::seconds(1);
  return o;
}

}  // namespace

class ClientConn;

// ClientCore is Client::State (client.h keeps State private; ClientConn needs it by name).
struct ClientCore : std::enable_shared_from_this<ClientCore> {
  ClientCore(Runtime& rt, ClientOptions o)
      : impl(rt.impl()),
        options(Normalized(std::move(o))),
        peer(options.host + ":" + std::to_string(options.port)),
        rng(std::random_device{}()) {
    slots.resize(options.connections);
  }

  // Call queues a CALL or PING frame (see Client::Call).
  void Call(FrameType type, uint8_t method, std::string payload, Duration timeout,
            CallCallback done);
  // Refuse completes a call that never reached a connection, on a Runtime thread.
  void Refuse(CallCallback done, Status why);
  // Deliver runs the callbacks of `batch`, whose claims the caller has counted (active and
  // tls), then releases the claims.
  void Deliver(std::vector<Completion>& batch);
  // DeliverFailures delivers a batch of failed calls taken out of the pending tables (and
  // already added to `active`), with their counters.
  void DeliverFailures(std::vector<Completion>& batch);
  // Released drops `n` claims of this thread after their callbacks ran.
  void Released(int64_t n);

  // ConnDied: `conn` is finished; fail its calls with `why`. A failed connect or handshake
  // (`connect_failure`) also moves the backoff. Runs on the connection's strand.
  void ConnDied(ClientConn& conn, const Status& why, bool connect_failure);
  // ConnReady: `conn` passed the handshake; calls may be written. On its strand.
  void ConnReady(ClientConn& conn);
  // Shutdown is Close's work: refuse everything from now on, fail all pending calls with
  // Cancelled, close the sockets. Idempotent.
  void Shutdown();

  Runtime::Impl& impl;
  const ClientOptions options;
  const std::string peer;  // "host:port", for messages

  Mutex mu;
  bool closed SHOAL_GUARDED_BY(mu) = false;
  std::vector<std::shared_ptr<ClientConn>> slots SHOAL_GUARDED_BY(mu);
  size_t next_slot SHOAL_GUARDED_BY(mu) = 0;  // round-robin cursor
  Duration backoff SHOAL_GUARDED_BY(mu){0};   // zero: the last connect succeeded
  TimePoint retry_at SHOAL_GUARDED_BY(mu){};  // no new connection before this
  TimePoint last_failure SHOAL_GUARDED_BY(mu){};
  std::string last_error SHOAL_GUARDED_BY(mu);
  std::minstd_rand rng SHOAL_GUARDED_BY(mu);
  CondVar cv;  // Close waits here for the claims to drain

  std::atomic<bool> closing{false};        // Close has begun: Released must notify
  std::atomic<bool> shutdown_done{false};  // Shutdown has finished
  std::atomic<int64_t> active{0};          // claimed callbacks not yet finished
  std::atomic<int64_t> posted{0};          // refusals posted to the runtime, not yet run

  std::atomic<uint64_t> calls{0}, failures{0}, timeouts{0}, connects{0}, connect_failures{0};
  std::atomic<int64_t> in_flight{0};
};

struct Client::State : ClientCore {
  using ClientCore::ClientCore;
};

// ClientConn: one connection of the pool. Created by Call (under State::mu) when a slot is
// empty and the backoff allows; lives while its slot or a pending Asio operation holds it.
class ClientConn : public std::enable_shared_from_this<ClientConn> {
 public:
  enum class Phase : uint8_t { kOpening, kReady, kDead };

  ClientConn(std::shared_ptr<ClientCore> s, size_t slot_index, TimePoint now)
      : state(std::move(s)),
        slot(slot_index),
        dial_started(now),
        strand(asio::make_strand(state->impl.io)),
        socket_(strand),
        resolver_(strand),
        timer_(strand),
        decoder_(state->options.max_frame) {
    MutexLock lock(mu);
    connect_deadline = now + state->options.connect_timeout;
    timer_armed = true;  // Dial arms it: the connect timeout
  }

  // Dial resolves, connects and starts the handshake. Strand.
  void Dial();
  // ArmTimer schedules the next sweep tick. Strand.
  void ArmTimer();
  // WriteNext writes what is queued, if anything; REQUIRES: `writing` was set by the caller
  // (who thereby owns the write side). Strand.
  void WriteNext();
  // CloseSocket cancels every operation. Strand (or no thread running the runtime).
  void CloseSocket();

  const std::shared_ptr<ClientCore> state;
  const size_t slot;
  const TimePoint dial_started;
  const Strand strand;

  Mutex mu;
  Phase phase SHOAL_GUARDED_BY(mu) = Phase::kOpening;
  std::unordered_map<uint64_t, Pending> pending SHOAL_GUARDED_BY(mu);
  uint64_t next_id SHOAL_GUARDED_BY(mu) = 1;
  // A lower bound of the deadlines in `pending` (not raised when a call leaves), so that a
  // tick scans the table only when some call may really have expired.
  TimePoint min_deadline SHOAL_GUARDED_BY(mu) = TimePoint::max();
  TimePoint connect_deadline SHOAL_GUARDED_BY(mu){};
  internal::OutQueue queued SHOAL_GUARDED_BY(mu);
  bool writing SHOAL_GUARDED_BY(mu) = false;      // a WriteNext is posted or running
  bool timer_armed SHOAL_GUARDED_BY(mu) = false;  // a tick is scheduled or posted

 private:
  enum class Stage : uint8_t { kConnecting, kHello, kAuthSent, kReady, kDone };

  void Connect();
  void OnConnected(const boost::system::error_code& ec);
  void SendHandshake(FrameType type, std::string_view payload);
  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // OnFrame handles one frame; returns false once the connection is finished.
  bool OnFrame(const Frame& frame, std::vector<Completion>& batch);
  void OnTick();
  // Fail finishes the connection: logs if asked, fails its calls, closes the socket.
  void Fail(const Status& why, bool connect_failure);

  // Strand only.
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  FrameDecoder decoder_;
  std::vector<tcp::endpoint> endpoints_;
  Stage stage_ = Stage::kConnecting;
  std::string client_nonce_, server_nonce_;
  std::string hello_out_, auth_out_;
  internal::OutQueue writing_q_;
  std::vector<asio::const_buffer> bufs_;
  std::vector<Completion> batch_;
};

// ---- ClientCore ----------------------------------------------------------------------

void ClientCore::Call(FrameType type, uint8_t method, std::string payload, Duration timeout,
                      CallCallback done) {
  calls.fetch_add(1, std::memory_order_relaxed);
  if (payload.size() > options.max_frame - kMinFrameLength) {
    return Refuse(std::move(done),
                  Status::ResourceExhausted("call payload of " + std::to_string(payload.size()) +
                                            " bytes is over max_frame (" +
                                            std::to_string(options.max_frame) + ")"));
  }
  const TimePoint now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<ClientConn>> dial;
  std::shared_ptr<ClientConn> kick;
  bool kick_write = false;
  bool kick_timer = false;
  Status refusal;
  {
    MutexLock lock(mu);
    if (closed) {
      refusal = Status::Cancelled("rpc client of peer " + peer + " is closed");
    } else {
      // Re-dial empty slots unless backing off; the call may go to one of them.
      if (now >= retry_at) {
        for (size_t i = 0; i < slots.size(); ++i) {
          if (slots[i] == nullptr) {
            slots[i] = std::make_shared<ClientConn>(shared_from_this(), i, now);
            dial.push_back(slots[i]);
          }
        }
      }
      // Round-robin: a ready connection with room first, else one still opening.
      const size_t n = slots.size();
      size_t chosen = n;
      bool full = false;
      for (int pass = 0; pass < 2 && chosen == n; ++pass) {
        const ClientConn::Phase want =
            pass == 0 ? ClientConn::Phase::kReady : ClientConn::Phase::kOpening;
        for (size_t k = 0; k < n; ++k) {
          const size_t i = (next_slot + k) % n;
          ClientConn* c = slots[i].get();
          if (c == nullptr) continue;
          MutexLock conn_lock(c->mu);
          if (c->phase != want) continue;
          if (c->pending.size() >= options.max_in_flight) {
            full = true;
            continue;
          }
          chosen = i;
          break;
        }
      }
      if (chosen == n) {
        if (full) {
          refusal = Status::ResourceExhausted(std::to_string(options.max_in_flight) +
                                              " calls in flight on every connection to " + peer);
        } else {
          refusal = Status::Unavailable("peer " + peer + " down: " + last_error + " (next try in " +
                                        internal::MillisText(retry_at - now) + ")");
        }
      } else {
        next_slot = chosen + 1;
        ClientConn* c = slots[chosen].get();
        MutexLock conn_lock(c->mu);
        const uint64_t id = c->next_id++;
        const TimePoint deadline = now + timeout;
        c->pending.emplace(id, Pending{std::move(done), deadline});
        c->min_deadline = std::min(c->min_deadline, deadline);
        c->queued.Append(type, method, id, std::move(payload));
        in_flight.fetch_add(1, std::memory_order_relaxed);
        if (c->phase == ClientConn::Phase::kReady && !c->writing) {
          c->writing = true;
          kick_write = true;
        }
        if (!c->timer_armed) {
          c->timer_armed = true;
          kick_timer = true;
        }
        if (kick_write || kick_timer) kick = slots[chosen];
      }
    }
  }
  for (auto& c : dial) asio::post(c->strand, [c] { c->Dial(); });
  if (kick) {
    asio::post(kick->strand, [kick, kick_write, kick_timer] {
      if (kick_timer) kick->ArmTimer();
      if (kick_write) kick->WriteNext();
    });
  }
  if (!refusal.ok()) Refuse(std::move(done), std::move(refusal));
}

void ClientCore::Refuse(CallCallback done, Status why) {
  failures.fetch_add(1, std::memory_order_relaxed);
  if (impl.stopped.load()) {
    // No Runtime thread will ever run a post: complete here.
    active.fetch_add(1);
    AddClaims(this, 1);
    std::vector<Completion> batch;
    batch.push_back(Completion{std::move(done), std::move(why)});
    return Deliver(batch);
  }
  posted.fetch_add(1);
  asio::post(impl.io,
             [self = shared_from_this(), done = std::move(done), why = std::move(why)]() mutable {
               // Count the claim before dropping the post, so Close never sees both at zero early.
               self->active.fetch_add(1);
               AddClaims(self.get(), 1);
               self->posted.fetch_sub(1);
               std::vector<Completion> batch;
               batch.push_back(Completion{std::move(done), std::move(why)});
               self->Deliver(batch);
             });
}

void ClientCore::Deliver(std::vector<Completion>& batch) {
  const auto n = static_cast<int64_t>(batch.size());
  if (n == 0) return;
  for (Completion& c : batch) c.done(std::move(c.result));
  // Destroy the callbacks while still claimed: a destructor among their captures may be the
  // one that closes this client. clear() keeps the capacity for the caller's next batch.
  batch.clear();
  Released(n);
}

void ClientCore::Released(int64_t n) {
  AddClaims(this, -n);
  active.fetch_sub(n);
  if (closing.load()) {
    MutexLock lock(mu);
    cv.NotifyAll();
  }
}

void ClientCore::ConnDied(ClientConn& conn, const Status& why, bool connect_failure) {
  std::vector<Completion> batch;
  {
    MutexLock lock(mu);
    MutexLock conn_lock(conn.mu);
    if (conn.phase == ClientConn::Phase::kDead) return;
    conn.phase = ClientConn::Phase::kDead;
    if (slots.size() > conn.slot && slots[conn.slot].get() == &conn) slots[conn.slot] = nullptr;
    if (connect_failure && !closed) {
      connect_failures.fetch_add(1, std::memory_order_relaxed);
      const TimePoint now = std::chrono::steady_clock::now();
      // Dials that started before the previous failure was seen failed for the same reason:
      // they do not double the backoff again.
      if (backoff == Duration::zero()) {
        backoff = options.backoff_initial;
      } else if (conn.dial_started >= last_failure) {
        backoff = std::min(backoff * 2, options.backoff_max);
      }
      last_failure = now;
      // Equal jitter: wait between half and all of the backoff, so that clients that lost a
      // peer together do not all dial it again in the same millisecond.
      const auto half = backoff.count() / 2;
      std::uniform_int_distribution<Duration::rep> dist(0, half);
      retry_at = now + Duration(backoff.count() - half + dist(rng));
      last_error = std::string(why.message());
    }
    batch.reserve(conn.pending.size());
    for (auto& [id, p] : conn.pending) batch.push_back(Completion{std::move(p.done), why});
    conn.pending.clear();
    conn.queued.Clear();
    active.fetch_add(static_cast<int64_t>(batch.size()));
  }
  DeliverFailures(batch);
}

void ClientCore::DeliverFailures(std::vector<Completion>& batch) {
  const auto n = static_cast<int64_t>(batch.size());
  AddClaims(this, n);
  in_flight.fetch_sub(n, std::memory_order_relaxed);
  failures.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  Deliver(batch);
}

void ClientCore::ConnReady(ClientConn& conn) {
  bool write = false;
  {
    MutexLock lock(mu);
    if (closed) return;  // Shutdown fails what is queued
    MutexLock conn_lock(conn.mu);
    if (conn.phase != ClientConn::Phase::kOpening) return;
    conn.phase = ClientConn::Phase::kReady;
    backoff = Duration::zero();
    retry_at = TimePoint{};
    last_error.clear();
    connects.fetch_add(1, std::memory_order_relaxed);
    if (!conn.queued.empty() && !conn.writing) {
      conn.writing = true;
      write = true;
    }
  }
  if (write) conn.WriteNext();
}

void ClientCore::Shutdown() {
  std::vector<std::shared_ptr<ClientConn>> conns;
  std::vector<Completion> batch;
  {
    MutexLock lock(mu);
    if (closed) return;
    closed = true;
    for (auto& c : slots) {
      if (c != nullptr) conns.push_back(std::move(c));
    }
    const Status cancelled = Status::Cancelled("rpc client of peer " + peer + " closed");
    for (auto& c : conns) {
      MutexLock conn_lock(c->mu);
      c->phase = ClientConn::Phase::kDead;
      for (auto& [id, p] : c->pending) batch.push_back(Completion{std::move(p.done), cancelled});
      c->pending.clear();
      c->queued.Clear();
    }
    active.fetch_add(static_cast<int64_t>(batch.size()));
  }
  DeliverFailures(batch);
  for (auto& c : conns) {
    if (impl.stopped.load()) {
      c->CloseSocket();  // no thread runs the strands any more
    } else {
      asio::post(c->strand, [c] { c->CloseSocket(); });
    }
  }
  shutdown_done.store(true);
  MutexLock lock(mu);
  cv.NotifyAll();
}

// ---- ClientConn ---------------------------------------------------------------------------

void ClientConn::Dial() {
  ArmTimer();
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(state->options.host, ec);
  if (!ec) {
    endpoints_.assign(1, tcp::endpoint(address, state->options.port));
    return Connect();
  }
  resolver_.async_resolve(
      state->options.host, std::to_string(state->options.port),
      [self = shared_from_this()](const boost::system::error_code& rec,
                                  const tcp::resolver::results_type& results) {
        if (rec) {
          return self->Fail(
              Status::Unavailable("peer " + self->state->peer + " down: resolve: " + rec.message()),
              true);
        }
        self->endpoints_.assign(results.begin(), results.end());
        self->Connect();
      });
}

void ClientConn::Connect() {
  asio::async_connect(socket_, endpoints_,
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  const tcp::endpoint&) { self->OnConnected(ec); });
}

void ClientConn::OnConnected(const boost::system::error_code& ec) {
  if (stage_ == Stage::kDone) return;
  if (ec) {
    return Fail(Status::Unavailable("peer " + state->peer + " down: connect: " + ec.message()),
                true);
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  // HELLO: the version, and our nonce if we have a secret (docs/rpc-format.md).
  std::string hello(1, static_cast<char>(auth::kVersion));
  if (!state->options.secret.empty()) {
    client_nonce_ = auth::MakeNonce();
    if (client_nonce_.empty()) {
      return Fail(Status::Unavailable("peer " + state->peer +
                                      " down: authentication: no random bytes for a nonce"),
                  true);
    }
    hello += client_nonce_;
  }
  stage_ = Stage::kHello;
  SendHandshake(FrameType::kHello, hello);
  Read();
}

void ClientConn::SendHandshake(FrameType type, std::string_view payload) {
  // Each handshake frame has its own buffer: the previous one's write may not have reported
  // completion yet (its bytes have left, since the server answered them).
  std::string& out = type == FrameType::kHello ? hello_out_ : auth_out_;
  out.clear();
  AppendFrame(out, type, 0, 0, payload);
  asio::async_write(socket_, asio::buffer(out),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      if (ec) {
                        self->Fail(Status::Unavailable("peer " + self->state->peer +
                                                       " down: handshake: " + ec.message()),
                                   true);
                      }
                    });
}

void ClientConn::Read() {
  std::span<char> space = decoder_.Prepare();
  socket_.async_read_some(asio::buffer(space.data(), space.size()),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->OnRead(ec, n); });
}

void ClientConn::OnRead(const boost::system::error_code& ec, size_t n) {
  if (stage_ == Stage::kDone) return;
  const bool opening = stage_ != Stage::kReady;
  if (ec) {
    const std::string what = ec == asio::error::eof ? "closed by the peer" : ec.message();
    return Fail(Status::Unavailable("peer " + state->peer +
                                    (opening ? " down: handshake: connection " + what
                                             : ": connection lost: " + what)),
                opening);
  }
  decoder_.Commit(n);
  batch_.clear();
  bool alive = true;
  for (;;) {
    Result<std::optional<Frame>> next = decoder_.Next();
    if (!next.ok()) {
      internal::Log("malformed frame from peer " + state->peer + ": " +
                    std::string(next.status().message()) + "; dropping the connection");
      Fail(Status::Unavailable("peer " + state->peer +
                               ": malformed frame: " + std::string(next.status().message())),
           stage_ != Stage::kReady);
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

bool ClientConn::OnFrame(const Frame& frame, std::vector<Completion>& batch) {
  const std::string& secret = state->options.secret;
  const std::string& peer = state->peer;
  auto auth_failure = [&](const std::string& why) {
    internal::Log("peer " + peer + ": authentication failed: " + why);
    Fail(Status::Unavailable("peer " + peer + " down: authentication failed: " + why), true);
    return false;
  };
  auto protocol_error = [&](const std::string& why) {
    internal::Log("malformed frame from peer " + peer + ": " + why + "; dropping the connection");
    Fail(Status::Unavailable("peer " + peer + ": protocol error: " + why), stage_ != Stage::kReady);
    return false;
  };
  auto got = [&] { return "unexpected " + std::string(FrameTypeName(frame.type)) + " frame"; };

  if (frame.type == FrameType::kError) {
    // The server's last word before it closes: usually why it refused us.
    std::string reason(frame.payload.substr(0, 512));
    if (stage_ != Stage::kReady) {
      internal::Log("peer " + peer + " refused the connection: " + reason);
      Fail(Status::Unavailable("peer " + peer + " down: refused the connection: " + reason), true);
    } else {
      Fail(Status::Unavailable("peer " + peer + " closed the connection: " + reason), false);
    }
    return false;
  }
  switch (stage_) {
    case Stage::kHello:
      if (frame.type == FrameType::kChallenge && !secret.empty()) {
        if (frame.payload.size() != auth::kNonceSize) {
          return protocol_error("CHALLENGE of " + std::to_string(frame.payload.size()) + " bytes");
        }
        stage_ = Stage::kAuthSent;
        server_nonce_ = std::string(frame.payload);
        SendHandshake(FrameType::kAuth, auth::ClientProof(secret, client_nonce_, frame.payload));
        return true;
      }
      if (frame.type == FrameType::kAuthOk && secret.empty()) {
        if (!frame.payload.empty()) return protocol_error("AUTH_OK with a payload");
        stage_ = Stage::kReady;
        state->ConnReady(*this);
        return true;
      }
      if (frame.type == FrameType::kAuthOk) {
        return auth_failure(
            "the peer does not authenticate itself (it has no secret) but this client has one; "
            "refusing it");
      }
      if (frame.type == FrameType::kChallenge) {
        return auth_failure("the peer asks for authentication but this client has no secret");
      }
      return protocol_error(got() + " during the handshake");
    case Stage::kAuthSent:
      if (frame.type != FrameType::kAuthOk) return protocol_error(got() + " during the handshake");
      if (!auth::ProofMatches(frame.payload,
                              auth::ServerProof(secret, client_nonce_, server_nonce_))) {
        return auth_failure("the peer did not prove the shared secret (different secret?)");
      }
      stage_ = Stage::kReady;
      state->ConnReady(*this);
      return true;
    case Stage::kReady:
      break;
    case Stage::kConnecting:
    case Stage::kDone:
      return false;
  }
  if (frame.type != FrameType::kReply && frame.type != FrameType::kPong) {
    return protocol_error(got());
  }
  CallCallback done;
  {
    MutexLock lock(mu);
    auto it = pending.find(frame.id);
    if (it == pending.end()) return true;  // late: its deadline passed, or a duplicate
    done = std::move(it->second.done);
    pending.erase(it);
    state->active.fetch_add(1);
  }
  AddClaims(state.get(), 1);
  state->in_flight.fetch_sub(1, std::memory_order_relaxed);
  batch.push_back(Completion{std::move(done), std::string(frame.payload)});
  return true;
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
      if (now >= min_deadline) {
        TimePoint next = TimePoint::max();
        const Status late = Status::DeadlineExceeded("no reply from peer " + state->peer +
                                                     " before the call's deadline");
        for (auto it = pending.begin(); it != pending.end();) {
          if (it->second.deadline <= now) {
            expired.push_back(Completion{std::move(it->second.done), late});
            it = pending.erase(it);
          } else {
            next = std::min(next, it->second.deadline);
            ++it;
          }
        }
        min_deadline = next;
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
  writing_q_.Buffers(bufs_);
  asio::async_write(socket_, bufs_,
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->writing_q_.Clear();
                      if (ec) {
                        return self->Fail(Status::Unavailable("peer " + self->state->peer +
                                                              ": connection lost: " + ec.message()),
                                          false);
                      }
                      self->WriteNext();
                    });
}

void ClientConn::Fail(const Status& why, bool connect_failure) {
  if (stage_ == Stage::kDone) return;
  stage_ = Stage::kDone;
  CloseSocket();
  state->ConnDied(*this, why, connect_failure);
}

void ClientConn::CloseSocket() {
  stage_ = Stage::kDone;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  resolver_.cancel();
  timer_.cancel();
}

// ---- Client -------------------------------------------------------------------------------

Client::Client(Runtime& runtime, ClientOptions options)
    : state_(std::make_shared<State>(runtime, std::move(options))) {}

Client::~Client() { Close(); }

void Client::Call(uint8_t method, std::string payload, Duration timeout, CallCallback done) {
  state_->Call(FrameType::kCall, method, std::move(payload), timeout, std::move(done));
}

void Client::Ping(Duration timeout, std::function<void(Status)> done) {
  state_->Call(FrameType::kPing, 0, std::string(), timeout,
               [done = std::move(done)](Result<std::string> r) { done(r.status()); });
}

void Client::Close() {
  State& s = *state_;
  s.closing.store(true);
  Runtime::Impl& impl = s.impl;
  if (impl.OnRuntimeThread()) {
    // Called from a callback (or from a destructor one ran): do the work here, and wait only
    // for callbacks on other threads; this thread's own claims are further up its stack.
    s.Shutdown();
    MutexLock lock(s.mu);
    s.cv.Wait(s.mu, [&s]() SHOAL_REQUIRES(s.mu) { return s.active.load() == ClaimsHere(&s); });
    return;
  }
  if (!s.shutdown_done.load() && !impl.stopped.load()) {
    asio::post(impl.io, [st = state_] { st->Shutdown(); });
  }
  for (;;) {
    bool inline_shutdown = false;
    {
      MutexLock lock(s.mu);
      const bool done = s.cv.WaitFor(s.mu, std::chrono::milliseconds(20), [&]() {
        // After Runtime::Stop, refusals still posted will never run: do not wait for them.
        return s.shutdown_done.load() && s.active.load() == 0 &&
               (s.posted.load() == 0 || impl.stopped.load());
      });
      if (done) return;
      inline_shutdown = impl.stopped.load() && !s.shutdown_done.load();
    }
    // The runtime stopped before it ran our Shutdown: no thread is left to race with.
    if (inline_shutdown) s.Shutdown();
  }
}

ClientStats Client::Stats() const {
  const State& s = *state_;
  ClientStats st;
  st.calls = s.calls.load(std::memory_order_relaxed);
  st.failures = s.failures.load(std::memory_order_relaxed);
  st.timeouts = s.timeouts.load(std::memory_order_relaxed);
  st.connects = s.connects.load(std::memory_order_relaxed);
  st.connect_failures = s.connect_failures.load(std::memory_order_relaxed);
  st.in_flight = static_cast<uint64_t>(std::max<int64_t>(0, s.in_flight.load()));
  return st;
}

const ClientOptions& Client::options() const { return state_->options; }

}  // namespace shoal::rpc

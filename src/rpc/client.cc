// Client: the pool of connections to one peer and its health (client_internal.h has the
// pieces and their invariants; client_conn.cc one connection).
//
// Here: choosing a connection for a call (round-robin over the ready ones, else one still
// opening), dialling empty slots once the backoff allows, the backoff itself (base::Backoff:
// exponential from backoff_initial to backoff_max, full jitter, reset by a connect), the
// peer's down/up state (logged once per change), refusals, delivering callbacks with the
// claims that let Close wait for them, Close, and the stats.
#include "rpc/client.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

#include "base/host_port.h"
#include "rpc/client_internal.h"

namespace shoal::rpc {
namespace client_internal {
namespace {

// The claims of the current thread: (client state, count) pairs; see AddClaims.
thread_local std::vector<std::pair<const void*, int64_t>> tls_claims;

}  // namespace

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

}  // namespace client_internal

namespace {

using client_internal::AddClaims;
using client_internal::ClaimsHere;

ClientOptions Normalized(ClientOptions o) {
  o.connections = std::max<size_t>(o.connections, 1);
  o.max_frame = std::max(o.max_frame, kMinFrameLength);
  o.max_in_flight = std::max<size_t>(o.max_in_flight, 1);
  if (o.backoff_initial <= Duration::zero()) o.backoff_initial = std::chrono::milliseconds(1);
  o.backoff_max = std::max(o.backoff_max, o.backoff_initial);
  if (o.connect_timeout <= Duration::zero()) o.connect_timeout = std::chrono::seconds(1);
  if (o.dial_host.empty()) o.dial_host = o.host;
  if (o.dial_port == 0) o.dial_port = o.port;
  return o;
}

}  // namespace

ClientCore::ClientCore(Runtime& rt, ClientOptions o)
    : impl(rt.impl()),
      options(Normalized(std::move(o))),
      peer(FormatHostPort(options.host, options.port)),
      via(options.dial_host == options.host && options.dial_port == options.port
              ? std::string()
              : " via " + FormatHostPort(options.dial_host, options.dial_port)),
      log(options.logger, "rpc"),
      backoff(options.backoff_initial, options.backoff_max) {
  if (!options.tls.ca.empty()) {
    Result<std::shared_ptr<asio::ssl::context>> made =
        MakeTlsContext(options.tls, "cluster.tls", TlsRole::kClient);
    if (made.ok()) {
      tls_context = *std::move(made);
    } else {
      tls_error =
          Status::Unavailable("peer " + peer + ": TLS: " + std::string(made.status().message()));
    }
  }
  MutexLock lock(mu);
  slots.resize(options.connections);
}

struct Client::State : ClientCore {
  using ClientCore::ClientCore;
};

void ClientCore::Call(FrameType type, uint8_t method, std::string payload, Duration timeout,
                      CallCallback done) {
  calls.fetch_add(1, std::memory_order_relaxed);
  if (options.secret.empty() && options.tls.ca.empty() && !options.allow_insecure &&
      (!IsLoopbackHost(options.host) || !IsLoopbackHost(options.dial_host))) {
    return Refuse(std::move(done),
                  Status::Unavailable("refusing to dial peer " + peer + via +
                                      " without a secret or TLS (it is not on loopback); set "
                                      "cluster.secret or cluster.tls (or cluster.insecure)"));
  }
  if (!tls_error.ok()) return Refuse(std::move(done), tls_error);
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
        c->pending.Add(id, std::move(done), deadline);
        // Fits: checked against max_frame above.
        (void)c->queued.Append(type, method, id, std::move(payload));
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
  // `done` was moved into a connection's table only on the path that leaves refusal OK.
  if (!refusal.ok())
    Refuse(std::move(done), std::move(refusal));  // NOLINT(bugprone-use-after-move)
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
      // The first failure of a run allows the next call to dial again at once: a peer that was
      // not up yet when this node started (its first MEMBERS exchange) must not turn the first
      // requests after it came up into refusals. From the second failure on, the backoff
      // spaces the dials. Dials that started before the previous failure was seen failed for
      // the same reason: they do not move the backoff again (nor push back the retry it chose).
      if (!down) {
        retry_at = now;
      } else if (conn.dial_started >= last_failure) {
        retry_at = now + backoff.Next();
      }
      last_failure = now;
      last_error = std::string(why.message());
      if (!down) {
        down = true;
        // Debug: the cluster logs the same peer going down at warn, once, in its own words.
        log.Debug("peer " + peer + " down: " + last_error);
      }
    }
    for (CallCallback& done : conn.pending.TakeAll()) {
      batch.push_back(Completion{std::move(done), why});
    }
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
    backoff.Reset();
    retry_at = TimePoint{};
    last_error.clear();
    if (down) {
      down = false;
      log.Debug("peer " + peer + " up again");
    }
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
      for (CallCallback& done : c->pending.TakeAll()) {
        batch.push_back(Completion{std::move(done), cancelled});
      }
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

// ---- Client -------------------------------------------------------------------------------

Client::Client(Runtime& runtime, ClientOptions options)
    : state_(std::make_shared<State>(runtime, std::move(options))) {}

// Close throws only if a mutex or an allocation fails, and then nothing can be cleaned up.
Client::~Client() { Close(); }  // NOLINT(bugprone-exception-escape)

void Client::Call(uint8_t method, std::string payload, Duration timeout, CallCallback done) {
  state_->Call(FrameType::kCall, method, std::move(payload), timeout, std::move(done));
}

void Client::Ping(Duration timeout, std::function<void(Status)> done) {
  state_->Call(FrameType::kPing, 0, std::string(), timeout,
               [done = std::move(done)](const Result<std::string>& r) { done(r.status()); });
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

// The insides of rpc::Client, shared by client.cc (the pool: slots, choosing a connection,
// backoff and health, Close, stats) and client_conn.cc (one connection: handshake, writes,
// replies, the deadline sweep). Internal to src/rpc; nothing outside includes it.
//
// Pieces:
//   - ClientCore (= Client::State): the pool (`slots`, one per configured connection, null
//     while none is open), the backoff, the peer's up/down state, the closed flag, the stats,
//     and the bookkeeping that lets Close wait for callbacks.
//   - ClientConn: one TCP (or TLS) connection. Its stream, timer and decoder are touched only on
//   its
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
// Lock order: ClientCore::mu, then ClientConn::mu. Both are leaves with respect to user code:
// no callback runs under either.
//
// Thread-safety: as annotated; strand-only members are marked so.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/backoff.h"
#include "base/deadline_table.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "base/tls_stream.h"
#include "rpc/auth.h"
#include "rpc/client.h"
#include "rpc/frame.h"
#include "rpc/runtime_internal.h"

namespace shoal::rpc {

namespace client_internal {

using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// 5 ms: deadlines of peer calls are tens to hundreds of milliseconds, so a deadline firing up
// to 5 ms late is noise, and a connection with calls pending wakes at most 200 times a second.
constexpr Duration kSweepTick = std::chrono::milliseconds(5);

// Faults that can repeat per connection attempt (a refused handshake, a malformed frame) log
// at most kFaultBurst lines per kFaultInterval per client; the rest are counted.
constexpr Duration kFaultInterval = std::chrono::seconds(10);
constexpr uint32_t kFaultBurst = 5;

struct Completion {
  CallCallback done;
  Result<std::string> result;
};

// AddClaims and ClaimsHere count the claims held by the current thread, per client state:
// how many callbacks this thread has taken out of a table (or off the queue of refusals) and
// not yet finished running. Close called on a Runtime thread, for instance by the destructor
// of an object a callback owned, must not wait for these: they are on its own stack.
void AddClaims(const void* owner, int64_t n);
int64_t ClaimsHere(const void* owner);

}  // namespace client_internal

class ClientConn;

// ClientCore is Client::State (client.h keeps State private; ClientConn needs it by name).
struct ClientCore : std::enable_shared_from_this<ClientCore> {
  using Completion = client_internal::Completion;

  ClientCore(Runtime& rt, ClientOptions o);

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
  // (`connect_failure`) also moves the backoff, and marks the peer down (logged once). Runs
  // on the connection's strand.
  void ConnDied(ClientConn& conn, const Status& why, bool connect_failure);
  // ConnReady: `conn` passed the handshake; calls may be written. On its strand.
  void ConnReady(ClientConn& conn);
  // Shutdown is Close's work: refuse everything from now on, fail all pending calls with
  // Cancelled, close the sockets. Idempotent.
  void Shutdown();

  Runtime::Impl& impl;
  const ClientOptions options;
  const std::string peer;  // "host:port", for messages and HELLO
  const std::string via;   // " via DIAL_HOST:PORT" when dialling elsewhere (dial_host), else ""
  const Log log;
  LogLimiter fault_log{client_internal::kFaultInterval, client_internal::kFaultBurst};
  // options.tls loaded (shared by the connections), or null for plain TCP; tls_error says
  // why the files did not load (every call then fails with it). Set by the constructor.
  std::shared_ptr<asio::ssl::context> tls_context;
  Status tls_error;

  Mutex mu;
  bool closed SHOAL_GUARDED_BY(mu) = false;
  std::vector<std::shared_ptr<ClientConn>> slots SHOAL_GUARDED_BY(mu);
  size_t next_slot SHOAL_GUARDED_BY(mu) = 0;  // round-robin cursor
  Backoff backoff SHOAL_GUARDED_BY(mu);
  bool down SHOAL_GUARDED_BY(mu) = false;     // the last connect failed (logged once)
  TimePoint retry_at SHOAL_GUARDED_BY(mu){};  // no new connection before this
  TimePoint last_failure SHOAL_GUARDED_BY(mu){};
  std::string last_error SHOAL_GUARDED_BY(mu);
  CondVar cv;  // Close waits here for the claims to drain

  std::atomic<bool> closing{false};        // Close has begun: Released must notify
  std::atomic<bool> shutdown_done{false};  // Shutdown has finished
  std::atomic<int64_t> active{0};          // claimed callbacks not yet finished
  std::atomic<int64_t> posted{0};          // refusals posted to the runtime, not yet run

  std::atomic<uint64_t> calls{0}, failures{0}, timeouts{0}, connects{0}, connect_failures{0};
  std::atomic<int64_t> in_flight{0};
};

// ClientConn: one connection of the pool. Created by Call (under ClientCore::mu) when a slot
// is empty and the backoff allows; lives while its slot or a pending Asio operation holds it.
//
// Timers: one steady_timer per connection ticks every kSweepTick while the connection has
// calls pending or is still connecting; a tick fails the calls whose deadline has passed.
// Per call that costs nothing (no timer heap insert and cancel), at the price of a deadline
// firing up to one tick late. The table is scanned only when the earliest deadline recorded
// has passed (DeadlineTable's lower bound), which for a healthy peer is about once per
// timeout, not once per tick.
class ClientConn : public std::enable_shared_from_this<ClientConn> {
 public:
  using Completion = client_internal::Completion;
  enum class Phase : uint8_t { kOpening, kReady, kDead };
  // Request ids are never reused, so an expired call leaves the table at once (kErase): a
  // late reply finds nothing and is dropped.
  using PendingTable = DeadlineTable<uint64_t, CallCallback>;

  ClientConn(std::shared_ptr<ClientCore> s, size_t slot_index, TimePoint now);
  ~ClientConn() { ForgetNonce(); }
  ClientConn(const ClientConn&) = delete;
  ClientConn& operator=(const ClientConn&) = delete;

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
  const client_internal::Strand strand;

  Mutex mu;
  Phase phase SHOAL_GUARDED_BY(mu) = Phase::kOpening;
  PendingTable pending SHOAL_GUARDED_BY(mu);
  uint64_t next_id SHOAL_GUARDED_BY(mu) = 1;
  TimePoint connect_deadline SHOAL_GUARDED_BY(mu){};
  internal::OutQueue queued SHOAL_GUARDED_BY(mu);
  bool writing SHOAL_GUARDED_BY(mu) = false;      // a WriteNext is posted or running
  bool timer_armed SHOAL_GUARDED_BY(mu) = false;  // a tick is scheduled or posted

 private:
  using tcp = client_internal::tcp;
  enum class Stage : uint8_t { kConnecting, kTls, kHello, kAuthSent, kReady, kDone };

  void Connect();
  void OnConnected(const boost::system::error_code& ec);
  // SendHello starts the rpc handshake (after the TLS handshake, with TLS).
  void SendHello();
  // TlsHint is a hint for a failure `why` during the handshake: a certificate refused by
  // either end, or one end having cluster.tls and the other not.
  std::string TlsHint(std::string_view why) const;
  void SendHandshake(FrameType type, std::string_view payload);
  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  // OnFrame handles one frame; returns false once the connection is finished.
  bool OnFrame(const Frame& frame, std::vector<Completion>& batch);
  // OnHandshakeFrame handles a frame before the connection is ready; false once finished.
  bool OnHandshakeFrame(const Frame& frame);
  // ProtocolError logs (rate-limited) and finishes the connection; returns false. `kind`
  // heads the message ("protocol error", "malformed frame").
  bool ProtocolError(const std::string& why, std::string_view kind = "protocol error");
  // AuthFailure logs (rate-limited) and finishes the connection; returns false.
  bool AuthFailure(const std::string& why);
  void OnTick();
  // Keepalive sends a PING when nothing was written since the last one (options.keepalive).
  void ArmKeepalive();
  // ForgetNonce takes our nonce out of the Runtime's NonceSet once the handshake is over.
  void ForgetNonce();
  // Fail finishes the connection: fails its calls, closes the socket.
  void Fail(const Status& why, bool connect_failure);

  // Strand only.
  TlsStream stream_;  // plain TCP, or TLS over it (state->tls_context)
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  asio::steady_timer keepalive_timer_;
  bool wrote_since_keepalive_ = false;
  FrameDecoder decoder_;
  std::vector<tcp::endpoint> endpoints_;
  Stage stage_ = Stage::kConnecting;
  auth::Hello hello_;  // ours: nonce (with a secret), self, the address dialled
  std::string server_nonce_;
  bool nonce_outstanding_ = false;  // hello_.nonce is in the Runtime's NonceSet
  std::string hello_out_, auth_out_;
  internal::OutQueue writing_q_;
  std::vector<asio::const_buffer> bufs_;
  std::vector<Completion> batch_;
};

}  // namespace shoal::rpc

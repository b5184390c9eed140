// Loop and Session: the insides of Server (internal to src/http; Asio lives here).
//
// A Loop is one io_context run by one thread, with its own listening socket (SO_REUSEPORT),
// its sessions, a spare descriptor for shedding connections when descriptors run out, and a
// ticker that enforces every timeout of its sessions. A Session is one connection, with its
// RequestParser (which keeps its place in a request across reads). What a connection holds
// is kept small (session_memory.cc): its ring of pipeline slots starts with one and grows to
// pipeline_limit on the first pipelined request, and an idle one parks, giving back its
// buffers until it becomes readable again. Everything in a Loop and
// its Sessions runs on that loop's thread; the only ways in from other threads are posting
// to the io_context (Server::Stop, a ReplyLater), the counters, which are atomics written by
// the loop thread alone, and AddressCounts, shared by all loops under its own mutex.
//
// Ownership: the Loop's registry holds a shared_ptr to each open Session, and each pending
// operation holds one too (shared_from_this), so a Session lives while it is open or has an
// operation in flight. It leaves the registry when it closes. A ReplyLater holds only a
// weak_ptr: an answer to a connection that has gone is dropped.
//
// Timeouts (first byte, idle, header, request, write): instead of a timer per connection
// re-armed per request (a heap operation each time), each session records deadlines as plain
// time points and the loop's ticker walks its sessions a few times per shortest timeout. A request
// then costs no timer work at all, at the price of timeouts firing up to one tick (at most 250 ms)
// late.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "http/handler.h"
#include "http/parser.h"
#include "http/server.h"
#include "http/write_whole.h"  // Session::Flush

namespace shoal::http::internal {

namespace asio = boost::asio;

// Counters of one loop. Only the loop thread writes them (Bump: a relaxed load and store,
// no locked instruction); any thread may read. Cache-line aligned so loops do not share one.
struct alignas(64) LoopCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> requests{0};
  std::array<std::atomic<uint64_t>, 5> responses{};  // by class: 1xx .. 5xx
  std::atomic<uint64_t> parse_errors{0};
  std::atomic<uint64_t> request_timeouts{0};
  std::atomic<uint64_t> header_timeouts{0};
  std::atomic<uint64_t> buffer_bytes{0};  // a gauge: what the loop's sessions hold now
};

// HasNoBody: statuses whose responses never carry a body (RFC 9110 sections 6.4.1 and 15.4.5).
inline bool HasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

// ClientAddressOf returns the peer's address of `socket` as bytes; size 0 when unknown.
ClientAddress ClientAddressOf(const asio::ip::tcp::socket& socket);

// ResetResponse gives `r` its defaults again, keeping its strings' and vectors' capacity.
void ResetResponse(Response& r);

inline void Bump(std::atomic<uint64_t>& c) {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// AddressCounts counts open connections per client address, over all loops (a client's
// connections are spread over the loops by the kernel). Used only when
// ServerOptions::max_connections_per_address is set. Thread-safe.
class AddressCounts {
 public:
  // Acquire takes one of `cap` places for `address`; false when they are all taken.
  bool Acquire(const asio::ip::address& address, size_t cap) SHOAL_EXCLUDES(mu_);
  // Release gives back a place Acquire took.
  void Release(const asio::ip::address& address) SHOAL_EXCLUDES(mu_);

 private:
  Mutex mu_;
  std::map<asio::ip::address, size_t> open_ SHOAL_GUARDED_BY(mu_);
};

class Session;

// Loop: one event loop and what belongs to it. Created by Server::Start, destroyed by
// ~Server after its thread has finished.
class Loop {
 public:
  // `open` counts the server's open connections (all loops), `per_address` them by client
  // address; `drained` runs (on this loop's thread) once this loop's drain has finished.
  Loop(const ServerOptions& opts, Handler& h, std::atomic<size_t>* open, AddressCounts* per_address,
       std::function<void()> drained);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Listen opens, binds and listens; with SO_REUSEPORT so that every loop can bind the
  // same port.
  boost::system::error_code Listen(const asio::ip::tcp::endpoint& endpoint);
  // Begin opens the spare descriptor, queues the first accept and the ticker; they run once
  // the io_context runs.
  void Begin();
  // BeginDrain stops accepting and asks every session to drain; loop thread only.
  void BeginDrain();

  // Add and Remove maintain the registry of open sessions; loop thread only.
  void Add(const std::shared_ptr<Session>& session);
  void Remove(Session* session);

  // The members below are used by sessions; all fixed after construction except where noted.
  asio::io_context io;  // declared first: destroyed last, after everything that uses it
  const ServerOptions& options;
  const Limits limits;
  Handler& handler;
  std::atomic<size_t>* const open_connections;  // shared by all loops; owned by Server
  AddressCounts* const per_address;             // shared by all loops; owned by Server
  LoopCounters counters;
  Log log;
  LogLimiter faults{std::chrono::seconds(10), 3};  // exceptions caught on this loop
  const Duration tick;                             // ticker period
  // Premade bodies for answers that must not depend on allocation going well.
  const Bytes timeout_body;
  const Bytes overload_body;
  const Bytes address_overload_body;
  const Bytes internal_error_body;
  const std::string shed_response;  // a whole 503 answer, for connections shed on EMFILE
  asio::ip::tcp::acceptor acceptor;
  // Set on loop 0 by StopOnSignals; armed again after the first signal (a second one exits
  // at once), cancelled when the whole server has drained.
  std::unique_ptr<asio::signal_set> signals;

 private:
  void Accept();
  void OnAccept(const boost::system::error_code& ec, asio::ip::tcp::socket socket);
  // Shed accepts one pending connection into the spare descriptor's place, answers it 503 and
  // closes it; false when there is no spare to give up.
  bool Shed();
  void Tick();
  void Drained();

  asio::steady_timer ticker_;
  asio::steady_timer accept_retry_;
  std::function<void()> drained_;
  LogLimiter accept_errors_{std::chrono::seconds(10), 1};  // EMFILE repeats every retry
  // A descriptor (/dev/null) kept in reserve: when accept fails for want of descriptors, it is
  // closed to accept and refuse one connection, then opened again (-1 when it could not be).
  int spare_fd_ = -1;
  bool draining_ = false;
  bool drained_called_ = false;
  std::vector<std::shared_ptr<Session>> sessions_;  // registry; index kept in each session
};

// Session: one client connection. Loop thread only, except MakeReplyLater's callback.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `counted`: holds one of max_connections; `address`: holds one of the per-address places of
  // this address (when set), until closed.
  Session(Loop* loop, asio::ip::tcp::socket socket, bool counted,
          std::optional<asio::ip::address> address);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Start begins reading requests.
  void Start();
  // StartRejected answers 503 with `body` (too many connections) and closes.
  void StartRejected(const Bytes& body);
  // Drain: no new requests; close now when idle, else after the answers in flight.
  void Drain();
  // Tick enforces the timeouts at time `now`.
  void Tick(TimePoint now);

  // Used by the Exchange handed to the handler.
  void SetResponse(uint64_t seq, Response&& response);
  ReplyLater MakeReplyLater(uint64_t seq);

  size_t registry_index = 0;  // position in the loop's registry; owned by Loop

 private:
  enum class SlotState : unsigned char { kWaiting, kReady };
  // One request awaiting or holding its answer. Slots form a ring indexed by
  // (seq - slot_base_) % size; their strings keep their capacity, so a steady connection
  // allocates nothing.
  struct Slot {
    SlotState state = SlotState::kWaiting;
    bool head_request = false;  // HEAD: headers only
    bool close_after = false;   // close the connection once this answer is written
    bool http_1_0 = false;
    TimePoint deadline;  // for the handler's answer
    Response response;
    std::string head;  // serialized status line and headers
    // With an access log only: the request's text (cut to http/access.h's bounds), kept for
    // its line, and when the request was complete. Empty for the server's own answers.
    TimePoint received;
    std::string method, target, referer, user_agent;
    bool method_cut = false, target_cut = false, referer_cut = false, user_agent_cut = false;
  };

  Slot& SlotFor(uint64_t seq) { return slots_[(seq - slot_base_) % slots_.size()]; }
  // NextSlot is the slot of the next request (seq head_seq_ + count_).
  Slot& NextSlot() {
    if (count_ == 0) slot_base_ = head_seq_;
    return SlotFor(head_seq_ + count_);
  }
  Slot& Push();
  void PushError(int status, std::string_view message);
  void Read();
  void OnRead(const boost::system::error_code& ec, size_t n);
  void Process();
  void Flush();
  void OnWrite(const boost::system::error_code& ec);
  void SerializeHead(Slot& slot, bool close);
  // KeepForLog copies what the access log needs of request_ into `slot` (access log only).
  void KeepForLog(Slot& slot);
  // LogAnswer hands the answer in `slot`, about to be written, to the access log.
  void LogAnswer(const Slot& slot);
  void LingerClose();
  void Close();
  // SlotFree reports whether a request can take a slot now; the ring grows (GrowSlots, in
  // session_memory.cc) from one slot to pipeline_limit when a second request needs one, except
  // while a write is in flight (its buffer list points into the slots).
  bool SlotFree() { return count_ < slots_.size() || GrowSlots(); }
  bool GrowSlots();
  // Parking (session_memory.cc). MaybePark (from Tick) cancels the pending read of a
  // connection idle for a while; FinishPark (from OnRead, while parking_) then frees its
  // buffers and waits for readability, and returns false when the read had completed first (go
  // on as usual). OnReadable reads again.
  void MaybePark(TimePoint now);
  bool FinishPark(const boost::system::error_code& ec);
  void OnReadable(const boost::system::error_code& ec);
  // Account brings the loop's buffer_bytes gauge up to date with what this session holds.
  void Account();
  // Fault logs an exception caught while handling this connection (`what` happened during
  // `where`), then stops it: a 500 for the request `seq` when it has no answer yet (pass
  // UINT64_MAX for none), and no more requests.
  void Fault(const char* where, const std::exception& e, uint64_t seq);
  // Guarded runs `f`, a step of this session's work; an exception closes the connection.
  template <typename F>
  void Guarded(const char* where, F&& f);

  Loop* const loop_;  // outlives the session's operations (it owns the io_context)
  asio::ip::tcp::socket socket_;
  const asio::io_context::executor_type executor_;  // immutable: read by other threads
  std::atomic<size_t>* const open_connections_;     // owned by Server, outlives sessions
  bool counted_;                                    // holds one of max_connections until closed
  std::optional<asio::ip::address> address_;        // holds a per-address place until closed
  AccessSink* const access_log_;                    // ServerOptions::access_log, or null
  ClientAddress client_;                            // the peer's address, with an access log

  // Read buffer: [parse_pos_, end_) are received bytes not yet parsed.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t parse_pos_ = 0;
  size_t end_ = 0;
  size_t max_buffer_ = 0;

  // The parser keeps its place in the request at parse_pos_ across reads; its output is
  // reused for every request of the connection.
  RequestParser parser_;
  Request request_;
  size_t accounted_ = 0;  // this session's share of the loop's buffer_bytes

  // Pipeline: slots for seq in [head_seq_, head_seq_ + count_), the first `writing_` of
  // which are being written. One slot, or pipeline_limit once the client has pipelined.
  std::vector<Slot> slots_;
  uint64_t head_seq_ = 0;
  // The seq that maps to slots_[0]; set to head_seq_ whenever a request arrives at an empty
  // pipeline, so that a connection without pipelining reuses one slot, whose lines stay warm,
  // instead of cycling through all of them (issue 18: at 1,000 connections a cold slot was
  // a cache miss per request). seqs stay unique, so a late ReplyLater still finds its own.
  uint64_t slot_base_ = 0;
  size_t count_ = 0;
  size_t writing_ = 0;
  std::vector<asio::const_buffer> write_bufs_;

  bool reading_ = false;
  bool processing_ = false;        // inside Process: answers wait for its single Flush
  bool no_more_requests_ = false;  // after an error, a close, EOF or a drain
  bool lingering_ = false;
  bool rejected_ = false;  // StartRejected: closes without lingering
  bool closed_ = false;
  bool any_byte_ = false;  // the client has sent something (first_byte_timeout)
  bool parking_ = false;   // the read was cancelled to park (session_memory.cc)
  bool parked_ = false;    // buffers given back; waiting for readability (reading_ is set)

  TimePoint now_;            // time of the latest read or write completion (CoarseNow)
  TimePoint started_;        // accepted, for first_byte_timeout
  TimePoint last_activity_;  // for the idle timeout
  TimePoint partial_since_;  // first byte of the incomplete request in the buffer, or {}
  TimePoint write_started_;
  TimePoint linger_until_;
};

}  // namespace shoal::http::internal

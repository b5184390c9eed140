// Server: accepts HTTP/1.1 connections and hands each request to a Handler.
//
// One event loop (an Asio io_context) per thread; each connection lives its whole life on one
// loop and is never touched by another thread, so sessions need no locks. Connections are
// keep-alive with pipelining: requests are parsed as they arrive (up to pipeline_limit
// awaiting their answers), answered in order, and ready answers leave in one write.
//
// Lifecycle: construct, Start() (binds), then Run() on some thread; Stop() from anywhere
// begins a drain after which Run() returns. The Handler must outlive the Server. Every
// ReplyLater a handler obtained must be called or destroyed before the Server is destroyed.
//
// Robustness: a request's body is read only after Handler::MaxBody allowed it (413 at once
// otherwise); receiving a request costs time linear in its size however it is cut into reads;
// a connection gives back the memory of a large request once it is done. An exception out of
// the handler (std::bad_alloc) or out of a connection's own work is logged and closes that
// connection (500 when the request had no answer yet), never the process. When accept runs
// out of file descriptors, connections are answered 503 and closed (through a descriptor kept
// in reserve) rather than left waiting. Every answer says X-Content-Type-Options: nosniff.
//
// Thread-safety: Stop() and stats() may be called from any thread once Start() has returned
// (Stop also before Start). Start, Run and StopOnSignals are called once each, in that order
// (StopOnSignals before Run). Asio stays out of this header (pimpl).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/logger.h"
#include "base/status.h"
#include "http/access.h"
#include "http/handler.h"

namespace shoal::http {

struct ServerOptions {
  // Address to listen on (an IP literal, or "localhost"); port 0 picks a free port.
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  // Event loops, one thread each; 0 means std::thread::hardware_concurrency().
  int threads = 0;

  // Request limits (see http/parser.h for what each one bounds and the status it gives).
  size_t max_request_line = 8192;   // 414 beyond
  size_t max_header_bytes = 16384;  // 431 beyond
  size_t max_headers = 64;          // 431 beyond
  // 413 beyond; Handler::MaxBody may lower it per request (before the body is read).
  size_t max_body = size_t{64} << 10;

  // Open connections over all loops; one more is answered 503 and closed.
  size_t max_connections = 10000;
  // Open connections from one client address (over all loops); one more is answered 503 and
  // closed. 0: no cap.
  size_t max_connections_per_address = 0;
  // A new connection that sends no byte within this is closed (without an answer).
  Duration first_byte_timeout = std::chrono::seconds(10);

  // A keep-alive connection with no request in progress is closed after this long.
  Duration idle_timeout = std::chrono::seconds(60);
  // Time to receive a whole request once its first byte came; then 408 and close.
  Duration header_timeout = std::chrono::seconds(10);
  // The handler must answer by then, or the client gets 503 and the late answer is dropped.
  Duration request_timeout = std::chrono::seconds(5);
  // Requests of one connection awaiting their answers; reading pauses while this many are.
  size_t pipeline_limit = 16;
  // After the first SIGTERM/SIGINT (StopOnSignals), the listener goes on serving this long
  // before the drain begins, so that a load balancer that saw the node turn unready stops
  // sending first (Kubernetes: a few seconds). 0: the drain begins at once.
  Duration drain_delay = Duration::zero();

  // Where the server logs faults an operator should see (component "http"): accept failures
  // such as running out of file descriptors (EMFILE), at most one line per 10 s per loop;
  // exceptions caught while handling a connection, at most 3 lines per 10 s per loop; the
  // signals StopOnSignals receives. Not owned; must outlive the Server. The default drops
  // everything.
  Logger* logger = &NullLogger();

  // Where every answer is reported for the access log (http/access.h); nullptr: no access log
  // and none of its work. Not owned; must outlive the Server.
  AccessSink* access_log = nullptr;
};

// Stats are totals since Start, summed over loops; each field is read atomically, but the
// set is not one snapshot.
struct Stats {
  uint64_t connections_accepted = 0;  // including rejected ones
  uint64_t connections_rejected = 0;  // over max_connections or max_connections_per_address,
                                      // or shed for want of descriptors (answered 503)
  uint64_t connections_open = 0;      // open now, not counting rejected ones
  uint64_t requests = 0;              // complete requests handed to the handler
  uint64_t responses_1xx = 0;
  uint64_t responses_2xx = 0;
  uint64_t responses_3xx = 0;
  uint64_t responses_4xx = 0;
  uint64_t responses_5xx = 0;
  uint64_t parse_errors = 0;      // requests refused by the parser (4xx/5xx, then close)
  uint64_t request_timeouts = 0;  // answers the handler did not give in time (503)
  uint64_t header_timeouts = 0;   // requests not received in time (408)
  // Bytes of memory the open connections hold for requests now: receive buffers and decoded
  // bodies (capacity, not use). A gauge, unlike the totals above.
  uint64_t buffer_bytes = 0;
};

class Server {
 public:
  // `handler` must outlive the Server.
  Server(ServerOptions options, Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Start creates the loops and binds every listening socket; an error Status (Unavailable
  // when the address is in use, InvalidArgument for a bad host) if that fails.
  Status Start();

  // port is the bound port (useful after binding port 0); 0 before Start.
  uint16_t port() const;

  // Run runs the loops, the calling thread being one of them, until a drain has finished.
  void Run();

  // Stop begins the drain: stop accepting, close idle connections, let requests in flight
  // be answered and written (with Connection: close), then close; Run then returns.
  // Not async-signal-safe: from a signal handler, use StopOnSignals instead.
  void Stop();

  // StopOnSignals makes SIGINT and SIGTERM call Stop (an Asio signal_set on the first loop),
  // after calling `on_signal` (if given; on loop 0, at once: readiness turns off there) and
  // waiting ServerOptions::drain_delay while still serving; a second signal during the delay
  // or the drain ends the process at once (std::_Exit(128 + signal)). It
  // also ignores SIGPIPE for the whole process, so that a write to a closed pipe (a log line
  // to a stderr whose reader went away) is an error, not death. Call after Start and before
  // Run.
  void StopOnSignals(std::function<void()> on_signal = {});

  Stats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::http

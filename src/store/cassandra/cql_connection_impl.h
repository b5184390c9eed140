// cql_connection_impl: the inside of a Connection (cql_connection.h), shared by the two files
// that implement it: cql_connection.cc (I/O, the stream table, the ticker) and
// cql_connection_handshake.cc (OPTIONS, STARTUP, authentication, USE). Include it nowhere
// else.
//
// Everything here runs on the connection's strand (see cql_connection.cc's comment); the
// atomics of Connection are the only state other threads read.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/deadline_table.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_transport.h"

namespace shoal::store::cassandra {

namespace connection_detail {

inline constexpr Duration kTick = std::chrono::milliseconds(5);

inline TimePoint Now() { return std::chrono::steady_clock::now(); }

}  // namespace connection_detail

struct Connection::Impl {
  enum class State { kConnecting, kReady, kClosed };
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  // `tls` null: plain TCP.
  Impl(boost::asio::io_context& io, ConnectionOptions o,
       std::shared_ptr<boost::asio::ssl::context> tls)
      : options(std::move(o)),
        strand(boost::asio::make_strand(io)),
        transport(strand, std::move(tls)),
        resolver(strand),
        timer(strand),
        decoder(FrameDecoder::Options{
            .version = kProtocolVersion, .expect_responses = true, .max_body = options.max_body}) {}

  const ConnectionOptions options;
  Strand strand;
  Transport transport;
  boost::asio::ip::tcp::resolver resolver;
  boost::asio::steady_timer timer;
  FrameDecoder decoder;

  State state = State::kConnecting;
  TimePoint connect_deadline;
  ConnectCallback connected;                    // until the handshake ends
  std::function<void(const Status&)> on_close;  // once ready

  // Compression: set once the server took STARTUP with COMPRESSION=lz4. Request frames with
  // a body of at least options.compression_threshold bytes are then compressed; every
  // response with the flag is inflated into `inflated` (valid during its Dispatch).
  bool compress_out = false;
  std::string inflated;

  // Requests in flight by stream id; the table keeps a lower bound of their deadlines, so a
  // tick scans it only when some request may really have expired.
  DeadlineTable<int16_t, ResponseCallback> pending;
  std::vector<int16_t> free_ids;
  size_t next_unused = 0;

  std::string out;      // frames waiting for the next write
  std::string writing;  // the frames of the write in progress
  bool write_busy = false;

  TimePoint last_read;
  bool heartbeat_out = false;
  TimePoint heartbeat_sent;
  TimePoint timer_due = TimePoint::max();
};

// The connection's logic lives in these static functions over a shared_ptr, so every pending
// handler keeps the connection alive.
using ConnPtr = std::shared_ptr<Connection>;

class ConnectionOps {
 public:
  static void Start(const ConnPtr& c);
  static void Fail(const ConnPtr& c, const Status& cause);
  static void Enqueue(const ConnPtr& c, const FrameBuilder& build, TimePoint deadline,
                      ResponseCallback done);
  // Refuse completes a request that got no stream id, from a later strand turn.
  static void Refuse(const ConnPtr& c, ResponseCallback done, Status why);
  static void Kick(const ConnPtr& c);
  static void Read(const ConnPtr& c);
  static void Dispatch(const ConnPtr& c, const Frame& frame);
  static void ArmTimer(const ConnPtr& c, Duration delay);
  static void Tick(const ConnPtr& c);
  // The handshake (cql_connection_handshake.cc): Negotiate sends OPTIONS when compression is
  // wanted and STARTUP asks for lz4 if SUPPORTED offers it; then Startup, Authenticate,
  // UseKeyspace, Ready.
  static void Negotiate(const ConnPtr& c);
  static void Startup(const ConnPtr& c, bool lz4);
  static void Authenticate(const ConnPtr& c, std::string_view authenticator);
  static void UseKeyspace(const ConnPtr& c);
  static void Ready(const ConnPtr& c);
  static Status HandshakeError(const Connection& c, std::string_view step, const Frame& frame);
  static Connection::Impl& I(const ConnPtr& c) { return *c->impl_; }
  // Own wraps the answer handler of one of the connection's own requests (handshake,
  // heartbeat) so that it holds the connection weakly: it waits in the connection's own table,
  // where a strong reference would make a cycle that keeps a connection nobody closed (one
  // still dialling when its session shut down) alive forever.
  template <typename F>
  static ResponseCallback Own(const ConnPtr& c, F f) {
    return [w = std::weak_ptr<Connection>(c), f = std::move(f)](Result<Frame> r) mutable {
      if (ConnPtr strong = w.lock()) f(strong, std::move(r));
    };
  }
  static void SetInFlight(const ConnPtr& c) {
    c->in_flight_.store(I(c).pending.live(), std::memory_order_relaxed);
    c->quarantined_.store(I(c).pending.quarantined(), std::memory_order_relaxed);
  }
  static void Count(std::atomic<uint64_t> Connection::*counter, const ConnPtr& c, uint64_t n) {
    ((*c).*counter).fetch_add(n, std::memory_order_relaxed);
  }
  static void LogFault(const ConnPtr& c, const std::string& message) {
    const ConnectionOptions& o = I(c).options;
    const Log log(o.logger, "cassandra");
    if (o.fault_limiter) {
      o.fault_limiter->Write(log, LogLevel::kError, message);
    } else {
      log.Error(message);
    }
  }
  static void MarkClosed(const ConnPtr& c) { c->closed_.store(true, std::memory_order_release); }
  static const std::string& Address(const ConnPtr& c) { return c->address_; }
  static ConnPtr Make(boost::asio::io_context& io, ConnectionOptions options,
                      std::shared_ptr<boost::asio::ssl::context> tls) {
    return ConnPtr(
        new Connection(std::make_unique<Connection::Impl>(io, std::move(options), std::move(tls))));
  }
};

}  // namespace shoal::store::cassandra

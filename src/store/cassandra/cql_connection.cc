// cql_connection: see cql_connection.h.
//
// Everything a connection does runs on its strand: the handshake, writes, reads, the ticker,
// and every callback. Send and Close called elsewhere only post there, so the connection's
// state (the stream table, the write queue, the decoder) needs no lock; the atomics in
// Connection are the only state other threads read. Send called on the strand (from one of
// this connection's callbacks) enqueues at once, which is safe because every loop that runs
// callbacks (Dispatch, Tick, Fail) takes its entries out of the table before calling them.
// Refusals are always posted, so no callback ever runs inside Send.
//
// Stream ids: `next_unused` hands out ids 0, 1, 2, ... the first time, then ids come back
// through `free_ids`, so a connection with 10 requests in flight uses ids 0..9 and never walks
// 32768 slots. A request that times out keeps its id (quarantined in `pending`, base's
// DeadlineTable with OnExpiry::kQuarantine) until its answer comes, because the server may
// still send it; the answer is then dropped and the id freed.
//
// The ticker (one steady_timer): while requests are in flight (or the handshake runs) it
// ticks every kTick and fails requests past their deadlines, scanning the table only once
// the earliest recorded deadline has passed; when idle it sleeps until the next heartbeat is
// due. A Send into an idle connection pulls the next tick in.
//
// The bytes go through a Transport (cql_transport.h): plain TCP, or TLS once its handshake
// has passed. Compression sits between the frames and the transport: Enqueue compresses a
// request frame in place in the write queue, Read inflates a response before Dispatch.
#include "store/cassandra/cql_connection.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "base/host_port.h"
#include "store/cassandra/cql_compression.h"
#include "store/cassandra/cql_connection_impl.h"
#include "store/cassandra/cql_request.h"

namespace shoal::store::cassandra {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using connection_detail::kTick;
using connection_detail::Now;

namespace {

bool ValidKeyspace(std::string_view ks) {
  if (ks.empty() || ks.size() > 48) return false;
  return std::all_of(ks.begin(), ks.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  address_ = FormatHostPort(impl_->options.host, impl_->options.port);
}

Connection::~Connection() = default;

void Connection::Connect(asio::io_context& io, ConnectionOptions options,
                         std::function<void(const Status&)> on_close, ConnectCallback done) {
  std::shared_ptr<asio::ssl::context> tls;
  if (options.tls.enabled()) {
    // A missing or bad file is the operator's to fix: InvalidArgument naming the key.
    Result<std::shared_ptr<asio::ssl::context>> made = MakeTlsContext(options.tls);
    if (!made.ok()) {
      asio::post(io, [done = std::move(done), st = made.status()] { done(st); });
      return;
    }
    tls = std::move(made).value();
  }
  ConnPtr c = ConnectionOps::Make(io, std::move(options), std::move(tls));
  Impl& s = *c->impl_;
  s.on_close = std::move(on_close);
  s.connected = std::move(done);
  asio::post(s.strand, [c] { ConnectionOps::Start(c); });
}

void Connection::Send(FrameBuilder build, TimePoint deadline, ResponseCallback done) {
  ConnPtr self = shared_from_this();
  if (impl_->strand.running_in_this_thread()) {
    ConnectionOps::Enqueue(self, build, deadline, std::move(done));
    return;
  }
  asio::post(impl_->strand,
             [self, build = std::move(build), deadline, done = std::move(done)]() mutable {
               ConnectionOps::Enqueue(self, build, deadline, std::move(done));
             });
}

void Connection::Close() {
  ConnPtr self = shared_from_this();
  asio::post(impl_->strand, [self] {
    ConnectionOps::Fail(self, Status::Unavailable("cassandra: " + self->address_ +
                                                  ": connection closed by the client"));
  });
}

void ConnectionOps::Start(const ConnPtr& c) {
  Connection::Impl& s = I(c);
  s.connect_deadline = Now() + s.options.connect_timeout;
  if (!s.options.keyspace.empty() && !ValidKeyspace(s.options.keyspace)) {
    Fail(c, Status::InvalidArgument("cassandra: keyspace '" + s.options.keyspace +
                                    "' is not a valid name (letters, digits, _)"));
    return;
  }
  ArmTimer(c, kTick);
  s.resolver.async_resolve(
      s.options.host, std::to_string(s.options.port),
      [c](const boost::system::error_code& ec, const tcp::resolver::results_type& results) {
        if (I(c).state == Connection::Impl::State::kClosed) return;
        if (ec) {
          Fail(c, Status::Unavailable("cassandra: " + Address(c) +
                                      ": cannot resolve: " + ec.message()));
          return;
        }
        asio::async_connect(I(c).transport.tcp(), results,
                            [c](const boost::system::error_code& ec2, const tcp::endpoint&) {
                              if (I(c).state == Connection::Impl::State::kClosed) return;
                              if (ec2) {
                                Fail(c, Status::Unavailable("cassandra: " + Address(c) +
                                                            ": connect: " + ec2.message()));
                                return;
                              }
                              boost::system::error_code ignored;
                              I(c).transport.tcp().set_option(tcp::no_delay(true), ignored);
                              const ConnectionOptions& o = I(c).options;
                              I(c).transport.ClientHandshake(
                                  o.host, o.tls.verify_hostname, [c](const std::string& error) {
                                    if (I(c).state == Connection::Impl::State::kClosed) return;
                                    if (!error.empty()) {
                                      Fail(c,
                                           Status::Unavailable("cassandra: TLS handshake with " +
                                                               Address(c) + " failed: " + error));
                                      return;
                                    }
                                    I(c).last_read = Now();
                                    Read(c);
                                    Negotiate(c);
                                  });
                            });
      });
}

void ConnectionOps::Ready(const ConnPtr& c) {
  Connection::Impl& s = I(c);
  if (s.state != Connection::Impl::State::kConnecting) return;
  s.state = Connection::Impl::State::kReady;
  ConnectCallback done = std::move(s.connected);
  s.connected = nullptr;
  done(c);
}

void ConnectionOps::Fail(const ConnPtr& c, const Status& cause) {
  Connection::Impl& s = I(c);
  if (s.state == Connection::Impl::State::kClosed) return;
  const bool was_ready = s.state == Connection::Impl::State::kReady;
  s.state = Connection::Impl::State::kClosed;
  MarkClosed(c);
  s.resolver.cancel();
  s.transport.Close();
  s.timer.cancel();
  std::vector<ResponseCallback> pending = s.pending.TakeAll();
  SetInFlight(c);
  const Status failed = cause.code() == StatusCode::kUnavailable
                            ? cause
                            : Status::Unavailable(std::string(cause.message()));
  for (auto& done : pending) done(failed);
  if (!was_ready) {
    if (s.connected) {
      ConnectCallback done = std::move(s.connected);
      s.connected = nullptr;
      done(cause);
    }
    return;
  }
  if (s.on_close) {
    auto on_close = std::move(s.on_close);
    s.on_close = nullptr;
    on_close(cause);
  }
}

void ConnectionOps::Enqueue(const ConnPtr& c, const FrameBuilder& build, TimePoint deadline,
                            ResponseCallback done) {
  Connection::Impl& s = I(c);
  if (s.state == Connection::Impl::State::kClosed) {
    return Refuse(c, std::move(done),
                  Status::Unavailable("cassandra: " + Address(c) + ": connection closed"));
  }
  if (Now() >= deadline) {  // spent before it could be sent: no stream id for it
    return Refuse(
        c, std::move(done),
        Status::DeadlineExceeded("cassandra: " + Address(c) + ": deadline passed before sending"));
  }
  int16_t id = 0;
  if (!s.free_ids.empty()) {
    id = s.free_ids.back();
    s.free_ids.pop_back();
  } else if (s.next_unused < Connection::kMaxStreams) {
    id = static_cast<int16_t>(s.next_unused++);
  } else {
    return Refuse(c, std::move(done),
                  Status::ResourceExhausted(
                      "cassandra: " + Address(c) + ": all " +
                      std::to_string(Connection::kMaxStreams) + " stream ids are in use (" +
                      std::to_string(s.pending.quarantined()) + " quarantined)"));
  }
  const size_t before = s.out.size();
  if (Status st = build(s.out, id); !st.ok()) {
    s.out.resize(before);
    s.free_ids.push_back(id);
    return Refuse(c, std::move(done), std::move(st));
  }
  if (s.compress_out && CompressFrameBody(s.out, before, s.options.compression_threshold)) {
    Count(&Connection::frames_compressed_, c, 1);
  }
  s.pending.Add(id, std::move(done), deadline);
  SetInFlight(c);
  if (s.timer_due > Now() + kTick) ArmTimer(c, kTick);
  Kick(c);
}

void ConnectionOps::Refuse(const ConnPtr& c, ResponseCallback done, Status why) {
  asio::post(I(c).strand, [done = std::move(done), why = std::move(why)] { done(why); });
}

void ConnectionOps::Kick(const ConnPtr& c) {
  Connection::Impl& s = I(c);
  if (s.write_busy || s.out.empty() || s.state == Connection::Impl::State::kClosed) return;
  s.write_busy = true;
  s.writing.swap(s.out);
  s.out.clear();
  Count(&Connection::bytes_written_, c, s.writing.size());
  s.transport.AsyncWrite(asio::buffer(s.writing), [c](const boost::system::error_code& ec, size_t) {
    Connection::Impl& st = I(c);
    st.write_busy = false;
    st.writing.clear();
    if (ec) {
      Fail(c, Status::Unavailable("cassandra: " + Address(c) + ": write: " + ec.message()));
      return;
    }
    Kick(c);
  });
}

void ConnectionOps::Read(const ConnPtr& c) {
  Connection::Impl& s = I(c);
  std::span<char> space = s.decoder.Prepare();
  s.transport.AsyncReadSome(
      asio::buffer(space.data(), space.size()), [c](const boost::system::error_code& ec, size_t n) {
        Connection::Impl& st = I(c);
        if (st.state == Connection::Impl::State::kClosed) return;
        if (ec) {
          Fail(c, Status::Unavailable("cassandra: " + Address(c) + ": " +
                                      (ec == asio::error::eof ? std::string("closed by the server")
                                                              : "read: " + ec.message())));
          return;
        }
        st.decoder.Commit(n);
        Count(&Connection::bytes_read_, c, n);
        st.last_read = Now();
        for (;;) {
          Result<std::optional<Frame>> f = st.decoder.Next();
          if (f.ok() && *f && ((*f)->header.flags & frame_flag::kCompression)) {
            Result<Frame> plain = InflateFrame(**f, st.options.max_body, st.inflated);
            if (plain.ok()) {
              Count(&Connection::frames_decompressed_, c, 1);
              *f = *plain;
            } else {
              f = plain.status();
            }
          }
          if (!f.ok()) {
            LogFault(c, "malformed frame from " + Address(c) + ": " +
                            std::string(f.status().message()) + "; closing the connection");
            const Status cause = st.state == Connection::Impl::State::kConnecting
                                     ? Status::InvalidArgument("cassandra: " + Address(c) + ": " +
                                                               std::string(f.status().message()))
                                     : Status::Unavailable("cassandra: " + Address(c) + ": " +
                                                           std::string(f.status().message()));
            Fail(c, cause);
            return;
          }
          if (!*f) break;
          Dispatch(c, **f);
          if (st.state == Connection::Impl::State::kClosed) return;
        }
        Read(c);
      });
}

void ConnectionOps::Dispatch(const ConnPtr& c, const Frame& frame) {
  Connection::Impl& s = I(c);
  if (frame.header.stream < 0) {  // an EVENT: only the control connection registers for them
    if (s.options.on_event) s.options.on_event(frame);
    return;
  }
  std::optional<ResponseCallback> done = s.pending.Take(frame.header.stream);
  if (!done) return;  // not ours (a server bug): nothing waits for it
  s.free_ids.push_back(frame.header.stream);
  SetInFlight(c);
  if (*done) (*done)(frame);  // empty: the answer to a quarantined id, dropped
}

void ConnectionOps::ArmTimer(const ConnPtr& c, Duration delay) {
  Connection::Impl& s = I(c);
  if (s.state == Connection::Impl::State::kClosed) return;
  s.timer_due = Now() + delay;
  s.timer.expires_after(delay);
  s.timer.async_wait([c](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed or closed
    Tick(c);
  });
}

void ConnectionOps::Tick(const ConnPtr& c) {
  Connection::Impl& s = I(c);
  if (s.state == Connection::Impl::State::kClosed) return;
  const TimePoint now = Now();
  s.timer_due = TimePoint::max();
  if (s.state == Connection::Impl::State::kConnecting && now >= s.connect_deadline) {
    Fail(c, Status::Unavailable(
                "cassandra: " + Address(c) + ": no answer within the connect " + "timeout of " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(s.options.connect_timeout)
                        .count()) +
                " ms"));
    return;
  }
  // Deadlines. Collect first: a callback may Send, which changes the table.
  if (s.pending.Due(now)) {
    std::vector<ResponseCallback> expired;
    s.pending.Expire(now, DeadlineTable<int16_t, ResponseCallback>::OnExpiry::kQuarantine, expired);
    SetInFlight(c);
    for (auto& done : expired) {
      done(Status::DeadlineExceeded("cassandra: " + Address(c) + ": no answer in time"));
    }
    if (s.state == Connection::Impl::State::kClosed) return;
  }
  if (s.pending.quarantined() > Connection::kMaxQuarantined) {
    Fail(c, Status::Unavailable("cassandra: " + Address(c) + ": " +
                                std::to_string(s.pending.quarantined()) +
                                " requests unanswered past their deadlines; reconnecting"));
    return;
  }
  // Heartbeat.
  if (s.state == Connection::Impl::State::kReady) {
    if (s.heartbeat_out) {
      if (now - s.heartbeat_sent >= s.options.heartbeat_timeout) {
        Fail(c, Status::Unavailable("cassandra: " + Address(c) +
                                    ": no answer to a heartbeat; the connection is dead"));
        return;
      }
    } else if (now - s.last_read >= s.options.heartbeat_interval) {
      s.heartbeat_out = true;
      s.heartbeat_sent = now;
      Enqueue(
          c,
          [](std::string& out, int16_t stream) {
            AppendOptions(out, stream);
            return Status();
          },
          TimePoint::max(),
          Own(c, [](const ConnPtr& conn, const Result<Frame>&) { I(conn).heartbeat_out = false; }));
    }
  }
  Duration next = kTick;
  if (s.pending.empty() && s.state == Connection::Impl::State::kReady) {
    const TimePoint due = s.heartbeat_out ? s.heartbeat_sent + s.options.heartbeat_timeout
                                          : s.last_read + s.options.heartbeat_interval;
    next = std::max<Duration>(kTick, due - now);
  }
  ArmTimer(c, next);
}

}  // namespace shoal::store::cassandra

// Server and Loop: listening sockets, event loops, the ticker and the drain.
//
// Why one listening socket per loop (SO_REUSEPORT) rather than one acceptor handing sockets
// to loops: the kernel then spreads new connections over the loops by a hash of the
// 4-tuple, with no lock, no cross-thread handoff and no thundering herd, and each connection
// lives and dies on the thread that accepted it (nginx's `reuseport` works the same way).
// The cost: a loop that is busy cannot pass its queued connections to an idle one, which is
// acceptable because handlers never block a loop (slow work is deferred off it).
//
// Drain: Stop posts BeginDrain to every loop. A loop closes its acceptor, closes its idle
// sessions and lets busy ones finish; when its last session is gone it cancels the ticker,
// its io_context runs out of work and run() returns. Run joins all loop threads. The signal
// set (loop 0) stays armed through the drain, so that a second signal exits at once; the
// last loop to finish its drain lets it go. With ServerOptions::drain_delay, the first signal
// arms a timer on loop 0 instead, and its expiry calls Stop: the loops serve as before until
// then.
//
// Out of descriptors: accept failing with EMFILE/ENFILE would leave the connection in the
// backlog and the accept retried in vain; instead the loop closes its spare descriptor,
// accepts into its place, answers 503, closes, and opens the spare again.
//
// Thread-safety: see server.h. The loops vector is written only by Start.
#include "http/server.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/session_internal.h"

namespace shoal::http {
namespace internal {
namespace {

Limits LimitsFrom(const ServerOptions& o) {
  Limits l;
  l.max_request_line = o.max_request_line;
  l.max_header_bytes = o.max_header_bytes;
  l.max_headers = o.max_headers;
  l.max_body = o.max_body;
  return l;
}

// A few ticks per shortest timeout, within [5 ms, 250 ms].
Duration TickFor(const ServerOptions& o) {
  Duration shortest =
      std::min({o.idle_timeout, o.header_timeout, o.request_timeout, o.first_byte_timeout});
  Duration t = shortest / 4;
  return std::clamp<Duration>(t, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
}

// ShedResponse is the whole answer written to a connection accepted only to be refused.
std::string ShedResponse(const Bytes& body) {
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) +
         "\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" +
         std::string(body.view());
}

bool OutOfDescriptors(const boost::system::error_code& ec) {
  return ec.category() == boost::system::system_category() &&
         (ec.value() == EMFILE || ec.value() == ENFILE);
}

}  // namespace

bool AddressCounts::Acquire(const asio::ip::address& address, size_t cap) {
  MutexLock lock(mu_);
  size_t& n = open_[address];
  if (n >= cap) return false;
  ++n;
  return true;
}

void AddressCounts::Release(const asio::ip::address& address) {
  MutexLock lock(mu_);
  auto it = open_.find(address);
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

Loop::Loop(const ServerOptions& opts, Handler& h, std::atomic<size_t>* open,
           AddressCounts* per_address_counts, std::function<void()> drained)
    : io(1),  // one thread runs this loop; posts from other threads still lock
      options(opts),
      limits(LimitsFrom(opts)),
      handler(h),
      open_connections(open),
      per_address(per_address_counts),
      log(opts.logger, "http"),
      tick(TickFor(opts)),
      timeout_body(ErrorBody(503, "timed out")),
      overload_body(ErrorBody(503, "too many connections")),
      address_overload_body(ErrorBody(503, "too many connections from this address")),
      internal_error_body(ErrorBody(500, "internal error")),
      shed_response(ShedResponse(overload_body)),
      acceptor(io),
      ticker_(io),
      accept_retry_(io),
      drained_(std::move(drained)) {}

Loop::~Loop() {
  // Sessions hold sockets of `io`: let them go while it still exists.
  sessions_.clear();
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

boost::system::error_code Loop::Listen(const asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return ec;
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return ec;
  int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    return {errno, boost::system::system_category()};
  }
  acceptor.bind(endpoint, ec);
  if (ec) return ec;
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

void Loop::Begin() {
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Accept();
  ticker_.expires_after(tick);
  // `this` is safe in the handlers below: the Loop owns the io_context, whose handlers run
  // only inside run() and are destroyed, never run, when it is destroyed.
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Tick();
  });
}

void Loop::Accept() {
  if (draining_) return;
  acceptor.async_accept(io,
                        [this](const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
                          OnAccept(ec, std::move(socket));
                        });
}

void Loop::OnAccept(const boost::system::error_code& ec, asio::ip::tcp::socket socket) {
  if (draining_ || ec == asio::error::operation_aborted) return;
  if (OutOfDescriptors(ec) && Shed()) {
    // The connection is refused rather than left in the backlog (M5); the next one may
    // find a descriptor again.
    accept_errors_.Write(log, LogLevel::kWarn,
                         "accept failed: " + ec.message() +
                             "; out of file descriptors: shedding new connections with 503");
    Accept();
    return;
  }
  if (ec) {
    // Out of file descriptors with no spare left (or similar): retrying at once would spin.
    accept_errors_.Write(log, LogLevel::kWarn,
                         "accept failed: " + ec.message() + "; retrying every 50 ms");
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([this](const boost::system::error_code& wait_ec) {
      if (!wait_ec) Accept();
    });
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  Bump(counters.accepted);
  const size_t open_before = open_connections->fetch_add(1, std::memory_order_relaxed);
  bool admitted = open_before < options.max_connections;
  const Bytes* refusal = &overload_body;
  std::optional<asio::ip::address> address;
  if (admitted && options.max_connections_per_address > 0) {
    boost::system::error_code remote_ec;
    const asio::ip::tcp::endpoint remote = socket.remote_endpoint(remote_ec);
    if (!remote_ec) {
      if (per_address->Acquire(remote.address(), options.max_connections_per_address)) {
        address = remote.address();
      } else {
        admitted = false;
        refusal = &address_overload_body;
      }
    }
  }
  if (!admitted) {
    open_connections->fetch_sub(1, std::memory_order_relaxed);
    Bump(counters.rejected);
  }
  auto session = std::make_shared<Session>(this, std::move(socket), admitted, std::move(address));
  Add(session);
  if (admitted) {
    session->Start();
  } else {
    session->StartRejected(*refusal);
  }
  Accept();
}

bool Loop::Shed() {
  if (spare_fd_ < 0) return false;
  ::close(spare_fd_);
  spare_fd_ = -1;
  const int fd =
      ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    Bump(counters.accepted);
    Bump(counters.rejected);
    // Best effort, never blocking: read what the client already sent (so that closing does
    // not reset the connection under our answer), answer, close.
    char sink[4096];
    while (::recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0) {
    }
    (void)::send(fd, shed_response.data(), shed_response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }
  spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0 || spare_fd_ >= 0;
}

void Loop::Tick() {
  const TimePoint now = std::chrono::steady_clock::now();
  // Backwards, because a session that closes is swapped with the last one of the registry.
  for (size_t i = sessions_.size(); i-- > 0;) {
    if (i >= sessions_.size()) continue;
    std::shared_ptr<Session> s = sessions_[i];
    s->Tick(now);
  }
  if (draining_ && sessions_.empty()) {
    Drained();
    return;
  }
  ticker_.expires_after(tick);
  ticker_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Tick();
  });
}

void Loop::BeginDrain() {
  if (draining_) return;
  draining_ = true;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  accept_retry_.cancel();
  std::vector<std::shared_ptr<Session>> all = sessions_;  // Drain may remove from sessions_
  for (const auto& s : all) s->Drain();
  if (sessions_.empty()) Drained();
}

void Loop::Drained() {
  ticker_.cancel();
  if (drained_called_) return;
  drained_called_ = true;
  if (drained_) drained_();
}

void Loop::Add(const std::shared_ptr<Session>& session) {
  session->registry_index = sessions_.size();
  sessions_.push_back(session);
}

void Loop::Remove(Session* session) {
  const size_t i = session->registry_index;
  if (i >= sessions_.size() || sessions_[i].get() != session) return;
  if (i + 1 != sessions_.size()) {
    sessions_[i] = std::move(sessions_.back());
    sessions_[i]->registry_index = i;
  }
  sessions_.pop_back();
  if (draining_ && sessions_.empty()) Drained();
}

}  // namespace internal

class Server::Impl {
 public:
  Impl(ServerOptions o, Handler& h) : options(std::move(o)), handler(h) {}

  ServerOptions options;
  Handler& handler;
  std::atomic<size_t> open_connections{0};
  internal::AddressCounts per_address;
  std::atomic<size_t> loops_draining{0};  // loops whose drain has not finished
  std::atomic<bool> stop_requested{false};
  Log log{options.logger, "http"};
  uint16_t port = 0;
  std::vector<std::unique_ptr<internal::Loop>> loops;  // written by Start only
  // On loop 0: the drain_delay after the first signal. Declared after the loops: destroyed
  // before their io_contexts.
  std::unique_ptr<boost::asio::steady_timer> drain_timer;
};

Server::Server(ServerOptions options, Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() = default;

Status Server::Start() {
  namespace asio = boost::asio;
  if (!impl_->loops.empty()) return Status::Internal("Server::Start called twice");
  const ServerOptions& o = impl_->options;
  boost::system::error_code ec;
  asio::ip::address address =
      asio::ip::make_address(o.host == "localhost" ? std::string("127.0.0.1") : o.host, ec);
  if (ec) return Status::InvalidArgument("bad listen host '" + o.host + "': " + ec.message());
  size_t threads = o.threads > 0 ? static_cast<size_t>(o.threads)
                                 : std::max(1u, std::thread::hardware_concurrency());
  uint16_t port = o.port;
  for (size_t i = 0; i < threads; ++i) {
    // When the last loop has drained, the signal set (on loop 0) is let go, so that loop 0
    // runs out of work too; until then a second signal still finds it armed.
    auto loop =
        std::make_unique<internal::Loop>(impl_->options, impl_->handler, &impl_->open_connections,
                                         &impl_->per_address, [impl = impl_.get()] {
                                           if (impl->loops_draining.fetch_sub(1) != 1) return;
                                           internal::Loop* loop0 = impl->loops[0].get();
                                           boost::asio::post(loop0->io, [loop0] {
                                             boost::system::error_code ignored;
                                             if (loop0->signals != nullptr)
                                               loop0->signals->cancel(ignored);
                                           });
                                         });
    // The first bind may pick the port (port 0); the other loops join that port.
    ec = loop->Listen(asio::ip::tcp::endpoint(address, port));
    if (ec) {
      impl_->loops.clear();
      std::string where = o.host + ":" + std::to_string(port);
      if (ec == asio::error::address_in_use || ec == asio::error::access_denied) {
        return Status::Unavailable("cannot listen on " + where + ": " + ec.message());
      }
      return Status::InvalidArgument("cannot listen on " + where + ": " + ec.message());
    }
    port = loop->acceptor.local_endpoint(ec).port();
    impl_->loops.push_back(std::move(loop));
  }
  impl_->port = port;
  impl_->loops_draining.store(impl_->loops.size());
  for (auto& loop : impl_->loops) loop->Begin();
  if (impl_->stop_requested.load()) Stop();
  return Status::Ok();
}

uint16_t Server::port() const { return impl_->port; }

namespace {

// RunLoop runs `loop` until it is out of work. An exception that escapes a handler (bad_alloc
// in a place no session guards) is logged and the loop goes on: it never ends the process.
void RunLoop(internal::Loop* loop) {
  while (true) {
    try {
      loop->io.run();
      return;
    } catch (const std::exception& e) {
      try {
        loop->faults.Write(loop->log, LogLevel::kError,
                           std::string("event loop: ") + e.what() + "; going on");
      } catch (const std::exception&) {
      }
    }
  }
}

}  // namespace

void Server::Run() {
  auto& loops = impl_->loops;
  if (loops.empty()) return;
  std::vector<std::thread> threads;
  threads.reserve(loops.size() - 1);
  for (size_t i = 1; i < loops.size(); ++i) {
    internal::Loop* loop = loops[i].get();
    threads.emplace_back([loop] { RunLoop(loop); });
  }
  RunLoop(loops[0].get());
  for (auto& t : threads) t.join();
}

void Server::Stop() {
  impl_->stop_requested.store(true);
  for (auto& loop : impl_->loops) {
    internal::Loop* l = loop.get();
    boost::asio::post(l->io, [l] { l->BeginDrain(); });
  }
}

void Server::StopOnSignals(std::function<void()> on_signal) {
  namespace asio = boost::asio;
  if (impl_->loops.empty()) return;
  internal::Loop* loop0 = impl_->loops[0].get();
  loop0->signals = std::make_unique<asio::signal_set>(loop0->io);
  boost::system::error_code ignored;
  loop0->signals->add(SIGINT, ignored);
  loop0->signals->add(SIGTERM, ignored);
  // A write to a closed pipe or socket (stderr read by a pipe that went away) must be an
  // EPIPE error, not the end of the process (L5).
  std::signal(SIGPIPE, SIG_IGN);
  // `this` outlives the handlers: ~Server destroys the loops, and with them the handlers.
  loop0->signals->async_wait([this, loop0, on_signal = std::move(on_signal)](
                                 const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (on_signal) on_signal();
    const Duration delay = impl_->options.drain_delay;
    if (delay > Duration::zero()) {
      impl_->log.Info(
          "signal " + std::to_string(signo) + ": not ready; draining in " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
          " ms (http.drain_delay); a second signal exits at once");
      impl_->drain_timer = std::make_unique<asio::steady_timer>(loop0->io, delay);
      impl_->drain_timer->async_wait([this](const boost::system::error_code& ec2) {
        if (!ec2) Stop();
      });
    } else {
      impl_->log.Info("signal " + std::to_string(signo) +
                      ": draining; a second signal exits at once");
      Stop();
    }
    // Armed again: an operator who asks twice does not wait for the delay or the drain.
    loop0->signals->async_wait([this](const boost::system::error_code& ec2, int signo2) {
      if (ec2) return;
      impl_->log.Warn("second signal " + std::to_string(signo2) +
                      " during the drain: exiting at once");
      std::_Exit(128 + signo2);
    });
  });
}

Stats Server::stats() const {
  Stats s;
  auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  for (const auto& loop : impl_->loops) {
    const internal::LoopCounters& c = loop->counters;
    s.connections_accepted += get(c.accepted);
    s.connections_rejected += get(c.rejected);
    s.requests += get(c.requests);
    s.responses_1xx += get(c.responses[0]);
    s.responses_2xx += get(c.responses[1]);
    s.responses_3xx += get(c.responses[2]);
    s.responses_4xx += get(c.responses[3]);
    s.responses_5xx += get(c.responses[4]);
    s.parse_errors += get(c.parse_errors);
    s.request_timeouts += get(c.request_timeouts);
    s.header_timeouts += get(c.header_timeouts);
    s.buffer_bytes += get(c.buffer_bytes);
  }
  s.connections_open = impl_->open_connections.load(std::memory_order_relaxed);
  return s;
}

}  // namespace shoal::http

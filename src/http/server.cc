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
// its io_context runs out of work and run() returns. Run joins all loop threads.
//
// Thread-safety: see server.h. The loops vector is written only by Start.
#include "http/server.h"

#include <algorithm>
#include <csignal>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <sys/socket.h>

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
  Duration shortest = std::min({o.idle_timeout, o.header_timeout, o.request_timeout});
  Duration t = shortest / 4;
  return std::clamp<Duration>(t, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
}

}  // namespace

Loop::Loop(const ServerOptions& opts, Handler& h, std::atomic<size_t>* open)
    : io(1),  // one thread runs this loop; posts from other threads still lock
      options(opts),
      limits(LimitsFrom(opts)),
      handler(h),
      open_connections(open),
      tick(TickFor(opts)),
      timeout_body(ErrorBody(503, "timed out")),
      overload_body(ErrorBody(503, "too many connections")),
      acceptor(io),
      ticker_(io),
      accept_retry_(io),
      log_(opts.logger, "http") {}

Loop::~Loop() {
  // Sessions hold sockets of `io`: let them go while it still exists.
  sessions_.clear();
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
  if (ec) {
    // Out of file descriptors (or similar): retrying at once would spin; wait a little.
    accept_errors_.Write(log_, LogLevel::kWarn,
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
  const bool admitted = open_before < options.max_connections;
  if (!admitted) {
    open_connections->fetch_sub(1, std::memory_order_relaxed);
    Bump(counters.rejected);
  }
  auto session = std::make_shared<Session>(this, std::move(socket), admitted);
  Add(session);
  if (admitted) {
    session->Start();
  } else {
    session->StartRejected();
  }
  Accept();
}

void Loop::Tick() {
  const TimePoint now = std::chrono::steady_clock::now();
  // Backwards, because a session that closes is swapped with the last one of the registry.
  for (size_t i = sessions_.size(); i-- > 0;) {
    if (i >= sessions_.size()) continue;
    std::shared_ptr<Session> s = sessions_[i];
    s->Tick(now);
  }
  if (draining_ && sessions_.empty()) return;
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
  if (signals != nullptr) signals->cancel(ignored);
  std::vector<std::shared_ptr<Session>> all = sessions_;  // Drain may remove from sessions_
  for (const auto& s : all) s->Drain();
  if (sessions_.empty()) ticker_.cancel();
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
  if (draining_ && sessions_.empty()) ticker_.cancel();
}

}  // namespace internal

class Server::Impl {
 public:
  Impl(ServerOptions o, Handler& h) : options(std::move(o)), handler(h) {}

  ServerOptions options;
  Handler& handler;
  std::atomic<size_t> open_connections{0};
  std::atomic<bool> stop_requested{false};
  uint16_t port = 0;
  std::vector<std::unique_ptr<internal::Loop>> loops;  // written by Start only
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
    auto loop =
        std::make_unique<internal::Loop>(impl_->options, impl_->handler, &impl_->open_connections);
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
  for (auto& loop : impl_->loops) loop->Begin();
  if (impl_->stop_requested.load()) Stop();
  return Status::Ok();
}

uint16_t Server::port() const { return impl_->port; }

void Server::Run() {
  auto& loops = impl_->loops;
  if (loops.empty()) return;
  std::vector<std::thread> threads;
  threads.reserve(loops.size() - 1);
  for (size_t i = 1; i < loops.size(); ++i) {
    internal::Loop* loop = loops[i].get();
    threads.emplace_back([loop] { loop->io.run(); });
  }
  loops[0]->io.run();
  for (auto& t : threads) t.join();
}

void Server::Stop() {
  impl_->stop_requested.store(true);
  for (auto& loop : impl_->loops) {
    internal::Loop* l = loop.get();
    boost::asio::post(l->io, [l] { l->BeginDrain(); });
  }
}

void Server::StopOnSignals() {
  namespace asio = boost::asio;
  if (impl_->loops.empty()) return;
  internal::Loop* loop0 = impl_->loops[0].get();
  loop0->signals = std::make_unique<asio::signal_set>(loop0->io);
  boost::system::error_code ignored;
  loop0->signals->add(SIGINT, ignored);
  loop0->signals->add(SIGTERM, ignored);
  // `this` outlives the handler: ~Server destroys the loops, and with them the handler.
  loop0->signals->async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) Stop();
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
  }
  s.connections_open = impl_->open_connections.load(std::memory_order_relaxed);
  return s;
}

}  // namespace shoal::http

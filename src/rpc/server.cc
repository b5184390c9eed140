// Server: the accept loop (admission under max_connections), Start (bind and listen) and
// Stop (close everything and wait for running Handler calls); server_conn.cc holds one
// connection's work and server_internal.h the pieces and their lock order.
#include "rpc/server.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

#include "base/host_port.h"
#include "rpc/server_internal.h"

namespace shoal::rpc {

using server_internal::tcp;

struct Server::State : ServerCore {
  using ServerCore::ServerCore;
};

void ServerCore::Accept() {
  if (stopped.load()) return;
  auto conn = std::make_shared<ServerConn>(shared_from_this());
  acceptor.async_accept(conn->stream.tcp(),
                        [self = shared_from_this(), conn](const boost::system::error_code& ec) {
                          self->OnAccept(conn, ec);
                        });
}

void ServerCore::OnAccept(const std::shared_ptr<ServerConn>& conn,
                          const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted || stopped.load()) return;
  if (ec) {
    // Out of descriptors or similar: retrying at once would spin; wait a little.
    accept_retry.expires_after(std::chrono::milliseconds(50));
    accept_retry.async_wait([self = shared_from_this()](const boost::system::error_code& wec) {
      if (!wec) self->Accept();
    });
    return;
  }
  bool admitted = false;
  std::string why;
  boost::system::error_code addr_ec;
  conn->address = conn->stream.tcp().remote_endpoint(addr_ec).address().to_string();
  {
    MutexLock lock(mu);
    // Checked under mu: Stop sets `stopped` before it takes mu to list the connections, so
    // a connection is either listed there or refused here.
    size_t& from_here = handshakes_by_address[conn->address];
    if (stopped.load()) {
      why.clear();
    } else if (conns.size() >= options.max_connections) {
      why = std::to_string(options.max_connections) + " connections open (max_connections)";
    } else if (handshakes >= options.max_handshakes) {
      why = std::to_string(options.max_handshakes) + " handshakes pending (max_handshakes)";
    } else if (from_here >= options.max_handshakes_per_address) {
      why = std::to_string(from_here) +
            " handshakes pending from this address (max_handshakes_per_address)";
    } else {
      conns.emplace(conn.get(), conn);
      ++handshakes;
      ++from_here;
      admitted = true;
    }
    if (from_here == 0) handshakes_by_address.erase(conn->address);
  }
  if (admitted) {
    accepted.fetch_add(1, std::memory_order_relaxed);
    open.fetch_add(1, std::memory_order_relaxed);
    asio::post(conn->strand, [conn] { conn->Start(); });
  } else if (!stopped.load()) {
    boost::system::error_code ignored;
    refused.fetch_add(1, std::memory_order_relaxed);
    refusal_log.Write(log, LogLevel::kWarn,
                      "refusing a connection from " +
                          internal::EndpointText(conn->stream.tcp().remote_endpoint(ignored)) +
                          ": " + why);
    conn->stream.tcp().close(ignored);
  }
  Accept();
}

void ServerCore::Remove(ServerConn* conn) {
  bool removed = false;
  {
    MutexLock lock(mu);
    removed = conns.erase(conn) > 0;
    if (removed && conn->in_handshake) {
      conn->in_handshake = false;
      ReleaseHandshake(conn->address);
    }
  }
  if (removed) open.fetch_sub(1, std::memory_order_relaxed);
}

void ServerCore::HandshakeDone(ServerConn* conn) {
  MutexLock lock(mu);
  if (!conn->in_handshake) return;
  conn->in_handshake = false;
  ReleaseHandshake(conn->address);
}

void ServerCore::ReleaseHandshake(const std::string& address) {
  if (handshakes > 0) --handshakes;
  auto it = handshakes_by_address.find(address);
  if (it != handshakes_by_address.end() && --it->second == 0) handshakes_by_address.erase(it);
}

void ServerCore::HandlerDone() {
  handling.fetch_sub(1);
  if (stopped.load()) {
    MutexLock lock(mu);
    cv.NotifyAll();
  }
}

void ServerCore::CloseDone() {
  closes_pending.fetch_sub(1);
  MutexLock lock(mu);
  cv.NotifyAll();
}

// ---- Server -------------------------------------------------------------------------------

Server::Server(Runtime& runtime, ServerOptions options, Handler& handler)
    : state_(std::make_shared<State>(runtime, std::move(options), handler)) {}

// Stop throws only if a mutex or an allocation fails: then nothing can be cleaned up.
Server::~Server() { Stop(); }  // NOLINT(bugprone-exception-escape)

Status Server::Start() {
  State& s = *state_;
  {
    MutexLock lock(s.mu);
    if (s.started) return Status::Internal("rpc::Server::Start called twice");
    if (s.stopped.load()) return Status::Internal("rpc::Server::Start after Stop");
    s.started = true;
  }
  const ServerOptions& o = s.options;
  const std::string where = FormatHostPort(o.host, o.port);
  if (o.secret.empty() && o.tls.ca.empty() && !o.allow_insecure && !IsLoopbackHost(o.host)) {
    return Status::InvalidArgument(
        "rpc: refusing to listen on " + where +
        " without a secret or TLS: anyone who reaches it could read and purge the cache; set "
        "cluster.secret or cluster.tls (or cluster.insecure)");
  }
  if (!o.tls.ca.empty()) {
    Result<std::shared_ptr<asio::ssl::context>> made =
        MakeTlsContext(o.tls, "cluster.tls", TlsRole::kServer);
    if (!made.ok()) return made.status();
    s.tls_context = *std::move(made);
  }
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  const asio::ip::address address =
      asio::ip::make_address(o.host == "localhost" ? std::string("127.0.0.1") : o.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, o.port);
  } else {
    tcp::resolver resolver(s.impl.io);
    tcp::resolver::results_type results = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("rpc: cannot listen on " + where + ": " +
                                     (ec ? ec.message() : std::string("no address")));
    }
    endpoint = results.begin()->endpoint();
  }
  s.acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR: a restarted node binds its port again at once, even while connections of
  // its previous run linger in TIME_WAIT.
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    if (ec == asio::error::address_in_use || ec == asio::error::access_denied) {
      return Status::Unavailable("rpc: cannot listen on " + where + ": " + ec.message());
    }
    return Status::InvalidArgument("rpc: cannot listen on " + where + ": " + ec.message());
  }
  s.port.store(s.acceptor.local_endpoint(ec).port());
  s.self = FormatHostPort(o.host, s.port.load());
  if (!o.self.empty()) {
    Result<HostPort> self = ParseHostPort(o.self);
    s.self = self.ok() ? self->ToString() : o.self;
  }
  asio::post(s.strand, [st = state_] { st->Accept(); });
  return Status::Ok();
}

uint16_t Server::port() const { return state_->port.load(); }

void Server::Stop() {
  State& s = *state_;
  if (s.stopped.exchange(true)) return;
  std::vector<std::shared_ptr<ServerConn>> conns;
  {
    MutexLock lock(s.mu);
    conns.reserve(s.conns.size());
    for (auto& [p, c] : s.conns) conns.push_back(c);
  }
  Runtime::Impl& impl = s.impl;
  auto close_acceptor = [st = state_] {
    boost::system::error_code ignored;
    st->acceptor.close(ignored);
    st->accept_retry.cancel();
  };
  if (impl.stopped.load()) {
    // No runtime thread is left to race with: close everything here.
    close_acceptor();
    for (auto& c : conns) c->Close();
    return;
  }
  s.closes_pending.fetch_add(static_cast<int64_t>(conns.size()) + 1);
  asio::post(s.strand, [st = state_, close_acceptor] {
    close_acceptor();
    st->CloseDone();
  });
  for (auto& c : conns) {
    asio::post(c->strand, [c, st = state_] {
      c->Close();
      st->CloseDone();
    });
  }
  // On a Runtime thread (a destructor run by a callback) waiting could deadlock on the very
  // strand we are on; the closes are posted and will happen.
  if (impl.OnRuntimeThread()) return;
  for (;;) {
    MutexLock lock(s.mu);
    const bool done = s.cv.WaitFor(s.mu, std::chrono::milliseconds(20), [&s] {
      return s.closes_pending.load() == 0 && s.handling.load() == 0;
    });
    if (done) return;
    if (impl.stopped.load()) return;  // the runtime stopped under us; nothing more will run
  }
}

ServerStats Server::Stats() const {
  const State& s = *state_;
  ServerStats st;
  st.connections_accepted = s.accepted.load(std::memory_order_relaxed);
  st.connections_refused = s.refused.load(std::memory_order_relaxed);
  st.oversized_replies = s.oversized.load(std::memory_order_relaxed);
  st.connections_open = static_cast<uint64_t>(std::max<int64_t>(0, s.open.load()));
  st.auth_failures = s.auth_failures.load(std::memory_order_relaxed);
  st.malformed = s.malformed.load(std::memory_order_relaxed);
  st.calls = s.calls.load(std::memory_order_relaxed);
  return st;
}

}  // namespace shoal::rpc

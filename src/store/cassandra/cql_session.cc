// cql_session: see cql_session.h. Session is the front; the work is in cql_pool (connections),
// cql_topology (discovery), cql_routing (the plan of nodes) and cql_executor (attempts,
// retries, re-prepare).
#include "store/cassandra/cql_session.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/host_port.h"
#include "base/mutex.h"
#include "store/cassandra/cql_blocking.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_executor.h"
#include "store/cassandra/cql_pool.h"
#include "store/cassandra/cql_routing.h"
#include "store/cassandra/cql_token.h"
#include "store/cassandra/cql_topology.h"
#include "store/cassandra/cql_types.h"

namespace shoal::store::cassandra {

namespace asio = boost::asio;

// Impl: the session's parts. Declared in the order they must be built; destroyed in reverse,
// so the executor and the pool (whose callbacks run on the io_context) go before it, and only
// after Shutdown joined the threads.
struct Session::Impl {
  explicit Impl(SessionOptions o) : options(std::move(o)), log(options.logger, "cassandra") {
    work.emplace(asio::make_work_guard(io));
    const size_t n = std::max<size_t>(1, options.io_threads);
    for (size_t i = 0; i < n; ++i) threads.emplace_back([this] { io.run(); });
  }

  ConnectionOptions ConnectionOptionsFor(const HostPort& hp) const {
    ConnectionOptions c;
    c.host = hp.host;
    c.port = hp.port;
    c.user = options.user;
    c.password = options.password;
    c.allowed_authenticators = options.allowed_authenticators;
    c.keyspace = options.keyspace;
    c.connect_timeout = options.connect_timeout;
    c.heartbeat_interval = options.heartbeat_interval;
    c.heartbeat_timeout = options.heartbeat_timeout;
    c.compression = options.compression;
    c.compression_threshold = options.compression_threshold;
    c.tls = TlsOptions{.ca = options.tls.ca,
                       .cert = options.tls.cert,
                       .key = options.tls.key,
                       .verify_hostname = options.tls.verify_hostname};
    c.logger = options.logger;
    c.fault_limiter = faults;
    return c;
  }

  // Unreachable is the error of a request that finds no node up.
  Status Unreachable() const {
    return Status::Unavailable("cassandra: no node is reachable (" + pool->LastErrors() + ")");
  }

  const SessionOptions options;
  const Log log;
  // Protocol faults and errors the operator must fix: a few lines per 10 s, the rest counted.
  const std::shared_ptr<LogLimiter> faults =
      std::make_shared<LogLimiter>(std::chrono::seconds(10), 5);
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  // Fixed by Open before any request; read without a lock afterwards.
  Topology topology;
  std::unique_ptr<Pool> pool;
  std::unique_ptr<Executor> executor;

  std::atomic<uint64_t> round_robin{0};
  Mutex shutdown_mu;
  bool shut_down SHOAL_GUARDED_BY(shutdown_mu) = false;
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Session::~Session() { Shutdown(); }

Result<std::unique_ptr<Session>> Session::Open(SessionOptions options) {
  if (options.contact_points.empty()) {
    return Status::InvalidArgument("cassandra: no contact points");
  }
  std::vector<HostPort> contacts;
  for (const std::string& c : options.contact_points) {
    Result<HostPort> hp = ParseHostPort(c, HostPortRules{.default_port = options.port});
    if (!hp.ok()) {
      return Status::InvalidArgument("cassandra: contact point: " +
                                     std::string(hp.status().message()));
    }
    contacts.push_back(std::move(hp).value());
  }
  std::vector<Cidr> networks;
  for (const std::string& n : options.node_networks) {
    Result<Cidr> cidr = Cidr::Parse(n);
    if (!cidr.ok()) {
      return Status::InvalidArgument("cassandra: node_networks: " +
                                     std::string(cidr.status().message()));
    }
    networks.push_back(*cidr);
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  std::unique_ptr<Session> session(new Session(std::move(impl)));
  Impl& s = *session->impl_;

  std::string errors;
  std::shared_ptr<Connection> control;
  HostPort contact;
  for (const HostPort& hp : contacts) {
    Result<std::shared_ptr<Connection>> c = ConnectAndWait(s.io, s.ConnectionOptionsFor(hp));
    if (c.ok()) {
      control = std::move(c).value();
      contact = hp;
      break;
    }
    // A refused login or keyspace would be refused by every node: stop here, say why.
    if (c.status().code() == StatusCode::kInvalidArgument) return c.status();
    if (!errors.empty()) errors += "; ";
    errors += c.status().message();
  }
  if (!control) {
    return Status::Unavailable("cassandra: no contact point answered: " + errors);
  }
  Discovery discovery;
  discovery.discover_peers = s.options.discover_peers;
  discovery.node_networks = networks;
  discovery.contact_points = contacts;
  discovery.timeout = s.options.connect_timeout;
  Result<Topology> topology = DiscoverTopology(*control, contact, discovery, s.log);
  control->Close();
  if (!topology.ok()) return topology.status();
  s.topology = std::move(topology).value();
  s.log.Info("discovered " + DescribeTopology(s.topology) + " (through " + contact.ToString() +
             ")");

  PoolOptions pool;
  pool.connection = s.ConnectionOptionsFor(contact);
  pool.connections_per_node = s.options.connections_per_node;
  pool.reconnect_initial = s.options.reconnect_initial;
  pool.reconnect_max = s.options.reconnect_max;
  pool.logger = s.options.logger;
  s.pool = std::make_unique<Pool>(s.io, std::move(pool), s.topology.nodes);
  s.executor = std::make_unique<Executor>(s.io, *s.pool, s.options, s.faults);
  // Wait for each slot's first outcome, so that Open returns with the pools as full as the
  // cluster allows.
  s.pool->Open(s.options.connect_timeout + std::chrono::seconds(1));
  if (s.pool->nodes_up() == 0) {
    return Status::Unavailable("cassandra: could not open a connection to any node: " +
                               s.pool->LastErrors());
  }
  return session;
}

Result<std::shared_ptr<const PreparedStatement>> Session::Prepare(std::string_view query,
                                                                  Duration timeout) {
  Impl& s = *impl_;
  std::shared_ptr<Connection> conn =
      s.pool->PickAny(s.round_robin.fetch_add(1, std::memory_order_relaxed));
  if (!conn) return s.Unreachable();
  auto statement = std::make_shared<PreparedStatement>();
  statement->query = std::string(query);
  const std::string* text = &statement->query;
  // A statement the server refuses here is the configuration's fault: ErrorStage::kSetup.
  Result<std::string> r = ResultOrError(
      SendAndWait(
          *conn,
          [text](std::string& out, int16_t stream) { return AppendPrepare(out, stream, *text); },
          timeout),
      conn->address(), ErrorStage::kSetup);
  if (!r.ok()) return r.status();
  statement->message = std::move(r).value();
  Result<ResultMessage> m = ParseResult(statement->message);
  if (!m.ok()) {
    return Status::Internal("cassandra: " + conn->address() +
                            ": bad RESULT: " + std::string(m.status().message()));
  }
  auto* prepared = std::get_if<PreparedResult>(&*m);
  if (prepared == nullptr) {
    return Status::Internal("cassandra: " + conn->address() + ": PREPARE was not answered " +
                            "with a prepared statement");
  }
  statement->result = std::move(*prepared);
  return std::shared_ptr<const PreparedStatement>(std::move(statement));
}

Result<std::string> Session::Run(std::string_view query, Duration timeout,
                                 Consistency consistency) {
  Impl& s = *impl_;
  std::shared_ptr<Connection> conn =
      s.pool->PickAny(s.round_robin.fetch_add(1, std::memory_order_relaxed));
  if (!conn) return s.Unreachable();
  return ResultOrError(SendAndWait(
                           *conn,
                           [query, consistency](std::string& out, int16_t stream) {
                             QueryParameters p;
                             p.consistency = consistency;
                             return AppendQuery(out, stream, query, p);
                           },
                           timeout),
                       conn->address(), ErrorStage::kRequest);
}

Status Session::BindValues(const PreparedStatement& statement, std::span<const Value> values,
                           std::string* encoded, std::string* routing_key, size_t* bad_marker) {
  const auto& columns = statement.result.bind_columns;
  if (values.size() != columns.size()) {
    return Status::InvalidArgument("cassandra: the statement has " +
                                   std::to_string(columns.size()) + " bind markers, given " +
                                   std::to_string(values.size()) + " values");
  }
  std::vector<size_t> starts;
  starts.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    starts.push_back(encoded->size());
    if (Status s = AppendBoundValue(*encoded, columns[i].type, values[i]); !s.ok()) {
      if (bad_marker != nullptr) *bad_marker = i;
      return Status::InvalidArgument("cassandra: bind marker " + std::to_string(i + 1) + " (" +
                                     std::string(columns[i].name) +
                                     "): " + std::string(s.message()));
    }
  }
  routing_key->clear();
  const auto& pk = statement.result.pk_indexes;
  if (pk.empty()) return Status();
  std::vector<std::string_view> parts;
  parts.reserve(pk.size());
  for (uint16_t index : pk) {
    WireReader r(std::string_view(*encoded).substr(starts[index]));
    std::optional<std::string_view> bytes;
    if (!r.Bytes(&bytes) || !bytes) return Status();  // a null key: no routing
    parts.push_back(*bytes);
  }
  *routing_key = RoutingKey(parts);
  return Status();
}

void Session::Execute(std::shared_ptr<const PreparedStatement> statement, std::string values,
                      uint16_t count, ExecuteOptions options, TimePoint deadline,
                      ResultCallback done) {
  Impl& s = *impl_;
  auto call = std::make_shared<Call>();
  call->statement = std::move(statement);
  call->values = std::move(values);
  call->count = count;
  call->options = std::move(options);
  call->deadline = deadline;
  call->done = std::move(done);
  call->plan = PlanRoute(s.topology.ring, s.pool->size(), call->options.routing_key,
                         s.round_robin.fetch_add(1, std::memory_order_relaxed));
  if (!s.executor->Start(call)) {
    // The I/O threads may be gone: answer here (the one callback that runs on the caller).
    call->done(Status::Cancelled("cassandra: the session is shut down"));
  }
}

void Session::Shutdown(Duration drain) {
  Impl& s = *impl_;
  MutexLock shutdown_lock(s.shutdown_mu);
  if (s.shut_down) return;
  s.shut_down = true;
  if (s.executor) {
    s.executor->Stop();
    s.executor->WaitIdle(drain);
  }
  if (s.pool) s.pool->Close();
  // Close fails what was still in flight; let those callbacks run before the threads stop.
  if (s.executor) s.executor->WaitIdle(std::chrono::seconds(1));
  s.work.reset();
  s.io.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  if (s.pool) s.pool->Clear();
}

void Session::Post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

size_t Session::nodes() const { return impl_->pool ? impl_->pool->size() : 0; }
size_t Session::nodes_up() const { return impl_->pool ? impl_->pool->nodes_up() : 0; }
uint64_t Session::reprepares() const { return impl_->executor ? impl_->executor->reprepares() : 0; }
uint64_t Session::retries() const { return impl_->executor ? impl_->executor->retries() : 0; }
uint64_t Session::reconnects() const { return impl_->pool ? impl_->pool->reconnects() : 0; }
std::vector<NodeReport> Session::NodeReports() const {
  return impl_->pool ? impl_->pool->Reports() : std::vector<NodeReport>{};
}
uint64_t Session::speculative_launched() const {
  return impl_->executor ? impl_->executor->speculative_launched() : 0;
}
uint64_t Session::speculative_won() const {
  return impl_->executor ? impl_->executor->speculative_won() : 0;
}

}  // namespace shoal::store::cassandra

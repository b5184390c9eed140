// cql_session: see cql_session.h. Session is the front; the work is in cql_pool (connections),
// cql_control (the ring as it changes), cql_topology (discovery), cql_routing (the plan of nodes)
// and cql_executor (attempts, retries, re-prepare).
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
#include "store/cassandra/cql_control.h"
#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_event.h"
#include "store/cassandra/cql_executor.h"
#include "store/cassandra/cql_nodes.h"
#include "store/cassandra/cql_pool.h"
#include "store/cassandra/cql_replicas.h"
#include "store/cassandra/cql_routing.h"
#include "store/cassandra/cql_token.h"
#include "store/cassandra/cql_topology.h"
#include "store/cassandra/cql_types.h"
#include "store/cassandra/cql_view.h"

namespace shoal::store::cassandra {

namespace asio = boost::asio;

// Impl: the session's parts. Declared in the order they must be built; destroyed in reverse,
// so the control, the executor, the view and the pool (whose callbacks run on the io_context)
// go before it, and only after Shutdown joined the threads.
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

  std::shared_ptr<const View> CurrentView() const {
    MutexLock lock(view_mu);
    return view;
  }

  // Publish makes `topology` the ring requests are planned on: the pool follows it (new
  // nodes dialled, gone ones closed) and a new View replaces the old one.
  void Publish(Topology topology) {
    auto v = std::make_shared<View>();
    v->nodes = pool->Sync(topology.nodes);
    v->replicas = ReplicaMap::Build(topology, topology.replication);
    v->topology = std::move(topology);
    v->policy = policy;
    MutexLock lock(view_mu);
    view = std::move(v);
  }

  // OnTopology is the control connection's refresh (cql_control.h). With discover_peers
  // false the session keeps to the contact point it opened on.
  void OnTopology(Topology topology) {
    if (!options.discover_peers) return;
    // A node announced (NEW_NODE, UP) before the ring lists it: read again ~1 s later, a few
    // times (gossip runs ahead of system.peers_v2 and of the node's CQL listener).
    std::vector<std::pair<HostPort, int>> still;
    for (auto& [endpoint, left] : awaited) {
      const HostPort& at = endpoint;  // a lambda may not capture a structured binding
      const bool listed = std::any_of(topology.nodes.begin(), topology.nodes.end(),
                                      [&at](const NodeInfo& n) { return n.endpoint == at; });
      if (listed) continue;
      if (--left > 0) {
        still.emplace_back(endpoint, left);
      } else {
        log.Warn("node " + endpoint.ToString() +
                 " was announced but the ring does not list it; not dialling it");
      }
    }
    awaited = std::move(still);
    if (!awaited.empty()) control->RequestRefresh(std::chrono::seconds(1));
    Publish(std::move(topology));
  }

  // OnEvent acts on what cannot wait for the refresh the event also brings: the server's word
  // that a node is down (no requests to it from now on) or up (dial it now).
  void OnEvent(const Event& e) {
    if (e.type == EventType::kSchemaChange) return;  // the refresh re-reads the ring
    std::shared_ptr<PoolNode> node = pool->Find(e.node);
    if (!node) {
      // A node new to us: the refresh this event brings adds it, or OnTopology tries again.
      const bool joining = e.change == "NEW_NODE" || e.change == "UP";
      const bool known = std::any_of(awaited.begin(), awaited.end(),
                                     [&e](const auto& a) { return a.first == e.node; });
      if (joining && !known) awaited.emplace_back(e.node, kAwaitRefreshes);
      return;
    }
    if (e.type == EventType::kStatusChange && (e.change == "DOWN" || e.change == "UP")) {
      pool->SetServerDown(node, e.change == "DOWN");
    } else if (e.type == EventType::kTopologyChange && e.change == "NEW_NODE") {
      pool->DialNow(node);
    }
  }

  // WarmUp prepares every statement the session made on `conn`, a node's first connection,
  // before the node takes requests (cql_pool.h). A connection that fails under it fails the
  // warm-up; a statement the node refuses does not (the Unprepared path is the safety net,
  // and one bad statement must not keep a node out).
  void WarmUp(const std::shared_ptr<Connection>& conn, std::function<void(bool)> done) {
    std::vector<std::shared_ptr<const PreparedStatement>> list;
    {
      MutexLock lock(prepared_mu);
      list = prepared;
    }
    if (list.empty()) {
      done(true);
      return;
    }
    struct State {
      std::atomic<size_t> left;
      std::atomic<bool> ok{true};
      std::function<void(bool)> done;
    };
    auto state = std::make_shared<State>();
    state->left = list.size();
    state->done = std::move(done);
    const TimePoint deadline = std::chrono::steady_clock::now() + options.connect_timeout;
    for (const auto& statement : list) {
      conn->Send(
          [statement](std::string& out, int16_t stream) {
            return AppendPrepare(out, stream, statement->query);
          },
          deadline,
          [this, state, conn, n = list.size()](const Result<Frame>& r) {
            if (!r.ok()) state->ok = false;
            if (state->left.fetch_sub(1) != 1) return;
            if (state->ok) {
              log.Info("prepared " + std::to_string(n) + " statements on " + conn->address() +
                       " before sending it requests");
            } else {
              faults->Write(log, LogLevel::kWarn,
                            "preparing statements on " + conn->address() +
                                " failed; the node stays out of routing and is tried again");
            }
            state->done(state->ok);
          });
    }
  }

  const SessionOptions options;
  const Log log;
  // Protocol faults and errors the operator must fix: a few lines per 10 s, the rest counted.
  const std::shared_ptr<LogLimiter> faults =
      std::make_shared<LogLimiter>(std::chrono::seconds(10), 5);
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  // Set by Open before any request; the pointers are not reassigned afterwards.
  std::unique_ptr<Pool> pool;
  RoutingPolicy policy;  // local_dc resolved at Open
  mutable Mutex view_mu;
  std::shared_ptr<const View> view SHOAL_GUARDED_BY(view_mu);  // replaced on each refresh
  Mutex prepared_mu;
  std::vector<std::shared_ptr<const PreparedStatement>> prepared SHOAL_GUARDED_BY(prepared_mu);
  std::unique_ptr<Executor> executor;
  std::unique_ptr<Control> control;
  // Nodes announced by an event and not yet listed by a refresh, with the refreshes left to
  // wait for them. Touched by the control thread's hooks only.
  static constexpr int kAwaitRefreshes = 5;
  std::vector<std::pair<HostPort, int>> awaited;

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

  PoolOptions pool;
  pool.connection = s.ConnectionOptionsFor(contacts.front());
  pool.connections_per_node = s.options.connections_per_node;
  pool.reconnect_initial = s.options.reconnect_initial;
  pool.reconnect_max = s.options.reconnect_max;
  pool.warm_up = [&s](const std::shared_ptr<Connection>& conn, std::function<void(bool)> done) {
    s.WarmUp(conn, std::move(done));
  };
  pool.logger = s.options.logger;
  s.pool = std::make_unique<Pool>(s.io, std::move(pool));
  s.executor = std::make_unique<Executor>(s.io, *s.pool, s.options, s.faults);

  ControlOptions control;
  control.connection = s.ConnectionOptionsFor(contacts.front());
  control.contact_points = contacts;
  control.node_networks = networks;
  control.discover_peers = s.options.discover_peers;
  control.keyspace = s.options.keyspace;
  control.refresh_interval = s.options.refresh_interval;
  control.reconnect_initial = s.options.reconnect_initial;
  control.reconnect_max = s.options.reconnect_max;
  control.timeout = s.options.connect_timeout;
  control.logger = s.options.logger;
  ControlHooks hooks;
  hooks.on_topology = [&s](Topology t) { s.OnTopology(std::move(t)); };
  hooks.on_event = [&s](const Event& e) { s.OnEvent(e); };
  hooks.on_reconnected = [&s] {
    // A missed UP must not keep a node out for good: trust the connections again.
    for (const auto& node : s.pool->members()) s.pool->SetServerDown(node, false);
  };
  s.control = std::make_unique<Control>(s.io, std::move(control), std::move(hooks));

  Result<Topology> topology = s.control->Open();
  if (!topology.ok()) return topology.status();
  s.log.Info("discovered " + DescribeTopology(*topology) + " (through " + s.control->address() +
             ")");
  // The local data centre, fixed for the session's life: configured, or the contact's.
  Result<std::string> local_dc = ResolveLocalDc(*topology, s.options.local_dc, 0);
  if (!local_dc.ok()) return local_dc.status();
  if (s.options.local_dc.empty() && !local_dc->empty()) {
    s.log.Info("store.cassandra.local_dc is not set: routing to data centre '" + *local_dc +
               "', the contact point's" +
               (s.options.remote_dc_fallback ? "" : " (other data centres take no requests)"));
  }
  s.policy =
      RoutingPolicy{.local_dc = *local_dc, .remote_dc_fallback = s.options.remote_dc_fallback};
  s.Publish(std::move(topology).value());
  // Wait for each slot's first outcome, so that Open returns with the pools as full as the
  // cluster allows.
  s.pool->WaitSettled(s.options.connect_timeout + std::chrono::seconds(1));
  if (s.pool->nodes_up() == 0) {
    return Status::Unavailable("cassandra: could not open a connection to any node: " +
                               s.pool->LastErrors());
  }
  s.control->Start();
  return session;
}

// PickAny returns a connection of the first routable node of `view`, from `start` on.
static std::shared_ptr<Connection> PickAny(const View& view, uint64_t start) {
  const size_t n = view.nodes.size();
  for (size_t i = 0; i < n; ++i) {
    if (auto c = view.nodes[(start + i) % n]->Pick()) return c;
  }
  return nullptr;
}

Result<std::shared_ptr<const PreparedStatement>> Session::Prepare(std::string_view query,
                                                                  Duration timeout) {
  Impl& s = *impl_;
  std::shared_ptr<Connection> conn =
      PickAny(*s.CurrentView(), s.round_robin.fetch_add(1, std::memory_order_relaxed));
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
  std::shared_ptr<const PreparedStatement> out = std::move(statement);
  {
    // Remembered for the session's life: every node that (re)joins prepares it first.
    MutexLock lock(s.prepared_mu);
    s.prepared.push_back(out);
  }
  return out;
}

Result<std::string> Session::Run(std::string_view query, Duration timeout,
                                 Consistency consistency) {
  Impl& s = *impl_;
  std::shared_ptr<Connection> conn =
      PickAny(*s.CurrentView(), s.round_robin.fetch_add(1, std::memory_order_relaxed));
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
  call->view = s.CurrentView();
  const View& view = *call->view;
  const TimePoint now = std::chrono::steady_clock::now();
  PlanRouteInto(
      view.topology, view.replicas, view.policy,
      s.options.token_aware ? std::string_view(call->options.routing_key) : std::string_view(),
      s.round_robin.fetch_add(1, std::memory_order_relaxed),
      [&view, now](size_t i) { return view.Health(i, now); }, &call->plan);
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
  // The control thread first: it dials and refreshes through the io_context and the pool.
  if (s.control) s.control->Stop();
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
Session::RingCounters Session::ring_counters() const {
  RingCounters c;
  if (const Control* control = impl_->control.get()) {
    c.refreshes = control->refreshes();
    c.refresh_failures = control->refresh_failures();
    c.topology_events = control->events(EventType::kTopologyChange);
    c.status_events = control->events(EventType::kStatusChange);
    c.schema_events = control->events(EventType::kSchemaChange);
    c.control_reconnects = control->reconnects();
  }
  return c;
}
std::string Session::control_address() const {
  return impl_->control ? impl_->control->address() : std::string();
}
void Session::CloseControlForTest() {
  if (impl_->control) impl_->control->CloseConnectionForTest();
}
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

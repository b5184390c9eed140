// cql_session: see cql_session.h.
//
// Invariants. `nodes` is filled once by Open (after discovery) and never resized, so a node
// index is stable for the session's life and callbacks may capture it. Each node has
// connections_per_node slots; each slot has at most one dial chain (dial -> open -> closed ->
// timer -> dial ...), so a slot never has two connections dialled for it at once. A Call is
// owned by the callbacks of the request currently carrying it: exactly one callback holds it
// at a time, and Finish runs once, inside a response callback or a posted handler.
#include "store/cassandra/cql_session.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/mutex.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_response.h"
#include "store/cassandra/cql_token.h"
#include "store/cassandra/cql_types.h"

namespace shoal::store::cassandra {

namespace asio = boost::asio;

namespace {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// ParseHostPort reads "host", "host:port", "[v6]" or "[v6]:port".
Result<HostPort> ParseHostPort(std::string_view text, uint16_t default_port) {
  HostPort hp;
  hp.port = default_port;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("cassandra: bad contact point '" + std::string(text) + "'");
    }
    hp.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Status::InvalidArgument("cassandra: bad contact point '" + std::string(text) + "'");
      }
      port = rest.substr(1);
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') == colon) {
      hp.host = std::string(text.substr(0, colon));
      port = text.substr(colon + 1);
    } else {
      hp.host = std::string(text);  // a name, an IPv4 address or a bare IPv6 address
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) {
        value = 70000;
        break;
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
      return Status::InvalidArgument("cassandra: bad port in contact point '" + std::string(text) +
                                     "'");
    }
    hp.port = static_cast<uint16_t>(value);
  }
  if (hp.host.empty()) {
    return Status::InvalidArgument("cassandra: empty host in contact point '" + std::string(text) +
                                   "'");
  }
  return hp;
}

std::string AddressText(const HostPort& hp) {
  if (hp.host.find(':') != std::string::npos) {
    return "[" + hp.host + "]:" + std::to_string(hp.port);
  }
  return hp.host + ":" + std::to_string(hp.port);
}

// ErrorStatus turns a server ERROR into the Status the session reports (cql_session.h).
Status ErrorStatus(const ErrorResponse& error, const std::string& address) {
  std::string message = "cassandra: " + address + ": " + std::string(ErrorCodeName(error.code)) +
                        ": " + std::string(error.message);
  switch (error.code) {
    case error_code::kSyntaxError:
    case error_code::kInvalid:
    case error_code::kUnauthorized:
    case error_code::kConfigError:
    case error_code::kAlreadyExists:
    case error_code::kBadCredentials:
    case error_code::kFunctionFailure:
      return Status::InvalidArgument(std::move(message));
    default:
      // Unavailable, overload, bootstrapping, timeouts, failures, server and protocol errors:
      // the data may well be there; the cluster cannot serve it now.
      return Status::Unavailable(std::move(message));
  }
}

// A response read into owned memory, for the blocking calls (Prepare, Run, discovery).
struct OwnedResponse {
  Opcode opcode = Opcode::kError;
  std::string message;
};

// Cell decoders for the discovery queries.
std::optional<std::string> InetText(std::optional<std::string_view> cell) {
  if (!cell || (cell->size() != 4 && cell->size() != 16)) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(cell->size() == 4 ? AF_INET : AF_INET6, cell->data(), text, sizeof text) ==
      nullptr) {
    return std::nullopt;
  }
  return std::string(text);
}

std::optional<int32_t> IntCell(std::optional<std::string_view> cell) {
  if (!cell || cell->size() != 4) return std::nullopt;
  WireReader r(*cell);
  int32_t v = 0;
  r.Int(&v);
  return v;
}

// TokenSet reads a set<text> of decimal tokens; malformed entries are skipped.
std::vector<int64_t> TokenSet(std::optional<std::string_view> cell) {
  std::vector<int64_t> tokens;
  if (!cell) return tokens;
  WireReader r(*cell);
  int32_t n = 0;
  if (!r.Int(&n) || n < 0) return tokens;
  for (int32_t i = 0; i < n; ++i) {
    std::optional<std::string_view> item;
    if (!r.Bytes(&item)) break;
    if (!item) continue;
    if (Result<int64_t> t = ParseToken(*item); t.ok()) tokens.push_back(*t);
  }
  return tokens;
}

}  // namespace

struct Session::Impl {
  struct Node {
    HostPort endpoint;
    std::string address;
    std::vector<int64_t> tokens;
    std::vector<std::shared_ptr<Connection>> slots;  // nullptr: not open
    Duration backoff{};
    std::string last_error;
  };

  // Call is one Execute on its way through attempts.
  struct Call {
    std::shared_ptr<const PreparedStatement> statement;
    std::string values;
    uint16_t count = 0;
    ExecuteOptions options;
    TimePoint deadline;
    ResultCallback done;
    std::vector<size_t> plan;            // node indexes in the order to try
    size_t next = 0;                     // position in plan of the node being tried
    std::shared_ptr<Connection> pinned;  // the next attempt must use this connection
    int retries_left = 1;
    bool reprepared = false;
  };

  explicit Impl(SessionOptions o) : options(std::move(o)) {
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
    c.keyspace = options.keyspace;
    c.connect_timeout = options.connect_timeout;
    c.heartbeat_interval = options.heartbeat_interval;
    c.heartbeat_timeout = options.heartbeat_timeout;
    return c;
  }

  // ConnectAndWait dials one connection and waits for the handshake (Open only).
  Result<std::shared_ptr<Connection>> ConnectAndWait(const HostPort& hp) {
    std::promise<Result<std::shared_ptr<Connection>>> promise;
    auto future = promise.get_future();
    Connection::Connect(
        io, ConnectionOptionsFor(hp), nullptr,
        [&promise](Result<std::shared_ptr<Connection>> r) { promise.set_value(std::move(r)); });
    return future.get();
  }

  // SendAndWait sends one request and waits for its response, copied out of the frame.
  static Result<OwnedResponse> SendAndWait(Connection& conn, FrameBuilder build, Duration timeout) {
    std::promise<Result<OwnedResponse>> promise;
    auto future = promise.get_future();
    conn.Send(std::move(build), std::chrono::steady_clock::now() + timeout,
              [&promise](Result<Frame> r) {
                if (!r.ok()) {
                  promise.set_value(r.status());
                  return;
                }
                Result<ResponseBody> body = SplitResponseBody(*r);
                if (!body.ok()) {
                  promise.set_value(body.status());
                  return;
                }
                promise.set_value(OwnedResponse{r->header.opcode, std::string(body->message)});
              });
    return future.get();
  }

  // ResultOrError turns an owned response into its RESULT message or the server's error.
  static Result<std::string> ResultOrError(Result<OwnedResponse> r, const std::string& address) {
    if (!r.ok()) return r.status();
    if (r->opcode == Opcode::kResult) return std::move(r->message);
    if (r->opcode == Opcode::kError) {
      Result<ErrorResponse> error = ParseError(r->message);
      if (!error.ok()) return Status::Unavailable("cassandra: " + address + ": bad ERROR");
      return ErrorStatus(*error, address);
    }
    return Status::Unavailable("cassandra: " + address + ": unexpected " +
                               std::string(OpcodeName(r->opcode)));
  }

  Status Discover(Connection& control, const HostPort& contact);
  void Dial(size_t node, size_t slot);
  void OnDialed(size_t node, size_t slot, Result<std::shared_ptr<Connection>> r);
  void OnClosed(size_t node, size_t slot, const Status& cause);
  void ScheduleRedial(size_t node, size_t slot) SHOAL_REQUIRES(mu);
  std::shared_ptr<Connection> Pick(size_t node) SHOAL_EXCLUDES(mu);
  std::shared_ptr<Connection> PickAny() SHOAL_EXCLUDES(mu);
  std::string LastErrors() SHOAL_EXCLUDES(mu);

  void Attempt(std::shared_ptr<Call> call);
  void OnResponse(std::shared_ptr<Call> call, const std::shared_ptr<Connection>& conn,
                  Result<Frame> r);
  void Reprepare(std::shared_ptr<Call> call, std::shared_ptr<Connection> conn);
  void Finish(const std::shared_ptr<Call>& call, Result<ResultMessage> r) {
    call->done(std::move(r));
    calls_in_flight.fetch_sub(1, std::memory_order_acq_rel);
  }
  void FinishLater(std::shared_ptr<Call> call, Status status) {
    asio::post(
        io, [this, call = std::move(call), status = std::move(status)] { Finish(call, status); });
  }

  const SessionOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  // Fixed by Open before any request; read without the lock afterwards.
  TokenRing ring;

  mutable Mutex mu;
  std::vector<Node> nodes SHOAL_GUARDED_BY(mu);     // never resized after Open
  size_t open_dials_left SHOAL_GUARDED_BY(mu) = 0;  // Open waits for the first round
  CondVar open_cv;
  std::minstd_rand rng SHOAL_GUARDED_BY(mu){std::random_device{}()};
  bool stopping_locked SHOAL_GUARDED_BY(mu) = false;

  std::atomic<bool> stopping{false};
  std::atomic<size_t> calls_in_flight{0};
  std::atomic<uint64_t> round_robin{0};
  std::atomic<uint64_t> reprepares{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> reconnects{0};
  Mutex shutdown_mu;
  bool shut_down SHOAL_GUARDED_BY(shutdown_mu) = false;
};

Status Session::Impl::Discover(Connection& control, const HostPort& contact) {
  const Duration timeout = options.connect_timeout;
  const std::string address = AddressText(contact);
  auto run = [&](std::string_view cql) -> Result<std::string> {
    return ResultOrError(SendAndWait(
                             control,
                             [cql](std::string& out, int16_t stream) {
                               QueryParameters p;
                               p.consistency = Consistency::kOne;
                               return AppendQuery(out, stream, cql, p);
                             },
                             timeout),
                         address);
  };
  std::vector<Node> found;
  Node local;
  local.endpoint = contact;
  local.address = address;
  Result<std::string> r = run("SELECT tokens FROM system.local");
  if (!r.ok()) return r.status();
  Result<ResultMessage> m = ParseResult(*r);
  if (m.ok()) {
    if (const auto* rows = std::get_if<RowsResult>(&*m); rows && rows->row_count > 0) {
      CellCursor cells = rows->cells();
      local.tokens = TokenSet(cells.Next());
    }
  }
  found.push_back(std::move(local));
  if (options.discover_peers) {
    bool v2 = true;
    r = run("SELECT native_address, native_port, tokens FROM system.peers_v2");
    if (!r.ok()) {
      v2 = false;  // Cassandra 3.x has only system.peers
      r = run("SELECT rpc_address, tokens FROM system.peers");
    }
    if (!r.ok()) return r.status();
    m = ParseResult(*r);
    if (m.ok()) {
      if (const auto* rows = std::get_if<RowsResult>(&*m)) {
        CellCursor cells = rows->cells();
        for (int32_t i = 0; i < rows->row_count; ++i) {
          std::optional<std::string> host = InetText(cells.Next());
          std::optional<int32_t> port = contact.port;
          if (v2) port = IntCell(cells.Next());
          std::vector<int64_t> tokens = TokenSet(cells.Next());
          if (!host || !port || *port <= 0 || *port > 65535) continue;  // not serving CQL
          Node peer;
          peer.endpoint = HostPort{*host, static_cast<uint16_t>(*port)};
          peer.address = AddressText(peer.endpoint);
          peer.tokens = std::move(tokens);
          found.push_back(std::move(peer));
        }
      }
    }
  }
  std::vector<std::pair<int64_t, size_t>> pairs;
  for (size_t i = 0; i < found.size(); ++i) {
    found[i].slots.resize(std::max<size_t>(1, options.connections_per_node));
    found[i].backoff = options.reconnect_initial;
    for (int64_t t : found[i].tokens) pairs.emplace_back(t, i);
  }
  ring = TokenRing(std::move(pairs));
  MutexLock lock(mu);
  nodes = std::move(found);
  return Status();
}

void Session::Impl::Dial(size_t node, size_t slot) {
  HostPort endpoint;
  {
    MutexLock lock(mu);
    if (stopping_locked) return;
    endpoint = nodes[node].endpoint;
  }
  Connection::Connect(
      io, ConnectionOptionsFor(endpoint),
      [this, node, slot](const Status& cause) { OnClosed(node, slot, cause); },
      [this, node, slot](Result<std::shared_ptr<Connection>> r) {
        OnDialed(node, slot, std::move(r));
      });
}

void Session::Impl::OnDialed(size_t node, size_t slot, Result<std::shared_ptr<Connection>> r) {
  std::shared_ptr<Connection> refused;
  {
    MutexLock lock(mu);
    Node& n = nodes[node];
    if (r.ok()) {
      if (stopping_locked) {
        refused = *r;
      } else {
        n.slots[slot] = *r;
        n.backoff = options.reconnect_initial;
      }
    } else {
      n.last_error = r.status().message();
      ScheduleRedial(node, slot);
    }
    if (open_dials_left > 0 && --open_dials_left == 0) open_cv.NotifyAll();
  }
  if (refused) refused->Close();
}

void Session::Impl::OnClosed(size_t node, size_t slot, const Status& cause) {
  MutexLock lock(mu);
  Node& n = nodes[node];
  n.slots[slot] = nullptr;
  n.last_error = cause.message();
  ScheduleRedial(node, slot);
}

void Session::Impl::ScheduleRedial(size_t node, size_t slot) {
  if (stopping_locked) return;
  Node& n = nodes[node];
  // Full jitter over [backoff/2, backoff]: many slots of a restarted node do not redial in
  // lockstep.
  const auto base = std::chrono::duration_cast<std::chrono::microseconds>(n.backoff).count();
  const auto delay = std::chrono::microseconds(
      base / 2 + static_cast<int64_t>(rng() % static_cast<uint64_t>(base / 2 + 1)));
  n.backoff = std::min<Duration>(n.backoff * 2, options.reconnect_max);
  reconnects.fetch_add(1, std::memory_order_relaxed);
  auto timer = std::make_shared<asio::steady_timer>(io, delay);
  timer->async_wait([this, node, slot, timer](const boost::system::error_code& ec) {
    if (!ec) Dial(node, slot);
  });
}

std::shared_ptr<Connection> Session::Impl::Pick(size_t node) {
  MutexLock lock(mu);
  std::shared_ptr<Connection> best;
  for (const auto& c : nodes[node].slots) {
    if (!c || c->closed()) continue;
    if (!best || c->in_flight() < best->in_flight()) best = c;
  }
  return best;
}

std::shared_ptr<Connection> Session::Impl::PickAny() {
  size_t n = 0;
  {
    MutexLock lock(mu);
    n = nodes.size();
  }
  const uint64_t start = round_robin.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    if (auto c = Pick((start + i) % n)) return c;
  }
  return nullptr;
}

std::string Session::Impl::LastErrors() {
  MutexLock lock(mu);
  std::string out;
  for (const Node& n : nodes) {
    if (n.last_error.empty()) continue;
    if (!out.empty()) out += "; ";
    out += n.last_error;
  }
  return out.empty() ? "no connection open" : out;
}

void Session::Impl::Attempt(std::shared_ptr<Call> call) {
  std::shared_ptr<Connection> conn = std::move(call->pinned);
  call->pinned = nullptr;
  while (!conn && call->next < call->plan.size()) {
    conn = Pick(call->plan[call->next]);
    if (!conn) ++call->next;
  }
  if (!conn) {
    FinishLater(std::move(call),
                Status::Unavailable("cassandra: no node is reachable (" + LastErrors() + ")"));
    return;
  }
  Call* raw = call.get();
  conn->Send(
      [raw](std::string& out, int16_t stream) {
        QueryParameters p;
        p.consistency = raw->options.consistency;
        p.values = raw->values;
        p.value_count = raw->count;
        p.page_size = raw->options.page_size;
        if (raw->options.paging_state) p.paging_state = *raw->options.paging_state;
        return AppendExecute(out, stream, raw->statement->result.id, p);
      },
      call->deadline,
      [this, call, conn](Result<Frame> r) mutable { OnResponse(std::move(call), conn, r); });
}

void Session::Impl::OnResponse(std::shared_ptr<Call> call, const std::shared_ptr<Connection>& conn,
                               Result<Frame> r) {
  if (!r.ok()) {
    // A connection that broke under the request (not a deadline: that time is spent).
    if (r.status().code() == StatusCode::kUnavailable && call->options.idempotent &&
        call->retries_left > 0 && !stopping.load(std::memory_order_acquire)) {
      --call->retries_left;
      retries.fetch_add(1, std::memory_order_relaxed);
      ++call->next;
      Attempt(std::move(call));
      return;
    }
    Finish(call, r.status());
    return;
  }
  Result<ResponseBody> body = SplitResponseBody(*r);
  if (!body.ok()) {
    Finish(call, Status::Unavailable("cassandra: " + conn->address() + ": " +
                                     std::string(body.status().message())));
    return;
  }
  if (r->header.opcode == Opcode::kResult) {
    Result<ResultMessage> m = ParseResult(body->message);
    if (!m.ok()) {
      Finish(call, Status::Unavailable("cassandra: " + conn->address() +
                                       ": bad RESULT: " + std::string(m.status().message())));
      return;
    }
    Finish(call, std::move(m));
    return;
  }
  if (r->header.opcode != Opcode::kError) {
    Finish(call, Status::Unavailable("cassandra: " + conn->address() + ": unexpected " +
                                     std::string(OpcodeName(r->header.opcode))));
    return;
  }
  Result<ErrorResponse> error = ParseError(body->message);
  if (!error.ok()) {
    Finish(call, Status::Unavailable("cassandra: " + conn->address() + ": bad ERROR"));
    return;
  }
  switch (AdviseRetry(*error, call->options.idempotent)) {
    case RetryAdvice::kReprepare:
      if (!call->reprepared) {
        call->reprepared = true;
        reprepares.fetch_add(1, std::memory_order_relaxed);
        Reprepare(std::move(call), conn);
        return;
      }
      break;
    case RetryAdvice::kSameNode:
      if (call->retries_left > 0) {
        --call->retries_left;
        retries.fetch_add(1, std::memory_order_relaxed);
        call->pinned = conn;
        Attempt(std::move(call));
        return;
      }
      break;
    case RetryAdvice::kNextNode:
      if (call->retries_left > 0 && call->next + 1 < call->plan.size()) {
        --call->retries_left;
        retries.fetch_add(1, std::memory_order_relaxed);
        ++call->next;
        Attempt(std::move(call));
        return;
      }
      break;
    case RetryAdvice::kNone:
      break;
  }
  Finish(call, ErrorStatus(*error, conn->address()));
}

void Session::Impl::Reprepare(std::shared_ptr<Call> call, std::shared_ptr<Connection> conn) {
  Call* raw = call.get();
  conn->Send(
      [raw](std::string& out, int16_t stream) {
        return AppendPrepare(out, stream, raw->statement->query);
      },
      call->deadline,
      [this, call, conn](Result<Frame> r) mutable {
        if (!r.ok()) {
          Finish(call, r.status());
          return;
        }
        Result<ResponseBody> body = SplitResponseBody(*r);
        if (body.ok() && r->header.opcode == Opcode::kError) {
          if (Result<ErrorResponse> e = ParseError(body->message); e.ok()) {
            Finish(call, ErrorStatus(*e, conn->address()));
            return;
          }
        }
        Result<ResultMessage> m = body.ok() && r->header.opcode == Opcode::kResult
                                      ? ParseResult(body->message)
                                      : Result<ResultMessage>(Status::Unavailable("bad answer"));
        const auto* prepared = m.ok() ? std::get_if<PreparedResult>(&*m) : nullptr;
        if (prepared == nullptr) {
          Finish(call, Status::Unavailable("cassandra: " + conn->address() +
                                           ": PREPARE again failed: unexpected answer"));
          return;
        }
        if (prepared->id != call->statement->result.id) {
          // The id hashes the query and keyspace, which are the same; a different one means
          // the server now reads the text otherwise, and our bind metadata may be wrong.
          Finish(call, Status::Unavailable("cassandra: " + conn->address() +
                                           ": the statement's id changed when prepared again"));
          return;
        }
        call->pinned = std::move(conn);
        Attempt(std::move(call));
      });
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Session::~Session() { Shutdown(); }

Result<std::unique_ptr<Session>> Session::Open(SessionOptions options) {
  if (options.contact_points.empty()) {
    return Status::InvalidArgument("cassandra: no contact points");
  }
  std::vector<HostPort> contacts;
  for (const std::string& c : options.contact_points) {
    Result<HostPort> hp = ParseHostPort(c, options.port);
    if (!hp.ok()) return hp.status();
    contacts.push_back(std::move(hp).value());
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  std::unique_ptr<Session> session(new Session(std::move(impl)));
  Impl& s = *session->impl_;

  std::string errors;
  std::shared_ptr<Connection> control;
  HostPort contact;
  for (const HostPort& hp : contacts) {
    Result<std::shared_ptr<Connection>> c = s.ConnectAndWait(hp);
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
  Status discovered = s.Discover(*control, contact);
  control->Close();
  if (!discovered.ok()) return discovered;

  // Dial every slot of every node, then wait for the first round (each slot's first
  // outcome) so that Open returns with the pools as full as the cluster allows.
  std::vector<std::pair<size_t, size_t>> slots;
  {
    MutexLock lock(s.mu);
    for (size_t node = 0; node < s.nodes.size(); ++node) {
      for (size_t slot = 0; slot < s.nodes[node].slots.size(); ++slot)
        slots.emplace_back(node, slot);
    }
    s.open_dials_left = slots.size();
  }
  for (const auto& [node, slot] : slots) s.Dial(node, slot);
  {
    MutexLock lock(s.mu);
    s.open_cv.WaitFor(s.mu, s.options.connect_timeout + std::chrono::seconds(1),
                      [&s]() SHOAL_REQUIRES(s.mu) { return s.open_dials_left == 0; });
  }
  if (session->nodes_up() == 0) {
    return Status::Unavailable("cassandra: could not open a connection to any node: " +
                               s.LastErrors());
  }
  return session;
}

Result<std::shared_ptr<const PreparedStatement>> Session::Prepare(std::string_view query,
                                                                  Duration timeout) {
  std::shared_ptr<Connection> conn = impl_->PickAny();
  if (!conn) {
    return Status::Unavailable("cassandra: no node is reachable (" + impl_->LastErrors() + ")");
  }
  auto statement = std::make_shared<PreparedStatement>();
  statement->query = std::string(query);
  const std::string* text = &statement->query;
  Result<std::string> r = Impl::ResultOrError(
      Impl::SendAndWait(
          *conn,
          [text](std::string& out, int16_t stream) { return AppendPrepare(out, stream, *text); },
          timeout),
      conn->address());
  if (!r.ok()) return r.status();
  statement->message = std::move(r).value();
  Result<ResultMessage> m = ParseResult(statement->message);
  if (!m.ok()) return m.status();
  auto* prepared = std::get_if<PreparedResult>(&*m);
  if (prepared == nullptr) {
    return Status::Unavailable("cassandra: " + conn->address() + ": PREPARE was not answered " +
                               "with a prepared statement");
  }
  statement->result = std::move(*prepared);
  return std::shared_ptr<const PreparedStatement>(std::move(statement));
}

Result<std::string> Session::Run(std::string_view query, Duration timeout,
                                 Consistency consistency) {
  std::shared_ptr<Connection> conn = impl_->PickAny();
  if (!conn) {
    return Status::Unavailable("cassandra: no node is reachable (" + impl_->LastErrors() + ")");
  }
  return Impl::ResultOrError(Impl::SendAndWait(
                                 *conn,
                                 [query, consistency](std::string& out, int16_t stream) {
                                   QueryParameters p;
                                   p.consistency = consistency;
                                   return AppendQuery(out, stream, query, p);
                                 },
                                 timeout),
                             conn->address());
}

Status Session::BindValues(const PreparedStatement& statement, std::span<const Value> values,
                           std::string* encoded, std::string* routing_key) {
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
  auto call = std::make_shared<Impl::Call>();
  call->statement = std::move(statement);
  call->values = std::move(values);
  call->count = count;
  call->options = std::move(options);
  call->deadline = deadline;
  call->done = std::move(done);
  // Count first, then look (both sequentially consistent, as in Shutdown, which sets stopping
  // and then waits for the count): either Shutdown waits for this call, or the call sees it.
  s.calls_in_flight.fetch_add(1);
  if (s.stopping.load()) {
    s.calls_in_flight.fetch_sub(1);
    // The I/O threads may be gone: answer here (the one callback that runs on the caller).
    call->done(Status::Cancelled("cassandra: the session is shut down"));
    return;
  }
  size_t n = 0;
  {
    MutexLock lock(s.mu);
    n = s.nodes.size();
  }
  call->plan.reserve(n);
  if (!call->options.routing_key.empty() && !s.ring.empty()) {
    s.ring.Replicas(Murmur3Token(call->options.routing_key), n, &call->plan);
  }
  if (call->plan.size() < n) {
    // Round-robin for unrouted requests; the rest of the nodes after the replicas otherwise.
    const uint64_t start = s.round_robin.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      const size_t node = (start + i) % n;
      if (std::find(call->plan.begin(), call->plan.end(), node) == call->plan.end()) {
        call->plan.push_back(node);
      }
    }
  }
  s.Attempt(std::move(call));
}

void Session::Shutdown(Duration drain) {
  Impl& s = *impl_;
  MutexLock shutdown_lock(s.shutdown_mu);
  if (s.shut_down) return;
  s.shut_down = true;
  s.stopping.store(true);
  auto wait_calls = [&s](Duration limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (s.calls_in_flight.load() > 0 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  wait_calls(drain);
  std::vector<std::shared_ptr<Connection>> open;
  {
    MutexLock lock(s.mu);
    s.stopping_locked = true;
    for (auto& n : s.nodes) {
      for (auto& c : n.slots) {
        if (c) open.push_back(c);
      }
    }
  }
  for (auto& c : open) c->Close();
  // Close fails what was still in flight; let those callbacks run before the threads stop.
  wait_calls(std::chrono::seconds(1));
  s.work.reset();
  s.io.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
  MutexLock lock(s.mu);
  for (auto& n : s.nodes) n.slots.clear();
}

void Session::Post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

size_t Session::nodes() const {
  MutexLock lock(impl_->mu);
  return impl_->nodes.size();
}

size_t Session::nodes_up() const {
  MutexLock lock(impl_->mu);
  size_t up = 0;
  for (const auto& n : impl_->nodes) {
    for (const auto& c : n.slots) {
      if (c && !c->closed()) {
        ++up;
        break;
      }
    }
  }
  return up;
}

uint64_t Session::reprepares() const { return impl_->reprepares.load(std::memory_order_relaxed); }
uint64_t Session::retries() const { return impl_->retries.load(std::memory_order_relaxed); }
uint64_t Session::reconnects() const { return impl_->reconnects.load(std::memory_order_relaxed); }

}  // namespace shoal::store::cassandra

// cql_control: see cql_control.h.
#include "store/cassandra/cql_control.h"

#include <algorithm>
#include <future>
#include <utility>

#include "store/cassandra/cql_blocking.h"
#include "store/cassandra/cql_response.h"

namespace shoal::store::cassandra {

namespace {

constexpr std::array<EventType, 3> kAllEvents = {
    EventType::kTopologyChange, EventType::kStatusChange, EventType::kSchemaChange};

TimePoint Now() { return std::chrono::steady_clock::now(); }

}  // namespace

Control::Control(boost::asio::io_context& io, ControlOptions options, ControlHooks hooks)
    : io_(io),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      log_(options_.logger, "cassandra"),
      backoff_(options_.reconnect_initial, options_.reconnect_max) {}

Control::~Control() { Stop(); }

ConnectionOptions Control::OptionsFor(const HostPort& at) {
  ConnectionOptions o = options_.connection;
  o.host = at.host;
  o.port = at.port;
  o.on_event = [this](const Frame& frame) { OnEvent(frame); };
  return o;
}

Status Control::Dial(const HostPort& at) {
  std::promise<Result<std::shared_ptr<Connection>>> promise;
  auto future = promise.get_future();
  Connection::Connect(
      io_, OptionsFor(at), [this](const Status&) { OnClosed(); },
      [&promise](Result<std::shared_ptr<Connection>> r) { promise.set_value(std::move(r)); });
  Result<std::shared_ptr<Connection>> conn = future.get();
  if (!conn.ok()) return conn.status();
  Result<OwnedResponse> r = SendAndWait(
      **conn,
      [](std::string& out, int16_t stream) { return AppendRegister(out, stream, kAllEvents); },
      options_.timeout);
  Status refused;
  if (!r.ok()) {
    refused = r.status();
  } else if (r->opcode != Opcode::kReady) {
    refused = Status::Unavailable("cassandra: " + at.ToString() + ": REGISTER was answered " +
                                  "with " + std::string(OpcodeName(r->opcode)));
  }
  std::shared_ptr<Connection> old;
  {
    MutexLock lock(mu_);
    if (refused.ok() && stopping_) refused = Status::Cancelled("cassandra: shutting down");
    if (refused.ok()) {
      old = std::exchange(conn_, *conn);
      at_ = at;
    }
  }
  if (!refused.ok()) (*conn)->Close();
  if (old) old->Close();
  return refused;
}

Result<Topology> Control::Open() {
  std::string errors;
  for (const HostPort& hp : options_.contact_points) {
    Status s = Dial(hp);
    if (s.ok()) return Discover();
    // A refused login or keyspace would be refused by every node: stop here, say why.
    if (s.code() == StatusCode::kInvalidArgument) return s;
    if (!errors.empty()) errors += "; ";
    errors += s.message();
  }
  return Status::Unavailable("cassandra: no contact point answered: " + errors);
}

Result<Topology> Control::Discover() {
  std::shared_ptr<Connection> conn;
  HostPort at;
  {
    MutexLock lock(mu_);
    conn = conn_;
    at = at_;
  }
  if (!conn) return Status::Unavailable("cassandra: no control connection");
  Discovery d;
  d.discover_peers = options_.discover_peers;
  d.node_networks = options_.node_networks;
  d.contact_points = options_.contact_points;
  d.keyspace = options_.keyspace;
  d.timeout = options_.timeout;
  Result<Topology> t = DiscoverTopology(*conn, at, d, log_);
  if (t.ok()) {
    std::vector<HostPort> known;
    for (const NodeInfo& n : t->nodes) known.push_back(n.endpoint);
    MutexLock lock(mu_);
    known_ = std::move(known);
  }
  return t;
}

void Control::Start() {
  {
    MutexLock lock(mu_);
    periodic_at_ = Now() + options_.refresh_interval;
  }
  thread_ = std::thread([this] { Run(); });
}

void Control::Stop() {
  std::shared_ptr<Connection> conn;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    conn = std::move(conn_);
  }
  cv_.NotifyAll();
  if (conn) conn->Close();  // fails a refresh in progress at once
  if (thread_.joinable()) thread_.join();
  MutexLock lock(mu_);
  if (conn_) conn_->Close();  // a dial that completed while stopping
  conn_ = nullptr;
}

void Control::RequestRefresh(Duration delay) {
  {
    MutexLock lock(mu_);
    const TimePoint at = Now() + delay;
    if (!refresh_at_ || *refresh_at_ > at) refresh_at_ = at;
  }
  cv_.NotifyAll();
}

void Control::CloseConnectionForTest() {
  std::shared_ptr<Connection> conn;
  {
    MutexLock lock(mu_);
    conn = conn_;
  }
  if (conn) conn->Close();
}

std::string Control::address() const {
  MutexLock lock(mu_);
  return conn_ && !conn_->closed() ? at_.ToString() : std::string();
}

void Control::OnEvent(const Frame& frame) {
  Result<ResponseBody> body = SplitResponseBody(frame);
  Result<Event> e = body.ok() ? ParseEvent(body->message) : Result<Event>(body.status());
  if (!e.ok()) {
    warn_limiter_.Write(
        log_, LogLevel::kWarn,
        "control connection: ignoring an event: " + std::string(e.status().message()));
    return;
  }
  events_[static_cast<size_t>(e->type)].fetch_add(1, std::memory_order_relaxed);
  {
    MutexLock lock(mu_);
    queued_.push_back(std::move(e).value());
  }
  cv_.NotifyAll();
}

void Control::OnClosed() { cv_.NotifyAll(); }

bool Control::Reconnect() {
  std::vector<HostPort> candidates;
  HostPort was;
  {
    MutexLock lock(mu_);
    candidates = known_;
    was = at_;
  }
  for (const HostPort& hp : options_.contact_points) {
    if (std::find(candidates.begin(), candidates.end(), hp) == candidates.end()) {
      candidates.push_back(hp);
    }
  }
  // The node just lost last: a hung node may take connect_timeout to refuse.
  if (auto it = std::find(candidates.begin(), candidates.end(), was); it != candidates.end()) {
    std::rotate(it, it + 1, candidates.end());
  }
  for (const HostPort& hp : candidates) {
    {
      MutexLock lock(mu_);
      if (stopping_) return false;
    }
    if (Dial(hp).ok()) {
      reconnects_.fetch_add(1, std::memory_order_relaxed);
      log_.Info("control connection moved from " + was.ToString() + " to " + hp.ToString());
      return true;
    }
  }
  return false;
}

void Control::Refresh() {
  Result<Topology> t = Discover();
  if (!t.ok()) {
    refresh_failures_.fetch_add(1, std::memory_order_relaxed);
    warn_limiter_.Write(
        log_, LogLevel::kWarn,
        "reading the ring failed (keeping the nodes known): " + std::string(t.status().message()));
    return;
  }
  refreshes_.fetch_add(1, std::memory_order_relaxed);
  if (hooks_.on_topology) hooks_.on_topology(std::move(t).value());
}

void Control::Run() {
  for (;;) {
    std::deque<Event> events;
    bool lost = false;
    bool refresh = false;
    {
      MutexLock lock(mu_);
      const TimePoint now = Now();
      const TimePoint due = refresh_at_ ? std::min(*refresh_at_, periodic_at_) : periodic_at_;
      auto ready = [this, due]() SHOAL_REQUIRES(mu_) {
        return stopping_ || !queued_.empty() || !conn_ || conn_->closed() ||
               (refresh_at_ && *refresh_at_ < due) || Now() >= due;
      };
      if (now < due) cv_.WaitFor(mu_, due - now, ready);
      if (stopping_) return;
      lost = !conn_ || conn_->closed();
      events.swap(queued_);
      if (!events.empty() && !refresh_at_) refresh_at_ = Now() + options_.debounce;
      const TimePoint now2 = Now();
      if ((refresh_at_ && *refresh_at_ <= now2) || periodic_at_ <= now2) {
        refresh = true;
        refresh_at_.reset();
        periodic_at_ = now2 + options_.refresh_interval;
      }
    }
    for (const Event& e : events) {
      log_.Debug("event: " + e.Describe());
      if (hooks_.on_event) hooks_.on_event(e);
    }
    if (lost) {
      if (Reconnect()) {
        backoff_.Reset();
        if (hooks_.on_reconnected) hooks_.on_reconnected();
        refresh = true;  // events may have been missed meanwhile
      } else {
        const Duration wait = backoff_.Next();
        MutexLock lock(mu_);
        if (stopping_) return;
        cv_.WaitFor(mu_, wait, [this]() SHOAL_REQUIRES(mu_) { return stopping_; });
        continue;
      }
    }
    if (refresh) Refresh();
  }
}

}  // namespace shoal::store::cassandra

// cql_pool: see cql_pool.h.
#include "store/cassandra/cql_pool.h"

#include <algorithm>
#include <utility>

#include <boost/asio/steady_timer.hpp>

namespace shoal::store::cassandra {

namespace asio = boost::asio;

Pool::Pool(asio::io_context& io, PoolOptions options, std::vector<NodeInfo> nodes)
    : io_(io),
      options_(std::move(options)),
      size_(nodes.size()),
      log_(options_.logger, "cassandra") {
  MutexLock lock(mu_);
  nodes_.reserve(nodes.size());
  for (NodeInfo& info : nodes) {
    Node n;
    n.info = std::move(info);
    const size_t slots = std::max<size_t>(1, options_.connections_per_node);
    for (size_t i = 0; i < slots; ++i) {
      n.slots.push_back(Slot{nullptr, Backoff(options_.reconnect_initial, options_.reconnect_max)});
    }
    nodes_.push_back(std::move(n));
  }
}

void Pool::Open(Duration wait) {
  std::vector<std::pair<size_t, size_t>> slots;
  {
    MutexLock lock(mu_);
    for (size_t node = 0; node < nodes_.size(); ++node) {
      for (size_t slot = 0; slot < nodes_[node].slots.size(); ++slot) {
        slots.emplace_back(node, slot);
      }
    }
    open_dials_left_ = slots.size();
  }
  for (const auto& [node, slot] : slots) Dial(node, slot);
  MutexLock lock(mu_);
  open_cv_.WaitFor(mu_, wait, [this]() SHOAL_REQUIRES(mu_) { return open_dials_left_ == 0; });
}

void Pool::Dial(size_t node, size_t slot) {
  ConnectionOptions o;
  {
    MutexLock lock(mu_);
    if (closing_) return;
    o = options_.connection;
    o.host = nodes_[node].info.endpoint.host;
    o.port = nodes_[node].info.endpoint.port;
  }
  Connection::Connect(
      io_, std::move(o), [this, node, slot](const Status& cause) { OnClosed(node, slot, cause); },
      [this, node, slot](Result<std::shared_ptr<Connection>> r) {
        OnDialed(node, slot, std::move(r));
      });
}

bool Pool::AnyOpenLocked(const Node& n) {
  return std::any_of(n.slots.begin(), n.slots.end(),
                     [](const Slot& s) { return s.conn && !s.conn->closed(); });
}

void Pool::OnDialed(size_t node, size_t slot, Result<std::shared_ptr<Connection>> r) {
  std::shared_ptr<Connection> refused;
  std::string debug;
  std::string info;
  std::string warn;
  {
    MutexLock lock(mu_);
    Node& n = nodes_[node];
    if (r.ok()) {
      if (closing_) {
        refused = *r;
      } else {
        n.slots[slot].conn = *r;
        n.slots[slot].backoff.Reset();
        debug = "connection " + std::to_string(slot) + " to " + n.info.address + " opened";
        if (n.state == NodeState::kDown) info = "node " + n.info.address + " is up again";
        n.state = NodeState::kUp;
      }
    } else {
      n.last_error = r.status().message();
      if (n.state != NodeState::kDown && !AnyOpenLocked(n)) {
        n.state = NodeState::kDown;
        warn = "node " + n.info.address + " is down (" + n.last_error +
               "); redialling in the background";
      }
      ScheduleRedialLocked(node, slot);
    }
    if (open_dials_left_ > 0 && --open_dials_left_ == 0) open_cv_.NotifyAll();
  }
  if (refused) refused->Close();
  if (!debug.empty()) log_.Debug(debug);
  if (!info.empty()) log_.Info(info);
  if (!warn.empty()) log_.Warn(warn);
}

void Pool::OnClosed(size_t node, size_t slot, const Status& cause) {
  std::string lost;
  std::string down;
  {
    MutexLock lock(mu_);
    Node& n = nodes_[node];
    n.slots[slot].conn = nullptr;
    n.last_error = cause.message();
    if (closing_) return;
    lost = "connection " + std::to_string(slot) + " to " + n.info.address +
           " lost: " + std::string(cause.message());
    if (n.state == NodeState::kUp && !AnyOpenLocked(n)) {
      n.state = NodeState::kDown;
      down = "node " + n.info.address + " is down (" + n.last_error +
             "); redialling in the background";
    }
    ScheduleRedialLocked(node, slot);
  }
  log_.Warn(lost);
  if (!down.empty()) log_.Warn(down);
}

void Pool::ScheduleRedialLocked(size_t node, size_t slot) {
  if (closing_) return;
  const Duration delay = nodes_[node].slots[slot].backoff.Next();
  reconnects_.fetch_add(1, std::memory_order_relaxed);
  auto timer = std::make_shared<asio::steady_timer>(io_, delay);
  timer->async_wait([this, node, slot, timer](const boost::system::error_code& ec) {
    if (!ec) Dial(node, slot);
  });
}

std::shared_ptr<Connection> Pool::Pick(size_t node) {
  MutexLock lock(mu_);
  std::shared_ptr<Connection> best;
  for (const Slot& s : nodes_[node].slots) {
    if (!s.conn || s.conn->closed()) continue;
    if (!best || s.conn->in_flight() < best->in_flight()) best = s.conn;
  }
  return best;
}

std::shared_ptr<Connection> Pool::PickAny(uint64_t start) {
  for (size_t i = 0; i < size_; ++i) {
    if (auto c = Pick((start + i) % size_)) return c;
  }
  return nullptr;
}

std::string Pool::LastErrors() {
  MutexLock lock(mu_);
  std::string out;
  for (const Node& n : nodes_) {
    if (n.last_error.empty()) continue;
    if (!out.empty()) out += "; ";
    out += n.last_error;
  }
  return out.empty() ? "no connection open" : out;
}

void Pool::Close() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    MutexLock lock(mu_);
    closing_ = true;
    for (Node& n : nodes_) {
      for (Slot& s : n.slots) {
        if (s.conn) open.push_back(s.conn);
      }
    }
  }
  for (auto& c : open) c->Close();
}

void Pool::Clear() {
  MutexLock lock(mu_);
  for (Node& n : nodes_) {
    for (Slot& s : n.slots) s.conn = nullptr;
  }
}

NodeStats& Pool::Stats(size_t node) {
  MutexLock lock(mu_);
  return *nodes_[node].stats;
}

std::vector<NodeReport> Pool::Reports() const {
  const TimePoint now = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  std::vector<NodeReport> out;
  out.reserve(nodes_.size());
  for (const Node& n : nodes_) {
    NodeReport r;
    r.node = n.info.address;
    r.dc = n.info.dc;
    r.up = AnyOpenLocked(n);
    n.stats->Report(now, &r);
    out.push_back(std::move(r));
  }
  return out;
}

size_t Pool::nodes_up() const {
  MutexLock lock(mu_);
  size_t up = 0;
  for (const Node& n : nodes_) {
    if (AnyOpenLocked(n)) ++up;
  }
  return up;
}

}  // namespace shoal::store::cassandra

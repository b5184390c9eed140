// cql_pool: see cql_pool.h.
#include "store/cassandra/cql_pool.h"

#include <algorithm>
#include <utility>

namespace shoal::store::cassandra {

namespace asio = boost::asio;

namespace {

std::string KeyOf(const NodeInfo& info) {
  return info.host_id.empty() ? info.address : info.host_id;
}

}  // namespace

// --- PoolNode ---

PoolNode::PoolNode(std::string key, NodeInfo info, const PoolOptions& options)
    : key_(std::move(key)), info_(std::move(info)) {
  MutexLock lock(mu_);
  const size_t slots = std::max<size_t>(1, options.connections_per_node);
  for (size_t i = 0; i < slots; ++i) {
    slots_.emplace_back(Backoff(options.reconnect_initial, options.reconnect_max));
  }
}

NodeInfo PoolNode::info() const {
  MutexLock lock(mu_);
  return info_;
}

std::string PoolNode::address() const {
  MutexLock lock(mu_);
  return info_.address;
}

bool PoolNode::AnyOpenLocked() const {
  return std::any_of(slots_.begin(), slots_.end(),
                     [](const Slot& s) { return s.conn && !s.conn->closed(); });
}

bool PoolNode::RoutableLocked() const {
  return !removed_ && warm_ && !server_down_ && AnyOpenLocked();
}

std::shared_ptr<Connection> PoolNode::Pick() const {
  MutexLock lock(mu_);
  if (removed_ || !warm_ || server_down_) return nullptr;
  std::shared_ptr<Connection> best;
  for (const Slot& s : slots_) {
    if (!s.conn || s.conn->closed()) continue;
    if (!best || s.conn->in_flight() < best->in_flight()) best = s.conn;
  }
  return best;
}

bool PoolNode::routable() const {
  MutexLock lock(mu_);
  return RoutableLocked();
}

bool PoolNode::removed() const {
  MutexLock lock(mu_);
  return removed_;
}

bool PoolNode::server_down() const {
  MutexLock lock(mu_);
  return server_down_;
}

std::string PoolNode::last_error() const {
  MutexLock lock(mu_);
  return last_error_;
}

// --- Pool ---

Pool::Pool(asio::io_context& io, PoolOptions options)
    : io_(io), options_(std::move(options)), log_(options_.logger, "cassandra") {}

std::vector<std::shared_ptr<PoolNode>> Pool::Sync(const std::vector<NodeInfo>& nodes) {
  std::vector<NodePtr> out;
  std::vector<NodePtr> added;
  std::vector<NodePtr> gone;
  std::vector<NodePtr> moved;
  {
    MutexLock lock(mu_);
    std::vector<NodePtr> members;
    for (const NodeInfo& info : nodes) {
      const std::string key = KeyOf(info);
      auto same = [&key](const NodePtr& n) { return n->key() == key; };
      if (auto it = std::find_if(members.begin(), members.end(), same); it != members.end()) {
        out.push_back(*it);  // listed twice
        continue;
      }
      NodePtr node;
      if (auto it = std::find_if(nodes_.begin(), nodes_.end(), same); it != nodes_.end()) {
        node = *it;
        MutexLock node_lock(node->mu_);
        if (!(node->info_.endpoint == info.endpoint)) moved.push_back(node);
        node->info_ = info;  // dc, rack, tokens, and maybe a new address
      } else if (!closing_) {
        node = NodePtr(new PoolNode(key, info, options_));
        added.push_back(node);
      } else {
        continue;
      }
      members.push_back(node);
      out.push_back(node);
    }
    if (closing_) return out;
    for (const NodePtr& n : nodes_) {
      if (std::find(members.begin(), members.end(), n) == members.end()) gone.push_back(n);
    }
    nodes_ = std::move(members);
  }
  for (const NodePtr& n : gone) {
    log_.Info("node " + n->address() + " left the ring; its connections are closed");
    CloseNode(n);
  }
  for (const NodePtr& n : moved) {
    // The connections to the old address close; their slots redial the new one.
    log_.Info("node " + n->key() + " moved to " + n->address());
    std::vector<std::shared_ptr<Connection>> open;
    {
      MutexLock lock(n->mu_);
      for (auto& s : n->slots_) {
        if (s.conn) open.push_back(s.conn);
      }
    }
    for (auto& c : open) c->Close();
  }
  for (const NodePtr& n : added) {
    log_.Info("node " + n->address() + " joined the ring");
    size_t slots = 0;
    {
      MutexLock lock(n->mu_);
      slots = n->slots_.size();
    }
    unsettled_.fetch_add(slots);
    for (size_t slot = 0; slot < slots; ++slot) Dial(n, slot);
  }
  return out;
}

void Pool::WaitSettled(Duration wait) {
  MutexLock lock(mu_);
  settled_cv_.WaitFor(mu_, wait, [this]() { return unsettled_.load() == 0; });
}

void Pool::SettledOne() {
  {
    MutexLock lock(mu_);
    unsettled_.fetch_sub(1);
  }
  settled_cv_.NotifyAll();
}

void Pool::Dial(const NodePtr& node, size_t slot) {
  ConnectionOptions o;
  HostPort at;
  uint64_t gen = 0;
  {
    MutexLock lock(node->mu_);
    PoolNode::Slot& s = node->slots_[slot];
    if (node->removed_ || s.dialing || s.conn) return;
    s.dialing = true;
    gen = ++s.gen;
    o = options_.connection;
    o.host = node->info_.endpoint.host;
    o.port = node->info_.endpoint.port;
    at = node->info_.endpoint;
  }
  Connection::Connect(
      io_, std::move(o),
      [this, node, slot, gen](const Status& cause) { OnClosed(node, slot, gen, cause); },
      [this, node, slot, at](Result<std::shared_ptr<Connection>> r) {
        OnDialed(node, slot, at, std::move(r));
      });
}

void Pool::OnDialed(const NodePtr& node, size_t slot, const HostPort& at,
                    Result<std::shared_ptr<Connection>> r) {
  std::shared_ptr<Connection> refused;
  bool redial = false;
  std::shared_ptr<Connection> warm_up;
  std::string debug;
  std::string info;
  std::string warn;
  bool settled = false;
  {
    MutexLock lock(node->mu_);
    PoolNode::Slot& s = node->slots_[slot];
    s.dialing = false;
    settled = std::exchange(s.first_outcome_pending, false);
    const std::string& address = node->info_.address;
    if (r.ok()) {
      if (node->removed_) {
        refused = *r;
      } else if (!(at == node->info_.endpoint)) {
        refused = *r;  // the node moved while this dial was out: dial the new address
        redial = true;
      } else {
        s.conn = *r;
        s.backoff.Reset();
        debug = "connection " + std::to_string(slot) + " to " + address + " opened";
        if (node->state_ == PoolNode::State::kDown) info = "node " + address + " is up again";
        // A node that completes a new handshake serves CQL, whatever a DOWN event said (its
        // UP may have been missed).
        node->server_down_ = false;
        node->state_ = PoolNode::State::kUp;
        if (!node->warm_ && !node->warming_) {
          node->warming_ = true;
          warm_up = s.conn;
        }
      }
    } else {
      node->last_error_ = r.status().message();
      if (node->state_ != PoolNode::State::kDown && !node->AnyOpenLocked()) {
        node->state_ = PoolNode::State::kDown;
        warn = "node " + address + " is down (" + node->last_error_ +
               "); redialling in the background";
      }
      ScheduleRedialLocked(node, slot);
    }
  }
  if (refused) refused->Close();
  if (redial) Dial(node, slot);
  if (!debug.empty()) log_.Debug(debug);
  if (!info.empty()) log_.Info(info);
  if (!warn.empty()) log_.Warn(warn);
  if (warm_up) StartWarmUp(node, warm_up);
  if (settled) SettledOne();
}

void Pool::StartWarmUp(const NodePtr& node, const std::shared_ptr<Connection>& conn) {
  if (!options_.warm_up) {
    OnWarmedUp(node, conn, true);
    return;
  }
  options_.warm_up(conn, [this, node, conn](bool ok) { OnWarmedUp(node, conn, ok); });
}

void Pool::OnWarmedUp(const NodePtr& node, const std::shared_ptr<Connection>& conn, bool ok) {
  std::shared_ptr<Connection> again;  // another open connection to warm up on instead
  {
    MutexLock lock(node->mu_);
    node->warming_ = false;
    if (ok && !conn->closed()) {
      node->warm_ = true;
      return;
    }
    if (node->removed_) return;
    if (conn->closed()) {
      // The connection went during the warm-up: try on another open one, if any.
      for (auto& s : node->slots_) {
        if (s.conn && !s.conn->closed()) {
          again = s.conn;
          node->warming_ = true;
          break;
        }
      }
    }
  }
  if (again) {
    StartWarmUp(node, again);
    return;
  }
  // A failed warm-up: drop the connection; its slot redials after its backoff, and the next
  // first connection warms up again.
  if (!ok) conn->Close();
}

void Pool::OnClosed(const NodePtr& node, size_t slot, uint64_t gen, const Status& cause) {
  std::string lost;
  std::string down;
  {
    MutexLock lock(node->mu_);
    PoolNode::Slot& s = node->slots_[slot];
    if (s.gen != gen) return;  // a connection this slot refused
    s.conn = nullptr;
    node->last_error_ = cause.message();
    if (node->removed_) return;
    const std::string& address = node->info_.address;
    lost = "connection " + std::to_string(slot) + " to " + address +
           " lost: " + std::string(cause.message());
    if (!node->AnyOpenLocked()) {
      node->warm_ = false;  // the next connection warms up again
      if (node->state_ == PoolNode::State::kUp) {
        node->state_ = PoolNode::State::kDown;
        down = "node " + address + " is down (" + node->last_error_ +
               "); redialling in the background";
      }
    }
    ScheduleRedialLocked(node, slot);
  }
  log_.Warn(lost);
  if (!down.empty()) log_.Warn(down);
}

void Pool::ScheduleRedialLocked(const NodePtr& node, size_t slot) {
  if (node->removed_) return;
  PoolNode::Slot& s = node->slots_[slot];
  const Duration delay = s.backoff.Next();
  reconnects_.fetch_add(1, std::memory_order_relaxed);
  auto timer = std::make_shared<asio::steady_timer>(io_, delay);
  s.timer = timer;
  timer->async_wait([this, node, slot, timer](const boost::system::error_code& ec) {
    {
      MutexLock lock(node->mu_);
      if (node->slots_[slot].timer != timer) return;  // DialNow took over
      node->slots_[slot].timer = nullptr;
    }
    if (!ec) Dial(node, slot);
  });
}

void Pool::DialNow(const NodePtr& node) {
  std::vector<size_t> waiting;
  {
    MutexLock lock(node->mu_);
    if (node->removed_) return;
    for (size_t i = 0; i < node->slots_.size(); ++i) {
      PoolNode::Slot& s = node->slots_[i];
      s.backoff.Reset();
      if (s.timer) {
        s.timer->cancel();
        s.timer = nullptr;
        waiting.push_back(i);
      }
    }
  }
  for (size_t slot : waiting) Dial(node, slot);
}

void Pool::SetServerDown(const NodePtr& node, bool down) {
  bool changed = false;
  std::string address;
  {
    MutexLock lock(node->mu_);
    changed = node->server_down_ != down && !node->removed_;
    node->server_down_ = down;
    address = node->info_.address;
  }
  if (changed && down) {
    log_.Warn("node " + address + " is down (the cluster says so); no requests go to it");
  } else if (changed) {
    log_.Info("node " + address + " is up (the cluster says so)");
  }
  if (!down) DialNow(node);
}

std::shared_ptr<PoolNode> Pool::Find(const HostPort& endpoint) const {
  MutexLock lock(mu_);
  for (const NodePtr& n : nodes_) {
    MutexLock node_lock(n->mu_);
    if (n->info_.endpoint == endpoint) return n;
  }
  return nullptr;
}

std::string Pool::LastErrors() const {
  MutexLock lock(mu_);
  std::string out;
  for (const NodePtr& n : nodes_) {
    MutexLock node_lock(n->mu_);
    if (n->last_error_.empty()) continue;
    if (!out.empty()) out += "; ";
    out += n->last_error_;
  }
  return out.empty() ? "no connection open" : out;
}

void Pool::CloseNode(const NodePtr& node) {
  std::vector<std::shared_ptr<Connection>> open;
  {
    MutexLock lock(node->mu_);
    node->removed_ = true;
    for (auto& s : node->slots_) {
      if (s.conn) open.push_back(s.conn);
      if (s.timer) {
        s.timer->cancel();
        s.timer = nullptr;
      }
    }
  }
  for (auto& c : open) c->Close();
}

void Pool::Close() {
  std::vector<NodePtr> nodes;
  {
    MutexLock lock(mu_);
    closing_ = true;
    nodes = nodes_;
  }
  for (const NodePtr& n : nodes) CloseNode(n);
}

void Pool::Clear() {
  std::vector<NodePtr> nodes;
  {
    MutexLock lock(mu_);
    nodes = nodes_;
  }
  for (const NodePtr& n : nodes) {
    MutexLock lock(n->mu_);
    for (auto& s : n->slots_) {
      s.conn = nullptr;
      s.timer = nullptr;
    }
  }
}

std::vector<NodeReport> Pool::Reports() const {
  const TimePoint now = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  std::vector<NodeReport> out;
  out.reserve(nodes_.size());
  for (const NodePtr& n : nodes_) {
    NodeReport r;
    {
      MutexLock node_lock(n->mu_);
      r.node = n->info_.address;
      r.dc = n->info_.dc;
      r.up = n->RoutableLocked();
    }
    n->stats().Report(now, &r);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::shared_ptr<PoolNode>> Pool::members() const {
  MutexLock lock(mu_);
  return nodes_;
}

size_t Pool::size() const {
  MutexLock lock(mu_);
  return nodes_.size();
}

size_t Pool::nodes_up() const {
  MutexLock lock(mu_);
  return static_cast<size_t>(
      std::count_if(nodes_.begin(), nodes_.end(), [](const NodePtr& n) { return n->routable(); }));
}

}  // namespace shoal::store::cassandra

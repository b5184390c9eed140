// The fixture of the Cluster unit tests (cluster_test.cc, cluster_peer_reply_test.cc):
// in-memory fake peers (FakeTransport, FakePeer) that answer, fail, stay silent or send a
// given reply on the test's command, an InnerLoader that records what this node's store was
// asked, and ClusterTest, which builds a Cluster over them with a ManualClock. No sockets, no
// threads. Test-only; thread-safe where the Cluster calls it from several threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/memory_logger.h"
#include "base/mutex.h"
#include "cache/cache.h"
#include "cache/read_through.h"
#include "cluster/cluster.h"
#include "cluster/hash_ring.h"
#include "cluster/peer_transport.h"
#include "cluster/purge_sequencer.h"

namespace shoal::cluster::cluster_testing {

using namespace std::chrono_literals;

inline const std::string kSelf = "10.0.0.1:7001";
inline const std::string kB = "10.0.0.2:7001";
inline const std::string kC = "10.0.0.3:7001";

inline cache::EntryPtr MakeEntry(const std::string& key, const std::string& body, TimePoint now) {
  cache::EntryOptions o;
  o.key = key;
  o.body = Bytes::Copy(body);
  o.created = now;
  o.fresh_until = now + 60s;
  o.stale_until = now + 120s;
  return cache::Entry::Make(std::move(o));
}

inline std::string Body(const cache::EntryPtr& e) { return std::string(e->body()); }

// ReplyWithFill is an owner's answer for `key` whose load began at purge sequence `fill`.
inline GetReply ReplyWithFill(const std::string& key, uint64_t fill, TimePoint now) {
  return GetReply{WithFillSeq(MakeEntry(key, "owner's", now), fill), false};
}

// FakePeer: one other node. What it was asked is recorded; how it answers is set by the test.
class FakePeer final : public PeerClient {
 public:
  enum class Mode { kAnswer, kFail, kSilent, kOwnerError, kReply };

  FakePeer(std::string name, const Clock& clock) : name_(std::move(name)), clock_(clock) {}

  void Get(std::string key, const GetOptions& options, GetCallback done) override {
    Mode mode;
    PeerService* linked = nullptr;
    {
      MutexLock lock(mu_);
      gets_.push_back(key);
      timeouts_.push_back(options.timeout);
      floors_.push_back(options.key_floor);
      memory_only_.push_back(options.memory_only);
      mode = mode_;
      if (!cut_) linked = linked_;
      if (cut_) mode = Mode::kFail;
      if (mode == Mode::kSilent) {
        held_.push_back(std::move(done));
        return;
      }
    }
    if (linked != nullptr && mode == Mode::kAnswer) {
      // As the rpc transport does: the fill sequence sent travels with the entry.
      return linked->ServeGet(GetRequest{key, options.key_floor, options.timeout},
                              [done = std::move(done)](Result<cache::EntryPtr> r, uint64_t fill) {
                                if (!r.ok()) return done(GetReply{r.status(), true});
                                done(GetReply{WithFillSeq(*r, fill), false});
                              });
    }
    switch (mode) {
      case Mode::kAnswer:
        return done(GetReply{MakeEntry(key, "from " + name_, clock_.Now()), false});
      case Mode::kFail:
        return done(GetReply{Status::Unavailable("connection refused"), false});
      case Mode::kOwnerError:
        return done(GetReply{Status::Internal("the owner's store failed"), true});
      case Mode::kReply: {
        GetReply r;
        {
          MutexLock lock(mu_);
          r = reply_;
        }
        return done(std::move(r));
      }
      case Mode::kSilent:
        break;
    }
  }

  void Purge(const PurgeTarget& target, Duration, PurgeCallback done) override {
    bool ok;
    PeerService* linked = nullptr;
    {
      MutexLock lock(mu_);
      purges_.push_back(target.text);
      stamps_.push_back(target.stamp);
      ok = purge_ok_ && !cut_;
      if (ok) linked = linked_;
    }
    if (linked != nullptr) return done(linked->ServePurge(target));
    done(ok ? Result<uint64_t>(uint64_t{2}) : Result<uint64_t>(Status::Unavailable("refused")));
  }

  void Sync(const SyncRequest& request, Duration, SyncCallback done) override {
    PeerService* linked = nullptr;
    bool ok;
    {
      MutexLock lock(mu_);
      ++syncs_;
      ok = !cut_;
      linked = linked_;
    }
    if (!ok) return done(Status::Unavailable("refused"));
    if (linked != nullptr) return done(linked->ServeSync(request));
    SyncReply nothing;
    nothing.incarnation = 1;
    done(nothing);
  }

  // Members records the request and answers with the handler's reply (set_members), or fails.
  void Members(const MembersRequest& request, Duration, MembersCallback done) override {
    std::function<Result<MembersReply>(const MembersRequest&)> handler;
    {
      MutexLock lock(mu_);
      members_sent_.push_back(request);
      handler = members_;
    }
    done(handler ? handler(request) : Result<MembersReply>(Status::Unavailable("unreachable")));
  }
  void set_members(std::function<Result<MembersReply>(const MembersRequest&)> handler) {
    MutexLock lock(mu_);
    members_ = std::move(handler);
  }
  std::vector<MembersRequest> members_sent() const {
    MutexLock lock(mu_);
    return members_sent_;
  }

  void Ping(Duration, std::function<void(Status)> done) override {
    bool ok;
    {
      MutexLock lock(mu_);
      ++pings_;
      ok = ping_ok_ && !cut_;
    }
    done(ok ? Status::Ok() : Status::Unavailable("no pong"));
  }

  void Close() override {
    std::vector<GetCallback> held;
    {
      MutexLock lock(mu_);
      closed_ = true;
      held.swap(held_);
    }
    for (GetCallback& done : held) done(GetReply{Status::Cancelled("closed"), false});
  }

  // TimeOutHeld answers every held GET the way the transport does when the deadline passes.
  void TimeOutHeld() {
    std::vector<GetCallback> held;
    {
      MutexLock lock(mu_);
      held.swap(held_);
    }
    for (GetCallback& done : held) {
      done(GetReply{Status::DeadlineExceeded("no reply before the deadline"), false});
    }
  }

  void set_mode(Mode m) {
    MutexLock lock(mu_);
    mode_ = m;
  }
  // set_reply makes every GET answer `reply` (Mode::kReply).
  void set_reply(GetReply reply) {
    MutexLock lock(mu_);
    reply_ = std::move(reply);
    mode_ = Mode::kReply;
  }
  // link makes this fake a wire to another node's PeerService (a second Cluster): GETs in
  // Mode::kAnswer, PURGEs and PURGE_SYNCs are served by it.
  void link(PeerService* service) {
    MutexLock lock(mu_);
    linked_ = service;
  }
  // cut fails every call and ping (a partition) until cut(false).
  void cut(bool c) {
    MutexLock lock(mu_);
    cut_ = c;
  }
  std::vector<bool> memory_only() const {
    MutexLock lock(mu_);
    return memory_only_;
  }
  std::vector<uint64_t> floors() const {
    MutexLock lock(mu_);
    return floors_;
  }
  std::vector<PurgeStamp> stamps() const {
    MutexLock lock(mu_);
    return stamps_;
  }
  int syncs() const {
    MutexLock lock(mu_);
    return syncs_;
  }
  void set_ping_ok(bool ok) {
    MutexLock lock(mu_);
    ping_ok_ = ok;
  }
  void set_purge_ok(bool ok) {
    MutexLock lock(mu_);
    purge_ok_ = ok;
  }
  std::vector<std::string> gets() const {
    MutexLock lock(mu_);
    return gets_;
  }
  std::vector<Duration> timeouts() const {
    MutexLock lock(mu_);
    return timeouts_;
  }
  std::vector<std::string> purges() const {
    MutexLock lock(mu_);
    return purges_;
  }
  int pings() const {
    MutexLock lock(mu_);
    return pings_;
  }
  size_t held() const {
    MutexLock lock(mu_);
    return held_.size();
  }
  bool closed() const {
    MutexLock lock(mu_);
    return closed_;
  }

 private:
  const std::string name_;
  const Clock& clock_;
  mutable Mutex mu_;
  Mode mode_ SHOAL_GUARDED_BY(mu_) = Mode::kAnswer;
  GetReply reply_ SHOAL_GUARDED_BY(mu_);
  bool ping_ok_ SHOAL_GUARDED_BY(mu_) = true;
  bool purge_ok_ SHOAL_GUARDED_BY(mu_) = true;
  bool closed_ SHOAL_GUARDED_BY(mu_) = false;
  bool cut_ SHOAL_GUARDED_BY(mu_) = false;
  PeerService* linked_ SHOAL_GUARDED_BY(mu_) = nullptr;
  int syncs_ SHOAL_GUARDED_BY(mu_) = 0;
  std::vector<uint64_t> floors_ SHOAL_GUARDED_BY(mu_);
  std::vector<bool> memory_only_ SHOAL_GUARDED_BY(mu_);
  std::vector<PurgeStamp> stamps_ SHOAL_GUARDED_BY(mu_);
  int pings_ SHOAL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> gets_ SHOAL_GUARDED_BY(mu_);
  std::vector<Duration> timeouts_ SHOAL_GUARDED_BY(mu_);
  std::vector<std::string> purges_ SHOAL_GUARDED_BY(mu_);
  std::vector<GetCallback> held_ SHOAL_GUARDED_BY(mu_);
  std::function<Result<MembersReply>(const MembersRequest&)> members_ SHOAL_GUARDED_BY(mu_);
  std::vector<MembersRequest> members_sent_ SHOAL_GUARDED_BY(mu_);
};

// FakeTransport: hands out FakePeers by name, keeps the PeerService, and holds timers until
// the test fires them.
class FakeTransport final : public PeerTransport {
 public:
  explicit FakeTransport(const Clock& clock) : clock_(clock) {}

  std::shared_ptr<PeerClient> Connect(const std::string& peer) override {
    auto p = std::make_shared<FakePeer>(peer, clock_);
    if (auto h = members_.find(peer); h != members_.end()) p->set_members(h->second);
    peers_[peer] = p;
    all_.emplace_back(peer, p);  // kept alive: a test may hold a client the Cluster dropped
    return p;
  }
  // set_members makes every client of `peer`, now and later, answer MEMBERS with `handler`.
  void set_members(const std::string& peer,
                   const std::function<Result<MembersReply>(const MembersRequest&)>& handler) {
    members_[peer] = handler;
    for (auto& [name, p] : all_) {
      if (name == peer) p->set_members(handler);
    }
  }
  // members_sent: the MEMBERS calls to `peer`, over all its clients, in order of clients.
  std::vector<MembersRequest> members_sent(const std::string& peer) const {
    std::vector<MembersRequest> out;
    for (const auto& [name, p] : all_) {
      if (name != peer) continue;
      for (auto& r : p->members_sent()) out.push_back(std::move(r));
    }
    return out;
  }
  Status Serve(PeerService& service) override {
    service_ = &service;
    return Status::Ok();
  }
  uint16_t port() const override { return 0; }
  void StopServing() override { service_ = nullptr; }
  void After(Duration delay, std::function<void()> fn) override {
    delays_.push_back(delay);
    timers_.push_back(std::move(fn));
  }

  FakePeer& peer(const std::string& name) { return *peers_.at(name); }
  PeerService* service() { return service_; }
  size_t timers() const { return timers_.size(); }
  const std::vector<Duration>& delays() const { return delays_; }
  // FireTimers runs the timers armed so far (not those they arm).
  void FireTimers() {
    std::vector<std::function<void()>> due;
    due.swap(timers_);
    for (auto& fn : due) fn();
  }

 private:
  const Clock& clock_;
  std::map<std::string, std::shared_ptr<FakePeer>> peers_;
  std::vector<std::pair<std::string, std::shared_ptr<FakePeer>>> all_;
  std::map<std::string, std::function<Result<MembersReply>(const MembersRequest&)>> members_;
  PeerService* service_ = nullptr;
  std::vector<std::function<void()>> timers_;
  std::vector<Duration> delays_;
};

// InnerLoader: this node's store; records every key and scope it was asked.
class InnerLoader final : public cache::Loader {
 public:
  explicit InnerLoader(const Clock& clock) : clock_(clock) {}
  void Load(std::string key, cache::Scope scope, cache::LoadCallback done) override {
    {
      MutexLock lock(mu_);
      asked_.emplace_back(key, scope);
    }
    done(MakeEntry(key, "local", clock_.Now()), cache::Keep::kMain);
  }
  std::vector<std::pair<std::string, cache::Scope>> asked() const {
    MutexLock lock(mu_);
    return asked_;
  }

 private:
  const Clock& clock_;
  mutable Mutex mu_;
  std::vector<std::pair<std::string, cache::Scope>> asked_ SHOAL_GUARDED_BY(mu_);
};

struct Loaded {
  Result<cache::EntryPtr> entry = Status::Internal("not called");
  cache::Keep keep = cache::Keep::kMain;
  int calls = 0;
};

class ClusterTest : public ::testing::Test {
 protected:
  ClusterTest() {
    options_.self = kSelf;
    options_.peers = {kSelf, kB, kC};
    options_.secret = "cluster-unit-test-secret";  // the peers are beyond loopback
    options_.peer_timeout = 300ms;
    options_.probe_interval = 700ms;
    options_.hot_min_hits = 3;
    options_.logger = &log_;
    options_.handover = false;  // on, a key owned here is first asked of a peer (HandoverTest)
  }

  Cluster& Make() {
    cluster_ = std::make_unique<Cluster>(
        options_, transport_, inner_, clock_,
        [this](cache::ReadThrough&, const PurgeTarget& t) -> Result<uint64_t> {
          local_purges_.push_back(t.text);
          return uint64_t{3};
        });
    return *cluster_;
  }

  // MakeWithOwnerDown makes the Cluster with peer B answering in `mode` and failing every
  // ping: an owner that is really down.
  FakePeer& MakeWithOwnerDown(FakePeer::Mode mode) {
    Make();
    FakePeer& b = transport_.peer(kB);
    b.set_mode(mode);
    b.set_ping_ok(false);
    return b;
  }

  // KeyOwnedBy returns a key the ring gives to `node` (the same ring as the Cluster's).
  std::string KeyOwnedBy(const std::string& node, int skip = 0) const {
    HashRing ring(options_.peers, options_.ring_points);
    for (int i = 0;; ++i) {
      std::string key = "/v1/items/" + std::to_string(i);
      if (ring.nodes()[ring.OwnerIndex(key)] == node && skip-- == 0) return key;
    }
  }

  Loaded Load(const std::string& key, cache::Scope scope = cache::Scope::kCluster) {
    auto out = std::make_shared<Loaded>();
    cluster_->Load(key, scope, [out](Result<cache::EntryPtr> e, cache::Keep keep) {
      out->entry = std::move(e);
      out->keep = keep;
      ++out->calls;
    });
    EXPECT_EQ(out->calls, 1) << "the callback must run exactly once (synchronously here)";
    return *out;
  }

  bool Up(const std::string& node) const {
    for (const PeerInfo& p : cluster_->Peers()) {
      if (p.address == node) return p.up;
    }
    ADD_FAILURE() << node << " is not a peer";
    return false;
  }

  std::vector<std::string> InnerKeys() const {
    std::vector<std::string> keys;
    for (const auto& [key, scope] : inner_.asked()) {
      EXPECT_EQ(scope, cache::Scope::kLocal) << key;
      keys.push_back(key);
    }
    return keys;
  }

  ManualClock clock_;
  MemoryLogger log_;
  FakeTransport transport_{clock_};
  InnerLoader inner_{clock_};
  ClusterOptions options_;
  std::vector<std::string> local_purges_;
  std::unique_ptr<Cluster> cluster_;
};

}  // namespace shoal::cluster::cluster_testing

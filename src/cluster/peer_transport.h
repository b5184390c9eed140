// PeerTransport: the seam between the Cluster's decisions and the wire (groupcache's
// PeerPicker / ProtoGetter idea): how this node reaches a peer, and how peers reach it.
//
// Cluster decides who owns a key, when to fall back to a local load, when a peer is down and
// what the hot cache keeps; a transport only carries typed GET / PURGE / MEMBERS / PING exchanges
// and runs timers. The real one (rpc_transport.h) encodes them as cluster messages in rpc frames;
// a unit test drives Cluster through an in-memory fake that answers, fails or stays silent on
// command (cluster_test.cc).
//
// Ownership: a transport outlives the Cluster that uses it; PeerClients are shared by the
// Cluster's membership snapshots and closed by it when their peer leaves or at Stop.
// Thread-safety: every method may be called from any thread; callbacks run exactly once, on
// any thread, possibly before the call returns (except a ServeGetReply that ServeGet drops,
// below).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "cache/entry.h"
#include "cluster/members_message.h"
#include "cluster/messages.h"

namespace shoal::cluster {

// GetReply is what one GET to a key's owner came back with.
struct GetReply {
  // The owner's entry, or why there is none.
  Result<cache::EntryPtr> entry = Status::Unavailable("no reply");
  // For a non-OK `entry`: true when the owner itself answered with that error (its store
  // failed); false for a transport failure (no answer in time, no connection, a broken or
  // malformed reply), after which the key is loaded here.
  bool owner_error = false;
};

using GetCallback = std::function<void(GetReply)>;
using PurgeCallback = std::function<void(Result<uint64_t>)>;  // entries removed, or why not
using SyncCallback = std::function<void(Result<SyncReply>)>;

// GetOptions: how one GET is asked. The owner sees `timeout` as the caller's remaining
// deadline (a duration: no clock sync) and `key_floor` as the caller's purge floor for the
// key's slot (purge_sequencer.h).
struct GetOptions {
  Duration timeout = Duration::zero();
  uint64_t key_floor = 0;
  bool memory_only = false;  // a handover: the peer answers from memory or NotFound
};

// ServeGetReply answers a peer's GET: the entry (or why not) and the fill sequence the
// receiver compares with its purge floor (0: do not keep it). A ServeGet may drop it without
// calling it when the caller has already given up (its deadline passed): the transport then
// sends nothing, and the caller's own timeout answers it.
using ServeGetReply = std::function<void(Result<cache::EntryPtr>, uint64_t fill_seq)>;
using MembersCallback = std::function<void(Result<MembersReply>)>;

// PeerClient: this node's handle on one other node.
class PeerClient {
 public:
  virtual ~PeerClient() = default;
  // Get asks the owner for `key`, answered within `options.timeout`. The entry carries the
  // owner's fill sequence (cache::Entry::fill_seq).
  virtual void Get(std::string key, const GetOptions& options, GetCallback done) = 0;
  // Purge asks the peer to remove `target` from its caches.
  virtual void Purge(const PurgeTarget& target, Duration timeout, PurgeCallback done) = 0;
  // Sync exchanges purge state with the peer (PURGE_SYNC, purge_sequencer.h).
  virtual void Sync(const SyncRequest& request, Duration timeout, SyncCallback done) = 0;
  // Members sends this node's list version (members_message.h) and gets the peer's back.
  // The default fails: a transport that cannot carry MEMBERS leaves lists as configured.
  // NOLINTBEGIN(performance-unnecessary-value-param): overriders keep `done`
  virtual void Members(const MembersRequest& /*request*/, Duration /*timeout*/,
                       MembersCallback done) {
    done(Status::Unavailable("this transport does not carry MEMBERS"));
  }
  // NOLINTEND(performance-unnecessary-value-param)
  // Ping completes with OK when the peer answers at all, within `timeout`.
  virtual void Ping(Duration timeout, std::function<void(Status)> done) = 0;
  // Close fails what is in flight with Cancelled; later calls fail at once. Idempotent.
  virtual void Close() = 0;
};

// PeerService: what this node answers to other nodes (Cluster implements it).
class PeerService {
 public:
  virtual ~PeerService() = default;
  // ServeGet answers another node's GET from this node only (never forwarded again).
  // `request.key` is valid only during the call.
  virtual void ServeGet(const GetRequest& request, ServeGetReply done) = 0;
  // ServePurge removes `target` from this node's caches.
  virtual Result<uint64_t> ServePurge(const PurgeTarget& target) = 0;
  // ServeSync answers a peer's PURGE_SYNC.
  virtual Result<SyncReply> ServeSync(const SyncRequest& request) = 0;
  // ServeMembers takes another node's list version (adopting it when higher) and answers
  // with this node's (membership_sync.h).
  virtual MembersReply ServeMembers(const MembersRequest& /*request*/) { return {}; }
  // KnownCaller says whether a node that names itself `address` (authenticated by the shared
  // secret) may call this one. Never true for this node's own address.
  virtual bool KnownCaller(std::string_view address) const = 0;
};

class PeerTransport {
 public:
  virtual ~PeerTransport() = default;
  // Connect returns a client for `peer` ("host:port", already validated). Never null.
  virtual std::shared_ptr<PeerClient> Connect(const std::string& peer) = 0;
  // Serve starts answering other nodes with `service`, which must outlive StopServing.
  virtual Status Serve(PeerService& service) = 0;
  // port is where Serve listens (0 before Serve, or for a transport without a port).
  virtual uint16_t port() const = 0;
  // StopServing stops answering; when it returns, no call into the service runs. Idempotent.
  virtual void StopServing() = 0;
  // After runs `fn` once `delay` has passed (the down peers' probes); dropped at shutdown.
  virtual void After(Duration delay, std::function<void()> fn) = 0;
};

}  // namespace shoal::cluster

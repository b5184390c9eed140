// Cluster: this node's place among its peers. Membership, key ownership, the routing Loader,
// peer health, the hot cache's admission, the peer service and purge broadcast.
//
// Ownership of keys: a HashRing over `peers` (consistent hashing; hash_ring.h names the hash
// and the points per node). `peers` lists the nodes that own keys. A node whose cache has no
// memory (the original system's web tier) is not among them: it owns nothing and sends every
// miss to the owners. The membership (ring + peer table) is an immutable snapshot swapped
// atomically when the list changes, so requests keep routing meanwhile. The list is
// versioned and the same on every node (membership_sync.h: MEMBERS exchanges, adopting the
// highest version; sources: static peers, a peers file, DNS, seeds). A node with memory that
// is not in the list owns no keys and forwards every miss.
//
// The miss path (RoutingLoader, this class's Loader):
//   - the key is owned here, or the load came from a peer (Scope::kLocal): the inner Loader
//     (the store) loads it, kept in the main cache;
//   - otherwise: one GET to the owner through the PeerTransport (peer_transport.h; by default
//     the rpc one: a pooled, multiplexed rpc::Client per peer), with the peer deadline. The owner
//     runs the same ReadThrough, so its singleflight makes the whole cluster load the key once. The
//     answer is checked (peer_reply.h: a well-formed ETag; deadlines clamped to the key's ttl +
//     grace; one that fails is a malformed reply, below) and goes into the hot cache when this node
//     has asked for the key often (a FrequencySketch, counted on every remote fetch; admission at
//     `hot_min_hits`), else nowhere;
//   - the owner refuses, times out or breaks: it is marked down and probed with PING every
//     `probe_interval` until it answers; meanwhile this node loads the keys it would have
//     sent there itself (kept in the main cache). No request waits longer than the peer
//     deadline because of a peer.
//   - the owner answered with an error of its own (its store failed): its code with a fixed
//     phrase (the owner's text is only logged, escaped and rate-limited).
//
// The peer service (a PeerService the transport calls) answers other nodes' GETs from this node's
// ReadThrough with Scope::kLocal (never forwarded again: two nodes that briefly disagree about the
// ring cannot wait on each other; peer_get.h: the caller's deadline and purge floor), their
// PURGEs and PURGE_SYNCs through the PurgeCoordinator, and their MEMBERS with this node's list
// version (MembershipSync). It accepts calls from its peers and `callers` (KnownCaller; the rpc
// handshake checks it).
//
// Purges are sequenced (purge_sequencer.h, purge_coordinator.h): Purge stamps them; a node
// keeps no copy of another node's answer that is older than a purge it applied (a hot copy, a
// handover: ClusterStats::copies_refused); a peer that missed purges (down, partitioned, a
// failed PURGE, a gap in an origin's counter) is caught up by PURGE_SYNC when it answers again.
//
// Deadlines across hops: a GET to an owner carries `peer_timeout` as the caller's remaining
// deadline; the owner refuses at once a load that cannot finish in time and drops a reply
// that would come too late (peer_get.h). A slow owner costs a request at most peer_timeout,
// then the local fallback above.
//
// Handover (handover.h, `handover`): for max_peer_ttl after the peer list changes (or after
// start: the previous list is then the list without this node), a key this node now owns is
// first asked of its owner under the previous list, from memory only, before the store. The
// previous list is kept one change back only. After kHandoverMissesToEnd (64) asks of one
// change in a row found nothing (a cold cluster), that change's handover ends (logged once).
//
// Logging (ClusterOptions::logger, component "cluster"): a peer marked down (with the reason)
// and up again, once per change; each list version adopted, and that this node is not a
// member of it (membership_sync.h); at Start, a warning when `insecure` lets peers beyond
// loopback talk without a secret.
//
// Ownership: borrows the inner Loader and the Clock, and the PeerTransport if given one (else
// it owns an RpcTransport over the borrowed rpc::Runtime); all outlive it. It owns the peer
// clients. Start borrows the ReadThrough, which must stay
// alive until Stop. Stop before destroying the ReadThrough's caches.
// Thread-safety: thread-safe after Start.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/status.h"
#include "base/tls_files.h"
#include "cache/loader.h"
#include "cache/read_through.h"
#include "cluster/membership_sync.h"
#include "cluster/messages.h"
#include "cluster/peer_reply.h"  // PeerLimits
#include "cluster/peer_transport.h"
#include "cluster/purge_coordinator.h"  // PurgeSummary
#include "rpc/runtime.h"

namespace shoal::cluster {

struct ClusterOptions {
  std::string self;                // this node's peer address, host:port
  std::vector<std::string> peers;  // the nodes that own keys, host:port each (epoch 0)
  // Where the list comes from and how it spreads (membership_sync.h). With a source other
  // than the static `peers`, `peers` is the source's first reading (empty for seeds) and
  // `has_memory` says whether this node would own keys when listed.
  MembershipOptions membership;
  bool has_memory = true;
  std::string listen_host;  // where the peer server binds (port: self's); default self's
  std::string secret;       // shared by all nodes; empty: no peer authentication
  // Mutual TLS on the peer port (cluster.tls; rpc/client.h, rpc/server.h): all three files or
  // none. It authenticates peers on its own: with it a secret is optional.
  TlsFiles tls;
  // Without a secret or TLS, peers beyond loopback are refused unless this is set
  // (cluster.insecure).
  bool insecure = false;
  // Nodes that own no keys (cache.memory 0) and call this one. When non-empty, an
  // authenticated peer connection must name an address in `peers` or here; when empty (so
  // that owners need no entry for a front node), any address but this node's own.
  std::vector<std::string> callers;
  // Where to connect to reach a member when not at its own address (cluster.connect_to, like
  // curl's --connect-to): member host:port -> dial host:port, say a proxy in front of it. The
  // member keeps its name in the ring and in the rpc handshake (the transport's business).
  std::map<std::string, std::string> connect_to;
  // Clamps on an owner's answer (security review M1): a peer's entry stays fresh here at most
  // the ttl of its key's endpoint and servable at most peer_grace after that. serve sets
  // `peer_ttl` from the router (the key's endpoint's ttl) and peer_grace from api.grace; when
  // `peer_ttl` is unset or has no answer for a key, max_peer_ttl applies.
  std::function<std::optional<Duration>(std::string_view key)> peer_ttl;
  // When set, replaces peer_ttl and peer_grace for the keys it answers: the key's endpoint's
  // ttl and its own grace (the endpoint's `grace`, else api.grace). serve sets it.
  std::function<std::optional<PeerLimits>(std::string_view key)> peer_limits;
  Duration max_peer_ttl = std::chrono::hours(1);
  Duration peer_grace = std::chrono::minutes(5);
  Duration peer_timeout = std::chrono::milliseconds(500);
  Duration probe_interval = std::chrono::milliseconds(500);
  size_t connections = 2;            // per peer
  size_t ring_points = 160;          // virtual nodes per peer
  bool hot_cache = true;             // keep often-asked copies of other nodes' keys
  uint32_t hot_min_hits = 3;         // remote fetches of a key (recently) before it is kept
  size_t hot_expected_keys = 32768;  // sizes the frequency sketch (about the hot entries)
  // Purge sequencing (purge_sequencer.h): the purge group of an endpoint's route, so that an
  // endpoint purge raises that group's floor (unset or no answer: the whole cache's floor);
  // and how many of its own purges this node keeps for peers that missed them.
  std::function<std::optional<uint32_t>(std::string_view route)> group_of_route;
  size_t purge_log = 4096;
  // A peer's GET that would start a store load with less time left than this (or than the
  // running estimate of a load, if longer) is refused at once with DeadlineExceeded.
  Duration min_load_time = std::chrono::milliseconds(1);
  // Handover (cluster.handover): for a while after the peer list changes, a key this node
  // now owns and does not hold is first asked from its owner under the previous list (if
  // another node, still up), from memory only, before this node's store. The window is
  // max_peer_ttl (serve: the longest endpoint ttl): an older entry would have expired.
  bool handover = true;
  // Component "cluster"; the default transport passes it to rpc (component "rpc").
  Logger* logger = &NullLogger();
  // Told of every GET sent to an owner once it completes: the peer, the time from sending to
  // the reply (real steady time), and whether the owner answered (false: a transport failure,
  // the key is loaded here). For metrics (cli/serve_metrics.h); runs on any thread, must be
  // cheap and must not call into the Cluster. Unset: not measured.
  std::function<void(const std::string& peer, Duration elapsed, bool answered)> on_peer_get;
};

struct PeerInfo {
  std::string address;
  bool self = false;
  bool up = true;
};

struct ClusterStats {
  uint64_t peer_gets = 0;        // GETs sent to owners
  uint64_t peer_errors = 0;      // of which failed in transport (the key was loaded here)
  uint64_t local_fallbacks = 0;  // loads done here because the owner was down or failed
  uint64_t hot_admissions = 0;   // remote answers kept in the hot cache
  uint64_t served_gets = 0;      // GETs answered for other nodes
  uint64_t served_purges = 0;
  uint64_t ring_changes = 0;
  uint64_t copies_refused = 0;    // peer answers not kept: older than a purge applied here
  uint64_t purge_behind = 0;      // keys dropped here because a GET showed a missed purge
  uint64_t purge_duplicates = 0;  // stamped purges received again, skipped
  uint64_t purge_syncs = 0;       // PURGE_SYNC catch-ups completed (as the caller)
  uint64_t purge_flushes = 0;     // whole-cache flushes (a purge log did not reach back)
  uint64_t purge_resent = 0;      // own purges sent again to a peer that missed them
  uint64_t deadline_refused = 0;  // peer GETs refused: too little time left for a load
  uint64_t late_dropped = 0;      // peer GET replies dropped: the caller's deadline passed
  uint64_t handover_hits = 0;     // keys taken over from their previous owner's memory
  uint64_t handover_misses = 0;   // handover asks answered "not held" or failed (store load)
  uint64_t list_epoch = 0;        // the member list's version
  uint64_t members = 0;           // nodes in the list
  uint64_t lists_adopted = 0;     // list versions adopted after the first
};

// MemberView is one member as GET /_shoal/cluster shows it.
struct MemberView {
  std::string address;
  bool self = false;
  std::string state;                    // "up", "suspect" (a PING is asking), "down"
  double share = 0;                     // of the hash space (HashRing::Shares)
  std::optional<ListVersion> reported;  // the version it last told this node
};

struct ClusterView {
  std::string self;
  bool member = false;  // this node is in the list (owns keys)
  ListSource source = ListSource::kStatic;
  std::string source_name;
  ListVersion version;
  std::vector<MemberView> members;
};

class Cluster final : public cache::Loader {
 public:
  // LocalPurge removes a purge target from this node's caches (those of the ReadThrough given
  // to Start) and says how many went.
  using LocalPurge = std::function<Result<uint64_t>(cache::ReadThrough&, const PurgeTarget&)>;

  // ValidateOptions checks addresses and the rule that a node with memory owns keys (is in
  // `peers`) and one without does not.
  static Status ValidateOptions(const ClusterOptions& options, bool has_memory);

  // The production node: peers over rpc (an RpcTransport on `runtime`).
  Cluster(ClusterOptions options, rpc::Runtime& runtime, cache::Loader& inner, const Clock& clock,
          LocalPurge local_purge);
  // Peers through `transport` (a test's fake, say), which must outlive the Cluster.
  Cluster(ClusterOptions options, PeerTransport& transport, cache::Loader& inner,
          const Clock& clock, LocalPurge local_purge);
  ~Cluster() override;  // Stop()
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Start serves other nodes' calls from `read_through` (the rpc transport listens on self's
  // port). Without a secret or TLS it refuses (InvalidArgument) a peer or a peer-port host
  // beyond loopback, unless `insecure` is set, which it then warns about once.
  Status Start(cache::ReadThrough& read_through);
  uint16_t peer_port() const;
  // Stop stops serving peers and closes every client; calls in flight fail. Idempotent.
  void Stop();

  // cache::Loader: the routing described above.
  bool IsLocal(std::string_view key) const override;
  uint32_t GroupOf(std::string_view key) const override;           // the inner Loader's
  cache::KeyPolicy PolicyOf(std::string_view key) const override;  // the inner Loader's
  // OwnerOf: the key's owner in the current ring (this node's address when it owns the key);
  // "" while the ring is empty.
  std::string_view OwnerOf(std::string_view key) const override;
  void Load(std::string key, cache::Scope scope, cache::LoadCallback done) override;

  // SetPeers proposes `peers` as a new list version (epoch + 1, origin self) that spreads to
  // every node; the ring is rebuilt and swapped atomically. Clients of peers that stay are
  // kept. Errors (a bad address, self missing, a peer beyond loopback without a secret, a
  // list that comes from a file or DNS) change nothing.
  Status SetPeers(std::vector<std::string> peers);
  std::vector<PeerInfo> Peers() const;
  ClusterView View() const;
  const std::string& self() const;

  // Purge removes the target here and on every peer; `done` runs once, on any thread, when
  // all answered or failed (each within the peer deadline).
  void Purge(const PurgeTarget& target, std::function<void(PurgeSummary)> done);

  ClusterStats Stats() const;

 private:
  struct State;
  void Init(ClusterOptions options, std::unique_ptr<PeerTransport> owned, PeerTransport& transport,
            cache::Loader& inner, const Clock& clock, LocalPurge local_purge);

  std::shared_ptr<State> state_;
};

}  // namespace shoal::cluster

// MembershipSync: one versioned member list, the same on every node (issue 15).
//
// It holds this node's current MemberList (members_message.h: {epoch, origin, digest} and the
// sorted list) and settles it with the other nodes over MEMBERS exchanges:
//   - a node adopts any version higher than its own (the Cluster rebuilds its ring through
//     Hooks::apply; a list apply refuses, such as a peer beyond loopback without a secret, is
//     not adopted) and pushes it at once to every member of the old and the new list and to
//     the non-members that exchanged with it in the last kRecentCaller (front nodes);
//   - a MEMBERS call carries the sender's version and list; the reply carries the receiver's
//     list when that is higher, so one exchange settles both;
//   - Exchange is called on first contact (Start: every member and seed) and when a down
//     peer answers again (Cluster's Probe); every `anti_entropy` one random member (or seed,
//     when there is none) is asked, so a lost push heals;
//   - Propose makes a local change (PUT /_shoal/peers, or the source changed): epoch + 1,
//     origin this node. The source (`read_source`: a peers file, DNS) is polled every
//     `source_interval` on a thread of this class; only a change in what the source says since the
//     last poll is proposed, so a lagging source on one node does not fight the others;
//   - joining (source kSeeds): a node with cache memory that is not in the list and never
//     was sends its exchanges with the join flag; a member receiving one proposes the list
//     with the joiner added. Once a member, a node that is later removed stays out.
//
// Logging (component "cluster"): each adopted list; that this node is not a member of a
// version (once per version); source failures (rate-limited).
//
// Ownership: borrows the transport, the Clock and the Logger (they outlive it). Held by a
// shared_ptr (timers and replies hold it weakly). Thread-safety: thread-safe; hooks are
// called without this class's locks held, except `apply`, which runs under the adoption
// lock and must not call back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "cluster/members_message.h"
#include "cluster/peer_transport.h"

namespace shoal::cluster {

enum class ListSource : uint8_t { kStatic, kFile, kDns, kSeeds };
std::string_view ListSourceName(ListSource source);  // "peers", "peers_file", ...

struct MembershipOptions {
  ListSource source = ListSource::kStatic;
  std::string source_name;         // the file's path or the DNS name (for messages)
  std::vector<std::string> seeds;  // kSeeds: whom to ask for the list first
  Duration anti_entropy = std::chrono::seconds(1);
  Duration source_interval = std::chrono::seconds(1);
  // kFile / kDns: reads what the source says now. Called every source_interval on a thread
  // of MembershipSync's own (it may block: a DNS query).
  std::function<Result<std::vector<std::string>>()> read_source;
};

class MembershipSync : public std::enable_shared_from_this<MembershipSync> {
 public:
  struct Hooks {
    // apply installs `members` (sorted) as the ring; an error refuses the list.
    std::function<Status(const std::vector<std::string>&)> apply;
    // member_client returns the Cluster's client of a current member, or null.
    std::function<std::shared_ptr<PeerClient>(const std::string&)> member_client;
    // settled runs after an adoption, with no lock of this class held (the Cluster closes
    // the clients of peers that left: Close waits for their callbacks, which may adopt).
    std::function<void()> settled;
  };

  // kRecentCaller: how long a node that exchanged with this one gets pushes.
  static constexpr Duration kRecentCaller = std::chrono::seconds(30);

  MembershipSync(std::string self, bool has_memory, MembershipOptions options,
                 PeerTransport& transport, const Clock& clock, Duration timeout, Log log,
                 Hooks hooks, MemberList initial);
  ~MembershipSync();  // Stop()
  MembershipSync(const MembershipSync&) = delete;
  MembershipSync& operator=(const MembershipSync&) = delete;

  // Start: exchange with every member and seed, arm the anti-entropy and source timers.
  void Start();
  // Stop: timers end, replies are ignored, clients of non-members are closed. Idempotent.
  void Stop();

  MemberList Current() const;
  bool IsMember() const;
  const MembershipOptions& options() const { return options_; }
  // Propose makes `members` the list as a change made here (epoch + 1). The same list as now
  // changes nothing. An error from apply is returned.
  Status Propose(std::vector<std::string> members);
  // Serve answers another node's MEMBERS.
  MembersReply Serve(const MembersRequest& request);
  // Exchange sends this node's version to `address` and adopts a higher one from the reply.
  void Exchange(const std::string& address);
  // Reported is the version `address` last told this node (in a call or a reply).
  std::optional<ListVersion> Reported(const std::string& address) const;
  uint64_t adopted() const;

 private:
  // Install adopts what `next_of(current)` returns when it is higher than current; `skip`
  // gets no push (it just sent the list). `error`, when given, receives apply's refusal.
  bool Install(const std::function<std::optional<MemberList>(const MemberList&)>& next_of,
               const std::string& skip, Status* error = nullptr);
  void Arm(Duration delay, void (MembershipSync::*tick)());
  void AntiEntropy();
  void PollSource();
  void SourceLoop();
  std::shared_ptr<PeerClient> ClientFor(const std::string& address);
  void Note(const std::string& address, const ListVersion& v, bool caller);

  const std::string self_;
  const bool has_memory_;
  const MembershipOptions options_;
  PeerTransport& transport_;
  const Clock& clock_;
  const Duration timeout_;
  const Log log_;
  const Hooks hooks_;
  LogLimiter source_log_{std::chrono::seconds(30), 2};
  LogLimiter refuse_log_{std::chrono::seconds(30), 2};

  Mutex install_mu_;  // serialises adoptions (apply runs under it)
  mutable Mutex mu_;
  MemberList current_ SHOAL_GUARDED_BY(mu_);
  bool was_member_ SHOAL_GUARDED_BY(mu_) = false;
  bool stopped_ SHOAL_GUARDED_BY(mu_) = false;
  uint64_t adopted_ SHOAL_GUARDED_BY(mu_) = 0;
  std::optional<std::vector<std::string>> last_source_ SHOAL_GUARDED_BY(mu_);
  std::map<std::string, ListVersion> reported_ SHOAL_GUARDED_BY(mu_);
  std::map<std::string, TimePoint> callers_ SHOAL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<PeerClient>> others_ SHOAL_GUARDED_BY(mu_);
  CondVar stop_cv_;
  std::thread source_thread_;  // started by Start when there is a read_source; joined by Stop
  std::minstd_rand random_ SHOAL_GUARDED_BY(mu_){std::random_device{}()};
};

}  // namespace shoal::cluster

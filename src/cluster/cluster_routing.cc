// Cluster's miss path (cluster.h, "The miss path") and peer health: loading here (with the
// fill sequence), a key owned here (a handover ask first: handover.h), forwarding to the
// owner and checking its answer (peer_reply.h, hot admission), and marking an owner down,
// suspecting a slow one and probing a down one until it answers.
// Thread-safety: any thread; callbacks reach State weakly or hold it shared while they run.
#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "base/log_escape.h"
#include "cluster/cluster_internal.h"

namespace shoal::cluster {

using cluster_internal::Peer;

void Cluster::State::LoadHere(std::string key, cache::LoadCallback done) {
  const uint64_t fill = purge->sequencer().MaxSeen();
  inner.Load(std::move(key), cache::Scope::kLocal,
             [self = shared_from_this(), fill, start = clock.Now(), done = std::move(done)](
                 Result<cache::EntryPtr> r, cache::Keep keep) {
               self->get_server->load_time().Add(self->clock.Now() - start);
               if (r.ok()) r = WithFillSeq(*r, fill);
               done(std::move(r), keep);
             });
}

void Cluster::State::LoadOwned(std::string key, const Membership& m, cache::LoadCallback done) {
  std::shared_ptr<Peer> prev;
  if (options.handover && m.handover_streak->asking() &&
      clock.Now() - m.changed < options.max_peer_ttl) {
    prev = m.PreviousOwner(key);
  }
  if (!prev || key.size() > kMaxKey) return LoadHere(std::move(key), std::move(done));
  const HandoverAsk ask{options.peer_timeout, LimitsFor(key), inner.GroupOf(key)};
  std::shared_ptr<State> self = shared_from_this();
  AskForHandover(
      *prev->client, key, ask, clock, purge,
      [self, streak = m.handover_streak, done](cache::EntryPtr e) {
        streak->Hit();
        self->handover_hits.fetch_add(1, std::memory_order_relaxed);
        done(std::move(e), cache::Keep::kMain);
      },
      [self, streak = m.handover_streak, key, done] {
        if (streak->Miss()) {
          self->log.Info("handover from the previous list ended: " +
                         std::to_string(kHandoverMissesToEnd) + " asks in a row found nothing");
        }
        self->handover_misses.fetch_add(1, std::memory_order_relaxed);
        self->LoadHere(key, done);
      });
}

void Cluster::State::Forward(std::string key, const std::shared_ptr<Peer>& peer,
                             cache::LoadCallback done) {
  peer_gets.fetch_add(1, std::memory_order_relaxed);
  std::weak_ptr<State> weak = weak_from_this();
  std::string sent = key;
  const GetOptions get{options.peer_timeout, purge->sequencer().KeyFloor(key)};
  const TimePoint sent_at = std::chrono::steady_clock::now();
  peer->client->Get(
      std::move(sent), get,
      [weak, peer, key = std::move(key), done = std::move(done), sent_at](GetReply r) mutable {
        std::shared_ptr<State> s = weak.lock();
        if (!s) return done(Status::Cancelled("shutting down"), cache::Keep::kNone);
        if (s->options.on_peer_get) {
          s->options.on_peer_get(peer->address, std::chrono::steady_clock::now() - sent_at,
                                 r.entry.ok() || r.owner_error);
        }
        s->Answered(std::move(key), peer, std::move(r), std::move(done));
      });
}

PeerLimits Cluster::State::LimitsFor(std::string_view key) const {
  if (options.peer_limits) {
    if (std::optional<PeerLimits> limits = options.peer_limits(key)) return *limits;
  }
  std::optional<Duration> ttl;
  if (options.peer_ttl) ttl = options.peer_ttl(key);
  return PeerLimits{ttl.value_or(options.max_peer_ttl), options.peer_grace};
}

void Cluster::State::Answered(std::string key, const std::shared_ptr<Peer>& peer, GetReply reply,
                              cache::LoadCallback done) {
  if (reply.entry.ok()) {
    const cache::EntryPtr sent = *reply.entry;
    reply.entry = CheckPeerEntry(sent, clock.Now(), LimitsFor(key));
    if (!reply.entry.ok()) {
      fault_log.Write(log, LogLevel::kWarn,
                      "peer " + peer->address + " sent a malformed reply for " + EscapeForLog(key) +
                          " (ETag " + EscapeForLog(sent->etag()) + "); loading the key here");
    }
  }
  if (reply.entry.ok()) {
    cache::Keep keep = cache::Keep::kNone;
    // Not an answer older than a purge applied here (the owner had not applied it yet, or a
    // soft purge marked it): served once, kept nowhere, and it must not refresh a hot copy
    // either (ReadThrough refreshes one with any kNone answer), so it goes as no_store.
    const bool may_keep = purge->sequencer().MayKeep(**reply.entry, inner.GroupOf(key));
    if (!may_keep && !(*reply.entry)->no_store()) {
      cache::EntryOptions o = (*reply.entry)->CopyOptions();
      o.no_store = true;
      reply.entry = cache::Entry::Make(std::move(o));
    }
    if (hot.Admit(key)) {
      if (may_keep) {
        keep = cache::Keep::kHot;
        hot_admissions.fetch_add(1, std::memory_order_relaxed);
      } else {
        copies_refused.fetch_add(1, std::memory_order_relaxed);
      }
    }
    return done(std::move(reply.entry), keep);
  }
  // The owner's own answer (its store failed): pass it on, in our words; its text is logged
  // (escaped, rate-limited), never shown to the caller.
  if (reply.owner_error) {
    fault_log.Write(log, LogLevel::kWarn,
                    "peer " + peer->address + " could not load " + EscapeForLog(key) + ": " +
                        std::string(StatusCodeName(reply.entry.status().code())) + ": " +
                        EscapeForLog(reply.entry.status().message()));
    return done(OwnerErrorForCaller(reply.entry.status()), cache::Keep::kNone);
  }
  const Status failure = reply.entry.status();
  peer_errors.fetch_add(1, std::memory_order_relaxed);
  local_fallbacks.fetch_add(1, std::memory_order_relaxed);
  if (!stopping) {
    if (failure.code() == StatusCode::kDeadlineExceeded) {
      Suspect(peer, failure);
    } else {
      MarkDown(peer, failure);
    }
  }
  LoadHere(std::move(key), std::move(done));
}

void Cluster::State::MarkDown(const std::shared_ptr<Peer>& peer, const Status& why) {
  if (peer->down.exchange(true)) return;
  log.Warn("peer " + peer->address + " down (" + std::string(why.message()) +
           "); loading its keys here until it answers");
  Probe(peer);
}

void Cluster::State::Probe(const std::shared_ptr<Peer>& peer) {
  std::weak_ptr<State> weak = weak_from_this();
  std::weak_ptr<Peer> weak_peer = peer;
  transport.After(options.probe_interval, [weak, weak_peer] {
    std::shared_ptr<State> s = weak.lock();
    std::shared_ptr<Peer> p = weak_peer.lock();
    if (!s || !p || s->stopping || p->retired) return;
    p->client->Ping(s->options.peer_timeout, [weak, weak_peer](const Status& status) {
      std::shared_ptr<State> st = weak.lock();
      std::shared_ptr<Peer> pr = weak_peer.lock();
      if (!st || !pr || st->stopping || pr->retired) return;
      if (!status.ok()) return st->Probe(pr);
      if (pr->down.exchange(false)) {
        st->log.Info("peer " + pr->address + " up again");
        st->sync->Exchange(pr->address);   // settle lists first thing after a reconnect
        st->purge->SyncWith(pr->address);  // the purges either side missed meanwhile
      }
    });
  });
}

void Cluster::State::Suspect(const std::shared_ptr<Peer>& peer, const Status& why) {
  if (peer->down || peer->checking.exchange(true)) return;
  std::weak_ptr<State> weak = weak_from_this();
  peer->client->Ping(options.peer_timeout, [weak, peer, why](const Status& status) {
    peer->checking = false;
    std::shared_ptr<State> s = weak.lock();
    if (!s || s->stopping || peer->retired || status.ok()) return;
    s->MarkDown(peer, why);
  });
}

}  // namespace shoal::cluster

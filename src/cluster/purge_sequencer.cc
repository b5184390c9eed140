#include "cluster/purge_sequencer.h"

#include <algorithm>
#include <random>
#include <utility>

#include "base/keyed_hash.h"
#include "cache/tag_list.h"

namespace shoal::cluster {
namespace {

uint64_t RandomIncarnation() {
  std::random_device rd;
  uint64_t v = 0;
  while (v == 0) v = (uint64_t{rd()} << 32) ^ rd();
  return v;
}

constexpr size_t kMaxAhead = 4096;  // out-of-order purges remembered per origin

}  // namespace

cache::EntryPtr WithFillSeq(const cache::EntryPtr& entry, uint64_t seq) {
  if (entry->fill_seq() == seq) return entry;
  cache::EntryOptions o = entry->CopyOptions();
  o.fill_seq = seq;
  o.headers = std::string(entry->headers());
  return cache::Entry::Make(std::move(o));
}

PurgeSequencer::PurgeSequencer(PurgeSequencerOptions options) : options_(std::move(options)) {
  if (options_.incarnation == 0) options_.incarnation = RandomIncarnation();
  options_.key_slots = std::max<size_t>(options_.key_slots, 1);
  options_.group_slots = std::max<size_t>(options_.group_slots, 1);
  MutexLock lock(mu_);
  key_floor_.assign(options_.key_slots, 0);
  group_floor_.assign(options_.group_slots, 0);
  tag_floor_.assign(options_.tag_slots, 0);
}

void PurgeSequencer::Observe(uint64_t seq) {
  uint64_t cur = max_seen_.load(std::memory_order_relaxed);
  while (cur < seq && !max_seen_.compare_exchange_weak(cur, seq, std::memory_order_acq_rel)) {
  }
}

void PurgeSequencer::RaiseAllLocked(uint64_t seq) { whole_floor_ = std::max(whole_floor_, seq); }

void PurgeSequencer::RaiseLocked(const PurgeTarget& target, std::optional<uint32_t> group) {
  const uint64_t seq = target.stamp.seq;
  if (seq == 0) return;
  switch (target.kind) {
    case PurgeKind::kKey: {
      uint64_t& f = key_floor_[KeyedHash(target.text) % key_floor_.size()];
      f = std::max(f, seq);
      return;
    }
    case PurgeKind::kEndpoint:
      if (group) {
        uint64_t& f = group_floor_[*group % group_floor_.size()];
        f = std::max(f, seq);
        return;
      }
      return RaiseAllLocked(seq);
    case PurgeKind::kTag: {  // the text: tags joined by spaces
      std::string_view rest = target.text;
      while (!rest.empty()) {
        const size_t sp = rest.find(' ');
        uint64_t& f = tag_floor_[KeyedHash(rest.substr(0, sp)) % tag_floor_.size()];
        f = std::max(f, seq);
        if (sp == std::string_view::npos) break;
        rest.remove_prefix(sp + 1);
      }
      return;
    }
    case PurgeKind::kAll:
      return RaiseAllLocked(seq);
  }
}

bool PurgeSequencer::MayKeep(const cache::Entry& entry, uint32_t group) const {
  if (entry.no_store()) return false;
  const size_t k = KeyedHash(entry.key()) % options_.key_slots;
  MutexLock lock(mu_);
  uint64_t floor =
      std::max({key_floor_[k], group_floor_[group % group_floor_.size()], whole_floor_});
  for (std::string_view rest = entry.tags(), tag; cache::NextTag(&rest, &tag);) {
    floor = std::max(floor, tag_floor_[KeyedHash(tag) % tag_floor_.size()]);
  }
  return entry.fill_seq() >= floor;
}

PurgeTarget PurgeSequencer::Originate(PurgeTarget target, std::optional<uint32_t> group) {
  MutexLock lock(mu_);
  // One more than anything seen: CAS so that a concurrent Observe is not lost.
  uint64_t cur = max_seen_.load(std::memory_order_relaxed);
  while (!max_seen_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel)) {
  }
  target.stamp = PurgeStamp{cur + 1, options_.self, options_.incarnation, ++next_n_};
  RaiseLocked(target, group);
  log_.push_back(target);
  while (log_.size() > options_.log_capacity) log_.pop_front();
  return target;
}

Receipt PurgeSequencer::Receive(const PurgeTarget& target, std::optional<uint32_t> group) {
  Receipt receipt;
  const PurgeStamp& st = target.stamp;
  if (st.seq == 0) {
    receipt.apply = true;  // an older peer: apply, nothing to order it by
    return receipt;
  }
  Observe(st.seq);
  MutexLock lock(mu_);
  if (st.origin == options_.self && st.incarnation == options_.incarnation) return receipt;
  Origin& o = origins_[st.origin];
  if (o.incarnation != st.incarnation) o = Origin{st.incarnation, 0, {}};
  if (st.n <= o.applied || o.ahead.contains(st.n)) return receipt;  // duplicate
  receipt.apply = true;
  RaiseLocked(target, group);
  if (st.n == o.applied + 1) {
    ++o.applied;
    while (!o.ahead.empty() && *o.ahead.begin() == o.applied + 1) {
      o.ahead.erase(o.ahead.begin());
      ++o.applied;
    }
  } else {
    receipt.gap = true;
    if (o.ahead.size() < kMaxAhead) o.ahead.insert(st.n);
  }
  return receipt;
}

uint64_t PurgeSequencer::Floor(std::string_view key, uint32_t group) const {
  const size_t k = KeyedHash(key) % options_.key_slots;
  MutexLock lock(mu_);
  return std::max({key_floor_[k], group_floor_[group % group_floor_.size()], whole_floor_});
}

uint64_t PurgeSequencer::KeyFloor(std::string_view key) const {
  const size_t k = KeyedHash(key) % options_.key_slots;
  MutexLock lock(mu_);
  return key_floor_[k];
}

void PurgeSequencer::RaiseKeyFloor(std::string_view key, uint64_t seq) {
  Observe(seq);
  const size_t k = KeyedHash(key) % options_.key_slots;
  MutexLock lock(mu_);
  key_floor_[k] = std::max(key_floor_[k], seq);
}

SyncRequest PurgeSequencer::MakeSyncRequest(const std::string& peer) const {
  SyncRequest q;
  q.from = options_.self;
  q.from_incarnation = options_.incarnation;
  q.max_seen = MaxSeen();
  MutexLock lock(mu_);
  if (auto it = origins_.find(peer); it != origins_.end()) {
    q.your_incarnation = it->second.incarnation;
    q.applied_from_you = it->second.applied;
  }
  q.last_n = next_n_;
  q.first_n = log_.empty() ? next_n_ + 1 : log_.front().stamp.n;
  return q;
}

SyncReply PurgeSequencer::AnswerSync(const SyncRequest& request, bool* flush_here) {
  *flush_here = false;
  Observe(request.max_seen);
  SyncReply reply;
  reply.incarnation = options_.incarnation;
  MutexLock lock(mu_);
  Origin& o = origins_[request.from];
  if (o.incarnation != request.from_incarnation) o = Origin{request.from_incarnation, 0, {}};
  if (o.applied + 1 < request.first_n) {
    // The caller's log no longer holds what this node missed from it: flush, and count it as
    // applied through its last purge.
    *flush_here = true;
    RaiseAllLocked(request.max_seen);
    o.applied = request.last_n;
    o.ahead.clear();
  }
  reply.applied_from_you = o.applied;
  reply.last_n = next_n_;
  const uint64_t applied =
      request.your_incarnation == options_.incarnation ? request.applied_from_you : 0;
  const uint64_t first = log_.empty() ? next_n_ + 1 : log_.front().stamp.n;
  if (applied + 1 < first) {
    reply.flush = true;
  } else {
    size_t bytes = 0;
    for (const PurgeTarget& t : log_) {
      if (t.stamp.n <= applied) continue;
      bytes += t.text.size() + 64;
      if (reply.purges.size() == kMaxSyncPurges || bytes > kMaxSyncBytes) {
        reply.purges.clear();
        reply.flush = true;
        break;
      }
      reply.purges.push_back(t);
    }
  }
  reply.max_seen = MaxSeen();
  return reply;
}

bool PurgeSequencer::TakeSyncReply(const std::string& peer, const SyncReply& reply) {
  Observe(reply.max_seen);
  MutexLock lock(mu_);
  Origin& o = origins_[peer];
  if (o.incarnation != reply.incarnation) o = Origin{reply.incarnation, 0, {}};
  if (!reply.flush) return false;
  RaiseAllLocked(reply.max_seen);
  o.applied = std::max(o.applied, reply.last_n);
  o.ahead.clear();
  return true;
}

std::vector<PurgeTarget> PurgeSequencer::LoggedAfter(uint64_t applied) const {
  std::vector<PurgeTarget> out;
  MutexLock lock(mu_);
  if (log_.empty() || applied + 1 < log_.front().stamp.n) return out;
  for (const PurgeTarget& t : log_) {
    if (t.stamp.n > applied) out.push_back(t);
  }
  return out;
}

}  // namespace shoal::cluster

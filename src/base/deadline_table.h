// DeadlineTable: calls in flight on one multiplexed connection, by id, with their deadlines.
//
// Both of our multiplexed clients (rpc peers, Cassandra connections) keep one of these per
// connection: Add when a request goes out, Take when its answer comes back, and a periodic
// sweep (Expire) that fails the calls whose deadline has passed. The sweep scans the table only
// once the earliest recorded deadline has passed (a lower bound kept on Add and recomputed by
// each scan), so a tick with nothing due costs one comparison.
//
// Expiry keeps the id in the table, quarantined, when the id may be answered late and must not
// be reused until then (a CQL stream id); otherwise it erases it (an rpc call id, never reused).
// A quarantined entry has an empty callback; Take returns it like any other.
//
// Not thread-safe: the owner guards it (its lock or strand). Callbacks are moved out and never
// run here, so the owner can run them after dropping its lock.
#pragma once

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"

namespace shoal {

template <typename Id, typename Callback>
class DeadlineTable {
 public:
  enum class OnExpiry { kErase, kQuarantine };

  // Add records a call. REQUIRES: `id` is not in the table.
  void Add(Id id, Callback done, TimePoint deadline) {
    calls_.emplace(id, Call{std::move(done), deadline});
    min_deadline_ = std::min(min_deadline_, deadline);
  }

  // Take removes `id` and returns its callback (empty if it was quarantined); nullopt if the
  // table does not hold the id (a late answer to an erased call, or a duplicate).
  std::optional<Callback> Take(Id id) {
    auto it = calls_.find(id);
    if (it == calls_.end()) return std::nullopt;
    Callback done = std::move(it->second.done);
    if (!done) --quarantined_;
    calls_.erase(it);
    return done;
  }

  // Due says whether a call may have passed its deadline at `now` (Expire would find work).
  bool Due(TimePoint now) const { return now >= min_deadline_; }

  // Expire moves the callback of every call whose deadline is at or before `now` into `out`,
  // and erases or quarantines its entry. Returns how many expired.
  size_t Expire(TimePoint now, OnExpiry mode, std::vector<Callback>& out) {
    if (!Due(now)) return 0;
    size_t n = 0;
    TimePoint next = TimePoint::max();
    for (auto it = calls_.begin(); it != calls_.end();) {
      Call& call = it->second;
      if (!call.done) {  // quarantined already
        ++it;
      } else if (call.deadline <= now) {
        out.push_back(std::move(call.done));
        call.done = Callback();
        ++n;
        if (mode == OnExpiry::kErase) {
          it = calls_.erase(it);
        } else {
          ++quarantined_;
          ++it;
        }
      } else {
        next = std::min(next, call.deadline);
        ++it;
      }
    }
    min_deadline_ = next;
    return n;
  }

  // TakeAll empties the table and returns every live (not quarantined) callback.
  std::vector<Callback> TakeAll() {
    std::vector<Callback> out;
    out.reserve(calls_.size());
    for (auto& [id, call] : calls_) {
      if (call.done) out.push_back(std::move(call.done));
    }
    calls_.clear();
    quarantined_ = 0;
    min_deadline_ = TimePoint::max();
    return out;
  }

  bool Contains(Id id) const { return calls_.find(id) != calls_.end(); }
  // size counts every entry, quarantined ones included; live() only those still waiting.
  size_t size() const { return calls_.size(); }
  size_t live() const { return calls_.size() - quarantined_; }
  size_t quarantined() const { return quarantined_; }
  bool empty() const { return calls_.empty(); }

 private:
  struct Call {
    Callback done;  // empty once quarantined
    TimePoint deadline;
  };
  std::unordered_map<Id, Call> calls_;
  size_t quarantined_ = 0;
  TimePoint min_deadline_ = TimePoint::max();
};

}  // namespace shoal

// StoreProbe: see store_probe.h. The thread waits on a condition variable for the interval (or
// Stop); each probe's callback runs on a store thread and writes only into the shared State.
#include "api/store_probe.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>

#include "base/mutex.h"

namespace shoal::api {

struct StoreProbe::State {
  State(store::Store& s, Readiness& r, Duration t, Logger* logger)
      : store(s), readiness(r), timeout(t), log(logger, "ready") {}

  store::Store& store;
  Readiness& readiness;
  const Duration timeout;
  const Log log;
  size_t statement = 0;

  Mutex mu;
  CondVar cv;
  bool stopping SHOAL_GUARDED_BY(mu) = false;
  bool in_flight SHOAL_GUARDED_BY(mu) = false;
  std::string last_error SHOAL_GUARDED_BY(mu);  // the store's message, for the log only
  std::atomic<uint64_t> sent{0};                // probe queries handed to the store
  std::thread thread;

  // Run is the thread's body.
  void Run(const std::shared_ptr<State>& self) {
    bool was_ready = true;  // an unready start is news too: the first check may log it
    const Duration interval = readiness.options().probe_interval;
    while (true) {
      bool send = false;
      {
        MutexLock lock(mu);
        if (stopping) break;
        send = !in_flight;
        in_flight = true;
      }
      if (send) {
        sent.fetch_add(1, std::memory_order_relaxed);
        const TimePoint deadline = std::chrono::steady_clock::now() + std::min(interval, timeout);
        store.Query(statement, {}, deadline, [self](const Result<store::Rows>& rows) {
          self->readiness.Record(rows.status());
          MutexLock lock(self->mu);
          if (!rows.ok()) self->last_error = std::string(rows.status().message());
          self->in_flight = false;
          self->cv.NotifyAll();
        });
      }
      std::string error;
      {
        MutexLock lock(mu);
        cv.WaitFor(mu, interval, [this]() SHOAL_REQUIRES(mu) { return stopping; });
        if (stopping) break;
        error = last_error;
      }
      // A change of verdict is logged once (after each interval: the probe has had its time).
      const ReadinessVerdict v = readiness.Check();
      if (v.ready != was_ready) {
        if (v.ready) {
          log.Info("ready again");
        } else {
          std::string line = "not ready:";
          for (const std::string& r : v.reasons) line += " " + r + ";";
          if (!error.empty()) line += " the store's last error: " + error;
          log.Warn(line);
        }
      }
      was_ready = v.ready;
    }
    // A probe in flight ends within its deadline (or with Cancelled at the store's shutdown).
    MutexLock lock(mu);
    cv.Wait(mu, [this]() SHOAL_REQUIRES(mu) { return !in_flight; });
  }
};

StoreProbe::StoreProbe(store::Store& store, Readiness& readiness, Duration timeout, Logger* logger)
    : state_(std::make_shared<State>(store, readiness, timeout, logger)) {}

StoreProbe::~StoreProbe() { Stop(); }

Status StoreProbe::Start(std::string_view query) {
  Result<store::StatementInfo> info = state_->store.Prepare(query);
  if (!info.ok()) return info.status();
  state_->statement = info->id;
  state_->thread = std::thread([state = state_] { state->Run(state); });
  return Status::Ok();
}

void StoreProbe::Stop() {
  {
    MutexLock lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.NotifyAll();
  if (state_->thread.joinable()) state_->thread.join();
}

uint64_t StoreProbe::sent() const { return state_->sent.load(std::memory_order_relaxed); }

}  // namespace shoal::api

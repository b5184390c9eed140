// Readiness: see readiness.h.
#include "api/readiness.h"

#include <utility>

#include "api/json_writer.h"
#include "base/bytes.h"
#include "store/store.h"

namespace shoal::api {
namespace {

Duration::rep Ticks(TimePoint t) { return t.time_since_epoch().count(); }

int64_t WholeSeconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

// ShortCause names a failure for an operator without the database's words.
std::string_view ShortCause(StatusCode code) {
  switch (code) {
    case StatusCode::kUnavailable:
      return "store unavailable";
    case StatusCode::kDeadlineExceeded:
      return "store timed out";
    default:
      return "store error";
  }
}

}  // namespace

Readiness::Readiness(ReadinessOptions options, const Clock& clock)
    : options_(options), clock_(clock), started_(clock.Now()) {}

void Readiness::SetMembershipCheck(std::function<bool()> known) {
  membership_known_ = std::move(known);
}

void Readiness::Record(const Status& status) {
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return RecordFailure(status.code());
    case StatusCode::kCancelled:
      return;  // shutting down
    case StatusCode::kResourceExhausted:
      // A full queue: the store is busy, not gone. An answer over its limits: it answered.
      if (store::IsAnswerTooLarge(status)) RecordAnswer();
      return;
    default:
      return RecordAnswer();
  }
}

void Readiness::RecordAnswer() {
  last_answer_.store(Ticks(clock_.Now()), std::memory_order_release);
}

void Readiness::RecordFailure(StatusCode code) {
  last_failure_code_.store(static_cast<int>(code), std::memory_order_relaxed);
  last_failure_.store(Ticks(clock_.Now()), std::memory_order_release);
}

void Readiness::BeginDraining() { draining_.store(true, std::memory_order_release); }

ReadinessVerdict Readiness::Check() const {
  ReadinessVerdict v;
  const TimePoint now = clock_.Now();
  if (draining()) v.reasons.emplace_back("draining: the node is shutting down");
  const Duration::rep answer = last_answer_.load(std::memory_order_acquire);
  const bool answered_recently =
      answer != 0 && now - TimePoint(Duration(answer)) <= options_.window;
  if (!answered_recently) {
    std::string r = answer == 0
                        ? "store: no answer yet (started " +
                              std::to_string(WholeSeconds(now - started_)) + "s ago)"
                        : "store: no answer for " +
                              std::to_string(WholeSeconds(now - TimePoint(Duration(answer)))) +
                              "s (window " + std::to_string(WholeSeconds(options_.window)) + "s)";
    const Duration::rep failure = last_failure_.load(std::memory_order_acquire);
    if (failure != 0) {
      const auto code = static_cast<StatusCode>(last_failure_code_.load(std::memory_order_relaxed));
      r += "; last error " + std::to_string(WholeSeconds(now - TimePoint(Duration(failure)))) +
           "s ago: " + std::string(ShortCause(code));
    }
    v.reasons.push_back(std::move(r));
  }
  if (membership_known_ && !membership_known_()) {
    v.reasons.emplace_back("cluster: the member list is not known yet (no seed answered)");
  }
  v.ready = v.reasons.empty();
  return v;
}

http::Response Readiness::Answer() const {
  const ReadinessVerdict v = Check();
  std::string body;
  JsonWriter w(body);
  w.BeginObject();
  w.Key("status");
  w.String(v.ready ? "ready" : "not ready");
  if (!v.ready) {
    w.Key("reasons");
    w.BeginArray();
    for (const std::string& r : v.reasons) w.String(r);
    w.EndArray();
  }
  w.EndObject();
  http::Response r;
  r.status = v.ready ? 200 : 503;
  r.extra_headers = "Cache-Control: no-store\r\n";
  r.SetBody(Bytes::Copy(body));
  return r;
}

}  // namespace shoal::api

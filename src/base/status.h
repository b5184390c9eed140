// Status and Result<T>: expected failures as values.
//
// A Status is OK or carries one of a short list of codes (abseil's vocabulary) and a message
// for humans. Result<T> holds either a T or a non-OK Status. Both are cheap to move; an OK
// Status allocates nothing. Thread-compatible: distinct objects may be used concurrently.
//
// Choosing a code:
//   kInvalidArgument   the caller sent something malformed or out of bounds (HTTP 400).
//   kNotFound          the thing asked for does not exist (HTTP 404).
//   kDeadlineExceeded  the operation took longer than its deadline (HTTP 503 here: a store
//                      that is slow is a store that is unavailable to this caller).
//   kUnavailable       a dependency cannot be reached or is busy; retrying later may help.
//   kResourceExhausted a limit of ours was hit: queue full, too many connections.
//   kCancelled         the operation was abandoned, usually because we are shutting down.
//   kInternal          a bug or a broken invariant; never for bad input.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace shoal {

enum class StatusCode : unsigned char {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kDeadlineExceeded,
  kUnavailable,
  kResourceExhausted,
  kCancelled,
  kInternal,
};

// StatusCodeName returns the code's name, e.g. "NotFound".
std::string_view StatusCodeName(StatusCode code);

// ErrnoText is errno value `err` as words ("No space left on device"), thread-safe (unlike
// strerror), for the messages of failed system calls.
std::string ErrnoText(int err);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status DeadlineExceeded(std::string msg) {
    return {StatusCode::kDeadlineExceeded, std::move(msg)};
  }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : ""; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }

  // ToString returns "OK" or "Code: message".
  std::string ToString() const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  // Shared and immutable: copying a Status copies a pointer.
  std::shared_ptr<const Rep> rep_;
};

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace shoal

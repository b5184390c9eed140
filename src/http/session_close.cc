// The end of a connection's life: the loop's ticker (Tick: the first-byte, request, header,
// write and idle deadlines, then parking), a drain at shutdown, the lingering close after the
// server closes, and Close. Loop thread only, like the rest of Session.
#include <chrono>
#include <memory>

#include "http/session_internal.h"

namespace shoal::http::internal {
namespace {

// After a server-initiated close we half-close and read what the client still sends for at
// most this long, so that its unread data does not make the kernel send a reset that could
// destroy our last answer in the client's receive buffer (nginx's lingering close).
constexpr auto kLinger = std::chrono::seconds(1);

}  // namespace

void Session::Drain() {
  if (closed_) return;
  no_more_requests_ = true;
  if (count_ == 0 && writing_ == 0) Close();
  // Otherwise Flush marks the last answer "Connection: close" and OnWrite closes.
}

void Session::Tick(TimePoint now) {
  if (closed_) return;
  if (lingering_) {
    if (now >= linger_until_) Close();
    return;
  }
  const ServerOptions& o = loop_->options;
  if (!any_byte_ && now - started_ >= o.first_byte_timeout) {
    Close();  // a connection that says nothing holds a descriptor for nothing (M5)
    return;
  }
  bool any = false;
  for (size_t i = writing_; i < count_; ++i) {
    Slot& slot = SlotFor(head_seq_ + i);
    if (slot.state == SlotState::kWaiting && now >= slot.deadline) {
      ResetResponse(slot.response);
      slot.response.status = 503;
      slot.response.SetBody(loop_->timeout_body);
      slot.state = SlotState::kReady;
      Bump(loop_->counters.request_timeouts);
      any = true;
    }
  }
  if (any) Flush();
  if (writing_ > 0) {
    // A client that stops reading must not hold the connection (or a drain) forever.
    if (now - write_started_ >= o.idle_timeout) Close();
    return;
  }
  if (!no_more_requests_ && count_ < slots_.size() && parse_pos_ < end_ &&
      partial_since_ != TimePoint{} && now - partial_since_ >= o.header_timeout) {
    Bump(loop_->counters.header_timeouts);
    now_ = now;
    PushError(408, "request timed out");
    Flush();
    return;
  }
  if (count_ == 0 && parse_pos_ == end_ && now - last_activity_ >= o.idle_timeout) Close();
  MaybePark(now);
}

void Session::LingerClose() {
  // A refused connection (over a cap, or shed for want of descriptors) is not counted against
  // max_connections, so a flood of them lingering would hold a descriptor each for the linger
  // time and exhaust them: it closes as soon as its 503 is written.
  if (rejected_) {
    Close();
    return;
  }
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  lingering_ = true;
  linger_until_ = now_ + kLinger;
  Read();  // discards until the client closes or the linger time is over
}

void Session::Close() {
  if (closed_) return;
  std::shared_ptr<Session> keep = shared_from_this();  // Remove may drop the last reference
  closed_ = true;
  if (counted_) {
    open_connections_->fetch_sub(1, std::memory_order_relaxed);
    counted_ = false;
  }
  if (address_) {
    loop_->per_address->Release(*address_);
    address_.reset();
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
  Account();  // gives back everything (closed_)
  loop_->Remove(this);
}

}  // namespace shoal::http::internal

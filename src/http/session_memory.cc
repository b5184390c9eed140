// What a connection holds (issue 18: at most 4 KiB per idle connection, with 10,000 of them
// open): a ring of pipeline slots that grows only for clients that pipeline, and parking.
//
// The ring. A slot is about half a KiB (the answer, its serialized head, the access log's
// request text), and most clients never pipeline: a session starts with one slot and grows
// the ring to pipeline_limit the first time a second request needs a slot, keeping it until
// it parks. The ring is not grown while a write is in flight, because the write's buffer list
// points into the slots; the request then waits for the write, as it would with every slot
// taken.
//
// Parking. A busy connection keeps its receive buffer (4 KiB at least), its slots (with their
// strings' capacity) and the parser's header vectors, so that a request allocates nothing.
// Once a connection has been quiet for kParkAfter (nothing in its buffer, no request in
// flight, nothing being written), the loop's ticker parks it: the pending read is cancelled,
// and when the cancellation arrives the session frees the buffer, keeps a single empty slot,
// lets the parser's storage go, and waits for the socket to become readable (an async_wait,
// which needs no buffer). Readability makes it read as before. A connection pays this (a few
// allocations) at most once per kParkAfter of quiet, so a busy one never does.
//
// Loop thread only, like the rest of Session.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <utility>
#include <vector>

#include "http/session_internal.h"

namespace shoal::http::internal {
namespace {

// How long a connection must have been quiet before it parks. Longer than the gaps within a
// burst of requests, short against the idle timeout (60 s by default).
constexpr auto kParkAfter = std::chrono::seconds(1);

}  // namespace

bool Session::GrowSlots() {
  const size_t limit = std::max<size_t>(1, loop_->options.pipeline_limit);
  if (slots_.size() >= limit || writing_ > 0) return false;
  std::vector<Slot> grown(limit);
  for (uint64_t seq = head_seq_; seq < head_seq_ + count_; ++seq) {
    grown[(seq - slot_base_) % limit] = std::move(SlotFor(seq));  // SlotFor's mapping, wider
  }
  slots_.swap(grown);
  write_bufs_.reserve(2 * limit);
  return true;
}

void Session::MaybePark(TimePoint now) {
  if (closed_ || parked_ || parking_ || lingering_ || no_more_requests_ || !reading_) return;
  if (count_ != 0 || writing_ != 0 || end_ != 0 || buf_ == nullptr) return;
  if (now - last_activity_ < kParkAfter) return;
  parking_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);  // OnRead gets operation_aborted and calls FinishPark
}

bool Session::FinishPark(const boost::system::error_code& ec) {
  parking_ = false;
  // Bytes (or an error) arrived before the cancellation: not idle after all.
  if (ec != asio::error::operation_aborted) return false;
  buf_.reset();
  cap_ = 0;
  parse_pos_ = end_ = 0;
  std::vector<Slot>(1).swap(slots_);  // count_ == 0: no slot is in use
  std::vector<asio::const_buffer>().swap(write_bufs_);
  parser_.ReleaseStorage();
  request_ = Request{};  // its header span pointed into the parser's storage
  Account();
  parked_ = true;
  reading_ = true;  // the wait stands in for a read: Read starts none meanwhile
  socket_.async_wait(
      asio::socket_base::wait_read,
      [self = shared_from_this()](const boost::system::error_code& e) { self->OnReadable(e); });
  return true;
}

void Session::OnReadable(const boost::system::error_code& ec) {
  reading_ = false;
  parked_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  try {      // as Guarded (session.cc) does for the other steps
    Read();  // allocates the buffer again; the bytes are waiting, so the read completes at once
  } catch (const std::exception& e) {
    Fault("waking an idle connection", e, UINT64_MAX);
    Close();
  }
}

}  // namespace shoal::http::internal

// Session: one HTTP/1.1 connection (see session_internal.h for ownership and threading).
//
// Life of a request: OnRead appends bytes to the buffer; Process resumes the parser on them
// (it keeps its place, so each byte is parsed once), asks the handler's MaxBody as soon as a
// head announces a body (413 before reading it when too large), and for every complete
// request (while a pipeline slot is free) reserves a slot and calls the handler;
// the answer lands in its slot, now (Reply) or later (a ReplyLater posted to this loop);
// Flush writes the ready slots at the head of the ring, in order, in one gathered write.
// Reading pauses while every slot is taken, so a connection's memory stays bounded; after a
// large request the receive buffer shrinks and the parser lets its decoded body go.
// An exception from the handler or from the session's own work (bad_alloc) closes only this
// connection, after a 500 when the request had no answer yet.
//
// On the synchronous path nothing is allocated per request: the buffer, header vector, slot
// strings and write buffer list keep their capacity; handler memory for the read and write
// operations comes from Asio's per-thread recycling allocator.
//
// With an access log (http/access.h), each slot also keeps its request's text (method,
// target, Referer, User-Agent, in strings that keep their capacity) and its arrival time; the
// answer is handed to the sink in Flush, as it is serialized (session_access.cc).
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>

#include "base/numbers.h"
#include "http/cache_headers.h"
#include "http/session_internal.h"

namespace shoal::http::internal {
namespace {

constexpr size_t kInitialBuffer = 4096;
// A buffer that grew for a large request is given back once empty, beyond this size.
constexpr size_t kKeepBuffer = size_t{64} * 1024;

// HttpDate returns the current time as an IMF-fixdate, cached per thread per second.
std::string_view HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local time_t cached_second = -1;
  thread_local char text[40];
  thread_local size_t length = 0;
  time_t now = std::time(nullptr);
  if (now != cached_second) {
    struct tm tm {};
    gmtime_r(&now, &tm);
    int n = std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                          kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                          tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    length = n > 0 ? std::min(static_cast<size_t>(n), sizeof(text) - 1) : 0;
    cached_second = now;
  }
  return {text, length};
}

// SessionExchange is the Exchange a handler gets for one request; it lives on the stack of
// Session::Process for the duration of Handle.
class SessionExchange final : public Exchange {
 public:
  SessionExchange(Session* session, uint64_t seq) : session_(session), seq_(seq) {}
  void Reply(Response response) override {
    used_ = true;
    session_->SetResponse(seq_, std::move(response));
  }
  ReplyLater Defer() override {
    used_ = true;
    return session_->MakeReplyLater(seq_);
  }
  bool used() const { return used_; }

 private:
  Session* session_;  // the session whose Process is running Handle
  uint64_t seq_;
  bool used_ = false;
};

}  // namespace

void ResetResponse(Response& r) {
  r.status = 200;
  r.content_type = "application/json";
  r.content_encoding = {};
  r.body = {};
  r.etag = {};
  r.max_age = -1;
  r.cache_private = false;
  r.cache_control = {};
  r.cdn_cache_control = {};
  r.cdn_max_age = -1;
  r.cache_status_line = {};
  r.age = -1;
  r.vary_accept_encoding = false;
  r.cache_status = {};
  r.cors_headers = {};
  r.vary_origin = false;
  r.surrogate_key = {};
  r.extra_headers.clear();  // keeps its capacity
  r.entry_headers = {};
  r.cache_result = CacheResult::kNone;
  r.route = {};
  r.owner_node = {};
  r.owner.reset();
}

Session::Session(Loop* loop, asio::ip::tcp::socket socket, bool counted,
                 std::optional<asio::ip::address> address)
    : loop_(loop),
      socket_(std::move(socket)),
      executor_(loop->io.get_executor()),
      open_connections_(loop->open_connections),
      counted_(counted),
      address_(std::move(address)),
      access_log_(loop->options.access_log),
      parser_(loop->limits),
      slots_(1) {  // grows on the first pipelined request (SlotFree)
  const ServerOptions& o = loop->options;
  // Room for the largest request the parser can accept (a chunked body may carry framing
  // up to its own size again, see parser.cc), plus slack for the next request's start.
  max_buffer_ = o.max_request_line + o.max_header_bytes + 2 * o.max_body + 16384;
  write_bufs_.reserve(2 * slots_.size());
}

Session::~Session() {
  if (counted_) open_connections_->fetch_sub(1, std::memory_order_relaxed);
  if (address_) loop_->per_address->Release(*address_);
}

void Session::Start() {
  if (access_log_ != nullptr) client_ = ClientAddressOf(socket_);
  now_ = CoarseNow();
  started_ = last_activity_ = now_;
  Read();
}

void Session::StartRejected(const Bytes& body) {
  if (access_log_ != nullptr) client_ = ClientAddressOf(socket_);
  now_ = CoarseNow();
  started_ = last_activity_ = now_;
  any_byte_ = true;  // the 503 goes out at once, then the connection closes
  no_more_requests_ = true;
  rejected_ = true;
  Slot& slot = Push();
  slot.state = SlotState::kReady;
  slot.close_after = true;
  slot.response.status = 503;
  slot.response.SetBody(body);
  Flush();
}

template <typename F>
void Session::Guarded(const char* where, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    Fault(where, e, UINT64_MAX);
    Close();
  }
}

void Session::Fault(const char* where, const std::exception& e, uint64_t seq) {
  try {
    loop_->faults.Write(loop_->log, LogLevel::kError,
                        std::string(where) + " threw (" + e.what() +
                            "); the connection is closed, the server goes on");
  } catch (const std::exception&) {  // no memory even for the line: go on without it
  }
  no_more_requests_ = true;
  parse_pos_ = end_;
  if (seq != UINT64_MAX && !closed_) {
    Slot& slot = SlotFor(seq);
    slot.close_after = true;
    if (slot.state == SlotState::kWaiting) {
      ResetResponse(slot.response);
      slot.response.status = 500;
      slot.response.SetBody(loop_->internal_error_body);
      slot.state = SlotState::kReady;
    }
  }
}

void Session::Account() {
  const size_t now_holding = closed_ ? 0 : cap_ + parser_.storage_bytes();
  if (now_holding == accounted_) return;
  std::atomic<uint64_t>& g = loop_->counters.buffer_bytes;
  g.store(g.load(std::memory_order_relaxed) + now_holding - accounted_, std::memory_order_relaxed);
  accounted_ = now_holding;
}

Session::Slot& Session::Push() {
  // REQUIRES: count_ < slots_.size()
  Slot& slot = NextSlot();
  ++count_;
  slot.state = SlotState::kWaiting;
  slot.head_request = false;
  slot.close_after = false;
  slot.http_1_0 = false;
  slot.deadline = now_ + loop_->options.request_timeout;
  if (access_log_ != nullptr) {
    // Precise time, not now_ (CoarseNow): the line's duration is measured from here.
    slot.received = std::chrono::steady_clock::now();
    slot.method.clear();  // strings keep their capacity
    slot.target.clear();
    slot.referer.clear();
    slot.user_agent.clear();
    slot.method_cut = slot.target_cut = slot.referer_cut = slot.user_agent_cut = false;
  }
  return slot;
}

void Session::PushError(int status, std::string_view message) {
  Slot& slot = Push();
  slot.state = SlotState::kReady;
  slot.close_after = true;
  slot.response = ErrorResponse(status, message);
  no_more_requests_ = true;
  parse_pos_ = end_;  // whatever follows is not trusted
}

void Session::Read() {
  if (reading_ || closed_) return;
  if (!lingering_ && (no_more_requests_ || !SlotFree())) return;
  if (lingering_) {
    parse_pos_ = end_ = 0;  // discarding
  } else if (parse_pos_ > 0) {
    std::memmove(buf_.get(), buf_.get() + parse_pos_, end_ - parse_pos_);
    end_ -= parse_pos_;
    parse_pos_ = 0;
  }
  if (cap_ > kKeepBuffer && end_ <= kKeepBuffer / 2) {
    // A large request is over and what follows it is small: give the memory back (L8).
    const size_t small = std::max(kInitialBuffer, std::bit_ceil(2 * end_));
    auto smaller = std::make_unique_for_overwrite<char[]>(small);
    if (end_ > 0) std::memcpy(smaller.get(), buf_.get(), end_);
    buf_ = std::move(smaller);
    cap_ = small;
  }
  if (buf_ == nullptr || end_ == cap_) {
    if (cap_ >= max_buffer_) {
      // The parser refuses any request this large before it gets here; be safe anyway.
      PushError(413, "request too large");
      Flush();
      return;
    }
    size_t new_cap = std::min(max_buffer_, std::max(kInitialBuffer, 2 * cap_));
    auto bigger = std::make_unique_for_overwrite<char[]>(new_cap);
    if (end_ > 0) std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ = new_cap;
  }
  Account();
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(buf_.get() + end_, cap_ - end_),
      [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        self->Guarded("reading a request", [&] { self->OnRead(ec, n); });
      });
}

void Session::OnRead(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (parking_ && FinishPark(ec)) return;
  now_ = CoarseNow();
  if (lingering_) {
    if (ec) {
      Close();
    } else {
      Read();
    }
    return;
  }
  if (ec) {
    // A client may half-close after sending its requests: still answer those.
    if (ec == asio::error::eof && count_ > 0) {
      no_more_requests_ = true;
    } else {
      Close();
    }
    return;
  }
  end_ += n;
  if (n > 0) any_byte_ = true;
  if (no_more_requests_) return;  // draining: the bytes are not looked at
  Process();
}

void Session::Process() {
  processing_ = true;
  bool completed = false;
  while (!no_more_requests_ && parse_pos_ < end_ && SlotFree()) {
    // The parser resumes where it stopped: each byte of a request is looked at once (H1).
    std::string_view pending(buf_.get() + parse_pos_, end_ - parse_pos_);
    ParseResult r = parser_.Parse(pending, &request_);
    if (r.state == ParseState::kHead) {
      // The head announces a body: the handler says how much it takes, before any is read.
      size_t limit = 0;
      try {
        limit = loop_->handler.MaxBody(request_);
      } catch (const std::exception& e) {
        Fault("the handler's MaxBody", e, UINT64_MAX);
        PushError(500, "internal error");
        break;
      }
      parser_.LimitBody(limit);
      r = parser_.Parse(pending, &request_);
    }
    if (r.state == ParseState::kNeedMore) break;
    if (r.state == ParseState::kError) {
      Bump(loop_->counters.parse_errors);
      PushError(r.status, r.message);
      break;
    }
    Bump(loop_->counters.requests);
    const uint64_t seq = head_seq_ + count_;
    Slot& slot = Push();
    slot.head_request = request_.method == Method::kHead;
    slot.close_after = !request_.keep_alive;
    slot.http_1_0 = r.http_1_0;
    if (access_log_ != nullptr) {
      request_.access_logged = true;
      KeepForLog(slot);
    }
    parse_pos_ += r.consumed;
    completed = true;
    if (!request_.keep_alive) no_more_requests_ = true;
    SessionExchange exchange(this, seq);
    try {
      loop_->handler.Handle(request_, exchange);
      if (!exchange.used()) SetResponse(seq, ErrorResponse(500, "handler gave no answer"));
    } catch (const std::exception& e) {
      // Out of memory (or a handler's bug) costs this connection, never the process (L5).
      Fault("a request's handler", e, seq);
    }
    parser_.Reset();  // after Handle: the request's views point into it
  }
  processing_ = false;
  if (parse_pos_ == end_) {
    parse_pos_ = end_ = 0;
    partial_since_ = {};
    if (cap_ > kKeepBuffer) {
      buf_.reset();
      cap_ = 0;
    }
  } else if (completed || partial_since_ == TimePoint{}) {
    partial_since_ = now_;
  }
  Flush();
  Read();
  Account();
}

void Session::SetResponse(uint64_t seq, Response&& response) {
  if (closed_ || seq < head_seq_ || seq >= head_seq_ + count_) return;  // gone
  Slot& slot = SlotFor(seq);
  if (slot.state != SlotState::kWaiting) return;  // answered already, or timed out
  slot.response = std::move(response);
  slot.state = SlotState::kReady;
  if (!processing_) Flush();
}

ReplyLater Session::MakeReplyLater(uint64_t seq) {
  std::weak_ptr<Session> weak = weak_from_this();
  return [weak, seq](Response response) {
    std::shared_ptr<Session> self = weak.lock();
    if (self == nullptr) return;
    asio::io_context::executor_type ex = self->executor_;
    // Runs inline when already on the session's loop, else queued to it.
    asio::dispatch(ex, [self = std::move(self), seq, r = std::move(response)]() mutable {
      self->Guarded("writing an answer", [&] { self->SetResponse(seq, std::move(r)); });
    });
  };
}

void Session::SerializeHead(Slot& slot, bool close) {
  const Response& r = slot.response;
  std::string& h = slot.head;
  h.clear();
  h += "HTTP/1.1 ";
  AppendUint(h, static_cast<uint64_t>(r.status));
  h += ' ';
  h += StatusText(r.status);
  h += "\r\nDate: ";
  h += HttpDate();
  h += "\r\n";
  if (!r.content_type.empty()) {
    h += "Content-Type: ";
    h += r.content_type;
    h += "\r\n";
  }
  if (!HasNoBody(r.status)) {
    h += "Content-Length: ";
    AppendUint(h, r.body.size());
    h += "\r\n";
  }
  if (!r.content_encoding.empty()) {
    h += "Content-Encoding: ";
    h += r.content_encoding;
    h += "\r\n";
  }
  if (!r.etag.empty()) {
    h += "ETag: ";
    h += r.etag;
    h += "\r\n";
  }
  AppendCacheHeaders(h, r);  // Cache-Control, CDN-Cache-Control, Cache-Status
  if (r.age >= 0) {
    h += "Age: ";
    AppendUint(h, static_cast<uint64_t>(r.age));
    h += "\r\n";
  }
  // One Vary line for both (api/cors.h: every answer of a CORS route varies by Origin).
  if (r.vary_accept_encoding && r.vary_origin) {
    h += "Vary: Accept-Encoding, Origin\r\n";
  } else if (r.vary_accept_encoding) {
    h += "Vary: Accept-Encoding\r\n";
  } else if (r.vary_origin) {
    h += "Vary: Origin\r\n";
  }
  if (!r.cache_status.empty()) {
    h += "X-Cache: ";
    h += r.cache_status;
    h += "\r\n";
  }
  if (!r.surrogate_key.empty()) {
    h += "Surrogate-Key: ";
    h += r.surrogate_key;
    h += "\r\n";
  }
  // Error bodies may echo request text: no browser may sniff them into HTML (L7).
  h += "X-Content-Type-Options: nosniff\r\n";
  h += r.cors_headers;
  h += r.extra_headers;
  h += r.entry_headers;
  if (close) {
    h += "Connection: close\r\n";
  } else if (slot.http_1_0) {
    h += "Connection: keep-alive\r\n";
  }
  h += "\r\n";
}

void Session::Flush() {
  if (writing_ > 0 || closed_ || lingering_) return;
  write_bufs_.clear();
  size_t n = 0;
  while (n < count_) {
    Slot& slot = SlotFor(head_seq_ + n);
    if (slot.state != SlotState::kReady) break;
    ++n;
    // The last answer a connection will send says so.
    const bool last = slot.close_after || (no_more_requests_ && n == count_);
    slot.close_after = last;
    SerializeHead(slot, last);
    if (access_log_ != nullptr) LogAnswer(slot);
    write_bufs_.push_back(asio::buffer(slot.head));
    const int status = slot.response.status;
    if (!slot.head_request && !HasNoBody(status) && !slot.response.body.empty()) {
      write_bufs_.push_back(asio::buffer(slot.response.body.data(), slot.response.body.size()));
    }
    const int cls = std::clamp(status / 100, 1, 5);
    Bump(loop_->counters.responses[static_cast<size_t>(cls - 1)]);
    if (last) break;
  }
  if (n == 0) return;
  writing_ = n;
  write_started_ = now_;
  // A span, not the vector, is handed to async_write: the operation copies its buffer
  // sequence, and copying a span allocates nothing. The vector and the slots' strings and
  // bodies stay untouched until OnWrite.
  std::span<const asio::const_buffer> bufs(write_bufs_.data(), write_bufs_.size());
  asio::async_write(socket_, bufs, WriteWhole(),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->Guarded("writing an answer", [&] { self->OnWrite(ec); });
                    });
}

void Session::OnWrite(const boost::system::error_code& ec) {
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  now_ = CoarseNow();
  // Time spent with every slot taken was not the client's: restart its request clock.
  if (count_ == slots_.size()) partial_since_ = {};
  bool close = false;
  for (size_t i = 0; i < writing_; ++i) {
    Slot& slot = SlotFor(head_seq_);
    close = close || slot.close_after;
    ResetResponse(slot.response);
    ++head_seq_;
    --count_;
  }
  writing_ = 0;
  last_activity_ = now_;
  if (close) {
    LingerClose();
    return;
  }
  if (no_more_requests_ && count_ == 0) {
    Close();
    return;
  }
  // Slots came free: requests waiting in the buffer can be parsed, and reading resumes.
  Process();
}

}  // namespace shoal::http::internal

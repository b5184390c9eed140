// Runtime: the io_context and its threads; plus the small helpers of runtime_internal.h.
//
// Stop does not wait for the io_context to run out of work: open connections always have a
// read pending and the probes' timers are armed, so it would wait forever. Instead it posts
// io.stop() behind the work already queued, which therefore runs first, and joins.
#include "rpc/runtime.h"

#include <memory>
#include <new>
#include <utility>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "rpc/runtime_internal.h"

namespace shoal::rpc {

Runtime::Impl::Impl(size_t thread_count) : io(static_cast<int>(thread_count)) {}

namespace {

// RunThread runs the io_context until it stops. A bad_alloc thrown by a handler leaves run();
// Asio allows running again at once, so it is logged and the thread goes on.
void RunThread(asio::io_context& io, const Log& log) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::bad_alloc&) {
      log.Error("out of memory in an rpc handler; that operation was dropped");
    }
  }
}

}  // namespace

Runtime::Runtime(size_t threads, Logger* logger) {
  const size_t n = threads == 0 ? 1 : threads;
  impl_ = std::make_unique<Impl>(n);
  impl_->log = Log(logger, "rpc");
  impl_->work.emplace(impl_->io.get_executor());
  impl_->threads.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] { RunThread(impl->io, impl->log); });
  }
}

// Stop throws only if a mutex, a join or an allocation fails: then nothing can be cleaned up.
Runtime::~Runtime() { Stop(); }  // NOLINT(bugprone-exception-escape)

void Runtime::Post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

void Runtime::PostAfter(Duration delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->io, delay);
  // The handler owns the timer: it lives until it fires, or until Stop drops it unrun.
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

void Runtime::Stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->work.reset();
  asio::post(impl_->io, [io = &impl_->io] { io->stop(); });
  for (std::thread& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->stopped.store(true);
}

namespace internal {

std::string& OutQueue::SmallTail() {
  if (!tail_small_) {
    chunks_.push_back(std::move(spare_));
    spare_ = std::string();
    chunks_.back().clear();
    tail_small_ = true;
  }
  return chunks_.back();
}

Status OutQueue::Append(FrameType type, uint8_t method, uint64_t id, std::string_view payload) {
  std::string& tail = SmallTail();
  if (Status st = AppendFrameHeader(tail, type, method, id, payload.size()); !st.ok()) return st;
  tail.append(payload);
  bytes_ += kFrameHeaderSize + payload.size();
  return Status::Ok();
}

Status OutQueue::Append(FrameType type, uint8_t method, uint64_t id, std::string&& payload) {
  if (payload.size() <= kInlineMax) return Append(type, method, id, std::string_view(payload));
  std::string& tail = SmallTail();
  if (Status st = AppendFrameHeader(tail, type, method, id, payload.size()); !st.ok()) return st;
  bytes_ += kFrameHeaderSize + payload.size();
  chunks_.push_back(std::move(payload));
  tail_small_ = false;
  return Status::Ok();
}

void OutQueue::Buffers(std::vector<asio::const_buffer>& out) const {
  out.clear();
  for (const std::string& c : chunks_) {
    if (!c.empty()) out.emplace_back(c.data(), c.size());
  }
}

void OutQueue::Clear() {
  // Keep the first chunk's memory if it is a small one: the next batch of headers and small
  // payloads then needs no allocation.
  if (!chunks_.empty() && chunks_.front().capacity() <= size_t{64} * 1024 &&
      chunks_.front().capacity() > spare_.capacity()) {
    spare_ = std::move(chunks_.front());
  }
  chunks_.clear();
  tail_small_ = false;
  bytes_ = 0;
}

void OutQueue::Swap(OutQueue& other) noexcept {
  chunks_.swap(other.chunks_);
  std::swap(tail_small_, other.tail_small_);
  std::swap(bytes_, other.bytes_);
  spare_.swap(other.spare_);
}

std::string EndpointText(const asio::ip::tcp::endpoint& endpoint) {
  std::string address = endpoint.address().to_string();
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

std::string MillisText(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

}  // namespace internal
}  // namespace shoal::rpc

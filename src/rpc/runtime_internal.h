// The insides of rpc::Runtime, and what client.cc and server.cc share (Asio lives here).
//
// Runtime::Impl is one io_context, a work guard that keeps it running while idle, and the
// threads that run it. Every connection, in either direction, gets its own strand on this
// io_context, so a connection's handlers never run concurrently even with several threads,
// and distinct connections proceed in parallel. Other threads reach a connection only by
// posting to its strand or through the small mutex-guarded state client.cc and server.cc
// keep beside it.
//
// OutQueue is the gathered-write queue of one connection: frames appended between two
// socket writes go out in one write (one writev of up to 64 buffers per syscall).
//
// Thread-safety: Impl's members are thread-safe (io_context, atomics); OutQueue is
// thread-compatible (its owner locks it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "base/logger.h"
#include "rpc/auth.h"
#include "rpc/frame.h"
#include "rpc/runtime.h"

namespace shoal::rpc {

namespace asio = boost::asio;

struct Runtime::Impl {
  explicit Impl(size_t thread_count);

  // OnRuntimeThread: is the caller one of this runtime's threads (inside io.run())?
  bool OnRuntimeThread() { return io.get_executor().running_in_this_thread(); }

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  // stopped: Stop has joined the threads; nothing posted from now on will run, so the
  // client and server do inline what they would otherwise post and wait for.
  std::atomic<bool> stopped{false};
  std::atomic<bool> stopping{false};
  Log log;  // component "rpc": a bad_alloc caught on a thread
  // The handshake nonces this node's clients have outstanding (auth.h, NonceSet).
  auth::NonceSet nonces;
};

namespace internal {

// OutQueue holds encoded frames until the connection's next write. Small payloads are
// copied next to their header (one buffer for many frames); a payload over kInlineMax is
// kept as its own string, moved in, so a large reply is never copied on its way out.
class OutQueue {
 public:
  static constexpr size_t kInlineMax = 4096;

  // Append queues one frame; a payload over kMaxPayload is refused (nothing queued).
  Status Append(FrameType type, uint8_t method, uint64_t id, std::string_view payload);
  Status Append(FrameType type, uint8_t method, uint64_t id, std::string&& payload);

  bool empty() const { return bytes_ == 0; }
  size_t bytes() const { return bytes_; }
  // Buffers replaces `out` with a buffer per chunk, in order.
  void Buffers(std::vector<asio::const_buffer>& out) const;
  // Clear forgets the frames, keeping one small chunk's memory for the next batch.
  void Clear();
  void Swap(OutQueue& other) noexcept;

 private:
  std::string& SmallTail();

  std::vector<std::string> chunks_;
  bool tail_small_ = false;  // chunks_.back() is ours to append headers to
  size_t bytes_ = 0;
  std::string spare_;
};

// EndpointText is "address:port", or "?" for an endpoint that could not be read.
std::string EndpointText(const asio::ip::tcp::endpoint& endpoint);

// MillisText renders a duration as "<n> ms" for messages.
std::string MillisText(Duration d);

}  // namespace internal
}  // namespace shoal::rpc

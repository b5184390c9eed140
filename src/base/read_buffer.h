// ReadBuffer: the receive buffer of one connection, for decoders of length-prefixed frames.
//
// Bytes go in straight from the socket: Reserve gives writable space after the buffered
// bytes, the read fills part of it, Commit keeps that part. The decoder looks at data(),
// and Consume drops a whole frame from the front once it has been handed out. Compaction and
// growth happen only in Reserve, so a view into data() stays valid until the next Reserve.
//
// Growth follows what the decoder asks: it reserves room for the rest of the frame once it
// knows the frame's length (up to a limit ahead of the bytes received: FrameSplitter), so a
// large frame arrives in few reads and is regrown at most a few times. Once empty, a buffer grown
// past `keep` bytes is released, so one 50 MiB message does not pin 50 MiB for the connection's
// life.
//
// Used by rpc::FrameDecoder and the Cassandra store's FrameDecoder. Thread-compatible.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace shoal {

class ReadBuffer {
 public:
  ReadBuffer(size_t initial, size_t keep) : initial_(initial), keep_(keep) {}

  // Reserve returns at least `want` (and at least 1) writable bytes after the buffered ones.
  // It may move the buffered bytes: views into data() taken before are invalid afterwards.
  std::span<char> Reserve(size_t want) {
    if (begin_ == end_) {
      begin_ = end_ = 0;
      if (cap_ > keep_) {
        buf_.reset();
        cap_ = 0;
      }
    }
    want = std::max<size_t>(want, 1);
    if (cap_ - end_ >= want) return {buf_.get() + end_, cap_ - end_};
    const size_t used = end_ - begin_;
    if (begin_ > 0 && cap_ - used >= want) {
      std::memmove(buf_.get(), buf_.get() + begin_, used);
    } else {
      const size_t new_cap = std::max({initial_, used + want, 2 * used});
      auto bigger = std::make_unique_for_overwrite<char[]>(new_cap);
      if (used > 0) std::memcpy(bigger.get(), buf_.get() + begin_, used);
      buf_ = std::move(bigger);
      cap_ = new_cap;
    }
    begin_ = 0;
    end_ = used;
    return {buf_.get() + end_, cap_ - end_};
  }

  // Commit keeps the first `n` bytes of the last Reserve's span.
  void Commit(size_t n) {
    assert(n <= cap_ - end_);
    end_ += n;
  }

  // Append copies `bytes` in (tests, fuzzing); invalidates views like Reserve.
  void Append(std::string_view bytes) {
    if (bytes.empty()) return;
    std::span<char> space = Reserve(bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    Commit(bytes.size());
  }

  // data is the buffered bytes not yet consumed.
  std::string_view data() const { return {buf_.get() + begin_, end_ - begin_}; }
  // Consume drops the first `n` buffered bytes. REQUIRES: n <= size().
  void Consume(size_t n) {
    assert(n <= end_ - begin_);
    begin_ += n;
  }

  size_t size() const { return end_ - begin_; }
  size_t capacity() const { return cap_; }

 private:
  const size_t initial_;
  const size_t keep_;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;  // first byte not yet consumed
  size_t end_ = 0;    // one past the last committed byte
};

}  // namespace shoal

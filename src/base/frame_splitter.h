// FrameSplitter: cuts the byte stream of one connection into whole length-prefixed frames,
// for any wire format whose leading bytes fix the frame's size (our rpc frames, CQL frames).
//
// The wire format is a `Rules` value that the splitter asks three questions:
//
//   struct Rules {
//     using Frame = ...;  // what Next returns for a frame, e.g. a parsed header and a body view
//     // How many leading bytes of a frame fix its whole size.
//     static constexpr size_t kSizeKnownAt = ...;
//     // Check judges the leading bytes received so far (any number of them, maybe fewer than
//     // kSizeKnownAt) and returns InvalidArgument to refuse the frame.
//     Status Check(std::string_view head) const;
//     // FrameSize is the whole frame's size in bytes, header included, from at least
//     // kSizeKnownAt bytes that passed Check.
//     size_t FrameSize(std::string_view head) const;
//     // Parse makes a Frame of the bytes of one whole frame (header included) that passed
//     // Check; the Frame may view those bytes.
//     Frame Parse(std::string_view whole) const;
//   };
//
// Bytes go in straight from the socket (Prepare, read into the span, Commit) or by copy
// (Feed); Next yields whole frames in order. A frame is refused as soon as its leading
// bytes show it is wrong, before the rest is buffered. Once a frame's size is known, Prepare
// makes room for all of it (base/read_buffer.h says why), up to 1 MiB ahead of the bytes
// received (kReserveAhead) or twice them for a larger frame. After a refusal the splitter is
// finished: every later Next returns the same error, and the caller drops the connection
// (a stream cannot be resynchronised).
//
// rpc::FrameDecoder and the Cassandra store's FrameDecoder are FrameSplitters with their
// format's Rules.
//
// Ownership: the splitter owns its buffer; a frame it returns views that buffer and stays
// valid until the next Prepare or Feed. Thread-safety: thread-compatible.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "base/read_buffer.h"
#include "base/status.h"

namespace shoal {

template <typename Rules>
class FrameSplitter {
 public:
  using Frame = typename Rules::Frame;

  // The buffer starts at kInitialBuffer and grows only to hold one frame whole, so a
  // connection costs 16 KiB until a large frame arrives.
  static constexpr size_t kInitialBuffer = 16 << 10;
  // Once empty, a buffer grown past kKeepBuffer is released, so that one 50 MiB frame does
  // not pin 50 MiB for the connection's life.
  static constexpr size_t kKeepBuffer = 1 << 20;
  static constexpr size_t kReserveAhead = 1 << 20;

  explicit FrameSplitter(Rules rules) : rules_(std::move(rules)) {}

  // Prepare returns writable space after the buffered bytes: at least `min` bytes, and
  // enough for the rest of the frame being received once its size is known. It may move the
  // buffered bytes, so it invalidates every frame returned before.
  // The room asked for a frame is at most kReserveAhead, or what is buffered if more, beyond
  // the buffered bytes: a header that claims 256 MiB gets 1 MiB of room until its bytes come
  // (the buffer then at most doubles per step), so a few bytes cannot make the splitter
  // allocate the frame's claimed size.
  std::span<char> Prepare(size_t min = kInitialBuffer) {
    size_t want = min;
    if (buf_.size() >= Rules::kSizeKnownAt && error_.ok() && Check()) {
      const size_t whole = rules_.FrameSize(buf_.data());
      if (whole > buf_.size()) {
        want = std::max(want, std::min(whole - buf_.size(), std::max(kReserveAhead, buf_.size())));
      }
    }
    return buf_.Reserve(want);
  }
  // Commit appends the first `n` bytes of the last Prepare's span to the buffered bytes.
  void Commit(size_t n) { buf_.Commit(n); }
  // Feed copies `bytes` in (tests, fuzzing); invalidates earlier frames like Prepare.
  void Feed(std::string_view bytes) {
    if (bytes.empty()) return;
    std::span<char> space = Prepare(bytes.size());
    std::copy(bytes.begin(), bytes.end(), space.begin());
    Commit(bytes.size());
  }

  // Next returns the next whole frame and drops its bytes from the buffer (a Frame that views
  // them stays valid until the next Prepare or Feed), std::nullopt when more bytes are
  // needed, or the Rules' refusal.
  Result<std::optional<Frame>> Next() {
    if (!error_.ok() || !Check()) return error_;
    const std::string_view in = buf_.data();
    if (in.size() < Rules::kSizeKnownAt) return std::optional<Frame>();
    const size_t whole = rules_.FrameSize(in);
    if (in.size() < whole) return std::optional<Frame>();
    buf_.Consume(whole);
    return std::optional<Frame>(rules_.Parse(in.substr(0, whole)));
  }

  // buffered is how many received bytes are not yet returned as frames.
  size_t buffered() const { return buf_.size(); }
  size_t capacity() const { return buf_.capacity(); }
  const Rules& rules() const { return rules_; }

 protected:
  // mutable_rules lets a format change its Rules between frames (rpc raises its size limit
  // once a connection is authenticated). A change applies to the frames not yet checked.
  Rules& mutable_rules() { return rules_; }

 private:
  // Check asks the Rules about the bytes that are in; on a refusal keeps it in error_.
  bool Check() {
    Status status = rules_.Check(buf_.data());
    if (status.ok()) return true;
    error_ = std::move(status);
    return false;
  }

  Rules rules_;
  ReadBuffer buf_{kInitialBuffer, kKeepBuffer};
  Status error_;
};

}  // namespace shoal

// FileStreamDecoder: the body of Solr's replication `command=filecontent&wt=filestream` answer,
// taken apart as it arrives.
//
// The body is a run of packets, integers big-endian: a packet is its size as an int32, then
// (when the request asked for `checksum=true`) the Adler-32 of its bytes as an int64 whose top
// 32 bits are zero, then the bytes. A size of 0 ends the file: after a file whose length is a
// multiple of the packet size Solr sends an empty data packet (with its checksum) before the end
// marker, and the first 0 read ends the file all the same (what follows is ignored). Packets
// are at most 1 MiB (Solr's limit); a larger or negative size is a broken stream.
//
// The decoder copies nothing: Feed hands each piece of payload to the sink as a view into the
// bytes it was given, checking each packet's Adler-32 as the pieces pass.
//
// Thread-safety: one decoder per stream, used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace shoal::solr {

inline constexpr uint32_t kMaxPacket = uint32_t{1} << 20;

class FileStreamDecoder {
 public:
  // Sink takes the next piece of the file's bytes; an error it returns stops the stream (Feed
  // returns it).
  using Sink = std::function<Status(std::string_view)>;

  FileStreamDecoder(bool checksums, Sink sink) : checksums_(checksums), sink_(std::move(sink)) {}

  // Feed takes the next bytes of the body. InvalidArgument for a broken stream (a size out of
  // range, a checksum with its top bits set, an Adler-32 that does not match: the message says
  // which packet); after an error, or once done(), Feed ignores what it is given.
  Status Feed(std::string_view bytes);

  // done: the end marker has been read.
  bool done() const { return state_ == State::kDone; }
  // bytes: the file's bytes handed to the sink so far.
  uint64_t bytes() const { return bytes_; }
  // packets: the data packets read so far (empty ones included).
  uint64_t packets() const { return packets_; }

 private:
  enum class State { kSize, kChecksum, kPayload, kDone, kFailed };
  Status Fail(const std::string& why);
  Status EndPacket();

  const bool checksums_;
  Sink sink_;
  State state_ = State::kSize;
  char header_[8] = {};  // the size or the checksum, as its bytes come in
  size_t header_have_ = 0;
  uint32_t size_ = 0;      // the current packet's size
  uint32_t left_ = 0;      // its bytes still to come
  uint32_t expected_ = 0;  // its Adler-32, when checksums_
  uint32_t adler_ = 0;     // the Adler-32 of its bytes so far
  uint64_t bytes_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace shoal::solr

#include "solr/filestream.h"

#include <algorithm>
#include <string>
#include <utility>

#include <zlib.h>

#include "base/big_endian.h"

namespace shoal::solr {
namespace {

uint32_t Adler(uint32_t adler, std::string_view bytes) {
  return static_cast<uint32_t>(
      adler32_z(adler, reinterpret_cast<const Bytef*>(bytes.data()),  // NOLINT: zlib's bytes
                bytes.size()));
}

}  // namespace

Status FileStreamDecoder::Fail(const std::string& why) {
  state_ = State::kFailed;
  return Status::InvalidArgument("broken filestream at packet " + std::to_string(packets_ + 1) +
                                 " (after " + std::to_string(bytes_) + " bytes): " + why);
}

Status FileStreamDecoder::EndPacket() {
  ++packets_;
  if (checksums_ && adler_ != expected_) {
    --packets_;  // name the packet that failed
    return Fail("Adler-32 " + std::to_string(adler_) + " of its " + std::to_string(size_) +
                " bytes, but the stream says " + std::to_string(expected_));
  }
  state_ = State::kSize;
  return Status::Ok();
}

Status FileStreamDecoder::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kDone:
      case State::kFailed:
        return Status::Ok();
      case State::kSize:
      case State::kChecksum: {
        const size_t want = state_ == State::kSize ? 4 : 8;
        const size_t take = std::min(want - header_have_, bytes.size());
        std::copy_n(bytes.data(), take, header_ + header_have_);
        header_have_ += take;
        bytes.remove_prefix(take);
        if (header_have_ < want) return Status::Ok();
        header_have_ = 0;
        if (state_ == State::kSize) {
          const auto size = static_cast<int32_t>(LoadBigEndian32(header_));
          if (size < 0 || static_cast<uint32_t>(size) > kMaxPacket) {
            return Fail("a packet of " + std::to_string(size) + " bytes (at most " +
                        std::to_string(kMaxPacket) + ")");
          }
          // The first size 0 ends the file (an empty data packet before the end marker is
          // the same as the end for the file's bytes).
          if (size == 0) {
            state_ = State::kDone;
            return Status::Ok();
          }
          size_ = left_ = static_cast<uint32_t>(size);
          adler_ = Adler(0, {});
          state_ = checksums_ ? State::kChecksum : State::kPayload;
        } else {
          const uint64_t sum = LoadBigEndian64(header_);
          if ((sum >> 32) != 0) return Fail("a checksum that is not an Adler-32");
          expected_ = static_cast<uint32_t>(sum);
          state_ = State::kPayload;
        }
        break;
      }
      case State::kPayload: {
        const std::string_view piece = bytes.substr(0, left_);
        bytes.remove_prefix(piece.size());
        left_ -= static_cast<uint32_t>(piece.size());
        if (checksums_) adler_ = Adler(adler_, piece);
        bytes_ += piece.size();
        if (Status st = sink_(piece); !st.ok()) {
          state_ = State::kFailed;
          return st;
        }
        if (left_ == 0) {
          if (Status st = EndPacket(); !st.ok()) return st;
        }
        break;
      }
    }
  }
  return Status::Ok();
}

}  // namespace shoal::solr

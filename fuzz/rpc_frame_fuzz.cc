// libFuzzer target: the rpc frame decoder (rpc/frame.h), the first code to see a peer's
// bytes. The first input byte picks max_frame, the second seeds the chunking; the rest is the
// byte stream. It goes into a FrameDecoder in chunks of random sizes, alternately by Feed and
// by Prepare/Commit (the socket path). Checked:
//   - every frame yielded re-encodes to exactly the bytes it came from, in order;
//   - a frame is yielded only whole, and never one over max_frame;
//   - an error is reported only for a header that really is invalid, and it sticks;
//   - no byte is lost: yielded + still buffered == fed;
//   - a HELLO payload that auth::DecodeHello accepts re-encodes to the same bytes, and fits
//     the pre-handshake limit (auth::kMaxHandshakeFrame).
// When the seed byte is odd, the decoder starts at the handshake's limit and is raised to
// max_frame after the first frame, as a server connection is once authenticated.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "rpc/auth.h"
#include "rpc/frame.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

uint32_t BigEndian32(std::string_view b) {
  return (uint32_t{static_cast<unsigned char>(b[0])} << 24) |
         (uint32_t{static_cast<unsigned char>(b[1])} << 16) |
         (uint32_t{static_cast<unsigned char>(b[2])} << 8) |
         uint32_t{static_cast<unsigned char>(b[3])};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using shoal::rpc::AppendFrame;
  using shoal::rpc::Frame;
  using shoal::rpc::FrameDecoder;
  using shoal::rpc::kMinFrameLength;
  if (size < 2) return 0;
  // Small limits so that the fuzzer reaches the over-the-limit path with short inputs.
  const uint32_t max_frame = kMinFrameLength + uint32_t{data[0]} * 3;
  std::minstd_rand rng(data[1]);
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  const bool staged = (data[1] & 1) != 0;
  uint32_t limit = staged ? std::min(max_frame, shoal::rpc::auth::kMaxHandshakeFrame) : max_frame;
  FrameDecoder decoder(limit);
  size_t fed = 0;
  size_t consumed = 0;  // bytes of `in` yielded as frames
  bool use_feed = false;
  while (fed < in.size()) {
    const size_t n = std::min<size_t>(in.size() - fed, 1 + rng() % 64);
    if (use_feed) {
      decoder.Feed(in.substr(fed, n));
    } else {
      std::span<char> space = decoder.Prepare(n);
      Check(space.size() >= n);
      std::memcpy(space.data(), in.data() + fed, n);
      decoder.Commit(n);
    }
    use_feed = !use_feed;
    fed += n;
    for (;;) {
      shoal::Result<std::optional<Frame>> next = decoder.Next();
      if (!next.ok()) {
        // The header at `consumed` must really be bad, and the error must stick.
        const std::string_view rest = in.substr(consumed, fed - consumed);
        Check(rest.size() >= 4);
        const uint32_t length = BigEndian32(rest);
        const bool bad_type =
            rest.size() >= 5 && !shoal::rpc::IsFrameType(static_cast<uint8_t>(rest[4]));
        Check(length > limit || length < kMinFrameLength || bad_type);
        Check(!decoder.Next().ok());
        return 0;
      }
      if (!next->has_value()) break;
      const Frame& frame = **next;
      Check(shoal::rpc::IsFrameType(static_cast<uint8_t>(frame.type)));
      Check(frame.payload.size() + kMinFrameLength <= limit);
      if (frame.type == shoal::rpc::FrameType::kHello) {
        shoal::Result<shoal::rpc::auth::Hello> hello = shoal::rpc::auth::DecodeHello(frame.payload);
        if (hello.ok()) {
          Check(shoal::rpc::auth::EncodeHello(*hello) == frame.payload);
          Check(frame.payload.size() + kMinFrameLength <= shoal::rpc::auth::kMaxHandshakeFrame);
        }
      }
      std::string again;
      Check(AppendFrame(again, frame).ok());
      Check(consumed + again.size() <= fed);
      Check(again == in.substr(consumed, again.size()));
      consumed += again.size();
      if (staged && limit != max_frame) {
        limit = max_frame;
        decoder.set_max_frame(limit);
      }
    }
    Check(consumed + decoder.buffered() == fed);
  }
  return 0;
}

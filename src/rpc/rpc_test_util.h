// Test helpers for rpc tests that play a peer by hand over raw POSIX sockets (base/test_socket.h
// opens them): write bytes, read whole frames, wait for the other side to close, accept one
// connection. Header-only, for the rpc test binaries only. Thread-safe (no shared state).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/big_endian.h"
#include "rpc/frame.h"

namespace shoal::rpc::testing {

using TestClock = std::chrono::steady_clock;

// WriteAll sends every byte of `bytes` (stops early if the peer is gone).
inline void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// ClosedByPeer reads until the peer closes (true) or `limit` passes (false); whatever the
// other side sent first (an ERROR frame, say) is appended to `*received`.
inline bool ClosedByPeer(int fd, std::chrono::milliseconds limit, std::string* received = nullptr) {
  const auto end = TestClock::now() + limit;
  char buf[4096];
  while (TestClock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - TestClock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return true;
    if (received != nullptr) received->append(buf, static_cast<size_t>(n));
  }
  return false;
}

// ReadExactly reads `n` bytes within `limit`; nullopt on a close, an error or the limit.
inline std::optional<std::string> ReadExactly(int fd, size_t n, std::chrono::milliseconds limit) {
  const auto end = TestClock::now() + limit;
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - TestClock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t got = ::recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (got <= 0) return std::nullopt;
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

// ReadFrameBytes reads one whole frame (header included) within `limit`; nullopt if the
// other side closed first or nothing whole came.
inline std::optional<std::string> ReadFrameBytes(int fd, std::chrono::milliseconds limit) {
  std::optional<std::string> head = ReadExactly(fd, 4, limit);
  if (!head) return std::nullopt;
  const uint32_t length = LoadBigEndian32(head->data());
  if (length < kMinFrameLength || length > (1u << 20)) return std::nullopt;
  std::optional<std::string> rest = ReadExactly(fd, length, limit);
  if (!rest) return std::nullopt;
  return *head + *rest;
}

// ConnectFrom opens a connection to 127.0.0.1:`port` from the loopback address `source`
// (e.g. "127.0.0.2": the whole of 127.0.0.0/8 is this machine), so a test can play several
// remote addresses; -1 on failure.
inline int ConnectFrom(const char* source, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  if (::inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// TypeOf is the type byte of a frame's bytes.
inline FrameType TypeOf(const std::string& frame) { return static_cast<FrameType>(frame[4]); }

// AcceptWithin accepts one connection on `listener` within `limit`; -1 if none came.
inline int AcceptWithin(int listener, std::chrono::milliseconds limit) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) <= 0) return -1;
  return ::accept(listener, nullptr, nullptr);
}

// EncodeFrame is one whole frame as bytes (the payload must fit a frame).
inline std::string EncodeFrame(FrameType type, uint8_t method, uint64_t id,
                               std::string_view payload) {
  std::string out;
  (void)AppendFrame(out, type, method, id, payload);
  return out;
}

}  // namespace shoal::rpc::testing

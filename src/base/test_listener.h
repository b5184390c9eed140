// LoopbackListener for tests in any folder: a TCP socket listening on 127.0.0.1 on a free port
// that nobody serves. The kernel completes connections to it (up to the backlog) but nothing
// ever answers; and while it lives, the port is taken for anyone binding it without
// SO_REUSEPORT on this socket. Test code only (it reports failures to the running gtest test).
// Ownership: the object owns the socket and closes it. Thread-safety: not thread-safe.
#pragma once

#include <cstdint>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace shoal::testing {

class LoopbackListener {
 public:
  explicit LoopbackListener(int backlog = 16) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, backlog), 0);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

}  // namespace shoal::testing

// Test helper: a TCP relay from a port of 127.0.0.1 to 127.0.0.1:target, that a test can cut
// (Stop: the "node" goes down; Start: it comes back on the same port) or pause (Pause: bytes
// are still accepted, none is relayed, as with a SIGSTOPped server; Resume relays what was
// held). Real sockets, real server behind it. Test-only.
// Thread-safety: Start, Stop, Pause and Resume from one test thread; the relay runs on its own
// threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/test_socket.h"

namespace shoal::store::cassandra::testing {

// Proxy: see above.
class Proxy {
 public:
  explicit Proxy(uint16_t target) : target_(target) { Start(); }
  ~Proxy() { Stop(); }

  uint16_t port() const { return port_; }

  void Start() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr = LoopbackAddress(port_);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      ADD_FAILURE() << "proxy: cannot listen on port " << port_;
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this, fd = listen_fd_] { AcceptLoop(fd); });
  }

  // Pause holds every byte read from now on until Resume (or Stop).
  void Pause() {
    std::lock_guard<std::mutex> lock(mu_);
    paused_ = true;
  }
  void Resume() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      paused_ = false;
    }
    resumed_.notify_all();
  }

  void Stop() {
    Resume();
    if (listen_fd_ < 0) return;
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    accept_thread_.join();
    ::close(listen_fd_);
    listen_fd_ = -1;
    std::vector<std::thread> pumps;
    std::vector<int> fds;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pumps.swap(pumps_);
      fds.swap(fds_);
    }
    for (int fd : fds) ::shutdown(fd, SHUT_RDWR);
    for (auto& t : pumps) t.join();
    for (int fd : fds) ::close(fd);
  }

 private:
  void AcceptLoop(int listen_fd) {
    for (;;) {
      const int client = ::accept(listen_fd, nullptr, nullptr);
      if (client < 0) return;
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr = LoopbackAddress(target_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(client);
      fds_.push_back(server);
      pumps_.emplace_back([this, client, server] { Pump(client, server); });
      pumps_.emplace_back([this, client, server] { Pump(server, client); });
    }
  }

  // Pump copies `from` to `to` until either end closes, then cuts both directions.
  void Pump(int from, int to) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::read(from, buf, sizeof buf);
      if (n <= 0) break;
      {
        std::unique_lock<std::mutex> lock(mu_);
        resumed_.wait(lock, [this] { return !paused_; });
      }
      if (::send(to, buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    ::shutdown(from, SHUT_RDWR);
    ::shutdown(to, SHUT_RDWR);
  }

  const uint16_t target_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable resumed_;
  bool paused_ = false;  // guarded by mu_
  std::vector<std::thread> pumps_;
  std::vector<int> fds_;
};

}  // namespace shoal::store::cassandra::testing

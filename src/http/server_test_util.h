// Test-only helpers of the http Server tests (server_test.cc, server_guard_test.cc): a
// handler with sync, async and never-answered paths, a blocking POSIX client, and a fixture
// that runs a Server on 127.0.0.1 (port 0) on its own thread.
//
// TestHandler answers /sync at once, /async from a worker thread after a few milliseconds
// (later requests often finish first, so order is really tested), /never not at all, /size
// with the size of the body, and /throw by throwing std::bad_alloc. Bodies echo the query so
// each answer can be matched to its request. Its MaxBody refuses any body on /nobody and more
// than 10 bytes on /small. Thread-safe where the server needs it (Handle, MaxBody).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/memory_logger.h"
#include "base/test_socket.h"
#include "http/server.h"

namespace shoal::http::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Worker runs closures on its own thread once their due time has come.
class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) {}
  ~Worker() { Shutdown(); }
  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void At(Clock::time_point due, std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push(Item{due, seq_++, std::move(fn)});
    }
    cv_.notify_all();
  }

 private:
  struct Item {
    Clock::time_point due;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Item& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!done_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const Clock::time_point due = queue_.top().due;  // a copy: the queue may grow
      if (Clock::now() < due) {
        cv_.wait_until(lock, due);
        continue;
      }
      std::function<void()> fn = queue_.top().fn;
      queue_.pop();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue_;
  uint64_t seq_ = 0;
  bool done_ = false;
  std::thread thread_;
};

class TestHandler : public Handler {
 public:
  explicit TestHandler(Worker* worker) : worker_(worker) {}

  void Handle(const Request& request, Exchange& exchange) override {
    if (request.path == "/sync") {
      Response r;
      r.SetBody(Bytes::Copy("sync " + std::string(request.query)));
      r.etag = "\"e1\"";
      r.max_age = 60;
      r.age = 3;
      r.vary_accept_encoding = true;
      r.cache_status = "HIT";
      exchange.Reply(std::move(r));
    } else if (request.path == "/async") {
      ReplyLater later = exchange.Defer();
      std::string body = "async " + std::string(request.query);
      // 0-9 ms, varying with the request, so answers complete out of order.
      auto delay = std::chrono::milliseconds(std::hash<std::string>()(body) % 10);
      if (request.query.starts_with("slow")) delay = 400ms;
      worker_->At(Clock::now() + delay, [later, body] {
        Response r;
        r.SetBody(Bytes::Copy(body));
        later(std::move(r));
      });
    } else if (request.path == "/never") {
      std::lock_guard<std::mutex> lock(mu_);
      never_.push_back(exchange.Defer());
    } else if (request.path == "/throw") {
      throw std::bad_alloc();
    } else if (request.path == "/size") {
      Response r;
      r.SetBody(Bytes::Copy(std::to_string(request.body.size())));
      exchange.Reply(std::move(r));
    } else {
      exchange.Reply(ErrorResponse(404, "not found"));
    }
  }

  // /nobody takes no body, /small at most 10 bytes; the rest the server's max_body.
  size_t MaxBody(const Request& head) const override {
    if (head.path == "/nobody") return 0;
    if (head.path == "/small") return 10;
    return Handler::MaxBody(head);
  }

  void DropNever() {
    std::lock_guard<std::mutex> lock(mu_);
    never_.clear();
  }

 private:
  Worker* worker_;
  std::mutex mu_;
  std::vector<ReplyLater> never_;
};

struct Reply {
  bool ok = false;
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Client is a blocking keep-alive connection with a receive timeout.
class Client {
 public:
  // Port 0: no connection (see Adopt).
  explicit Client(uint16_t port, int timeout_ms = 5000)
      : fd_(port == 0 ? -1 : ConnectToLoopback(port)),
        connected_(fd_ >= 0),
        timeout_ms_(timeout_ms) {
    if (!connected_) return;
    timeval tv{timeout_ms / 1000, suseconds_t{timeout_ms % 1000} * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  // Adopt replaces the connection by `fd`, a connected socket this Client then owns.
  void Adopt(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    connected_ = fd >= 0;
    if (!connected_) return;
    timeval tv{timeout_ms_ / 1000, suseconds_t{timeout_ms_ % 1000} * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }

  bool Send(std::string_view data) const {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Read reads one response; `head` for a response to HEAD (no body despite its length).
  Reply Read(bool head = false) {
    Reply reply;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return reply;
    }
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head_text.find("\r\n");
    std::string status_line = head_text.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0) return reply;
    reply.status = std::atoi(status_line.c_str() + 9);
    size_t pos = line_end == std::string::npos ? head_text.size() : line_end + 2;
    while (pos < head_text.size()) {
      size_t e = head_text.find("\r\n", pos);
      if (e == std::string::npos) e = head_text.size();
      std::string line = head_text.substr(pos, e - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      reply.headers[name] = line.substr(v);
      pos = e + 2;
    }
    size_t length = head ? 0 : std::strtoul(reply.Header("content-length").c_str(), nullptr, 10);
    while (buf_.size() < length) {
      if (!Fill()) return reply;
    }
    reply.body = buf_.substr(0, length);
    buf_.erase(0, length);
    reply.ok = true;
    return reply;
  }

  // AtEof waits (up to the receive timeout) for the server to close the connection.
  bool AtEof() {
    if (!buf_.empty()) return false;
    char c;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    if (n == 1) buf_.push_back(c);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  std::string& buffered() { return buf_; }

 private:
  bool Fill() {
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  int timeout_ms_;
  std::string buf_;
};

// ReadLast reads a reply after which the server must close the connection: it checks that the
// reply came whole, says "Connection: close", and that the end of the stream follows.
inline Reply ReadLast(Client& c) {
  Reply r = c.Read();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.AtEof());
  return r;
}

inline std::string Get(std::string_view target, std::string_view method = "GET") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n";
}

inline void RaiseFdLimit(rlim_t want) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur >= want) return;
  lim.rlim_cur = std::min(want, lim.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}, int threads = 2) {
    options.port = 0;
    options.threads = threads;
    server_ = std::make_unique<Server>(options, handler_);
    Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(server_->port(), 0);
    run_done_ = false;
    runner_ = std::thread([this] {
      server_->Run();
      run_done_ = true;
    });
  }

  // StopServer drains and waits for Run to return; fails the test after `limit`.
  void StopServer(std::chrono::milliseconds limit = 5000ms) {
    if (server_ == nullptr) return;
    server_->Stop();
    auto deadline = Clock::now() + limit;
    while (!run_done_ && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(run_done_) << "Run did not return after Stop";
    if (!run_done_) handler_.DropNever();
    runner_.join();
    worker_.Shutdown();
    handler_.DropNever();
    server_.reset();
  }

  void TearDown() override { StopServer(); }

  uint16_t port() const { return server_->port(); }

  MemoryLogger logger_;  // outlives server_
  Worker worker_;
  TestHandler handler_{&worker_};
  std::unique_ptr<Server> server_;
  std::thread runner_;
  std::atomic<bool> run_done_{false};
};

}  // namespace shoal::http::test

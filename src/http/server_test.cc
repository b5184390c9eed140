// Tests of the http Server over real sockets on 127.0.0.1 (port 0), with plain blocking
// POSIX clients: concurrency, pipelining order, limits and errors, timeouts, drain.
//
// The test handler answers /sync at once, /async from a worker thread after a few
// milliseconds (later requests often finish first, so order is really tested) and /never
// not at all. Bodies echo the query so each answer can be matched to its request.
#include "http/server.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <new>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/memory_logger.h"
#include "base/test_socket.h"
#include "base/test_threads.h"

namespace shoal::http {
namespace {

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
Reply ReadLast(Client& c) {
  Reply r = c.Read();
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c.AtEof());
  return r;
}

std::string Get(std::string_view target, std::string_view method = "GET") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n";
}

void RaiseFdLimit(rlim_t want) {
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

TEST_F(ServerTest, AnswersSyncAndAsyncWithCacheHeaders) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/sync?a=1")));
  Reply r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "sync a=1");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("content-length"), "8");
  EXPECT_EQ(r.Header("etag"), "\"e1\"");
  EXPECT_EQ(r.Header("cache-control"), "max-age=60");
  EXPECT_EQ(r.Header("age"), "3");
  EXPECT_EQ(r.Header("vary"), "Accept-Encoding");
  EXPECT_EQ(r.Header("x-cache"), "HIT");
  EXPECT_EQ(r.Header("date").size(), 29u);
  EXPECT_EQ(r.Header("connection"), "");

  ASSERT_TRUE(c.Send(Get("/async?b=2")));
  r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "async b=2");

  ASSERT_TRUE(c.Send(Get("/nope")));
  r = c.Read();
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"not found","status":404})");

  Stats s = server_->stats();
  EXPECT_EQ(s.requests, 3u);
  EXPECT_EQ(s.responses_2xx, 2u);
  EXPECT_EQ(s.responses_4xx, 1u);
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.connections_open, 1u);
}

TEST_F(ServerTest, HeadHasHeadersButNoBody) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/sync?h", "HEAD") + Get("/sync?after")));
  Reply r = c.Read(/*head=*/true);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-length"), "6");  // "sync h"
  EXPECT_EQ(r.Header("etag"), "\"e1\"");
  // Had a body been sent, it would now sit in front of the next response.
  r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.body, "sync after");
}

TEST_F(ServerTest, Http10KeepAliveOnlyWhenAsked) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send("GET /sync?x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  Reply r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.Header("connection"), "keep-alive");
  ASSERT_TRUE(c.Send("GET /sync?y HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(ReadLast(c).body, "sync y");
}

TEST_F(ServerTest, ThousandConcurrentKeepAliveConnections) {
  RaiseFdLimit(4096);
  StartServer();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  constexpr int kRounds = 3;
  std::atomic<int> good{0};
  std::atomic<int> connected{0};
  shoal::testing::ThreadGroup threads(kThreads, [&](int t) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < kPerThread; ++i) {
      clients.push_back(std::make_unique<Client>(port()));
      if (clients.back()->connected()) ++connected;
    }
    for (int round = 0; round < kRounds; ++round) {
      for (int i = 0; i < kPerThread; ++i) {
        std::string q = std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(round);
        const char* path = (i + round) % 3 == 0 ? "/async?" : "/sync?";
        clients[static_cast<size_t>(i)]->Send(Get(path + q));
      }
      for (int i = 0; i < kPerThread; ++i) {
        std::string q = std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(round);
        const char* kind = (i + round) % 3 == 0 ? "async " : "sync ";
        Reply r = clients[static_cast<size_t>(i)]->Read();
        if (r.ok && r.status == 200 && r.body == kind + q) ++good;
      }
    }
  });
  threads.Join();
  EXPECT_EQ(connected.load(), kThreads * kPerThread);
  EXPECT_EQ(good.load(), kThreads * kPerThread * kRounds);
  Stats s = server_->stats();
  EXPECT_EQ(s.connections_accepted, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.requests, static_cast<uint64_t>(kThreads * kPerThread * kRounds));
}

TEST_F(ServerTest, HundredPipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client c(port());
  std::string all;
  for (int i = 0; i < 100; ++i) {
    all += Get((i % 2 == 0 ? "/async?" : "/sync?") + std::to_string(i));
  }
  ASSERT_TRUE(c.Send(all));
  for (int i = 0; i < 100; ++i) {
    Reply r = c.Read();
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, (i % 2 == 0 ? "async " : "sync ") + std::to_string(i));
  }
}

TEST_F(ServerTest, PipelinedAnswersBeforeAParseErrorAreWrittenFirst) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/async?1") + Get("/sync?2") + "NOT HTTP\r\n\r\n" + Get("/sync?3")));
  Reply r = c.Read();
  EXPECT_EQ(r.body, "async 1");
  r = c.Read();
  EXPECT_EQ(r.body, "sync 2");
  EXPECT_EQ(r.Header("connection"), "");
  EXPECT_EQ(ReadLast(c).status, 400);
  EXPECT_EQ(server_->stats().parse_errors, 1u);
}

TEST_F(ServerTest, MalformedRequestsGetJsonErrorsWhileOthersAreServed) {
  ServerOptions o;
  o.max_body = 1000;
  StartServer(o);
  Client good(port());
  struct Case {
    std::string request;
    int status;
  };
  using namespace std::string_literals;
  const Case cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(20000, 'x') + "\r\n\r\n", 431},
      {"GET /" + std::string(10000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n",
       400},
      {"GET /a\0b HTTP/1.1\r\nHost: t\r\n\r\n"s, 400},
      {"POST /sync HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'b'),
       413},
      {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
  };
  int n = 0;
  for (const Case& tc : cases) {
    Client bad(port());
    ASSERT_TRUE(bad.Send(tc.request));
    const Reply r = ReadLast(bad);
    EXPECT_EQ(r.status, tc.status);
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_TRUE(r.body.starts_with("{\"error\":\"")) << r.body;
    EXPECT_TRUE(r.body.ends_with(",\"status\":" + std::to_string(tc.status) + "}")) << r.body;

    ASSERT_TRUE(good.Send(Get("/sync?" + std::to_string(n))));
    Reply g = good.Read();
    ASSERT_TRUE(g.ok);
    EXPECT_EQ(g.body, "sync " + std::to_string(n));
    ++n;
  }
  EXPECT_EQ(server_->stats().parse_errors, std::size(cases));
}

TEST_F(ServerTest, GetBodyIsReadAndIgnored) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(c.Send("GET /sync?b HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nabcd" +
                     Get("/sync?next")));
  EXPECT_EQ(c.Read().body, "sync b");
  EXPECT_EQ(c.Read().body, "sync next");
}

TEST_F(ServerTest, ChunkedPostBodyIsAccepted) {
  StartServer();
  Client c(port());
  ASSERT_TRUE(
      c.Send("POST /sync?c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n0\r\n\r\n" +
             Get("/sync?next")));
  EXPECT_EQ(c.Read().body, "sync c");
  EXPECT_EQ(c.Read().body, "sync next");
}

TEST_F(ServerTest, LateAnswerBecomes503AndIsDropped) {
  ServerOptions o;
  o.request_timeout = 200ms;
  StartServer(o);
  Client c(port());
  auto start = Clock::now();
  ASSERT_TRUE(c.Send(Get("/never") + Get("/sync?after")));
  Reply r = c.Read();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"error":"timed out","status":503})");
  EXPECT_GE(Clock::now() - start, 190ms);
  r = c.Read();  // the connection goes on
  EXPECT_EQ(r.body, "sync after");
  // A late answer to the timed-out request is dropped, not written.
  handler_.DropNever();
  ASSERT_TRUE(c.Send(Get("/sync?again")));
  EXPECT_EQ(c.Read().body, "sync again");
  EXPECT_EQ(server_->stats().request_timeouts, 1u);
}

TEST_F(ServerTest, LateDeferredAnswerIsDropped) {
  ServerOptions o;
  o.request_timeout = 100ms;
  StartServer(o);
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/async?slow")));  // answered after 400 ms
  Reply r = c.Read();
  EXPECT_EQ(r.status, 503);
  std::this_thread::sleep_for(500ms);  // the late answer arrives meanwhile
  ASSERT_TRUE(c.Send(Get("/sync?next")));
  r = c.Read();
  EXPECT_EQ(r.body, "sync next");
  EXPECT_TRUE(c.buffered().empty());
}

TEST_F(ServerTest, OverMaxConnectionsGets503) {
  ServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  auto a = std::make_unique<Client>(port());
  Client b(port());
  ASSERT_TRUE(a->Send(Get("/sync?a")));
  ASSERT_TRUE(b.Send(Get("/sync?b")));
  EXPECT_EQ(a->Read().status, 200);
  EXPECT_EQ(b.Read().status, 200);
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/sync?c")));
  const Reply r = ReadLast(c);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"error":"too many connections","status":503})");
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
  // Once one leaves, a new connection is admitted.
  a.reset();
  auto deadline = Clock::now() + 2s;
  while (server_->stats().connections_open > 1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  Client d(port());
  ASSERT_TRUE(d.Send(Get("/sync?d")));
  EXPECT_EQ(d.Read().status, 200);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout = 200ms;
  StartServer(o);
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/sync?i")));
  EXPECT_EQ(c.Read().status, 200);
  auto start = Clock::now();
  EXPECT_TRUE(c.AtEof());
  EXPECT_GE(Clock::now() - start, 150ms);
  EXPECT_LT(Clock::now() - start, 2000ms);
}

TEST_F(ServerTest, SlowRequestGets408) {
  ServerOptions o;
  o.header_timeout = 200ms;
  StartServer(o);
  Client c(port());
  ASSERT_TRUE(c.Send("GET /sync HTTP/1.1\r\nHo"));
  EXPECT_EQ(ReadLast(c).status, 408);
  EXPECT_EQ(server_->stats().header_timeouts, 1u);
}

TEST_F(ServerTest, StopDrainsRequestsInFlight) {
  StartServer();
  Client idle(port());
  ASSERT_TRUE(idle.Send(Get("/sync?idle")));
  EXPECT_EQ(idle.Read().status, 200);
  Client busy(port());
  ASSERT_TRUE(busy.Send(Get("/async?slow")));  // answered after 400 ms
  auto deadline = Clock::now() + 2s;
  while (server_->stats().requests < 2 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  server_->Stop();
  EXPECT_TRUE(idle.AtEof());  // idle connections close at once
  const Reply r = ReadLast(busy);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "async slow");
  deadline = Clock::now() + 3s;
  while (!run_done_ && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(run_done_);
  // No longer accepting.
  Client late(port(), 500);
  EXPECT_FALSE(late.connected() && late.Send(Get("/sync")) && late.Read().ok);
}

TEST_F(ServerTest, StopBeforeAnyConnectionReturnsPromptly) {
  StartServer();
  auto start = Clock::now();
  StopServer(2000ms);
  EXPECT_LT(Clock::now() - start, 1000ms);
}

// --- Security review fixes (H1, M5, L5, L7, L8).

TEST_F(ServerTest, BodyOnARouteThatTakesNoneIs413BeforeTheBodyIsSent) {
  StartServer();
  Client c(port(), 2000);
  // Only the head: the answer must come without the 1000 bytes it announces.
  ASSERT_TRUE(c.Send("GET /nobody HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"));
  const Reply r = ReadLast(c);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"error":"this request takes no body","status":413})");
  // A chunked body too, and a body over the route's own limit.
  Client d(port(), 2000);
  ASSERT_TRUE(d.Send("POST /nobody HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_EQ(ReadLast(d).status, 413);
  Client e(port(), 2000);
  ASSERT_TRUE(e.Send("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n"));
  EXPECT_EQ(ReadLast(e).status, 413);
  // Within the limits all is well; no body at all is always fine.
  Client f(port(), 2000);
  ASSERT_TRUE(f.Send("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789" +
                     Get("/nobody") +
                     "GET /nobody HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(f.Read().status, 404);
  EXPECT_EQ(f.Read().status, 404);
  EXPECT_EQ(f.Read().status, 404);
}

TEST_F(ServerTest, DefaultMaxBodyIs64KiB) {
  EXPECT_EQ(ServerOptions().max_body, size_t{64} << 10);
  StartServer();
  Client c(port(), 2000);
  ASSERT_TRUE(c.Send("POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 65536\r\n\r\n" +
                     std::string(65536, 'x')));
  EXPECT_EQ(c.Read().body, "65536");
  Client d(port(), 2000);
  ASSERT_TRUE(d.Send("POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 65537\r\n\r\n"));
  EXPECT_EQ(ReadLast(d).status, 413);
}

TEST_F(ServerTest, ChunkedBodyDribbledInTinyPiecesIsDecoded) {
  StartServer();
  Client c(port());
  std::string body;
  std::string want;
  for (int i = 0; i < 200; ++i) {
    const std::string data(static_cast<size_t>(1 + i % 17), static_cast<char>('a' + i % 26));
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", data.size());
    body += std::string(size) + (i % 3 == 0 ? ";ext=1" : "") + "\r\n" + data + "\r\n";
    want += data;
  }
  body += "0\r\nTrailer: x\r\n\r\n";
  const std::string all =
      "POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
  for (size_t at = 0; at < all.size(); at += 7) {
    ASSERT_TRUE(c.Send(std::string_view(all).substr(at, 7)));
    if (at % 700 == 0) std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(c.Read().body, std::to_string(want.size()));
  ASSERT_TRUE(c.Send(Get("/sync?next")));
  EXPECT_EQ(c.Read().body, "sync next");
}

TEST_F(ServerTest, EveryResponseSaysNosniff) {
  ServerOptions o;
  o.max_connections = 1;
  StartServer(o);
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/sync?a") + Get("/nope")));
  EXPECT_EQ(c.Read().Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(c.Read().Header("x-content-type-options"), "nosniff");
  Client over(port());  // over max_connections: the premade 503
  ASSERT_TRUE(over.Send(Get("/sync")));
  const Reply r = ReadLast(over);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
  ASSERT_TRUE(c.Send("GET /?<svg/onload=x> HTTP/1.1\r\n\r\n"));  // no Host: a parse error
  const Reply e = ReadLast(c);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.Header("x-content-type-options"), "nosniff");
}

TEST_F(ServerTest, SilentConnectionIsClosedAfterFirstByteTimeout) {
  ServerOptions o;
  o.first_byte_timeout = 200ms;  // idle_timeout stays 60 s
  StartServer(o);
  Client silent(port());
  Client talker(port());
  // A connection that did send is not cut by it, even past it.
  ASSERT_TRUE(talker.Send("GET /sync?t HTTP/1.1\r\n"));
  auto start = Clock::now();
  EXPECT_TRUE(silent.AtEof());
  EXPECT_GE(Clock::now() - start, 150ms);
  EXPECT_LT(Clock::now() - start, 2000ms);
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(talker.Send("Host: t\r\n\r\n"));
  EXPECT_EQ(talker.Read().body, "sync t");
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(talker.Send(Get("/sync?u")));
  EXPECT_EQ(talker.Read().body, "sync u");
}

// ConnectFrom opens a connection to 127.0.0.1:port from the local address `from`
// (another 127.x.y.z address is another client).
int ConnectFrom(const char* from, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &local.sin_addr);
  const sockaddr_in remote = LoopbackAddress(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST_F(ServerTest, ConnectionsPerAddressAreCapped) {
  ServerOptions o;
  o.max_connections_per_address = 2;
  StartServer(o);
  auto a = std::make_unique<Client>(port());
  Client b(port());
  ASSERT_TRUE(a->Send(Get("/sync?a")));
  ASSERT_TRUE(b.Send(Get("/sync?b")));
  EXPECT_EQ(a->Read().status, 200);
  EXPECT_EQ(b.Read().status, 200);
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/sync?c")));
  const Reply r = ReadLast(c);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"error":"too many connections from this address","status":503})");
  // Another address is another client.
  Client other(port());
  other.Adopt(ConnectFrom("127.0.0.2", port()));
  ASSERT_TRUE(other.Send(Get("/sync?other")));
  EXPECT_EQ(other.Read().body, "sync other");
  // Once one leaves, a new connection from the first address is admitted.
  a.reset();
  auto deadline = Clock::now() + 2s;
  Reply d_reply;
  while (Clock::now() < deadline) {
    Client d(port());
    if (!d.Send(Get("/sync?d"))) break;
    d_reply = d.Read();
    if (d_reply.status == 200) break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(d_reply.status, 200);
  EXPECT_EQ(d_reply.body, "sync d");
}

// FdLimit lowers RLIMIT_NOFILE for its lifetime.
class FdLimit {
 public:
  explicit FdLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lim = saved_;
    lim.rlim_cur = soft;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lim) == 0;
  }
  ~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  FdLimit(const FdLimit&) = delete;
  FdLimit& operator=(const FdLimit&) = delete;
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

TEST_F(ServerTest, OutOfFileDescriptorsShedsConnectionsWith503) {
  ServerOptions o;
  o.logger = &logger_;
  StartServer(o, /*threads=*/1);
  Client first(port());
  ASSERT_TRUE(first.Send(Get("/sync?first")));
  EXPECT_EQ(first.Read().body, "sync first");
  // Client sockets made now, connected once the limit is down: only the server's accept then
  // needs a new descriptor, and the limit leaves room for two.
  std::vector<int> fds;
  for (int i = 0; i < 6; ++i) fds.push_back(::socket(AF_INET, SOCK_STREAM, 0));
  int highest = *std::max_element(fds.begin(), fds.end());
  {
    FdLimit limit(static_cast<rlim_t>(highest) + 3);
    ASSERT_TRUE(limit.ok());
    std::vector<std::unique_ptr<Client>> clients;
    for (int fd : fds) {
      const sockaddr_in addr = LoopbackAddress(port());
      ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
      clients.push_back(std::make_unique<Client>(0, 3000));
      clients.back()->Adopt(fd);
    }
    int served = 0, shed = 0;
    for (size_t i = 0; i < clients.size(); ++i) {
      Client& c = *clients[i];
      if (!c.Send(Get("/sync?" + std::to_string(i)))) continue;
      const Reply r = c.Read();
      if (r.status == 200) ++served;
      if (r.status == 503) {
        ++shed;
        EXPECT_EQ(r.Header("connection"), "close");
        EXPECT_TRUE(c.AtEof());
      }
    }
    EXPECT_GE(served, 1);
    EXPECT_GE(shed, 3) << "connections over the descriptor limit got no answer";
    EXPECT_EQ(served + shed, 6);
    EXPECT_GE(server_->stats().connections_rejected, 3u);
  }
  // The server goes on: the first connection is still served, and new ones are.
  ASSERT_TRUE(first.Send(Get("/sync?again")));
  EXPECT_EQ(first.Read().body, "sync again");
  Client later(port());
  ASSERT_TRUE(later.Send(Get("/sync?later")));
  EXPECT_EQ(later.Read().body, "sync later");
  EXPECT_GE(logger_.Count("http", "descriptors"), 1u);
}

TEST_F(ServerTest, BadAllocInAHandlerIs500AndTheServerGoesOn) {
  ServerOptions o;
  o.logger = &logger_;
  StartServer(o);
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/sync?before") + Get("/throw") + Get("/sync?after")));
  EXPECT_EQ(c.Read().body, "sync before");
  const Reply r = ReadLast(c);  // that connection is closed
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":"internal error","status":500})");
  Client d(port());
  ASSERT_TRUE(d.Send(Get("/sync?other")));
  EXPECT_EQ(d.Read().body, "sync other");
  EXPECT_GE(logger_.Count("http", "bad_alloc"), 1u);
}

TEST_F(ServerTest, ABodyDoesNotStayInTheConnectionsBuffers) {
  ServerOptions o;
  o.max_body = 1 << 20;
  StartServer(o);
  Client c(port());
  std::string chunked;
  for (int i = 0; i < 500; ++i) chunked += "400\r\n" + std::string(1024, 'z') + "\r\n";
  chunked += "0\r\n\r\n";
  ASSERT_TRUE(
      c.Send("POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked));
  EXPECT_EQ(c.Read().body, "512000");
  ASSERT_TRUE(c.Send("POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n" +
                     std::string(300000, 'y') + "GET /sync?partial HTTP/1.1\r\n"));
  EXPECT_EQ(c.Read().body, "300000");
  // The connection stays open with a request half-received; what it holds is small again.
  std::this_thread::sleep_for(50ms);
  EXPECT_LT(server_->stats().buffer_bytes, 100u * 1024) << "a large body's buffers were kept";
  ASSERT_TRUE(c.Send("Host: t\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "sync partial");
}

// The child of a death test: a server that drains on signals, with one request that is never
// answered in flight (so the drain cannot finish before request_timeout, 30 s).
[[noreturn]] void SecondSignalChild() {
  Worker worker;
  TestHandler handler(&worker);
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  o.request_timeout = 30s;
  Server server(o, handler);
  if (!server.Start().ok()) std::_Exit(2);
  server.StopOnSignals();
  std::thread runner([&server] { server.Run(); });
  Client c(server.port());
  if (!c.Send(Get("/never"))) std::_Exit(3);
  while (server.stats().requests < 1) std::this_thread::sleep_for(1ms);
  ::kill(::getpid(), SIGTERM);
  std::this_thread::sleep_for(300ms);  // draining: the /never request holds it
  ::kill(::getpid(), SIGTERM);
  std::this_thread::sleep_for(10s);
  std::_Exit(0);  // the second signal did nothing
}

TEST(ServerSignalDeathTest, SecondSignalDuringTheDrainExitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(SecondSignalChild(), ::testing::ExitedWithCode(128 + SIGTERM), "");
}

TEST(ServerSignalDeathTest, SigpipeIsIgnoredOnceTheServerHandlesSignals) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto child = [] {
    Worker worker;
    TestHandler handler(&worker);
    ServerOptions o;
    o.port = 0;
    o.threads = 1;
    Server server(o, handler);
    if (!server.Start().ok()) std::_Exit(2);
    server.StopOnSignals();
    int p[2];
    if (::pipe(p) != 0) std::_Exit(3);
    ::close(p[0]);
    // Like a log line to a closed stderr pipe: EPIPE, not death by SIGPIPE.
    const bool epipe = ::write(p[1], "x", 1) < 0 && errno == EPIPE;
    std::_Exit(epipe ? 7 : 4);
  };
  EXPECT_EXIT(child(), ::testing::ExitedWithCode(7), "");
}

TEST(ServerLifecycleTest, StopBeforeRunMakesRunReturn) {
  Worker worker;
  TestHandler handler(&worker);
  ServerOptions o;
  o.port = 0;
  o.threads = 2;
  Server server(o, handler);
  ASSERT_TRUE(server.Start().ok());
  server.Stop();
  server.Run();  // returns at once
  SUCCEED();
}

TEST(ServerLifecycleTest, StartFailsWhenThePortIsTaken) {
  uint16_t taken_port = 0;
  const int taken = ListenOnLoopback(1, &taken_port);
  ASSERT_GE(taken, 0);
  Worker worker;
  TestHandler handler(&worker);
  ServerOptions o;
  o.port = taken_port;
  Server server(o, handler);
  Status s = server.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();

  ServerOptions bad;
  bad.host = "not an address";
  Server server2(bad, handler);
  EXPECT_EQ(server2.Start().code(), StatusCode::kInvalidArgument);
  ::close(taken);
}

}  // namespace
}  // namespace shoal::http

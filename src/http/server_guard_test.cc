// Tests of the http Server's guards (security review 2026-12-05) over real sockets: the body
// refused at the head (H1), the 64 KiB default body cap, chunked bodies dribbled in; nosniff
// (L7); first-byte timeout, per-address cap and shedding when descriptors run out (M5); an
// exception costs one connection, a second signal exits, SIGPIPE is ignored (L5); buffers
// given back after a large request (L8). The CPU cost of bodies is cost_test.cc's.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>

#include "base/test_socket.h"
#include "base/test_threads.h"
#include "http/server_test_util.h"

namespace shoal::http::test {
namespace {

using namespace std::chrono_literals;

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
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check on the logger call of the accept failure opens a pipe to probe memory;
  // with no descriptor left it reports "invalid vptr". The dev, clang and tsan suites run it.
  GTEST_SKIP() << "the sanitizer itself needs descriptors here";
#endif
  ServerOptions o;
  o.logger = &logger_;
  StartServer(o, /*threads=*/1);
  Client first(port());
  ASSERT_TRUE(first.Send(Get("/sync?first")));
  EXPECT_EQ(first.Read().body, "sync first");
  // Client sockets made now, connected once the limit is down: only the server's accept then
  // needs a new descriptor. Holes below them are filled first (descriptors take the lowest
  // free number), so that the limit leaves the server room for exactly two more.
  std::vector<int> fds;
  fds.reserve(6);
  for (int i = 0; i < 6; ++i) fds.push_back(::socket(AF_INET, SOCK_STREAM, 0));
  const int highest = *std::max_element(fds.begin(), fds.end());
  std::vector<int> fillers;
  while (true) {
    const int f = ::open("/dev/null", O_RDONLY);
    if (f < 0) break;
    if (f > highest) {  // no hole left: this one is the next free number, give it back
      ::close(f);
      break;
    }
    fillers.push_back(f);
  }
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
      // A shed connection has its 503 waiting (sent before any request, then closed): read it
      // without sending, since writing to a closed connection could reset it under the answer.
      pollfd p{c.fd(), POLLIN, 0};
      if (::poll(&p, 1, 500) == 1) {
        const Reply r = c.Read();
        EXPECT_EQ(r.status, 503) << i;
        EXPECT_EQ(r.Header("connection"), "close");
        EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
        EXPECT_EQ(r.body, R"({"error":"too many connections","status":503})");
        EXPECT_TRUE(c.AtEof());
        if (r.status == 503) ++shed;
        continue;
      }
      ASSERT_TRUE(c.Send(Get("/sync?" + std::to_string(i))));
      const Reply r = c.Read();
      EXPECT_EQ(r.body, "sync " + std::to_string(i));
      if (r.status == 200) ++served;
    }
    EXPECT_EQ(served, 2);
    EXPECT_EQ(shed, 4) << "connections over the descriptor limit got no answer";
    EXPECT_EQ(server_->stats().connections_rejected, 4u);
  }
  for (int f : fillers) ::close(f);
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

}  // namespace
}  // namespace shoal::http::test

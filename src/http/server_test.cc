// Tests of the http Server over real sockets on 127.0.0.1 (port 0), with plain blocking
// POSIX clients: concurrency, pipelining order, limits and errors, timeouts, drain. The
// handler, client and fixture are in server_test_util.h; the guards the security review asked
// for are tested in server_guard_test.cc.
#include "http/server.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/test_socket.h"
#include "base/test_threads.h"
#include "http/server_test_util.h"

namespace shoal::http::test {
namespace {

using namespace std::chrono_literals;

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

// A connection without pipelining reuses one slot for every request (issue 18): the late
// answer to a timed-out request must not land in the slot of the request that followed it.
TEST_F(ServerTest, LateAnswerDoesNotLandInTheNextRequestsSlot) {
  ServerOptions o;
  o.request_timeout = 300ms;
  StartServer(o);
  Client c(port());
  ASSERT_TRUE(c.Send(Get("/async?slow")));  // answered after 400 ms, timed out at 300
  Reply r = c.Read();
  EXPECT_EQ(r.status, 503);
  ASSERT_TRUE(c.Send(Get("/never")));  // in the same slot while the late answer arrives
  r = c.Read();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"error":"timed out","status":503})");
  handler_.DropNever();
  ASSERT_TRUE(c.Send(Get("/sync?next")));
  EXPECT_EQ(c.Read().body, "sync next");
  EXPECT_EQ(server_->stats().request_timeouts, 2u);
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
}  // namespace shoal::http::test

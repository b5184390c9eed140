// Tests of the access-log hook (http/access.h) over real sockets: every answer the server
// writes reaches the sink once, with its request's text, status, body bytes and timing; the
// server's own answers (a malformed request) too; long values are cut to their bounds; and a
// logged request allocates nothing on the loop once its connection has warmed up.
#include "http/access.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/test_allocations.h"
#include "http/server_test_util.h"

namespace shoal::http::test {
namespace {

using namespace std::chrono_literals;

// Kept is an AccessRecord with its texts copied.
struct Kept {
  std::chrono::system_clock::time_point time;
  Duration duration{};
  ClientAddress client;
  std::string method, target, referer, user_agent;
  bool method_cut = false, target_cut = false, user_agent_cut = false;
  bool http_1_0 = false;
  int status = 0;
  uint64_t bytes = 0;
};

class CapturingSink final : public AccessSink {
 public:
  void Write(const AccessRecord& r) override {
    Kept k;
    k.time = r.time;
    k.duration = r.duration;
    k.client = r.client;
    k.method = r.method.text;
    k.target = r.target.text;
    k.referer = r.referer.text;
    k.user_agent = r.user_agent.text;
    k.method_cut = r.method.cut;
    k.target_cut = r.target.cut;
    k.user_agent_cut = r.user_agent.cut;
    k.http_1_0 = r.http_1_0;
    k.status = r.status;
    k.bytes = r.bytes;
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(std::move(k));
  }
  std::vector<Kept> records() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  std::mutex mu_;
  std::vector<Kept> records_;
};

class AccessTest : public ServerTest {
 protected:
  void StartLogged() {
    ServerOptions o;
    o.access_log = &sink_;
    StartServer(o);
  }
  CapturingSink sink_;  // TearDown (StopServer) lets the server go before it
};

TEST_F(AccessTest, EachAnswerIsReportedOnceWithItsRequest) {
  StartLogged();
  Client c(port());
  ASSERT_TRUE(c.connected());
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(
      c.Send("GET /sync?a=1 HTTP/1.1\r\nHost: t\r\nReferer: http://r.example/\r\n"
             "User-Agent: tester/1\r\n\r\n"));
  ASSERT_EQ(c.Read().status, 200);
  ASSERT_TRUE(c.Send(Get("/sync?h", "HEAD")));
  ASSERT_TRUE(c.Read(/*head=*/true).ok);
  ASSERT_TRUE(c.Send(Get("/async?slow")));  // answered after 400 ms
  ASSERT_EQ(c.Read().status, 200);
  ASSERT_TRUE(c.Send(Get("/nope")));
  ASSERT_EQ(c.Read().status, 404);
  StopServer();

  const std::vector<Kept> r = sink_.records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].method, "GET");
  EXPECT_EQ(r[0].target, "/sync?a=1");
  EXPECT_EQ(r[0].referer, "http://r.example/");
  EXPECT_EQ(r[0].user_agent, "tester/1");
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].bytes, 8u);  // "sync a=1"
  EXPECT_FALSE(r[0].http_1_0);
  ASSERT_EQ(r[0].client.size, 4);
  EXPECT_EQ(r[0].client.bytes[0], 127);
  EXPECT_EQ(r[0].client.bytes[3], 1);
  EXPECT_GE(r[0].time, before - 1s);
  EXPECT_LE(r[0].time, std::chrono::system_clock::now());

  EXPECT_EQ(r[1].method, "HEAD");
  EXPECT_EQ(r[1].status, 200);
  EXPECT_EQ(r[1].bytes, 0u);  // HEAD: no body sent
  EXPECT_EQ(r[1].referer, "");

  EXPECT_EQ(r[2].target, "/async?slow");
  EXPECT_GE(r[2].duration, 350ms);  // the handler's 400 ms are in it
  EXPECT_LT(r[0].duration, r[2].duration);

  EXPECT_EQ(r[3].status, 404);
  EXPECT_EQ(r[3].bytes, std::string(R"({"error":"not found","status":404})").size());
}

TEST_F(AccessTest, TheServersOwnAnswersAreReportedWithoutARequest) {
  StartLogged();
  Client c(port());
  ASSERT_TRUE(c.Send("BAD\r\n\r\n"));
  const Reply r = ReadLast(c);
  EXPECT_EQ(r.status, 400);
  StopServer();
  const std::vector<Kept> k = sink_.records();
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].status, 400);
  EXPECT_EQ(k[0].method, "");
  EXPECT_EQ(k[0].target, "");
  EXPECT_EQ(k[0].bytes, r.body.size());
}

TEST_F(AccessTest, LongValuesAreCutToTheirBounds) {
  StartLogged();
  Client c(port());
  const std::string target = "/nope?" + std::string(3000, 'x');
  const std::string agent(1000, 'u');
  ASSERT_TRUE(c.Send("GET " + target + " HTTP/1.0\r\nUser-Agent: " + agent + "\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 404);
  StopServer();
  const std::vector<Kept> k = sink_.records();
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].target, target.substr(0, kAccessTargetMax));
  EXPECT_TRUE(k[0].target_cut);
  EXPECT_EQ(k[0].user_agent.size(), kAccessHeaderMax);
  EXPECT_TRUE(k[0].user_agent_cut);
  EXPECT_FALSE(k[0].method_cut);
  EXPECT_TRUE(k[0].http_1_0);
}

TEST_F(AccessTest, PipelinedAnswersAreReportedInOrder) {
  StartLogged();
  Client c(port());
  std::string batch;
  for (int i = 0; i < 10; ++i) batch += Get("/async?" + std::to_string(i));
  ASSERT_TRUE(c.Send(batch));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.Read().ok);
  StopServer();
  const std::vector<Kept> k = sink_.records();
  ASSERT_EQ(k.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(k[static_cast<size_t>(i)].target, "/async?" + std::to_string(i));
}

#if defined(SHOAL_COUNT_ALLOCATIONS)
// StaticHandler answers at once with a static body: the server's own path alone allocates.
class StaticHandler final : public Handler {
 public:
  void Handle(const Request& /*request*/, Exchange& exchange) override {
    Response r;
    r.body = "static";
    r.cache_result = CacheResult::kHit;
    r.route = "/r/{id}";
    exchange.Reply(std::move(r));
  }
};

class CountingSink final : public AccessSink {
 public:
  void Write(const AccessRecord& r) override {
    if (r.status == 200 && r.target.text.size() > 500) lines.fetch_add(1);
  }
  std::atomic<int> lines{0};
};

TEST(AccessCostTest, ALoggedRequestAllocatesNothingOnTheLoopOnceWarm) {
  ::shoal::testing::not_counted_thread =
      true;  // this thread's allocations (the client's) are not the server's
  StaticHandler handler;
  CountingSink sink;
  ServerOptions o;
  o.port = 0;
  o.threads = 1;
  o.access_log = &sink;
  Server server(o, handler);
  ASSERT_TRUE(server.Start().ok());
  std::thread run([&server] { server.Run(); });
  {
    Client c(server.port());
    ASSERT_TRUE(c.connected());
    const std::string request = "GET /r/1?" + std::string(600, 'q') +
                                " HTTP/1.1\r\nHost: t\r\nReferer: http://r.example/\r\n"
                                "User-Agent: " +
                                std::string(200, 'u') + "\r\n\r\n";
    for (int i = 0; i < 20; ++i) {  // warm: buffers and the slot's strings grow once
      ASSERT_TRUE(c.Send(request));
      ASSERT_EQ(c.Read().status, 200);
    }
    ::shoal::testing::other_thread_allocations = 0;
    ::shoal::testing::count_other_threads = true;
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(c.Send(request));
      ASSERT_EQ(c.Read().status, 200);
    }
    ::shoal::testing::count_other_threads = false;
  }
  EXPECT_EQ(::shoal::testing::other_thread_allocations.load(), 0u);
  EXPECT_EQ(sink.lines.load(), 220);
  server.Stop();
  run.join();
  ::shoal::testing::not_counted_thread = false;
}
#endif

}  // namespace
}  // namespace shoal::http::test

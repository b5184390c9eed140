// Tests of rpc::Client and rpc::Server over real sockets on 127.0.0.1 (port 0): multiplexing
// and out-of-order replies, deadlines, backoff and reconnect, PING, the HMAC handshake,
// malformed input from raw sockets, Close and Stop. Server and client run on separate
// Runtimes of two threads each, as two nodes would, so strands and locks are really used
// concurrently (TSan runs this file).
//
// Handlers that answer later hand their Responders to the test thread, which answers them in
// an order of its choosing: that is how out-of-order replies are made, not by sleeping.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/logger.h"
#include "base/memory_logger.h"
#include "base/test_socket.h"
#include "rpc/auth.h"
#include "rpc/client.h"
#include "rpc/frame.h"
#include "rpc/runtime.h"
#include "rpc/server.h"

namespace shoal::rpc {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// ---- handlers ------------------------------------------------------------------------------

struct HeldCall {
  uint8_t method = 0;
  std::string payload;
  Responder respond;
};

// TestHandler: method 1 echoes at once ("echo:" + payload); method 2 holds the call for the
// test to answer (Take); method 3 never answers (drops the Responder); method 9 is refused
// as malformed content.
class TestHandler : public Handler {
 public:
  Status Handle(uint8_t method, std::string_view payload, Responder respond) override {
    handled_.fetch_add(1);
    if (on_call_) on_call_();
    switch (method) {
      case 1:
        respond("echo:" + std::string(payload));
        return Status::Ok();
      case 2: {
        std::lock_guard<std::mutex> lock(mu_);
        held_.push_back(HeldCall{method, std::string(payload), std::move(respond)});
        cv_.notify_all();
        return Status::Ok();
      }
      case 3:
        return Status::Ok();
      default:
        return Status::InvalidArgument("method " + std::to_string(method) + " not understood");
    }
  }

  // Take waits until `n` calls are held (at most 5 s) and returns them.
  std::vector<HeldCall> Take(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return held_.size() >= n; });
    std::vector<HeldCall> out = std::move(held_);
    held_.clear();
    return out;
  }

  // on_call runs at the start of every Handle (set before the server starts).
  void set_on_call(std::function<void()> fn) { on_call_ = std::move(fn); }
  int handled() const { return handled_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HeldCall> held_;
  std::function<void()> on_call_;
  std::atomic<int> handled_{0};
};

// ---- results -------------------------------------------------------------------------------

// Results collects callbacks' outcomes by call index.
class Results {
 public:
  CallCallback Callback(int index) {
    return [this, index](Result<std::string> r) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.emplace(index, std::move(r));
      ++count_;
      cv_.notify_all();
    };
  }
  // Wait waits (at most `limit`) until `n` callbacks ran; false if they did not.
  bool Wait(size_t n, std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return count_ >= n; });
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  Result<std::string> Get(int index) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = got_.find(index);
    if (it == got_.end()) return Status::Internal("no result for " + std::to_string(index));
    return it->second;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, Result<std::string>> got_;
  size_t count_ = 0;
};

// CallAndWait makes one call and waits up to `limit` for its outcome; nullopt if none came.
std::optional<Result<std::string>> CallAndWait(Client& client, uint8_t method, std::string payload,
                                               Duration timeout,
                                               std::chrono::milliseconds limit = 5000ms) {
  // Shared with the callback: it may still come after we gave up waiting.
  auto r = std::make_shared<Results>();
  client.Call(method, std::move(payload), timeout,
              [r, cb = r->Callback(0)](Result<std::string> x) { cb(std::move(x)); });
  if (!r->Wait(1, limit)) return std::nullopt;
  return r->Get(0);
}

std::string Message(const Result<std::string>& r) { return std::string(r.status().message()); }

// CallsSucceedAgain calls every 10 ms until a call succeeds (the client has redialled after
// its backoff) or 3 s have passed; every call must complete.
bool CallsSucceedAgain(Client& client) {
  const auto end = SteadyClock::now() + 3s;
  while (SteadyClock::now() < end) {
    auto r = CallAndWait(client, 1, "c", 2s);
    if (!r.has_value()) {
      ADD_FAILURE() << "a call waited for its deadline";
      return false;
    }
    if (r->ok()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// ---- raw sockets ---------------------------------------------------------------------------

void WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// ClosedByPeer reads until the peer closes (true) or `limit` passes (false); whatever the
// server sent first (an ERROR frame) is returned in `*received`.
bool ClosedByPeer(int fd, std::chrono::milliseconds limit, std::string* received = nullptr) {
  const auto end = SteadyClock::now() + limit;
  char buf[4096];
  while (SteadyClock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return true;
    if (received != nullptr) received->append(buf, static_cast<size_t>(n));
  }
  return false;
}

// Hello is a HELLO without a nonce (a client without a secret).
std::string Hello() {
  std::string f;
  (void)AppendFrame(
      f, FrameType::kHello, 0, 0,
      auth::EncodeHello({.nonce = "", .client_self = "127.0.0.1:1", .server_addr = "?"}));
  return f;
}

// ---- fixture -------------------------------------------------------------------------------

class RpcTest : public ::testing::Test {
 protected:
  // StartServer (re)starts the server; port 0 picks one, else that port is reused.
  void StartServer(std::string secret = "", uint16_t port = 0) {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.secret = std::move(secret);
    o.auth_timeout = auth_timeout_;
    o.max_frame = 1 << 20;
    o.logger = &server_log_;
    server_ = std::make_unique<Server>(server_rt_, std::move(o), handler_);
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    port_ = server_->port();
  }

  ClientOptions Options(size_t connections = 1, std::string secret = "") const {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.connections = connections;
    o.connect_timeout = 1s;
    o.backoff_initial = 20ms;
    o.backoff_max = 100ms;
    o.secret = std::move(secret);
    o.self = "127.0.0.1:1";  // this test's node; never the server's address
    o.max_frame = 1 << 20;
    return o;
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  // ExpectAuthRefusal makes one call with `client_secret` to a server started with
  // `server_secret`, checks that it fails for authentication before reaching the handler,
  // and returns the client's stats.
  ClientStats ExpectAuthRefusal(std::string server_secret, std::string client_secret) {
    StartServer(std::move(server_secret));
    Client client(client_rt_, Options(1, std::move(client_secret)));
    auto r = CallAndWait(client, 1, "hi", 5s, 3000ms);
    EXPECT_TRUE(r.has_value());
    if (r.has_value()) {
      EXPECT_EQ(r->status().code(), StatusCode::kUnavailable);
      EXPECT_NE(Message(*r).find("authentication"), std::string::npos) << Message(*r);
    }
    EXPECT_EQ(handler_.handled(), 0);
    EXPECT_EQ(client.Stats().connects, 0u);
    return client.Stats();
  }

  Duration auth_timeout_ = 2s;
  MemoryLogger server_log_;
  Runtime server_rt_{2};
  Runtime client_rt_{2};
  TestHandler handler_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

// ---- multiplexing --------------------------------------------------------------------------

TEST_F(RpcTest, RepliesOutOfOrderAreMatchedById) {
  StartServer();
  Results results;
  Client client(client_rt_, Options(1));
  constexpr int kCalls = 64;
  for (int i = 0; i < kCalls; ++i)
    client.Call(2, "req" + std::to_string(i), 5s, results.Callback(i));
  std::vector<HeldCall> held = handler_.Take(kCalls);
  ASSERT_EQ(held.size(), static_cast<size_t>(kCalls));
  // Answer last-first: each reply must still reach the call it belongs to.
  for (auto it = held.rbegin(); it != held.rend(); ++it) it->respond("re:" + it->payload);
  ASSERT_TRUE(results.Wait(kCalls));
  for (int i = 0; i < kCalls; ++i) {
    Result<std::string> r = results.Get(i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, "re:req" + std::to_string(i));
  }
  const ClientStats st = client.Stats();
  EXPECT_EQ(st.connects, 1u);  // all on one connection
  EXPECT_EQ(st.calls, static_cast<uint64_t>(kCalls));
  EXPECT_EQ(st.failures, 0u);
  EXPECT_EQ(st.in_flight, 0u);
  EXPECT_EQ(server_->Stats().connections_accepted, 1u);
}

TEST_F(RpcTest, FiveHundredCallsInFlightOnOneConnection) {
  StartServer();
  Results results;
  Client client(client_rt_, Options(1));
  constexpr int kCalls = 500;
  // Issued from four threads at once, onto one connection.
  std::vector<std::thread> callers;
  callers.reserve(4);
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = t; i < kCalls; i += 4) {
        client.Call(2, std::to_string(i), 5s, results.Callback(i));
      }
    });
  }
  for (auto& t : callers) t.join();
  std::vector<HeldCall> held = handler_.Take(kCalls);
  ASSERT_EQ(held.size(), static_cast<size_t>(kCalls));  // all 500 were in flight at once
  EXPECT_EQ(client.Stats().in_flight, static_cast<uint64_t>(kCalls));
  std::shuffle(held.begin(), held.end(), std::mt19937(42));
  // Answered from two threads, in a random order.
  std::thread a([&] {
    for (size_t i = 0; i < held.size(); i += 2) held[i].respond("r" + held[i].payload);
  });
  std::thread b([&] {
    for (size_t i = 1; i < held.size(); i += 2) held[i].respond("r" + held[i].payload);
  });
  a.join();
  b.join();
  ASSERT_TRUE(results.Wait(kCalls));
  for (int i = 0; i < kCalls; ++i) {
    Result<std::string> r = results.Get(i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, "r" + std::to_string(i));
  }
  EXPECT_EQ(client.Stats().connects, 1u);
  EXPECT_EQ(client.Stats().in_flight, 0u);
}

TEST_F(RpcTest, PoolSpreadsCallsOverItsConnections) {
  StartServer();
  Client client(client_rt_, Options(3));
  // The first calls dial all three; later ones go round-robin over the live ones.
  for (int i = 0; i < 30; ++i) {
    auto r = CallAndWait(client, 1, "x", 2s);
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->ok()) << r->status().ToString();
  }
  EXPECT_EQ(client.Stats().connects, 3u);
  EXPECT_EQ(server_->Stats().connections_open, 3u);
}

TEST_F(RpcTest, LargePayloadsBothWays) {
  StartServer();
  Client client(client_rt_, Options(1));
  std::string big(size_t{700} * 1024, 'q');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  auto r = CallAndWait(client, 1, big, 5s);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status().ToString();
  EXPECT_EQ(**r, "echo:" + big);
  // Over max_frame: refused here, before it could break the connection for other calls.
  auto too_big = CallAndWait(client, 1, std::string(1 << 20, 'x'), 5s);
  ASSERT_TRUE(too_big.has_value());
  EXPECT_EQ(too_big->status().code(), StatusCode::kResourceExhausted);
  auto after = CallAndWait(client, 1, "small", 5s);
  ASSERT_TRUE(after.has_value() && after->ok());
  EXPECT_EQ(client.Stats().connects, 1u);
}

TEST_F(RpcTest, MaxInFlightRefusesTheCallOverTheLimit) {
  StartServer();
  ClientOptions o = Options(1);
  o.max_in_flight = 4;
  Results results;
  Client client(client_rt_, o);
  for (int i = 0; i < 4; ++i) client.Call(2, "h", 5s, results.Callback(i));
  ASSERT_EQ(handler_.Take(4).size(), 4u);  // the held Responders are dropped: never answered
  client.Call(2, "over", 5s, results.Callback(4));
  ASSERT_TRUE(results.Wait(1));
  EXPECT_EQ(results.Get(4).status().code(), StatusCode::kResourceExhausted);
}

// ---- deadlines -----------------------------------------------------------------------------

TEST_F(RpcTest, DeadlinePassesAndTheLateReplyIsDropped) {
  StartServer();
  Results results;
  Client client(client_rt_, Options(1));
  const auto start = SteadyClock::now();
  client.Call(2, "slow", 30ms, results.Callback(0));
  std::vector<HeldCall> held = handler_.Take(1);
  ASSERT_EQ(held.size(), 1u);
  ASSERT_TRUE(results.Wait(1));
  EXPECT_GE(SteadyClock::now() - start, 30ms);  // not before its deadline
  Result<std::string> r = results.Get(0);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  // The late reply arrives and is dropped: no second callback, the connection lives on.
  held[0].respond("too late");
  auto next = CallAndWait(client, 1, "after", 2s);
  ASSERT_TRUE(next.has_value());
  ASSERT_TRUE(next->ok()) << next->status().ToString();
  EXPECT_EQ(**next, "echo:after");
  EXPECT_EQ(results.count(), 1u);
  const ClientStats st = client.Stats();
  EXPECT_EQ(st.timeouts, 1u);
  EXPECT_EQ(st.failures, 1u);
  EXPECT_EQ(st.connects, 1u);
  EXPECT_EQ(st.in_flight, 0u);
}

TEST_F(RpcTest, EveryCallOfABatchTimesOutWhileOthersSucceed) {
  StartServer();
  Results slow, fast;
  Client client(client_rt_, Options(1));
  for (int i = 0; i < 20; ++i) client.Call(3, "never", 20ms, slow.Callback(i));
  for (int i = 0; i < 20; ++i) client.Call(1, std::to_string(i), 5s, fast.Callback(i));
  ASSERT_TRUE(slow.Wait(20));
  ASSERT_TRUE(fast.Wait(20));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(slow.Get(i).status().code(), StatusCode::kDeadlineExceeded);
    EXPECT_TRUE(fast.Get(i).ok());
  }
  EXPECT_EQ(client.Stats().timeouts, 20u);
}

// ---- failures, backoff, reconnect ----------------------------------------------------------

TEST_F(RpcTest, StoppedServerFailsCallsFastThenRestartedServerIsReconnected) {
  StartServer();
  const uint16_t port = port_;
  Client client(client_rt_, Options(1));
  auto first = CallAndWait(client, 1, "a", 2s);
  ASSERT_TRUE(first.has_value() && first->ok());

  server_->Stop();
  server_.reset();
  // Every call fails with Unavailable long before its 10 s deadline: first the broken
  // connection or the refused reconnect, then the backoff refuses at once.
  std::string last;
  for (int i = 0; i < 5; ++i) {
    auto r = CallAndWait(client, 1, "b", 10s, 3000ms);
    ASSERT_TRUE(r.has_value()) << "call " << i << " waited for its deadline";
    EXPECT_EQ(r->status().code(), StatusCode::kUnavailable) << r->status().ToString();
    last = Message(*r);
  }
  EXPECT_NE(last.find("peer 127.0.0.1:" + std::to_string(port) + " down"), std::string::npos)
      << last;
  EXPECT_GE(client.Stats().connect_failures, 1u);

  StartServer("", port);
  ASSERT_EQ(port_, port);
  // Once the backoff (at most 100 ms here) has passed, the next call dials again.
  EXPECT_TRUE(CallsSucceedAgain(client));
  EXPECT_EQ(client.Stats().connects, 2u);
}

TEST_F(RpcTest, APeerDownThenUpLogsOneLineEachWayHoweverManyCallsRan) {
  StartServer();
  const uint16_t port = port_;
  MemoryLogger log;
  ClientOptions o = Options(2);
  o.logger = &log;
  Client client(client_rt_, o);
  for (int i = 0; i < 10; ++i) {
    auto r = CallAndWait(client, 1, "a", 2s);
    ASSERT_TRUE(r.has_value() && r->ok());
  }
  server_->Stop();
  server_.reset();
  // Many failed calls and several failed redials (the backoff is at most 100 ms here).
  const auto until = SteadyClock::now() + 400ms;
  int failed = 0;
  while (SteadyClock::now() < until) {
    auto r = CallAndWait(client, 1, "b", 2s);
    ASSERT_TRUE(r.has_value());
    failed += r->ok() ? 0 : 1;
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GE(failed, 20);
  EXPECT_GE(client.Stats().connect_failures, 2u);
  StartServer("", port);
  ASSERT_TRUE(CallsSucceedAgain(client));
  for (int i = 0; i < 10; ++i) {
    auto r = CallAndWait(client, 1, "d", 2s);
    ASSERT_TRUE(r.has_value() && r->ok());
  }
  const std::string peer = "peer 127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(log.Count("rpc", peer + " down: "), 1u);
  EXPECT_EQ(log.Count("rpc", peer + " up again"), 1u);
  EXPECT_EQ(log.lines().size(), 2u);
}

TEST_F(RpcTest, RefusedHandshakesAreLoggedWithThePeerAndRateLimited) {
  StartServer("right");
  constexpr int kClients = 20;
  for (int i = 0; i < kClients; ++i) {
    Client client(client_rt_, Options(1, "wrong"));
    auto r = CallAndWait(client, 1, "hi", 5s, 3000ms);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status().code(), StatusCode::kUnavailable);
  }
  EXPECT_EQ(server_->Stats().auth_failures, static_cast<uint64_t>(kClients));
  const size_t logged = server_log_.Count("rpc", "authentication failed: wrong proof");
  EXPECT_GE(logged, 1u);
  EXPECT_LE(logged, 5u);  // kFaultBurst per 10 s
  EXPECT_EQ(server_log_.Count("rpc", "connection from 127.0.0.1:"), logged);
}

TEST_F(RpcTest, ConnectionBrokenUnderCallsFailsThemWithUnavailable) {
  StartServer();
  Results results;
  Client client(client_rt_, Options(1));
  for (int i = 0; i < 10; ++i) client.Call(2, "held", 10s, results.Callback(i));
  ASSERT_EQ(handler_.Take(10).size(), 10u);
  server_->Stop();
  ASSERT_TRUE(results.Wait(10, 3000ms));
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(results.Get(i).status().code(), StatusCode::kUnavailable);
  }
}

TEST_F(RpcTest, ConnectTimeoutWhenThePeerNeverAnswersTheHandshake) {
  // A listening socket that nobody serves: the kernel completes the TCP handshake, but no
  // HELLO is ever answered.
  const int lfd = ListenOnLoopback(16, &port_);
  ASSERT_GE(lfd, 0);
  ClientOptions o = Options(1);
  o.connect_timeout = 50ms;
  Client client(client_rt_, o);
  auto r = CallAndWait(client, 1, "x", 10s, 3000ms);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), StatusCode::kUnavailable);
  EXPECT_NE(Message(*r).find("connect timed out"), std::string::npos) << Message(*r);
  EXPECT_EQ(client.Stats().connect_failures, 1u);
  ::close(lfd);
}

TEST_F(RpcTest, PingIsAnsweredWithPong) {
  StartServer();
  Client client(client_rt_, Options(1));
  std::promise<Status> done;
  client.Ping(2s, [&](const Status& st) { done.set_value(st); });
  std::future<Status> f = done.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(handler_.handled(), 0);  // the server answered it, not the handler
  EXPECT_EQ(client.Stats().calls, 1u);

  server_->Stop();
  server_.reset();
  std::promise<Status> down;
  client.Ping(5s, [&](const Status& st) { down.set_value(st); });
  std::future<Status> g = down.get_future();
  ASSERT_EQ(g.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(g.get().code(), StatusCode::kUnavailable);
}

// ---- authentication ------------------------------------------------------------------------

TEST_F(RpcTest, SameSecretAuthenticatesBothWays) {
  StartServer("the-secret");
  Client client(client_rt_, Options(2, "the-secret"));
  for (int i = 0; i < 4; ++i) {
    auto r = CallAndWait(client, 1, "hi", 2s);
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->ok()) << r->status().ToString();
  }
  EXPECT_EQ(server_->Stats().auth_failures, 0u);
  // Both slots were dialled by the first call; the second may still be in its handshake
  // when the calls are done (they went to the first), so give it a moment.
  for (int i = 0; i < 200 && client.Stats().connects < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(client.Stats().connects, 2u);
  EXPECT_EQ(server_->Stats().auth_failures, 0u);
}

TEST_F(RpcTest, WrongSecretIsRefusedOnBothSides) {
  const ClientStats stats = ExpectAuthRefusal("the-secret", "another-secret");
  EXPECT_EQ(server_->Stats().auth_failures, 1u);
  EXPECT_EQ(stats.connect_failures, 1u);
}

TEST_F(RpcTest, ClientWithoutSecretIsRefusedByServerWithOne) {
  ExpectAuthRefusal("the-secret", "");
  EXPECT_EQ(server_->Stats().auth_failures, 1u);
}

TEST_F(RpcTest, ClientWithSecretRefusesServerWithout) { ExpectAuthRefusal("", "the-secret"); }

TEST_F(RpcTest, CallBeforeTheHandshakeIsRefused) {
  StartServer("the-secret");
  int fd = ConnectToLoopback(port_);
  ASSERT_GE(fd, 0);
  std::string call;
  ASSERT_TRUE(AppendFrame(call, FrameType::kCall, 1, 1, "sneaky").ok());
  WriteAll(fd, call);
  std::string got;
  EXPECT_TRUE(ClosedByPeer(fd, 3000ms, &got));
  ::close(fd);
  // The server said why before closing: an ERROR frame.
  FrameDecoder d(4096);
  d.Feed(got);
  Result<std::optional<Frame>> f = d.Next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->type, FrameType::kError);
  EXPECT_NE((*f)->payload.find("authentication"), std::string_view::npos);
  EXPECT_EQ(handler_.handled(), 0);
  EXPECT_EQ(server_->Stats().auth_failures, 1u);
}

TEST_F(RpcTest, SilentPeerIsDroppedAfterAuthTimeout) {
  auth_timeout_ = 50ms;
  StartServer("the-secret");
  int fd = ConnectToLoopback(port_);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(ClosedByPeer(fd, 3000ms));
  ::close(fd);
  EXPECT_EQ(server_->Stats().auth_failures, 1u);
}

// ---- malformed input -----------------------------------------------------------------------

TEST_F(RpcTest, MalformedStreamsAreDroppedWhileAnotherClientGoesOn) {
  StartServer();
  Client client(client_rt_, Options(1));
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, bad{0};
  std::thread caller([&] {
    while (!stop.load()) {
      auto r = CallAndWait(client, 1, "steady", 2s);
      if (r.has_value() && r->ok()) {
        ok.fetch_add(1);
      } else {
        bad.fetch_add(1);
      }
    }
  });

  std::string oversized = Hello();
  oversized += std::string("\x7f\x00\x00\x00\x01", 5);  // ~2 GiB CALL
  std::string unknown_type = Hello();
  unknown_type += std::string("\x00\x00\x00\x0a\x63\x00", 6) + std::string(8, '\0');
  std::string too_short = Hello();
  too_short += std::string("\x00\x00\x00\x03\x01\x00\x00", 7);
  const std::vector<std::string> inputs = {
      "GET / HTTP/1.1\r\nHost: shoal\r\n\r\n",  // not frames at all
      oversized,
      unknown_type,
      too_short,
  };
  for (const std::string& input : inputs) {
    int fd = ConnectToLoopback(port_);
    ASSERT_GE(fd, 0);
    WriteAll(fd, input);
    EXPECT_TRUE(ClosedByPeer(fd, 3000ms)) << "server kept a connection that sent garbage";
    ::close(fd);
  }
  // Let the good client make progress after the last drop too.
  const int before = ok.load();
  const auto end = SteadyClock::now() + 3s;
  while (ok.load() < before + 5 && SteadyClock::now() < end) std::this_thread::sleep_for(1ms);
  stop.store(true);
  caller.join();
  EXPECT_GE(ok.load(), before + 5);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(server_->Stats().malformed, inputs.size());
  EXPECT_EQ(client.Stats().connects, 1u);  // its connection was never disturbed
}

TEST_F(RpcTest, HandlerRejectingContentDropsThatConnection) {
  StartServer();
  Results held;
  Client client(client_rt_, Options(1));
  client.Call(2, "waiting", 5s, held.Callback(0));
  ASSERT_EQ(handler_.Take(1).size(), 1u);
  auto r = CallAndWait(client, 9, "nonsense", 5s, 3000ms);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status().code(), StatusCode::kUnavailable) << r->status().ToString();
  // The other call on that connection fails with it.
  ASSERT_TRUE(held.Wait(1, 3000ms));
  EXPECT_EQ(held.Get(0).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server_->Stats().malformed, 1u);
  // A new connection serves the next call.
  auto next = CallAndWait(client, 1, "fine", 2s);
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->ok()) << next->status().ToString();
  EXPECT_EQ(client.Stats().connects, 2u);
}

// ---- Close and Stop ------------------------------------------------------------------------

TEST_F(RpcTest, CloseCancelsPendingCallsAndNoCallbackRunsAfterIt) {
  StartServer();
  auto client = std::make_unique<Client>(client_rt_, Options(2));
  std::atomic<bool> closed{false};
  std::atomic<int> after_close{0}, cancelled{0}, answered{0}, total{0};
  auto callback = [&](const Result<std::string>& r) {
    if (closed.load()) after_close.fetch_add(1);
    if (r.status().code() == StatusCode::kCancelled) cancelled.fetch_add(1);
    if (r.ok()) answered.fetch_add(1);
    total.fetch_add(1);
  };
  constexpr int kCalls = 200;
  for (int i = 0; i < kCalls; ++i) client->Call(2, "hold", 10s, callback);
  std::vector<HeldCall> held = handler_.Take(kCalls);
  ASSERT_EQ(held.size(), static_cast<size_t>(kCalls));
  // Answer half while Close runs: replies race the cancellation.
  std::thread answering([&] {
    for (size_t i = 0; i < held.size(); i += 2) held[i].respond("r");
  });
  client->Close();
  closed.store(true);
  answering.join();
  EXPECT_EQ(total.load(), kCalls);  // every callback ran, exactly once, before Close returned
  EXPECT_EQ(answered.load() + cancelled.load(), kCalls);
  EXPECT_GE(cancelled.load(), kCalls / 2);
  for (size_t i = 1; i < held.size(); i += 2) held[i].respond("late");
  // A call after Close is refused with Cancelled too.
  Results late;
  client->Call(1, "x", 1s, late.Callback(0));
  ASSERT_TRUE(late.Wait(1));
  EXPECT_EQ(late.Get(0).status().code(), StatusCode::kCancelled);
  client.reset();
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(after_close.load(), 0);
  EXPECT_EQ(total.load(), kCalls);
}

TEST_F(RpcTest, ClientDestroyedInsideItsOwnCallbackDoesNotDeadlock) {
  // The cluster drops a peer's last reference from a callback of that peer's client; the
  // destructor's Close then runs on a Runtime thread.
  StartServer();
  auto client = std::make_shared<Client>(client_rt_, Options(1));
  std::promise<void> done;
  std::weak_ptr<Client> weak = client;
  auto holder = std::make_shared<std::shared_ptr<Client>>(std::move(client));
  (*holder)->Call(1, "x", 2s, [holder, &done](const Result<std::string>& r) {
    EXPECT_TRUE(r.ok());
    holder->reset();  // ~Client here
    done.set_value();
  });
  holder.reset();
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  const auto end = SteadyClock::now() + 2s;
  while (!weak.expired() && SteadyClock::now() < end) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(weak.expired());
}

TEST_F(RpcTest, StopWaitsForARunningHandlerAndDropsItsLateReply) {
  std::atomic<bool> in_handler{false}, handler_done{false};
  handler_.set_on_call([&] {
    in_handler.store(true);
    std::this_thread::sleep_for(50ms);
    handler_done.store(true);
  });
  StartServer();
  Results results;
  Client client(client_rt_, Options(1));
  client.Call(2, "slow", 5s, results.Callback(0));
  while (!in_handler.load()) std::this_thread::sleep_for(1ms);
  server_->Stop();
  EXPECT_TRUE(handler_done.load());  // Stop returned only after the handler did
  EXPECT_EQ(server_->Stats().connections_open, 0u);
  std::vector<HeldCall> held = handler_.Take(1);
  ASSERT_EQ(held.size(), 1u);
  held[0].respond("after stop");  // dropped: the connection is gone
  ASSERT_TRUE(results.Wait(1, 3000ms));
  EXPECT_EQ(results.Get(0).status().code(), StatusCode::kUnavailable);
}

TEST_F(RpcTest, MaxConnectionsRefusesTheExtraOne) {
  ServerOptions o;
  o.port = 0;
  o.max_connections = 1;
  Server server(server_rt_, o, handler_);
  ASSERT_TRUE(server.Start().ok());
  port_ = server.port();
  Client client(client_rt_, Options(1));
  auto r = CallAndWait(client, 1, "x", 2s);
  ASSERT_TRUE(r.has_value() && r->ok());
  int fd = ConnectToLoopback(port_);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(ClosedByPeer(fd, 3000ms));
  ::close(fd);
  auto again = CallAndWait(client, 1, "y", 2s);
  ASSERT_TRUE(again.has_value() && again->ok());
  EXPECT_EQ(server.Stats().connections_open, 1u);
  server.Stop();
}

}  // namespace
}  // namespace shoal::rpc

// Tests of the rpc server's limits against a hostile or careless peer, over real sockets on
// 127.0.0.1 (the security review's M3, M4 and L2): frames before the handshake are capped at
// the handshake's size, pre-auth connections have their own small pool and a per-address
// cap, a reply over max_frame becomes ResourceExhausted instead of breaking the link, the
// calls in flight on one connection are capped, and a silent authenticated connection is
// dropped while one that pings stays.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/memory_logger.h"
#include "base/test_socket.h"
#include "rpc/auth.h"
#include "rpc/client.h"
#include "rpc/frame.h"
#include "rpc/rpc_test_util.h"
#include "rpc/runtime.h"
#include "rpc/server.h"

namespace shoal::rpc {
namespace {

using namespace std::chrono_literals;
using testing::ClosedByPeer;
using testing::ConnectFrom;
using testing::EncodeFrame;
using testing::ReadFrameBytes;
using testing::TypeOf;
using testing::WriteAll;

// LimitsHandler: method 1 echoes; method 2 holds the call until Release; method 4 answers
// with `big_reply` bytes.
class LimitsHandler : public Handler {
 public:
  Status Handle(uint8_t method, std::string_view payload, Responder respond) override {
    switch (method) {
      case 1:
        respond(std::string(payload));
        return Status::Ok();
      case 2: {
        std::lock_guard<std::mutex> lock(mu_);
        held_.push_back(std::move(respond));
        cv_.notify_all();
        return Status::Ok();
      }
      case 4:
        respond(std::string(big_reply, 'x'));
        return Status::Ok();
      default:
        return Status::InvalidArgument("unknown method");
    }
  }
  // WaitHeld waits (up to 3 s) for `n` held calls; returns how many there are.
  size_t WaitHeld(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 3s, [&] { return held_.size() >= n; });
    return held_.size();
  }
  size_t held() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }
  void ReleaseAll() {
    std::vector<Responder> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      out.swap(held_);
    }
    for (Responder& r : out) r("released");
  }
  size_t big_reply = 0;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Responder> held_;
};

Result<std::string> CallSync(Client& client, uint8_t method, std::string payload,
                             Duration timeout = 2s) {
  auto p = std::make_shared<std::promise<Result<std::string>>>();
  client.Call(method, std::move(payload), timeout,
              [p](Result<std::string> r) { p->set_value(std::move(r)); });
  return p->get_future().get();
}

class RpcLimitsTest : public ::testing::Test {
 protected:
  ServerOptions BaseOptions() {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.logger = &log_;
    return o;
  }
  void Start(ServerOptions o) {
    server_ = std::make_unique<Server>(server_rt_, std::move(o), handler_);
    ASSERT_TRUE(server_->Start().ok());
  }
  ClientOptions ClientFor(std::string secret = "") const {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    o.connections = 1;
    o.secret = std::move(secret);
    o.self = "127.0.0.1:1";
    o.backoff_initial = 10ms;
    o.backoff_max = 50ms;
    return o;
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  MemoryLogger log_;
  Runtime server_rt_{2};
  Runtime client_rt_{2};
  LimitsHandler handler_;
  std::unique_ptr<Server> server_;
};

// ---- before the handshake (M3) -------------------------------------------------------------

TEST_F(RpcLimitsTest, AHugeLengthBeforeTheHandshakeIsRefusedAtOnceWithoutBuffering) {
  ServerOptions o = BaseOptions();
  o.secret = "a-secret-of-16-chars";
  o.auth_timeout = 10s;  // so that a close can only be the refusal
  Start(std::move(o));   // default max_frame: 64 MiB
  const int fd = ConnectToLoopback(server_->port());
  ASSERT_GE(fd, 0);
  // A PING of 67,108,854 bytes announced before HELLO (the review's reproduction).
  WriteAll(fd, std::string("\x03\xff\xff\xf6\x05", 5));
  EXPECT_TRUE(ClosedByPeer(fd, 2000ms)) << "the server waited for a 64 MiB pre-auth frame";
  ::close(fd);
  EXPECT_EQ(server_->Stats().malformed, 1u);
  EXPECT_EQ(log_.Count("rpc", "over the limit of " + std::to_string(auth::kMaxHandshakeFrame)), 1u);
}

TEST(RpcFrameLimitTest, ADecoderCappedAtTheHandshakeSizeNeverReservesMore) {
  FrameDecoder d(auth::kMaxHandshakeFrame);
  d.Feed(std::string("\x03\xff\xff\xf6\x05", 5));
  EXPECT_FALSE(d.Next().ok());
  (void)d.Prepare();
  EXPECT_LE(d.capacity(), size_t{64} << 10);
}

TEST_F(RpcLimitsTest, PreAuthConnectionsFromOneAddressCannotCrowdOutARealPeer) {
  ServerOptions o = BaseOptions();
  o.secret = "a-secret-of-16-chars";
  o.max_connections = 16;
  o.auth_timeout = 10s;
  Start(std::move(o));
  // An attacker on 127.0.0.2 opens 40 connections and never says HELLO.
  std::vector<int> attacker;
  for (int i = 0; i < 40; ++i) {
    const int fd = ConnectFrom("127.0.0.2", server_->port());
    if (fd >= 0) attacker.push_back(fd);
  }
  ASSERT_GE(attacker.size(), 20u);
  std::this_thread::sleep_for(100ms);  // let the server accept (or refuse) them all
  Client client(client_rt_, ClientFor("a-secret-of-16-chars"));
  Result<std::string> r = CallSync(client, 1, "hello");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LE(server_->Stats().connections_open, 8u + 1u);
  for (int fd : attacker) ::close(fd);
  client.Close();
}

TEST_F(RpcLimitsTest, TheHandshakeHasOneSecondByDefault) {
  EXPECT_EQ(ServerOptions{}.auth_timeout, std::chrono::seconds(1));
}

// ---- replies over max_frame (M4) -----------------------------------------------------------

TEST_F(RpcLimitsTest, AReplyOverMaxFrameIsResourceExhaustedAndTheConnectionStaysUsable) {
  ServerOptions o = BaseOptions();
  o.max_frame = 1 << 20;
  Start(std::move(o));
  handler_.big_reply = (1 << 20) + 1;
  ClientOptions co = ClientFor();
  co.max_frame = 1 << 20;
  Client client(client_rt_, co);
  Result<std::string> big = CallSync(client, 4, "");
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted) << big.status().ToString();
  Result<std::string> next = CallSync(client, 1, "still here");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next, "still here");
  EXPECT_EQ(client.Stats().connects, 1u);
  // The largest reply that fits goes through.
  handler_.big_reply = (1 << 20) - kMinFrameLength;
  Result<std::string> fits = CallSync(client, 4, "");
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->size(), handler_.big_reply);
}

// ---- calls in flight and idle connections (L2) ---------------------------------------------

TEST_F(RpcLimitsTest, CallsInFlightOnOneConnectionAreCapped) {
  ServerOptions o = BaseOptions();
  o.max_calls_in_flight = 4;
  Start(std::move(o));
  Client client(client_rt_, ClientFor());
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    client.Call(2, "held", 5s, [&ok](const Result<std::string>& r) {
      if (r.ok()) ok.fetch_add(1);
    });
  }
  EXPECT_EQ(handler_.WaitHeld(4), 4u);
  std::this_thread::sleep_for(200ms);  // the other 6 were sent; they must not be handled yet
  EXPECT_EQ(handler_.held(), 4u);
  for (int round = 0; round < 3; ++round) {
    handler_.WaitHeld(round < 2 ? 4 : 2);
    handler_.ReleaseAll();
  }
  for (int i = 0; i < 300 && ok.load() < 10; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(client.Stats().connects, 1u);
}

// Completes the no-secret handshake on a raw connection; true if AUTH_OK came.
bool Handshake(int fd) {
  WriteAll(fd, EncodeFrame(FrameType::kHello, 0, 0,
                           auth::EncodeHello(
                               {.nonce = "", .client_self = "127.0.0.1:1", .server_addr = "?"})));
  std::optional<std::string> ok = ReadFrameBytes(fd, 2000ms);
  return ok && TypeOf(*ok) == FrameType::kAuthOk;
}

TEST_F(RpcLimitsTest, ASilentConnectionIsDroppedAndOneThatPingsIsKept) {
  ServerOptions o = BaseOptions();
  o.idle_timeout = 200ms;
  Start(std::move(o));
  const int silent = ConnectToLoopback(server_->port());
  const int pinging = ConnectToLoopback(server_->port());
  ASSERT_TRUE(silent >= 0 && pinging >= 0);
  ASSERT_TRUE(Handshake(silent));
  ASSERT_TRUE(Handshake(pinging));
  const auto end = testing::TestClock::now() + 800ms;
  uint64_t id = 1;
  while (testing::TestClock::now() < end) {
    WriteAll(pinging, EncodeFrame(FrameType::kPing, 0, id++, ""));
    std::optional<std::string> pong = ReadFrameBytes(pinging, 1000ms);
    ASSERT_TRUE(pong && TypeOf(*pong) == FrameType::kPong) << "the pinging connection was dropped";
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(ClosedByPeer(silent, 2000ms)) << "the silent connection was kept";
  ::close(silent);
  ::close(pinging);
  EXPECT_EQ(log_.Count("rpc", "sent nothing"), 1u);
}

TEST_F(RpcLimitsTest, AClientWithKeepaliveStaysConnectedThroughAQuietSpell) {
  ServerOptions o = BaseOptions();
  o.idle_timeout = 200ms;
  Start(std::move(o));
  ClientOptions co = ClientFor();
  co.keepalive = 50ms;
  Client client(client_rt_, co);
  ASSERT_TRUE(CallSync(client, 1, "a").ok());
  std::this_thread::sleep_for(700ms);
  ASSERT_TRUE(CallSync(client, 1, "b").ok());
  EXPECT_EQ(client.Stats().connects, 1u);
}

}  // namespace
}  // namespace shoal::rpc

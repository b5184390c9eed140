// Tests of RpcTransport against a hostile owner over a real socket on 127.0.0.1: the owner
// (played by hand with raw sockets, rpc_test_util.h) completes the handshake and answers a
// GET with a reply frame whose ETag would split an HTTP response (the security review's
// M1). The transport must report a malformed reply (a transport failure: the Cluster then
// loads the key itself), never an entry.
#include "cluster/rpc_transport.h"

#include <algorithm>
#include <cstdlib>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/big_endian.h"
#include "base/test_socket.h"
#include "rpc/auth.h"
#include "rpc/frame.h"
#include "rpc/rpc_test_util.h"
#include "rpc/runtime.h"

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;
using rpc::FrameType;
using rpc::testing::AcceptWithin;
using rpc::testing::EncodeFrame;
using rpc::testing::ReadFrameBytes;
using rpc::testing::TypeOf;
using rpc::testing::WriteAll;

// HostileReply is a GET reply carrying an ETag with CR LF and a header after it.
std::string HostileReply() {
  const std::string etag = "\"x\"\r\nSet-Cookie: s=1\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK";
  std::string out;
  out.push_back('\0');              // OK
  out.push_back('\0');              // a value
  AppendBigEndian64(out, 0);        // age
  AppendBigEndian64(out, 3600000);  // fresh for an hour
  AppendBigEndian64(out, 3600000);
  AppendBigEndian32(out, static_cast<uint32_t>(etag.size()));
  out.append(etag);
  AppendBigEndian32(out, 2);
  out.append("{}");
  AppendBigEndian64(out, 0);  // fill sequence
  AppendBigEndian32(out, 0);  // no response header lines
  out.push_back('\0');        // flags: none
  AppendBigEndian32(out, 0);  // no tags
  return out;
}

TEST(RpcTransportTest, AnOwnersReplyWithAnInjectedEtagIsAMalformedReplyNotAnEntry) {
  uint16_t port = 0;
  const int listener = ListenOnLoopback(4, &port);
  ASSERT_GE(listener, 0);
  std::thread owner([listener] {
    const int fd = AcceptWithin(listener, 3000ms);
    if (fd < 0) return;
    std::optional<std::string> hello = ReadFrameBytes(fd, 3000ms);
    if (hello && TypeOf(*hello) == FrameType::kHello) {
      WriteAll(fd, EncodeFrame(FrameType::kAuthOk, 0, 0, ""));  // no secret: loopback
      std::optional<std::string> call = ReadFrameBytes(fd, 3000ms);
      if (call && TypeOf(*call) == FrameType::kCall) {
        const uint64_t id = LoadBigEndian64(call->data() + 6);
        WriteAll(fd, EncodeFrame(FrameType::kReply, 0, id, HostileReply()));
        (void)ReadFrameBytes(fd, 500ms);
      }
    }
    ::close(fd);
  });
  rpc::Runtime runtime(1);
  const Clock& clock = SystemClock::Get();
  RpcTransportOptions options;
  options.self = "127.0.0.1:1";
  RpcTransport transport(runtime, clock, options);
  std::shared_ptr<PeerClient> client = transport.Connect("127.0.0.1:" + std::to_string(port));
  std::promise<GetReply> got;
  client->Get("/v1/items/1", GetOptions{.timeout = 2s},
              [&](GetReply r) { got.set_value(std::move(r)); });
  GetReply reply = got.get_future().get();
  EXPECT_FALSE(reply.entry.ok());
  EXPECT_FALSE(reply.owner_error);  // a transport failure: the key is loaded here
  EXPECT_NE(reply.entry.status().message().find("ETag"), std::string_view::npos)
      << reply.entry.status().ToString();
  client->Close();
  owner.join();
  ::close(listener);
}

// cluster.connect_to: the connection to a listed peer goes to the dial address, and HELLO
// names the peer itself (so its server checks its own self, and both proofs bind it).
TEST(RpcTransportTest, APeerInConnectToIsDialledThereAndNamedByItsOwnAddress) {
  uint16_t port = 0;
  const int listener = ListenOnLoopback(4, &port);
  ASSERT_GE(listener, 0);
  std::promise<std::optional<std::string>> hello_payload;
  std::thread proxy([listener, &hello_payload] {
    const int fd = AcceptWithin(listener, 3000ms);
    std::optional<std::string> hello;
    if (fd >= 0) hello = ReadFrameBytes(fd, 3000ms);
    hello_payload.set_value(hello ? std::optional(hello->substr(14)) : std::nullopt);
    if (fd >= 0) ::close(fd);
  });
  rpc::Runtime runtime(1);
  RpcTransportOptions options;
  options.self = "127.0.0.1:1";
  options.connect_to = {{"127.0.0.9:7070", "127.0.0.1:" + std::to_string(port)}};
  RpcTransport transport(runtime, SystemClock::Get(), options);
  std::shared_ptr<PeerClient> client = transport.Connect("127.0.0.9:7070");
  std::promise<Status> pinged;
  client->Ping(2s, [&](const Status& s) { pinged.set_value(s); });
  std::optional<std::string> payload = hello_payload.get_future().get();
  ASSERT_TRUE(payload.has_value()) << "nothing dialled the connect_to address";
  Result<rpc::auth::Hello> hello = rpc::auth::DecodeHello(*payload);
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_EQ(hello->server_addr, "127.0.0.9:7070");
  EXPECT_EQ(hello->client_self, "127.0.0.1:1");
  EXPECT_FALSE(pinged.get_future().get().ok());  // the "proxy" hung up
  client->Close();
  proxy.join();
  ::close(listener);
}

// NextTryMs reads the "(next try in N ms)" of a refusal while the client backs off; -1 if
// the message has none (a dial was made and failed).
int NextTryMs(std::string_view message) {
  constexpr std::string_view kNext = "next try in ";
  const size_t at = message.find(kNext);
  if (at == std::string_view::npos) return -1;
  return std::atoi(std::string(message.substr(at + kNext.size())).c_str());
}

// backoff_max bounds the wait between dials of a peer that keeps refusing (the Cluster sets
// its probe interval), so a probe of a peer that has come back dials it within that time
// instead of being refused for up to the rpc default of 2 s.
TEST(RpcTransportTest, BackoffMaxBoundsTheWaitBetweenDialsOfAFailingPeer) {
  uint16_t port = 0;
  const int listener = ListenOnLoopback(1, &port);
  ASSERT_GE(listener, 0);
  ::close(listener);  // nobody listens: every dial is refused
  for (const bool capped : {true, false}) {
    rpc::Runtime runtime(1);
    RpcTransportOptions options;
    options.self = "127.0.0.1:1";
    if (capped) options.backoff_max = 100ms;  // else the default, 2 s
    RpcTransport transport(runtime, SystemClock::Get(), options);
    std::shared_ptr<PeerClient> client = transport.Connect("127.0.0.1:" + std::to_string(port));
    int longest = 0, refusals = 0;
    const auto until = std::chrono::steady_clock::now() + 1500ms;
    while (std::chrono::steady_clock::now() < until) {
      std::promise<Status> p;
      client->Ping(1s, [&p](const Status& st) { p.set_value(st); });
      const Status st = p.get_future().get();
      EXPECT_FALSE(st.ok());
      if (const int ms = NextTryMs(st.message()); ms >= 0) {
        ++refusals;
        longest = std::max(longest, ms);
      }
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_GT(refusals, 10) << (capped ? "capped" : "default");
    if (capped) {
      EXPECT_LE(longest, 100);
    } else {
      EXPECT_GT(longest, 100);  // the control: without the cap the waits grow past it
    }
    client->Close();
  }
}

}  // namespace
}  // namespace shoal::cluster

// Tests of RpcTransport against a hostile owner over a real socket on 127.0.0.1: the owner
// (played by hand with raw sockets, rpc_test_util.h) completes the handshake and answers a
// GET with a reply frame whose ETag would split an HTTP response (the security review's
// M1). The transport must report a malformed reply (a transport failure: the Cluster then
// loads the key itself), never an entry.
#include "cluster/rpc_transport.h"

#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/big_endian.h"
#include "base/test_socket.h"
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

}  // namespace
}  // namespace shoal::cluster

// Tests of the handshake against an active attacker, over real sockets on 127.0.0.1: the
// reflection and relay of the security review (H2), where the attacker gets node A to dial
// it and feeds A's own handshake through A's (or another node's) server, and the replay of a
// proof captured from a good handshake. The attacker is played by hand with raw sockets
// (rpc_test_util.h); A is a real rpc::Client and the servers are real rpc::Servers.
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/host_port.h"
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
using testing::AcceptWithin;
using testing::ClosedByPeer;
using testing::EncodeFrame;
using testing::ReadFrameBytes;
using testing::TypeOf;
using testing::WriteAll;

constexpr std::string_view kSecret = "the-cluster-secret";

// CountingHandler answers every call with "ok" and counts them.
class CountingHandler : public Handler {
 public:
  Status Handle(uint8_t, std::string_view, Responder respond) override {
    ++calls_;
    respond("ok");
    return Status::Ok();
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

class RpcAuthTest : public ::testing::Test {
 protected:
  // StartServer starts a server with the secret on 127.0.0.1 and returns it.
  std::unique_ptr<Server> StartServer(std::string self = "") {
    ServerOptions o;
    o.host = "127.0.0.1";
    o.self = std::move(self);
    o.secret = std::string(kSecret);
    o.logger = &server_log_;
    auto server = std::make_unique<Server>(server_rt_, std::move(o), handler_);
    Status st = server->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return server;
  }

  // ClientOf is node A's client of the peer at 127.0.0.1:`port`; A is `self`.
  static ClientOptions ClientOf(uint16_t port, std::string self) {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.connections = 1;
    o.connect_timeout = 2s;
    o.secret = std::string(kSecret);
    o.self = std::move(self);
    return o;
  }

  // RelayAttack: A dials the attacker (a listener nobody serves), the attacker relays A's
  // HELLO to `victim_port`, the victim's CHALLENGE back down A's connection, and A's AUTH to
  // the victim. Returns the attacker's connection to the victim if the victim answered
  // AUTH_OK (authenticated!), else -1.
  int RelayAttack(uint16_t victim_port, const std::string& a_self) {
    uint16_t trap_port = 0;
    const int trap = ListenOnLoopback(4, &trap_port);
    EXPECT_GE(trap, 0);
    Client a(client_rt_, ClientOf(trap_port, a_self));
    a.Call(1, "lure", 3s, [](const Result<std::string>&) {});
    const int from_a = AcceptWithin(trap, 2000ms);
    EXPECT_GE(from_a, 0);
    int to_victim = -1;
    bool authenticated = false;
    if (from_a >= 0) {
      std::optional<std::string> hello = ReadFrameBytes(from_a, 2000ms);
      EXPECT_TRUE(hello && TypeOf(*hello) == FrameType::kHello);
      to_victim = ConnectToLoopback(victim_port);
      EXPECT_GE(to_victim, 0);
      if (hello && to_victim >= 0) {
        WriteAll(to_victim, *hello);
        std::optional<std::string> challenge = ReadFrameBytes(to_victim, 2000ms);
        if (challenge && TypeOf(*challenge) == FrameType::kChallenge) {
          WriteAll(from_a, *challenge);
          std::optional<std::string> auth = ReadFrameBytes(from_a, 2000ms);
          if (auth && TypeOf(*auth) == FrameType::kAuth) {
            WriteAll(to_victim, *auth);
            std::optional<std::string> verdict = ReadFrameBytes(to_victim, 2000ms);
            authenticated = verdict && TypeOf(*verdict) == FrameType::kAuthOk;
          }
        }
      }
      ::close(from_a);
    }
    ::close(trap);
    if (!authenticated && to_victim >= 0) {
      ::close(to_victim);
      to_victim = -1;
    }
    return to_victim;
  }

  // ExpectCallAnswered sends a CALL on an authenticated raw connection; true if REPLY came.
  static bool CallAnswered(int fd) {
    WriteAll(fd, EncodeFrame(FrameType::kCall, 1, 1, "purge everything"));
    std::optional<std::string> reply = ReadFrameBytes(fd, 2000ms);
    return reply && TypeOf(*reply) == FrameType::kReply;
  }

  MemoryLogger server_log_;
  Runtime server_rt_{2};
  Runtime client_rt_{2};
  CountingHandler handler_;
};

TEST_F(RpcAuthTest, AHandshakeReflectedToTheDiallersOwnServerDoesNotAuthenticate) {
  std::unique_ptr<Server> own = StartServer();  // A's own peer port
  const int conn = RelayAttack(own->port(), FormatHostPort("127.0.0.1", own->port()));
  EXPECT_LT(conn, 0) << "the attacker authenticated with A's own proof";
  if (conn >= 0) {
    EXPECT_FALSE(CallAnswered(conn));
    ::close(conn);
  }
  EXPECT_EQ(handler_.calls(), 0);
  EXPECT_GE(own->Stats().auth_failures, 1u);
  EXPECT_GE(server_log_.Count("rpc", "authentication failed"), 1u);
}

TEST_F(RpcAuthTest, AHandshakeRelayedToAnotherNodeDoesNotAuthenticate) {
  std::unique_ptr<Server> b = StartServer();  // node B, same secret
  const int conn = RelayAttack(b->port(), "127.0.0.1:1");
  EXPECT_LT(conn, 0) << "the attacker authenticated to B with A's proof";
  if (conn >= 0) {
    EXPECT_FALSE(CallAnswered(conn));
    ::close(conn);
  }
  EXPECT_EQ(handler_.calls(), 0);
  EXPECT_GE(b->Stats().auth_failures, 1u);
  EXPECT_GE(server_log_.Count("rpc", "the peer dialled 127.0.0.1:"), 1u);
}

// The last guard: an attacker rewrites A's HELLO so that both addresses check out (a known
// peer, this server's own address), keeping A's nonce, hoping to get a CHALLENGE it can make A
// answer. A's own server (same Runtime: the same node) sees a nonce its node has outstanding
// and refuses.
TEST_F(RpcAuthTest, AHelloCarryingThisNodesOutstandingNonceIsRefused) {
  std::unique_ptr<Server> b = StartServer();
  uint16_t trap_port = 0;
  const int trap = ListenOnLoopback(4, &trap_port);
  ASSERT_GE(trap, 0);
  Client a(server_rt_, ClientOf(trap_port, "127.0.0.1:1"));  // A: b's node
  a.Call(1, "lure", 3s, [](const Result<std::string>&) {});
  const int from_a = AcceptWithin(trap, 2000ms);
  ASSERT_GE(from_a, 0);
  std::optional<std::string> hello = ReadFrameBytes(from_a, 2000ms);
  ASSERT_TRUE(hello && TypeOf(*hello) == FrameType::kHello);
  Result<auth::Hello> h = auth::DecodeHello(std::string_view(*hello).substr(kFrameHeaderSize));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auth::Hello forged = *h;
  forged.client_self = "127.0.0.1:2";
  forged.server_addr = FormatHostPort("127.0.0.1", b->port());
  const int to_b = ConnectToLoopback(b->port());
  ASSERT_GE(to_b, 0);
  WriteAll(to_b, EncodeFrame(FrameType::kHello, 0, 0, auth::EncodeHello(forged)));
  std::optional<std::string> answer = ReadFrameBytes(to_b, 2000ms);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(TypeOf(*answer), FrameType::kError);
  EXPECT_TRUE(ClosedByPeer(to_b, 2000ms));
  ::close(to_b);
  ::close(from_a);
  ::close(trap);
  EXPECT_EQ(server_log_.Count("rpc", "nonce this node sent as a client"), 1u);
  EXPECT_EQ(b->Stats().auth_failures, 1u);
}

// A HELLO of the old handshake (version 1) is refused with a line that says so.
TEST_F(RpcAuthTest, AnOldVersionHelloIsRefusedWithAClearLine) {
  std::unique_ptr<Server> b = StartServer();
  const int fd = ConnectToLoopback(b->port());
  ASSERT_GE(fd, 0);
  WriteAll(fd, EncodeFrame(FrameType::kHello, 0, 0, std::string(1, '\x01') + std::string(32, 'n')));
  std::string got;
  EXPECT_TRUE(ClosedByPeer(fd, 2000ms, &got));
  ::close(fd);
  EXPECT_NE(got.find("unsupported handshake version"), std::string::npos);
  EXPECT_EQ(server_log_.Count("rpc", "another protocol version"), 1u);
}

// A known-peer check (accept_client) refuses a client that names an unknown address.
TEST_F(RpcAuthTest, AClientNamingAnUnknownAddressIsRefused) {
  ServerOptions o;
  o.secret = std::string(kSecret);
  o.logger = &server_log_;
  o.accept_client = [](std::string_view who) { return who == "127.0.0.1:1"; };
  Server b(server_rt_, std::move(o), handler_);
  ASSERT_TRUE(b.Start().ok());
  Client known(client_rt_, ClientOf(b.port(), "127.0.0.1:1"));
  Client stranger(client_rt_, ClientOf(b.port(), "127.0.0.1:9"));
  std::promise<Result<std::string>> p1, p2;
  known.Call(1, "x", 2s, [&](Result<std::string> r) { p1.set_value(std::move(r)); });
  stranger.Call(1, "x", 2s, [&](Result<std::string> r) { p2.set_value(std::move(r)); });
  EXPECT_TRUE(p1.get_future().get().ok());
  Result<std::string> refused = p2.get_future().get();
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server_log_.Count("rpc", "not a known peer"), 1u);
  known.Close();
  stranger.Close();
  b.Stop();
}

TEST_F(RpcAuthTest, AReplayedProofIsRefused) {
  // A good handshake through a recording proxy: A -> proxy -> B. B is known by the proxy's
  // address (as behind a port forward), so the relayed handshake is an honest one.
  uint16_t proxy_port = 0;
  const int proxy = ListenOnLoopback(4, &proxy_port);
  ASSERT_GE(proxy, 0);
  std::unique_ptr<Server> b = StartServer(FormatHostPort("127.0.0.1", proxy_port));
  Client a(client_rt_, ClientOf(proxy_port, "127.0.0.1:1"));
  a.Call(1, "x", 3s, [](const Result<std::string>&) {});
  const int from_a = AcceptWithin(proxy, 2000ms);
  ASSERT_GE(from_a, 0);
  const int to_b = ConnectToLoopback(b->port());
  ASSERT_GE(to_b, 0);
  std::optional<std::string> hello = ReadFrameBytes(from_a, 2000ms);
  ASSERT_TRUE(hello);
  WriteAll(to_b, *hello);
  std::optional<std::string> challenge = ReadFrameBytes(to_b, 2000ms);
  ASSERT_TRUE(challenge && TypeOf(*challenge) == FrameType::kChallenge);
  WriteAll(from_a, *challenge);
  std::optional<std::string> auth = ReadFrameBytes(from_a, 2000ms);
  ASSERT_TRUE(auth && TypeOf(*auth) == FrameType::kAuth);
  WriteAll(to_b, *auth);
  std::optional<std::string> ok = ReadFrameBytes(to_b, 2000ms);
  ASSERT_TRUE(ok && TypeOf(*ok) == FrameType::kAuthOk) << "the honest relay must work";
  ::close(to_b);
  ::close(from_a);
  ::close(proxy);
  const uint64_t failures_before = b->Stats().auth_failures;
  // The replay: the same HELLO and AUTH on a new connection get a new CHALLENGE.
  const int replay = ConnectToLoopback(b->port());
  ASSERT_GE(replay, 0);
  WriteAll(replay, *hello);
  std::optional<std::string> fresh = ReadFrameBytes(replay, 2000ms);
  ASSERT_TRUE(fresh && TypeOf(*fresh) == FrameType::kChallenge);
  EXPECT_NE(*fresh, *challenge);
  WriteAll(replay, *auth);
  std::optional<std::string> verdict = ReadFrameBytes(replay, 2000ms);
  EXPECT_TRUE(!verdict || TypeOf(*verdict) == FrameType::kError);
  EXPECT_TRUE(ClosedByPeer(replay, 2000ms));
  ::close(replay);
  EXPECT_EQ(b->Stats().auth_failures, failures_before + 1);
}

// A client with dial_host/dial_port (cluster.connect_to) connects there but names the peer it
// means in HELLO: a server known by another address than the one it is reached on (behind a
// proxy) authenticates it, and the same server reached without naming it refuses.
TEST_F(RpcAuthTest, AClientDiallingAProxyNamesThePeerItMeans) {
  std::unique_ptr<Server> b = StartServer("shoal-b.test:7070");
  ClientOptions through = ClientOf(7070, "127.0.0.1:1");
  through.host = "shoal-b.test";  // never resolved: the connection goes to dial_host
  through.dial_host = "127.0.0.1";
  through.dial_port = b->port();
  Client a(client_rt_, through);
  Client naive(client_rt_, ClientOf(b->port(), "127.0.0.1:1"));  // names 127.0.0.1:PORT
  std::promise<Result<std::string>> p1, p2;
  a.Call(1, "x", 2s, [&](Result<std::string> r) { p1.set_value(std::move(r)); });
  naive.Call(1, "x", 2s, [&](Result<std::string> r) { p2.set_value(std::move(r)); });
  Result<std::string> answered = p1.get_future().get();
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_EQ(*answered, "ok");
  EXPECT_EQ(a.Stats().connects, 1u);
  Result<std::string> refused = p2.get_future().get();
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server_log_.Count("rpc", "but this node is shoal-b.test:7070"), 1u);
  EXPECT_EQ(handler_.calls(), 1);
  a.Close();
  naive.Close();
  b->Stop();
}

// A connect failure names both the peer and where it was dialled.
TEST_F(RpcAuthTest, AFailedDialNamesThePeerAndTheAddressDialled) {
  uint16_t closed_port = 0;
  const int fd = ListenOnLoopback(1, &closed_port);
  ASSERT_GE(fd, 0);
  ::close(fd);  // nobody listens there now
  ClientOptions o = ClientOf(7070, "127.0.0.1:1");
  o.host = "shoal-b.test";
  o.dial_host = "127.0.0.1";
  o.dial_port = closed_port;
  Client a(client_rt_, o);
  std::promise<Result<std::string>> p;
  a.Call(1, "x", 2s, [&](Result<std::string> r) { p.set_value(std::move(r)); });
  Result<std::string> r = p.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("peer shoal-b.test:7070 via 127.0.0.1:" +
                                      std::to_string(closed_port) + " down: connect"),
            std::string_view::npos)
      << r.status().ToString();
}

// ---- no secret: loopback only (H3) ---------------------------------------------------------

class RpcNoSecretTest : public ::testing::Test {
 protected:
  MemoryLogger log_;
  Runtime rt_{1};
  CountingHandler handler_;
};

TEST_F(RpcNoSecretTest, AServerWithoutASecretRefusesToListenBeyondLoopback) {
  for (const char* host : {"0.0.0.0", "::", "10.255.255.1", "shoal.example"}) {
    ServerOptions o;
    o.host = host;
    o.logger = &log_;
    Server server(rt_, std::move(o), handler_);
    Status st = server.Start();
    EXPECT_FALSE(st.ok()) << host;
    EXPECT_NE(st.message().find("without a secret"), std::string_view::npos)
        << host << ": " << st.ToString();
    EXPECT_EQ(server.port(), 0) << host;
  }
}

TEST_F(RpcNoSecretTest, AClientWithoutASecretRefusesToDialBeyondLoopback) {
  ClientOptions o;
  o.host = "192.0.2.1";  // TEST-NET-1: never dialled
  o.port = 7070;
  o.connect_timeout = 200ms;
  Client client(rt_, o);
  std::promise<Result<std::string>> p;
  client.Call(1, "x", 1s, [&](Result<std::string> r) { p.set_value(std::move(r)); });
  Result<std::string> r = p.get_future().get();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("without a secret"), std::string_view::npos)
      << r.status().ToString();
  EXPECT_EQ(client.Stats().connect_failures, 0u);  // never tried
}

TEST_F(RpcNoSecretTest, AClientWithoutASecretRefusesToDialAProxyBeyondLoopback) {
  ClientOptions o;
  o.host = "127.0.0.1";  // the peer's name is on loopback; where the bytes go is not
  o.port = 7070;
  o.dial_host = "192.0.2.1";  // TEST-NET-1: never dialled
  o.connect_timeout = 200ms;
  Client client(rt_, o);
  std::promise<Result<std::string>> p;
  client.Call(1, "x", 1s, [&](Result<std::string> r) { p.set_value(std::move(r)); });
  Result<std::string> r = p.get_future().get();
  EXPECT_NE(r.status().message().find("without a secret"), std::string_view::npos)
      << r.status().ToString();
  EXPECT_EQ(client.Stats().connect_failures, 0u);
}

TEST_F(RpcNoSecretTest, LoopbackNeedsNoSecret) {
  for (const char* host : {"127.0.0.1", "127.0.0.2", "localhost"}) {
    ServerOptions o;
    o.host = host;
    Server server(rt_, std::move(o), handler_);
    ASSERT_TRUE(server.Start().ok()) << host;
    ClientOptions co;
    co.host = host;
    co.port = server.port();
    Client client(rt_, co);
    std::promise<Result<std::string>> p;
    client.Call(1, "x", 2s, [&](Result<std::string> r) { p.set_value(std::move(r)); });
    EXPECT_TRUE(p.get_future().get().ok()) << host;
    client.Close();
    server.Stop();
  }
}

// ---- peer-chosen text in logs (L4) --------------------------------------------------------

bool NoRawControlBytes(const MemoryLogger& log) {
  for (const auto& line : log.lines()) {
    for (const char c : line.message) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    }
  }
  return true;
}

TEST_F(RpcNoSecretTest, AServersErrorTextIsLoggedEscapedAndCut) {
  uint16_t port = 0;
  const int listener = ListenOnLoopback(4, &port);
  ASSERT_GE(listener, 0);
  const std::string evil = "\x1b[31mevil\r\nshoal: rpc: a forged line" + std::string(400, 'z');
  std::thread server([&] {
    const int fd = AcceptWithin(listener, 3000ms);
    if (fd < 0) return;
    (void)ReadFrameBytes(fd, 2000ms);
    WriteAll(fd, EncodeFrame(FrameType::kError, 0, 0, evil));
    ::close(fd);
  });
  ClientOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.logger = &log_;
  Client client(rt_, o);
  std::promise<Result<std::string>> p;
  client.Call(1, "x", 2s, [&](Result<std::string> r) { p.set_value(std::move(r)); });
  Result<std::string> r = p.get_future().get();
  server.join();
  ::close(listener);
  ASSERT_FALSE(r.ok());
  const std::string message(r.status().message());
  EXPECT_NE(message.find("\\x1b[31mevil\\x0d\\x0ashoal"), std::string::npos) << message;
  EXPECT_NE(message.find("bytes)"), std::string::npos) << message;  // cut, and says so
  EXPECT_GE(log_.Count("rpc", "\\x1b[31mevil\\x0d\\x0ashoal"), 1u);
  EXPECT_TRUE(NoRawControlBytes(log_));
  for (const auto& line : log_.lines()) EXPECT_LT(line.message.size(), 600u);
}

TEST_F(RpcNoSecretTest, MalformedConnectionsAreLoggedRateLimited) {
  ServerOptions o;
  o.logger = &log_;
  Server server(rt_, std::move(o), handler_);
  ASSERT_TRUE(server.Start().ok());
  for (int i = 0; i < 20; ++i) {
    const int fd = ConnectToLoopback(server.port());
    ASSERT_GE(fd, 0);
    WriteAll(fd, "GET / HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(ClosedByPeer(fd, 2000ms));
    ::close(fd);
  }
  EXPECT_EQ(server.Stats().malformed + server.Stats().auth_failures, 20u);
  EXPECT_LE(log_.lines().size(), 10u);  // a few lines per kind per 10 s, not one per connection
  EXPECT_TRUE(NoRawControlBytes(log_));
  server.Stop();
}

}  // namespace
}  // namespace shoal::rpc

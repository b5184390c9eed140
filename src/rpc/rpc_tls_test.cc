// Tests of mutual TLS on the peer port (ClientOptions::tls, ServerOptions::tls), over real
// sockets on 127.0.0.x with real certificates: scripts/cluster-tls.sh makes a CA, node
// certificates naming one 127.0.0.N each, a certificate of another CA and one whose SAN
// matches no test node, into a temporary directory. A refusal must be an Unavailable that
// names the cause (never a call that waits out its deadline: every deadline here is 10 s) and
// a log line on the side that refused.
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/host_port.h"
#include "base/memory_logger.h"
#include "base/test_temp_dir.h"
#include "rpc/client.h"
#include "rpc/runtime.h"
#include "rpc/server.h"

namespace shoal::rpc {
namespace {

using namespace std::chrono_literals;

constexpr Duration kPatience = 10s;  // far above any handshake: a hang shows as a timeout

class EchoHandler : public Handler {
 public:
  Status Handle(uint8_t, std::string_view payload, Responder respond) override {
    respond("echo:" + std::string(payload));
    return Status::Ok();
  }
};

class RpcTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const std::string make = std::string(SHOAL_SOURCE_DIR) + "/scripts/cluster-tls.sh '" +
                             dir_->path() + "/tls' >/dev/null";
    // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): one command, before any thread
    ASSERT_EQ(std::system(make.c_str()), 0) << make;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string File(const std::string& name) { return dir_->path() + "/tls/" + name; }
  // Files: `name`.pem and its key, trusting `ca`.pem.
  static TlsFiles Files(const std::string& name, const std::string& ca = "ca") {
    return TlsFiles{
        .ca = File(ca + ".pem"), .cert = File(name + ".pem"), .key = File(name + "-key.pem")};
  }

  // StartServer listens on `host` (a 127.0.0.x) with `tls` (ca empty: plain) and `secret`.
  std::unique_ptr<Server> StartServer(const std::string& host, TlsFiles tls,
                                      std::string secret = "") {
    ServerOptions o;
    o.host = host;
    o.tls = std::move(tls);
    o.secret = std::move(secret);
    o.logger = &server_log_;
    auto server = std::make_unique<Server>(server_rt_, std::move(o), handler_);
    const Status st = server->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return server;
  }

  // ClientOf dials `host`:`port` as `self` with `tls` and `secret`.
  static ClientOptions ClientOf(const std::string& host, uint16_t port, std::string self,
                                TlsFiles tls, std::string secret = "") {
    ClientOptions o;
    o.host = host;
    o.port = port;
    o.connections = 1;
    o.connect_timeout = kPatience;
    o.self = std::move(self);
    o.tls = std::move(tls);
    o.secret = std::move(secret);
    return o;
  }

  // CallOnce makes one call and waits for its result.
  Result<std::string> CallOnce(ClientOptions options) {
    options.logger = &client_log_;
    Client client(client_rt_, std::move(options));
    std::promise<Result<std::string>> got;
    client.Call(1, "hi", kPatience, [&](Result<std::string> r) { got.set_value(std::move(r)); });
    return got.get_future().get();
  }

  // ExpectRefused: the call failed with Unavailable (not its deadline) naming `why`.
  static void ExpectRefused(const Result<std::string>& r, const std::string& why) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
    EXPECT_NE(r.status().message().find(why), std::string_view::npos) << r.status().ToString();
  }

  // Eventually: the server may finish its side (count, log) just after the client has seen
  // the refusal (a TLS alert goes out before the server's handshake handler runs), so its
  // counters and log are polled, for up to kPatience.
  static bool Eventually(const std::function<bool()>& done) {
    const auto until = std::chrono::steady_clock::now() + kPatience;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  static testing::TempDir* dir_;
  MemoryLogger server_log_;
  MemoryLogger client_log_;
  // Two nodes: a server refuses a HELLO whose nonce a client of its own Runtime sent.
  Runtime server_rt_{2};
  Runtime client_rt_{2};
  EchoHandler handler_;
};

testing::TempDir* RpcTlsTest::dir_ = nullptr;

TEST_F(RpcTlsTest, CallsWorkOverTlsWithoutASecret) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node1"));
  Result<std::string> r =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", Files("node2")));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "echo:hi");
  EXPECT_EQ(server->Stats().auth_failures, 0u);
}

TEST_F(RpcTlsTest, CallsWorkOverTlsWithASecret) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node1"), "s3cret-s3cret");
  Result<std::string> r = CallOnce(
      ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", Files("node2"), "s3cret-s3cret"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "echo:hi");
}

// Two nodes, each with its server and a client of the other: calls go both ways, each end
// checking the other's certificate against the address it dialled or the one claimed.
TEST_F(RpcTlsTest, CallsGoBothWaysBetweenTwoNodes) {
  std::unique_ptr<Server> a = StartServer("127.0.0.1", Files("node1"));
  std::unique_ptr<Server> b = StartServer("127.0.0.2", Files("node2"));
  const std::string a_self = FormatHostPort("127.0.0.1", a->port());
  const std::string b_self = FormatHostPort("127.0.0.2", b->port());
  Result<std::string> a_to_b = CallOnce(ClientOf("127.0.0.2", b->port(), a_self, Files("node1")));
  Result<std::string> b_to_a = CallOnce(ClientOf("127.0.0.1", a->port(), b_self, Files("node2")));
  ASSERT_TRUE(a_to_b.ok()) << a_to_b.status().ToString();
  ASSERT_TRUE(b_to_a.ok()) << b_to_a.status().ToString();
  EXPECT_EQ(*a_to_b, "echo:hi");
  EXPECT_EQ(*b_to_a, "echo:hi");
}

TEST_F(RpcTlsTest, AClientCertificateFromAnotherCaIsRefused) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node1"));
  // It trusts our CA (it could verify the server), but its own certificate is from another.
  TlsFiles other = Files("other-node");
  Result<std::string> r =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", std::move(other)));
  // TLS 1.3: the client's handshake is done before the server has checked its certificate; it
  // learns of the refusal (the server's alert) at its first read, still before HELLO's answer.
  ExpectRefused(r, "refused by the peer (");
  ExpectRefused(r, "is this node's certificate from the cluster's CA");
  EXPECT_TRUE(Eventually([&] { return server->Stats().auth_failures == 1u; }))
      << server->Stats().auth_failures;
  EXPECT_TRUE(Eventually([&] {
    return server_log_.Count("rpc", "TLS handshake failed: certificate verify failed") == 1u;
  })) << "the server says why it refused";
  EXPECT_TRUE(Eventually([&] {
    return server_log_.Count("rpc", "(a client certificate not from cluster.tls.ca?)") == 1u;
  }));
}

TEST_F(RpcTlsTest, AClientWhoseCertificateDoesNotNameTheAddressItClaimsIsRefused) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node1"));
  // A real member's certificate (node3 = 127.0.0.3) claiming to be 127.0.0.2.
  Result<std::string> r =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", Files("node3")));
  ExpectRefused(r,
                "refused the connection: authentication failed: the client certificate does "
                "not name the address the client claims");
  // And one from our CA that names no test node at all.
  Result<std::string> r2 =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", Files("nomatch")));
  ExpectRefused(r2, "the client certificate does not name");
  EXPECT_TRUE(Eventually([&] { return server->Stats().auth_failures == 2u; }))
      << server->Stats().auth_failures;
  EXPECT_TRUE(Eventually([&] {
    return server_log_.Count("rpc",
                             "claims to be 127.0.0.2:7000, but its TLS certificate does "
                             "not name that host") == 2u;
  }));
  EXPECT_GE(client_log_.Count("rpc", "refused the connection"), 1u);
}

TEST_F(RpcTlsTest, AClientWithoutACertificateIsRefused) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node1"));
  TlsFiles ca_only{.ca = File("ca.pem"), .cert = "", .key = ""};
  Result<std::string> r =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", std::move(ca_only)));
  ExpectRefused(r, "refused by the peer (");
  EXPECT_TRUE(Eventually([&] { return server->Stats().auth_failures == 1u; }))
      << server->Stats().auth_failures;
  EXPECT_TRUE(Eventually([&] {
    return server_log_.Count("rpc", "TLS handshake failed: peer did not return a certificate") ==
           1u;
  }));
}

TEST_F(RpcTlsTest, AServerWhoseCertificateDoesNotNameTheHostDialledIsRefused) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node2"));  // names 127.0.0.2
  Result<std::string> r =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.3:7000", Files("node3")));
  ExpectRefused(r, "TLS handshake failed: certificate verify failed (");
  ExpectRefused(r, "does it name the address dialled?");
  EXPECT_GE(client_log_.Count("rpc", "TLS handshake failed"), 1u);
  EXPECT_TRUE(Eventually(
      [&] { return server_log_.Count("rpc", "TLS handshake failed: refused by the peer") == 1u; }));
}

TEST_F(RpcTlsTest, APlainClientOfATlsServerFailsAtOnceWithLogLinesOnBothSides) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node1"));
  Result<std::string> r = CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", {}));
  ExpectRefused(r, "does the peer require TLS?");
  EXPECT_GE(client_log_.Count("rpc", "does the peer require TLS?"), 1u);
  EXPECT_TRUE(Eventually([&] { return server->Stats().auth_failures == 1u; }))
      << server->Stats().auth_failures;
  EXPECT_TRUE(
      Eventually([&] { return server_log_.Count("rpc", "(a peer without cluster.tls") == 1u; }));
}

TEST_F(RpcTlsTest, ATlsClientOfAPlainServerFailsAtOnceWithLogLinesOnBothSides) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", {});
  Result<std::string> r =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", Files("node2")));
  ExpectRefused(r, "does the peer have cluster.tls?");
  EXPECT_TRUE(Eventually([&] {
    return server_log_.Count("rpc", "a TLS client? this node has no cluster.tls") == 1u;
  }));
  EXPECT_GE(client_log_.Count("rpc", "TLS handshake failed"), 1u);
}

// TLS does not replace a secret the server has: the client must still prove it.
TEST_F(RpcTlsTest, WithTlsAndASecretTheSecretIsStillRequired) {
  std::unique_ptr<Server> server = StartServer("127.0.0.1", Files("node1"), "s3cret-s3cret");
  Result<std::string> r =
      CallOnce(ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", Files("node2")));
  ExpectRefused(r, "authentication required");
  Result<std::string> wrong = CallOnce(
      ClientOf("127.0.0.1", server->port(), "127.0.0.2:7000", Files("node2"), "another-secret"));
  ExpectRefused(wrong, "wrong proof");
}

TEST_F(RpcTlsTest, BadFilesAreRefusedNamingTheKeyAndTheFile) {
  ServerOptions o;
  o.tls = Files("node1");
  o.tls.key = File("node2-key.pem");
  Server server(server_rt_, o, handler_);
  const Status st = server.Start();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "cluster.tls.key: " + File("node2-key.pem") +
                              ": does not match the certificate in " + File("node1.pem"));
  // A client's calls fail with the same words.
  TlsFiles missing = Files("node2");
  missing.ca = File("no-such-ca.pem");
  Result<std::string> r = CallOnce(ClientOf("127.0.0.1", 1, "127.0.0.2:7000", missing));
  ExpectRefused(r, "cluster.tls.ca: " + File("no-such-ca.pem") + ": No such file or directory");
}

}  // namespace
}  // namespace shoal::rpc

// TLS of a Connection (label cassandra): against a real node with client encryption on
// (scripts/cassandra.sh with SHOAL_CASSANDRA_TLS=1, files by scripts/cassandra/tls.sh), the
// right CA connects and queries, with or without a client certificate; another CA fails fast
// with the verification error; dialling `localhost` (not in the certificate's SANs) fails
// with host name verification and succeeds without it. Without a server (certificates made
// by tls.sh in a temporary directory where needed): bad files are
// InvalidArgument naming their key, and a peer that never answers the handshake is bounded by
// the connect timeout.
//
// The node: SHOAL_CASSANDRA_TLS_PORT (default SHOAL_CASSANDRA_PORT, 9042) and its TLS files in
// SHOAL_CASSANDRA_TLS_DIR (default: the tls_dir that scripts/cassandra.sh records in the
// node's state file, SHOAL_CASSANDRA_DATA or <cache>/shoal/cassandra-data-<port>). Without
// them the node tests skip, or fail under SHOAL_REQUIRE_CASSANDRA_TLS=1.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/test_socket.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_connection_test_util.h"
#include "store/cassandra/cql_session.h"
#include "store/cassandra/cql_tls.h"

namespace shoal::store::cassandra {
namespace {

using namespace conn_test;  // NOLINT(google-build-using-namespace): the shared test helpers

std::string Env(const char* name) {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): tests read the environment, nothing writes it.
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

uint16_t TlsPort() {
  const std::string p = Env("SHOAL_CASSANDRA_TLS_PORT");
  return p.empty() ? testing::CassandraPort() : static_cast<uint16_t>(std::stoi(p));
}

// TlsDir is SHOAL_CASSANDRA_TLS_DIR, else the tls_dir= that scripts/cassandra.sh recorded
// in the node's state file (<data>/instance.env; empty when the node runs without TLS).
std::string TlsDir() {
  std::string d = Env("SHOAL_CASSANDRA_TLS_DIR");
  if (!d.empty()) return d;
  std::string data = Env("SHOAL_CASSANDRA_DATA");
  if (data.empty()) {
    const std::string cache =
        !Env("XDG_CACHE_HOME").empty() ? Env("XDG_CACHE_HOME") : Env("HOME") + "/.cache";
    data = cache + "/shoal/cassandra-data-" + std::to_string(TlsPort());
  }
  std::ifstream state(data + "/instance.env");
  for (std::string line; std::getline(state, line);) {
    if (line.starts_with("tls_dir=")) return line.substr(8);
  }
  return "";
}

bool Readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

// SHOAL_NEED_TLS_NODE: skip (or fail under SHOAL_REQUIRE_CASSANDRA_TLS=1) without the node.
#define SHOAL_NEED_TLS_NODE()                                                                   \
  do {                                                                                          \
    if (!testing::Listening(TlsPort()) || !Readable(TlsDir() + "/ca.pem")) {                    \
      if (Env("SHOAL_REQUIRE_CASSANDRA_TLS") == "1") {                                          \
        FAIL() << "no TLS Cassandra on 127.0.0.1:" << TlsPort() << " with " << TlsDir()         \
               << "/ca.pem although SHOAL_REQUIRE_CASSANDRA_TLS=1";                             \
      }                                                                                         \
      GTEST_SKIP() << "SKIPPED: no TLS Cassandra on 127.0.0.1:" << TlsPort() << " with "        \
                   << TlsDir() << "/ca.pem (SHOAL_CASSANDRA_TLS=1 scripts/cassandra.sh start)"; \
    }                                                                                           \
  } while (0)

ConnectionOptions Tls(const std::string& host, const std::string& ca) {
  ConnectionOptions o;
  o.host = host;
  o.port = TlsPort();
  o.tls.ca = ca;
  o.connect_timeout = std::chrono::seconds(5);
  return o;
}

::testing::AssertionResult Queries(Connection& c) {
  Result<std::vector<Row>> rows =
      RowsOf(Call(c, Query("SELECT release_version FROM system.local")));
  if (!rows.ok()) return ::testing::AssertionFailure() << rows.status().ToString();
  if (rows->size() != 1) return ::testing::AssertionFailure() << rows->size() << " rows";
  return ::testing::AssertionSuccess();
}

TEST(CqlTlsTest, TheRightCaConnectsAndQueries) {
  SHOAL_NEED_TLS_NODE();
  Io io;
  auto c = ConnectNow(io.io(), Tls("127.0.0.1", TlsDir() + "/ca.pem"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(Queries(**c));
  // The bytes really went through TLS: a plain-text reader would have failed the handshake
  // above, and the server answered frames we could only read decrypted.
  EXPECT_GT((*c)->bytes_read(), 0u);
  (*c)->Close();

  // With a client certificate too, and with compression on top of TLS.
  ConnectionOptions o = Tls("127.0.0.1", TlsDir() + "/ca.pem");
  o.tls.cert = TlsDir() + "/client.pem";
  o.tls.key = TlsDir() + "/client-key.pem";
  auto mutual = ConnectNow(io.io(), o);
  ASSERT_TRUE(mutual.ok()) << mutual.status().ToString();
  EXPECT_TRUE(Queries(**mutual));
  EXPECT_TRUE((*mutual)->compression());
  (*mutual)->Close();
}

TEST(CqlTlsTest, AnotherCaFailsFastWithTheVerificationError) {
  SHOAL_NEED_TLS_NODE();
  Io io;
  const auto start = std::chrono::steady_clock::now();
  auto c = ConnectNow(io.io(), Tls("127.0.0.1", TlsDir() + "/other-ca.pem"));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  const std::string want = "TLS handshake with 127.0.0.1:" + std::to_string(TlsPort()) +
                           " failed: certificate verify failed (";
  EXPECT_NE(c.status().message().find(want), std::string_view::npos) << c.status().message();
  std::cout << "[ tls ] " << c.status().message() << "\n";
  // Refused by the handshake itself, not by the 5 s connect timeout.
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST(CqlTlsTest, LocalhostIsNotInTheCertificate) {
  SHOAL_NEED_TLS_NODE();
  Io io;
  auto c = ConnectNow(io.io(), Tls("localhost", TlsDir() + "/ca.pem"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("certificate verify failed (hostname mismatch)"),
            std::string_view::npos)
      << c.status().message();

  ConnectionOptions o = Tls("localhost", TlsDir() + "/ca.pem");
  o.tls.verify_hostname = false;  // the chain is still verified
  auto unchecked = ConnectNow(io.io(), o);
  ASSERT_TRUE(unchecked.ok()) << unchecked.status().ToString();
  EXPECT_TRUE(Queries(**unchecked));
  (*unchecked)->Close();

  o.tls.ca = TlsDir() + "/other-ca.pem";  // ... so another CA still fails
  EXPECT_FALSE(ConnectNow(io.io(), o).ok());
}

// A Session passes its TLS settings to every connection (cql_session.cc's
// ConnectionOptionsFor): with the wrong CA Open fails naming the handshake, with the right one
// it queries.
TEST(CqlTlsTest, ASessionSpeaksTlsToEveryConnection) {
  SHOAL_NEED_TLS_NODE();
  SessionOptions o;
  o.contact_points = {"127.0.0.1:" + std::to_string(TlsPort())};
  o.discover_peers = false;
  o.connections_per_node = 2;
  o.connect_timeout = std::chrono::seconds(5);
  o.tls.ca = TlsDir() + "/other-ca.pem";
  auto refused = Session::Open(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("TLS handshake with 127.0.0.1:"), std::string::npos)
      << refused.status().ToString();

  o.tls.ca = TlsDir() + "/ca.pem";
  auto session = Session::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_TRUE((*session)->Run("SELECT release_version FROM system.local", 10s).ok());
  (*session)->Shutdown();
}

// ---- Without a server ----------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/shoal_tls_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

TlsOptions Files(const std::string& ca, const std::string& cert, const std::string& key) {
  TlsOptions tls;
  tls.ca = ca;
  tls.cert = cert;
  tls.key = key;
  return tls;
}

TEST(CqlTlsTest, BadFilesAreInvalidArgumentNamingTheKey) {
  TempDir dir;
  const std::string garbage = dir.Write("garbage.pem", "not a certificate\n");
  struct Case {
    TlsOptions tls;
    std::string want;
  };
  const Case cases[] = {
      {Files("/nonexistent/ca.pem", "", ""),
       "store.cassandra.tls.ca: /nonexistent/ca.pem: No such file"},
      {Files(garbage, "", ""), "store.cassandra.tls.ca: " + garbage + ": holds no PEM certificate"},
      {Files(garbage, garbage, ""), "store.cassandra.tls.cert: a client certificate needs"},
      {Files(garbage, "", garbage), "store.cassandra.tls.key: a client key needs"},
  };
  Io io;
  for (const Case& k : cases) {
    EXPECT_EQ(CheckTlsFiles(k.tls).code(), StatusCode::kInvalidArgument) << k.want;
    EXPECT_NE(CheckTlsFiles(k.tls).message().find(k.want), std::string_view::npos)
        << CheckTlsFiles(k.tls).message();
    // Connect fails the same way, before dialling (nothing listens on port 1).
    ConnectionOptions o;
    o.host = "127.0.0.1";
    o.port = 1;
    o.tls = k.tls;
    auto c = ConnectNow(io.io(), o);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << c.status().ToString();
    EXPECT_NE(c.status().message().find(k.want), std::string_view::npos) << c.status().message();
  }
  EXPECT_TRUE(CheckTlsFiles(TlsOptions{}).ok());  // TLS off
}

TEST(CqlTlsTest, AKeyThatIsNotTheCertificatesIsRefused) {
  TempDir dir;
  const std::string make =
      std::string(SHOAL_SOURCE_DIR) + "/scripts/cassandra/tls.sh '" + dir.path() + "' >/dev/null";
  // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): one command, before any thread
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  TlsOptions tls =
      Files(dir.path() + "/ca.pem", dir.path() + "/client.pem", dir.path() + "/server-key.pem");
  const Status st = CheckTlsFiles(tls);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("store.cassandra.tls.key: "), std::string_view::npos) << st.message();
  EXPECT_NE(st.message().find("does not match"), std::string_view::npos) << st.message();
  tls.key = dir.path() + "/client-key.pem";
  EXPECT_TRUE(CheckTlsFiles(tls).ok()) << CheckTlsFiles(tls).ToString();
}

TEST(CqlTlsTest, AHandshakeNobodyAnswersEndsAtTheConnectTimeout) {
  TempDir dir;
  // Any CA will do: the handshake never gets as far as checking it.
  const std::string ca = dir.path() + "/ca.pem";
  const std::string make =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout '" +
      dir.path() + "/ca-key.pem' -subj /CN=t -days 1 -out '" + ca + "' 2>/dev/null";
  // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): one command, before any thread
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  uint16_t port = 0;
  const int listener = ListenOnLoopback(4, &port);  // never accepts: the ClientHello hangs
  ASSERT_GE(listener, 0);
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls.ca = ca;
  o.connect_timeout = std::chrono::milliseconds(500);
  Io io;
  const auto start = std::chrono::steady_clock::now();
  auto c = ConnectNow(io.io(), o);
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(listener);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(c.status().message().find("connect timeout"), std::string_view::npos)
      << c.status().message();
  EXPECT_GE(took, std::chrono::milliseconds(450));
  EXPECT_LT(took, std::chrono::seconds(3));
}

}  // namespace
}  // namespace shoal::store::cassandra

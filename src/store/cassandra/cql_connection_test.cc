// Connection against the real server (label cassandra), plus two small fake servers for what
// the shared test server cannot show: a server that goes silent (the heartbeat must notice)
// and a server that refuses a password. The real handshake, queries and multiplexing are
// tested against Cassandra here and in cassandra_store_test.cc.
#include "store/cassandra/cql_connection.h"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store/cassandra/cassandra_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::chrono_literals;

// Io runs an io_context on one thread for a test.
class Io {
 public:
  Io() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~Io() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

Result<std::shared_ptr<Connection>> ConnectNow(boost::asio::io_context& io,
                                               ConnectionOptions options,
                                               std::function<void(const Status&)> on_close = {}) {
  std::promise<Result<std::shared_ptr<Connection>>> p;
  auto f = p.get_future();
  Connection::Connect(io, std::move(options), std::move(on_close),
                      [&p](Result<std::shared_ptr<Connection>> r) { p.set_value(std::move(r)); });
  return f.get();
}

ConnectionOptions Real() {
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = testing::CassandraPort();
  return o;
}

// FakeServer accepts one connection on a free loopback port and answers each request frame
// with what `answer` returns for its opcode (nothing: stay silent).
class FakeServer {
 public:
  using Answer = std::function<std::optional<std::pair<Opcode, std::string>>(Opcode)>;

  explicit FakeServer(Answer answer) : answer_(std::move(answer)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 1);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    if (conn_ >= 0) ::shutdown(conn_, SHUT_RDWR);
    thread_.join();
    if (conn_ >= 0) ::close(conn_);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    conn_ = ::accept(listener_, nullptr, nullptr);
    if (conn_ < 0) return;
    FrameDecoder decoder(FrameDecoder::Options{.expect_responses = false});
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(conn_, buf, sizeof buf);
      if (n <= 0) return;
      decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
      for (;;) {
        Result<std::optional<Frame>> f = decoder.Next();
        if (!f.ok() || !*f) break;
        ++requests_;
        auto reply = answer_((*f)->header.opcode);
        if (!reply) continue;
        std::string out;
        FrameHeader h;
        h.response = true;
        h.stream = (*f)->header.stream;
        h.opcode = reply->first;
        h.length = static_cast<uint32_t>(reply->second.size());
        AppendFrameHeader(out, h);
        out += reply->second;
        if (::write(conn_, out.data(), out.size()) < 0) return;
      }
    }
  }

  Answer answer_;
  int listener_ = -1;
  int conn_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

std::string StringNotation(std::string_view s) {
  std::string out;
  AppendShort(out, static_cast<uint16_t>(s.size()));
  out += s;
  return out;
}

TEST(CqlConnectionTest, QueriesTheRealServer) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  auto conn = ConnectNow(io.io(), Real());
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  std::promise<std::string> version;
  (*conn)->Send(
      [](std::string& out, int16_t stream) {
        return AppendQuery(out, stream, "SELECT release_version FROM system.local",
                           QueryParameters{});
      },
      std::chrono::steady_clock::now() + 10s,
      [&version](Result<Frame> r) {
        if (!r.ok()) return version.set_value("error: " + r.status().ToString());
        auto body = SplitResponseBody(*r);
        auto m = ParseResult(body->message);
        const auto* rows = m.ok() ? std::get_if<RowsResult>(&*m) : nullptr;
        if (rows == nullptr || rows->row_count != 1) return version.set_value("no rows");
        CellCursor cells = rows->cells();
        version.set_value(std::string(cells.Next().value_or("null")));
      });
  const std::string v = version.get_future().get();
  EXPECT_EQ(v.substr(0, 2), "5.") << v;
  EXPECT_FALSE((*conn)->closed());
}

TEST(CqlConnectionTest, CloseRunsOnCloseAndLaterSendsAreRefusedOffTheCallersStack) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  std::promise<Status> closed;
  auto conn = ConnectNow(io.io(), Real(), [&closed](const Status& s) { closed.set_value(s); });
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  (*conn)->Close();
  EXPECT_EQ(closed.get_future().get().code(), StatusCode::kUnavailable);
  EXPECT_TRUE((*conn)->closed());
  std::promise<Status> refused;
  const std::thread::id caller = std::this_thread::get_id();
  (*conn)->Send(
      [](std::string& out, int16_t stream) { return AppendQuery(out, stream, "SELECT 1", {}); },
      std::chrono::steady_clock::now() + 1s,
      [&](Result<Frame> r) {
        // Never on the caller's stack, even when refused.
        refused.set_value(std::this_thread::get_id() == caller ? Status::Internal("inline")
                                                               : r.status());
      });
  EXPECT_EQ(refused.get_future().get().code(), StatusCode::kUnavailable);
}

TEST(CqlConnectionTest, ClosedPortAndBadKeyspaceAreClearErrors) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  ConnectionOptions nobody = Real();
  nobody.port = 1;
  auto refused = ConnectNow(io.io(), nobody);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("127.0.0.1:1"), std::string::npos);

  ConnectionOptions bad = Real();
  bad.keyspace = "no such keyspace";
  auto invalid = ConnectNow(io.io(), bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  bad.keyspace = "no_such_keyspace_at_all";
  invalid = ConnectNow(io.io(), bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(invalid.status().message().find("no_such_keyspace_at_all"), std::string::npos)
      << invalid.status().ToString();
}

TEST(CqlConnectionTest, AnIdleConnectionStaysUpOnHeartbeats) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  ConnectionOptions o = Real();
  o.heartbeat_interval = 50ms;
  o.heartbeat_timeout = 500ms;
  auto conn = ConnectNow(io.io(), o);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  std::this_thread::sleep_for(400ms);  // 8 intervals: each answered by the server
  EXPECT_FALSE((*conn)->closed());
}

TEST(CqlConnectionTest, ASilentServerIsFoundByTheHeartbeat) {
  FakeServer server([](Opcode op) -> std::optional<std::pair<Opcode, std::string>> {
    if (op == Opcode::kStartup) return std::make_pair(Opcode::kReady, std::string());
    return std::nullopt;  // OPTIONS and everything else: silence
  });
  Io io;
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.heartbeat_interval = 100ms;
  o.heartbeat_timeout = 200ms;
  std::promise<Status> closed;
  const auto start = std::chrono::steady_clock::now();
  auto conn = ConnectNow(io.io(), o, [&closed](const Status& s) { closed.set_value(s); });
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto f = closed.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  const Status cause = f.get();
  EXPECT_NE(cause.message().find("heartbeat"), std::string::npos) << cause.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_GE(server.requests(), 2);  // STARTUP, then at least one OPTIONS
}

TEST(CqlConnectionTest, ARefusedPasswordIsAClearError) {
  FakeServer server([](Opcode op) -> std::optional<std::pair<Opcode, std::string>> {
    if (op == Opcode::kStartup) {
      return std::make_pair(Opcode::kAuthenticate,
                            StringNotation("org.apache.cassandra.auth.PasswordAuthenticator"));
    }
    if (op == Opcode::kAuthResponse) {
      std::string body;
      AppendInt(body, error_code::kBadCredentials);
      body += StringNotation("Provided username shoal and/or password are incorrect");
      return std::make_pair(Opcode::kError, body);
    }
    return std::nullopt;
  });
  Io io;
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.user = "shoal";
  o.password = "wrong";
  auto conn = ConnectNow(io.io(), o);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(conn.status().message().find("authentication failed"), std::string::npos)
      << conn.status().ToString();
  EXPECT_NE(conn.status().message().find("password are incorrect"), std::string::npos);
}

TEST(CqlConnectionTest, AServerThatAsksForAPasswordWhenNoneIsSet) {
  FakeServer server([](Opcode op) -> std::optional<std::pair<Opcode, std::string>> {
    if (op == Opcode::kStartup) {
      return std::make_pair(Opcode::kAuthenticate,
                            StringNotation("org.apache.cassandra.auth.PasswordAuthenticator"));
    }
    return std::nullopt;
  });
  Io io;
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  auto conn = ConnectNow(io.io(), o);
  ASSERT_FALSE(conn.ok());
  EXPECT_NE(conn.status().message().find("asks for credentials"), std::string::npos)
      << conn.status().ToString();
}

}  // namespace
}  // namespace shoal::store::cassandra

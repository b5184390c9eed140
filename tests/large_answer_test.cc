// Process tests of a 1 MiB cached answer (issue 18, item 7): sent as gathered writes straight
// from the cache entry's body (and its gzip variant), it must arrive complete and byte-exact
// through a reader that takes it in small pieces with pauses (so the server's writes stop
// part-way and resume, many times), with requests pipelined four deep, and through a fast
// reader on a keep-alive connection.
//
// The oracle: the answer's bytes are computed here from the row the test wrote; the gzip
// variant must inflate to the same bytes.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

constexpr size_t kBodyBytes = size_t{1} << 20;

// BigText is 1 MiB of deterministic text that gzip shrinks only so far (letters, digits and
// spaces from a linear congruential sequence): no quote or backslash, so the JSON answer
// holds it as it is.
std::string BigText() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789      ";
  std::string s(kBodyBytes, ' ');
  uint64_t x = 18;
  for (char& c : s) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    c = kAlphabet[(x >> 33) % (sizeof(kAlphabet) - 1)];
  }
  return s;
}

struct Answer {
  int status = 0;
  std::string encoding;
  std::string body;
};

// SlowReader reads pipelined answers from a socket `piece` bytes at a time, sleeping `pause`
// after each read. Its receive buffer is small, so the server's send buffer fills and its
// writes come back partial.
class SlowReader {
 public:
  explicit SlowReader(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    int small = 8192;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));  // before connect
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~SlowReader() { ::close(fd_); }
  SlowReader(const SlowReader&) = delete;
  SlowReader& operator=(const SlowReader&) = delete;

  bool connected() const { return connected_; }
  bool Send(const std::string& data) const {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

  // Read returns the next answer (status 0 when the connection failed or timed out).
  Answer Read(size_t piece, std::chrono::microseconds pause) {
    Answer a;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(piece, pause)) return a;
    }
    const std::string head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    if (head.rfind("HTTP/1.1 ", 0) != 0) return a;
    size_t length = 0;
    for (size_t pos = head.find("\r\n") + 2; pos < head.size();) {
      const size_t e = head.find("\r\n", pos);
      const std::string line = head.substr(pos, e - pos);
      const std::string name = line.substr(0, line.find(':'));
      const std::string value = line.substr(line.find(':') + 2);
      if (strcasecmp(name.c_str(), "content-length") == 0) length = std::stoul(value);
      if (strcasecmp(name.c_str(), "content-encoding") == 0) a.encoding = value;
      pos = e + 2;
    }
    while (buf_.size() < length) {
      if (!Fill(piece, pause)) return a;
    }
    a.body = buf_.substr(0, length);
    buf_.erase(0, length);
    a.status = std::atoi(head.c_str() + 9);
    return a;
  }

 private:
  bool Fill(size_t piece, std::chrono::microseconds pause) {
    std::string tmp(piece, '\0');
    const ssize_t n = ::recv(fd_, tmp.data(), tmp.size(), 0);
    if (n <= 0) return false;
    buf_.append(tmp.data(), static_cast<size_t>(n));
    std::this_thread::sleep_for(pause);
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

class LargeAnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    text_ = BigText();
    const std::string db = dir_.Write("big.db", "");  // SQLite takes an empty file as new
    ASSERT_TRUE(ExecSql(db,
                        "CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
                        "INSERT INTO big VALUES (1, '" +
                            text_ + "');")
                    .ok());
    expected_ = R"({"id":1,"body":")" + text_ + R"("})";
    const std::string config =
        "listen: 127.0.0.1:0\n"
        "store:\n  sqlite: { path: " +
        db +
        " }\n"
        "cache:\n  memory: 64MiB\n"
        "endpoints:\n"
        "  - route: /big/{id:int}\n"
        "    query: SELECT id, body FROM big WHERE id = :id\n"
        "    result: one\n"
        "    ttl: 10m\n";
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(dir_.Write("shoal.yaml", config));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    server_ = std::move(p).value();
  }

  void TearDown() override {
    if (server_ == nullptr) return;
    EXPECT_EQ(server_->Stop(), 0) << server_->Output();
  }

  TempDir dir_;
  std::string text_;
  std::string expected_;  // the answer's exact bytes
  std::unique_ptr<ShoalProcess> server_;
};

TEST_F(LargeAnswerTest, ArrivesWholeThroughAFastReaderOnOneConnection) {
  Result<HttpClient> c = HttpClient::Connect(server_->port());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (int i = 0; i < 3; ++i) {  // a miss, then hits from the entry
    Result<HttpResponse> r = c->Get("/big/1");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), expected_.size());
    EXPECT_TRUE(r->body == expected_) << "answer " << i << " differs";
  }
  Result<HttpResponse> z = c->Get("/big/1", "Accept-Encoding: gzip\r\n");
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  EXPECT_EQ(z->Header("Content-Encoding"), "gzip");
  EXPECT_LT(z->body.size(), expected_.size());
  Result<std::string> inflated = Gunzip(z->body);
  ASSERT_TRUE(inflated.ok()) << inflated.status().ToString();
  EXPECT_TRUE(*inflated == expected_);
}

TEST_F(LargeAnswerTest, ArrivesWholeThroughASlowReaderWithPipelining) {
  // Warm both variants, so the pipelined answers below are hits written from the entry.
  Result<HttpClient> c = HttpClient::Connect(server_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->Get("/big/1").ok());
  Result<HttpResponse> warm = c->Get("/big/1", "Accept-Encoding: gzip\r\n");
  ASSERT_TRUE(warm.ok());
  const std::string gzip_bytes = warm->body;

  SlowReader slow(server_->port());
  ASSERT_TRUE(slow.connected());
  // Eight answers, about 6.8 MiB: more than the kernel buffers on both sides can hold (a send
  // buffer grows to 4 MiB at most by default, net.ipv4.tcp_wmem), so the server's gathered
  // write is cut short and resumed while the reader dawdles.
  const std::string plain = "GET /big/1 HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::string gzip = "GET /big/1 HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n";
  std::string requests;
  for (int i = 0; i < 4; ++i) requests += plain + gzip;
  ASSERT_TRUE(slow.Send(requests));
  for (int i = 0; i < 8; ++i) {
    Answer a = slow.Read(16384, std::chrono::microseconds(300));
    ASSERT_EQ(a.status, 200) << "answer " << i;
    if (i % 2 == 0) {
      EXPECT_EQ(a.encoding, "");
      EXPECT_EQ(a.body.size(), expected_.size());
      EXPECT_TRUE(a.body == expected_) << "plain answer " << i << " differs";
    } else {
      EXPECT_EQ(a.encoding, "gzip");
      EXPECT_TRUE(a.body == gzip_bytes) << "gzip answer " << i << " differs";
      Result<std::string> inflated = Gunzip(a.body);
      ASSERT_TRUE(inflated.ok()) << inflated.status().ToString();
      EXPECT_TRUE(*inflated == expected_);
    }
  }
}

}  // namespace
}  // namespace shoal::testing

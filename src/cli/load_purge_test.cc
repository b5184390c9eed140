// `shoal load --purge`: the whole command (LoadCommand into a real SQLite file) against a small
// real HTTP listener inside the test that records every request and answers as the test
// scripts it. It proves the batching (at most 1,000 tags a request), the deduplication, the
// soft flag, the token header, that every tag is sent only once its row is committed (the
// listener reads the database when a purge arrives), the retries, and the exit codes and
// messages. The real server's side (entries served STALE, then refreshed) is
// tests/load_purge_test.cc.
#include "cli/load_purge.h"

#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/test_socket.h"
#include "base/test_temp_dir.h"
#include "cli/load.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::cli {
namespace {

constexpr char kToken[] = "a-test-admin-token-0123456789";

// Recorded is one request the listener received.
struct Recorded {
  std::string head;  // request line and header lines, each ending in CRLF
  std::string body;
  std::vector<std::string> tags;  // the body's "tags"
  bool soft = false;
  bool soft_given = false;
  int64_t committed = -1;  // item rows in the database when it arrived (see Listener::check)
};

// Listener: a TCP listener on 127.0.0.1 served by one thread, one request per connection
// (the client sends Connection: close). `answer` gives each request's status and body.
class Listener {
 public:
  using Answer = std::function<std::pair<int, std::string>(const Recorded&, int index)>;

  explicit Listener(Answer answer, std::function<int64_t(const Recorded&)> check = {})
      : answer_(std::move(answer)), check_(std::move(check)) {
    fd_ = ListenOnLoopback(64, &port_);
    EXPECT_GE(fd_, 0);
    thread_ = std::thread([this] { Run(); });
  }
  ~Listener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Recorded> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Serve(c);
      ::close(c);
    }
  }

  void Serve(int c) {
    std::string in;
    size_t head_end = std::string::npos, want = std::string::npos;
    while (want == std::string::npos || in.size() < want) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) return;
      char buf[65536];
      const ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        const size_t at = in.find("Content-Length: ");
        want =
            head_end + 4 + (at < head_end ? std::strtoull(in.c_str() + at + 16, nullptr, 10) : 0);
      }
    }
    Recorded r;
    r.head = in.substr(0, head_end + 2);  // each header line with its CRLF
    r.body = in.substr(head_end + 4);
    rapidjson::Document doc;
    doc.Parse(r.body.data(), r.body.size());
    if (!doc.HasParseError() && doc.IsObject()) {
      if (doc.HasMember("tags") && doc["tags"].IsArray()) {
        for (const auto& t : doc["tags"].GetArray()) {
          r.tags.emplace_back(t.IsString() ? t.GetString() : "(not a string)");
        }
      }
      if (doc.HasMember("soft") && doc["soft"].IsBool()) {
        r.soft_given = true;
        r.soft = doc["soft"].GetBool();
      }
    }
    if (check_) r.committed = check_(r);
    int index = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      index = static_cast<int>(requests_.size());
      requests_.push_back(r);
    }
    const auto [status, body] = answer_(r, index);
    const std::string out =
        "HTTP/1.1 " + std::to_string(status) +
        " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    (void)::send(c, out.data(), out.size(), MSG_NOSIGNAL);
  }

  Answer answer_;
  std::function<int64_t(const Recorded&)> check_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<Recorded> requests_;
};

// Purged answers 200 {"purged": tags, "nodes": 1, "failed": []}.
std::pair<int, std::string> Purged(const Recorded& r, int) {
  return {200, "{\"purged\":" + std::to_string(r.tags.size()) + ",\"nodes\":1,\"failed\":[]}"};
}

class LoadPurgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("t.db");
    store::testing::Writer(db_).Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, category TEXT NOT NULL, title TEXT)");
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the test's own thread, before any load.
    ::setenv("SHOAL_ADMIN_TOKEN", kToken, 1);
  }

  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run Load(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = LoadCommand(views);
    Run run{code, ::testing::internal::GetCapturedStdout(),
            ::testing::internal::GetCapturedStderr()};
    EXPECT_EQ(run.out.find(kToken), std::string::npos) << "the token was printed";
    EXPECT_EQ(run.err.find(kToken), std::string::npos) << "the token was printed";
    return run;
  }

  std::vector<std::string> Base(const std::string& file) {
    return {"--to", "sqlite:" + db_, "--table", "items", "--from", file};
  }

  // Csv writes `rows` items, id 1..rows, in categories c0..c4 (id % 5).
  std::string Csv(int rows) {
    std::string csv = "id,category,title\n";
    for (int id = 1; id <= rows; ++id) {
      csv += std::to_string(id) + ",c" + std::to_string(id % 5) + ",t" + std::to_string(id) + "\n";
    }
    return dir_.Write("items.csv", csv);
  }

  // CommittedItems counts the rows of `r`'s item tags that the database holds now.
  int64_t CommittedItems(const Recorded& r) {
    std::string ids;
    for (const std::string& t : r.tags) {
      if (t.starts_with("item:")) ids += (ids.empty() ? "" : ",") + t.substr(5);
    }
    if (ids.empty()) return 0;
    store::testing::Writer reader(db_);
    const std::vector<std::string> n =
        reader.TextRows("SELECT count(*) FROM items WHERE id IN (" + ids + ")");
    return n.empty() ? -1 : std::stoll(n[0]);
  }

  int64_t Rows() {
    return std::stoll(store::testing::Writer(db_).TextRows("SELECT count(*) FROM items")[0]);
  }

  shoal::testing::TempDir dir_;
  std::string db_;
};

TEST_F(LoadPurgeTest, TagsOfCommittedRowsGoInBatchesOfAtMostAThousand) {
  Listener node(Purged, [this](const Recorded& r) { return CommittedItems(r); });
  std::vector<std::string> args = Base(Csv(2500));
  for (const char* a : {"--purge", "", "--purge-tag", "item:{id}", "--purge-tag=cat:{category}"}) {
    args.emplace_back(a);
  }
  args[7] = node.url();
  const Run run = Load(args);
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_EQ(Rows(), 2500);

  const std::vector<Recorded> requests = node.requests();
  std::multiset<std::string> sent;
  size_t cat_tags = 0;
  for (const Recorded& r : requests) {
    EXPECT_TRUE(r.head.starts_with("POST /_shoal/purge HTTP/1.1\r\n")) << r.head;
    EXPECT_NE(r.head.find("\r\nAuthorization: Bearer " + std::string(kToken) + "\r\n"),
              std::string::npos)
        << r.head;
    EXPECT_NE(r.head.find("\r\nContent-Type: application/json"), std::string::npos);
    EXPECT_TRUE(r.soft_given && r.soft) << r.body.substr(0, 200);
    EXPECT_GE(r.tags.size(), 1u);
    EXPECT_LE(r.tags.size(), 1000u);
    // Distinct within the request.
    EXPECT_EQ(std::set<std::string>(r.tags.begin(), r.tags.end()).size(), r.tags.size());
    // Never before the commit: every item the request names is in the database already.
    size_t items = 0;
    for (const std::string& t : r.tags) {
      sent.insert(t);
      items += t.starts_with("item:") ? 1u : 0u;
      cat_tags += t.starts_with("cat:") ? 1u : 0u;
    }
    EXPECT_EQ(r.committed, static_cast<int64_t>(items));
  }
  // Every row's item tag exactly once; the five categories deduplicated while they waited
  // (a category comes again only in a later batch, from rows committed after the last one).
  for (int id = 1; id <= 2500; ++id) EXPECT_EQ(sent.count("item:" + std::to_string(id)), 1u);
  EXPECT_GE(cat_tags, 5u);
  EXPECT_LE(cat_tags, 5 * requests.size());
  const size_t tags = sent.size();
  EXPECT_EQ(tags, 2500 + cat_tags);
  EXPECT_GE(requests.size(), 3u);  // 2,500 items need three batches at least
  EXPECT_NE(run.out.find("rows/s); " + std::to_string(tags / 1000) + "," +
                         std::to_string(tags % 1000 + 1000).substr(1) + " tags purged (soft, "),
            std::string::npos)
      << run.out;
}

TEST_F(LoadPurgeTest, HardPurgesSayNotSoft) {
  Listener node(Purged);
  std::vector<std::string> args = Base(Csv(3));
  for (const std::string& a : {std::string("--purge"), node.url(), std::string("--purge-tag"),
                               std::string("item:{id}"), std::string("--purge-hard")}) {
    args.push_back(a);
  }
  const Run run = Load(args);
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  const std::vector<Recorded> requests = node.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].soft_given);
  EXPECT_FALSE(requests[0].soft);
  EXPECT_EQ(requests[0].tags, (std::vector<std::string>{"item:1", "item:2", "item:3"}));
  EXPECT_NE(run.out.find("; 3 tags purged (removed, 3 entries, 1 requests)"), std::string::npos)
      << run.out;
}

TEST_F(LoadPurgeTest, AFailedPurgeIsTriedAgain) {
  // The first two tries fail (503, then a node that did not confirm: 502); the third is taken.
  Listener node([](const Recorded& r, int index) -> std::pair<int, std::string> {
    if (index == 0) return {503, "{\"error\":\"busy\",\"status\":503}"};
    if (index == 1) return {502, "{\"purged\":1,\"nodes\":2,\"failed\":[\"n2\"]}"};
    return Purged(r, index);
  });
  std::vector<std::string> args = Base(Csv(4));
  for (const std::string& a :
       {std::string("--purge"), node.url(), std::string("--purge-tag"), std::string("item:{id}")}) {
    args.push_back(a);
  }
  const Run run = Load(args);
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  const std::vector<Recorded> requests = node.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, requests[2].body);  // the same batch again
  EXPECT_NE(run.out.find("; 4 tags purged (soft, 4 entries, 3 requests)"), std::string::npos)
      << run.out;
}

TEST_F(LoadPurgeTest, APurgeThatKeepsFailingFailsTheCommandAndTheRowsStay) {
  // Nothing listens on this port.
  uint16_t port = 0;
  const int fd = ListenOnLoopback(1, &port);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::vector<std::string> args = Base(Csv(1500));
  for (const std::string& a : {std::string("--purge"), "http://127.0.0.1:" + std::to_string(port),
                               std::string("--purge-tag"), std::string("item:{id}")}) {
    args.push_back(a);
  }
  const Run run = Load(args);
  EXPECT_EQ(run.code, 1) << run.out << run.err;
  EXPECT_EQ(Rows(), 1500);  // loaded all the same
  EXPECT_NE(run.out.find("; 0 tags purged (soft, 0 entries, 4 requests), 1,500 not purged"),
            std::string::npos)
      << run.out;
  EXPECT_NE(
      run.err.find("shoal load: purge failed: cannot connect to 127.0.0.1:" + std::to_string(port)),
      std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("(tried 4 times); 1500 tags not purged (the rows are loaded"),
            std::string::npos)
      << run.err;
}

TEST_F(LoadPurgeTest, ARefusalIsNotTriedAgain) {
  Listener node([](const Recorded&, int) -> std::pair<int, std::string> {
    return {401, "{\"error\":\"a valid bearer token is required\",\"status\":401}"};
  });
  std::vector<std::string> args = Base(Csv(2));
  for (const std::string& a :
       {std::string("--purge"), node.url(), std::string("--purge-tag"), std::string("item:{id}")}) {
    args.push_back(a);
  }
  const Run run = Load(args);
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(node.requests().size(), 1u);
  EXPECT_NE(run.err.find("answered 401: a valid bearer token is required"), std::string::npos)
      << run.err;
  EXPECT_EQ(Rows(), 2);
}

TEST_F(LoadPurgeTest, UsageErrorsComeBeforeAnyRowIsWritten) {
  Listener node(Purged);
  const std::string csv = Csv(3);
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = Base(csv);
    args.insert(args.end(), extra.begin(), extra.end());
    return Load(args);
  };
  Run run = with({"--purge", node.url(), "--purge-tag", "item:{sku}"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("no column 'sku' in the loaded rows (they have id, category, title)"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(with({"--purge", node.url()}).code, 2);                         // no tag
  EXPECT_EQ(with({"--purge-tag", "item:{id}"}).code, 2);                    // no URL
  EXPECT_EQ(with({"--purge-hard"}).code, 2);                                // no URL
  EXPECT_EQ(with({"--purge", "127.0.0.1:1", "--purge-tag", "x"}).code, 2);  // not http://
  EXPECT_EQ(with({"--purge", node.url(), "--purge-tag", "x", "--purge-token", kToken}).code, 2);
  // The token comes from the environment only: an empty or unset variable is a usage error.
  run = with({"--purge", node.url(), "--purge-tag", "x", "--purge-token-env", "SHOAL_NO_SUCH"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("set the admin token in the environment variable SHOAL_NO_SUCH"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(node.requests().size(), 0u);
  // --purge-token-env names the variable to read.
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the test's own thread.
  ::setenv("OTHER_TOKEN", "another-token-0123456789", 1);
  ASSERT_EQ(
      with({"--purge", node.url(), "--purge-tag", "x", "--purge-token-env", "OTHER_TOKEN"}).code,
      0);
  ASSERT_EQ(node.requests().size(), 1u);
  EXPECT_NE(node.requests()[0].head.find("Authorization: Bearer another-token-0123456789\r\n"),
            std::string::npos);
}

TEST(PurgeBodyTest, IsJsonWithEscapedTags) {
  EXPECT_EQ(PurgeBody({"item:5", "a\"b"}, true), R"({"tags":["item:5","a\"b"],"soft":true})");
  EXPECT_EQ(PurgeBody({"x"}, false), R"({"tags":["x"],"soft":false})");
}

}  // namespace
}  // namespace shoal::cli

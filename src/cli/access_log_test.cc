// Tests of the access log: the two line formats (exact text, escaping, cut values), the queue
// (a writer blocked on a full pipe: lines are dropped and counted, Write never waits), reopening
// a renamed file, and the config's log.access section.
#include "cli/access_log.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json_check.h"
#include "base/memory_logger.h"
#include "base/test_allocations.h"
#include "base/test_temp_dir.h"
#include "cli/access_log_format.h"
#include "cli/config.h"
#include "cli/test_config.h"

namespace shoal::cli {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// ARecord is a hit on 127.0.0.1 at 2026-12-06T08:42:22.123456Z, 41 us long.
http::AccessRecord ARecord() {
  using std::chrono::sys_days;
  using std::chrono::year;
  http::AccessRecord r;
  r.time = sys_days{year{2026} / 12 / 6} + 8h + 42min + 22s + 123456us;
  r.duration = std::chrono::microseconds(41);
  r.client.size = 4;
  r.client.bytes[0] = 127;
  r.client.bytes[3] = 1;
  r.method = {"GET", false};
  r.target = {"/v1/items/7", false};
  r.user_agent = {"curl/7.88.1", false};
  r.status = 200;
  r.bytes = 312;
  r.cache = http::CacheResult::kHit;
  r.route = "/v1/items/{id:int}";
  return r;
}

std::string Line(const http::AccessRecord& r, AccessLogFormat format) {
  AccessLineFormatter f(format);
  std::string out;
  f.Append(out, r);
  return out;
}

TEST(AccessLineTest, CombinedIsNginxsCombinedThenDurationCacheRouteOwner) {
  EXPECT_EQ(Line(ARecord(), AccessLogFormat::kCombined),
            "127.0.0.1 - - [06/Dec/2026:08:42:22 +0000] \"GET /v1/items/7 HTTP/1.1\" 200 312 "
            "\"-\" \"curl/7.88.1\" 0.000041 hit \"/v1/items/{id:int}\" -\n");
  http::AccessRecord r = ARecord();
  r.cache = http::CacheResult::kPeer;
  r.owner = "127.0.0.1:7072";
  r.referer = {"http://a.example/", false};
  r.duration = 2s + 5us;
  r.http_1_0 = true;
  r.client.size = 16;  // ::1
  r.client.bytes = {};
  r.client.bytes[15] = 1;
  EXPECT_EQ(Line(r, AccessLogFormat::kCombined),
            "::1 - - [06/Dec/2026:08:42:22 +0000] \"GET /v1/items/7 HTTP/1.0\" 200 312 "
            "\"http://a.example/\" \"curl/7.88.1\" 2.000005 peer \"/v1/items/{id:int}\" "
            "127.0.0.1:7072\n");
}

TEST(AccessLineTest, JsonHasEveryFieldInOrder) {
  const std::string line = Line(ARecord(), AccessLogFormat::kJson);
  EXPECT_EQ(line, R"({"time":"2026-12-06T08:42:22.123+00:00","client":"127.0.0.1","method":"GET",)"
                  R"("target":"/v1/items/7","protocol":"HTTP/1.1","status":200,"bytes":312,)"
                  R"("duration_ms":0.041,"cache":"hit","route":"/v1/items/{id:int}","owner":"-",)"
                  R"("referer":"-","user_agent":"curl/7.88.1"})"
                  "\n");
  EXPECT_TRUE(api::IsValidJson(std::string_view(line).substr(0, line.size() - 1)));
}

TEST(AccessLineTest, OddTargetsQuotesAndControlBytesCannotBreakALine) {
  http::AccessRecord r = ARecord();
  r.target = {std::string_view("/v1/\"x\"\\\r\n\x1b[31m\xff\0", 17), false};
  r.user_agent = {"say \"hi\"", false};
  const std::string combined = Line(r, AccessLogFormat::kCombined);
  EXPECT_NE(combined.find(R"("GET /v1/\x22x\x22\\\x0d\x0a\x1b[31m\xff\x00 HTTP/1.1")"),
            std::string::npos)
      << combined;
  EXPECT_NE(combined.find(R"("say \x22hi\x22")"), std::string::npos) << combined;
  EXPECT_EQ(combined.find('\n'), combined.size() - 1);  // one line

  const std::string json = Line(r, AccessLogFormat::kJson);
  EXPECT_EQ(json.find('\n'), json.size() - 1);
  EXPECT_TRUE(api::IsValidJson(std::string_view(json).substr(0, json.size() - 1))) << json;
  EXPECT_NE(json.find(R"("target":"/v1/\"x\"\\\r\n\u001b[31m)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("user_agent":"say \"hi\"")"), std::string::npos) << json;
}

TEST(AccessLineTest, CutValuesEndWithDotsAndUnparsedRequestsShowADash) {
  http::AccessRecord r = ARecord();
  r.target = {"/v1/items/77", true};
  EXPECT_NE(Line(r, AccessLogFormat::kCombined).find("\"GET /v1/items/77... HTTP/1.1\""),
            std::string::npos);
  EXPECT_NE(Line(r, AccessLogFormat::kJson).find(R"("target":"/v1/items/77...")"),
            std::string::npos);

  http::AccessRecord bad;  // a 400 for a request line the server could not parse
  bad.time = ARecord().time;
  bad.status = 400;
  bad.bytes = 50;
  EXPECT_EQ(Line(bad, AccessLogFormat::kCombined),
            "- - - [06/Dec/2026:08:42:22 +0000] \"-\" 400 50 \"-\" \"-\" 0.000000 - \"-\" -\n");
  const std::string json = Line(bad, AccessLogFormat::kJson);
  EXPECT_NE(json.find(R"("method":"-","target":"-","protocol":"-","status":400)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("cache":"-","route":"-","owner":"-")"), std::string::npos) << json;
}

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> out;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof(buf), f) != nullptr) out.emplace_back(buf);
  std::fclose(f);
  return out;
}

AccessLogOptions Options(const std::string& path) {
  AccessLogOptions o;
  o.path = path;
  o.file = "shoal.yaml";
  o.line = 7;
  return o;
}

// WaitFor polls `done` for up to 10 s.
template <typename F>
bool WaitFor(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(AccessLogTest, WritesLinesAndStopFlushesWhatIsQueued) {
  TempDir dir;
  Result<std::unique_ptr<AccessLog>> log = AccessLog::Open(Options(dir.File("a.log")), nullptr);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  for (int i = 0; i < 5; ++i) (*log)->Write(ARecord());
  (*log)->Stop();
  const std::vector<std::string> lines = Lines(dir.File("a.log"));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], Line(ARecord(), AccessLogFormat::kCombined));
  EXPECT_EQ((*log)->lines(), 5u);
  EXPECT_EQ((*log)->dropped(), 0u);
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("a.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777 & ~0640u, 0u);  // 0640 at most: nothing for others
}

#if defined(SHOAL_COUNT_ALLOCATIONS)
TEST(AccessLogTest, WriteAllocatesNothing) {
  TempDir dir;
  AccessQueueLimits limits;
  limits.max_records = 1000;
  limits.flush_interval = std::chrono::hours(1);  // the writer stays asleep until a quarter
  Result<std::unique_ptr<AccessLog>> log =
      AccessLog::Open(Options(dir.File("a.log")), nullptr, limits);
  ASSERT_TRUE(log.ok());
  const std::string target = "/v1/items/" + std::string(1000, '7');
  http::AccessRecord r = ARecord();
  r.target = {target, false};
  {
    const ::shoal::testing::CountThisThread allocations;
    for (int i = 0; i < 200; ++i) (*log)->Write(r);  // under a quarter: no wake-up either
    EXPECT_EQ(allocations.count(), 0u);
  }
  (*log)->Stop();
  EXPECT_EQ((*log)->lines(), 200u);
}
#endif

TEST(AccessLogTest, LinesArriveWithinTheFlushIntervalWithoutStop) {
  TempDir dir;
  Result<std::unique_ptr<AccessLog>> log = AccessLog::Open(Options(dir.File("a.log")), nullptr);
  ASSERT_TRUE(log.ok());
  (*log)->Write(ARecord());
  // The default interval is 100 ms; allow a loaded machine much more, but no Stop.
  EXPECT_TRUE(WaitFor([&] { return Lines(dir.File("a.log")).size() == 1; }));
}

TEST(AccessLogTest, AFullQueueDropsAndCountsAndNeverWaitsForTheWriter) {
  TempDir dir;
  const std::string fifo = dir.File("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  AccessQueueLimits limits;
  limits.max_records = 100;
  limits.flush_interval = 10ms;
  Result<std::unique_ptr<AccessLog>> opened = AccessLog::Open(Options(fifo), nullptr, limits);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  AccessLog& log = **opened;
  const int pipe_size = ::fcntl(reader, F_SETPIPE_SZ, 4096);
  ASSERT_GT(pipe_size, 0);

  // Lines of about 1.1 KB: ten of them cannot fit in the pipe, so the writer blocks in write().
  const std::string target = "/v1/items/" + std::string(1000, '7');
  http::AccessRecord r = ARecord();
  r.target = {target, false};
  for (int i = 0; i < 10; ++i) log.Write(r);
  ASSERT_TRUE(WaitFor([&] {
    int n = 0;
    return ::ioctl(reader, FIONREAD, &n) == 0 && n == pipe_size;
  }));
  // The writer is stuck. The queue takes at most 100 records; the rest are dropped at once.
  uint64_t written = 10;
  while (log.dropped() == 0 && written < 1000) {
    log.Write(r);
    ++written;
  }
  ASSERT_GT(log.dropped(), 0u);
  const uint64_t accepted_after_block = written - 10 - 1;
  EXPECT_LE(accepted_after_block, 100u);
  EXPECT_GE(accepted_after_block, 90u);  // only the 10 first lines could still be queued
  for (int i = 0; i < 50; ++i) log.Write(r);
  written += 50;
  EXPECT_EQ(log.dropped(), 51u);

  // Unblock: read everything; every line not dropped arrives, whole.
  std::string got;
  const uint64_t expect = written - log.dropped();
  ASSERT_TRUE(WaitFor([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(reader, buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
    return static_cast<uint64_t>(std::count(got.begin(), got.end(), '\n')) == expect;
  }));
  log.Stop();
  ::close(reader);
  EXPECT_EQ(log.lines(), expect);
  EXPECT_EQ(log.lines() + log.dropped(), written);
  EXPECT_EQ(got.substr(0, got.find('\n') + 1), Line(r, AccessLogFormat::kCombined));
}

TEST(AccessLogTest, ReopenWritesToTheNewFileAfterARename) {
  TempDir dir;
  MemoryLogger logger;
  Result<std::unique_ptr<AccessLog>> opened = AccessLog::Open(Options(dir.File("a.log")), &logger);
  ASSERT_TRUE(opened.ok());
  AccessLog& log = **opened;
  for (int i = 0; i < 3; ++i) log.Write(ARecord());
  ASSERT_TRUE(WaitFor([&] { return log.lines() == 3; }));
  std::filesystem::rename(dir.File("a.log"), dir.File("a.log.1"));  // logrotate
  log.Write(ARecord());  // still to the moved file: it is the one open until the reopen
  ASSERT_TRUE(WaitFor([&] { return log.lines() == 4; }));
  ASSERT_TRUE(log.Reopen().ok());
  for (int i = 0; i < 2; ++i) log.Write(ARecord());
  log.Stop();
  EXPECT_EQ(Lines(dir.File("a.log.1")).size(), 4u);
  EXPECT_EQ(Lines(dir.File("a.log")).size(), 2u);
  EXPECT_EQ(logger.Count("access", "reopened"), 1u);
}

TEST(AccessLogTest, AFailedReopenKeepsTheOldFileAndSaysSo) {
  TempDir dir;
  std::filesystem::create_directory(dir.File("logs"));
  MemoryLogger logger;
  Result<std::unique_ptr<AccessLog>> opened =
      AccessLog::Open(Options(dir.File("logs/a.log")), &logger);
  ASSERT_TRUE(opened.ok());
  AccessLog& log = **opened;
  std::filesystem::rename(dir.File("logs"), dir.File("moved"));  // the path is gone
  const Status s = log.Reopen();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("still writing to the file open before"), std::string::npos);
  EXPECT_EQ(logger.Count("access", "cannot reopen"), 1u);
  log.Write(ARecord());
  log.Stop();
  EXPECT_EQ(Lines(dir.File("moved/a.log")).size(), 1u);
}

TEST(AccessLogTest, AFileThatCannotBeOpenedIsAnErrorNamingTheConfigLine) {
  TempDir dir;
  Result<std::unique_ptr<AccessLog>> log =
      AccessLog::Open(Options(dir.File("missing/a.log")), nullptr);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().message(), "shoal.yaml:7: log.access.path: cannot open " +
                                        dir.File("missing/a.log") +
                                        " for appending: No such file or directory");
}

TEST(AccessLogTest, StdoutIsWrittenAndReopenIsANoOp) {
  Result<std::unique_ptr<AccessLog>> log = AccessLog::Open(Options("stdout"), nullptr);
  ASSERT_TRUE(log.ok());
  ::testing::internal::CaptureStdout();  // gtest's own: redirects descriptor 1
  (*log)->Write(ARecord());
  EXPECT_TRUE((*log)->Reopen().ok());
  (*log)->Stop();
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), Line(ARecord(), AccessLogFormat::kCombined));
}

// ---- the config's log.access section ----

constexpr const char* kBase = testing::kMinimalConfig;

Result<Config> WithLog(std::string_view log_section) {
  return ParseConfig(std::string(kBase) + std::string(log_section), "conf/shoal.yaml");
}

TEST(AccessLogConfigTest, PathIsRelativeToTheConfigAndFormatDefaultsToCombined) {
  Result<Config> c = WithLog("log:\n  level: warn\n  access: { path: logs/access.log }\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_log.path, "conf/logs/access.log");
  EXPECT_EQ(c->access_log.format, AccessLogFormat::kCombined);
  EXPECT_EQ(c->access_log.line, 10);
  EXPECT_EQ(c->access_log.file, "conf/shoal.yaml");

  c = WithLog("log:\n  access:\n    path: /var/log/shoal/access.log\n    format: json\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_log.path, "/var/log/shoal/access.log");
  EXPECT_EQ(c->access_log.format, AccessLogFormat::kJson);

  c = WithLog("log:\n  access: { path: stdout, format: json }\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_log.path, "stdout");

  c = WithLog("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_log.path, "");  // no access log
}

TEST(AccessLogConfigTest, MistakesNameTheLine) {
  auto error = [](std::string_view section) {
    Result<Config> c = WithLog(section);
    return c.ok() ? std::string("(accepted)") : std::string(c.status().message());
  };
  EXPECT_EQ(error("log:\n  access: { path: a.log, format: apache }\n"),
            "conf/shoal.yaml:9: log.access.format: expected combined or json, got 'apache'");
  EXPECT_EQ(error("log:\n  access: { path: a.log, rotate: daily }\n"),
            "conf/shoal.yaml:9: log.access: unknown key 'rotate' (known: path, format)");
  EXPECT_EQ(error("log:\n  access: { format: json }\n"),
            "conf/shoal.yaml:9: log.access: needs 'path' (a file, or stdout)");
  EXPECT_EQ(error("log:\n  access: a.log\n"),
            "conf/shoal.yaml:9: log.access: expected a mapping such as { path: access.log, "
            "format: combined }");
  EXPECT_EQ(error("log:\n  acces: { path: a.log }\n").substr(0, 18), "conf/shoal.yaml:9:");
}

}  // namespace
}  // namespace shoal::cli

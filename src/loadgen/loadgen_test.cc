// loadgen against a real http::Server on loopback: every answer is counted in its window, the
// ramp starts the users it promises, the rate bound holds, 5xx and timeouts are reported, and
// the JSON and SVG reports are well formed.
#include "loadgen/loadgen.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "api/json_check.h"
#include "base/bytes.h"
#include "http/handler.h"
#include "http/server.h"

namespace shoal::loadgen {
namespace {

using namespace std::chrono_literals;

// Handler answers /ok with 200, /gone with 404, /fail with 503, and never answers /hang.
class Handler : public http::Handler {
 public:
  void Handle(const http::Request& request, http::Exchange& exchange) override {
    ++requests;
    if (request.path == "/hang") {
      parked.push_back(exchange.Defer());  // answered at shutdown only
      return;
    }
    http::Response r;
    r.status = request.path == "/ok" ? 200 : request.path == "/gone" ? 404 : 503;
    r.SetBody(Bytes::Copy("{\"ok\":true}"));
    exchange.Reply(std::move(r));
  }
  std::atomic<uint64_t> requests{0};
  std::vector<http::ReplyLater> parked;  // only the one event loop touches it
};

class LoadgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions o;
    o.port = 0;
    o.threads = 1;
    o.request_timeout = 1s;  // /hang gets its 503 then, so that Stop's drain is quick
    server_ = std::make_unique<http::Server>(o, handler_);
    ASSERT_TRUE(server_->Start().ok());
    runner_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    server_->Stop();
    runner_.join();
  }
  Options Base(std::vector<std::string> paths) {
    Options o;
    o.port = server_->port();
    o.paths = std::move(paths);
    o.users = 4;
    o.ramp = 200ms;
    o.hold = 300ms;
    o.step = 100ms;
    o.timeout = 500ms;
    return o;
  }

  Handler handler_;
  std::unique_ptr<http::Server> server_;
  std::thread runner_;
};

TEST_F(LoadgenTest, CountsEveryAnswerAndRampsTheUsers) {
  Options o = Base({"/ok", "/gone"});
  size_t windows = 0;
  Result<Report> r = loadgen::Run(o, [&windows](const Window&) { ++windows; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->steps.size(), windows);
  EXPECT_EQ(r->steps.size(), 5u);  // 500 ms in 100 ms windows
  EXPECT_EQ(r->total.users, 4u);
  EXPECT_LE(r->steps.front().users, 3u);  // the ramp had not started them all by 100 ms
  uint64_t hits = 0;
  for (const Window& w : r->steps) hits += w.hits;
  EXPECT_EQ(hits, r->total.hits);
  EXPECT_GT(r->total.hits, 100u);
  // Every answer the server gave was counted (a 404 is an answer, not an error); at most
  // one request per user may have been cut off by the end of the run.
  EXPECT_LE(r->total.hits, handler_.requests.load());
  EXPECT_GE(r->total.hits + o.users, handler_.requests.load());
  EXPECT_EQ(r->total.errors, 0u);
  EXPECT_EQ(r->total.timeouts, 0u);
  EXPECT_GT(r->total.p99_ms, 0);
  EXPECT_LE(r->total.p50_ms, r->total.p99_ms);
  EXPECT_LE(r->total.p99_ms, r->total.max_ms);
  EXPECT_TRUE(api::IsValidJson(ToJson(o, *r)));
  const std::string svg = ToSvg(*r, "a <title> & more");
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("a &lt;title> &amp; more"), std::string::npos);
}

TEST_F(LoadgenTest, TheRateBoundHolds) {
  Options o = Base({"/ok"});
  o.rate = 200;  // over 0.5 s: about 100 requests, however fast the server is
  Result<Report> r = loadgen::Run(o, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_GE(r->total.hits, 80u);
  EXPECT_LE(r->total.hits, 115u);
}

TEST_F(LoadgenTest, ServerErrorsAndTimeoutsAreReported) {
  Options o = Base({"/fail", "/hang"});
  o.timeout = 100ms;
  Result<Report> r = loadgen::Run(o, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->total.errors, 0u);
  EXPECT_GT(r->total.timeouts, 0u);
  EXPECT_EQ(r->total.hits, 0u);
  EXPECT_FALSE(r->total.first_error.empty());
}

}  // namespace
}  // namespace shoal::loadgen

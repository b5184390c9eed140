// Process tests of config reload (issue 16, item 2): the real shoal over the demo catalog,
// SIGHUP sent by pid and POST /_shoal/reload, while clients keep their keep-alive connections
// busy. What they prove: no request fails across 20 reloads that add and remove an endpoint,
// change a ttl and change a query; an unchanged endpoint's entry is still a HIT after a reload
// and a changed query's entry is a MISS; a broken config (bad YAML, an unknown key, SQL the
// store refuses) is refused with FILE:LINE in the log and the POST's body, and the node keeps
// serving the old endpoints; the POST needs the admin token, and a reload changes the token; a
// restart-only change is named in the log.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>

#include "catalog_suite.h"
#include "http_client.h"

namespace shoal::testing {
namespace {

constexpr std::string_view kToken = "a-reload-token-of-some-length";

// The endpoint the reloads add and remove.
constexpr std::string_view kExtraEndpoint =
    "  - route: /v1/extra/{id:int}\n"
    "    query: SELECT id, title FROM items WHERE id = :id\n"
    "    result: one\n"
    "    ttl: 60s\n";

struct Variant {
  bool extra = false;                  // the added endpoint is there
  std::string categories_ttl = "10s";  // the categories endpoint's ttl
  bool items_query_b = false;          // the items endpoint's query, another text
  std::string token = std::string(kToken);
  std::string tail;  // appended after the admin section (e.g. a restart-only change)
};

class ReloadTest : public CatalogSuite<200> {
 protected:
  void SetUp() override { file_ = dir_->File("reload-" + std::to_string(++configs_) + ".yaml"); }

  // Text is the example config changed as `v` says.
  static std::string Text(const Variant& v) {
    Result<std::string> base = ExampleConfig(db_);
    EXPECT_TRUE(base.ok());
    std::string text = base.ok() ? *base : "";
    Replace(&text, "    ttl: 10s", "    ttl: " + v.categories_ttl);
    if (v.items_query_b) Replace(&text, "FROM items WHERE id = :id", "FROM items WHERE :id = id");
    if (!text.empty() && text.back() != '\n') text += '\n';
    if (v.extra) text += kExtraEndpoint;
    text += "admin:\n  token: " + v.token + "\n" + v.tail;
    return text;
  }

  static void Replace(std::string* text, std::string_view from, const std::string& to) {
    const size_t at = text->find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text->replace(at, from.size(), to);
  }

  void Write(const std::string& text) const {
    // Write aside and rename, as an editor or a config manager does: the node never reads half.
    const std::string tmp = file_ + ".tmp";
    dir_->Write(tmp.substr(dir_->path().size() + 1), text);
    ASSERT_EQ(std::rename(tmp.c_str(), file_.c_str()), 0);
  }

  std::unique_ptr<ShoalProcess> Start(const Variant& v) {
    Write(Text(v));
    Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(file_);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(p).value() : nullptr;
  }

  // Count is how many times `text` occurs in the node's output.
  static size_t Count(const ShoalProcess& node, std::string_view text) {
    const std::string out = node.Output();
    size_t n = 0;
    for (size_t at = out.find(text); at != std::string::npos; at = out.find(text, at + 1)) ++n;
    return n;
  }

  // WaitCount waits until `text` occurs at least `n` times in the node's output. The output
  // reaches the test through a pipe, so a log line may arrive after the answer it belongs to.
  static bool WaitCount(const ShoalProcess& node, std::string_view text, size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (Count(node, text) < n) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Hup sends SIGHUP and waits for the log line of one more reload, done or refused.
  static bool Hup(ShoalProcess& node) {
    const size_t before = Count(node, "reloaded ") + Count(node, "reload refused");
    node.Signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Count(node, "reloaded ") + Count(node, "reload refused") > before) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  static Result<HttpResponse> Post(uint16_t port, std::string_view path, std::string_view token) {
    Result<HttpClient> c = HttpClient::Connect(port);
    if (!c.ok()) return c.status();
    std::string req = "POST " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + std::string(token) + "\r\n";
    req += "Content-Length: 0\r\n\r\n";
    if (Status s = c->Send(req); !s.ok()) return s;
    return c->Read();
  }

  static std::string XCache(HttpClient& c, std::string_view target) {
    Result<HttpResponse> r = c.Get(target);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return "";
    EXPECT_EQ(r->status, 200) << target << ": " << r->body;
    return r->Header("X-Cache");
  }

  std::string file_;
  inline static int configs_ = 0;
};

// The load: `threads` clients, each on one keep-alive connection, asking for items, reviews,
// a missing item and the endpoint the reloads add and remove. A failure is any connection
// error or an answer other than the one expected (200, 404 for the missing item, 200 or 404
// for the endpoint that comes and goes).
class Load {
 public:
  Load(uint16_t port, int threads) {
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, port, t] { Run(port, t); });
    }
  }
  ~Load() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  uint64_t requests() const { return requests_; }
  uint64_t failures() const { return failures_; }
  // first_failure: after Stop.
  std::string first_failure() const { return first_failure_; }

 private:
  void Fail(const std::string& what) {
    if (failures_.fetch_add(1) == 0) first_failure_ = what;
  }
  void Run(uint16_t port, int t) {
    Result<HttpClient> c = HttpClient::Connect(port);
    if (!c.ok()) return Fail("connect: " + c.status().ToString());
    for (uint64_t i = 0; !stop_; ++i) {
      const int id = static_cast<int>((i * 7 + static_cast<uint64_t>(t) * 13) % 200) + 1;
      std::string target;
      bool maybe_404 = false, must_404 = false;
      switch (i % 4) {
        case 0:
          target = "/v1/items/" + std::to_string(id);
          break;
        case 1:
          target = "/v1/items/" + std::to_string(id) + "/reviews";
          break;
        case 2:
          target = "/v1/items/" + std::to_string(100000 + id);
          must_404 = true;
          break;
        default:
          target = "/v1/extra/" + std::to_string(id);
          maybe_404 = true;
          break;
      }
      Result<HttpResponse> r = c->Get(target);
      ++requests_;
      if (!r.ok()) return Fail(target + ": " + r.status().ToString());
      const bool ok =
          must_404 ? r->status == 404 : (r->status == 200 || (maybe_404 && r->status == 404));
      if (!ok) Fail(target + ": " + std::to_string(r->status) + " " + r->body);
    }
  }

  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0}, failures_{0};
  std::string first_failure_;  // written once, by the first failure, read after Stop
};

TEST_F(ReloadTest, TwentyReloadsUnderLoadFailNoRequest) {
  Variant v;
  std::unique_ptr<ShoalProcess> node = Start(v);
  ASSERT_NE(node, nullptr);
  Result<HttpClient> probe = HttpClient::Connect(node->port());
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(XCache(*probe, "/v1/items/7"), "MISS");
  EXPECT_EQ(XCache(*probe, "/v1/items/7/reviews"), "MISS");

  Load load(node->port(), 4);
  uint64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    switch (i % 3) {
      case 0:
        v.extra = !v.extra;  // add (or remove) an endpoint
        break;
      case 1:
        v.categories_ttl = v.categories_ttl == "10s" ? "11s" : "10s";  // a ttl
        break;
      default:
        v.items_query_b = !v.items_query_b;  // a query
        break;
    }
    Write(Text(v));
    ASSERT_TRUE(Hup(*node)) << "reload " << i << " logged nothing:\n" << node->Output();
    // Let the load run between reloads, and check that it does.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (load.requests() < last + 50 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    last = load.requests();
  }
  load.Stop();
  EXPECT_EQ(Count(*node, "reloaded "), 20u) << node->Output();
  EXPECT_EQ(Count(*node, "reload refused"), 0u) << node->Output();
  EXPECT_EQ(load.failures(), 0u) << load.first_failure();
  EXPECT_GT(load.requests(), 400u);
  std::printf("reload_test: %llu requests over 20 reloads, %llu failed\n",
              static_cast<unsigned long long>(load.requests()),
              static_cast<unsigned long long>(load.failures()));

  // An unchanged endpoint keeps its entries; a changed query loses them.
  // The reviews entry was made before the first reload; the items query changed meanwhile, so
  // its entry is made (again) now.
  EXPECT_EQ(XCache(*probe, "/v1/items/7/reviews"), "HIT");
  (void)XCache(*probe, "/v1/items/7");
  v.categories_ttl = v.categories_ttl == "10s" ? "11s" : "10s";
  Write(Text(v));
  ASSERT_TRUE(Hup(*node));
  EXPECT_EQ(XCache(*probe, "/v1/items/7"), "HIT") << "a ttl change elsewhere dropped it";
  EXPECT_EQ(XCache(*probe, "/v1/items/7/reviews"), "HIT");
  v.items_query_b = !v.items_query_b;
  Write(Text(v));
  ASSERT_TRUE(Hup(*node));
  EXPECT_EQ(XCache(*probe, "/v1/items/7"), "MISS") << "a changed query kept its entry";
  EXPECT_EQ(XCache(*probe, "/v1/items/7/reviews"), "HIT");
  EXPECT_NE(node->Output().find("endpoint /v1/items/{id:int} answer changed (query)"),
            std::string::npos)
      << node->Output();

  Result<HttpResponse> metrics = probe->Get("/_shoal/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("shoal_reloads_total{result=\"ok\"} 22\n"), std::string::npos)
      << metrics->body;
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

TEST_F(ReloadTest, ABrokenConfigIsRefusedAndTheOldOneKeepsServing) {
  Variant v;
  std::unique_ptr<ShoalProcess> node = Start(v);
  ASSERT_NE(node, nullptr);
  Result<HttpClient> c = HttpClient::Connect(node->port());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(XCache(*c, "/v1/items/9"), "MISS");

  const std::string good = Text(v);
  Variant with_extra = v;
  with_extra.extra = true;
  struct Broken {
    std::string name, text, expect;
  };
  // Each adds the extra endpoint too: a refused reload must not add it.
  const std::vector<Broken> broken = {
      {"bad YAML", Text(with_extra) + "cache: [unclosed\n", file_ + ":"},
      {"unknown key", Text(with_extra) + "log:\n  colour: red\n", "unknown key 'colour'"},
      {"bad SQL",
       [&] {
         std::string t = Text(with_extra);
         Replace(&t, "SELECT id, title FROM items", "SELECT id, title FROM no_such_table");
         return t;
       }(),
       "query does not prepare"},
  };
  size_t refused = 0;
  for (const Broken& b : broken) {
    SCOPED_TRACE(b.name);
    Write(b.text);
    ASSERT_TRUE(Hup(*node));
    const std::string out = node->Output();
    const size_t at = out.rfind("reload refused");
    ASSERT_NE(at, std::string::npos) << out;
    const std::string line = out.substr(at, out.find('\n', at) - at);
    EXPECT_NE(line.find(file_ + ":"), std::string::npos) << line;  // FILE:LINE
    EXPECT_NE(line.find(b.expect), std::string::npos) << line;
    // The old config keeps serving: the old endpoints and their entries, not the new one.
    EXPECT_EQ(XCache(*c, "/v1/items/9"), "HIT");
    Result<HttpResponse> extra = c->Get("/v1/extra/9");
    ASSERT_TRUE(extra.ok());
    EXPECT_EQ(extra->status, 404);
    // The POST says the same, with a 422.
    Result<HttpResponse> post = Post(node->port(), "/_shoal/reload", kToken);
    ASSERT_TRUE(post.ok()) << post.status().ToString();
    EXPECT_EQ(post->status, 422) << post->body;
    EXPECT_NE(post->body.find("\"reloaded\":false"), std::string::npos) << post->body;
    EXPECT_NE(post->body.find(file_ + ":"), std::string::npos) << post->body;
    // The POST logs its refusal too; wait for that line, or the next Hup would take it for its own.
    refused += 2;
    ASSERT_TRUE(WaitCount(*node, "reload refused", refused)) << node->Output();
  }
  Write(Text(with_extra));
  ASSERT_TRUE(Hup(*node));
  Result<HttpResponse> extra = c->Get("/v1/extra/9");
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->status, 200) << extra->body;
  Result<HttpResponse> metrics = c->Get("/_shoal/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("shoal_reloads_total{result=\"failed\"} 6\n"), std::string::npos)
      << metrics->body;
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

TEST_F(ReloadTest, PostReloadNeedsTheTokenAndAReloadChangesIt) {
  Variant v;
  std::unique_ptr<ShoalProcess> node = Start(v);
  ASSERT_NE(node, nullptr);
  const uint16_t port = node->port();
  Result<HttpResponse> r = Post(port, "/_shoal/reload", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);
  r = Post(port, "/_shoal/reload", "not-the-token-at-all-no");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401);

  v.extra = true;
  v.token = "the-next-token-of-some-length";
  Write(Text(v));
  r = Post(port, "/_shoal/reload", kToken);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"reloaded\":true"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("endpoint /v1/extra/{id:int} added"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("admin.token"), std::string::npos) << r->body;
  EXPECT_EQ(r->body.find(v.token), std::string::npos) << "the body shows the token";
  EXPECT_NE(r->body.find("\"restart_needed\":[]"), std::string::npos) << r->body;

  r = Post(port, "/_shoal/reload", kToken);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 401) << "the old token still works";
  r = Post(port, "/_shoal/reload", v.token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"changed\":[]"), std::string::npos) << r->body;
  Result<HttpResponse> get = Post(port, "/_shoal/purge", v.token);  // the token opens purge too
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->status, 400);  // no body: past the token check

  // log.level changes live: at error, the next reload's info line is not written.
  v.tail = "log:\n  level: error\n";
  Write(Text(v));
  r = Post(port, "/_shoal/reload", v.token);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->body.find("\"log.level\""), std::string::npos) << r->body;
  // Three reloads logged so far (the last one before its new level took effect).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Count(*node, "reloaded ") < 3 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(Count(*node, "reloaded "), 3u) << node->Output();
  r = Post(port, "/_shoal/reload", v.token);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // time for a line to arrive
  EXPECT_EQ(Count(*node, "reloaded "), 3u) << node->Output();
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

TEST_F(ReloadTest, ARestartOnlyChangeIsNamedAndTheRestApplies) {
  Variant v;
  std::unique_ptr<ShoalProcess> node = Start(v);
  ASSERT_NE(node, nullptr);
  v.extra = true;
  v.tail = "metrics:\n  cache: 2s\n";
  std::string text = Text(v);
  Replace(&text, "listen: 127.0.0.1:0", "listen: 127.0.0.1:1");
  Replace(&text, "memory: 256MiB", "memory: 128MiB");
  Write(text);
  Result<HttpResponse> r = Post(node->port(), "/_shoal/reload", kToken);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find(R"("restart_needed":["listen","cache.memory","metrics"])"),
            std::string::npos)
      << r->body;
  // The log line was written before the answer, but reaches Output() through a pipe.
  const std::string line = "listen; cache.memory; metrics changed in " + file_;
  EXPECT_TRUE(node->WaitForOutput(line, std::chrono::seconds(10)));
  const std::string out = node->Output();
  const size_t at = out.find(line);
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_NE(out.find("only at a restart", at), std::string::npos) << out;
  // The rest applied, on the port the node started with.
  Result<HttpClient> c = HttpClient::Connect(node->port());
  ASSERT_TRUE(c.ok());
  Result<HttpResponse> extra = c->Get("/v1/extra/9");
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(extra->status, 200) << extra->body;
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

TEST_F(ReloadTest, IgnoreParamsApplyOnReload) {
  Variant v;
  std::unique_ptr<ShoalProcess> node = Start(v);
  ASSERT_NE(node, nullptr);
  const std::string target = "/v1/items/1/reviews?limit=3&utm_source=news";
  const auto status = [&node](const std::string& t) {
    Result<HttpClient> c = HttpClient::Connect(node->port());
    EXPECT_TRUE(c.ok());
    Result<HttpResponse> r = c.ok() ? c->Get(t) : Result<HttpResponse>(c.status());
    return r.ok() ? r->status : 0;
  };
  EXPECT_EQ(status(target), 400);  // not ignored yet: an unknown parameter
  v.tail = "ignore_params: [\"utm_*\"]\n";
  Write(Text(v));
  ASSERT_TRUE(Hup(*node));
  EXPECT_NE(node->Output().find("reloaded "), std::string::npos) << node->Output();
  EXPECT_EQ(node->Output().find("only at a restart"), std::string::npos) << node->Output();
  EXPECT_EQ(status(target), 200);
  // And away again: the parameter is unknown once more.
  v.tail.clear();
  Write(Text(v));
  ASSERT_TRUE(Hup(*node));
  EXPECT_EQ(status(target), 400);
  EXPECT_EQ(node->Stop(), 0) << node->Output();
}

}  // namespace
}  // namespace shoal::testing

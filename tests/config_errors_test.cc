// Process tests of the command line: `shoal check-config` names FILE:LINE for each kind of
// config error and accepts the example config; `shoal serve` refuses a bad config with the
// same message; help and unknown commands exit as documented.
//
// Each bad config is the good one below with one line replaced, so the expected line is
// found by searching the text for the replaced line, never counted by hand.
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog_db.h"
#include "http_client.h"
#include "shoal_process.h"

namespace shoal::testing {
namespace {

// The config every case starts from; DB is replaced by the catalog path.
constexpr std::string_view kGood = R"(# a config for check-config tests
listen: 127.0.0.1:0
store:
  sqlite: { path: "DB" }
  timeout: 2s
cache:
  memory: 64MiB
  grace: 1m
endpoints:
  - route: /v1/items/{id:int}
    query: SELECT id, title, tags FROM items WHERE id = :id
    result: one
    json: [tags]
    ttl: 60s
  - route: /v1/items/{id:int}/reviews
    query: SELECT review_id, stars FROM reviews WHERE item_id = :id LIMIT :limit
    params:
      limit: { type: int, default: 10, min: 1, max: 50 }
    result: many
    ttl: 30s
)";

// LineOf is the 1-based line of the first line of `text` that contains `needle`; 0 if none.
int LineOf(std::string_view text, std::string_view needle) {
  const size_t at = text.find(needle);
  if (at == std::string_view::npos) return 0;
  int line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class ConfigErrorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    db_ = dir_->File("catalog.db");
    Status s = MakeCatalog(db_, 50);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Good() { return Replace(std::string(kGood), "\"DB\"", "\"" + db_ + "\""); }

  inline static TempDir* dir_ = nullptr;
  inline static std::string db_;
};

struct BadCase {
  std::string name;
  std::string from;     // a line (part) of the good config
  std::string to;       // what replaces it
  std::string at_line;  // text of the line the message must name (in the bad config)
  std::string says;     // a part of the message
};

TEST_F(ConfigErrorsTest, CheckConfigNamesFileAndLineOfEachError) {
  const std::vector<BadCase> cases = {
      {"unknown top-level key", "cache:\n", "colour: blue\ncache:\n", "colour: blue",
       "unknown key 'colour'"},
      {"unknown endpoint key", "    result: many\n", "    result: many\n    cache_for: 5s\n",
       "cache_for: 5s", "unknown key 'cache_for'"},
      {"bad duration", "    ttl: 30s", "    ttl: 30 seconds", "ttl: 30 seconds", "ttl"},
      {"bad store timeout", "  timeout: 2s", "  timeout: soon", "timeout: soon", "store.timeout"},
      {"bad size", "  memory: 64MiB", "  memory: lots", "memory: lots", "cache.memory"},
      {"store page cache under 1 KiB", "\" }\n  timeout", "\", page_cache: 512B }\n  timeout",
       "page_cache: 512B", "store.sqlite.page_cache: must be 1KiB..1GiB"},
      {"store page cache not a size", "\" }\n  timeout", "\", page_cache: big }\n  timeout",
       "page_cache: big", "store.sqlite.page_cache"},
      {"size with an unknown unit", "  memory: 64MiB", "  memory: 64MiBs", "memory: 64MiBs",
       "cache.memory"},
      {"param the query does not use", "WHERE item_id = :id LIMIT :limit",
       "WHERE item_id = :id LIMIT 10", "limit: { type: int", "'limit' is not used by the query"},
      {"unknown column in json", "json: [tags]", "json: [tagz]", "- route: /v1/items/{id:int}\n",
       "json column 'tagz'"},
      {"query syntax error", "query: SELECT id, title, tags FROM items",
       "query: SELEC id, title, tags FROM items", "- route: /v1/items/{id:int}\n", "syntax error"},
      {"query on an unknown column", "query: SELECT id, title, tags FROM items",
       "query: SELECT id, titel, tags FROM items", "- route: /v1/items/{id:int}\n",
       "no such column: titel"},
      {"ignore_params matching a query parameter", "    result: many\n",
       "    result: many\n    ignore_params: [ref, \"lim*\"]\n", "ignore_params: [ref",
       "'lim*' matches the parameter 'limit'"},
      {"top-level ignore_params matching a route parameter", "cache:\n",
       "ignore_params: [utm_*, \"i?\"]\ncache:\n", "ignore_params: [utm_*",
       "'i?' matches the parameter 'id'"},
      {"bad ignore_params pattern", "cache:\n", "ignore_params:\n  - \"utm_[a]\"\ncache:\n",
       "- \"utm_[a]\"", "ignore_params: bad pattern 'utm_[a]'"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string text = Replace(Good(), c.from, c.to);
    ASSERT_NE(text, Good()) << "the case does not change the config";
    const int line = LineOf(text, c.at_line);
    ASSERT_GT(line, 0);
    const std::string file = dir_->Write("bad.yaml", text);
    const RunResult r = RunShoal({"check-config", "-c", file});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string where = file + ":" + std::to_string(line) + ": ";
    EXPECT_NE(r.err.find(where), std::string::npos) << "want " << where << "\ngot " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << "want " << c.says << "\ngot " << r.err;
    EXPECT_EQ(r.out.find(": ok"), std::string::npos) << r.out;

    // serve refuses it with the same message, and never starts listening.
    const RunResult serve = RunShoal({"serve", "-c", file});
    EXPECT_NE(serve.exit_code, 0) << serve.err;
    EXPECT_NE(serve.exit_code, -1) << "serve did not exit on a bad config";
    std::string first_line = r.err.substr(0, r.err.find('\n'));
    EXPECT_NE(serve.err.find(first_line), std::string::npos)
        << "check-config: " << r.err << "\nserve: " << serve.err;
    EXPECT_EQ(serve.err.find("shoal: serving"), std::string::npos) << serve.err;
  }
}

// yaml-cpp finds an unclosed flow sequence where the next token should close it: the line of
// the error or the one after. Either is fine; a message without a line is not.
TEST_F(ConfigErrorsTest, YamlSyntaxErrorNamesALine) {
  const std::string text = Replace(Good(), "  grace: 1m", "  grace: [1m");
  const int line = LineOf(text, "grace: [1m");
  const std::string file = dir_->Write("syntax.yaml", text);
  const RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const bool named = r.err.find(file + ":" + std::to_string(line) + ": ") != std::string::npos ||
                     r.err.find(file + ":" + std::to_string(line + 1) + ": ") != std::string::npos;
  EXPECT_TRUE(named) << r.err;
}

// The message for a database file that does not exist should name the line of the path,
// like every other config error (config.h: "Every error names the file and line").
TEST_F(ConfigErrorsTest, MissingDatabaseNamesTheLineOfItsPath) {
  const std::string missing = dir_->File("no-such-dir/missing.db");
  const std::string text = Replace(Good(), db_, missing);
  const std::string file = dir_->Write("missing-db.yaml", text);
  const RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("missing.db"), std::string::npos) << r.err;
  const std::string where = file + ":" + std::to_string(LineOf(text, "sqlite:")) + ": ";
  EXPECT_NE(r.err.find(where), std::string::npos) << "want " << where << "\ngot " << r.err;

  const RunResult serve = RunShoal({"serve", "-c", file});
  EXPECT_EQ(serve.exit_code, 1) << serve.err;
  EXPECT_NE(serve.err.find("missing.db"), std::string::npos) << serve.err;
  EXPECT_FALSE(std::filesystem::exists(missing)) << "the store must not create the file";
}

TEST_F(ConfigErrorsTest, MissingConfigFileIsAnError) {
  const RunResult r = RunShoal({"check-config", "-c", dir_->File("nope.yaml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nope.yaml"), std::string::npos) << r.err;
}

TEST_F(ConfigErrorsTest, ExampleConfigIsOk) {
  Result<std::string> example = ExampleConfig(db_);
  ASSERT_TRUE(example.ok()) << example.status().ToString();
  const std::string file = dir_->Write("example.yaml", *example);
  const RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind(file + ": ok", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("3 endpoints"), std::string::npos) << r.out;
}

// store.sqlite.page_cache (a size per connection) is accepted; its refusals are cases above.
TEST_F(ConfigErrorsTest, StorePageCacheIsAccepted) {
  const std::string text = Replace(Good(), "\" }\n  timeout", "\", page_cache: 64KiB }\n  timeout");
  ASSERT_NE(text, Good());
  const std::string file = dir_->Write("page_cache.yaml", text);
  const RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind(file + ": ok", 0), 0u) << r.out;
}

TEST_F(ConfigErrorsTest, RelativeDatabasePathIsRelativeToTheConfigFile) {
  std::filesystem::create_directories(dir_->File("conf"));
  const std::string file =
      dir_->Write("conf/shoal.yaml", Replace(Good(), "\"" + db_ + "\"", "../catalog.db"));
  const RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind(file + ": ok", 0), 0u) << r.out;
}

// Security review H3: a peer port without a secret that others could reach is refused by
// check-config and by serve, naming the line; cluster.insecure: true lets it start, with a
// warning at every start. Every node here listens on 127.0.0.1 only: what makes it
// "reachable" here is a peer beyond loopback, which it would call without a secret.
TEST_F(ConfigErrorsTest, PeerPortWithoutASecretBeyondLoopbackIsRefused) {
  for (const auto& [name, section, at] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"listen",
            "cluster:\n  self: 127.0.0.1:17071\n  peers: [127.0.0.1:17071]\n"
            "  listen: 0.0.0.0\n",
            "listen: 0.0.0.0"},
           {"self", "cluster:\n  self: 10.0.0.5:17071\n  peers: [10.0.0.5:17071]\n",
            "self: 10.0.0.5"}}) {
    SCOPED_TRACE(name);
    const std::string text = Good() + section;
    const std::string file = dir_->Write("h3.yaml", text);
    const std::string where = file + ":" + std::to_string(LineOf(text, at)) + ": cluster.";
    const RunResult r = RunShoal({"check-config", "-c", file});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find(where), std::string::npos) << "want " << where << "\ngot " << r.err;
    EXPECT_NE(r.err.find("cluster.insecure: true"), std::string::npos) << r.err;
    // (192.0.2.1 is TEST-NET-1: even a build that let it through could not bind it.)
    const RunResult serve = RunShoal({"serve", "-c", file}, std::chrono::seconds(10));
    EXPECT_EQ(serve.exit_code, 1) << serve.err;
    EXPECT_NE(serve.err.find(where), std::string::npos) << serve.err;
  }

  // insecure: true starts, with the warning, in check-config and at serve's start.
  const uint16_t peer = FreeLocalPort();
  const std::string self = "127.0.0.1:" + std::to_string(peer);
  const std::string text = Good() + "cluster:\n  self: " + self + "\n  peers: [" + self +
                           ", 10.255.255.1:7071]\n  insecure: true\n";
  const std::string file = dir_->Write("insecure.yaml", text);
  const std::string warning = file + ":" + std::to_string(LineOf(text, "insecure: true")) +
                              ": cluster.insecure: the peer port has no secret";
  const RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("warning: " + warning), std::string::npos) << r.err;
  Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(file);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_NE((*p)->Output().find("warning: " + warning), std::string::npos) << (*p)->Output();
  EXPECT_EQ((*p)->Stop(), 0) << (*p)->Output();
}

// Security review L3: check-config and serve warn when a file holding a secret can be read
// by its group or others; a file that takes the token from the environment is fine.
TEST_F(ConfigErrorsTest, ASecretInAReadableFileIsWarnedAbout) {
  const std::string file =
      dir_->Write("token.yaml", Good() + "admin:\n  token: an-admin-token-of-some-length\n");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  const std::string warning = "warning: " + file + ": holds a secret";
  RunResult r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find(warning), std::string::npos) << r.err;
  Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Serve(file);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_NE((*p)->Output().find(warning), std::string::npos) << (*p)->Output();
  EXPECT_EQ((*p)->Stop(), 0) << (*p)->Output();

  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  r = RunShoal({"check-config", "-c", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;

  // The token from the environment: no warning whatever the mode, and the token works.
  const std::string env_file =
      dir_->Write("token-env.yaml", Good() + "admin:\n  token_env: SHOAL_TEST_ADMIN_TOKEN\n");
  ASSERT_EQ(::chmod(env_file.c_str(), 0644), 0);
  ASSERT_EQ(::setenv("SHOAL_TEST_ADMIN_TOKEN", "token-from-the-environment", 1), 0);
  r = RunShoal({"check-config", "-c", env_file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  p = ShoalProcess::Serve(env_file);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  Result<HttpClient> c = HttpClient::Connect((*p)->port());
  ASSERT_TRUE(c.ok());
  const std::string body = R"({"endpoint": "/v1/items/{id:int}"})";
  ASSERT_TRUE(c->Send("POST /_shoal/purge HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
                      "token-from-the-environment\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body)
                  .ok());
  Result<HttpResponse> purge = c->Read();
  ASSERT_TRUE(purge.ok()) << purge.status().ToString();
  EXPECT_EQ(purge->status, 200) << purge->body;
  EXPECT_EQ((*p)->Stop(), 0) << (*p)->Output();
}

TEST(CommandLineTest, HelpExitsZeroWithUsage) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"-h"},
                                             {"help"},
                                             {"serve", "--help"},
                                             {"check-config", "--help"},
                                             {"demo", "--help"},
                                             {"help", "demo"}}) {
    std::string joined;
    for (const std::string& a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    const RunResult r = RunShoal(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("usage: shoal", 0), 0u) << r.out;
  }
  EXPECT_NE(RunShoal({"serve", "--help"}).out.find("-c, --config FILE"), std::string::npos);
  EXPECT_NE(RunShoal({"demo", "--help"}).out.find("--items N"), std::string::npos);
}

// Security review L5: a write to a closed pipe must fail with EPIPE, not kill the process
// (SIGPIPE's default action). shoal's stdout here is a pipe whose reader is gone; the child
// starts with SIGPIPE at its default whatever this process does with it.
TEST(CommandLineTest, AClosedStdoutDoesNotKillShoal) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ASSERT_EQ(posix_spawn_file_actions_init(&actions), 0);
  ASSERT_EQ(posix_spawn_file_actions_adddup2(&actions, fds[1], 1), 0);
  ASSERT_EQ(posix_spawnattr_init(&attr), 0);
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ASSERT_EQ(posix_spawnattr_setsigdefault(&attr, &pipe_only), 0);
  ASSERT_EQ(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF), 0);
  std::string bin = ShoalBinary(), help = "--help";
  char* argv[] = {bin.data(), help.data(), nullptr};
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, bin.c_str(), &actions, &attr, argv, environ), 0);
  ::close(fds[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  EXPECT_FALSE(WIFSIGNALED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_TRUE(WIFEXITED(status));
}

TEST(CommandLineTest, MisuseExitsTwo) {
  const RunResult unknown = RunShoal({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("usage: shoal"), std::string::npos) << unknown.err;

  EXPECT_EQ(RunShoal({}).exit_code, 2);
  EXPECT_EQ(RunShoal({"serve"}).exit_code, 2);                    // no -c
  EXPECT_EQ(RunShoal({"serve", "--bogus"}).exit_code, 2);         // unknown flag
  EXPECT_EQ(RunShoal({"demo", "--items", "zero"}).exit_code, 2);  // bad value
}

}  // namespace
}  // namespace shoal::testing

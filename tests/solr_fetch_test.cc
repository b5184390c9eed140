// `shoal solr-fetch` against a real Solr (label solr; the fixture, tests/lib/solr_test.h, says
// how the node is found). Each test indexes documents into its own core with multi-valued fields,
// dates, unicode and a large text field, and unloads the core at the end. A copy "opens" when a
// second core whose data directory is the copy answers the same count.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_client.h"
#include "shoal_process.h"
#include "solr/fetch.h"
#include "solr/lucene_footer.h"
#include "solr_test.h"

namespace shoal::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// HoldingProxy forwards TCP connections from a port of its own to 127.0.0.1:`target`, byte for
// byte, and runs `hook` once before it forwards the client bytes that hold the `nth` occurrence
// of `marker` (counted over every connection): the request waits while the hook changes the
// world behind it. One thread per connection; stopped and joined by the destructor.
class HoldingProxy {
 public:
  HoldingProxy(uint16_t target, std::string marker, int nth, std::function<void()> hook)
      : target_(target), marker_(std::move(marker)), nth_(nth), hook_(std::move(hook)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "proxy: cannot listen";
      return;
    }
    port_ = ntohs(a.sin_port);
    threads_.emplace_back([this] { Accept(); });
  }
  HoldingProxy(const HoldingProxy&) = delete;
  HoldingProxy& operator=(const HoldingProxy&) = delete;
  ~HoldingProxy() {
    stop_ = true;
    for (;;) {  // connection threads may still be added by Accept until it sees stop_
      std::thread t;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (threads_.empty()) break;
        t = std::move(threads_.back());
        threads_.pop_back();
      }
      t.join();
    }
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  bool held() const { return held_; }

 private:
  void Accept() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(target_);
      if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      threads_.emplace_back([this, client, server] { Pump(client, server); });
    }
  }
  // Pump copies both ways until either side closes or the proxy stops.
  void Pump(int client, int server) {
    std::string tail;  // the client's last bytes, for a marker split between reads
    char buffer[65536];
    while (!stop_) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      if (p[0].revents != 0) {
        const ssize_t n = ::read(client, buffer, sizeof buffer);
        if (n <= 0) break;
        tail.append(buffer, static_cast<size_t>(n));
        for (size_t at = tail.find(marker_); at != std::string::npos;
             at = tail.find(marker_, at + 1)) {
          if (++seen_ == nth_) {
            hook_();
            held_ = true;
          }
        }
        if (tail.size() >= marker_.size()) tail.erase(0, tail.size() - marker_.size() + 1);
        if (!WriteAll(server, buffer, static_cast<size_t>(n))) break;
      }
      if (p[1].revents != 0) {
        const ssize_t n = ::read(server, buffer, sizeof buffer);
        if (n <= 0) break;
        if (!WriteAll(client, buffer, static_cast<size_t>(n))) break;
      }
    }
    ::close(client);
    ::close(server);
  }
  static bool WriteAll(int fd, const char* data, size_t size) {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }

  const uint16_t target_;
  const std::string marker_;
  const int nth_;
  const std::function<void()> hook_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> seen_{0};
  std::atomic<bool> held_{false};
  std::mutex mu_;
  std::vector<std::thread> threads_;  // guarded by mu_
};

class SolrFetchTest : public SolrTest {
 protected:
  SolrFetchTest() : SolrTest("fetch") {}

  // Index adds `n` documents from `first` on and commits (a new generation).
  void Index(int first, int n, const std::string& core = "") {
    std::string docs = "[";
    for (int i = first; i < first + n; ++i) {
      if (i > first) docs += ",";
      const std::string id = "doc-" + std::to_string(i);
      std::string big;
      if (i % 97 == 0) big.assign(60000, static_cast<char>('a' + i % 26));  // a large text field
      docs += "{\"id\":\"" + id + "\",\"title\":\"Caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac " + id +
              " \xf0\x9f\x90\x9f\",\"body\":\"" + big + " text " + std::to_string(i * 31) +
              "\",\"tags\":[\"t" + std::to_string(i % 5) + "\",\"t" + std::to_string(i % 7) +
              "\"],\"published\":\"2026-0" + std::to_string(1 + i % 9) + "-1" +
              std::to_string(i % 10) + "T08:30:00Z\",\"price\":" + std::to_string(i % 1000) +
              ".25,\"stock\":" + std::to_string(i % 50) +
              ",\"active\":" + (i % 2 == 0 ? "true" : "false") + "}";
    }
    docs += "]";
    Result<HttpResponse> r = Call(
        "POST", "/solr/" + (core.empty() ? core_ : core) + "/update?commit=true&wt=json", docs);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << r->body;
  }

  int64_t Count(const std::string& core) {
    Result<HttpResponse> r = Call("GET", "/solr/" + core + "/select?q=*:*&rows=0&wt=json");
    if (!r.ok() || r->status != 200) return -1;
    return json::parse(r->body).at("response").at("numFound").as_int64();
  }

  RunResult Fetch(const std::string& out, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"solr-fetch", url_, "--core", core_, "--out", out, "--json"};
    args.insert(args.end(), more.begin(), more.end());
    return RunShoal(args, std::chrono::seconds(120));
  }
  static json::object Summary(const RunResult& r) {
    json::value v = json::parse(r.out);
    return v.as_object();
  }

  // ExpectOpens checks that a core made on the copy counts `expected`: Solr's data directory is
  // the copy's parent, so the copy must be a directory named "index".
  void ExpectOpens(const std::string& index_dir, int64_t expected) {
    const std::string copy_core = core_ + "_copy";
    cores_.push_back(copy_core);
    const std::string data = fs::path(index_dir).parent_path().string();
    ASSERT_EQ(Admin("action=CREATE&name=" + copy_core + "&configSet=catalog&dataDir=" + data), 200);
    EXPECT_EQ(Count(copy_core), expected);
  }
};

TEST_F(SolrFetchTest, CopiesTheLatestIndexVerifiedAndTheCopyOpens) {
  Index(0, 3000);
  const std::string out = work_ + "/data/index";
  const RunResult r = Fetch(out, {"--conf", "--parallel", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json::object s = Summary(r);
  EXPECT_EQ(s.at("ok").as_bool(), true);
  EXPECT_GT(s.at("files").as_int64(), 3);
  EXPECT_EQ(s.at("files_fetched").as_int64(), s.at("files").as_int64());
  ASSERT_TRUE(fs::exists(out + "/" + solr::kManifestName));
  ASSERT_TRUE(fs::exists(out + "/conf/managed-schema.xml"));
  // Every index file the manifest lists is whole: its footer's CRC matches its bytes.
  const json::object manifest = json::parse(ReadFile(out + "/" + solr::kManifestName)).as_object();
  EXPECT_EQ(manifest.at("generation").as_int64(), s.at("generation").as_int64());
  int index_files = 0;
  for (const json::value& f : manifest.at("files").as_array()) {
    const std::string name(f.at("name").as_string());
    if (name.starts_with("conf/")) continue;
    ++index_files;
    const Status st =
        solr::CheckFooter(out + "/" + name, f.at("size").as_int64(), f.at("checksum").as_int64());
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_GT(index_files, 3);
  for (const auto& e : fs::directory_iterator(out)) {
    EXPECT_FALSE(e.path().string().ends_with(".part")) << e.path();
  }
  ExpectOpens(out, 3000);
}

TEST_F(SolrFetchTest, AnInterruptedCopyResumesWithoutFetchingCompleteFilesAgain) {
  Index(0, 2000);
  const std::string out = work_ + "/data/index";
  RunResult first = Fetch(out);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const int64_t files = Summary(first).at("files").as_int64();
  // Make it what a copy killed half-way leaves: no manifest, one file cut short as its .part,
  // one not begun.
  fs::remove(out + "/" + solr::kManifestName);
  std::vector<fs::path> bigs;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.file_size() > 4096) bigs.push_back(e.path());
  }
  ASSERT_GE(bigs.size(), 2u);
  const uint64_t half_size = fs::file_size(bigs[0]);
  fs::rename(bigs[0], bigs[0].string() + ".part");
  fs::resize_file(bigs[0].string() + ".part", half_size / 2);
  const uint64_t gone_size = fs::file_size(bigs[1]);
  fs::remove(bigs[1]);

  // Without --resume the directory is refused, and nothing in it changes.
  const RunResult refused = Fetch(out);
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;

  const RunResult resumed = Fetch(out, {"--resume"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  const json::object s = Summary(resumed);
  EXPECT_EQ(s.at("files").as_int64(), files);
  EXPECT_EQ(s.at("files_fetched").as_int64(), 2);
  EXPECT_EQ(s.at("bytes_fetched").as_int64(),
            static_cast<int64_t>(half_size - half_size / 2 + gone_size));
  EXPECT_TRUE(fs::exists(out + "/" + solr::kManifestName));
  EXPECT_FALSE(fs::exists(bigs[0].string() + ".part"));
  ExpectOpens(out, 2000);
}

// The same with a real kill: a copy of a larger index (documents with 60 KB text fields) is
// SIGKILLed once it has finished a file and is writing another; --resume then fetches neither
// the finished files nor the part already written again.
TEST_F(SolrFetchTest, ACopyKilledHalfWayIsFinishedByResume) {
  for (int batch = 0; batch < 4; ++batch) Index(batch * 500, 500);  // four segments
  const std::string out = work_ + "/data/index";
  Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Exec(
      ShoalBinary(), {"solr-fetch", url_, "--core", core_, "--out", out, "--parallel", "1"});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // Kill it once a file is in place and another is under way (or give up if it finishes).
  bool killed = false;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!killed && std::chrono::steady_clock::now() < until) {
    size_t done = 0;
    uintmax_t part = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(out, ec)) {
      if (e.path().extension() == ".part") {
        part = e.file_size(ec);
      } else if (e.path().filename() != solr::kManifestName) {
        ++done;
      }
    }
    if (fs::exists(out + "/" + solr::kManifestName)) break;  // too fast: finished
    if (done >= 1 && part > 0) {
      ::kill((*p)->pid(), SIGKILL);
      killed = true;
    }
  }
  (*p)->WaitExit(std::chrono::seconds(10));
  if (!killed) GTEST_SKIP() << "the copy finished before it could be caught half-way";
  ASSERT_FALSE(fs::exists(out + "/" + solr::kManifestName));
  uint64_t kept = 0;  // what the killed copy left: finished files and the part
  for (const auto& e : fs::directory_iterator(out)) kept += e.file_size();
  const RunResult r = Fetch(out, {"--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object s = Summary(r);
  EXPECT_LT(s.at("files_fetched").as_int64(), s.at("files").as_int64());
  EXPECT_EQ(s.at("bytes_fetched").as_int64() + static_cast<int64_t>(kept),
            s.at("bytes").as_int64());
  ExpectOpens(out, 2000);
}

TEST_F(SolrFetchTest, ACorruptedByteIsFoundAndTheFileFetchedAgain) {
  Index(0, 1500);
  const std::string out = work_ + "/copy";
  ASSERT_EQ(Fetch(out).exit_code, 0);
  fs::path victim;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.file_size() > 4096 && victim.empty()) victim = e.path();
  }
  ASSERT_FALSE(victim.empty());
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    char c = 0;
    f.seekg(1000);
    f.get(c);
    f.seekp(1000);
    f.put(static_cast<char>(c ^ 0x20));
  }
  EXPECT_FALSE(solr::CheckFooter(victim.string(), -1, -1).ok());
  const RunResult r = Fetch(out, {"--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Summary(r).at("files_fetched").as_int64(), 1);
  EXPECT_EQ(Summary(r).at("bytes_fetched").as_int64(), static_cast<int64_t>(fs::file_size(victim)));
  EXPECT_TRUE(solr::CheckFooter(victim.string(), -1, -1).ok());
}

// A commit while the copy runs: by default the copy finishes the generation it began and says
// a newer one exists; with restart_on_new_generation it copies the newer one, keeping the files
// it already has. The commit is made from the first progress report, so it always falls
// inside the copy. (In process: the library's own callbacks, against the real Solr.)
TEST_F(SolrFetchTest, ACommitDuringTheCopyIsReportedOrFollowed) {
  Index(0, 2000);
  for (const bool restart : {false, true}) {
    SCOPED_TRACE(restart ? "restart" : "finish");
    solr::FetchOptions o;
    o.url = *solr::ParseSolrUrl(url_);
    o.core = core_;
    o.out = work_ + (restart ? "/restart/index" : "/finish/index");
    o.parallel = 1;
    o.restart_on_new_generation = restart;
    o.progress_every = std::chrono::milliseconds(1);
    bool committed = false;
    o.on_progress = [&](const solr::FetchProgress&) {
      if (!committed) {
        committed = true;
        Index(restart ? 30000 : 20000, 300);
      }
    };
    std::vector<std::string> notices;
    o.on_notice = [&](const std::string& line) { notices.push_back(line); };
    const solr::FetchReport r = solr::Fetch(o);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_TRUE(committed);
    ASSERT_FALSE(notices.empty());
    if (restart) {
      EXPECT_EQ(r.restarts, 1);
      EXPECT_EQ(r.generation, r.latest_generation);
      EXPECT_NE(notices.back().find("copying the new one"), std::string::npos) << notices.back();
      ExpectOpens(o.out, 2000 + 300 + 300);
    } else {
      EXPECT_EQ(r.restarts, 0);
      EXPECT_EQ(r.latest_generation, r.generation + 1);
      EXPECT_NE(notices.back().find("moved to generation"), std::string::npos) << notices.back();
    }
  }
}

// Solr deletes a generation nobody holds at the first commit after its reserve ends (the
// configset's commitReserveDuration, 10 s after the last replication request). The copy's second
// file request is held at a proxy while the documents are replaced and committed, the reserve
// runs out and one more document is committed, so the generation the copy began is gone when the
// request reaches Solr: the copy says so and starts again on the newest, without being asked to
// follow new generations, and that copy opens with the new documents. (A core made with a shorter
// commitReserveDuration does not help: on 9.10.1 the replication requests still reserve 10 s.)
TEST_F(SolrFetchTest, AGenerationSolrReleasesDuringTheCopyIsLeftForTheNewest) {
  for (int batch = 0; batch < 3; ++batch) Index(batch * 400, 400);  // three segments
  std::atomic<bool> changed{false};  // the hook ran to its end (its failures are the test's)
  HoldingProxy proxy(port_, "command=filecontent", 2, [&] {
    Result<HttpResponse> deleted =
        Call("POST", "/solr/" + core_ + "/update?wt=json", R"({"delete":{"query":"*:*"}})");
    ASSERT_TRUE(deleted.ok() && deleted->status == 200);
    Index(50000, 250);  // commits: the old generation has no segment left in the new one
    std::this_thread::sleep_for(std::chrono::milliseconds(10500));
    Index(60000, 1);  // the first commit after the reserve: Solr deletes the old generation
    changed = true;
  });
  solr::FetchOptions o;
  o.url = *solr::ParseSolrUrl("http://127.0.0.1:" + std::to_string(proxy.port()) + "/solr");
  o.core = core_;
  o.out = work_ + "/data/index";
  o.parallel = 1;
  std::vector<std::string> notices;
  o.on_notice = [&](const std::string& line) { notices.push_back(line); };
  const solr::FetchReport r = solr::Fetch(o);
  ASSERT_TRUE(proxy.held());
  ASSERT_TRUE(changed);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.restarts, 1);
  EXPECT_EQ(r.generation, r.latest_generation);
  ASSERT_FALSE(notices.empty());
  EXPECT_NE(notices.back().find("Solr released the old one; copying the new one"),
            std::string::npos)
      << notices.back();
  ExpectOpens(o.out, 251);
}

TEST_F(SolrFetchTest, BadInputGetsAClearErrorAndNoCopy) {
  // A core that does not exist.
  RunResult r = RunShoal({"solr-fetch", url_, "--core", "no_such_core", "--out", work_ + "/a"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no core 'no_such_core'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(work_ + "/a"));
  // A URL that is not Solr: Solr's own Jetty, under a path with no Solr behind it.
  r = RunShoal({"solr-fetch", "http://127.0.0.1:" + std::to_string(port_) + "/elsewhere", "--core",
                core_, "--out", work_ + "/b"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(fs::exists(work_ + "/b"));
  // Nothing listening.
  r = RunShoal({"solr-fetch", "http://127.0.0.1:" + std::to_string(FreeLocalPort()) + "/solr",
                "--core", core_, "--out", work_ + "/c"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
  // Usage.
  r = RunShoal({"solr-fetch", url_, "--out", work_ + "/d"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--core is required"), std::string::npos) << r.err;
  r = RunShoal({"solr-fetch", "ftp://x/solr", "--core", "c", "--out", work_ + "/d"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunShoal({"solr-fetch", url_, "--core", core_, "--out", work_ + "/d", "--user", "u",
                "--password-env", "SHOAL_TEST_NO_SUCH_VARIABLE"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("SHOAL_TEST_NO_SUCH_VARIABLE"), std::string::npos) << r.err;
}

// A disk that fills: a file-size limit (RLIMIT_FSIZE) below the index's largest file makes a
// write fail (EFBIG; SIGXFSZ ignored, as a shell's `trap '' XFSZ` passes it on).
TEST_F(SolrFetchTest, AFullDiskFailsWithoutAManifest) {
  Index(0, 2000);
  const std::string out = work_ + "/full";
  const std::string cmd = "trap '' XFSZ; ulimit -f 64; exec '" + ShoalBinary() + "' solr-fetch '" +
                          url_ + "' --core " + core_ + " --out '" + out + "' 2>&1";
  const RunResult run = RunShell(cmd);
  const std::string& output = run.out;
  EXPECT_EQ(run.exit_code, 5) << output;
  EXPECT_NE(output.find("cannot write"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(out + "/" + solr::kManifestName));
}

}  // namespace
}  // namespace shoal::testing

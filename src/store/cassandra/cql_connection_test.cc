// Connection against the real server (label cassandra): the handshake, queries, 500 requests
// multiplexed on one connection, deadlines and the quarantine of a timed-out stream id,
// Close, refusals, USE of a bad keyspace, heartbeats answered. Two small fake servers cover
// only what the shared server cannot show: one that goes silent after READY (the heartbeat
// must notice) and one that refuses a password (the shared server runs without
// authentication). The real handshake and heartbeat are tested against Cassandra here too.
//
// The tests that need a table make a keyspace of their own (shoal_conn_<pid>) and drop it at
// exit. Tests that must have many requests in flight at once send them from the connection's
// strand (Send called there enqueues before it returns), so no answer can be read in between.
#include "store/cassandra/cql_connection.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/mutex.h"
#include "base/test_socket.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_connection_test_util.h"
#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_response.h"
#include "store/cassandra/cql_result.h"

namespace shoal::store::cassandra {
namespace {

using namespace std::chrono_literals;
using namespace conn_test;  // NOLINT(google-build-using-namespace): the shared test helpers

// OnStrand runs `fn` on `c`'s strand (as the callback of an OPTIONS) and waits for it.
void OnStrand(Connection& c, std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto f = done->get_future();
  c.Send(Options(), Now() + 10s, [fn = std::move(fn), done](const Result<Frame>&) {
    fn();
    done->set_value();
  });
  f.get();
}

// Burst is a batch of requests sent from the connection's strand in one go, so every one
// of them is in flight before the first answer is read.
struct Burst {
  std::vector<int16_t> streams;  // the id each request was built with (-1: never built)
  std::vector<std::optional<Result<Response>>> responses;
  size_t in_flight_after_send = 0;
  size_t left = 0;
  std::promise<void> finished;
};

// StartBurst sends `builders`. REQUIRES: on `c`'s strand.
std::shared_ptr<Burst> StartBurst(Connection& c, std::vector<FrameBuilder> builders,
                                  Duration timeout = 10s) {
  auto b = std::make_shared<Burst>();
  const size_t n = builders.size();
  b->streams.assign(n, -1);
  b->responses.resize(n);
  b->left = n;
  for (size_t i = 0; i < n; ++i) {
    c.Send(
        [b, i, build = std::move(builders[i])](std::string& out, int16_t stream) {
          b->streams[i] = stream;
          return build(out, stream);
        },
        Now() + timeout,
        [b, i](const Result<Frame>& r) {
          b->responses[i] = Own(r);
          if (--b->left == 0) b->finished.set_value();
        });
  }
  b->in_flight_after_send = c.in_flight();
  if (n == 0) b->finished.set_value();
  return b;
}

// RunBurst sends `builders` from the strand and waits for every answer.
std::shared_ptr<Burst> RunBurst(Connection& c, std::vector<FrameBuilder> builders) {
  std::shared_ptr<Burst> b;
  OnStrand(c, [&] { b = StartBurst(c, std::move(builders)); });
  b->finished.get_future().get();
  return b;
}

std::string Int32(int32_t v) {
  std::string out;
  AppendInt(out, v);
  return out;
}

// ---- The test keyspace ---------------------------------------------------------------

constexpr int kRows = 500;
constexpr int kBigRows = 256;
constexpr size_t kBigPad = 32 << 10;  // 256 x 32 KiB: an 8 MiB answer, many ms to produce

const std::string& Keyspace() {
  static const std::string kName = testing::UniqueKeyspace("shoal_conn");
  return kName;
}

// Schema makes this process's keyspace and tables on first use; the environment drops the
// keyspace when the tests end.
class Schema : public ::testing::Environment {
 public:
  // EnsureRows makes <ks>.rows: ids 0..kRows-1, v = "row-<id>".
  static Status EnsureRows(Connection& c) {
    return EnsureTable(c, rows_made_, "rows (id int PRIMARY KEY, v text)", [] {
      std::vector<FrameBuilder> inserts;
      inserts.reserve(kRows);
      for (int i = 0; i < kRows; ++i) {
        inserts.push_back(Query("INSERT INTO " + Keyspace() + ".rows (id, v) VALUES (" +
                                std::to_string(i) + ", 'row-" + std::to_string(i) + "')"));
      }
      return inserts;
    });
  }

  // EnsureBig makes <ks>.big: kBigRows rows of kBigPad bytes each.
  static Status EnsureBig(Connection& c) {
    return EnsureTable(c, big_made_, "big (id int PRIMARY KEY, pad blob)", [] {
      std::vector<FrameBuilder> inserts;
      for (int i = 0; i < kBigRows; ++i) {
        std::string values;
        AppendValue(values, Int32(i));
        AppendValue(values, std::string(kBigPad, static_cast<char>('a' + i % 26)));
        inserts.push_back(
            Query("INSERT INTO " + Keyspace() + ".big (id, pad) VALUES (?, ?)", values, 2));
      }
      return inserts;
    });
  }

  void TearDown() override {
    if (!keyspace_made_) return;
    Io io;
    auto c = ConnectNow(io.io(), Real());
    if (c.ok()) {
      const Status st = Exec(**c, "DROP KEYSPACE IF EXISTS " + Keyspace());
      if (!st.ok()) ADD_FAILURE() << "dropping " << Keyspace() << ": " << st.ToString();
      (*c)->Close();
    }
  }

 private:
  // EnsureTable makes <ks>.<definition> and fills it with `inserts()`, once per process
  // (`made` remembers it).
  static Status EnsureTable(Connection& c, bool& made, std::string_view definition,
                            const std::function<std::vector<FrameBuilder>()>& inserts) {
    if (made) return Status();
    if (Status st = EnsureKeyspace(c); !st.ok()) return st;
    const std::string create =
        "CREATE TABLE IF NOT EXISTS " + Keyspace() + "." + std::string(definition);
    if (Status st = Exec(c, create); !st.ok()) return st;
    if (Status st = AllVoid(*RunBurst(c, inserts())); !st.ok()) return st;
    made = true;
    return Status();
  }

  static Status EnsureKeyspace(Connection& c) {
    if (keyspace_made_) return Status();
    if (Status st = Exec(c, "CREATE KEYSPACE IF NOT EXISTS " + Keyspace() +
                                " WITH replication = {'class': 'SimpleStrategy', "
                                "'replication_factor': 1}");
        !st.ok()) {
      return st;
    }
    keyspace_made_ = true;
    return Status();
  }

  static Status AllVoid(const Burst& b) {
    for (const auto& r : b.responses) {
      if (!r->ok()) return r->status();
      if ((*r)->opcode != Opcode::kResult) return Status::Internal("an INSERT failed");
    }
    return Status();
  }

  static inline bool keyspace_made_ = false;
  static inline bool rows_made_ = false;
  static inline bool big_made_ = false;
};

[[maybe_unused]] ::testing::Environment* const kSchema =
    ::testing::AddGlobalTestEnvironment(new Schema);

// RowQueries selects rows first..first+n-1 of <ks>.rows, one request each.
std::vector<FrameBuilder> RowQueries(int first, int n) {
  std::vector<FrameBuilder> out;
  for (int i = first; i < first + n; ++i) {
    out.push_back(
        Query("SELECT id, v FROM " + Keyspace() + ".rows WHERE id = " + std::to_string(i % kRows)));
  }
  return out;
}

// IsRow says whether `r` is exactly row `id` of <ks>.rows.
::testing::AssertionResult IsRow(const std::optional<Result<Response>>& r, int id) {
  if (!r) return ::testing::AssertionFailure() << "no answer";
  Result<std::vector<Row>> rows = RowsOf(*r);
  if (!rows.ok()) return ::testing::AssertionFailure() << rows.status().ToString();
  const Row want{Int32(id % kRows), "row-" + std::to_string(id % kRows)};
  if (rows->size() != 1 || (*rows)[0] != want) {
    return ::testing::AssertionFailure()
           << "request for row " << id << " got another answer (" << rows->size() << " rows)";
  }
  return ::testing::AssertionSuccess();
}

// ---- Fakes for what the shared server cannot do ---------------------------------------

// FakeServer accepts one connection on a free loopback port and answers each request frame
// with what `answer` returns for its opcode (nothing: stay silent). The OPTIONS a client sends
// before STARTUP (to see whether lz4 is offered) gets an empty SUPPORTED without asking
// `answer` and is not counted in requests(): these fakes speak without compression.
class FakeServer {
 public:
  using Answer = std::function<std::optional<std::pair<Opcode, std::string>>(Opcode)>;

  explicit FakeServer(Answer answer) : answer_(std::move(answer)) {
    listener_ = ListenOnLoopback(1, &port_);
    EXPECT_GE(listener_, 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    stopping_.store(true);
    ::shutdown(listener_, SHUT_RDWR);                                  // wakes accept
    if (const int c = conn_.load(); c >= 0) ::shutdown(c, SHUT_RDWR);  // wakes read
    thread_.join();
    ::close(listener_);
    if (const int c = conn_.load(); c >= 0) ::close(c);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }
  // WaitForEof waits up to `wait` for the client to close, then returns every byte it sent.
  std::optional<std::string> WaitForEof(Duration wait) {
    if (eof_future_.wait_for(wait) != std::future_status::ready) return std::nullopt;
    MutexLock lock(mu_);
    return received_;
  }

 private:
  void Serve() {
    struct SayEof {
      std::promise<void>& eof;
      ~SayEof() { eof.set_value(); }
    } say_eof{eof_};
    const int conn = ::accept(listener_, nullptr, nullptr);
    if (conn < 0) return;
    conn_.store(conn);
    // The destructor may have looked at conn_ before it was set: look again.
    if (stopping_.load()) ::shutdown(conn, SHUT_RDWR);
    FrameDecoder decoder(FrameDecoder::Options{.expect_responses = false});
    bool started = false;  // STARTUP seen
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(conn, buf, sizeof buf);
      if (n <= 0) return;
      {
        MutexLock lock(mu_);
        received_.append(buf, static_cast<size_t>(n));
      }
      decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
      for (;;) {
        Result<std::optional<Frame>> f = decoder.Next();
        if (!f.ok() || !*f) break;
        const Opcode op = (*f)->header.opcode;
        std::optional<std::pair<Opcode, std::string>> reply;
        if (op == Opcode::kOptions && !started) {
          reply.emplace(Opcode::kSupported, std::string(2, '\0'));
        } else {
          started = started || op == Opcode::kStartup;
          ++requests_;
          reply = answer_(op);
        }
        if (!reply) continue;
        std::string out;
        FrameHeader h;
        h.response = true;
        h.stream = (*f)->header.stream;
        h.opcode = reply->first;
        h.length = static_cast<uint32_t>(reply->second.size());
        AppendFrameHeader(out, h);
        out += reply->second;
        if (::write(conn, out.data(), out.size()) < 0) return;
      }
    }
  }

  Answer answer_;
  int listener_ = -1;
  std::atomic<int> conn_{-1};
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  Mutex mu_;
  std::string received_ SHOAL_GUARDED_BY(mu_);
  std::promise<void> eof_;
  std::future<void> eof_future_ = eof_.get_future();
  std::thread thread_;
};

// SilentListener listens on a free loopback port and never accepts: the kernel completes
// the TCP handshake, and nobody ever answers (a hung node).
class SilentListener {
 public:
  SilentListener() {
    fd_ = ListenOnLoopback(4, &port_);
    EXPECT_GE(fd_, 0);
  }
  ~SilentListener() { ::close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// ClosedPort returns a loopback port nothing listens on (bound, then released).
uint16_t ClosedPort() {
  uint16_t port = 0;
  const int fd = ListenOnLoopback(1, &port);
  ::close(fd);
  return port;
}

std::string StringNotation(std::string_view s) {
  std::string out;
  AppendShort(out, static_cast<uint16_t>(s.size()));
  out += s;
  return out;
}

// ---- Tests ---------------------------------------------------------------------------

// CqlRealConnectionTest connects to the real server before each test (and skips the test
// without one).
class CqlRealConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SHOAL_NEED_CASSANDRA();
    Result<std::shared_ptr<Connection>> conn = ConnectNow(io_.io(), Real());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(conn).value();
  }

  Io io_;  // declared first: outlives the connection
  std::shared_ptr<Connection> conn_;
};

TEST_F(CqlRealConnectionTest, QueriesTheRealServer) {
  EXPECT_EQ(conn_->address(), "127.0.0.1:" + std::to_string(testing::CassandraPort()));
  Result<std::vector<Row>> rows =
      RowsOf(Call(*conn_, Query("SELECT release_version FROM system.local")));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  ASSERT_TRUE((*rows)[0][0].has_value());
  EXPECT_EQ((*rows)[0][0]->substr(0, 2), "5.") << *(*rows)[0][0];
  EXPECT_FALSE(conn_->closed());
  EXPECT_EQ(conn_->in_flight(), 0u);
}

TEST_F(CqlRealConnectionTest, FiveHundredRequestsInFlightEachGetTheirOwnAnswer) {
  const Status made = Schema::EnsureRows(*conn_);
  ASSERT_TRUE(made.ok()) << made.ToString();

  // Ask for the rows in a shuffled order, so answers cannot line up with ids by accident.
  std::vector<int> order(kRows);
  for (int i = 0; i < kRows; ++i) order[static_cast<size_t>(i)] = (i * 7919) % kRows;
  std::vector<FrameBuilder> queries;
  queries.reserve(order.size());
  for (int id : order) {
    queries.push_back(
        Query("SELECT id, v FROM " + Keyspace() + ".rows WHERE id = " + std::to_string(id)));
  }
  std::shared_ptr<Burst> b = RunBurst(*conn_, std::move(queries));

  EXPECT_EQ(b->in_flight_after_send, static_cast<size_t>(kRows));
  const std::set<int16_t> distinct(b->streams.begin(), b->streams.end());
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kRows));
  EXPECT_GE(*distinct.begin(), 0);
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_TRUE(IsRow(b->responses[i], order[i])) << "request " << i;
  }
  EXPECT_EQ(conn_->in_flight(), 0u);
  EXPECT_FALSE(conn_->closed());
}

TEST_F(CqlRealConnectionTest, ADeadlineAlreadyNearFailsAndTheConnectionGoesOn) {
  auto built = std::make_shared<std::atomic<bool>>(false);
  auto p = std::make_shared<std::promise<Status>>();
  conn_->Send(
      [built](std::string& out, int16_t stream) {
        built->store(true);
        return AppendQuery(out, stream, "SELECT release_version FROM system.local", {});
      },
      Now() + 1us, [p](const Result<Frame>& r) { p->set_value(r.status()); });
  const Status st = p->get_future().get();
  EXPECT_EQ(st.code(), StatusCode::kDeadlineExceeded) << st.ToString();
  EXPECT_NE(st.message().find("127.0.0.1"), std::string::npos) << st.ToString();
  // Spent before it reached the strand: never sent, so no id is held for it.
  EXPECT_FALSE(built->load());
  EXPECT_EQ(conn_->in_flight(), 0u);

  Result<std::vector<Row>> rows =
      RowsOf(Call(*conn_, Query("SELECT release_version FROM system.local")));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->size(), 1u);
  EXPECT_FALSE(conn_->closed());
}

// A request that is on the wire when its deadline passes: the caller hears DeadlineExceeded
// at once, but its id is not handed out again until the server's late answer has come (and
// been dropped), so that answer cannot reach another request.
TEST_F(CqlRealConnectionTest, ATimedOutIdIsNotReusedBeforeItsLateAnswer) {
  Connection& c = *conn_;
  Status made = Schema::EnsureRows(c);
  ASSERT_TRUE(made.ok()) << made.ToString();
  made = Schema::EnsureBig(c);
  ASSERT_TRUE(made.ok()) << made.ToString();

  struct Slow {
    std::atomic<int16_t> stream{-1};
    std::atomic<int> calls{0};
    Status status;
    std::shared_ptr<Burst> during;  // sent from the DeadlineExceeded callback
    std::promise<void> first_call;
  };
  std::shared_ptr<Slow> slow;
  // The 8 MiB answer takes well over the 5 ms sweep; should it ever come first, try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    // Use and free 100 ids first, so that an id freed too early would be the next one taken.
    std::shared_ptr<Burst> warm = RunBurst(c, RowQueries(0, 100));
    for (size_t i = 0; i < 100; ++i) ASSERT_TRUE(IsRow(warm->responses[i], static_cast<int>(i)));

    auto s = std::make_shared<Slow>();
    Connection* raw = &c;  // outlived: the test waits for every callback below
    OnStrand(c, [s, raw] {
      raw->Send(
          [s](std::string& out, int16_t stream) {
            s->stream.store(stream);
            return AppendQuery(out, stream, "SELECT pad FROM " + Keyspace() + ".big", {});
          },
          Now() + 1ms,
          [s, raw](const Result<Frame>& r) {
            if (s->calls.fetch_add(1) > 0) return;  // a second call is the failure checked below
            s->status = r.status();
            // Still on the strand, before the late answer can be read: take 100 ids now.
            if (s->status.code() == StatusCode::kDeadlineExceeded) {
              s->during = StartBurst(*raw, RowQueries(100, 100));
            }
            s->first_call.set_value();
          });
    });
    s->first_call.get_future().get();
    if (s->status.code() == StatusCode::kDeadlineExceeded) {
      slow = s;
      ::testing::Test::RecordProperty("attempts", attempt + 1);
      break;
    }
    ASSERT_TRUE(s->status.ok()) << s->status.ToString();
  }
  ASSERT_NE(slow, nullptr) << "the 8 MiB SELECT was answered within the sweep 5 times running";
  EXPECT_NE(slow->status.message().find("127.0.0.1"), std::string::npos);
  const int16_t quarantined = slow->stream.load();
  ASSERT_GE(quarantined, 0);

  slow->during->finished.get_future().get();
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_TRUE(IsRow(slow->during->responses[i], 100 + static_cast<int>(i)));
  }
  EXPECT_EQ(std::count(slow->during->streams.begin(), slow->during->streams.end(), quarantined), 0)
      << "id " << quarantined << " was reused while its request's answer was still due";

  // Once the late answer is in, the id is free again. Wait for it without sending anything:
  // a stream of point reads meanwhile would queue ahead of the range read's internal rounds
  // on the server and starve it (on a loaded box it then never finished in 30 s). The 8 MiB
  // answer can take seconds beside a sanitizer suite, so wait up to 60 s.
  for (const TimePoint until = Now() + 60s; c.quarantined() > 0 && Now() < until;) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(c.quarantined(), 0u) << "the late answer to id " << quarantined << " never came";
  // Then a burst larger than the free list takes every free id, so it must take this one. The
  // free list holds every id this connection ever used at once (up to the kRows inserts of
  // EnsureRows), and the late answer may have landed in its middle (before the last answers
  // of `during`), so the burst must outnumber them all, not just the ids freed last.
  constexpr int kAllIds = 2 * (kRows + kBigRows);
  std::shared_ptr<Burst> b = RunBurst(c, RowQueries(0, kAllIds));
  for (size_t i = 0; i < static_cast<size_t>(kAllIds); ++i) {
    ASSERT_TRUE(IsRow(b->responses[i], static_cast<int>(i) % kRows));
  }
  EXPECT_GT(std::count(b->streams.begin(), b->streams.end(), quarantined), 0)
      << "id " << quarantined << " was not reused once its late answer came";
  EXPECT_EQ(slow->calls.load(), 1) << "the late answer reached the timed-out request";
  EXPECT_EQ(c.in_flight(), 0u);
  EXPECT_FALSE(c.closed());
}

TEST(CqlConnectionTest, CloseFailsRequestsInFlightAndRunsOnCloseOnce) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  auto closes = std::make_shared<std::atomic<int>>(0);
  auto first_close = std::make_shared<std::promise<Status>>();
  auto conn = ConnectNow(io.io(), Real(), [closes, first_close](const Status& s) {
    if (closes->fetch_add(1) == 0) first_close->set_value(s);
  });
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  Connection& c = **conn;

  struct Refusal {
    bool in_send = false;  // strand only
    bool ran_inside_send = false;
    std::promise<Status> status;
  };
  auto refusal = std::make_shared<Refusal>();
  std::shared_ptr<Burst> b;
  Connection* raw = &c;
  OnStrand(c, [&b, raw] {
    std::vector<FrameBuilder> queries;
    queries.reserve(50);
    for (int i = 0; i < 50; ++i) queries.push_back(Query("SELECT * FROM system.local"));
    b = StartBurst(*raw, std::move(queries));
    // Close posts to the strand, so it runs before any answer to the burst can be read.
    raw->Close();
    raw->Close();
  });
  b->finished.get_future().get();
  EXPECT_EQ(b->in_flight_after_send, 50u);
  for (const auto& r : b->responses) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status().code(), StatusCode::kUnavailable) << r->status().ToString();
    EXPECT_NE(r->status().message().find(c.address()), std::string::npos) << r->status().ToString();
  }
  const Status cause = first_close->get_future().get();
  EXPECT_EQ(cause.code(), StatusCode::kUnavailable);
  EXPECT_NE(cause.message().find("closed"), std::string::npos) << cause.ToString();
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(c.in_flight(), 0u);

  // A Send on the strand after close: refused through a posted callback, not inside Send.
  OnStrand(c, [raw, refusal] {
    refusal->in_send = true;
    raw->Send(Options(), Now() + 1s, [refusal](const Result<Frame>& r) {
      refusal->ran_inside_send = refusal->in_send;
      refusal->status.set_value(r.status());
    });
    refusal->in_send = false;
  });
  EXPECT_EQ(refusal->status.get_future().get().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(refusal->ran_inside_send);

  c.Close();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(closes->load(), 1);
}

TEST(CqlConnectionTest, SendAfterCloseIsRefusedOffTheCallersThread) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  auto closed = std::make_shared<std::promise<Status>>();
  auto conn = ConnectNow(io.io(), Real(), [closed](const Status& s) { closed->set_value(s); });
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  (*conn)->Close();
  EXPECT_EQ(closed->get_future().get().code(), StatusCode::kUnavailable);
  EXPECT_TRUE((*conn)->closed());
  auto refused = std::make_shared<std::promise<Status>>();
  const std::thread::id caller = std::this_thread::get_id();
  (*conn)->Send(Query("SELECT release_version FROM system.local"), Now() + 1s,
                [refused, caller](const Result<Frame>& r) {
                  refused->set_value(std::this_thread::get_id() == caller
                                         ? Status::Internal("ran on the caller's thread")
                                         : r.status());
                });
  const Status st = refused->get_future().get();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
}

TEST(CqlConnectionTest, AClosedPortIsUnavailableAtOnce) {
  Io io;
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = ClosedPort();
  const TimePoint start = Now();
  auto conn = ConnectNow(io.io(), o);
  ASSERT_FALSE(conn.ok());
  EXPECT_LT(Now() - start, 1s);
  EXPECT_EQ(conn.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(conn.status().message().find("127.0.0.1:" + std::to_string(o.port)), std::string::npos)
      << conn.status().ToString();
}

TEST(CqlConnectionTest, NoAnswerWithinTheConnectTimeoutIsUnavailable) {
  SilentListener hung;
  Io io;
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = hung.port();
  o.connect_timeout = 200ms;
  const TimePoint start = Now();
  auto conn = ConnectNow(io.io(), o);
  const Duration took = Now() - start;
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(conn.status().message().find("timeout of 200 ms"), std::string::npos)
      << conn.status().ToString();
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 1s);
}

TEST(CqlConnectionTest, ABadKeyspaceFailsConnectWithInvalidArgument) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  ConnectionOptions bad = Real();
  bad.keyspace = "no such keyspace";  // not an identifier: refused before any I/O
  auto invalid = ConnectNow(io.io(), bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);

  bad.keyspace = "no_such_keyspace_at_all";  // well formed, but the server has none
  invalid = ConnectNow(io.io(), bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(invalid.status().message().find("no_such_keyspace_at_all"), std::string::npos)
      << invalid.status().ToString();

  ConnectionOptions good = Real();
  good.keyspace = "system";
  auto ok = ConnectNow(io.io(), good);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  // Unqualified names now resolve in system.
  EXPECT_TRUE(RowsOf(Call(**ok, Query("SELECT release_version FROM local"))).ok());
}

TEST(CqlConnectionTest, AnIdleConnectionStaysUpOnAnsweredHeartbeats) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  ConnectionOptions o = Real();
  o.heartbeat_interval = 50ms;
  o.heartbeat_timeout = 400ms;
  auto conn = ConnectNow(io.io(), o);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  // A second idle is 20 intervals, each OPTIONS answered; an unanswered (or unrecognised)
  // one would have closed the connection 450 ms in.
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE((*conn)->closed());
  EXPECT_TRUE(RowsOf(Call(**conn, Query("SELECT release_version FROM system.local"))).ok());
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
  auto closed = std::make_shared<std::promise<Status>>();
  const TimePoint start = Now();  // before READY is read, so at least 300 ms before the close
  auto conn = ConnectNow(io.io(), o, [closed](const Status& s) { closed->set_value(s); });
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto f = closed->get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  const Duration took = Now() - start;
  const Status cause = f.get();
  EXPECT_EQ(cause.code(), StatusCode::kUnavailable);
  EXPECT_NE(cause.message().find("heartbeat"), std::string::npos) << cause.ToString();
  EXPECT_GE(took, 300ms);           // interval + timeout
  EXPECT_LT(took, 300ms + 1s);      // plus a sweep tick and a loaded machine's scheduling
  EXPECT_EQ(server.requests(), 2);  // STARTUP and one OPTIONS
  EXPECT_TRUE((*conn)->closed());
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
  EXPECT_NE(conn.status().message().find("authentication"), std::string::npos)
      << conn.status().ToString();
  EXPECT_NE(conn.status().message().find("Provided username shoal and/or password are incorrect"),
            std::string::npos)
      << conn.status().ToString();
  EXPECT_EQ(server.requests(), 2);  // STARTUP, AUTH_RESPONSE
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
  EXPECT_EQ(conn.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(conn.status().message().find("asks for credentials"), std::string::npos)
      << conn.status().ToString();
}

// The credentials go only to an authenticator class in allowed_authenticators: a server that
// names another (a rogue node, or a custom SASL class that might log what it gets) fails the
// connection with a message naming the class and the option, and not a byte of the password
// is sent. (The shared test server runs without authentication, so only a fake can show it.)
TEST(CqlConnectionTest, CredentialsGoOnlyToAnAllowedAuthenticator) {
  FakeServer server([](Opcode op) -> std::optional<std::pair<Opcode, std::string>> {
    if (op == Opcode::kStartup) {
      return std::make_pair(Opcode::kAuthenticate,
                            StringNotation("com.example.LoggingAuthenticator"));
    }
    return std::nullopt;  // an AUTH_RESPONSE is left unanswered
  });
  Io io;
  ConnectionOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.user = "shoal";
  o.password = "s3cret-password";
  o.connect_timeout = 2s;
  auto conn = ConnectNow(io.io(), o);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kInvalidArgument) << conn.status().ToString();
  EXPECT_NE(conn.status().message().find("com.example.LoggingAuthenticator"), std::string::npos)
      << conn.status().ToString();
  EXPECT_NE(conn.status().message().find("store.cassandra.authenticators"), std::string::npos)
      << conn.status().ToString();
  std::optional<std::string> sent = server.WaitForEof(10s);
  ASSERT_TRUE(sent.has_value()) << "the client did not close the connection";
  EXPECT_EQ(sent->find("s3cret"), std::string::npos);
  EXPECT_EQ(server.requests(), 1);  // STARTUP only: no AUTH_RESPONSE

  // The same server, with its class allowed: the credentials are sent.
  FakeServer allowing([](Opcode op) -> std::optional<std::pair<Opcode, std::string>> {
    if (op == Opcode::kStartup) {
      return std::make_pair(Opcode::kAuthenticate,
                            StringNotation("com.example.LoggingAuthenticator"));
    }
    if (op == Opcode::kAuthResponse) return std::make_pair(Opcode::kAuthSuccess, Int32(-1));
    if (op == Opcode::kOptions) return std::make_pair(Opcode::kSupported, std::string(2, '\0'));
    return std::nullopt;
  });
  o.port = allowing.port();
  o.allowed_authenticators = {"com.example.LoggingAuthenticator"};
  auto allowed = ConnectNow(io.io(), o);
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  (*allowed)->Close();
  sent = allowing.WaitForEof(10s);
  ASSERT_TRUE(sent.has_value());
  EXPECT_NE(sent->find("s3cret-password"), std::string::npos);
}

}  // namespace
}  // namespace shoal::store::cassandra

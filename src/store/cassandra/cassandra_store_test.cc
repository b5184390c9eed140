// CassandraStore against the real server (label cassandra): every supported type read back as
// the Value the api renders like SQLite's, paging across page boundaries, re-prepare after the
// table is dropped and recreated, and the error paths of store.h.
#include "store/cassandra/cassandra_store.h"

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/memory_logger.h"
#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_session.h"

namespace shoal::store {
namespace {

using namespace std::chrono_literals;
using cassandra::testing::CassandraPort;
using cassandra::testing::UniqueKeyspace;

const std::string& Keyspace() {
  static const std::string kName = UniqueKeyspace("shoal_store_test");
  return kName;
}

CassandraOptions Options(const std::string& keyspace = Keyspace()) {
  CassandraOptions o;
  o.session.contact_points = {"127.0.0.1:" + std::to_string(CassandraPort())};
  o.session.keyspace = keyspace;
  o.session.connections_per_node = 1;
  return o;
}

// Run executes CQL on a keyspace-less session, failing the test on an error.
class Admin {
 public:
  Admin() {
    cassandra::SessionOptions o;
    o.contact_points = {"127.0.0.1:" + std::to_string(CassandraPort())};
    o.connections_per_node = 1;
    auto s = cassandra::Session::Open(o);
    status_ = s.status();
    if (s.ok()) session_ = std::move(s).value();
  }
  const Status& status() const { return status_; }
  // Run answers the connect's error when there is no session (a set-up that could not connect).
  Status Run(const std::string& cql) {
    if (session_ == nullptr) return status_;
    Result<std::string> r = session_->Run(cql, 30s);
    return r.status();
  }

 private:
  std::unique_ptr<cassandra::Session> session_;
  Status status_;
};

Result<Rows> QueryNow(Store& store, size_t id, std::vector<Value> params, Duration timeout = 10s,
                      QueryLimits limits = QueryLimits{}) {
  std::promise<Result<Rows>> p;
  auto f = p.get_future();
  store.Query(id, std::move(params), limits, std::chrono::steady_clock::now() + timeout,
              [&p](Result<Rows> r) { p.set_value(std::move(r)); });
  return f.get();
}

class CassandraStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!cassandra::testing::Listening(CassandraPort())) return;
    admin_ = new Admin();
    ASSERT_TRUE(admin_->status().ok()) << admin_->status().ToString();
    const std::string& ks = Keyspace();
    for (const std::string& cql : {
             "DROP KEYSPACE IF EXISTS " + ks,
             "CREATE KEYSPACE " + ks +
                 " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
             "CREATE TABLE " + ks +
                 ".types (k int PRIMARY KEY, t text, a ascii, ti tinyint, si smallint, i int, "
                 "bi bigint, b boolean, d double, f float, dec decimal, vi varint, u uuid, "
                 "tu timeuuid, ts timestamp, dt date, tm time, bl blob, ip inet, l list<int>, "
                 "s set<text>, m map<text, int>)",
             "INSERT INTO " + ks +
                 ".types (k, t, a, ti, si, i, bi, b, d, f, dec, vi, u, tu, ts, dt, tm, bl, ip, "
                 "l, s, m) VALUES (1, 'h\u00e9llo \"q\"', 'plain', 7, -300, 123456, "
                 "9007199254740993, true, 1.5, 2.5, 12.50, 123456789012345678901234567890, "
                 "01234567-89ab-cdef-0123-456789abcdef, 50554d6e-29bb-11e5-b345-feff819cdc9f, "
                 "'2024-05-01T12:00:00.123Z', '2024-05-01', '12:00:00.000000001', 0xcafe, "
                 "'10.0.0.1', [3, 1, 2], {'b', 'a'}, {'x': 1, 'y': 2})",
             "INSERT INTO " + ks + ".types (k) VALUES (2)",
             "CREATE TABLE " + ks + ".paged (k int, c int, v text, PRIMARY KEY (k, c))",
         }) {
      Status s = admin_->Run(cql);
      ASSERT_TRUE(s.ok()) << cql << ": " << s.ToString();
    }
    for (int c = 0; c < 21; ++c) {
      Status s = admin_->Run("INSERT INTO " + ks + ".paged (k, c, v) VALUES (1, " +
                             std::to_string(c) + ", 'v" + std::to_string(c) + "')");
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    ready_ = true;
  }
  static void TearDownTestSuite() {
    if (admin_ != nullptr) (void)admin_->Run("DROP KEYSPACE IF EXISTS " + Keyspace());
    delete admin_;
    admin_ = nullptr;
  }
  // A set-up that failed (a connect timeout on a loaded box) fails each test here, once,
  // instead of letting it run against tables that are not there.
  void SetUp() override {
    SHOAL_NEED_CASSANDRA();
    ASSERT_TRUE(ready_) << "the suite's set-up failed: see its message above";
  }

  inline static Admin* admin_ = nullptr;
  inline static bool ready_ = false;
};

TEST_F(CassandraStoreTest, EveryTypeReadsBackAsTheValueSqliteWouldGive) {
  auto store = CassandraStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto info = (*store)->Prepare(
      "SELECT t, a, ti, si, i, bi, b, d, f, dec, vi, u, tu, ts, dt, tm, bl, ip, l, s, m "
      "FROM types WHERE k = :k");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->params, std::vector<std::string>{"k"});
  ASSERT_EQ(info->columns.size(), 21u);
  EXPECT_EQ(info->columns[0], "t");

  Result<Rows> rows = QueryNow(**store, info->id, {int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  const Row& r = rows->rows[0];
  ASSERT_EQ(r.size(), 21u);
  EXPECT_EQ(r[0], Value(std::string("h\u00e9llo \"q\"")));
  EXPECT_EQ(r[1], Value(std::string("plain")));
  EXPECT_EQ(r[2], Value(int64_t{7}));
  EXPECT_EQ(r[3], Value(int64_t{-300}));
  EXPECT_EQ(r[4], Value(int64_t{123456}));
  EXPECT_EQ(r[5], Value(int64_t{9007199254740993}));
  EXPECT_EQ(r[6], Value(Json{"true"}));
  EXPECT_EQ(r[7], Value(1.5));
  EXPECT_EQ(r[8], Value(Json{"2.5"}));
  EXPECT_EQ(r[9], Value(Json{"12.50"}));
  EXPECT_EQ(r[10], Value(Json{"123456789012345678901234567890"}));
  EXPECT_EQ(r[11], Value(Json{"\"01234567-89ab-cdef-0123-456789abcdef\""}));
  EXPECT_EQ(r[12], Value(Json{"\"50554d6e-29bb-11e5-b345-feff819cdc9f\""}));
  EXPECT_EQ(r[13], Value(Json{"\"2024-05-01T12:00:00.123Z\""}));
  EXPECT_EQ(r[14], Value(Json{"\"2024-05-01\""}));
  EXPECT_EQ(r[15], Value(Json{"\"12:00:00.000000001\""}));
  EXPECT_EQ(r[16], Value(Blob{"\xca\xfe"}));
  EXPECT_EQ(r[17], Value(Json{"\"10.0.0.1\""}));
  EXPECT_EQ(r[18], Value(Json{"[3,1,2]"}));
  EXPECT_EQ(r[19], Value(Json{"[\"a\",\"b\"]"}));
  EXPECT_EQ(r[20], Value(Json{"{\"x\":1,\"y\":2}"}));

  // A row with only its key: every other column is null.
  rows = QueryNow(**store, info->id, {int64_t{2}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  for (size_t c = 0; c < rows->rows[0].size(); ++c) {
    EXPECT_EQ(rows->rows[0][c], Value()) << "column " << info->columns[c];
  }
  // No such key: no rows, not an error.
  rows = QueryNow(**store, info->id, {int64_t{3}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(rows->rows.empty());
  // A parameter that cannot be bound to the marker's type is the caller's input: the message
  // names the parameter and nothing of the column's type.
  rows = QueryNow(**store, info->id, {std::string("one")});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rows.status().message(), "parameter 'k' has a value its column cannot hold");
}

TEST_F(CassandraStoreTest, ReadsEveryPageAcrossPageBoundaries) {
  for (int32_t page : {7, 5, 1, 21, 5000}) {
    CassandraOptions o = Options();
    o.page_size = page;
    auto store = CassandraStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto info = (*store)->Prepare("SELECT c, v FROM paged WHERE k = :k");
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    Result<Rows> rows = QueryNow(**store, info->id, {int64_t{1}});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->rows.size(), 21u) << "page size " << page;
    for (size_t c = 0; c < 21; ++c) {
      EXPECT_EQ(rows->rows[c][0], Value(static_cast<int64_t>(c))) << "page size " << page;
      EXPECT_EQ(rows->rows[c][1], Value("v" + std::to_string(c)));
    }
  }
}

// QueryLimits stop the paging: a first-row-only query asks for one row (rows_read counts every
// row the server sent), and an answer past max_rows or max_bytes is AnswerTooLarge after at
// most one row past the cap, whatever the configured page size.
TEST_F(CassandraStoreTest, LimitsStopThePaging) {
  for (int32_t page : {5000, 7, 0}) {
    CassandraOptions o = Options();
    o.page_size = page;
    auto store = CassandraStore::Open(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto info = (*store)->Prepare("SELECT c, v FROM paged WHERE k = :k");
    ASSERT_TRUE(info.ok()) << info.status().ToString();

    uint64_t before = (*store)->rows_read();
    Result<Rows> rows = QueryNow(**store, info->id, {int64_t{1}}, 10s, {.first_row_only = true});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->rows.size(), 1u);
    EXPECT_EQ(rows->rows[0][0], Value(int64_t{0}));
    EXPECT_EQ((*store)->rows_read() - before, 1u) << "page size " << page;

    before = (*store)->rows_read();
    rows = QueryNow(**store, info->id, {int64_t{1}}, 10s, {.max_rows = 10});
    ASSERT_FALSE(rows.ok());
    EXPECT_TRUE(IsAnswerTooLarge(rows.status())) << rows.status().ToString();
    EXPECT_EQ((*store)->rows_read() - before, 11u) << "page size " << page;

    rows = QueryNow(**store, info->id, {int64_t{1}}, 10s, {.max_rows = 21});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->rows.size(), 21u);

    // Each row counts 8 (c) + 2 or 3 ("v0".."v20") bytes: 100 bytes pass within 10 rows.
    rows = QueryNow(**store, info->id, {int64_t{1}}, 10s, {.max_bytes = 100});
    ASSERT_FALSE(rows.ok());
    EXPECT_TRUE(IsAnswerTooLarge(rows.status())) << rows.status().ToString();
  }
}

TEST_F(CassandraStoreTest, PreparesAgainAfterTheTableIsDroppedAndRecreated) {
  const std::string& ks = Keyspace();
  ASSERT_TRUE(admin_->Run("CREATE TABLE " + ks + ".again (k int PRIMARY KEY, v text)").ok());
  ASSERT_TRUE(admin_->Run("INSERT INTO " + ks + ".again (k, v) VALUES (1, 'old')").ok());
  auto store = CassandraStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto info = (*store)->Prepare("SELECT v FROM again WHERE k = :k");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  Result<Rows> rows = QueryNow(**store, info->id, {int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][0], Value(std::string("old")));

  ASSERT_TRUE(admin_->Run("DROP TABLE " + ks + ".again").ok());
  ASSERT_TRUE(admin_->Run("CREATE TABLE " + ks + ".again (k int PRIMARY KEY, v text)").ok());
  ASSERT_TRUE(admin_->Run("INSERT INTO " + ks + ".again (k, v) VALUES (1, 'new')").ok());
  rows = QueryNow(**store, info->id, {int64_t{1}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][0], Value(std::string("new")));
  EXPECT_GE((*store)->session().reprepares(), 1u);
}

TEST_F(CassandraStoreTest, PrepareRefusesWhatCannotServeAnEndpoint) {
  auto store = CassandraStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto insert = (*store)->Prepare("INSERT INTO paged (k, c, v) VALUES (:k, :c, :v)");
  ASSERT_FALSE(insert.ok());
  EXPECT_NE(insert.status().message().find("must be a SELECT"), std::string::npos)
      << insert.status().ToString();
  auto bad = (*store)->Prepare("SELECT nope FROM paged WHERE k = :k");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("nope"), std::string::npos) << bad.status().ToString();
  // A name used twice is one parameter, bound to both markers.
  auto twice = (*store)->Prepare("SELECT c FROM paged WHERE k = :k AND c >= :x AND c <= :x");
  ASSERT_TRUE(twice.ok()) << twice.status().ToString();
  EXPECT_EQ(twice->params, (std::vector<std::string>{"k", "x"}));
  Result<Rows> rows = QueryNow(**store, twice->id, {int64_t{1}, int64_t{4}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][0], Value(int64_t{4}));
}

TEST_F(CassandraStoreTest, ErrorsFollowTheStoreContract) {
  auto store = CassandraStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto info = (*store)->Prepare("SELECT v FROM paged WHERE k = :k");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  // A deadline that has passed.
  Result<Rows> rows = QueryNow(**store, info->id, {int64_t{1}}, -1ms);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kDeadlineExceeded) << rows.status().ToString();
  // Unknown statement, wrong parameter count: the caller's (our) bug, not the HTTP client's
  // input, so Internal (InvalidArgument would reach the client as a 400).
  rows = QueryNow(**store, 999, {int64_t{1}});
  EXPECT_EQ(rows.status().code(), StatusCode::kInternal);
  rows = QueryNow(**store, info->id, {});
  EXPECT_EQ(rows.status().code(), StatusCode::kInternal);
  // The store still works, then refuses after Shutdown, on the caller's stack.
  rows = QueryNow(**store, info->id, {int64_t{1}});
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  (*store)->Shutdown();
  bool called = false;
  (*store)->Query(info->id, {int64_t{1}}, std::chrono::steady_clock::now() + 1s,
                  [&called](const Result<Rows>& r) {
                    called = true;
                    EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
                  });
  EXPECT_TRUE(called);
}

TEST_F(CassandraStoreTest, OpenNamesWhatIsWrong) {
  auto missing = CassandraStore::Open(Options("no_such_keyspace_here"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("no_such_keyspace_here"), std::string::npos)
      << missing.status().ToString();

  CassandraOptions nobody = Options();
  nobody.session.contact_points = {"127.0.0.1:1"};
  const auto start = std::chrono::steady_clock::now();
  auto refused = CassandraStore::Open(nobody);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("127.0.0.1:1"), std::string::npos)
      << refused.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  // A dead contact point before a live one: the next one is tried.
  CassandraOptions second = Options();
  second.session.contact_points = {"127.0.0.1:1", "127.0.0.1:" + std::to_string(CassandraPort())};
  auto opened = CassandraStore::Open(second);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)->session().nodes_up(), 1u);
}

// The caller's bad input is refused before the server sees it, with a message for the client
// that names the parameter and nothing of the database: text that is not UTF-8 (the server
// would answer Invalid with its own words), an empty partition key ("Key may not be empty").
TEST_F(CassandraStoreTest, BadParametersAreInvalidArgumentNamingTheParameter) {
  const std::string& ks = Keyspace();
  ASSERT_TRUE(admin_
                  ->Run("CREATE TABLE IF NOT EXISTS " + ks +
                        ".named (name text, part blob, c text, v int, "
                        "PRIMARY KEY ((name, part), c))")
                  .ok());
  ASSERT_TRUE(
      admin_->Run("INSERT INTO " + ks + ".named (name, part, c, v) VALUES ('a', 0x01, '', 1)")
          .ok());
  auto store = CassandraStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto info =
      (*store)->Prepare("SELECT v FROM named WHERE part = :part AND name = :who AND c = :c");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->params, (std::vector<std::string>{"part", "who", "c"}));

  // An empty clustering key is fine: only partition key components must not be empty.
  Result<Rows> rows = QueryNow(**store, info->id, {Blob{"\x01"}, std::string("a"), std::string()});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows.size(), 1u);

  rows = QueryNow(**store, info->id, {Blob{"\x01"}, std::string("a\xff"), std::string()});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument) << rows.status().ToString();
  EXPECT_EQ(rows.status().message(), "parameter 'who' must be valid UTF-8 text");

  rows = QueryNow(**store, info->id, {Blob{"\x01"}, std::string(), std::string()});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument) << rows.status().ToString();
  EXPECT_EQ(rows.status().message(), "parameter 'who' is empty (a partition key may not be)");

  rows = QueryNow(**store, info->id, {Blob{}, std::string("a"), std::string()});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), "parameter 'part' is empty (a partition key may not be)");
}

// A statement that stops working on the server (its table dropped after Prepare: Unprepared,
// then the re-prepare is refused with Invalid) is the operator's to fix: Internal, logged with the
// query, never InvalidArgument (that is the HTTP caller's input, a 400).
TEST_F(CassandraStoreTest, AQueryThatFailsOnTheServerAtRunTimeIsInternal) {
  const std::string& ks = Keyspace();
  ASSERT_TRUE(admin_->Run("CREATE TABLE " + ks + ".doomed (k int PRIMARY KEY, v text)").ok());
  MemoryLogger log;
  CassandraOptions o = Options();
  o.logger = &log;
  auto store = CassandraStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto info = (*store)->Prepare("SELECT v FROM doomed WHERE k = :k");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(QueryNow(**store, info->id, {int64_t{1}}).ok());
  ASSERT_TRUE(admin_->Run("DROP TABLE " + ks + ".doomed").ok());
  for (int i = 0; i < 3; ++i) {
    Result<Rows> rows = QueryNow(**store, info->id, {int64_t{1}});
    ASSERT_FALSE(rows.ok());
    EXPECT_EQ(rows.status().code(), StatusCode::kInternal) << rows.status().ToString();
  }
  // Logged at error with the query, for the operator; a few times, not once per query
  // forever (LogLimiter).
  size_t errors = 0;
  for (const MemoryLogger::Line& line : log.lines()) {
    if (line.level == LogLevel::kError &&
        line.message.find("SELECT v FROM doomed") != std::string::npos) {
      ++errors;
    }
  }
  EXPECT_GE(errors, 1u);
  EXPECT_EQ(log.Count("cassandra", "discovered "), 1u);
}

// Options() keeps one connection per node: the 500 queries share one connection's streams.
TEST_F(CassandraStoreTest, ManyQueriesInFlightAllAnswerTheirOwnKey) {
  auto store = CassandraStore::Open(Options());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto info = (*store)->Prepare("SELECT c, v FROM paged WHERE k = :k AND c = :c");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  constexpr size_t kQueries = 500;
  std::vector<std::promise<Result<Rows>>> promises(kQueries);
  for (size_t i = 0; i < kQueries; ++i) {
    (*store)->Query(info->id, {int64_t{1}, static_cast<int64_t>(i % 21)},
                    std::chrono::steady_clock::now() + 20s,
                    [&promises, i](Result<Rows> r) { promises[i].set_value(std::move(r)); });
  }
  for (size_t i = 0; i < kQueries; ++i) {
    Result<Rows> r = promises[i].get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->rows.size(), 1u);
    EXPECT_EQ(r->rows[0][1], Value("v" + std::to_string(i % 21)));
  }
}

}  // namespace
}  // namespace shoal::store

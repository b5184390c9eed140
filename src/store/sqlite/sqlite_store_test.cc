// Unit tests of SqliteStore against real SQLite files in a temporary directory: opening,
// Prepare's checks, value types both ways, deadlines (in the queue, on a lock, on a slow
// query), the bounded queue, shutdown, and statement reuse.
#include "store/sqlite/sqlite_store.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/sqlite/sqlite_test_util.h"

namespace shoal::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::In;
using testing::ItemsSql;
using testing::QuerySync;
using testing::TempDir;
using testing::Writer;

std::string Bytes(std::string_view s) { return std::string(s); }

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("test.db");
    Writer(path_).Exec(ItemsSql(100, "1.5") + "CREATE TABLE cells (k INTEGER PRIMARY KEY, v);");
  }

  std::unique_ptr<SqliteStore> OpenStore(int threads = 2, size_t queue_limit = 4096) {
    auto store = SqliteStore::Open({.path = path_, .threads = threads, .queue_limit = queue_limit});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  size_t MustPrepare(SqliteStore& store, std::string_view query) {
    auto info = store.Prepare(query);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? info->id : 0;
  }

  TempDir dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, OpenRefusesAMissingFile) {
  auto store = SqliteStore::Open({.path = dir_.File("nope.db")});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("nope.db"), std::string::npos);
  // Read-only: opening must not have created the file.
  EXPECT_FALSE(std::filesystem::exists(dir_.File("nope.db")));
}

TEST_F(SqliteStoreTest, OpenRefusesAFileThatIsNotADatabase) {
  const std::string junk = dir_.File("junk.db");
  std::ofstream(junk) << std::string(4096, 'x');
  auto store = SqliteStore::Open({.path = junk});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos)
      << store.status().ToString();
}

TEST_F(SqliteStoreTest, OpenRefusesBadOptions) {
  EXPECT_EQ(SqliteStore::Open({.path = path_, .threads = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SqliteStore::Open({.path = path_, .queue_limit = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SqliteStore::Open({.path = ""}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, ReadsEveryStorageClass) {
  {
    Writer w(path_);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(w.db(), "INSERT INTO cells (k, v) VALUES (?, ?)", -1, &insert, nullptr),
        SQLITE_OK);
    auto text = [&](int k, std::string_view s) {
      sqlite3_bind_int(insert, 1, k);
      sqlite3_bind_text(insert, 2, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE);
      sqlite3_reset(insert);
    };
    auto blob = [&](int k, std::string_view s) {
      sqlite3_bind_int(insert, 1, k);
      sqlite3_bind_blob(insert, 2, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(insert), SQLITE_DONE);
      sqlite3_reset(insert);
    };
    text(5, Bytes({"a\0b", 3}));
    text(6, "\xff\xfe not utf-8 \xc3");
    text(7, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ \n\t");
    text(8, "");
    blob(9, Bytes({"\x00\x01\xff", 3}));
    blob(10, "");
    sqlite3_finalize(insert);
    w.Exec(
        "INSERT INTO cells VALUES (1, 42), (2, -9223372036854775808), (3, 9223372036854775807),"
        "(4, 2.5), (11, NULL), (12, -0.125);");
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT k, v FROM cells ORDER BY k");
  auto rows = QuerySync(*store, id, {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->columns, (std::vector<std::string>{"k", "v"}));
  const std::vector<Value> want = {
      int64_t{42},
      std::numeric_limits<int64_t>::min(),
      std::numeric_limits<int64_t>::max(),
      2.5,
      Bytes({"a\0b", 3}),
      Bytes("\xff\xfe not utf-8 \xc3"),
      Bytes("caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ \n\t"),
      Bytes(""),
      Blob{Bytes({"\x00\x01\xff", 3})},
      Blob{},
      std::monostate{},
      -0.125,
  };
  ASSERT_EQ(rows->rows.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(rows->rows[i].size(), 2u);
    EXPECT_EQ(rows->rows[i][1], want[i]) << "row " << i;
  }
}

TEST_F(SqliteStoreTest, BindsEveryValueType) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto info = store->Prepare("SELECT :i, :d, :s, :b, :n, typeof(:b), typeof(:s), length(:s)");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->params, (std::vector<std::string>{"i", "d", "s", "b", "n"}));
  const std::string text = Bytes({"x\0\xff\xf0\x9f\x9a\xb2", 7});
  auto rows = QuerySync(*store, info->id,
                        {int64_t{-7}, 0.5, text, Blob{Bytes({"\0\0", 2})}, std::monostate{}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  const Row& row = rows->rows[0];
  EXPECT_EQ(row[0], Value(int64_t{-7}));
  EXPECT_EQ(row[1], Value(0.5));
  EXPECT_EQ(row[2], Value(text));
  EXPECT_EQ(row[3], Value(Blob{Bytes({"\0\0", 2})}));
  EXPECT_EQ(row[4], Value(std::monostate{}));
  EXPECT_EQ(row[5], Value(Bytes("blob")));
  EXPECT_EQ(row[6], Value(Bytes("text")));
}

// A config reload prepares the same queries again: they keep their statements.
TEST_F(SqliteStoreTest, PreparingTheSameQueryAgainReusesItsStatement) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto a = store->Prepare("SELECT id FROM items WHERE id = :id");
  auto b = store->Prepare("SELECT id, name FROM items WHERE id = :id");
  auto c = store->Prepare("SELECT id FROM items WHERE id = :id");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->id, c->id);
  EXPECT_NE(a->id, b->id);
  auto rows = QuerySync(*store, c->id, {int64_t{11}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][0], Value(int64_t{11}));
}

TEST_F(SqliteStoreTest, ReportsParamsInBindingOrderAndColumnsByName) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto info = store->Prepare(
      "SELECT id, name AS label FROM items WHERE price > :min_price AND id <= :hi AND id >= :lo "
      "AND :lo >= 0 ORDER BY id");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->params, (std::vector<std::string>{"min_price", "hi", "lo"}));
  EXPECT_EQ(info->columns, (std::vector<std::string>{"id", "label"}));
  auto rows = QuerySync(*store, info->id, {15.0, int64_t{12}, int64_t{10}});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 2u);  // ids 10..12 cost 15.0, 16.5, 18.0; two cost > 15
  EXPECT_EQ(rows->rows[0][0], Value(int64_t{11}));
  EXPECT_EQ(rows->rows[1][1], Value(Bytes("item-12")));
}

TEST_F(SqliteStoreTest, PrepareRefusesWhatItCannotServe) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  struct Case {
    std::string query;
    std::string message;  // a part of the expected message
  };
  const std::vector<Case> cases = {
      {"SELEC id FROM items", "syntax error"},
      {"SELECT * FROM no_such_table", "no such table: no_such_table"},
      {"SELECT nope FROM items", "no such column: nope"},
      {"DELETE FROM items", "not a read-only statement"},
      {"INSERT INTO items (name) VALUES ('x')", "not a read-only statement"},
      {"UPDATE items SET name = 'x'", "not a read-only statement"},
      {"CREATE TABLE t (x)", "not a read-only statement"},
      {"SELECT name FROM items WHERE id = ?", "'?'"},
      {"SELECT name FROM items WHERE id = ?1", "'?1'"},
      {"SELECT name FROM items WHERE id = :id OR id = ?", "'?'"},
      {"SELECT name FROM items WHERE id = @id", "'@id'"},
      {"SELECT name FROM items WHERE id = $id", "'$id'"},
      {"SELECT 1; SELECT 2", "more than one statement"},
      {"SELECT 1; DROP TABLE items", "more than one statement"},
      {"   ", "empty"},
      {"-- only a comment", "empty"},
      {"BEGIN", "no columns"},
  };
  for (const Case& c : cases) {
    auto info = store->Prepare(c.query);
    ASSERT_FALSE(info.ok()) << c.query;
    EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument) << c.query;
    EXPECT_NE(info.status().message().find(c.message), std::string::npos)
        << c.query << " -> " << info.status().ToString();
  }
  // Trailing separators and comments are not a second statement.
  EXPECT_TRUE(store->Prepare("SELECT 1;").ok());
  EXPECT_TRUE(store->Prepare("SELECT 1; -- the end\n  ").ok());
  // The refusals registered nothing: the next id is 2.
  auto info = store->Prepare("SELECT 2");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->id, 2u);
}

TEST_F(SqliteStoreTest, RejectsWrongArgumentsOnAStoreThread) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT name FROM items WHERE id = :id");
  // The caller's bugs, not an HTTP client's input: Internal (InvalidArgument would be a 400).
  auto wrong_count = QuerySync(*store, id, {});
  EXPECT_EQ(wrong_count.status().code(), StatusCode::kInternal);
  auto unknown_id = QuerySync(*store, id + 1, {int64_t{1}});
  EXPECT_EQ(unknown_id.status().code(), StatusCode::kInternal);

  std::promise<std::thread::id> where;
  store->Query(id, {}, In(seconds(5)),
               [&where](const Result<Rows>&) { where.set_value(std::this_thread::get_id()); });
  EXPECT_NE(where.get_future().get(), std::this_thread::get_id());
}

TEST_F(SqliteStoreTest, MissingRowsAreAnEmptyResult) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT name FROM items WHERE id = :id");
  auto rows = QuerySync(*store, id, {int64_t{1000}});
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->rows.empty());
  EXPECT_EQ(rows->columns, std::vector<std::string>{"name"});
}

TEST_F(SqliteStoreTest, ADeadlinePassedInTheQueueIsNotRun) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT 1");
  std::promise<Result<Rows>> answer;
  store->Query(id, {}, std::chrono::steady_clock::now() - milliseconds(1),
               [&answer](Result<Rows> rows) { answer.set_value(std::move(rows)); });
  auto rows = answer.get_future().get();
  EXPECT_EQ(rows.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(store->prepares(), 0u);  // never reached the database
}

TEST_F(SqliteStoreTest, ALockedDatabaseFailsWithinTheDeadline) {
  auto store = OpenStore(/*threads=*/1);
  ASSERT_NE(store, nullptr);
  const size_t compiled = MustPrepare(*store, "SELECT count(*) FROM items");
  ASSERT_TRUE(QuerySync(*store, compiled, {}).ok());                   // now compiled on the worker
  const size_t fresh = MustPrepare(*store, "SELECT name FROM items");  // not yet compiled

  Writer writer(path_);
  ASSERT_TRUE(writer.Exec("BEGIN EXCLUSIVE; UPDATE items SET name = 'locked' WHERE id = 1;"));
  for (size_t id : {compiled, fresh}) {
    const auto start = std::chrono::steady_clock::now();
    auto rows = QuerySync(*store, id, {}, milliseconds(300));
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(rows.ok()) << "statement " << id;
    EXPECT_TRUE(rows.status().code() == StatusCode::kUnavailable ||
                rows.status().code() == StatusCode::kDeadlineExceeded)
        << rows.status().ToString();
    EXPECT_GE(took, milliseconds(200)) << "gave up long before the deadline";
    EXPECT_LT(took, milliseconds(1500)) << "waited far past the deadline";
  }
  ASSERT_TRUE(writer.Exec("ROLLBACK;"));
  for (size_t id : {compiled, fresh}) {
    auto rows = QuerySync(*store, id, {});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  }
  EXPECT_EQ(QuerySync(*store, compiled, {})->rows[0][0], Value(int64_t{100}));
}

TEST_F(SqliteStoreTest, ASlowQueryIsInterruptedAtItsDeadline) {
  auto store = OpenStore(/*threads=*/1);
  ASSERT_NE(store, nullptr);
  const size_t slow = MustPrepare(
      *store,
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) "
      "SELECT count(*) FROM n");
  const auto start = std::chrono::steady_clock::now();
  auto rows = QuerySync(*store, slow, {}, milliseconds(200));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(rows.status().code(), StatusCode::kDeadlineExceeded) << rows.status().ToString();
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LT(took, milliseconds(1500));
  // The same worker and connection serve the next query normally.
  const size_t fast = MustPrepare(*store, "SELECT count(*) FROM items");
  auto next = QuerySync(*store, fast, {});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->rows[0][0], Value(int64_t{100}));
}

// Blocker occupies a store's worker: its callback signals that it runs, then waits until
// Release. Lets tests fill the queue deterministically.
class Blocker {
 public:
  void Submit(SqliteStore& store, size_t id) {
    store.Query(id, {}, In(seconds(10)), [this](const Result<Rows>&) {
      started_.set_value();
      release_future_.wait();
    });
    started_future_.wait();
  }
  void Release() { release_.set_value(); }

 private:
  std::promise<void> started_;
  std::future<void> started_future_ = started_.get_future();
  std::promise<void> release_;
  std::shared_future<void> release_future_ = release_.get_future().share();
};

// Answers collects the statuses of many queries.
class Answers {
 public:
  QueryCallback Callback() {
    return [this](const Result<Rows>& rows) {
      std::lock_guard lock(mu_);
      codes_.push_back(rows.status().code());
      cv_.notify_all();
    };
  }
  std::vector<StatusCode> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, seconds(20), [&] { return codes_.size() >= n; }));
    return codes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<StatusCode> codes_;
};

TEST_F(SqliteStoreTest, AFullQueueRefusesWithResourceExhausted) {
  auto store = OpenStore(/*threads=*/1, /*queue_limit=*/2);
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT 1");
  Blocker blocker;
  blocker.Submit(*store, id);
  Answers answers;
  for (int i = 0; i < 3; ++i) store->Query(id, {}, In(seconds(10)), answers.Callback());
  blocker.Release();
  const auto codes = answers.WaitFor(3);
  // The refusal jumps the queue: it is answered before the two queued queries run.
  EXPECT_EQ(codes, (std::vector<StatusCode>{StatusCode::kResourceExhausted, StatusCode::kOk,
                                            StatusCode::kOk}));
}

TEST_F(SqliteStoreTest, ShutdownCancelsQueuedQueriesAndWaitsForTheRunningOne) {
  auto store = OpenStore(/*threads=*/1);
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT 1");
  Blocker blocker;
  blocker.Submit(*store, id);
  Answers answers;
  for (int i = 0; i < 3; ++i) store->Query(id, {}, In(seconds(10)), answers.Callback());

  std::atomic<bool> shut{false};
  std::thread shutdown([&] {
    store->Shutdown();
    shut = true;
  });
  // Probe until Shutdown has begun: from then on Query answers Cancelled on the caller's
  // stack. Probes that arrive earlier are queued and must be cancelled too.
  size_t probes = 0;
  for (;;) {
    const std::thread::id caller = std::this_thread::get_id();
    auto on_caller = std::make_shared<std::atomic<bool>>(false);
    store->Query(id, {}, In(seconds(10)), [caller, on_caller, &answers](Result<Rows> rows) {
      if (std::this_thread::get_id() == caller) {
        EXPECT_EQ(rows.status().code(), StatusCode::kCancelled);
        *on_caller = true;
      } else {
        answers.Callback()(std::move(rows));
      }
    });
    if (*on_caller) break;
    ++probes;
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_FALSE(shut.load()) << "Shutdown returned while a query was running";
  blocker.Release();
  shutdown.join();
  const auto codes = answers.WaitFor(3 + probes);
  EXPECT_EQ(codes, std::vector<StatusCode>(3 + probes, StatusCode::kCancelled));
  store->Shutdown();  // idempotent
}

TEST_F(SqliteStoreTest, QueryAfterShutdownIsCancelled) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT 1");
  store->Shutdown();
  auto rows = QuerySync(*store, id, {});
  EXPECT_EQ(rows.status().code(), StatusCode::kCancelled);
}

TEST_F(SqliteStoreTest, TheDestructorAnswersEveryQueuedQuery) {
  Answers answers;
  {
    auto store = OpenStore(/*threads=*/1);
    ASSERT_NE(store, nullptr);
    const size_t id = MustPrepare(*store, "SELECT count(*) FROM items");
    for (int i = 0; i < 50; ++i) store->Query(id, {}, In(seconds(10)), answers.Callback());
  }
  const auto codes = answers.WaitFor(50);
  ASSERT_EQ(codes.size(), 50u);
  for (StatusCode code : codes) {
    EXPECT_TRUE(code == StatusCode::kOk || code == StatusCode::kCancelled);
  }
}

TEST_F(SqliteStoreTest, StatementsAreCompiledOncePerWorker) {
  auto store = OpenStore(/*threads=*/1);
  ASSERT_NE(store, nullptr);
  const size_t by_id = MustPrepare(*store, "SELECT name FROM items WHERE id = :id");
  const size_t count = MustPrepare(*store, "SELECT count(*) FROM items WHERE price < :p");
  for (int64_t i = 1; i <= 50; ++i) {
    auto name = QuerySync(*store, by_id, {i});
    ASSERT_TRUE(name.ok()) << name.status().ToString();
    ASSERT_EQ(name->rows.size(), 1u);
    EXPECT_EQ(name->rows[0][0], Value("item-" + std::to_string(i)));
    auto n = QuerySync(*store, count, {static_cast<double>(i)});
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(n->rows[0][0], Value(int64_t{(2 * i - 1) / 3}));  // k with 1.5 k < i
  }
  EXPECT_EQ(store->prepares(), 2u);
  EXPECT_EQ(store->queries(), 100u);
}

TEST_F(SqliteStoreTest, ACallbackMayQueryAgain) {
  auto store = OpenStore(/*threads=*/1);
  ASSERT_NE(store, nullptr);
  const size_t id = MustPrepare(*store, "SELECT name FROM items WHERE id = :id");
  std::promise<Result<Rows>> second;
  store->Query(id, {int64_t{1}}, In(seconds(5)), [&](const Result<Rows>& first) {
    EXPECT_TRUE(first.ok());
    store->Query(id, {int64_t{2}}, In(seconds(5)),
                 [&second](Result<Rows> rows) { second.set_value(std::move(rows)); });
  });
  auto rows = second.get_future().get();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0][0], Value(Bytes("item-2")));
}

}  // namespace
}  // namespace shoal::store

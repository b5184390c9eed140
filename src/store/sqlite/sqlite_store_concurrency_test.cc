// Concurrency tests of SqliteStore (run under TSan): many caller threads querying at once get
// the right rows, Prepare may run while queries do, and Shutdown during a stream of queries
// answers every query exactly once.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/test_threads.h"
#include "store/sqlite/sqlite_store.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::store {
namespace {

using std::chrono::seconds;
using testing::QuerySync;

constexpr int64_t kItems = 500;

class SqliteStoreConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("test.db");
    testing::Writer(path_).Exec(testing::ItemsSql(kItems, "0.25"));
    auto store = SqliteStore::Open({.path = path_, .threads = 3});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreConcurrencyTest, ManyCallersGetTheirOwnRows) {
  auto by_id = store_->Prepare("SELECT id, name, price FROM items WHERE id = :id");
  auto range = store_->Prepare("SELECT count(*) FROM items WHERE id BETWEEN :lo AND :hi");
  ASSERT_TRUE(by_id.ok() && range.ok());
  constexpr int kCallers = 8;
  constexpr int kPerCaller = 150;
  std::atomic<int> wrong{0};
  shoal::testing::ThreadGroup callers(kCallers, [&](int t) {
    for (int i = 0; i < kPerCaller; ++i) {
      const int64_t id = (t * 7919 + i * 31) % kItems + 1;
      auto row = QuerySync(*store_, by_id->id, {id});
      if (!row.ok() || row->rows.size() != 1 || row->rows[0][0] != Value(id) ||
          row->rows[0][1] != Value("item-" + std::to_string(id)) ||
          row->rows[0][2] != Value(static_cast<double>(id) * 0.25)) {
        ++wrong;
      }
      auto n = QuerySync(*store_, range->id, {id, id + 9});
      const int64_t want = std::min<int64_t>(10, kItems - id + 1);
      if (!n.ok() || n->rows.at(0).at(0) != Value(want)) ++wrong;
    }
  });
  callers.Join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(store_->queries(), uint64_t{kCallers} * kPerCaller * 2);
  EXPECT_LE(store_->prepares(), 6u);  // 3 workers x 2 statements, whatever the load
}

TEST_F(SqliteStoreConcurrencyTest, PrepareWhileQuerying) {
  auto by_id = store_->Prepare("SELECT name FROM items WHERE id = :id");
  ASSERT_TRUE(by_id.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread querier([&] {
    for (int64_t i = 1; !stop.load(); i = i % kItems + 1) {
      if (!QuerySync(*store_, by_id->id, {i}).ok()) ++failures;
    }
  });
  for (int i = 0; i < 100; ++i) {
    auto info = store_->Prepare("SELECT " + std::to_string(i) + " AS n, name FROM items LIMIT 1");
    ASSERT_TRUE(info.ok());
    auto rows = QuerySync(*store_, info->id, {});
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(rows->rows[0][0], Value(int64_t{i}));
  }
  stop = true;
  querier.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(SqliteStoreConcurrencyTest, ShutdownUnderLoadAnswersEveryQueryOnce) {
  auto by_id = store_->Prepare("SELECT name FROM items WHERE id = :id");
  ASSERT_TRUE(by_id.ok());
  constexpr int kCallers = 4;
  constexpr int kPerCaller = 2000;
  std::atomic<int> answered{0};
  std::atomic<int> bad{0};
  shoal::testing::ThreadGroup callers(kCallers, [&](int) {
    for (int64_t i = 0; i < kPerCaller; ++i) {
      store_->Query(by_id->id, {i % kItems + 1}, testing::In(seconds(10)),
                    [&](const Result<Rows>& rows) {
                      const StatusCode code = rows.status().code();
                      if (code != StatusCode::kOk && code != StatusCode::kCancelled &&
                          code != StatusCode::kResourceExhausted) {
                        ++bad;
                      }
                      ++answered;
                    });
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  store_->Shutdown();
  callers.Join();
  // Every callback has run by now: queued ones before Shutdown returned, later ones inline.
  EXPECT_EQ(answered.load(), kCallers * kPerCaller);
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace shoal::store

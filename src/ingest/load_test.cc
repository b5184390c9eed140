// LoadRows: the bound on writes in flight, the counts, the lowest reasons kept and progress,
// against a writer that completes on its own threads out of order.
#include "ingest/load.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/ingest_test_util.h"

namespace shoal::ingest {
namespace {

using testing::TempDir;

// ThreadedWriter completes each write on one of its worker threads after a pause, as a writer
// over the network does, and records the most writes it ever held unfinished. Rows whose id
// is a multiple of 7 fail; row 14 is slow, so rejects arrive out of line order. From row
// `broken_from` on, the store itself fails (Unavailable), as a full disk does; rows that are a
// multiple of `flaky_every` fail by the store's fault too, as a transient refusal does.
class ThreadedWriter : public RowWriter {
 public:
  explicit ThreadedWriter(size_t concurrency, int64_t broken_from = INT64_MAX,
                          int64_t flaky_every = INT64_MAX)
      : concurrency_(concurrency), broken_from_(broken_from), flaky_every_(flaky_every) {
    for (int i = 0; i < 4; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~ThreadedWriter() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  Status Begin(const std::string& table, const std::vector<std::string>&, bool) override {
    table_ = table;
    return table == "missing" ? Status::InvalidArgument("no such table: missing") : Status();
  }
  void Write(std::vector<store::Value> row, std::function<void(Status)> done) override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({std::get<int64_t>(row.at(0)), std::move(done)});
    ++outstanding_;
    max_outstanding_ = std::max(max_outstanding_, outstanding_);
    cv_.notify_all();
  }
  size_t concurrency() const override { return concurrency_; }
  Status Finish() override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return outstanding_ == 0; });
    ++finished_;
    return Status();
  }

  size_t max_outstanding() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_outstanding_;
  }
  std::set<int64_t> stored() {
    std::lock_guard<std::mutex> lock(mu_);
    return stored_;
  }
  int finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }
  const std::string& table() const { return table_; }

 private:
  struct Item {
    int64_t id = 0;
    std::function<void(Status)> done;
  };

  void Work() {
    for (;;) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      // Row 14 takes long enough for the rejects of rows up to 70 to arrive before it.
      std::this_thread::sleep_for(item.id == 14 ? std::chrono::microseconds(30000)
                                                : std::chrono::microseconds(500));
      Status s;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (item.id >= broken_from_) {
          s = Status::Unavailable("the disk is full");
        } else if (item.id % flaky_every_ == 0) {
          s = Status::DeadlineExceeded("timed out");
        } else if (item.id % 7 == 0) {
          s = Status::InvalidArgument("id " + std::to_string(item.id) + " is a multiple of 7");
        } else {
          stored_.insert(item.id);
        }
        --outstanding_;  // before `done`, which lets the driver write the next row
      }
      cv_.notify_all();
      item.done(s);
    }
  }

  const size_t concurrency_;
  const int64_t broken_from_;
  const int64_t flaky_every_;
  std::string table_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  size_t outstanding_ = 0;
  size_t max_outstanding_ = 0;
  std::set<int64_t> stored_;
  int finished_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

TEST(LoadRowsTest, KeepsTheBoundCountsEveryRowAndKeepsTheLowestReasons) {
  TempDir dir;
  std::string text;
  for (int id = 1; id <= 300; ++id) {
    text += id == 5 ? "oops\n" : "{\"id\": " + std::to_string(id) + "}\n";
  }
  auto source = OpenFileSource(dir.Write("ids.jsonl", text), FileFormat::kJsonl, {});
  ASSERT_TRUE(source.ok());
  ThreadedWriter writer(8);
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  Result<LoadReport> result = Load(**source, writer, "items", [&](uint64_t rows, uint64_t bytes) {
    progress.emplace_back(rows, bytes);
  });
  ASSERT_TRUE(result.ok());
  const LoadReport& report = *result;
  EXPECT_EQ(writer.table(), "items");

  std::set<int64_t> expected;
  for (int64_t id = 1; id <= 300; ++id) {
    if (id != 5 && id % 7 != 0) expected.insert(id);
  }
  EXPECT_EQ(writer.stored(), expected);
  EXPECT_EQ(report.written, expected.size());
  EXPECT_EQ(report.rejected, 300 - expected.size());
  EXPECT_TRUE(report.finish.ok());
  EXPECT_EQ(writer.finished(), 1);
  // Four workers drain a queue the driver keeps full: exactly the bound, never more.
  EXPECT_EQ(writer.max_outstanding(), 8u);
  // Rejects arrive out of order from four threads; the report keeps the ten lowest lines.
  ASSERT_EQ(report.first_rejects.size(), LoadReport::kMaxReasons);
  std::vector<size_t> lines;
  for (const Reject& r : report.first_rejects) lines.push_back(r.line);
  EXPECT_EQ(lines, (std::vector<size_t>{5, 7, 14, 21, 28, 35, 42, 49, 56, 63}));
  EXPECT_EQ(report.first_rejects[1].reason, "id 7 is a multiple of 7");
  // Progress: once a record, bytes never going back, ending at the file's size.
  ASSERT_EQ(progress.size(), 300u);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back().second, text.size());
}

// A store that keeps failing stops the load: LoadReport::kStopAfter failures in a row, and no
// row is read or written after that; the rows before it are written, rejects of their own kept.
TEST(LoadRowsTest, AStoreThatKeepsFailingStopsTheLoad) {
  TempDir dir;
  std::string text;
  for (int id = 1; id <= 1000; ++id) text += "{\"id\": " + std::to_string(id) + "}\n";
  auto source = OpenFileSource(dir.Write("ids.jsonl", text), FileFormat::kJsonl, {});
  ASSERT_TRUE(source.ok());
  ThreadedWriter writer(8, /*broken_from=*/100);
  size_t read = 0;
  Result<LoadReport> result = Load(**source, writer, "items", [&](uint64_t, uint64_t) { ++read; });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->stopped.code(), StatusCode::kUnavailable);
  EXPECT_EQ(result->stopped.message(), "the disk is full");
  std::set<int64_t> expected;
  for (int64_t id = 1; id < 100; ++id) {
    if (id % 7 != 0) expected.insert(id);
  }
  EXPECT_EQ(writer.stored(), expected);
  EXPECT_EQ(result->written, expected.size());
  // At least rows 100 to 199 fail in a row before it stops. Row 14's late reject (its own
  // fault, 30 ms after it was written) can break the run once and start the count again, so
  // a second hundred may go too: still nowhere near the file's 1,000 rows.
  EXPECT_GE(read, 199u);
  EXPECT_LE(read, 100u + 2 * LoadReport::kStopAfter + 8 + 8);
  EXPECT_LE(result->written + result->rejected, read);
  EXPECT_EQ(writer.finished(), 1);
  EXPECT_EQ(result->first_rejects.front().line, 7u);  // a row's own reason, kept
}

// Store failures that do not come in a row (a timeout now and then) are rejects, and the load
// goes on to the end.
TEST(LoadRowsTest, StoreFailuresNowAndThenDoNotStopTheLoad) {
  TempDir dir;
  std::string text;
  for (int id = 1; id <= 300; ++id) text += "{\"id\": " + std::to_string(id) + "}\n";
  auto source = OpenFileSource(dir.Write("ids.jsonl", text), FileFormat::kJsonl, {});
  ASSERT_TRUE(source.ok());
  ThreadedWriter writer(8, INT64_MAX, /*flaky_every=*/5);
  Result<LoadReport> result = Load(**source, writer, "items", [](uint64_t, uint64_t) {});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->stopped.ok()) << result->stopped.ToString();
  EXPECT_EQ(result->written + result->rejected, 300u);
  EXPECT_EQ(result->rejected, 94u);  // the multiples of 5 or of 7
}

TEST(LoadRowsTest, ABeginErrorStopsBeforeTheFirstRow) {
  TempDir dir;
  auto source = OpenFileSource(dir.Write("ids.jsonl", "{\"id\": 1}\n"), FileFormat::kJsonl, {});
  ASSERT_TRUE(source.ok());
  ThreadedWriter writer(8);
  Result<LoadReport> result = Load(**source, writer, "missing", [](uint64_t, uint64_t) {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "no such table: missing");
  EXPECT_TRUE(writer.stored().empty());
  EXPECT_EQ(writer.finished(), 0);
}

}  // namespace
}  // namespace shoal::ingest

// `shoal load`: the CSV and JSONL readers, the driver's bound on writes in flight, the progress
// text, and whole loads through LoadCommand into real SQLite files.
#include "cli/load.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

namespace shoal::cli {
namespace {

std::vector<std::vector<CsvField>> Csv(const std::string& text, std::vector<std::string>* errors) {
  std::istringstream in(text);
  std::vector<std::vector<CsvField>> records;
  size_t line = 0;
  uint64_t bytes = 0;
  for (;;) {
    std::vector<CsvField> fields;
    Result<bool> r = ReadCsvRecord(in, &fields, &line, &bytes);
    if (!r.ok()) {
      errors->push_back(std::to_string(line) + ": " + std::string(r.status().message()));
      continue;
    }
    if (!*r) break;
    records.push_back(std::move(fields));
  }
  EXPECT_EQ(bytes, text.size());
  return records;
}

TEST(CsvTest, QuotesEscapesLineBreaksAndNulls) {
  std::vector<std::string> errors;
  const auto records =
      Csv("id,name,note\r\n1,\"a, b\",\"say \"\"hi\"\"\"\n2,,\"\"\n3,\"two\nlines\",x\r\n"
          "4,\"crlf\r\ninside\",\"\"\"\"",
          &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0][2].text, "note");  // the CR of CRLF is not part of the field
  EXPECT_EQ(records[1][1].text, "a, b");
  EXPECT_EQ(records[1][2].text, "say \"hi\"");
  ASSERT_EQ(records[2].size(), 3u);
  EXPECT_FALSE(records[2][1].quoted);  // empty unquoted: null
  EXPECT_EQ(records[2][1].text, "");
  EXPECT_TRUE(records[2][2].quoted);  // "": the empty string
  EXPECT_EQ(records[2][2].text, "");
  EXPECT_EQ(records[3][1].text, "two\nlines");
  EXPECT_EQ(records[3][2].text, "x");
  EXPECT_EQ(records[4][1].text, "crlf\r\ninside");  // inside quotes, line ends are data
  EXPECT_EQ(records[4][2].text, "\"");              // no line end after the last record
}

TEST(CsvTest, BrokenRecordsAreErrorsAndReadingGoesOn) {
  std::vector<std::string> errors;
  const auto records = Csv("a,b\n\"x\"y,1\n2,3\n\"open,4\n5,6", &errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "2: text after a closing quote");
  // An open quote swallows the rest of the file: lines 4 and 5 are one broken record.
  EXPECT_EQ(errors[1], "5: a quoted field is not closed before the end of the file");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1][0].text, "2");
}

TEST(JsonlTest, ValuesMapAsDocumented) {
  Result<std::vector<std::string>> columns =
      JsonlColumns(R"({"i": 1, "d": 2.5, "s": "x", "t": true, "n": null, "a": [1, "b"], "o": {}})");
  ASSERT_TRUE(columns.ok());
  EXPECT_EQ(*columns, (std::vector<std::string>{"i", "d", "s", "t", "n", "a", "o"}));
  Result<std::vector<store::Value>> row = JsonlRow(
      R"({"a": ["q", {"k": null}], "i": -9007199254740993, "d": 1e300, "s": "é\n", "t": false})",
      *columns, false);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ((*row)[0], store::Value(int64_t{-9007199254740993}));  // exact, not via double
  EXPECT_EQ((*row)[1], store::Value(1e300));
  EXPECT_EQ((*row)[2], store::Value(std::string("é\n")));
  EXPECT_EQ((*row)[3], store::Value(int64_t{0}));
  EXPECT_EQ((*row)[4], store::Value());  // missing: null
  EXPECT_EQ((*row)[5], store::Value(std::string(R"(["q",{"k":null}])")));
  EXPECT_EQ((*row)[6], store::Value());

  row = JsonlRow(R"({"i": 2.0, "d": 7, "t": true, "n": null, "o": {"x": 1}})", *columns, false);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ((*row)[0], store::Value(2.0));  // written with a point: a double
  EXPECT_EQ((*row)[1], store::Value(int64_t{7}));
  EXPECT_EQ((*row)[3], store::Value(int64_t{1}));
  EXPECT_EQ((*row)[4], store::Value());
  EXPECT_EQ((*row)[6], store::Value(std::string(R"({"x":1})")));
  // Beyond int64: a double.
  row = JsonlRow(R"({"i": 18446744073709551615})", *columns, false);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ((*row)[0], store::Value(18446744073709551615.0));

  Result<std::vector<store::Value>> unknown = JsonlRow(R"({"zz": 1})", *columns, false);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'zz'"), std::string_view::npos);
  EXPECT_TRUE(JsonlRow(R"({"zz": 1})", *columns, true).ok());
  EXPECT_FALSE(JsonlRow("[1]", *columns, false).ok());
  EXPECT_FALSE(JsonlRow("{", *columns, false).ok());
  EXPECT_FALSE(JsonlRow(R"({"i": 1} {"i": 2})", *columns, false).ok());  // two objects
  EXPECT_TRUE(JsonlRow("{\"i\": 1} \r", *columns, false).ok());          // CRLF files
  EXPECT_FALSE(JsonlColumns(R"({"a": 1, "a": 2})").ok());
  EXPECT_FALSE(JsonlColumns("{}").ok());
}

TEST(CassandraTargetTest, HostPortKeyspaceAndCredentials) {
  ::unsetenv("SHOAL_CASSANDRA_USER");
  ::unsetenv("SHOAL_CASSANDRA_PASSWORD");
  Result<CassandraTarget> t = ParseCassandraTarget("db1.example/shop");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->host, "db1.example");
  EXPECT_EQ(t->port, 9042);
  EXPECT_EQ(t->keyspace, "shop");
  EXPECT_EQ(t->user, "");

  ::setenv("SHOAL_CASSANDRA_USER", "loader", 1);
  ::setenv("SHOAL_CASSANDRA_PASSWORD", "s3cret", 1);
  t = ParseCassandraTarget("127.0.0.1:19042/shoal_catalog");
  ::unsetenv("SHOAL_CASSANDRA_USER");
  ::unsetenv("SHOAL_CASSANDRA_PASSWORD");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 19042);
  EXPECT_EQ(t->keyspace, "shoal_catalog");
  EXPECT_EQ(t->user, "loader");
  EXPECT_EQ(t->password, "s3cret");

  t = ParseCassandraTarget("[::1]:9043/ks");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, 9043);

  for (const char* bad : {"host", "host/", "/ks", "h:0/ks", "h:99999/ks", "h:x/ks", "::1/ks",
                          "[::1/ks", "h/k-s", "h/ks/more"}) {
    EXPECT_FALSE(ParseCassandraTarget(bad).ok()) << bad;
  }
}

TEST(ProgressTest, TerminalBarAndPlainLines) {
  EXPECT_EQ(FormatProgress(true, 12345, 2.0, 450, 1000, "f.csv"),
            "[#########-----------] 45% 12,345 rows 6,172 rows/s ETA 0:02");
  EXPECT_EQ(FormatProgress(false, 12345, 2.0, 450, 1000, "f.csv"),
            "load: 12345 rows (6172 rows/s), 45% of f.csv");
  // 10% in 400 s: an hour to go.
  EXPECT_EQ(FormatProgress(true, 1000000, 400, 100, 1000, "f"),
            "[##------------------] 10% 1,000,000 rows 2,500 rows/s ETA 1:00:00");
  EXPECT_EQ(FormatProgress(true, 0, 0, 0, 1000, "f"),
            "[--------------------] 0% 0 rows 0 rows/s ETA -:--");
  // The size of a pipe is not known: no percentage, no ETA.
  EXPECT_EQ(FormatProgress(true, 10, 1, 5, 0, "f"), "10 rows 10 rows/s");
  EXPECT_EQ(FormatProgress(false, 10, 1, 5, 0, "/dev/stdin"),
            "load: 10 rows (10 rows/s), from /dev/stdin");
  // Reading past the size (a last line without a line end) stays at 100%.
  EXPECT_EQ(FormatProgress(false, 3, 1, 1001, 1000, "f"), "load: 3 rows (3 rows/s), 100% of f");
}

// A directory of the test's own under the temp directory, removed at the end.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("shoal_load_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

using RowReaderTest = TempDirTest;

// ReadAll reads every record: rows as text ("1|x|NULL"), errors as "line: reason".
std::vector<std::string> ReadAll(RowReader& reader) {
  std::vector<std::string> out;
  for (;;) {
    std::vector<store::Value> row;
    size_t line = 0;
    Result<bool> r = reader.Next(&row, &line);
    if (!r.ok()) {
      out.push_back(std::to_string(line) + ": " + std::string(r.status().message()));
      continue;
    }
    if (!*r) break;
    std::string text = std::to_string(line) + " ";
    for (size_t i = 0; i < row.size(); ++i) {
      text += i ? "|" : "";
      if (const auto* s = std::get_if<std::string>(&row[i])) {
        text += *s;
      } else if (const auto* n = std::get_if<int64_t>(&row[i])) {
        text += std::to_string(*n);
      } else {
        text += "NULL";
      }
    }
    out.push_back(text);
  }
  EXPECT_EQ(reader.bytes_read(), reader.file_size());
  return out;
}

TEST_F(RowReaderTest, CsvRowsLinesAndRejects) {
  const std::string path =
      Write("a.csv",
            "\xEF\xBB\xBFid,name,note\n1,a,\n\n2,\"b\nc\",x\n3,only two\n4,a,b,extra\n5,,\"\"\n");
  auto reader = RowReader::Open(path, RowReader::Format::kCsv, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->columns(), (std::vector<std::string>{"id", "name", "note"}));  // no BOM
  EXPECT_EQ(ReadAll(**reader), (std::vector<std::string>{
                                   "2 1|a|NULL",
                                   "4 2|b\nc|x",  // the blank line 3 is skipped
                                   "6: 2 fields, the header has 3",
                                   "7: 4 fields, the header has 3",
                                   "8 5|NULL|",
                               }));
  // --columns: a subset, in the order given.
  reader = RowReader::Open(path, RowReader::Format::kCsv, {"note", "id"});
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(ReadAll(**reader).front(), "2 NULL|1");

  Result<std::unique_ptr<RowReader>> bad =
      RowReader::Open(path, RowReader::Format::kCsv, {"id", "colour"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'colour'"), std::string_view::npos);
  bad = RowReader::Open(Write("dup.csv", "id,name,id\n"), RowReader::Format::kCsv, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'id' appears twice"), std::string_view::npos);
  EXPECT_FALSE(RowReader::Open(Write("empty.csv", ""), RowReader::Format::kCsv, {}).ok());
  EXPECT_FALSE(RowReader::Open((dir_ / "none.csv").string(), RowReader::Format::kCsv, {}).ok());
}

TEST_F(RowReaderTest, JsonlRowsLinesAndRejects) {
  const std::string path = Write("a.jsonl",
                                 "\n{\"id\": 1, \"name\": \"a\"}\r\n"
                                 "{\"name\": \"b\", \"id\": 2}\n"
                                 "   \n"
                                 "{\"id\": 3, \"colour\": \"red\"}\n"
                                 "{\"id\": 4\n"
                                 "{\"id\": 5}");  // no line end at the end
  auto reader = RowReader::Open(path, RowReader::Format::kJsonl, {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->columns(), (std::vector<std::string>{"id", "name"}));
  std::vector<std::string> rows;
  for (;;) {
    std::vector<store::Value> row;
    size_t line = 0;
    Result<bool> r = (*reader)->Next(&row, &line);
    if (r.ok() && !*r) break;
    rows.push_back(std::to_string(line) + (r.ok() ? " ok" : " " + r.status().ToString()));
  }
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], "2 ok");
  EXPECT_EQ(rows[1], "3 ok");
  EXPECT_EQ(rows[2],
            "5 InvalidArgument: unknown key 'colour' (the first object's keys are the columns)");
  EXPECT_EQ(rows[3].substr(0, 24), "6 InvalidArgument: not J");
  EXPECT_EQ(rows[4], "7 ok");

  // The first object decides the columns, so a broken first line stops the load, naming it.
  Result<std::unique_ptr<RowReader>> bad =
      RowReader::Open(Write("bad.jsonl", "\n[1, 2]\n{\"id\": 1}\n"), RowReader::Format::kJsonl, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bad.jsonl:2: not a JSON object"), std::string_view::npos)
      << bad.status().message();
  EXPECT_FALSE(RowReader::Open(Write("blank.jsonl", "\n \n"), RowReader::Format::kJsonl, {}).ok());
}

// ThreadedSink completes each write on one of its worker threads after a pause, as a sink
// over the network does, and records the most writes it ever held unfinished. Rows whose id
// is a multiple of 7 fail; row 14 is slow, so rejects arrive out of line order.
class ThreadedSink : public RowSink {
 public:
  explicit ThreadedSink(size_t concurrency) : concurrency_(concurrency) {
    for (int i = 0; i < 4; ++i) workers_.emplace_back([this] { Work(); });
  }
  ~ThreadedSink() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  Status Begin(const std::string&, const std::vector<std::string>&) override { return Status(); }
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
        if (item.id % 7 == 0) {
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

using LoadRowsTest = TempDirTest;

TEST_F(LoadRowsTest, KeepsTheBoundCountsEveryRowAndKeepsTheLowestReasons) {
  std::string text;
  for (int id = 1; id <= 300; ++id) {
    text += id == 5 ? "oops\n" : "{\"id\": " + std::to_string(id) + "}\n";
  }
  auto reader = RowReader::Open(Write("ids.jsonl", text), RowReader::Format::kJsonl, {});
  ASSERT_TRUE(reader.ok());
  ThreadedSink sink(8);
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  const LoadReport report = LoadRows(
      **reader, sink, [&](uint64_t rows, uint64_t bytes) { progress.emplace_back(rows, bytes); });

  std::set<int64_t> expected;
  for (int64_t id = 1; id <= 300; ++id) {
    if (id != 5 && id % 7 != 0) expected.insert(id);
  }
  EXPECT_EQ(sink.stored(), expected);
  EXPECT_EQ(report.written, expected.size());
  EXPECT_EQ(report.rejected, 300 - expected.size());
  EXPECT_TRUE(report.finish.ok());
  EXPECT_EQ(sink.finished(), 1);
  // Four workers drain a queue the driver keeps full: exactly the bound, never more.
  EXPECT_EQ(sink.max_outstanding(), 8u);
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

class LoadCommandTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    db_ = (dir_ / "t.db").string();
    Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, price REAL, "
        "tags TEXT)");
  }

  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  // Rows returns "id|title|price|tags" lines in id order, with typeof(price).
  std::vector<std::string> Rows() {
    sqlite3* db = nullptr;
    sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT id, title, coalesce(price, 'NULL'), coalesce(tags, 'NULL') "
                       "FROM items ORDER BY id",
                       -1, &st, nullptr);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < 4; ++c) {
        const unsigned char* text = sqlite3_column_text(st, c);
        row += (c ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "");
      }
      out.push_back(row);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run Load(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    const int code = LoadCommand(views);
    Run run{code, "", ""};
    run.out = ::testing::internal::GetCapturedStdout();
    run.err = ::testing::internal::GetCapturedStderr();
    return run;
  }

  std::string db_;
};

TEST_F(LoadCommandTest, CsvAndJsonlUpsertAndRerunningIsSafe) {
  const std::string csv =
      Write("items.csv", "id,title,price,tags\r\n1,one,1.5,\r\n2,\"t, two\",,\"[\"\"a\"\"]\"\r\n");
  Run run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from", csv});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.substr(0, 35), "load: 2 rows written, 0 rejected in");
  // Not a terminal: the plain line, once at the end for so short a load.
  EXPECT_NE(run.err.find("load: 2 rows ("), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("100% of " + csv), std::string::npos) << run.err;
  EXPECT_EQ(Rows(), (std::vector<std::string>{"1|one|1.5|NULL", "2|t, two|NULL|[\"a\"]"}));
  ASSERT_EQ(Load({"--to=sqlite:" + db_, "--table=items", "--from=" + csv}).code, 0);
  EXPECT_EQ(Rows().size(), 2u);

  const std::string jsonl =
      Write("items.ndjson",
            "{\"id\": 2, \"title\": \"new two\", \"price\": null, \"tags\": [\"x\", 1]}\n"
            "\n"
            "{\"id\": 3, \"title\": \"three\", \"price\": 3}\n");
  for (int i = 0; i < 2; ++i) {
    run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from", jsonl});
    ASSERT_EQ(run.code, 0) << run.out << run.err;
    EXPECT_EQ(Rows(), (std::vector<std::string>{"1|one|1.5|NULL", "2|new two|NULL|[\"x\",1]",
                                                "3|three|3.0|NULL"}));
  }
  // --format when the name does not say.
  const std::string data = Write("items.data", "id,title\n4,four\n");
  EXPECT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items", "--from", data}).code, 2);
  EXPECT_EQ(
      Load({"--to", "sqlite:" + db_, "--table", "items", "--from", data, "--format", "csv"}).code,
      0);
  EXPECT_EQ(Rows().size(), 4u);
}

TEST_F(LoadCommandTest, BadRowsAreRejectedWithReasonsAndTheRestIsWritten) {
  const std::string jsonl = Write("bad.jsonl",
                                  "{\"id\": 1, \"title\": \"ok\"}\n"
                                  "{\"id\": 2, \"title\": null}\n"  // NOT NULL
                                  "not json\n"
                                  "{\"id\": 4, \"title\": \"ok\", \"color\": \"red\"}\n"
                                  "{\"id\": 5, \"title\": \"ok\"}\n");
  Run run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from", jsonl});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out.substr(0, 35), "load: 2 rows written, 3 rejected in") << run.out;
  EXPECT_NE(run.out.find("\n  line 2: NOT NULL constraint failed: items.title\n"
                         "  line 3: not JSON: "),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\n  line 4: unknown key 'color'"), std::string::npos) << run.out;
  EXPECT_EQ(Rows(), (std::vector<std::string>{"1|ok|NULL|NULL", "5|ok|NULL|NULL"}));
  // --columns picks fields and ignores the rest.
  run =
      Load({"--to", "sqlite:" + db_, "--table", "items", "--from", jsonl, "--columns", "id,title"});
  EXPECT_EQ(run.code, 1);  // line 2 (NOT NULL) and line 3 (not JSON) still fail
  EXPECT_EQ(run.out.substr(0, 35), "load: 3 rows written, 2 rejected in") << run.out;
  EXPECT_EQ(Rows().size(), 3u);
}

TEST_F(LoadCommandTest, ManyBatchesWithARejectInTheMiddle) {
  // 2500 rows are three transactions; the row on line 1501 breaks NOT NULL in the second.
  std::string csv = "id,title,price\n";
  for (int id = 1; id <= 2500; ++id) {
    csv += std::to_string(id) + "," + (id == 1500 ? "" : "t" + std::to_string(id)) + "," +
           std::to_string(id) + ".25\n";
  }
  const std::string path = Write("many.csv", csv);
  for (int i = 0; i < 2; ++i) {
    Run run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from", path});
    EXPECT_EQ(run.code, 1);
    EXPECT_EQ(run.out.substr(0, 38), "load: 2499 rows written, 1 rejected in") << run.out;
    EXPECT_NE(run.out.find("\n  line 1501: NOT NULL constraint failed: items.title\n"),
              std::string::npos)
        << run.out;
    const std::vector<std::string> rows = Rows();
    ASSERT_EQ(rows.size(), 2499u);
    EXPECT_EQ(rows[1498], "1499|t1499|1499.25|NULL");
    EXPECT_EQ(rows[1499], "1501|t1501|1501.25|NULL");
  }
}

TEST_F(LoadCommandTest, ATransactionSqliteRollsBackRejectsItsEarlierRowsToo) {
  // RAISE(ROLLBACK) ends the whole transaction, as a full disk would: rows 1 and 2 were
  // stepped but never committed, so they must not be counted as written.
  Exec(
      "CREATE TRIGGER no_boom BEFORE INSERT ON items WHEN NEW.title = 'boom' "
      "BEGIN SELECT RAISE(ROLLBACK, 'boom refused'); END");
  const std::string csv = Write("boom.csv", "id,title\n1,a\n2,b\n3,boom\n4,d\n5,e\n");
  Run run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from", csv});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out.substr(0, 35), "load: 2 rows written, 3 rejected in") << run.out;
  EXPECT_NE(run.out.find("  line 2: SQLite rolled the transaction back: boom refused\n"
                         "  line 3: SQLite rolled the transaction back: boom refused\n"
                         "  line 4: boom refused\n"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(Rows(), (std::vector<std::string>{"4|d|NULL|NULL", "5|e|NULL|NULL"}));
}

TEST_F(LoadCommandTest, ClearErrorsBeforeTheFirstRow) {
  const std::string csv = Write("items.csv", "id,title\n1,x\n");
  Run run = Load({"--to", "sqlite:" + db_, "--table", "itmes", "--from", csv});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("table 'itmes'"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("no such table"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");

  run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from",
              Write("colour.csv", "id,title,colour\n1,x,red\n")});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("no column named colour"), std::string::npos) << run.err;

  const std::string none = (dir_ / "none.db").string();
  run = Load({"--to", "sqlite:" + none, "--table", "items", "--from", csv});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("must exist"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(none));  // nothing created

  run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from", csv, "--columns", "id,nope"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("no column 'nope'"), std::string::npos) << run.err;
  run = Load({"--to", "sqlite:" + db_, "--table", "items", "--from", "missing.csv"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("cannot read missing.csv"), std::string::npos) << run.err;
  EXPECT_TRUE(Rows().empty());
}

TEST_F(LoadCommandTest, UsageErrorsExitTwo) {
  const std::string csv = Write("items.csv", "id,title\n1,x\n");
  const std::string to = "sqlite:" + db_;
  const std::vector<std::vector<std::string>> usage_errors = {
      {"--to", to, "--table", "items"},
      {"--to", "mysql:x", "--table", "items", "--from", csv},
      {"--to", "sqlite:", "--table", "items", "--from", csv},
      {"--to", "cassandra:host", "--table", "items", "--from", csv},
      {"--to", "cassandra:h:99999/ks", "--table", "items", "--from", csv},
      {"--to", to, "--table", "items", "--from", csv, "--format", "xml"},
      {"--to", to, "--table", "items", "--from", csv, "--concurrency", "0"},
      {"--to", to, "--table", "items", "--from", csv, "--bogus", "1"},
      {"--to", to, "--table", "items", "--from"},
  };
  for (const auto& args : usage_errors) {
    Run run = Load(args);
    EXPECT_EQ(run.code, 2) << args[1];
    EXPECT_NE(run.err.find("usage: shoal load"), std::string::npos);
  }
  Run help = Load({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_EQ(help.out.substr(0, 17), "usage: shoal load");
  EXPECT_TRUE(Rows().empty());
}

}  // namespace
}  // namespace shoal::cli

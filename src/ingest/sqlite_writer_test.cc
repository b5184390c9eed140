// The SQLite writer against real files: typed binding by the declared column types, rejects
// with reasons, and the errors before the first row.
#include "ingest/sqlite_writer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/ingest_test_util.h"
#include "ingest/load.h"
#include "ingest/source.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::ingest {
namespace {

using testing::TempDir;

class SqliteWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("t.db");
    store::testing::Writer w(db_);
    w.Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, qty BIGINT, price REAL, label TEXT, "
        "note NUMERIC, raw)");
  }

  // LoadFile loads `text` (named `name`, whose extension picks the format) into items.
  LoadReport LoadFile(const std::string& name, const std::string& text) {
    const FileFormat format = name.ends_with(".csv") ? FileFormat::kCsv : FileFormat::kJsonl;
    auto source = OpenFileSource(dir_.Write(name, text), format, {});
    EXPECT_TRUE(source.ok()) << source.status().ToString();
    auto writer = OpenSqliteWriter(db_);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    Result<LoadReport> report = Load(**source, **writer, "items", [](uint64_t, uint64_t) {});
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : LoadReport{};
  }

  // Rows returns "id|typeof(qty):qty|typeof(price):price|..." in id order.
  std::vector<std::string> Rows() {
    return store::testing::Writer(db_).TextRows(
        "SELECT id, typeof(qty) || ':' || coalesce(qty, ''), typeof(price) || ':' || "
        "coalesce(price, ''), typeof(label) || ':' || coalesce(label, ''), typeof(note) || ':' || "
        "coalesce(note, ''), typeof(raw) || ':' || coalesce(raw, '') FROM items ORDER BY id");
  }

  TempDir dir_;
  std::string db_;
};

TEST_F(SqliteWriterTest, CsvFieldsAreBoundByTheColumnsType) {
  const LoadReport report = LoadFile("a.csv",
                                     "id,qty,price,label,note,raw\n"
                                     "1,7,2.5,007,2024-05-01,8\n"
                                     "2,1e3,-0.1,x,12,\"\"\n"
                                     "3,,,,,\n");
  EXPECT_EQ(report.rejected, 0u);
  EXPECT_EQ(report.written, 3u);
  EXPECT_EQ(Rows(), (std::vector<std::string>{
                        "1|integer:7|real:2.5|text:007|text:2024-05-01|text:8",
                        "2|integer:1000|real:-0.1|text:x|integer:12|text:",
                        "3|null:|null:|null:|null:|null:",
                    }));
}

TEST_F(SqliteWriterTest, AValueThatDoesNotFitItsColumnRejectsTheRowWithAReason) {
  const LoadReport csv = LoadFile("bad.csv",
                                  "id,qty,price\n"
                                  "1,1.5,1\n"
                                  "2,2,abc\n"
                                  "x,3,3\n"
                                  "4,4,4\n");
  EXPECT_EQ(csv.written, 1u);
  ASSERT_EQ(csv.rejected, 3u);
  EXPECT_EQ(csv.first_rejects[0].line, 2u);
  EXPECT_EQ(csv.first_rejects[0].reason, "column 'qty' (BIGINT): '1.5' is not a 64-bit integer");
  EXPECT_EQ(csv.first_rejects[1].line, 3u);
  EXPECT_EQ(csv.first_rejects[1].reason, "column 'price' (REAL): 'abc' is not a number");
  EXPECT_EQ(csv.first_rejects[2].line, 4u);
  EXPECT_EQ(csv.first_rejects[2].reason, "column 'id' (INTEGER): 'x' is not a 64-bit integer");

  // JSON: 1.5 into an INTEGER column is refused, not truncated; 2.0 is the integer 2.
  const LoadReport json = LoadFile("bad.jsonl",
                                   "{\"id\": 5, \"qty\": 1.5, \"price\": null}\n"
                                   "{\"id\": 6, \"qty\": 2.0, \"price\": 3}\n");
  EXPECT_EQ(json.written, 1u);
  ASSERT_EQ(json.rejected, 1u);
  EXPECT_EQ(json.first_rejects[0].line, 1u);
  EXPECT_EQ(json.first_rejects[0].reason, "column 'qty' (BIGINT): 1.5 is not an integer");
  const std::vector<std::string> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1], "6|integer:2|real:3.0|null:|null:|null:");
}

TEST_F(SqliteWriterTest, ColumnNamesMatchIgnoringCaseAndRowidIsAnInteger) {
  const LoadReport report = LoadFile("c.csv", "ID,Price\n1,0.5\n");
  EXPECT_EQ(report.rejected, 0u);
  EXPECT_EQ(Rows(), (std::vector<std::string>{"1|null:|real:0.5|null:|null:|null:"}));
  store::testing::Writer w(db_);
  w.Exec("CREATE TABLE plain (v REAL)");
  auto source = OpenFileSource(dir_.Write("r.csv", "rowid,v\n7,1\nx,2\n"), FileFormat::kCsv, {});
  ASSERT_TRUE(source.ok());
  auto writer = OpenSqliteWriter(db_);
  ASSERT_TRUE(writer.ok());
  Result<LoadReport> r = Load(**source, **writer, "plain", [](uint64_t, uint64_t) {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->written, 1u);
  ASSERT_EQ(r->rejected, 1u);
  EXPECT_EQ(r->first_rejects[0].reason, "column 'rowid': 'x' is not a 64-bit integer");
}

TEST_F(SqliteWriterTest, ErrorsBeforeTheFirstRow) {
  auto writer = OpenSqliteWriter(dir_.File("none.db"));
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("must exist"), std::string_view::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("none.db")));

  writer = OpenSqliteWriter(db_);
  ASSERT_TRUE(writer.ok());
  Status s = (*writer)->Begin("itmes", {"id"}, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("table 'itmes'"), std::string_view::npos) << s.message();
  EXPECT_NE(s.message().find("no such table"), std::string_view::npos) << s.message();
  writer = OpenSqliteWriter(db_);
  ASSERT_TRUE(writer.ok());
  s = (*writer)->Begin("items", {"id", "colour"}, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no column named colour"), std::string_view::npos) << s.message();
}

// Whose fault a failed row is (writer.h), which decides whether a load goes on: a trigger's
// RAISE(ROLLBACK) is the row's (InvalidArgument) and undoes the batch's earlier rows
// (Cancelled); a table dropped under the load is the store's (Unavailable).
TEST_F(SqliteWriterTest, TheRowsFaultsAndTheStoresAreToldApart) {
  store::testing::Writer(db_).Exec(
      "CREATE TRIGGER no_boom BEFORE INSERT ON items WHEN NEW.label = 'boom' "
      "BEGIN SELECT RAISE(ROLLBACK, 'boom refused'); END");
  auto writer = OpenSqliteWriter(db_);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Begin("items", {"id", "label"}, false).ok());
  std::vector<Status> outcome(6, Status::Internal("not called"));
  const auto write = [&](int64_t id, const std::string& label) {
    (*writer)->Write({store::Value(id), store::Value(label)},
                     [&outcome, id](const Status& s) { outcome[static_cast<size_t>(id)] = s; });
  };
  write(1, "a");
  write(2, "boom");
  write(3, "c");
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(outcome[1].code(), StatusCode::kCancelled) << outcome[1].ToString();
  EXPECT_EQ(outcome[2].code(), StatusCode::kInvalidArgument) << outcome[2].ToString();
  EXPECT_TRUE(outcome[3].ok()) << outcome[3].ToString();

  store::testing::Writer(db_).Exec("DROP TABLE items");
  write(4, "d");
  (void)(*writer)->Finish();
  EXPECT_EQ(outcome[4].code(), StatusCode::kUnavailable) << outcome[4].ToString();
  EXPECT_NE(outcome[4].message().find("no such table"), std::string_view::npos)
      << outcome[4].ToString();
}

}  // namespace
}  // namespace shoal::ingest

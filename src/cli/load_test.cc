// `shoal load`: the CSV and JSONL readers, and whole loads into real SQLite files.
#include "cli/load.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
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
      Csv("id,name,note\r\n1,\"a, b\",\"say \"\"hi\"\"\"\n2,,\"\"\n3,\"two\nlines\",x\n", &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0][2].text, "note");  // the CR of CRLF is not part of the field
  EXPECT_EQ(records[1][1].text, "a, b");
  EXPECT_EQ(records[1][2].text, "say \"hi\"");
  ASSERT_EQ(records[2].size(), 3u);
  EXPECT_FALSE(records[2][1].quoted);  // empty unquoted: null
  EXPECT_TRUE(records[2][2].quoted);   // "": the empty string
  EXPECT_EQ(records[2][2].text, "");
  EXPECT_EQ(records[3][1].text, "two\nlines");
}

TEST(CsvTest, BrokenRecordsAreErrorsAndReadingGoesOn) {
  std::vector<std::string> errors;
  const auto records = Csv("a,b\n\"x\"y,1\n2,3\n\"open,4\n", &errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "2: text after a closing quote");
  EXPECT_NE(errors[1].find("not closed"), std::string::npos);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1][0].text, "2");
}

TEST(JsonlTest, ValuesMapAsDocumented) {
  Result<std::vector<std::string>> columns =
      JsonlColumns(R"({"i": 1, "d": 2.5, "s": "x", "t": true, "n": null, "a": [1, "b"], "o": {}})");
  ASSERT_TRUE(columns.ok());
  ASSERT_EQ(columns->size(), 7u);
  Result<std::vector<store::Value>> row = JsonlRow(
      R"({"a": ["q", {"k": null}], "i": -9007199254740993, "d": 1e300, "s": "é", "t": false})",
      *columns, false);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ((*row)[0], store::Value(int64_t{-9007199254740993}));
  EXPECT_EQ((*row)[1], store::Value(1e300));
  EXPECT_EQ((*row)[2], store::Value(std::string("é")));
  EXPECT_EQ((*row)[3], store::Value(int64_t{0}));
  EXPECT_EQ((*row)[4], store::Value());  // missing: null
  EXPECT_EQ((*row)[5], store::Value(std::string(R"(["q",{"k":null}])")));
  EXPECT_EQ((*row)[6], store::Value());

  EXPECT_FALSE(JsonlRow(R"({"zz": 1})", *columns, false).ok());
  EXPECT_TRUE(JsonlRow(R"({"zz": 1})", *columns, true).ok());
  EXPECT_FALSE(JsonlRow("[1]", *columns, false).ok());
  EXPECT_FALSE(JsonlRow("{", *columns, false).ok());
}

class LoadCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("shoal_load_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "t.db").string();
    Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, price REAL, "
        "tags TEXT)");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  // Rows returns "id|title|price|tags" lines in id order.
  std::vector<std::string> Rows() {
    sqlite3* db = nullptr;
    sqlite3_open(db_.c_str(), &db);
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

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  int Load(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    return LoadCommand(views);
  }

  std::filesystem::path dir_;
  std::string db_;
};

TEST_F(LoadCommandTest, CsvAndJsonlUpsertAndRerunningIsSafe) {
  const std::string csv =
      Write("items.csv", "id,title,price,tags\n1,one,1.5,\n2,\"t, two\",,\"[\"\"a\"\"]\"\n");
  ASSERT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items", "--from", csv}), 0);
  EXPECT_EQ(Rows(), (std::vector<std::string>{"1|one|1.5|NULL", "2|t, two|NULL|[\"a\"]"}));
  ASSERT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items", "--from", csv}), 0);
  EXPECT_EQ(Rows().size(), 2u);

  const std::string jsonl =
      Write("items.jsonl",
            "{\"id\": 2, \"title\": \"new two\", \"price\": null, \"tags\": [\"x\", 1]}\n"
            "\n"
            "{\"id\": 3, \"title\": \"three\", \"price\": 3}\n");
  ASSERT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items", "--from", jsonl}), 0);
  EXPECT_EQ(Rows(), (std::vector<std::string>{"1|one|1.5|NULL", "2|new two|NULL|[\"x\",1]",
                                              "3|three|3.0|NULL"}));
}

TEST_F(LoadCommandTest, BadRowsAreRejectedAndTheRestIsWritten) {
  const std::string jsonl = Write("bad.jsonl",
                                  "{\"id\": 1, \"title\": \"ok\"}\n"
                                  "{\"id\": 2, \"title\": null}\n"  // NOT NULL
                                  "not json\n"
                                  "{\"id\": 4, \"title\": \"ok\", \"color\": \"red\"}\n"
                                  "{\"id\": 5, \"title\": \"ok\"}\n");
  EXPECT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items", "--from", jsonl}), 1);
  EXPECT_EQ(Rows(), (std::vector<std::string>{"1|ok|NULL|NULL", "5|ok|NULL|NULL"}));
  // --columns picks fields and ignores the rest.
  EXPECT_EQ(
      Load({"--to", "sqlite:" + db_, "--table", "items", "--from", jsonl, "--columns", "id,title"}),
      1);  // line 2 (NOT NULL) and line 3 (not JSON) still fail
  EXPECT_EQ(Rows().size(), 3u);
}

TEST_F(LoadCommandTest, ClearErrorsBeforeTheFirstRow) {
  const std::string csv = Write("items.csv", "id,title\n1,x\n");
  EXPECT_EQ(Load({"--to", "sqlite:" + db_, "--table", "itmes", "--from", csv}), 1);
  EXPECT_EQ(
      Load({"--to", "sqlite:" + (dir_ / "none.db").string(), "--table", "items", "--from", csv}),
      1);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "none.db"));  // nothing created
  EXPECT_EQ(
      Load({"--to", "sqlite:" + db_, "--table", "items", "--from", csv, "--columns", "id,nope"}),
      1);
  EXPECT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items", "--from", "missing.csv"}), 1);
  EXPECT_TRUE(Rows().empty());
  // Usage errors.
  EXPECT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items"}), 2);
  EXPECT_EQ(Load({"--to", "mysql:x", "--table", "items", "--from", csv}), 2);
  EXPECT_EQ(Load({"--to", "cassandra:host", "--table", "items", "--from", csv}), 2);
  EXPECT_EQ(Load({"--to", "cassandra:h:99999/ks", "--table", "items", "--from", csv}), 2);
  EXPECT_EQ(Load({"--to", "sqlite:" + db_, "--table", "items", "--from", Write("x.txt", "")}), 2);
  EXPECT_EQ(Load({"--bogus", "1"}), 2);
  EXPECT_EQ(Load({"--help"}), 0);
}

}  // namespace
}  // namespace shoal::cli

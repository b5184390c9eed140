// `shoal load`: the progress text, and whole loads through LoadCommand into real SQLite files.
// The sources, writers and driver have their own tests in src/ingest/.
#include "cli/load.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/test_temp_dir.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::cli {
namespace {

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

class LoadCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("t.db");
    Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, price REAL, "
        "tags TEXT)");
  }

  void Exec(const std::string& sql) { store::testing::Writer(db_).Exec(sql); }

  std::string Write(const std::string& name, const std::string& text) {
    return dir_.Write(name, text);
  }

  // Rows returns "id|title|price|tags" lines in id order, a NULL price or tags as "NULL".
  std::vector<std::string> Rows() {
    return store::testing::Writer(db_).TextRows(
        "SELECT id, title, coalesce(price, 'NULL'), coalesce(tags, 'NULL') FROM items "
        "ORDER BY id");
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

  shoal::testing::TempDir dir_;
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

  const std::string none = dir_.File("none.db");
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

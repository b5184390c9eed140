// Tags of loaded rows (row_tags.h): templates checked against the columns, values written as
// the database holds them, and tags handed on only for rows the writer committed. The writer
// is the real SQLite one over a real file.
#include "ingest/row_tags.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/ingest_test_util.h"
#include "ingest/load.h"
#include "ingest/source.h"
#include "ingest/sqlite_writer.h"
#include "store/sqlite/sqlite_test_util.h"

namespace shoal::ingest {
namespace {

using testing::TempDir;
using Tags = std::vector<std::string>;

const std::vector<std::string> kColumns = {"id", "category", "price"};

std::string ParseError(const Tags& templates) {
  Result<TagTemplates> t = TagTemplates::Parse(templates, kColumns);
  if (t.ok()) return "(parsed)";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return std::string(t.status().message());
}

Tags Expand(const Tags& templates, const std::vector<store::Value>& row,
            const std::vector<TargetColumn>* types = nullptr, bool text = false) {
  Result<TagTemplates> t = TagTemplates::Parse(templates, kColumns);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  Tags out;
  if (t.ok()) t->Expand(row, types, text, &out);
  return out;
}

TEST(TagTemplatesTest, TemplatesNameColumnsOfTheLoadedRows) {
  EXPECT_EQ(ParseError({"item:{id}", "category:{category}", "all-items"}), "(parsed)");
  EXPECT_EQ(ParseError({"item:{sku}"}),
            "--purge-tag 'item:{sku}': no column 'sku' in the loaded rows (they have id, "
            "category, price)");
  EXPECT_EQ(ParseError({"item:{id"}), "--purge-tag 'item:{id': '{' without '}'");
  EXPECT_EQ(ParseError({"item:id}"}), "--purge-tag 'item:id}': '}' without '{'");
  EXPECT_EQ(ParseError({"item:{}"}), "--purge-tag 'item:{}': empty {}: name a column");
  EXPECT_EQ(ParseError({"a{b{id}"}), "--purge-tag 'a{b{id}': '{' inside {...}");
  EXPECT_EQ(ParseError({""}), "--purge-tag '': empty tag");
  // Names are exact: the source's column is "id".
  EXPECT_NE(ParseError({"item:{ID}"}).find("no column 'ID'"), std::string::npos);
}

TEST(TagTemplatesTest, ValuesAreWrittenAsTheDatabaseHoldsThem) {
  const std::vector<store::Value> row = {int64_t{5}, std::string("books"), 2.0};
  EXPECT_EQ(Expand({"item:{id}", "c:{category}/{id}", "p:{price}", "fixed"}, row),
            (Tags{"item:5", "c:books/5", "p:2.0", "fixed"}));
  // NULL and BLOB name nothing: that template gives no tag for the row.
  const std::vector<store::Value> nulls = {int64_t{6}, std::monostate{}, store::Blob{"x"}};
  EXPECT_EQ(Expand({"item:{id}", "c:{category}", "p:{price}"}, nulls), Tags{"item:6"});
  // Text from a CSV converted by the column's type, as the writer stores it: "005" in an
  // INTEGER column is 5; in a TEXT column it stays "005".
  const std::vector<TargetColumn> types = {{"id", "INTEGER", ColumnKind::kInteger},
                                           {"category", "TEXT", ColumnKind::kText},
                                           {"price", "REAL", ColumnKind::kReal}};
  const std::vector<store::Value> text_row = {std::string("005"), std::string("005"),
                                              std::string("1.50")};
  EXPECT_EQ(Expand({"item:{id}", "c:{category}", "p:{price}"}, text_row, &types, true),
            (Tags{"item:5", "c:005", "p:1.5"}));
  // Without the types the text is taken as it is.
  EXPECT_EQ(Expand({"item:{id}"}, text_row, nullptr, true), Tags{"item:005"});
  // A value that will not convert gives no tag (its row's write fails the same way).
  const std::vector<store::Value> bad = {std::string("x"), std::string("y"), std::string("1")};
  EXPECT_EQ(Expand({"item:{id}", "c:{category}"}, bad, &types, true), Tags{"c:y"});
}

TEST(CommittedTagsTest, DeduplicatesAndTakesBoundedBatchesInOrder) {
  CommittedTags t;
  t.Add({"b", "a", "c"});
  t.Add({"a", "b", "d"});
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.added(), 6u);
  EXPECT_FALSE(t.Full(5, 1000, 3));
  EXPECT_TRUE(t.Full(4, 1000, 3));
  EXPECT_TRUE(t.Full(100, 16, 3));  // 4 tags of 1 byte + 3 each: 16 bytes
  EXPECT_EQ(t.Take(3, 1000, 3), (Tags{"a", "b", "c"}));
  EXPECT_EQ(t.Take(3, 1000, 3), Tags{"d"});
  EXPECT_EQ(t.size(), 0u);
  // A byte budget: "aaaa" + 3 = 7 bytes each, so two fit in 14.
  t.Add({"aaaa", "bbbb", "cccc"});
  EXPECT_EQ(t.Take(10, 14, 3), (Tags{"aaaa", "bbbb"}));
  // One tag over the budget still goes, alone (the server judges it).
  t.Add({std::string(100, 'x')});
  EXPECT_EQ(t.Take(10, 14, 3), Tags{"cccc"});
  EXPECT_EQ(t.Take(10, 14, 3), Tags{std::string(100, 'x')});
  EXPECT_EQ(t.Take(10, 14, 3), Tags{});
}

class TagOnCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.File("t.db");
    store::testing::Writer(db_).Exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, category TEXT NOT NULL, price REAL)");
  }
  TempDir dir_;
  std::string db_;
};

TEST_F(TagOnCommitTest, OnlyCommittedRowsGiveTagsAndOnlyAfterTheCommit) {
  auto inner = OpenSqliteWriter(db_);
  ASSERT_TRUE(inner.ok()) << inner.status().ToString();
  Result<TagTemplates> templates =
      TagTemplates::Parse({"item:{id}", "category:{category}"}, kColumns);
  ASSERT_TRUE(templates.ok());
  CommittedTags committed;
  std::unique_ptr<RowWriter> writer =
      TagOnCommit(std::move(*inner), std::move(*templates), &committed);
  ASSERT_TRUE(writer->Begin("items", kColumns, /*values_are_text=*/true).ok());
  std::vector<std::string> outcomes;
  auto record = [&outcomes](const std::string& what) {
    return [&outcomes, what](const Status& s) { outcomes.push_back(what + (s.ok() ? "+" : "-")); };
  };
  writer->Write({std::string("007"), std::string("books"), std::string("1.5")}, record("7"));
  writer->Write({std::string("8"), std::monostate{}, std::string("2")}, record("8"));  // NOT NULL
  writer->Write({std::string("nine"), std::string("x"), std::string("2")}, record("9"));
  writer->Write({std::string("10"), std::string("books"), std::string("3")}, record("10"));
  // Rows 7 and 10 are stepped into the open transaction, not committed: no tags yet.
  EXPECT_EQ(committed.size(), 0u);
  EXPECT_EQ(outcomes, (Tags{"8-", "9-"}));
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(outcomes, (Tags{"8-", "9-", "7+", "10+"}));
  // The rejected rows' tags are not there; the committed rows' are, deduplicated, and the
  // id as the INTEGER column holds it (007 is 7).
  EXPECT_EQ(committed.added(), 4u);
  EXPECT_EQ(committed.Take(1000, 60000, 3), (Tags{"category:books", "item:10", "item:7"}));
  EXPECT_EQ(store::testing::Writer(db_).TextRows("SELECT id FROM items ORDER BY id"),
            (Tags{"7", "10"}));
}

}  // namespace
}  // namespace shoal::ingest

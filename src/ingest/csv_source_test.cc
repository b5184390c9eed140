// CsvSource and ReadCsvRecord: RFC 4180 quoting, line ends, broken records and their lines.
#include "ingest/csv_source.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/ingest_test_util.h"
#include "ingest/source.h"

namespace shoal::ingest {
namespace {

using testing::ReadAll;
using testing::TempDir;

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

TEST(CsvTest, QuotesInTheMiddleOfAFieldAreDataAndALoneCrIsKept) {
  std::vector<std::string> errors;
  const auto records = Csv("a\"b,c\rd,\"\"\"x\"\"\"\n,\n", &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0][0].text, "a\"b");  // a quote not at the start is an ordinary character
  EXPECT_EQ(records[0][1].text, "c\rd");  // a CR not before LF is data
  EXPECT_EQ(records[0][2].text, "\"x\"");
  ASSERT_EQ(records[1].size(), 2u);  // "," is two null fields
  EXPECT_FALSE(records[1][0].quoted);
}

TEST(CsvSourceTest, RowsLinesAndRejects) {
  TempDir dir;
  const std::string path = dir.Write(
      "a.csv",
      "\xEF\xBB\xBFid,name,note\n1,a,\n\n2,\"b\nc\",x\n3,only two\n4,a,b,extra\n5,,\"\"\n");
  auto source = OpenFileSource(path, FileFormat::kCsv, {});
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_TRUE((*source)->values_are_text());
  EXPECT_EQ((*source)->columns(), (std::vector<std::string>{"id", "name", "note"}));  // no BOM
  EXPECT_EQ(ReadAll(**source), (std::vector<std::string>{
                                   "2 1|a|NULL",
                                   "4 2|b\nc|x",  // the blank line 3 is skipped
                                   "6: 2 fields, the header has 3",
                                   "7: 4 fields, the header has 3",
                                   "8 5|NULL|",
                               }));
  // --columns: a subset, in the order given.
  source = OpenFileSource(path, FileFormat::kCsv, {"note", "id"});
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(ReadAll(**source).front(), "2 NULL|1");

  Result<std::unique_ptr<RowSource>> bad = OpenFileSource(path, FileFormat::kCsv, {"id", "colour"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'colour'"), std::string_view::npos);
  bad = OpenFileSource(path, FileFormat::kCsv, {"id", "id"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--columns"), std::string_view::npos);
  bad = OpenFileSource(dir.Write("dup.csv", "id,name,id\n"), FileFormat::kCsv, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'id' appears twice"), std::string_view::npos);
  bad = OpenFileSource(dir.Write("noname.csv", "id,,x\n"), FileFormat::kCsv, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("column 2 has no name"), std::string_view::npos);
  EXPECT_FALSE(OpenFileSource(dir.Write("empty.csv", ""), FileFormat::kCsv, {}).ok());
  bad = OpenFileSource(dir.Write("open.csv", "\"id,x\n"), FileFormat::kCsv, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("the header: a quoted field is not closed"),
            std::string_view::npos);
  bad = OpenFileSource(dir.File("none.csv"), FileFormat::kCsv, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot read"), std::string_view::npos);
}

TEST(CsvSourceTest, AQuotedRecordOverSeveralLinesIsNamedByItsFirstLine) {
  TempDir dir;
  const std::string path =
      dir.Write("m.csv", "id,text\r\n1,\"one\r\ntwo\r\nthree\"\r\n2,\"x\"y\r\n3,z\r\n");
  auto source = OpenFileSource(path, FileFormat::kCsv, {});
  ASSERT_TRUE(source.ok());
  EXPECT_EQ(ReadAll(**source), (std::vector<std::string>{
                                   "2 1|one\r\ntwo\r\nthree",
                                   "5: text after a closing quote",
                                   "6 3|z",
                               }));
}

}  // namespace
}  // namespace shoal::ingest

// Tag templates (tag_template.h): parsing against parameters and columns, and the tags one
// answer gets, cells of every kind, duplicates and the bound.
#include "api/tag_template.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shoal::api {
namespace {

const std::vector<std::string> kParams = {"id", "limit"};
const std::vector<std::string> kColumns = {"item_id", "score", "name", "blob"};

std::vector<TagTemplate> Compile(const std::vector<std::string>& texts) {
  std::vector<TagTemplate> out;
  for (const auto& t : texts) {
    Result<TagTemplate> c = ParseTagTemplate(t, kParams, kColumns);
    EXPECT_TRUE(c.ok()) << t << ": " << c.status().ToString();
    if (c.ok()) out.push_back(std::move(c).value());
  }
  return out;
}

TEST(TagTemplateTest, RefusesUnknownNamesBracesAndSpaces) {
  for (const char* bad :
       {"item:{idd}", "item:{row.nope}", "item:{id", "item:}", "a b", "", "x\x01y"}) {
    EXPECT_FALSE(ParseTagTemplate(bad, kParams, kColumns).ok()) << bad;
  }
  EXPECT_TRUE(ParseTagTemplate("constant", kParams, kColumns).ok());
  EXPECT_FALSE(ParseTagTemplate("item:{id}", kParams, kColumns)->per_row);
  EXPECT_TRUE(ParseTagTemplate("p:{id}-{row.item_id}", kParams, kColumns)->per_row);
}

TEST(TagTemplateTest, TagsFromParamsAndEveryRowDistinctAndCanonical) {
  store::Rows rows;
  rows.columns = kColumns;
  rows.rows.push_back({int64_t{5}, 1.5, std::string("Home & Garden"), store::Blob{"\x01 "}});
  rows.rows.push_back(
      {int64_t{6}, std::monostate{}, std::string("Home & Garden"), std::monostate{}});
  rows.rows.push_back({int64_t{5}, 2e21, std::string("b"), std::monostate{}});
  size_t count = 0;
  bool overflow = false;
  const std::string tags =
      ComputeTags(Compile({"item:{id}", "lim:{limit}", "item:{row.item_id}", "s:{row.score}",
                           "n:{row.name}", "b:{row.blob}", "item:{id}"}),
                  {"42", "10"}, &rows, 64, &count, &overflow);
  EXPECT_FALSE(overflow);
  EXPECT_EQ(tags,
            "item:42 lim:10 item:5 item:6 s:1.5 s:2e%2B21 n:Home%20%26%20Garden n:b b:%01%20");
  EXPECT_EQ(count, 9u);
  // No rows (a negative entry): the row templates yield nothing.
  EXPECT_EQ(ComputeTags(Compile({"item:{id}", "item:{row.item_id}"}), {"7", "10"}, nullptr, 64,
                        &count, &overflow),
            "item:7");
}

TEST(TagTemplateTest, OverTheBoundOrOverlongIsAnOverflow) {
  store::Rows rows;
  rows.columns = kColumns;
  for (int64_t i = 0; i < 10; ++i)
    rows.rows.push_back({i, 0.0, std::string("x"), std::monostate{}});
  size_t count = 0;
  bool overflow = false;
  ComputeTags(Compile({"item:{row.item_id}"}), {"1", "1"}, &rows, 10, &count, &overflow);
  EXPECT_FALSE(overflow);
  ComputeTags(Compile({"c", "item:{row.item_id}"}), {"1", "1"}, &rows, 10, &count, &overflow);
  EXPECT_TRUE(overflow);
  rows.rows = {{int64_t{1}, 0.0, std::string(2000, 'y'), std::monostate{}}};
  ComputeTags(Compile({"n:{row.name}"}), {"1", "1"}, &rows, 64, &count, &overflow);
  EXPECT_TRUE(overflow);
}

TEST(TagTemplateTest, IsTagText) {
  EXPECT_TRUE(IsTagText("item:5"));
  EXPECT_FALSE(IsTagText(""));
  EXPECT_FALSE(IsTagText("a b"));
  EXPECT_FALSE(IsTagText("a\x7f"));
  EXPECT_FALSE(IsTagText(std::string(1025, 'a')));
  EXPECT_TRUE(IsTagText(std::string(1024, 'a')));
}

}  // namespace
}  // namespace shoal::api

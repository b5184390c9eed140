// Tests of WriteDemoCatalog: the schema and index of the shared workload, value ranges, tags
// that are valid JSON arrays of strings, the escaping-heavy text actually present, and the
// same rows for the same seed. Each test writes into its own temporary directory.
#include "cli/demo_catalog.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/test_temp_dir.h"

namespace shoal::cli {
namespace {

using shoal::testing::TempDir;

// Db is a read-only connection with a helper that returns every row as text cells (NULL as
// the string "<null>", a REAL through printf("%!.17g") so that equal reads mean equal values).
class Db {
 public:
  explicit Db(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  }
  ~Db() { sqlite3_close(db_); }

  std::vector<std::vector<std::string>> Rows(const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_) << " in: " << sql;
    if (stmt == nullptr) return rows;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      auto& row = rows.emplace_back();
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back("<null>");
        } else if (sqlite3_column_type(stmt, c) == SQLITE_FLOAT) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(stmt, c));
          row.emplace_back(buf);
        } else {
          const auto* text = sqlite3_column_text(stmt, c);
          row.emplace_back(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
        }
      }
    }
    sqlite3_finalize(stmt);
    return rows;
  }

  std::string One(const std::string& sql) {
    auto rows = Rows(sql);
    return rows.empty() || rows[0].empty() ? "<none>" : rows[0][0];
  }

 private:
  sqlite3* db_ = nullptr;
};

// JsonStringArray checks that `s` is exactly a JSON array of strings (RFC 8259: no raw
// control characters in strings, only the defined escapes, \u with four hex digits).
class JsonStringArray {
 public:
  static bool Valid(std::string_view s) {
    JsonStringArray p(s);
    p.Blanks();
    if (!p.Take('[')) return false;
    p.Blanks();
    if (p.Take(']')) return p.End();
    for (;;) {
      p.Blanks();
      if (!p.String()) return false;
      p.Blanks();
      if (p.Take(']')) return p.End();
      if (!p.Take(',')) return false;
    }
  }

 private:
  explicit JsonStringArray(std::string_view s) : s_(s) {}
  bool Take(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void Blanks() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool End() {
    Blanks();
    return i_ == s_.size();
  }
  bool String() {
    if (!Take('"')) return false;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++i_) {
          if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) return false;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

TEST(JsonStringArrayTest, TellsGoodFromBad) {
  for (const char* good : {"[]", " [ ] ", R"(["a"])", R"(["a","b\"c","\\","\u00e9","é"])"}) {
    EXPECT_TRUE(JsonStringArray::Valid(good)) << good;
  }
  for (const char* bad : {"", "[", R"(["a",])", R"(["a" "b"])", R"([1])", R"(["\x"])",
                          R"(["\u12"])", "[\"a\nb\"]", R"(["a"] x)", R"(["a)", R"({"a":1})"}) {
    EXPECT_FALSE(JsonStringArray::Valid(bad)) << bad;
  }
}

class DemoCatalogTest : public ::testing::Test {
 protected:
  TempDir dir_;
};

TEST_F(DemoCatalogTest, WritesTheWorkloadSchemaAndIndex) {
  const std::string path = dir_.File("catalog.db");
  ASSERT_TRUE(WriteDemoCatalog(path, 500, 42).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  Db db(path);

  auto columns = [&](const std::string& table) {
    std::vector<std::string> names;
    for (const auto& row : db.Rows("SELECT name, type FROM pragma_table_info('" + table + "')")) {
      names.push_back(row[0] + " " + row[1]);
    }
    return names;
  };
  EXPECT_EQ(columns("items"),
            (std::vector<std::string>{"id INTEGER", "sku TEXT", "title TEXT", "category TEXT",
                                      "price_cents INTEGER", "stock INTEGER", "rating REAL",
                                      "tags TEXT", "updated_at TEXT"}));
  EXPECT_EQ(columns("reviews"),
            (std::vector<std::string>{"item_id INTEGER", "review_id INTEGER", "author TEXT",
                                      "stars INTEGER", "body TEXT", "created_at TEXT"}));
  EXPECT_EQ(db.One("SELECT group_concat(name) FROM pragma_table_info('reviews') WHERE pk > 0 "
                   "ORDER BY pk"),
            "item_id,review_id");
  EXPECT_EQ(db.One("SELECT group_concat(name) FROM pragma_index_info('items_category_id')"),
            "category,id");

  EXPECT_EQ(db.One("SELECT count(*) FROM items"), "500");
  EXPECT_EQ(db.One("SELECT min(id) || '..' || max(id) FROM items"), "1..500");
  const int reviews = std::stoi(db.One("SELECT count(*) FROM reviews"));
  EXPECT_GT(reviews, 500 * 3);  // 4 a item on average
  EXPECT_LT(reviews, 500 * 5);
  EXPECT_EQ(db.One("SELECT count(*) FROM (SELECT item_id, count(*) AS n FROM reviews "
                   "GROUP BY item_id HAVING n > 8 OR max(review_id) != n)"),
            "0");
  EXPECT_EQ(db.One("SELECT count(*) FROM reviews WHERE item_id NOT IN (SELECT id FROM items)"),
            "0");
}

TEST_F(DemoCatalogTest, ValuesHaveTheWorkloadRanges) {
  const std::string path = dir_.File("catalog.db");
  ASSERT_TRUE(WriteDemoCatalog(path, 500, 7).ok());
  Db db(path);
  EXPECT_EQ(db.One("SELECT count(DISTINCT category) FROM items"), "50");
  EXPECT_EQ(db.One("SELECT count(*) FROM items WHERE price_cents NOT BETWEEN 99 AND 99999 "
                   "OR stock NOT BETWEEN 0 AND 500 OR rating NOT BETWEEN 1 AND 5 "
                   "OR sku NOT GLOB 'SKU-[0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F]"
                   "[0-9A-F]' OR typeof(rating) NOT IN ('real', 'null')"),
            "0");
  const int null_ratings = std::stoi(db.One("SELECT count(*) FROM items WHERE rating IS NULL"));
  EXPECT_GT(null_ratings, 20);  // ~10% of 500
  EXPECT_LT(null_ratings, 90);
  EXPECT_EQ(db.One("SELECT count(*) FROM reviews WHERE stars NOT BETWEEN 1 AND 5"), "0");
  const std::string timestamp_glob =
      "'202[45]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z'";
  EXPECT_EQ(db.One("SELECT count(*) FROM items WHERE updated_at NOT GLOB " + timestamp_glob), "0");
  EXPECT_EQ(db.One("SELECT count(*) FROM reviews WHERE created_at NOT GLOB " + timestamp_glob),
            "0");

  for (const auto& row : db.Rows("SELECT title, tags FROM items")) {
    const size_t title = CodePoints(row[0]);
    EXPECT_TRUE(title >= 20 && title <= 60) << row[0];
    EXPECT_TRUE(JsonStringArray::Valid(row[1])) << row[1];
  }
  for (const auto& row : db.Rows("SELECT body FROM reviews")) {
    const size_t body = CodePoints(row[0]);
    EXPECT_TRUE(body >= 50 && body <= 400) << row[0];
  }
  // The text exercises JSON escaping and UTF-8: each kind occurs somewhere.
  auto present = [&](const std::string& where) {
    return db.One("SELECT count(*) FROM reviews JOIN items ON id = item_id WHERE " + where) != "0";
  };
  EXPECT_TRUE(present("instr(title, '\"') OR instr(body, '\"')"));
  EXPECT_TRUE(present("instr(body, '\\')"));
  EXPECT_TRUE(present("instr(body, char(10))"));
  EXPECT_TRUE(present("instr(body, char(9))"));
  EXPECT_TRUE(present("instr(title, 'ö') OR instr(title, 'ß')"));
  EXPECT_TRUE(present("instr(body, '🎲') OR instr(title, '🌵')"));
  EXPECT_TRUE(present("instr(tags, '\\\"')"));  // an escaped quote inside a tag
  EXPECT_TRUE(present("instr(author, '\\')"));
}

TEST_F(DemoCatalogTest, TheSameSeedGivesTheSameRows) {
  const std::string a = dir_.File("a.db");
  const std::string b = dir_.File("b.db");
  const std::string c = dir_.File("sub/dir/c.db");  // parent directories are created
  ASSERT_TRUE(WriteDemoCatalog(a, 500, 42).ok());
  ASSERT_TRUE(WriteDemoCatalog(b, 500, 42).ok());
  ASSERT_TRUE(WriteDemoCatalog(c, 500, 43).ok());
  Db da(a), db(b), dc(c);
  const std::string items = "SELECT * FROM items ORDER BY id";
  const std::string reviews = "SELECT * FROM reviews ORDER BY item_id, review_id";
  const auto items_a = da.Rows(items);
  ASSERT_EQ(items_a.size(), 500u);
  EXPECT_EQ(items_a, db.Rows(items));
  EXPECT_EQ(da.Rows(reviews), db.Rows(reviews));
  EXPECT_NE(items_a, dc.Rows(items));
}

TEST_F(DemoCatalogTest, ReplacesAnExistingFile) {
  const std::string path = dir_.File("catalog.db");
  ASSERT_TRUE(WriteDemoCatalog(path, 50, 1).ok());
  ASSERT_TRUE(WriteDemoCatalog(path, 20, 1).ok());
  EXPECT_EQ(Db(path).One("SELECT count(*) FROM items"), "20");
  ASSERT_TRUE(WriteDemoCatalog(path, 0, 1).ok());
  EXPECT_EQ(Db(path).One("SELECT count(*) FROM items"), "0");
}

TEST_F(DemoCatalogTest, FailsCleanlyWhereItCannotWrite) {
  const std::string blocker = dir_.File("file");
  ASSERT_TRUE(WriteDemoCatalog(blocker, 1, 1).ok());
  // A path under a regular file cannot be created.
  Status status = WriteDemoCatalog(blocker + "/catalog.db", 10, 1);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_EQ(WriteDemoCatalog(dir_.File("x.db"), -1, 1).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace shoal::cli

// sqlite_columns: see sqlite_columns.h.
//
// sqlite3_column_table_name and friends are declared by sqlite3.h only under
// SQLITE_ENABLE_COLUMN_METADATA, the option the library itself must be built with. Debian's
// libsqlite3 is (sqlite_store_test's ColumnMeta tests fail if it stops being: they expect
// NOT NULL promises), so the declarations are asked for here, in this file alone.
#define SQLITE_ENABLE_COLUMN_METADATA 1
#include "store/sqlite/sqlite_columns.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include <sqlite3.h>

namespace shoal::store {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

bool Contains(const std::string& upper, std::string_view what) {
  return upper.find(what) != std::string::npos;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Words that can make a NOT NULL column NULL wherever they stand.
constexpr std::array<std::string_view, 7> kNullingWords = {"left",  "right",  "full",     "outer",
                                                           "union", "except", "intersect"};
// Aggregate functions: NULL-making only when called (a column may be named "total").
constexpr std::array<std::string_view, 10> kAggregates = {"avg",
                                                          "count",
                                                          "group_concat",
                                                          "max",
                                                          "min",
                                                          "sum",
                                                          "total",
                                                          "string_agg",
                                                          "json_group_array",
                                                          "json_group_object"};

}  // namespace

ColumnType AffinityType(std::string_view declared) {
  if (declared.empty()) return ColumnType::kAny;
  std::string upper(declared);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  if (Contains(upper, "INT")) return ColumnType::kInteger;
  if (Contains(upper, "CHAR") || Contains(upper, "CLOB") || Contains(upper, "TEXT")) {
    return ColumnType::kString;
  }
  if (Contains(upper, "BLOB")) return ColumnType::kBase64;
  return ColumnType::kNumber;  // REAL, FLOA, DOUB, and NUMERIC affinity alike
}

bool QueryMayAddNulls(std::string_view sql, const std::vector<std::string_view>& views) {
  size_t i = 0;
  while (i < sql.size()) {
    if (!IsWordChar(sql[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < sql.size() && IsWordChar(sql[i])) ++i;
    const std::string_view word = sql.substr(start, i - start);
    for (std::string_view w : kNullingWords) {
      if (EqualsIgnoreCase(word, w)) return true;
    }
    for (std::string_view v : views) {
      if (EqualsIgnoreCase(word, v)) return true;
    }
    size_t next = i;
    while (next < sql.size() && std::isspace(static_cast<unsigned char>(sql[next])) != 0) ++next;
    if (next < sql.size() && sql[next] == '(') {
      for (std::string_view a : kAggregates) {
        if (EqualsIgnoreCase(word, a)) return true;
      }
    }
  }
  return false;
}

std::vector<ColumnMeta> ColumnMetas(sqlite3* db, sqlite3_stmt* stmt, std::string_view sql) {
  // The schema's views: a query through one may outer-join where its text does not show it.
  std::vector<std::string> view_names;
  bool views_known = false;
  sqlite3_stmt* list = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'view'", -1, &list,
                         nullptr) == SQLITE_OK) {
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
      const unsigned char* name = sqlite3_column_text(list, 0);
      if (name != nullptr) view_names.emplace_back(reinterpret_cast<const char*>(name));
    }
    views_known = rc == SQLITE_DONE;
  }
  sqlite3_finalize(list);
  const std::vector<std::string_view> views(view_names.begin(), view_names.end());
  const bool may_add_nulls = !views_known || QueryMayAddNulls(sql, views);

  const int count = sqlite3_column_count(stmt);
  std::vector<ColumnMeta> out(static_cast<size_t>(std::max(count, 0)));
  for (int c = 0; c < count; ++c) {
    ColumnMeta& meta = out[static_cast<size_t>(c)];
    const char* declared = sqlite3_column_decltype(stmt, c);
    meta.type = AffinityType(declared != nullptr ? declared : "");
    const char* database = sqlite3_column_database_name(stmt, c);
    const char* table = sqlite3_column_table_name(stmt, c);
    const char* column = sqlite3_column_origin_name(stmt, c);
    if (may_add_nulls || table == nullptr || column == nullptr) continue;
    const char* type = nullptr;
    int not_null = 0, primary_key = 0;
    if (sqlite3_table_column_metadata(db, database, table, column, &type, nullptr, &not_null,
                                      &primary_key, nullptr) != SQLITE_OK) {
      continue;
    }
    // An INTEGER PRIMARY KEY is the rowid, never NULL; other keys of a rowid table may be.
    const bool rowid = primary_key != 0 && type != nullptr && EqualsIgnoreCase(type, "INTEGER");
    meta.not_null = not_null != 0 || rowid;
  }
  return out;
}

}  // namespace shoal::store

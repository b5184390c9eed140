// Test helpers shared by the ingest tests (test code only): TempDir (base/test_temp_dir.h) for
// the files, and reading a source to the end as text. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/test_temp_dir.h"
#include "ingest/source.h"

namespace shoal::ingest::testing {

using shoal::testing::TempDir;

// ReadAll reads every record: rows as "LINE v|v|v" (strings as is, integers in decimal,
// anything else NULL), errors as "LINE: reason".
inline std::vector<std::string> ReadAll(RowSource& source) {
  std::vector<std::string> out;
  for (;;) {
    std::vector<store::Value> row;
    size_t line = 0;
    Result<bool> r = source.Next(&row, &line);
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
  EXPECT_EQ(source.bytes_read(), source.total_bytes());
  return out;
}

}  // namespace shoal::ingest::testing

// Tag templates: see tag_template.h.
#include "api/tag_template.h"

#include <algorithm>
#include <unordered_set>
#include <utility>
#include <variant>

#include "api/percent_encoding.h"
#include "base/numbers.h"

namespace shoal::api {
namespace {

bool IsTagByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7f;
}

// AppendCell appends a cell's tag form; false for NULL (no tag).
bool AppendCell(std::string& out, const store::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return false;
  if (const auto* i = std::get_if<int64_t>(&v)) {
    out += std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    std::string text;
    AppendJsonDouble(text, *d);
    AppendCanonical(out, text);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    AppendCanonical(out, *s);
  } else if (const auto* b = std::get_if<store::Blob>(&v)) {
    AppendCanonical(out, b->bytes);
  } else if (const auto* j = std::get_if<store::Json>(&v)) {
    AppendCanonical(out, j->text);
  }
  return true;
}

}  // namespace

bool IsTagText(std::string_view tag) {
  return !tag.empty() && tag.size() <= kMaxTagBytes &&
         std::all_of(tag.begin(), tag.end(), IsTagByte);
}

Result<TagTemplate> ParseTagTemplate(std::string_view text, const std::vector<std::string>& params,
                                     const std::vector<std::string>& columns) {
  TagTemplate t;
  t.text = std::string(text);
  if (text.empty()) return Status::InvalidArgument("a tag template is empty");
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') return Status::InvalidArgument("'}' without '{' in tag '" + t.text + "'");
    if (c != '{') {
      if (!IsTagByte(c)) {
        return Status::InvalidArgument("tag '" + t.text +
                                       "' holds a space or control character (tags never do)");
      }
      if (t.parts.empty() || t.parts.back().kind != TagTemplate::Part::Kind::kLiteral) {
        t.parts.emplace_back();
      }
      t.parts.back().literal += c;
      ++i;
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("'{' without '}' in tag '" + t.text + "'");
    }
    const std::string_view name = text.substr(i + 1, close - i - 1);
    TagTemplate::Part part;
    constexpr std::string_view kRow = "row.";
    if (name.starts_with(kRow)) {
      const std::string_view col = name.substr(kRow.size());
      auto it = std::find(columns.begin(), columns.end(), col);
      if (it == columns.end()) {
        std::string have;
        for (const auto& c2 : columns) have += (have.empty() ? "" : ", ") + c2;
        return Status::InvalidArgument("tag '" + t.text + "' names column '" + std::string(col) +
                                       "', which the query does not return (it returns: " + have +
                                       ")");
      }
      part.kind = TagTemplate::Part::Kind::kColumn;
      part.index = static_cast<size_t>(it - columns.begin());
      t.per_row = true;
    } else {
      auto it = std::find(params.begin(), params.end(), name);
      if (it == params.end()) {
        return Status::InvalidArgument("tag '" + t.text + "' names '" + std::string(name) +
                                       "', which is not a parameter of the endpoint (a column "
                                       "is written {row.NAME})");
      }
      part.kind = TagTemplate::Part::Kind::kParam;
      part.index = static_cast<size_t>(it - params.begin());
    }
    t.parts.push_back(std::move(part));
    i = close + 1;
  }
  return t;
}

std::string ComputeTags(const std::vector<TagTemplate>& templates,
                        const std::vector<std::string_view>& params, const store::Rows* rows,
                        size_t max, size_t* count, bool* overflow) {
  std::string out;
  std::unordered_set<std::string> seen;
  *count = 0;
  *overflow = false;
  std::string tag;
  // Build one tag from `t` for row `row` (null: no row); false when a cell is NULL.
  auto build = [&](const TagTemplate& t, const store::Row* row) {
    tag.clear();
    for (const TagTemplate::Part& p : t.parts) {
      switch (p.kind) {
        case TagTemplate::Part::Kind::kLiteral:
          tag += p.literal;
          break;
        case TagTemplate::Part::Kind::kParam:
          if (p.index < params.size()) tag += params[p.index];
          break;
        case TagTemplate::Part::Kind::kColumn:
          if (row == nullptr || p.index >= row->size() || !AppendCell(tag, (*row)[p.index])) {
            return false;
          }
          break;
      }
    }
    return !tag.empty();
  };
  auto add = [&]() {
    if (seen.contains(tag)) return true;
    if (*count == max || tag.size() > kMaxTagBytes) {
      *overflow = true;
      return false;
    }
    seen.insert(tag);
    if (!out.empty()) out += ' ';
    out += tag;
    ++*count;
    return true;
  };
  for (const TagTemplate& t : templates) {
    if (!t.per_row) {
      if (build(t, nullptr) && !add()) return out;
      continue;
    }
    if (rows == nullptr) continue;
    for (const store::Row& row : rows->rows) {
      if (build(t, &row) && !add()) return out;
    }
  }
  return out;
}

}  // namespace shoal::api

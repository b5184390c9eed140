// Tag templates: an endpoint's `tags:` (surrogate keys), compiled at Build and applied to each
// answer the StoreLoader makes.
//
// A template is text with placeholders: `{name}` is a route or query parameter of the
// endpoint, in its canonical form as in the cache key (an int in plain decimal, a string
// percent-encoded: router.h); `{row.COLUMN}` is a column the query returns, and makes the
// template yield one tag per result row (a listing is tagged with every item it shows). A
// cell's tag form is the canonical form of its text: an integer in decimal, a real in its
// shortest round-trip form, text, JSON text and blob bytes percent-encoded like a string
// parameter; a NULL cell yields no tag for that row. So `item:{id}` on /v1/items/{id:int} and
// `item:{row.item_id}` on a listing give the same tag, "item:5", for item 5, and a tag never
// holds a space or a control byte (Surrogate-Key lists tags separated by spaces).
//
// Literal text may hold any byte above 0x20 but 0x7f, '{' and '}'. A template naming an
// unknown parameter or a column the query does not return, or with an unclosed brace, is
// refused at Build (router_build.cc) with the template's file:line.
//
// Thread-safety: pure functions over immutable values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace shoal::api {

struct TagTemplate {
  struct Part {
    enum class Kind : unsigned char { kLiteral, kParam, kColumn } kind = Kind::kLiteral;
    std::string literal;  // kLiteral
    size_t index = 0;     // kParam: the endpoint's parameter index; kColumn: the column's
  };
  std::string text;  // as configured
  std::vector<Part> parts;
  bool per_row = false;  // names a column: one tag per row
};

// ParseTagTemplate compiles `text` against the endpoint's parameter names (index order) and
// the query's result columns; the error message names what is wrong (the caller adds
// file:line).
Result<TagTemplate> ParseTagTemplate(std::string_view text, const std::vector<std::string>& params,
                                     const std::vector<std::string>& columns);

// IsTagText: a possible tag: 1 to kMaxTagBytes bytes, none of them <= 0x20 or 0x7f.
bool IsTagText(std::string_view tag);
inline constexpr size_t kMaxTagBytes = 1024;

// ComputeTags applies `templates` to one answer: `params` are the canonical values of the
// endpoint's parameters (index order, as in the key), `rows` the query's result (null: none,
// e.g. a negative entry has no rows). Returns the distinct tags joined by single spaces
// (cache::Entry::tags), and sets *count to how many; stops and sets *overflow when there
// would be more than `max` or a tag longer than kMaxTagBytes (which no purge could name): the
// caller then must not keep the answer.
std::string ComputeTags(const std::vector<TagTemplate>& templates,
                        const std::vector<std::string_view>& params, const store::Rows* rows,
                        size_t max, size_t* count, bool* overflow);

}  // namespace shoal::api

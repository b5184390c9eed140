// The compiled form of one endpoint, shared by the files that make up the Router: building it
// from the config (router_build.cc), checking parameter values (param_check.cc), and matching
// requests and writing keys (router.cc). See router.h for the rules they implement.
//
// Internal to api. A Compiled is immutable once built; the functions here are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/endpoint.h"
#include "api/router.h"
#include "base/status.h"

namespace shoal::api {

struct Router::Compiled {
  struct Segment {
    bool param = false;
    std::string literal;  // when !param: the text, which needs no percent-encoding
    size_t index = 0;     // when param: index into params
  };
  struct Param {
    std::string name;
    ParamType type = ParamType::kString;
    bool in_path = false;
    std::optional<std::string> default_value;  // canonical (percent-encoded) form
    // Inclusive bounds: an int's value, a string's decoded length in bytes. A string always
    // has a max: its ParamSpec's, else ApiOptions::max_string_param.
    std::optional<int64_t> min, max;
    std::string claim;  // not empty: bound from the token's claim (ParamSpec::claim)
    int line = 0;
  };

  EndpointInfo info;
  std::vector<Segment> segments;
  // Bit (kMaxSegments - 1 - i) is set when segment i is a literal: of two routes whose shapes
  // both match a path, the one with the larger mask has a literal first where they differ.
  uint32_t literal_mask = 0;
  std::vector<Param> params;                // path parameters first, in route order
  std::vector<size_t> query_params_sorted;  // the declared ones, sorted by name
  std::vector<size_t> bindings;             // statement parameter i is params[bindings[i]]
  // ignore_params patterns (ApiOptions' then the endpoint's, duplicates dropped): a query
  // parameter that is not one of params and whose decoded name matches one is skipped. No
  // pattern matches a name in params (checked at Build).
  std::vector<std::string> ignored;
  // A paged endpoint: params[limit_param] and params[cursor_param] are its `limit` and
  // `cursor`; a binding of kBindAfter is the cursor's value, kBindLimit is limit + 1.
  static constexpr size_t kBindAfter = SIZE_MAX;
  static constexpr size_t kBindLimit = SIZE_MAX - 1;
  size_t limit_param = 0;
  size_t cursor_param = 0;
};

// IsIgnored reports whether the query parameter `name` (as sent: percent-encoded) matches one
// of e.ignored. Allocates nothing.
bool IsIgnored(const Router::Compiled& e, std::string_view name);

// SegmentIterator walks "/a/b/c" as "a", "b", "c". REQUIRES: path starts with '/'.
class SegmentIterator {
 public:
  explicit SegmentIterator(std::string_view path) : rest_(path.substr(1)) {}
  bool Next(std::string_view* segment) {
    if (done_) return false;
    const size_t slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      *segment = rest_;
      done_ = true;
    } else {
      *segment = rest_.substr(0, slash);
      rest_.remove_prefix(slash + 1);
    }
    return true;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

// CheckValue checks one percent-encoded value against its parameter (type and bounds; a
// string must also decode to valid UTF-8); for an int it stores the value in *int_value.
// Messages name the parameter and what was expected: they are the caller's InvalidArgument
// (a 400).
Status CheckValue(const Router::Compiled::Param& p, std::string_view encoded, int64_t* int_value);

// KeyParamValues returns the canonical value of each of `c`'s parameters (index order) as it
// stands in `key`, a canonical key of the endpoint (views into `key`; "" for one it lacks):
// the values tag templates use (tag_template.h). key_params.cc.
std::vector<std::string_view> KeyParamValues(const Router::Compiled& c, std::string_view key);

// Quoted returns 's' in single quotes, for messages.
std::string Quoted(std::string_view s);

}  // namespace shoal::api

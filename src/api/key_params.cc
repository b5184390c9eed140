// KeyParamValues: a canonical key's parameter values, for tag templates; see router_internal.h.
#include "api/router_internal.h"

namespace shoal::api {

std::vector<std::string_view> KeyParamValues(const Router::Compiled& c, std::string_view key) {
  std::vector<std::string_view> values(c.params.size());
  const size_t q = key.find('?');
  const std::string_view path = key.substr(0, q);
  if (!path.empty() && path.front() == '/') {
    SegmentIterator it(path);
    std::string_view segment;
    for (const Router::Compiled::Segment& s : c.segments) {
      if (!it.Next(&segment)) break;
      if (s.param && s.index < values.size()) values[s.index] = segment;
    }
  }
  std::string_view query = q == std::string_view::npos ? std::string_view() : key.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = pair.substr(0, eq);
    for (size_t i = 0; i < c.params.size(); ++i) {
      if (!c.params[i].in_path && c.params[i].name == name) values[i] = pair.substr(eq + 1);
    }
  }
  return values;
}

}  // namespace shoal::api

#include "base/status.h"

#include <cstddef>
#include <iterator>
#include <system_error>

#include "base/name_table.h"

namespace shoal {

std::string_view StatusCodeName(StatusCode code) {
  static constexpr std::string_view kNames[] = {
      "OK",          "InvalidArgument",   "NotFound",  "DeadlineExceeded",
      "Unavailable", "ResourceExhausted", "Cancelled", "Internal"};
  static_assert(std::size(kNames) == static_cast<size_t>(StatusCode::kInternal) + 1,
                "one name per StatusCode");
  return NameAt(kNames, code, "Unknown");
}

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::kOk) {
    rep_ = std::make_shared<const Rep>(Rep{code, std::move(message)});
  }
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(code()));
  out += ": ";
  out += message();
  return out;
}

std::string ErrnoText(int err) { return std::generic_category().message(err); }

}  // namespace shoal

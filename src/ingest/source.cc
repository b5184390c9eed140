// OpenFileSource and the helpers the file sources share: see source.h, source_internal.h.
#include "ingest/source.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <system_error>

#include "ingest/csv_source.h"
#include "ingest/jsonl_source.h"
#include "ingest/source_internal.h"

namespace shoal::ingest {
namespace internal {

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r") == line.npos; }

void StripBom(std::string* text) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
  if (std::string_view(*text).substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    text->erase(0, kUtf8Bom.size());
  }
}

Status CheckNames(const std::vector<std::string>& names, std::string_view what) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return Status::InvalidArgument(std::string(what) + ": column " + std::to_string(i + 1) +
                                     " has no name");
    }
    const auto end = names.begin() + static_cast<std::ptrdiff_t>(i);
    if (std::find(names.begin(), end, names[i]) != end) {
      return Status::InvalidArgument(std::string(what) + ": column '" + names[i] +
                                     "' appears twice");
    }
  }
  return Status::Ok();
}

Status FileSource::OpenFile(const std::string& path) {
  in_.open(path, std::ios::binary);
  if (!in_) return Status::NotFound("cannot read " + path);
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec) size_ = size;
  }
  return Status::Ok();
}

}  // namespace internal

Result<std::unique_ptr<RowSource>> OpenFileSource(const std::string& path, FileFormat format,
                                                  const std::vector<std::string>& only) {
  if (Status s = internal::CheckNames(only, "--columns"); !s.ok()) return s;
  std::unique_ptr<internal::FileSource> source;
  if (format == FileFormat::kJsonl) {
    source = std::make_unique<JsonlSource>();
  } else {
    source = std::make_unique<CsvSource>();
  }
  if (Status s = source->Open(path, only); !s.ok()) return s;
  return std::unique_ptr<RowSource>(std::move(source));
}

}  // namespace shoal::ingest

// TempDir for tests in any folder: a fresh directory under the system's temporary directory,
// removed with everything in it when the object goes. Test and benchmark code only; no library
// includes it. It does not use gtest (benchmarks use it too): if the directory cannot be made,
// path() is empty and the caller's first file operation fails.
// Ownership: the object owns the directory. Thread-safety: not thread-safe; path() and File()
// may be read from any thread once constructed.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include <stdlib.h>

namespace shoal::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "shoal-test-XXXXXX").string();
    const char* made = mkdtemp(pattern.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // File is the path of `name` in the directory (nothing is created).
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }
  // Write writes `text` to the file `name` in the directory and returns its path.
  std::string Write(std::string_view name, std::string_view text) const {
    std::string path = File(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

 private:
  std::string path_;
};

}  // namespace shoal::testing

#include "base/file_mode.h"

#include <sys/stat.h>

namespace shoal {

bool ReadableByOthers(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

}  // namespace shoal

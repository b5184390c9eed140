// libFuzzer target: Solr's replication answers as shoal reads them (solr/filestream.h,
// solr/replication.h): bytes a server sends. The first input byte picks the mode; the rest is:
//   - 0 mod 3: a filestream body with checksums, fed in pieces whose sizes the input's own
//     bytes pick. Whatever the pieces, the decoder must give the same verdict and the same file
//     bytes as when fed the whole body at once, and never hand on more than the body held;
//   - 1 mod 3: the same without checksums;
//   - 2 mod 3: a JSON answer, read as an indexversion and as a filelist: a filelist it accepts
//     names only plain files (no '/', no "..") with sizes that are not negative.
// Single-threaded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "solr/filestream.h"
#include "solr/replication.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  bool ok = true;
  bool done = false;
  std::string file;
};

Outcome Decode(std::string_view body, bool checksums, std::string_view steps) {
  Outcome out;
  shoal::solr::FileStreamDecoder d(checksums, [&](std::string_view piece) {
    out.file.append(piece);
    return shoal::Status::Ok();
  });
  size_t step_at = 0;
  while (!body.empty() && out.ok) {
    size_t n = body.size();
    if (!steps.empty()) {
      n = 1 + static_cast<unsigned char>(steps[step_at++ % steps.size()]) % 64;
      n = std::min(n, body.size());
    }
    out.ok = d.Feed(body.substr(0, n)).ok();
    body.remove_prefix(n);
  }
  out.done = d.done();
  Check(d.bytes() == out.file.size());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const int mode = data[0] % 3;
  if (mode < 2) {
    const bool checksums = mode == 0;
    // The last up-to-8 bytes choose the piece sizes; the rest is the body.
    const size_t k = std::min<size_t>(8, input.size() / 4);
    const std::string_view body = input.substr(0, input.size() - k);
    const std::string_view steps = input.substr(input.size() - k);
    const Outcome whole = Decode(body, checksums, "");
    const Outcome pieces = Decode(body, checksums, steps);
    Check(whole.ok == pieces.ok);
    Check(whole.done == pieces.done);
    if (whole.ok) Check(whole.file == pieces.file);
    Check(whole.file.size() <= body.size());
    return 0;
  }
  (void)shoal::solr::ParseIndexVersion(input);
  const shoal::Result<shoal::solr::FileList> list = shoal::solr::ParseFileList(input);
  if (list.ok()) {
    for (const auto* files : {&list->files, &list->conf_files}) {
      for (const shoal::solr::IndexFile& f : *files) {
        Check(shoal::solr::IsPlainFileName(f.name));
        Check(f.name.find('/') == std::string::npos && f.name != "..");
        Check(f.size >= 0);
      }
    }
  }
  return 0;
}

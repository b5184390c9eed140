// Lucene's codec footer: how solr-fetch knows that a copied index file is whole and unchanged.
//
// Every file of a Lucene index (segments_N included) ends with a 16-byte footer, written by
// Lucene's CodecUtil: the footer magic (the codec magic 0x3FD76C17 inverted: 0xC02893E8) as a
// big-endian int32, the checksum algorithm as an int32 (0: zlib's CRC-32), and the CRC-32 of
// every byte of the file before the checksum field as a big-endian int64 whose top 32 bits are
// zero. Solr's replication filelist reports that stored CRC as the file's "checksum", so a copy
// is verified by recomputing the CRC over the copy and comparing it with both.
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace shoal::solr {

inline constexpr uint32_t kFooterMagic = 0xC02893E8;
inline constexpr size_t kFooterSize = 16;

// Footer is what a file's last 16 bytes say, and what its bytes before the checksum hash to.
struct Footer {
  uint32_t stored_crc = 0;    // the CRC the footer records
  uint32_t computed_crc = 0;  // the CRC of the file's bytes before the checksum field
  uint64_t size = 0;          // the file's size
};

// ReadFooter reads the file at `path` whole (in 1 MiB steps) and returns its footer. Errors:
// NotFound (no file), Unavailable (cannot read), InvalidArgument when the file is shorter than a
// footer, its magic or algorithm is not Lucene's, or the stored checksum has its top bits set
// (the message names the file and says which).
Result<Footer> ReadFooter(const std::string& path);

// CheckFooter is ReadFooter that also wants the CRC to match the footer's and, when
// `expected_crc` is given (the filelist's checksum), that one too; and `expected_size`, when
// not negative. InvalidArgument names the file and what differs.
Status CheckFooter(const std::string& path, int64_t expected_size, int64_t expected_crc);

// FooterOf builds the 16-byte footer Lucene writes for `body` (the file's bytes before the
// footer): for tests, which make index-like files without Solr.
std::string FooterOf(std::string_view body);

}  // namespace shoal::solr

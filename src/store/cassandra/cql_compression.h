// cql_compression: LZ4 frame-body compression of CQL native protocol v4 (§5), without I/O.
//
// A connection that asked for COMPRESSION=lz4 in STARTUP may get, and may send, frames whose
// flags carry frame_flag::kCompression; the flag is per frame, so small frames can stay plain.
// Such a body is a 4-byte big-endian [int] with the uncompressed length, followed by one raw
// LZ4 block (liblz4's LZ4_compress_default / LZ4_decompress_safe format).
//
// InflateFrame undoes it for an incoming frame, bounded: a stated length above max_body (or
// negative) is refused before any allocation, and the block must decompress to exactly the
// stated length. A refusal is InvalidArgument; the connection closes on it, as on any other
// malformed frame. CompressFrameBody does it for an outgoing one, in place.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/cassandra/cql_frame.h"

namespace shoal::store::cassandra {

// InflateFrame returns `frame` with its body decompressed into `scratch` (which the result
// views: it is valid until `scratch` changes) and the compression flag cleared; a frame
// without the flag comes back as it was. max_body bounds the uncompressed length.
Result<Frame> InflateFrame(const Frame& frame, uint32_t max_body, std::string& scratch);

// CompressFrameBody compresses the body of the whole frame that starts at out[frame_start]
// and runs to the end of `out` (header included, as AppendQuery and friends write it): the
// body is replaced by its compressed form, the header's length updated and the flag set.
// Returns false, leaving `out` as it was, when the body is shorter than `threshold` or would
// not get smaller (incompressible bytes go plain).
bool CompressFrameBody(std::string& out, size_t frame_start, size_t threshold);

}  // namespace shoal::store::cassandra

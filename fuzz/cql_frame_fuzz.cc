// libFuzzer target: the CQL v4 frame decoder and every response parser
// (store/cassandra/cql_frame.h) and the cell renderer (cql_types.h): the code that reads a
// Cassandra server's bytes. The first input byte picks max_body (0xff: the default 256 MiB,
// else byte x 16, so short inputs reach the over-the-limit path), the second seeds the
// chunking; the rest is the byte stream, fed to a client-side FrameDecoder in chunks of
// random sizes, alternately by Feed and by Prepare/Commit (the socket path). Every frame
// yielded goes through SplitResponseBody and then through every parser whatever its opcode,
// and every Rows cell is rendered with its column's type; a frame with the compression flag is
// first inflated (cql_compression.h), as the connection does, and parsed only if that
// succeeds. Checked, besides "never crashes":
//   - every frame yielded re-encodes to exactly the bytes it came from, in order, and is a
//     v4 response with a known response opcode and a body within max_body;
//   - an error sticks, and no byte is lost: yielded + still buffered == fed;
//   - a Rows result yields exactly rows x columns cells, ending exactly at its content;
//   - a failed render or encode leaves its output string as it was;
//   - an inflated body has exactly its stated length, within max_body, flag cleared.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include "store/cassandra/cql_compression.h"
#include "store/cassandra/cql_error.h"
#include "store/cassandra/cql_frame.h"
#include "store/cassandra/cql_response.h"
#include "store/cassandra/cql_result.h"
#include "store/cassandra/cql_types.h"

namespace {

namespace cql = shoal::store::cassandra;

void Check(bool ok) {
  if (!ok) std::abort();
}

void RenderCell(const cql::CqlType& type, std::optional<std::string_view> cell) {
  std::string out = "x";
  if (!cql::AppendCellJson(out, type, cell).ok()) Check(out == "x");
}

// RenderAsEveryNativeType renders a cell's bytes as each type without parameters too, so the
// fuzzer reaches every scalar decoder's edge values (INT64_MIN timestamps, 17-byte varints)
// straight from the bytes, not only through a column type it would first have to guess.
void RenderAsEveryNativeType(std::optional<std::string_view> cell) {
  if (!cell) return;
  for (uint16_t id = 1; id <= 0x14; ++id) {
    const auto type = static_cast<cql::TypeId>(id);
    if (cql::IsNativeType(type)) RenderCell(cql::CqlType::Native(type), cell);
  }
}

void ExerciseMetadata(const cql::RowsMetadata& md) {
  Check(md.columns.empty() || md.columns.size() == static_cast<size_t>(md.column_count));
  for (const cql::ColumnSpec& c : md.columns) (void)c.type.ToString();
}

void ExerciseResult(const cql::ResultMessage& result) {
  if (const auto* rows = std::get_if<cql::RowsResult>(&result)) {
    ExerciseMetadata(rows->metadata);
    cql::CellCursor cells = rows->cells();
    const uint64_t columns = static_cast<uint64_t>(rows->metadata.column_count);
    Check(cells.remaining() == static_cast<uint64_t>(rows->row_count) * columns);
    for (uint64_t i = 0; !cells.done(); ++i) {
      const std::optional<std::string_view> cell = cells.Next();
      if (cell) {
        // A cell is a view into the content, never past it.
        Check(cell->data() >= rows->content.data() &&
              cell->data() + cell->size() <= rows->content.data() + rows->content.size());
      }
      // Without metadata the caller brings the types (the Prepared ones); blob stands in.
      const cql::CqlType type = rows->metadata.columns.empty()
                                    ? cql::CqlType()
                                    : rows->metadata.columns[i % columns].type;
      RenderCell(type, cell);
      RenderAsEveryNativeType(cell);
    }
  } else if (const auto* p = std::get_if<cql::PreparedResult>(&result)) {
    ExerciseMetadata(p->result_metadata);
    for (const uint16_t index : p->pk_indexes) Check(index < p->bind_columns.size());
    const shoal::store::Value values[] = {std::monostate(), int64_t{-129}, 2.5,
                                          std::string("00112233-4455-6677-8899-aabbccddeeff"),
                                          shoal::store::Blob{"b"}};
    for (const cql::ColumnSpec& c : p->bind_columns) {
      for (const shoal::store::Value& v : values) {
        std::string out = "x";
        if (!cql::AppendBoundValue(out, c.type, v).ok()) Check(out == "x");
      }
    }
  }
}

void ParseEverything(const cql::Frame& frame) {
  shoal::Result<cql::ResponseBody> body = cql::SplitResponseBody(frame);
  if (!body.ok()) return;
  const std::string_view m = body->message;
  Check(m.data() >= frame.body.data() && m.size() <= frame.body.size());
  if (auto e = cql::ParseError(m); e.ok()) {
    (void)cql::AdviseRetry(*e, true);
    (void)cql::AdviseRetry(*e, false);
  }
  (void)cql::ParseAuthenticate(m);
  (void)cql::ParseAuthToken(m);
  (void)cql::ParseSupported(m);
  if (auto r = cql::ParseResult(m); r.ok()) ExerciseResult(*r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  cql::FrameDecoder::Options options;
  if (data[0] != 0xff) options.max_body = uint32_t{data[0]} * 16;
  std::minstd_rand rng(data[1]);
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  cql::FrameDecoder decoder(options);
  size_t fed = 0;
  size_t consumed = 0;  // bytes of `in` yielded as frames
  bool use_feed = false;
  while (fed < in.size()) {
    const size_t n = std::min<size_t>(in.size() - fed, 1 + rng() % 64);
    if (use_feed) {
      decoder.Feed(in.substr(fed, n));
    } else {
      std::span<char> space = decoder.Prepare(n);
      Check(space.size() >= n);
      std::memcpy(space.data(), in.data() + fed, n);
      decoder.Commit(n);
    }
    use_feed = !use_feed;
    fed += n;
    for (;;) {
      shoal::Result<std::optional<cql::Frame>> next = decoder.Next();
      if (!next.ok()) {
        Check(!decoder.Next().ok());
        return 0;
      }
      if (!next->has_value()) break;
      const cql::Frame& frame = **next;
      Check(frame.header.response && frame.header.version == cql::kProtocolVersion);
      Check(cql::IsResponseOpcode(frame.header.opcode));
      Check(frame.body.size() == frame.header.length && frame.header.length <= options.max_body);
      std::string again;
      cql::AppendFrameHeader(again, frame.header);
      again.append(frame.body);
      Check(consumed + again.size() <= fed);
      Check(again == in.substr(consumed, again.size()));
      consumed += again.size();
      if (frame.header.flags & cql::frame_flag::kCompression) {
        std::string scratch;
        shoal::Result<cql::Frame> inflated = cql::InflateFrame(frame, options.max_body, scratch);
        if (inflated.ok()) {
          Check(!(inflated->header.flags & cql::frame_flag::kCompression));
          Check(inflated->body.size() == inflated->header.length &&
                inflated->header.length <= options.max_body);
          ParseEverything(*inflated);
        }
      } else {
        ParseEverything(frame);
      }
    }
    Check(consumed + decoder.buffered() == fed);
  }
  return 0;
}

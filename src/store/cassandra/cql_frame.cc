#include "store/cassandra/cql_frame.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

namespace shoal::store::cassandra {
namespace {

constexpr size_t kMaxShort = std::numeric_limits<uint16_t>::max();
constexpr size_t kMaxInt = static_cast<size_t>(std::numeric_limits<int32_t>::max());

uint16_t GetU16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>((unsigned{u[0]} << 8) | unsigned{u[1]});
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

void PutU32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

std::string Hex(unsigned v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i) s.push_back(kHex[(v >> (4 * i)) & 0xF]);
  return s;
}

// Truncated is the error of every short read: `what` names the message and the field.
Status Truncated(std::string_view what) {
  return Status::InvalidArgument("cql: truncated " + std::string(what));
}

Status Malformed(std::string_view what) {
  return Status::InvalidArgument("cql: malformed " + std::string(what));
}

// The 2-byte [option] of each type without parameters, indexed by id, so that Native can
// hand out views of static storage. Ids 0x00 (custom) and 0x0A (unused) never get here.
constexpr char kNativeOptions[0x15][2] = {
    {0, 0x00}, {0, 0x01}, {0, 0x02}, {0, 0x03}, {0, 0x04}, {0, 0x05}, {0, 0x06},
    {0, 0x07}, {0, 0x08}, {0, 0x09}, {0, 0x0A}, {0, 0x0B}, {0, 0x0C}, {0, 0x0D},
    {0, 0x0E}, {0, 0x0F}, {0, 0x10}, {0, 0x11}, {0, 0x12}, {0, 0x13}, {0, 0x14},
};

// SkipType consumes one [option] and everything nested in it.
Status SkipType(WireReader& in, int depth) {
  if (depth >= kMaxTypeDepth) {
    return Status::InvalidArgument("cql: column type nested deeper than " +
                                   std::to_string(kMaxTypeDepth) + " levels");
  }
  uint16_t raw = 0;
  if (!in.Short(&raw)) return Truncated("column type");
  const auto id = static_cast<TypeId>(raw);
  if (IsNativeType(id)) return Status();
  switch (id) {
    case TypeId::kCustom: {
      std::string_view cls;
      if (!in.String(&cls)) return Truncated("custom type class name");
      return Status();
    }
    case TypeId::kList:
    case TypeId::kSet:
      return SkipType(in, depth + 1);
    case TypeId::kMap: {
      Status s = SkipType(in, depth + 1);
      if (!s.ok()) return s;
      return SkipType(in, depth + 1);
    }
    case TypeId::kUdt:
    case TypeId::kTuple: {
      const bool udt = id == TypeId::kUdt;
      std::string_view ks;
      std::string_view name;
      if (udt && (!in.String(&ks) || !in.String(&name))) return Truncated("UDT name");
      uint16_t n = 0;
      if (!in.Short(&n)) return Truncated(udt ? "UDT field count" : "tuple arity");
      for (uint16_t i = 0; i < n; ++i) {
        std::string_view field;
        if (udt && !in.String(&field)) return Truncated("UDT field name");
        Status s = SkipType(in, depth + 1);
        if (!s.ok()) return s;
      }
      return Status();
    }
    default:
      return Status::InvalidArgument("cql: unknown column type id " + Hex(raw, 4));
  }
}

// NextType reads a nested [option] of an already validated type; it cannot fail there, and
// falls back to blob rather than over-read if it somehow did.
CqlType NextType(WireReader& in) {
  Result<CqlType> t = ReadType(in);
  return t.ok() ? *t : CqlType();
}

void AppendTypeName(std::string& out, const CqlType& t) {
  switch (t.id()) {
    case TypeId::kCustom:
      out.push_back('\'');
      out.append(t.custom_class());
      out.push_back('\'');
      return;
    case TypeId::kList:
    case TypeId::kSet:
      out.append(TypeIdName(t.id()));
      out.push_back('<');
      AppendTypeName(out, t.element());
      out.push_back('>');
      return;
    case TypeId::kMap:
      out.append("map<");
      AppendTypeName(out, t.key());
      out.append(", ");
      AppendTypeName(out, t.value());
      out.push_back('>');
      return;
    case TypeId::kUdt:
      out.append(t.udt_keyspace());
      out.push_back('.');
      out.append(t.udt_name());
      return;
    case TypeId::kTuple: {
      out.append("tuple<");
      FieldCursor fields = t.fields();
      std::string_view name;
      CqlType field;
      bool first = true;
      while (fields.Next(&name, &field)) {
        if (!first) out.append(", ");
        first = false;
        AppendTypeName(out, field);
      }
      out.push_back('>');
      return;
    }
    default:
      out.append(TypeIdName(t.id()));
      return;
  }
}

bool AppendString(std::string& out, std::string_view s) {
  if (s.size() > kMaxShort) return false;
  AppendShort(out, static_cast<uint16_t>(s.size()));
  out.append(s);
  return true;
}

bool AppendLongString(std::string& out, std::string_view s) {
  if (s.size() > kMaxInt) return false;
  AppendInt(out, static_cast<int32_t>(s.size()));
  out.append(s);
  return true;
}

// BeginFrame appends a request header whose length FinishFrame patches in, so a body is
// written once, straight into `out`.
size_t BeginFrame(std::string& out, int16_t stream, Opcode op) {
  assert(stream >= 0 && "negative stream ids belong to the server");
  const size_t start = out.size();
  FrameHeader h;
  h.stream = stream;
  h.opcode = op;
  AppendFrameHeader(out, h);
  return start;
}

Status FinishFrame(std::string& out, size_t start) {
  const size_t body = out.size() - start - kFrameHeaderSize;
  if (body > kMaxBodyLimit) {
    out.resize(start);
    return Status::InvalidArgument("cql: request body of " + std::to_string(body) +
                                   " bytes exceeds the protocol's " +
                                   std::to_string(kMaxBodyLimit));
  }
  PutU32(out.data() + start + 5, static_cast<uint32_t>(body));
  return Status();
}

// Abandon drops a half-written frame and returns `s`.
Status Abandon(std::string& out, size_t start, Status s) {
  out.resize(start);
  return s;
}

// AppendQueryParameters writes <consistency><flags>[...] (§4.1.4).
Status AppendQueryParameters(std::string& out, const QueryParameters& p) {
  // Check the values really are value_count [value]s: a miscount would shift every later
  // field and the server would read garbage.
  WireReader values(p.values);
  for (uint32_t i = 0; i < p.value_count; ++i) {
    int32_t n = 0;
    std::string_view skipped;
    if (!values.Int(&n) || n < -2 || (n >= 0 && !values.Raw(static_cast<size_t>(n), &skipped))) {
      return Status::InvalidArgument("cql: bound values hold fewer than " +
                                     std::to_string(p.value_count) + " [value]s");
    }
  }
  if (values.remaining() != 0) {
    return Status::InvalidArgument("cql: bound values hold more than " +
                                   std::to_string(p.value_count) + " [value]s");
  }
  if (p.serial_consistency && *p.serial_consistency != Consistency::kSerial &&
      *p.serial_consistency != Consistency::kLocalSerial) {
    return Status::InvalidArgument("cql: serial consistency must be SERIAL or LOCAL_SERIAL");
  }
  if (p.default_timestamp && *p.default_timestamp < 0) {
    return Status::InvalidArgument("cql: the default timestamp may not be negative");
  }
  if (p.paging_state && p.paging_state->size() > kMaxInt) {
    return Status::InvalidArgument("cql: paging state too long");
  }
  uint8_t flags = 0;
  if (p.value_count > 0) flags |= query_flag::kValues;
  if (p.skip_metadata) flags |= query_flag::kSkipMetadata;
  if (p.page_size > 0) flags |= query_flag::kPageSize;
  if (p.paging_state) flags |= query_flag::kPagingState;
  if (p.serial_consistency) flags |= query_flag::kSerialConsistency;
  if (p.default_timestamp) flags |= query_flag::kDefaultTimestamp;

  AppendShort(out, static_cast<uint16_t>(p.consistency));
  AppendByte(out, flags);
  if (flags & query_flag::kValues) {
    AppendShort(out, p.value_count);
    out.append(p.values);
  }
  if (flags & query_flag::kPageSize) AppendInt(out, p.page_size);
  if (flags & query_flag::kPagingState) AppendValue(out, *p.paging_state);
  if (flags & query_flag::kSerialConsistency) {
    AppendShort(out, static_cast<uint16_t>(*p.serial_consistency));
  }
  if (flags & query_flag::kDefaultTimestamp) AppendLong(out, *p.default_timestamp);
  return Status();
}

// ReadColumnSpecs reads `count` column specs (§4.2.5.2) after an optional global table spec.
Status ReadColumnSpecs(WireReader& in, int32_t count, bool global, std::string_view what,
                       std::vector<ColumnSpec>* out) {
  std::string_view ks;
  std::string_view table;
  if (global && (!in.String(&ks) || !in.String(&table))) {
    return Truncated(std::string(what) + " global table spec");
  }
  // Every spec takes at least 4 bytes (a name and a type id), so a lying count cannot make
  // this reserve more than the body could describe.
  out->reserve(std::min(static_cast<size_t>(count), in.remaining() / 4));
  for (int32_t i = 0; i < count; ++i) {
    ColumnSpec spec;
    spec.keyspace = ks;
    spec.table = table;
    if ((!global && (!in.String(&spec.keyspace) || !in.String(&spec.table))) ||
        !in.String(&spec.name)) {
      return Truncated(std::string(what) + " column " + std::to_string(i));
    }
    Result<CqlType> type = ReadType(in);
    if (!type.ok()) return type.status();
    spec.type = *type;
    out->push_back(spec);
  }
  return Status();
}

Status ReadRowsMetadata(WireReader& in, std::string_view what, RowsMetadata* md) {
  if (!in.Int(&md->flags) || !in.Int(&md->column_count)) return Truncated(what);
  if (md->column_count < 0) return Malformed(std::string(what) + ": negative column count");
  if (md->flags & rows_flag::kHasMorePages) {
    std::optional<std::string_view> state;
    if (!in.Bytes(&state)) return Truncated(std::string(what) + " paging state");
    // A null state with the flag set would make the caller stop early and silently lose
    // rows; treat it as the lie it is.
    if (!state) return Malformed(std::string(what) + ": more pages but a null paging state");
    md->paging_state = state;
  }
  if (md->flags & rows_flag::kNoMetadata) return Status();
  return ReadColumnSpecs(in, md->column_count, (md->flags & rows_flag::kGlobalTablesSpec) != 0,
                         what, &md->columns);
}

Result<ResultMessage> ParseRows(WireReader& in) {
  RowsResult rows;
  Status s = ReadRowsMetadata(in, "RESULT Rows metadata", &rows.metadata);
  if (!s.ok()) return s;
  if (!in.Int(&rows.row_count)) return Truncated("RESULT Rows row count");
  if (rows.row_count < 0) return Malformed("RESULT Rows: negative row count");
  // Rows of no columns take no bytes, so nothing would bound a lying count; no CQL query
  // selects zero columns.
  if (rows.row_count > 0 && rows.metadata.column_count == 0) {
    return Malformed("RESULT Rows: " + std::to_string(rows.row_count) + " rows of 0 columns");
  }
  // Walk every cell once so that CellCursor can be trusted; each takes at least 4 bytes, so
  // this stops at the first missing one whatever the counts claim.
  const std::string_view start = in.rest();
  const uint64_t cells =
      static_cast<uint64_t>(rows.row_count) * static_cast<uint64_t>(rows.metadata.column_count);
  for (uint64_t i = 0; i < cells; ++i) {
    std::optional<std::string_view> cell;
    if (!in.Bytes(&cell)) {
      const uint64_t columns = static_cast<uint64_t>(rows.metadata.column_count);
      return Truncated("RESULT Rows: row " + std::to_string(i / columns) + ", column " +
                       std::to_string(i % columns));
    }
  }
  rows.content = start.substr(0, start.size() - in.remaining());
  return ResultMessage(std::move(rows));
}

Result<ResultMessage> ParsePrepared(WireReader& in) {
  PreparedResult p;
  if (!in.ShortBytes(&p.id)) return Truncated("RESULT Prepared id");
  int32_t column_count = 0;
  int32_t pk_count = 0;
  if (!in.Int(&p.flags) || !in.Int(&column_count) || !in.Int(&pk_count)) {
    return Truncated("RESULT Prepared metadata");
  }
  if (column_count < 0 || pk_count < 0) {
    return Malformed("RESULT Prepared metadata: negative count");
  }
  p.pk_indexes.reserve(std::min(static_cast<size_t>(pk_count), in.remaining() / 2));
  for (int32_t i = 0; i < pk_count; ++i) {
    uint16_t index = 0;
    if (!in.Short(&index)) return Truncated("RESULT Prepared partition key indexes");
    // Checked here so that routing code can index the bound values without a check.
    if (index >= column_count) {
      return Malformed("RESULT Prepared: partition key index " + std::to_string(index) + " of " +
                       std::to_string(column_count) + " bind markers");
    }
    p.pk_indexes.push_back(index);
  }
  Status s = ReadColumnSpecs(in, column_count, (p.flags & rows_flag::kGlobalTablesSpec) != 0,
                             "RESULT Prepared bind metadata", &p.bind_columns);
  if (!s.ok()) return s;
  s = ReadRowsMetadata(in, "RESULT Prepared result metadata", &p.result_metadata);
  if (!s.ok()) return s;
  return ResultMessage(std::move(p));
}

Result<ResultMessage> ParseSchemaChange(WireReader& in) {
  SchemaChangeResult c;
  if (!in.String(&c.change) || !in.String(&c.target) || !in.String(&c.keyspace)) {
    return Truncated("RESULT Schema_change");
  }
  if (c.target == "KEYSPACE") return ResultMessage(std::move(c));
  if (c.target == "TABLE" || c.target == "TYPE") {
    if (!in.String(&c.name)) return Truncated("RESULT Schema_change name");
    return ResultMessage(std::move(c));
  }
  if (c.target == "FUNCTION" || c.target == "AGGREGATE") {
    if (!in.String(&c.name) || !in.StringList(&c.arg_types)) {
      return Truncated("RESULT Schema_change function");
    }
    return ResultMessage(std::move(c));
  }
  return Malformed("RESULT Schema_change: unknown target '" + std::string(c.target) + "'");
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Opcodes and headers.

bool IsOpcode(uint8_t byte) { return byte <= 0x10 && byte != 0x04; }

bool IsResponseOpcode(Opcode op) {
  switch (op) {
    case Opcode::kError:
    case Opcode::kReady:
    case Opcode::kAuthenticate:
    case Opcode::kSupported:
    case Opcode::kResult:
    case Opcode::kEvent:
    case Opcode::kAuthChallenge:
    case Opcode::kAuthSuccess:
      return true;
    default:
      return false;
  }
}

std::string_view OpcodeName(Opcode op) {
  switch (op) {
    case Opcode::kError:
      return "ERROR";
    case Opcode::kStartup:
      return "STARTUP";
    case Opcode::kReady:
      return "READY";
    case Opcode::kAuthenticate:
      return "AUTHENTICATE";
    case Opcode::kOptions:
      return "OPTIONS";
    case Opcode::kSupported:
      return "SUPPORTED";
    case Opcode::kQuery:
      return "QUERY";
    case Opcode::kResult:
      return "RESULT";
    case Opcode::kPrepare:
      return "PREPARE";
    case Opcode::kExecute:
      return "EXECUTE";
    case Opcode::kRegister:
      return "REGISTER";
    case Opcode::kEvent:
      return "EVENT";
    case Opcode::kBatch:
      return "BATCH";
    case Opcode::kAuthChallenge:
      return "AUTH_CHALLENGE";
    case Opcode::kAuthResponse:
      return "AUTH_RESPONSE";
    case Opcode::kAuthSuccess:
      return "AUTH_SUCCESS";
  }
  return "?";
}

void AppendFrameHeader(std::string& out, const FrameHeader& h) {
  assert(h.length <= kMaxInt);
  char b[kFrameHeaderSize];
  b[0] = static_cast<char>((h.version & 0x7F) | (h.response ? kResponseBit : 0));
  b[1] = static_cast<char>(h.flags);
  b[2] = static_cast<char>(static_cast<uint16_t>(h.stream) >> 8);
  b[3] = static_cast<char>(h.stream);
  b[4] = static_cast<char>(h.opcode);
  PutU32(b + 5, h.length);
  out.append(b, sizeof b);
}

FrameHeader ParseFrameHeader(std::string_view bytes) {
  assert(bytes.size() >= kFrameHeaderSize);
  const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
  FrameHeader h;
  h.version = u[0] & 0x7F;
  h.response = (u[0] & kResponseBit) != 0;
  h.flags = u[1];
  h.stream = static_cast<int16_t>(GetU16(bytes.data() + 2));
  h.opcode = static_cast<Opcode>(u[4]);
  h.length = GetU32(bytes.data() + 5);
  return h;
}

// ---------------------------------------------------------------------------------------
// FrameDecoder.

FrameDecoder::FrameDecoder(Options options) : options_(options) {
  options_.max_body = std::min(options_.max_body, kMaxBodyLimit);
}

bool FrameDecoder::Check() {
  const size_t have = buf_.size();
  const char* p = buf_.data().data();
  if (have < 1) return true;
  const auto version = static_cast<uint8_t>(p[0]);
  const bool response = (version & kResponseBit) != 0;
  if (response != options_.expect_responses) {
    error_ = Status::InvalidArgument(std::string("cql: a ") + (response ? "response" : "request") +
                                     " frame (version byte " + Hex(version, 2) + ") where a " +
                                     (options_.expect_responses ? "response" : "request") +
                                     " is expected");
    return false;
  }
  if ((version & 0x7F) != options_.version) {
    error_ = Status::InvalidArgument(
        "cql: frame of protocol version " + std::to_string(version & 0x7F) + " on a version " +
        std::to_string(options_.version) + " connection (does the server speak v" +
        std::to_string(options_.version) + "?)");
    return false;
  }
  if (have < 5) return true;
  const auto op = static_cast<uint8_t>(p[4]);
  if (!IsOpcode(op)) {
    error_ = Status::InvalidArgument("cql: unknown opcode " + Hex(op, 2));
    return false;
  }
  if (IsResponseOpcode(static_cast<Opcode>(op)) != options_.expect_responses) {
    error_ =
        Status::InvalidArgument("cql: opcode " + std::string(OpcodeName(static_cast<Opcode>(op))) +
                                " is a " + (options_.expect_responses ? "request" : "response") +
                                ", not a " + (options_.expect_responses ? "response" : "request"));
    return false;
  }
  if (have < kFrameHeaderSize) return true;
  const uint32_t length = GetU32(p + 5);
  if (length > kMaxInt) {
    error_ = Status::InvalidArgument("cql: negative frame body length");
    return false;
  }
  if (length > options_.max_body) {
    error_ =
        Status::InvalidArgument("cql: frame body of " + std::to_string(length) +
                                " bytes exceeds the limit of " + std::to_string(options_.max_body));
    return false;
  }
  return true;
}

std::span<char> FrameDecoder::Prepare(size_t min) {
  size_t want = min;
  // With the header in, make room for the whole frame (base/read_buffer.h says why).
  if (buf_.size() >= kFrameHeaderSize && error_.ok() && Check()) {
    const size_t whole = kFrameHeaderSize + size_t{GetU32(buf_.data().data() + 5)};
    if (whole > buf_.size()) want = std::max(want, whole - buf_.size());
  }
  return buf_.Reserve(want);
}

void FrameDecoder::Commit(size_t n) { buf_.Commit(n); }

void FrameDecoder::Feed(std::string_view bytes) {
  if (bytes.empty()) return;
  std::span<char> space = Prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  Commit(bytes.size());
}

Result<std::optional<Frame>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  if (!Check()) return error_;
  const size_t have = buf_.size();
  if (have < kFrameHeaderSize) return std::optional<Frame>();
  const char* p = buf_.data().data();
  Frame frame;
  frame.header = ParseFrameHeader(std::string_view(p, kFrameHeaderSize));
  const size_t whole = kFrameHeaderSize + size_t{frame.header.length};
  if (have < whole) return std::optional<Frame>();
  frame.body = std::string_view(p + kFrameHeaderSize, frame.header.length);
  buf_.Consume(whole);
  return std::optional<Frame>(frame);
}

// ---------------------------------------------------------------------------------------
// WireReader and writers.

bool WireReader::Raw(size_t n, std::string_view* v) {
  if (in_.size() < n) return false;
  *v = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

bool WireReader::Byte(uint8_t* v) {
  if (in_.empty()) return false;
  *v = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool WireReader::Short(uint16_t* v) {
  if (in_.size() < 2) return false;
  *v = GetU16(in_.data());
  in_.remove_prefix(2);
  return true;
}

bool WireReader::Int(int32_t* v) {
  if (in_.size() < 4) return false;
  *v = static_cast<int32_t>(GetU32(in_.data()));
  in_.remove_prefix(4);
  return true;
}

bool WireReader::Long(int64_t* v) {
  if (in_.size() < 8) return false;
  const uint64_t hi = GetU32(in_.data());
  const uint64_t lo = GetU32(in_.data() + 4);
  *v = static_cast<int64_t>((hi << 32) | lo);
  in_.remove_prefix(8);
  return true;
}

bool WireReader::String(std::string_view* v) { return ShortBytes(v); }

bool WireReader::ShortBytes(std::string_view* v) {
  if (in_.size() < 2) return false;
  const size_t n = GetU16(in_.data());
  if (in_.size() - 2 < n) return false;
  *v = in_.substr(2, n);
  in_.remove_prefix(2 + n);
  return true;
}

bool WireReader::LongString(std::string_view* v) {
  if (in_.size() < 4) return false;
  const auto n = static_cast<int32_t>(GetU32(in_.data()));
  if (n < 0 || in_.size() - 4 < static_cast<size_t>(n)) return false;
  *v = in_.substr(4, static_cast<size_t>(n));
  in_.remove_prefix(4 + static_cast<size_t>(n));
  return true;
}

bool WireReader::Bytes(std::optional<std::string_view>* v) {
  if (in_.size() < 4) return false;
  const auto n = static_cast<int32_t>(GetU32(in_.data()));
  if (n < 0) {
    *v = std::nullopt;
    in_.remove_prefix(4);
    return true;
  }
  if (in_.size() - 4 < static_cast<size_t>(n)) return false;
  *v = in_.substr(4, static_cast<size_t>(n));
  in_.remove_prefix(4 + static_cast<size_t>(n));
  return true;
}

bool WireReader::StringList(std::vector<std::string_view>* v) {
  WireReader r = *this;  // consume nothing on failure
  uint16_t n = 0;
  if (!r.Short(&n)) return false;
  v->clear();
  v->reserve(std::min<size_t>(n, r.remaining() / 2));
  for (uint16_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!r.String(&s)) return false;
    v->push_back(s);
  }
  *this = r;
  return true;
}

void AppendByte(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

void AppendShort(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void AppendInt(std::string& out, int32_t v) {
  char b[4];
  PutU32(b, static_cast<uint32_t>(v));
  out.append(b, 4);
}

void AppendLong(std::string& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  char b[8];
  PutU32(b, static_cast<uint32_t>(u >> 32));
  PutU32(b + 4, static_cast<uint32_t>(u));
  out.append(b, 8);
}

// ---------------------------------------------------------------------------------------
// Types.

std::string_view TypeIdName(TypeId id) {
  switch (id) {
    case TypeId::kCustom:
      return "custom";
    case TypeId::kAscii:
      return "ascii";
    case TypeId::kBigint:
      return "bigint";
    case TypeId::kBlob:
      return "blob";
    case TypeId::kBoolean:
      return "boolean";
    case TypeId::kCounter:
      return "counter";
    case TypeId::kDecimal:
      return "decimal";
    case TypeId::kDouble:
      return "double";
    case TypeId::kFloat:
      return "float";
    case TypeId::kInt:
      return "int";
    case TypeId::kTimestamp:
      return "timestamp";
    case TypeId::kUuid:
      return "uuid";
    case TypeId::kVarchar:
      return "varchar";
    case TypeId::kVarint:
      return "varint";
    case TypeId::kTimeuuid:
      return "timeuuid";
    case TypeId::kInet:
      return "inet";
    case TypeId::kDate:
      return "date";
    case TypeId::kTime:
      return "time";
    case TypeId::kSmallint:
      return "smallint";
    case TypeId::kTinyint:
      return "tinyint";
    case TypeId::kList:
      return "list";
    case TypeId::kMap:
      return "map";
    case TypeId::kSet:
      return "set";
    case TypeId::kUdt:
      return "udt";
    case TypeId::kTuple:
      return "tuple";
  }
  return "?";
}

bool IsNativeType(TypeId id) {
  const auto v = static_cast<uint16_t>(id);
  return v >= 0x0001 && v <= 0x0014 && v != 0x000A;
}

CqlType::CqlType() : CqlType(Native(TypeId::kBlob)) {}

CqlType CqlType::Native(TypeId id) {
  assert(IsNativeType(id));
  const auto v = static_cast<uint16_t>(id);
  if (!IsNativeType(id)) return CqlType();
  return CqlType(std::string_view(kNativeOptions[v], 2));
}

TypeId CqlType::id() const { return static_cast<TypeId>(GetU16(bytes_.data())); }

std::string_view CqlType::custom_class() const {
  assert(id() == TypeId::kCustom);
  WireReader r(bytes_.substr(2));
  std::string_view cls;
  return r.String(&cls) ? cls : std::string_view();
}

CqlType CqlType::element() const {
  assert(id() == TypeId::kList || id() == TypeId::kSet);
  WireReader r(bytes_.substr(2));
  return NextType(r);
}

CqlType CqlType::key() const {
  assert(id() == TypeId::kMap);
  WireReader r(bytes_.substr(2));
  return NextType(r);
}

CqlType CqlType::value() const {
  assert(id() == TypeId::kMap);
  WireReader r(bytes_.substr(2));
  NextType(r);
  return NextType(r);
}

std::string_view CqlType::udt_keyspace() const {
  assert(id() == TypeId::kUdt);
  WireReader r(bytes_.substr(2));
  std::string_view ks;
  return r.String(&ks) ? ks : std::string_view();
}

std::string_view CqlType::udt_name() const {
  assert(id() == TypeId::kUdt);
  WireReader r(bytes_.substr(2));
  std::string_view ks;
  std::string_view name;
  return r.String(&ks) && r.String(&name) ? name : std::string_view();
}

size_t CqlType::field_count() const {
  assert(id() == TypeId::kTuple || id() == TypeId::kUdt);
  WireReader r(bytes_.substr(2));
  std::string_view skip;
  if (id() == TypeId::kUdt && (!r.String(&skip) || !r.String(&skip))) return 0;
  uint16_t n = 0;
  return r.Short(&n) ? n : 0;
}

FieldCursor CqlType::fields() const {
  assert(id() == TypeId::kTuple || id() == TypeId::kUdt);
  const bool udt = id() == TypeId::kUdt;
  WireReader r(bytes_.substr(2));
  std::string_view skip;
  uint16_t n = 0;
  if ((udt && (!r.String(&skip) || !r.String(&skip))) || !r.Short(&n)) {
    return FieldCursor({}, 0, udt);
  }
  return FieldCursor(r.rest(), n, udt);
}

std::string CqlType::ToString() const {
  std::string s;
  AppendTypeName(s, *this);
  return s;
}

bool FieldCursor::Next(std::string_view* name, CqlType* type) {
  if (left_ == 0) return false;
  --left_;
  *name = {};
  if (named_ && !in_.String(name)) {
    left_ = 0;
    return false;
  }
  *type = NextType(in_);
  return true;
}

Result<CqlType> ReadType(WireReader& in) {
  WireReader r = in;  // consume nothing on failure
  Status s = SkipType(r, 0);
  if (!s.ok()) return s;
  const std::string_view start = in.rest();
  CqlType t(start.substr(0, start.size() - r.remaining()));
  in = r;
  return t;
}

Result<CqlType> ParseType(std::string_view encoded) {
  WireReader r(encoded);
  Result<CqlType> t = ReadType(r);
  if (!t.ok()) return t;
  if (r.remaining() != 0) return Malformed("column type: bytes after the type");
  return t;
}

// ---------------------------------------------------------------------------------------
// Requests.

std::string_view ConsistencyName(uint16_t consistency) {
  static constexpr std::string_view kNames[] = {
      "ANY",          "ONE",         "TWO",    "THREE",        "QUORUM",   "ALL",
      "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"};
  return consistency < std::size(kNames) ? kNames[consistency] : "?";
}

Status AppendStartup(std::string& out, int16_t stream, std::span<const StartupOption> extra) {
  if (extra.size() + 1 > kMaxShort) {
    return Status::InvalidArgument("cql: too many STARTUP options");
  }
  const size_t start = BeginFrame(out, stream, Opcode::kStartup);
  AppendShort(out, static_cast<uint16_t>(extra.size() + 1));
  AppendString(out, "CQL_VERSION");
  AppendString(out, "3.0.0");
  for (const StartupOption& o : extra) {
    if (!AppendString(out, o.key) || !AppendString(out, o.value)) {
      return Abandon(out, start, Status::InvalidArgument("cql: STARTUP option too long"));
    }
  }
  return FinishFrame(out, start);
}

void AppendOptions(std::string& out, int16_t stream) {
  BeginFrame(out, stream, Opcode::kOptions);  // the body is empty: the length is already 0
}

Status AppendAuthResponse(std::string& out, int16_t stream, std::optional<std::string_view> token) {
  if (token && token->size() > kMaxInt) {
    return Status::InvalidArgument("cql: authentication token too long");
  }
  const size_t start = BeginFrame(out, stream, Opcode::kAuthResponse);
  if (token) {
    AppendValue(out, *token);
  } else {
    AppendNullValue(out);
  }
  return FinishFrame(out, start);
}

Status AppendPasswordAuthResponse(std::string& out, int16_t stream, std::string_view user,
                                  std::string_view password) {
  if (user.find('\0') != std::string_view::npos || password.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("cql: a user name or password may not contain NUL");
  }
  if (user.size() + password.size() + 2 > kMaxInt) {
    return Status::InvalidArgument("cql: credentials too long");
  }
  const size_t start = BeginFrame(out, stream, Opcode::kAuthResponse);
  AppendInt(out, static_cast<int32_t>(user.size() + password.size() + 2));
  out.push_back('\0');  // empty authorization id: act as the authenticated user
  out.append(user);
  out.push_back('\0');
  out.append(password);
  return FinishFrame(out, start);
}

Status AppendPrepare(std::string& out, int16_t stream, std::string_view query) {
  const size_t start = BeginFrame(out, stream, Opcode::kPrepare);
  if (!AppendLongString(out, query)) {
    return Abandon(out, start, Status::InvalidArgument("cql: query too long"));
  }
  return FinishFrame(out, start);
}

Status AppendQuery(std::string& out, int16_t stream, std::string_view query,
                   const QueryParameters& params) {
  const size_t start = BeginFrame(out, stream, Opcode::kQuery);
  if (!AppendLongString(out, query)) {
    return Abandon(out, start, Status::InvalidArgument("cql: query too long"));
  }
  Status s = AppendQueryParameters(out, params);
  if (!s.ok()) return Abandon(out, start, std::move(s));
  return FinishFrame(out, start);
}

Status AppendExecute(std::string& out, int16_t stream, std::string_view id,
                     const QueryParameters& params) {
  if (id.size() > kMaxShort) return Status::InvalidArgument("cql: prepared id too long");
  const size_t start = BeginFrame(out, stream, Opcode::kExecute);
  AppendString(out, id);  // [short bytes] and [string] share their layout
  Status s = AppendQueryParameters(out, params);
  if (!s.ok()) return Abandon(out, start, std::move(s));
  return FinishFrame(out, start);
}

void AppendValue(std::string& out, std::string_view bytes) {
  assert(bytes.size() <= kMaxInt);
  AppendInt(out, static_cast<int32_t>(bytes.size()));
  out.append(bytes);
}

void AppendNullValue(std::string& out) { AppendInt(out, -1); }

void AppendUnsetValue(std::string& out) { AppendInt(out, -2); }

// ---------------------------------------------------------------------------------------
// Responses.

Result<ResponseBody> SplitResponseBody(const Frame& frame) {
  const uint8_t flags = frame.header.flags;
  if (flags & frame_flag::kCompression) {
    return Status::InvalidArgument("cql: compressed " +
                                   std::string(OpcodeName(frame.header.opcode)) +
                                   " body, but no compression was negotiated");
  }
  ResponseBody out;
  WireReader in(frame.body);
  if ((flags & frame_flag::kTracing) && !in.Raw(16, &out.tracing_id)) {
    return Truncated("tracing id");
  }
  if ((flags & frame_flag::kWarning) && !in.StringList(&out.warnings)) {
    return Truncated("warnings");
  }
  if (flags & frame_flag::kCustomPayload) {
    const std::string_view start = in.rest();
    uint16_t n = 0;
    if (!in.Short(&n)) return Truncated("custom payload");
    for (uint16_t i = 0; i < n; ++i) {
      std::string_view key;
      std::optional<std::string_view> value;
      if (!in.String(&key) || !in.Bytes(&value)) return Truncated("custom payload");
    }
    out.custom_payload = start.substr(0, start.size() - in.remaining());
  }
  out.message = in.rest();
  return out;
}

std::string_view ErrorCodeName(int32_t code) {
  switch (code) {
    case error_code::kServerError:
      return "Server_error";
    case error_code::kProtocolError:
      return "Protocol_error";
    case error_code::kBadCredentials:
      return "Bad_credentials";
    case error_code::kUnavailable:
      return "Unavailable";
    case error_code::kOverloaded:
      return "Overloaded";
    case error_code::kIsBootstrapping:
      return "Is_bootstrapping";
    case error_code::kTruncateError:
      return "Truncate_error";
    case error_code::kWriteTimeout:
      return "Write_timeout";
    case error_code::kReadTimeout:
      return "Read_timeout";
    case error_code::kReadFailure:
      return "Read_failure";
    case error_code::kFunctionFailure:
      return "Function_failure";
    case error_code::kWriteFailure:
      return "Write_failure";
    case error_code::kCdcWriteFailure:
      return "CDC_write_failure";
    case error_code::kCasWriteUnknown:
      return "CAS_write_unknown";
    case error_code::kSyntaxError:
      return "Syntax_error";
    case error_code::kUnauthorized:
      return "Unauthorized";
    case error_code::kInvalid:
      return "Invalid";
    case error_code::kConfigError:
      return "Config_error";
    case error_code::kAlreadyExists:
      return "Already_exists";
    case error_code::kUnprepared:
      return "Unprepared";
    default:
      return "unknown";
  }
}

Result<ErrorResponse> ParseError(std::string_view message) {
  WireReader in(message);
  ErrorResponse e;
  if (!in.Int(&e.code) || !in.String(&e.message)) return Truncated("ERROR");
  // Built only on failure: parsing an ERROR allocates nothing.
  const auto truncated = [&e] {
    return Truncated("ERROR " + std::string(ErrorCodeName(e.code)) + " fields");
  };
  // <cl><received><blockfor>, shared by the timeouts and failures.
  const auto replicas = [&] {
    return in.Short(&e.consistency) && in.Int(&e.received) && in.Int(&e.block_for);
  };
  uint8_t byte = 0;
  switch (e.code) {
    case error_code::kUnavailable:
      if (!in.Short(&e.consistency) || !in.Int(&e.required) || !in.Int(&e.alive)) {
        return truncated();
      }
      break;
    case error_code::kWriteTimeout:
      if (!replicas() || !in.String(&e.write_type)) return truncated();
      break;
    case error_code::kReadTimeout:
      if (!replicas() || !in.Byte(&byte)) return truncated();
      e.data_present = byte != 0;
      break;
    case error_code::kReadFailure:
      if (!replicas() || !in.Int(&e.num_failures) || !in.Byte(&byte)) return truncated();
      e.data_present = byte != 0;
      break;
    case error_code::kWriteFailure:
      if (!replicas() || !in.Int(&e.num_failures) || !in.String(&e.write_type)) {
        return truncated();
      }
      break;
    case error_code::kFunctionFailure: {
      std::vector<std::string_view> arg_types;
      if (!in.String(&e.keyspace) || !in.String(&e.name) || !in.StringList(&arg_types)) {
        return truncated();
      }
      break;
    }
    case error_code::kAlreadyExists:
      if (!in.String(&e.keyspace) || !in.String(&e.name)) return truncated();
      break;
    case error_code::kUnprepared:
      if (!in.ShortBytes(&e.unprepared_id)) return truncated();
      break;
    default:
      break;  // no fields after the message (§9), or a code this client does not know
  }
  return e;
}

RetryAdvice AdviseRetry(const ErrorResponse& error, bool idempotent) {
  switch (error.code) {
    case error_code::kUnprepared:
      return RetryAdvice::kReprepare;
    case error_code::kIsBootstrapping:
    case error_code::kUnavailable:
      // Nothing ran: the coordinator refused before touching a replica.
      return RetryAdvice::kNextNode;
    case error_code::kOverloaded:
    case error_code::kServerError:
    case error_code::kTruncateError:
      return idempotent ? RetryAdvice::kNextNode : RetryAdvice::kNone;
    case error_code::kReadTimeout:
      // Enough replicas answered but the one asked for the data did not: asking again
      // usually finds it (the drivers' default read rule).
      return error.received >= error.block_for && !error.data_present ? RetryAdvice::kSameNode
                                                                      : RetryAdvice::kNone;
    case error_code::kWriteTimeout:
      return idempotent && error.write_type == "BATCH_LOG" ? RetryAdvice::kSameNode
                                                           : RetryAdvice::kNone;
    default:
      return RetryAdvice::kNone;
  }
}

Result<std::string_view> ParseAuthenticate(std::string_view message) {
  WireReader in(message);
  std::string_view cls;
  if (!in.String(&cls)) return Truncated("AUTHENTICATE");
  return cls;
}

Result<std::optional<std::string_view>> ParseAuthToken(std::string_view message) {
  WireReader in(message);
  std::optional<std::string_view> token;
  if (!in.Bytes(&token)) return Truncated("authentication token");
  return token;
}

Result<std::vector<SupportedOption>> ParseSupported(std::string_view message) {
  WireReader in(message);
  uint16_t n = 0;
  if (!in.Short(&n)) return Truncated("SUPPORTED");
  std::vector<SupportedOption> out;
  out.reserve(std::min<size_t>(n, in.remaining() / 4));
  for (uint16_t i = 0; i < n; ++i) {
    SupportedOption o;
    if (!in.String(&o.key) || !in.StringList(&o.values)) return Truncated("SUPPORTED");
    out.push_back(std::move(o));
  }
  return out;
}

std::optional<std::string_view> CellCursor::Next() {
  assert(left_ > 0);
  if (left_ == 0) return std::nullopt;
  --left_;
  std::optional<std::string_view> cell;
  if (!in_.Bytes(&cell)) {
    left_ = 0;  // only for a RowsResult not made by ParseResult
    return std::nullopt;
  }
  return cell;
}

Result<ResultMessage> ParseResult(std::string_view message) {
  WireReader in(message);
  int32_t kind = 0;
  if (!in.Int(&kind)) return Truncated("RESULT kind");
  switch (static_cast<ResultKind>(kind)) {
    case ResultKind::kVoid:
      return ResultMessage(VoidResult());
    case ResultKind::kRows:
      return ParseRows(in);
    case ResultKind::kSetKeyspace: {
      SetKeyspaceResult r;
      if (!in.String(&r.keyspace)) return Truncated("RESULT Set_keyspace");
      return ResultMessage(r);
    }
    case ResultKind::kPrepared:
      return ParsePrepared(in);
    case ResultKind::kSchemaChange:
      return ParseSchemaChange(in);
  }
  return Malformed("RESULT: unknown kind " + std::to_string(kind));
}

}  // namespace shoal::store::cassandra

// cql_frame: the CQL native protocol v4 wire format, without I/O.
//
// This is the bottom of the Cassandra store: the 9-byte frame header, an incremental
// FrameDecoder for the byte stream a server sends, builders for the requests shoal sends
// (STARTUP, AUTH_RESPONSE, OPTIONS, QUERY, PREPARE, EXECUTE) and parsers for the responses
// it reads (ERROR, AUTHENTICATE, SUPPORTED, AUTH_CHALLENGE/AUTH_SUCCESS, RESULT of every
// kind). The reference is doc/native_protocol_v4.spec in the Apache Cassandra sources; the
// section numbers below (§) are that document's. All integers are big-endian.
//
//   offset  size  field
//   0       1     version  bit 7 = direction (0 request, 1 response), bits 0-6 = 4
//   1       1     flags    FrameFlag bits
//   2       2     stream   signed; requests use 0..32767, server events -1
//   4       1     opcode   Opcode below
//   5       4     length   body size, [int]; the spec caps a frame at 256 MiB (§2.5)
//   9       n     body
//
// READY has an empty body, so it has no parser. EVENT, REGISTER, BATCH and compression are
// not implemented: shoal reads through single statements and never registers for events.
//
// Every parser reads through a bounds-checked WireReader: a truncated body, a count larger
// than what follows or a type nested deeper than kMaxTypeDepth is InvalidArgument, never an
// over-read. Bytes after the described message are ignored, as the spec asks (§1, §4.2).
//
// Ownership: parsed messages hold std::string_views into the body they were parsed from (zero
// copy) and are valid only while that body is; a FrameDecoder's frames view its buffer until
// the next Prepare or Feed. To keep a message (a prepared statement's metadata, say), copy
// its body into a std::string and parse that copy. Builders append to a caller's string.
// Thread-safety: FrameDecoder is thread-compatible; everything else is a pure function or a
// value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/read_buffer.h"
#include "base/status.h"

namespace shoal::store::cassandra {

inline constexpr uint8_t kProtocolVersion = 4;
inline constexpr uint8_t kResponseBit = 0x80;
inline constexpr size_t kFrameHeaderSize = 9;
// kMaxBodyLimit is the spec's own cap (§2.5: "a frame is limited to 256MB").
inline constexpr uint32_t kMaxBodyLimit = 256u << 20;
// kMaxTypeDepth bounds the nesting of a column type ([option] inside list/map/set/tuple/UDT).
// Parsing and rendering recurse once per level, so a lying body must not choose the depth;
// real schemas nest a handful of levels (a frozen<map<text, frozen<list<...>>>> is 3).
inline constexpr int kMaxTypeDepth = 32;

enum class Opcode : uint8_t {
  kError = 0x00,          // <- [int] code, [string] message, code-specific fields
  kStartup = 0x01,        // -> [string map] options
  kReady = 0x02,          // <- empty
  kAuthenticate = 0x03,   // <- [string] authenticator class
  kOptions = 0x05,        // -> empty
  kSupported = 0x06,      // <- [string multimap]
  kQuery = 0x07,          // -> [long string] query, query parameters
  kResult = 0x08,         // <- [int] kind, kind-specific body
  kPrepare = 0x09,        // -> [long string] query
  kExecute = 0x0A,        // -> [short bytes] id, query parameters
  kRegister = 0x0B,       // -> [string list] event types
  kEvent = 0x0C,          // <- stream -1, [string] type, ...
  kBatch = 0x0D,          // -> batch
  kAuthChallenge = 0x0E,  // <- [bytes] token
  kAuthResponse = 0x0F,   // -> [bytes] token
  kAuthSuccess = 0x10,    // <- [bytes] token
};

// IsOpcode says whether `byte` names an Opcode (0x04 was retired in v2).
bool IsOpcode(uint8_t byte);
// IsResponseOpcode says whether the server sends `op` (ERROR, READY, RESULT, ...).
bool IsResponseOpcode(Opcode op);
// OpcodeName returns "STARTUP", "RESULT", ... for messages and logs.
std::string_view OpcodeName(Opcode op);

// frame_flag: bits of the header's flags byte (§2.2). Others are ignored, as the spec says.
namespace frame_flag {
inline constexpr uint8_t kCompression = 0x01;
inline constexpr uint8_t kTracing = 0x02;
inline constexpr uint8_t kCustomPayload = 0x04;
inline constexpr uint8_t kWarning = 0x08;
}  // namespace frame_flag

struct FrameHeader {
  uint8_t version = kProtocolVersion;  // without the direction bit
  bool response = false;
  uint8_t flags = 0;
  int16_t stream = 0;
  Opcode opcode = Opcode::kOptions;
  uint32_t length = 0;  // body size
};

struct Frame {
  FrameHeader header;
  std::string_view body;
};

// AppendFrameHeader appends the 9 header bytes. REQUIRES: h.length <= INT32_MAX.
void AppendFrameHeader(std::string& out, const FrameHeader& h);
// ParseFrameHeader decodes 9 header bytes without judging them (FrameDecoder does that).
// REQUIRES: bytes.size() >= kFrameHeaderSize.
FrameHeader ParseFrameHeader(std::string_view bytes);

// FrameDecoder turns the byte stream of one connection into frames. Bytes go in straight
// from the socket (Prepare, read into the span, Commit) or by copy (Feed); Next yields whole
// frames in order. A frame is refused as soon as its header shows it is wrong, before its
// body is buffered: a version other than the connection's, the wrong direction, an unknown
// opcode or one the other side never sends, or a body over max_body. After an error the
// decoder is finished (every later Next returns the same error) and the caller drops the
// connection: the stream cannot be resynchronised.
class FrameDecoder {
 public:
  struct Options {
    // The version fixed by the STARTUP frame (§2.1): every frame must carry it.
    uint8_t version = kProtocolVersion;
    // A client reads responses; a fake server in a test reads requests.
    bool expect_responses = true;
    // Bodies above this are refused. Capped at kMaxBodyLimit.
    uint32_t max_body = kMaxBodyLimit;
  };

  // The buffer starts at kInitialBuffer and grows only to hold one frame whole.
  static constexpr size_t kInitialBuffer = 16 << 10;
  // Once empty, a buffer grown past kKeepBuffer is released, so one 50 MiB page does not
  // pin 50 MiB for the connection's life.
  static constexpr size_t kKeepBuffer = 1 << 20;

  FrameDecoder() : FrameDecoder(Options()) {}
  explicit FrameDecoder(Options options);

  // Prepare returns writable space after the buffered bytes: at least `min` bytes, and
  // enough for the rest of the frame being received once its header is in. It may move the
  // buffered bytes, so it invalidates every Frame returned before.
  std::span<char> Prepare(size_t min = kInitialBuffer);
  // Commit appends the first `n` bytes of the last Prepare's span to the buffered bytes.
  void Commit(size_t n);
  // Feed copies `bytes` in (tests, fuzzing); invalidates earlier Frames like Prepare.
  void Feed(std::string_view bytes);

  // Next returns the next whole frame, std::nullopt when more bytes are needed, or
  // InvalidArgument saying what is wrong with the header. The body views the buffer.
  Result<std::optional<Frame>> Next();

  // buffered is how many received bytes are not yet returned as frames.
  size_t buffered() const { return buf_.size(); }
  size_t capacity() const { return buf_.capacity(); }

 private:
  // Check judges the header bytes that are in; on a refusal sets error_ and returns false.
  bool Check();

  Options options_;
  ReadBuffer buf_{kInitialBuffer, kKeepBuffer};
  Status error_;
};

// ---------------------------------------------------------------------------------------
// Notations (§3). WireReader reads them from a body; each method returns false, consuming
// nothing, when the bytes are not all there (or a length is negative where it must not be).

class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}

  size_t remaining() const { return in_.size(); }
  std::string_view rest() const { return in_; }

  bool Byte(uint8_t* v);
  bool Short(uint16_t* v);  // [short], unsigned
  bool Int(int32_t* v);     // [int]
  bool Long(int64_t* v);    // [long]
  bool Raw(size_t n, std::string_view* v);
  bool String(std::string_view* v);      // [string]
  bool LongString(std::string_view* v);  // [long string]
  bool ShortBytes(std::string_view* v);  // [short bytes]
  // Bytes reads [bytes]: a negative length is null (std::nullopt) with nothing after it.
  bool Bytes(std::optional<std::string_view>* v);
  // StringList reads [string list], replacing `v`'s contents.
  bool StringList(std::vector<std::string_view>* v);

 private:
  std::string_view in_;
};

// Big-endian writers for the same notations; the builders and cql_types.cc use them.
void AppendByte(std::string& out, uint8_t v);
void AppendShort(std::string& out, uint16_t v);
void AppendInt(std::string& out, int32_t v);
void AppendLong(std::string& out, int64_t v);

// ---------------------------------------------------------------------------------------
// Column types: the [option] that describes a column or a bind marker (§4.2.5.2).

enum class TypeId : uint16_t {
  kCustom = 0x0000,  // [string] Java class; also how v4 sees duration and vector
  kAscii = 0x0001,
  kBigint = 0x0002,
  kBlob = 0x0003,
  kBoolean = 0x0004,
  kCounter = 0x0005,
  kDecimal = 0x0006,
  kDouble = 0x0007,
  kFloat = 0x0008,
  kInt = 0x0009,
  kTimestamp = 0x000B,
  kUuid = 0x000C,
  kVarchar = 0x000D,  // text
  kVarint = 0x000E,
  kTimeuuid = 0x000F,
  kInet = 0x0010,
  kDate = 0x0011,
  kTime = 0x0012,
  kSmallint = 0x0013,
  kTinyint = 0x0014,
  kList = 0x0020,   // [option] element
  kMap = 0x0021,    // [option] key, [option] value
  kSet = 0x0022,    // [option] element
  kUdt = 0x0030,    // [string] ks, [string] name, [short] n, n x ([string] field, [option])
  kTuple = 0x0031,  // [short] n, n x [option]
};

// TypeIdName returns the CQL name ("int", "varchar", "list", ...).
std::string_view TypeIdName(TypeId id);
// IsNativeType says whether `id` is a type without parameters (not custom, not a collection,
// tuple or UDT).
bool IsNativeType(TypeId id);

class FieldCursor;

// CqlType views one whole, validated [option]; it is cheap to copy. Only ReadType, ParseType
// and Native make one, so the accessors can trust the bytes. A default CqlType is blob.
class CqlType {
 public:
  CqlType();
  // Native returns the type `id` without parameters. REQUIRES: IsNativeType(id).
  static CqlType Native(TypeId id);

  TypeId id() const;
  std::string_view encoded() const { return bytes_; }

  // custom_class is the Java class name of a custom type. REQUIRES: id() == kCustom.
  std::string_view custom_class() const;
  // element is a list's or set's element type. REQUIRES: id() is kList or kSet.
  CqlType element() const;
  // key and value are a map's. REQUIRES: id() == kMap.
  CqlType key() const;
  CqlType value() const;
  // udt_keyspace and udt_name name a UDT. REQUIRES: id() == kUdt.
  std::string_view udt_keyspace() const;
  std::string_view udt_name() const;
  // field_count and fields walk a tuple's components (names empty) or a UDT's fields.
  // REQUIRES: id() is kTuple or kUdt.
  size_t field_count() const;
  FieldCursor fields() const;

  // ToString spells the type as CQL does, e.g. "list<map<varchar, int>>", for messages.
  std::string ToString() const;

 private:
  friend Result<CqlType> ReadType(WireReader& in);
  friend class FieldCursor;
  explicit CqlType(std::string_view bytes) : bytes_(bytes) {}

  std::string_view bytes_;
};

// FieldCursor yields a tuple's or UDT's components in order.
class FieldCursor {
 public:
  // Next sets the next field's name (empty for a tuple) and type; false after the last.
  bool Next(std::string_view* name, CqlType* type);

 private:
  friend class CqlType;
  FieldCursor(std::string_view rest, size_t count, bool named)
      : in_(rest), left_(count), named_(named) {}

  WireReader in_;
  size_t left_;
  bool named_;
};

// ReadType reads one [option], checking every nested option (unknown ids, truncation, depth
// over kMaxTypeDepth are InvalidArgument).
Result<CqlType> ReadType(WireReader& in);
// ParseType reads an [option] that must fill `encoded` exactly (tests, stored metadata).
Result<CqlType> ParseType(std::string_view encoded);

// ---------------------------------------------------------------------------------------
// Requests. Each builder appends one whole frame (header and body) to `out`; on an error
// (a field too long for its length prefix, a NUL in a credential) it appends nothing.
// REQUIRES for every builder: stream >= 0 (negative ids are the server's, §2.3).

enum class Consistency : uint16_t {
  kAny = 0x0000,
  kOne = 0x0001,
  kTwo = 0x0002,
  kThree = 0x0003,
  kQuorum = 0x0004,
  kAll = 0x0005,
  kLocalQuorum = 0x0006,
  kEachQuorum = 0x0007,
  kSerial = 0x0008,
  kLocalSerial = 0x0009,
  kLocalOne = 0x000A,
};

// ConsistencyName returns "QUORUM", "LOCAL_ONE", ..., or "?" for a value outside the list.
std::string_view ConsistencyName(uint16_t consistency);

struct StartupOption {
  std::string_view key;
  std::string_view value;
};

// AppendStartup appends STARTUP with CQL_VERSION=3.0.0 (the only value the v4 spec defines;
// servers accept any 3.x) followed by `extra` options (DRIVER_NAME, THROW_ON_OVERLOAD ...).
Status AppendStartup(std::string& out, int16_t stream, std::span<const StartupOption> extra = {});

// AppendOptions appends OPTIONS (answered by SUPPORTED; doubles as a heartbeat).
void AppendOptions(std::string& out, int16_t stream);

// AppendAuthResponse appends AUTH_RESPONSE carrying `token` (std::nullopt sends null).
Status AppendAuthResponse(std::string& out, int16_t stream, std::optional<std::string_view> token);
// AppendPasswordAuthResponse answers PasswordAuthenticator (SASL PLAIN): the token is
// "\0user\0password". The server finds the fields by their NULs, so neither may hold one.
Status AppendPasswordAuthResponse(std::string& out, int16_t stream, std::string_view user,
                                  std::string_view password);

// AppendPrepare appends PREPARE (answered by a Prepared RESULT).
Status AppendPrepare(std::string& out, int16_t stream, std::string_view query);

// QueryParameters is what QUERY and EXECUTE carry after the query or id (§4.1.4). The flags
// byte is derived from which fields are set.
struct QueryParameters {
  // The adapter's configuration chooses; ONE is only the least surprising default.
  Consistency consistency = Consistency::kOne;
  // `values` holds value_count [value]s, e.g. written with AppendValue/AppendNullValue or
  // cql_types.h's AppendBoundValue, in bind-marker order. value_count > 0 sets flag 0x01.
  std::string_view values;
  uint16_t value_count = 0;
  // Flag 0x02: Rows come without column specs. Off unless the caller keeps the Prepared
  // result metadata: in v4 that metadata goes stale silently after an ALTER TABLE
  // (CASSANDRA-10786).
  bool skip_metadata = false;
  // Flag 0x04 when > 0: rows per page.
  int32_t page_size = 0;
  // Flag 0x08: the paging_state of the previous page, to continue it.
  std::optional<std::string_view> paging_state;
  // Flag 0x10: SERIAL or LOCAL_SERIAL, for conditional updates.
  std::optional<Consistency> serial_consistency;
  // Flag 0x20: client-side write timestamp in microseconds since the epoch (>= 0).
  std::optional<int64_t> default_timestamp;
};

// Query parameter flag bits (§4.1.4); the builders set them from QueryParameters.
namespace query_flag {
inline constexpr uint8_t kValues = 0x01;
inline constexpr uint8_t kSkipMetadata = 0x02;
inline constexpr uint8_t kPageSize = 0x04;
inline constexpr uint8_t kPagingState = 0x08;
inline constexpr uint8_t kSerialConsistency = 0x10;
inline constexpr uint8_t kDefaultTimestamp = 0x20;
}  // namespace query_flag

// AppendQuery appends QUERY. `params.values` must hold exactly value_count [value]s.
Status AppendQuery(std::string& out, int16_t stream, std::string_view query,
                   const QueryParameters& params);
// AppendExecute appends EXECUTE of the statement whose Prepared id is `id`.
Status AppendExecute(std::string& out, int16_t stream, std::string_view id,
                     const QueryParameters& params);

// [value] writers for QueryParameters::values.
void AppendValue(std::string& out, std::string_view bytes);  // REQUIRES: size <= INT32_MAX
void AppendNullValue(std::string& out);                      // length -1
void AppendUnsetValue(std::string& out);                     // length -2: leave untouched

// ---------------------------------------------------------------------------------------
// Responses.

// ResponseBody is a response frame's body split into the optional prefixes the header
// flags announce (§2.2) and the message itself. Warnings are common in normal operation
// (replication factor above node count, large batches), so every response goes through here.
struct ResponseBody {
  std::string_view tracing_id;  // 16 bytes when the tracing flag is set, else empty
  std::vector<std::string_view> warnings;
  std::string_view custom_payload;  // the raw [bytes map], checked
  std::string_view message;         // what the opcode's parser reads
};

// SplitResponseBody strips the prefixes. A compressed body is InvalidArgument: shoal never
// asks for compression in STARTUP, so a server must not send one.
Result<ResponseBody> SplitResponseBody(const Frame& frame);

// error_code: the codes of ERROR (§9), plus the two Cassandra 4.0 added (CDC, CAS).
namespace error_code {
inline constexpr int32_t kServerError = 0x0000;
inline constexpr int32_t kProtocolError = 0x000A;
inline constexpr int32_t kBadCredentials = 0x0100;
inline constexpr int32_t kUnavailable = 0x1000;
inline constexpr int32_t kOverloaded = 0x1001;
inline constexpr int32_t kIsBootstrapping = 0x1002;
inline constexpr int32_t kTruncateError = 0x1003;
inline constexpr int32_t kWriteTimeout = 0x1100;
inline constexpr int32_t kReadTimeout = 0x1200;
inline constexpr int32_t kReadFailure = 0x1300;
inline constexpr int32_t kFunctionFailure = 0x1400;
inline constexpr int32_t kWriteFailure = 0x1500;
inline constexpr int32_t kCdcWriteFailure = 0x1600;
inline constexpr int32_t kCasWriteUnknown = 0x1700;
inline constexpr int32_t kSyntaxError = 0x2000;
inline constexpr int32_t kUnauthorized = 0x2100;
inline constexpr int32_t kInvalid = 0x2200;
inline constexpr int32_t kConfigError = 0x2300;
inline constexpr int32_t kAlreadyExists = 0x2400;
inline constexpr int32_t kUnprepared = 0x2500;
}  // namespace error_code

// ErrorCodeName returns "Unavailable", "Syntax_error", ..., or "unknown" for other codes.
std::string_view ErrorCodeName(int32_t code);

// ErrorResponse is a parsed ERROR. Only the fields of the code's extra body are set; the
// rest keep their zero values.
struct ErrorResponse {
  int32_t code = 0;
  std::string_view message;
  // Unavailable, Read/Write_timeout, Read/Write_failure:
  uint16_t consistency = 0;
  int32_t required = 0;  // Unavailable: replicas needed
  int32_t alive = 0;     // Unavailable: replicas known alive
  int32_t received = 0;  // timeouts, failures: replicas that answered
  int32_t block_for = 0;
  int32_t num_failures = 0;        // failures
  bool data_present = false;       // Read_timeout, Read_failure
  std::string_view write_type;     // Write_timeout, Write_failure: "SIMPLE", "BATCH_LOG", ...
  std::string_view keyspace;       // Already_exists, Function_failure
  std::string_view name;           // Already_exists: table ("" for a keyspace); function
  std::string_view unprepared_id;  // Unprepared: the id the node does not know
};

Result<ErrorResponse> ParseError(std::string_view message);

// RetryAdvice says what a client should do about an ERROR.
enum class RetryAdvice {
  kNone,       // final: report it (syntax, invalid, unauthorized, failures, ...)
  kReprepare,  // Unprepared: PREPARE again on that node, then resend the EXECUTE
  kSameNode,   // the coordinator may succeed if asked again (a timeout that had quorum)
  kNextNode,   // this coordinator cannot serve it now; another may (bootstrapping, ...)
};

// AdviseRetry follows the drivers' default policies (cql-driver-features.md, row 3):
// Unprepared re-prepares; Is_bootstrapping and Unavailable try another node; Overloaded,
// Server_error and Truncate_error try another node only when `idempotent`; Read_timeout
// retries on the same node when enough replicas answered but the data replica did not;
// Write_timeout only for an idempotent BATCH_LOG write. The caller bounds the attempts
// (the drivers allow one).
RetryAdvice AdviseRetry(const ErrorResponse& error, bool idempotent);

// ParseAuthenticate returns the authenticator class of AUTHENTICATE.
Result<std::string_view> ParseAuthenticate(std::string_view message);
// ParseAuthToken reads the [bytes] token of AUTH_CHALLENGE or AUTH_SUCCESS (null allowed).
Result<std::optional<std::string_view>> ParseAuthToken(std::string_view message);

struct SupportedOption {
  std::string_view key;
  std::vector<std::string_view> values;
};
// ParseSupported reads SUPPORTED's [string multimap], in the server's order.
Result<std::vector<SupportedOption>> ParseSupported(std::string_view message);

// RESULT kinds (§4.2.5).
enum class ResultKind : int32_t {
  kVoid = 0x0001,
  kRows = 0x0002,
  kSetKeyspace = 0x0003,
  kPrepared = 0x0004,
  kSchemaChange = 0x0005,
};

// Rows metadata flag bits (§4.2.5.2).
namespace rows_flag {
inline constexpr int32_t kGlobalTablesSpec = 0x0001;
inline constexpr int32_t kHasMorePages = 0x0002;
inline constexpr int32_t kNoMetadata = 0x0004;
}  // namespace rows_flag

struct ColumnSpec {
  std::string_view keyspace;
  std::string_view table;
  std::string_view name;
  CqlType type;
};

// RowsMetadata is the metadata of Rows, and the result metadata of Prepared.
struct RowsMetadata {
  int32_t flags = 0;
  int32_t column_count = 0;
  // Set when Has_more_pages: send it back (QueryParameters::paging_state) for the next page.
  // Decide "more pages" from this, never from the row count (§8).
  std::optional<std::string_view> paging_state;
  // Empty when No_metadata is set (the caller asked for Skip_metadata); else column_count
  // specs, each with its keyspace and table filled in even under Global_tables_spec.
  std::vector<ColumnSpec> columns;
};

// CellCursor walks the cells of a Rows result, row after row, column after column. On a
// RowsResult from ParseResult every cell is known to be there; on any other the cursor still
// never reads past its bytes (a missing cell comes back as null).
class CellCursor {
 public:
  CellCursor(std::string_view content, uint64_t cells) : in_(content), left_(cells) {}

  bool done() const { return left_ == 0; }
  uint64_t remaining() const { return left_; }
  // Next returns the next cell; std::nullopt is NULL. Empty (not null) cells exist: most
  // non-text types may hold an empty value (§6). REQUIRES: !done().
  std::optional<std::string_view> Next();

 private:
  WireReader in_;
  uint64_t left_;
};

struct RowsResult {
  RowsMetadata metadata;
  int32_t row_count = 0;
  std::string_view content;  // row_count x column_count [bytes]
  // cells walks the content from the first cell (negative counts count as zero).
  CellCursor cells() const {
    return CellCursor(
        content, static_cast<uint64_t>(row_count < 0 ? 0 : row_count) *
                     static_cast<uint64_t>(metadata.column_count < 0 ? 0 : metadata.column_count));
  }
};

struct VoidResult {};

struct SetKeyspaceResult {
  std::string_view keyspace;
};

struct PreparedResult {
  std::string_view id;
  int32_t flags = 0;  // of the bind metadata: only Global_tables_spec (rows_flag) is defined
  // pk_indexes[i] is the bind marker holding partition key column i (token-aware routing);
  // empty when some key column is not a plain bind marker. Each is < bind_columns.size().
  std::vector<uint16_t> pk_indexes;
  std::vector<ColumnSpec> bind_columns;  // one per bind marker, in order
  RowsMetadata result_metadata;          // often No_metadata with 0 columns for non-SELECTs
};

// SchemaChangeResult answers DDL (§4.2.5.5, §4.2.6).
struct SchemaChangeResult {
  std::string_view change;                  // CREATED, UPDATED, DROPPED
  std::string_view target;                  // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string_view keyspace;                // always
  std::string_view name;                    // TABLE, TYPE, FUNCTION, AGGREGATE
  std::vector<std::string_view> arg_types;  // FUNCTION, AGGREGATE
};

using ResultMessage =
    std::variant<VoidResult, RowsResult, SetKeyspaceResult, PreparedResult, SchemaChangeResult>;

// ParseResult reads a RESULT message of any kind. For Rows it checks that every cell is
// present (walking the cells once, without copying them), so that cells() can be trusted.
Result<ResultMessage> ParseResult(std::string_view message);

}  // namespace shoal::store::cassandra

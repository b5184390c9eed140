// `shoal load`: see load.h.
#include "cli/load.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

#include <rapidjson/allocators.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>
#include <unistd.h>

#include "base/mutex.h"

namespace shoal::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// ---------------------------------------------------------------------------------------
// The SQLite sink.

std::string QuoteSqlIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// SqliteSink writes with one prepared INSERT OR REPLACE, in transactions of kBatch rows.
// Invariant: pending_ holds the `done` of every row stepped since the transaction began and
// not yet committed; pending_.size() < kBatch between calls, which is what lets the driver,
// allowed kBatch unfinished writes, never wait for a callback that only a later Write fires.
class SqliteSink final : public RowSink {
 public:
  // Rows per transaction: one commit (and fsync) per 1000 rows rather than per row.
  static constexpr size_t kBatch = 1000;

  SqliteSink(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteSink() override {
    if (in_tx_) {
      (void)Exec("ROLLBACK");
      FailPending(Status::Cancelled("the load stopped before its transaction committed"));
    }
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }

  Status Begin(const std::string& table, const std::vector<std::string>& columns) override {
    std::string sql = "INSERT OR REPLACE INTO " + QuoteSqlIdentifier(table) + " (";
    std::string marks;
    for (size_t i = 0; i < columns.size(); ++i) {
      sql += (i ? ", " : "") + QuoteSqlIdentifier(columns[i]);
      marks += i ? ", ?" : "?";
    }
    sql += ") VALUES (" + marks + ")";
    sqlite3_finalize(insert_);
    insert_ = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &insert_, nullptr) != SQLITE_OK) {
      return Status::InvalidArgument("cannot load into table '" + table + "' of " + path_ + ": " +
                                     sqlite3_errmsg(db_));
    }
    return Status();
  }

  void Write(std::vector<store::Value> row, std::function<void(Status)> done) override {
    if (!in_tx_) {
      // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a writer
      // elsewhere shows up as one clear error here rather than in the middle of a batch.
      if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return done(s);
      in_tx_ = true;
    }
    if (Status s = Bind(row); !s.ok()) {
      sqlite3_reset(insert_);
      sqlite3_clear_bindings(insert_);
      return done(s);
    }
    const int rc = sqlite3_step(insert_);
    std::optional<Status> error;
    if (rc != SQLITE_DONE) error = Status::InvalidArgument(sqlite3_errmsg(db_));
    sqlite3_reset(insert_);
    sqlite3_clear_bindings(insert_);  // the bindings point into `row`
    if (error) {
      // A constraint failure (ABORT, the default even under OR REPLACE for NOT NULL without
      // a default, CHECK and foreign keys) undoes this statement only and the transaction
      // goes on. Some errors (disk full, I/O) make SQLite roll the whole transaction back:
      // then the batch's earlier rows are lost too, and say so.
      if (sqlite3_get_autocommit(db_) != 0) {
        in_tx_ = false;
        FailPending(Status::Unavailable("SQLite rolled the transaction back: " +
                                        std::string(error->message())));
      }
      return done(*error);
    }
    pending_.push_back(std::move(done));
    if (pending_.size() >= kBatch) (void)Commit();
  }

  size_t concurrency() const override { return kBatch; }

  Status Finish() override {
    if (!in_tx_) return Status();
    return Commit();
  }

  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      Status s = Status::Unavailable(std::string(sql) + " on " + path_ + ": " +
                                     (error ? error : sqlite3_errmsg(db_)));
      sqlite3_free(error);
      return s;
    }
    return Status();
  }

 private:
  Status Bind(const std::vector<store::Value>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const store::Value& v = row[i];
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(insert_, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(insert_, index, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(insert_, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (const auto* b = std::get_if<store::Blob>(&v)) {
        rc = sqlite3_bind_blob64(insert_, index, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
      } else if (const auto* j = std::get_if<store::Json>(&v)) {
        rc = sqlite3_bind_text64(insert_, index, j->text.data(), j->text.size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
      }  // monostate: left unbound, which is NULL
      if (rc != SQLITE_OK) {
        return Status::InvalidArgument("value " + std::to_string(index) + ": " +
                                       sqlite3_errmsg(db_));
      }
    }
    return Status();
  }

  // Commit ends the transaction and tells every pending row how it went.
  Status Commit() {
    Status s = Exec("COMMIT");
    if (!s.ok() && sqlite3_get_autocommit(db_) == 0) (void)Exec("ROLLBACK");
    in_tx_ = false;
    std::vector<std::function<void(Status)>> pending = std::move(pending_);
    pending_.clear();
    for (auto& done : pending) done(s);
    return s;
  }

  void FailPending(const Status& s) {
    std::vector<std::function<void(Status)>> pending = std::move(pending_);
    pending_.clear();
    for (auto& done : pending) done(s);
  }

  sqlite3* const db_;
  const std::string path_;
  sqlite3_stmt* insert_ = nullptr;
  bool in_tx_ = false;
  std::vector<std::function<void(Status)>> pending_;
};

// ---------------------------------------------------------------------------------------
// JSON values.

std::string JsonText(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

store::Value ToValue(const rapidjson::Value& v) {
  if (v.IsNull()) return store::Value();
  if (v.IsBool()) return int64_t{v.GetBool() ? 1 : 0};
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsNumber()) return v.GetDouble();  // non-integral, or beyond int64
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  return JsonText(v);  // arrays and objects
}

// A line's document lives in a pool that starts on the stack: most rows need no heap
// allocation for the parse at all.
class LineDocument {
 public:
  LineDocument() : pool_(buffer_, sizeof(buffer_)), doc_(&pool_) {}

  // Parse parses `line`, which must hold one JSON object and nothing after it.
  Status Parse(std::string_view line) {
    doc_.Parse(line.data(), line.size());
    if (doc_.HasParseError()) {
      return Status::InvalidArgument(
          std::string("not JSON: ") + rapidjson::GetParseError_En(doc_.GetParseError()) +
          " (at byte " + std::to_string(doc_.GetErrorOffset() + 1) + ")");
    }
    if (!doc_.IsObject()) return Status::InvalidArgument("not a JSON object");
    return Status();
  }
  rapidjson::Document::ConstObject object() const { return doc_.GetObject(); }

 private:
  char buffer_[4096];
  rapidjson::MemoryPoolAllocator<> pool_;
  rapidjson::Document doc_;
};

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r") == line.npos; }

void StripBom(std::string* text) {
  if (std::string_view(*text).substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    text->erase(0, kUtf8Bom.size());
  }
}

// CheckNames refuses an empty or repeated column name.
Status CheckNames(const std::vector<std::string>& names, std::string_view what) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return Status::InvalidArgument(std::string(what) + ": column " + std::to_string(i + 1) +
                                     " has no name");
    }
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
        names.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Status::InvalidArgument(std::string(what) + ": column '" + names[i] +
                                     "' appears twice");
    }
  }
  return Status();
}

// ---------------------------------------------------------------------------------------
// Readers.

class JsonlReader final : public RowReader {
 public:
  Status Init(const std::string& path, const std::vector<std::string>& only) {
    in_.open(path, std::ios::binary);
    if (!in_) return Status::NotFound("cannot read " + path);
    while (std::getline(in_, text_)) {
      ++line_;
      bytes_ += text_.size() + 1;
      if (line_ == 1) StripBom(&text_);
      if (!IsBlank(text_)) break;
    }
    if (IsBlank(text_)) {
      return Status::InvalidArgument(path + " holds no rows (expected a JSON object a line)");
    }
    first_pending_ = true;
    if (!only.empty()) {
      columns_ = only;
      ignore_unknown_ = true;
      return Status();
    }
    Result<std::vector<std::string>> keys = JsonlColumns(text_);
    if (!keys.ok()) {
      return Status::InvalidArgument(path + ":" + std::to_string(line_) + ": " +
                                     std::string(keys.status().message()) +
                                     " (the first object's keys are the columns)");
    }
    columns_ = std::move(keys).value();
    return Status();
  }

  Result<bool> Next(std::vector<store::Value>* row, size_t* line) override {
    if (first_pending_) {
      first_pending_ = false;
    } else {
      do {
        if (!std::getline(in_, text_)) return false;
        ++line_;
        bytes_ += text_.size() + 1;
      } while (IsBlank(text_));
    }
    *line = line_;
    Result<std::vector<store::Value>> r = JsonlRow(text_, columns_, ignore_unknown_);
    if (!r.ok()) return r.status();
    *row = std::move(r).value();
    return true;
  }

 private:
  std::string text_;  // the current line
  bool first_pending_ = false;
  bool ignore_unknown_ = false;
};

class CsvReader final : public RowReader {
 public:
  Status Init(const std::string& path, const std::vector<std::string>& only) {
    in_.open(path, std::ios::binary);
    if (!in_) return Status::NotFound("cannot read " + path);
    std::vector<CsvField> header;
    do {
      Result<bool> got = ReadCsvRecord(in_, &header, &line_, &bytes_);
      if (!got.ok()) {
        return Status::InvalidArgument(path + ":" + std::to_string(line_) +
                                       ": the header: " + std::string(got.status().message()));
      }
      if (!*got) return Status::InvalidArgument(path + " is empty: expected a header line");
    } while (IsBlankRecord(header));
    std::vector<std::string> names;
    for (CsvField& f : header) names.push_back(std::move(f.text));
    StripBom(&names[0]);
    if (Status s = CheckNames(names, path + ": the header"); !s.ok()) return s;
    header_size_ = names.size();
    const std::vector<std::string>& wanted = only.empty() ? names : only;
    for (const std::string& w : wanted) {
      const auto it = std::find(names.begin(), names.end(), w);
      if (it == names.end()) {
        return Status::InvalidArgument(path + ": no column '" + w + "' in the header");
      }
      index_.push_back(static_cast<size_t>(it - names.begin()));
      columns_.push_back(w);
    }
    return Status();
  }

  Result<bool> Next(std::vector<store::Value>* row, size_t* line) override {
    do {
      *line = line_ + 1;
      Result<bool> got = ReadCsvRecord(in_, &fields_, &line_, &bytes_);
      if (!got.ok()) return got.status();
      if (!*got) return false;
    } while (IsBlankRecord(fields_));
    // A record longer or shorter than the header is most likely a quoting mistake: loading
    // it would put values in the wrong columns.
    if (fields_.size() != header_size_) {
      return Status::InvalidArgument(std::to_string(fields_.size()) + " fields, the header has " +
                                     std::to_string(header_size_));
    }
    row->clear();
    row->reserve(index_.size());
    for (size_t index : index_) {
      CsvField& f = fields_[index];
      if (f.text.empty() && !f.quoted) {
        row->emplace_back();
      } else {
        row->emplace_back(std::move(f.text));
      }
    }
    return true;
  }

 private:
  static bool IsBlankRecord(const std::vector<CsvField>& fields) {
    return fields.size() == 1 && !fields[0].quoted && IsBlank(fields[0].text);
  }

  size_t header_size_ = 0;
  std::vector<size_t> index_;  // the header position of each of columns_
  std::vector<CsvField> fields_;
};

// ---------------------------------------------------------------------------------------
// Progress.

std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string ClockText(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%" PRId64 ":%02d:%02d", s / 3600,
                  static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
  } else {
    std::snprintf(text, sizeof(text), "%d:%02d", static_cast<int>(s / 60),
                  static_cast<int>(s % 60));
  }
  return text;
}

// ProgressDisplay shows FormatProgress on stderr: redrawn in place at most every 100 ms on a
// terminal, a new line every 2 s otherwise (a log file gets 30 lines a minute, not 10 a
// second), and always once at the end.
class ProgressDisplay {
 public:
  ProgressDisplay(std::string file, uint64_t total_bytes)
      : file_(std::move(file)),
        total_(total_bytes),
        tty_(isatty(STDERR_FILENO) == 1),
        start_(Clock::now()),
        last_(start_) {}

  void Update(uint64_t rows, uint64_t bytes, bool final = false) {
    const auto now = Clock::now();
    const Clock::duration every = tty_ ? Clock::duration(std::chrono::milliseconds(100))
                                       : Clock::duration(std::chrono::seconds(2));
    if (!final && now - last_ < every) return;
    last_ = now;
    const std::string line = FormatProgress(tty_, rows, seconds(), bytes, total_, file_);
    if (tty_) {
      // \r back to the start of the line, ESC [K clears what a longer previous line left.
      std::fprintf(stderr, "\r%s\x1b[K%s", line.c_str(), final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }

  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  const std::string file_;
  const uint64_t total_;
  const bool tty_;
  const Clock::time_point start_;
  Clock::time_point last_;
};

// ---------------------------------------------------------------------------------------
// The command.

constexpr char kLoadUsage[] =
    "usage: shoal load --to TARGET --table TABLE --from FILE [options]\n"
    "\n"
    "Upsert the rows of a JSONL or CSV file into a table that exists (running a load again\n"
    "is safe). Rows that do not parse or that the database refuses are rejected and the load\n"
    "goes on; the summary gives the first reasons by line.\n"
    "\n"
    "  --to sqlite:PATH                     an existing SQLite file\n"
    "  --to cassandra:HOST[:PORT]/KEYSPACE  a Cassandra cluster (any node; port 9042);\n"
    "                                       credentials from SHOAL_CASSANDRA_USER and\n"
    "                                       SHOAL_CASSANDRA_PASSWORD\n"
    "  --table TABLE        the table, which must exist\n"
    "  --from FILE          one JSON object a line (.jsonl, .ndjson, .json) whose first\n"
    "                       object's keys are the columns, or CSV (.csv) with a header line\n"
    "  --format jsonl|csv   when the file name does not say\n"
    "  --columns a,b,c      load only these fields (others are ignored)\n"
    "  --concurrency N      Cassandra writes in flight (default 256)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 all rows written; 1 some rows rejected (the others are written), or the\n"
    "load could not start or commit; 2 usage error.\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "shoal load: %s\n\n%s", message.c_str(), kLoadUsage);
  return 2;
}

int Fail(std::string_view message) {
  std::fprintf(stderr, "shoal load: %.*s\n", static_cast<int>(message.size()), message.data());
  return 1;
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

bool IsCqlName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<CassandraTarget> ParseCassandraTarget(std::string_view spec) {
  CassandraTarget t;
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos) {
    return Status::InvalidArgument(
        "expected cassandra:HOST[:PORT]/KEYSPACE, got 'cassandra:" + std::string(spec) + "'");
  }
  const std::string_view keyspace = spec.substr(slash + 1);
  if (!IsCqlName(keyspace)) {
    return Status::InvalidArgument("bad keyspace '" + std::string(keyspace) +
                                   "' in the cassandra target (letters, digits and _)");
  }
  t.keyspace = std::string(keyspace);
  std::string_view host = spec.substr(0, slash);
  std::string_view port;
  bool has_port = false;
  if (!host.empty() && host.front() == '[') {  // [v6] or [v6]:port
    const size_t close = host.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unclosed '[' in the cassandra target");
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return Status::InvalidArgument("bad cassandra target host");
      port = host.substr(close + 2);
      has_port = true;
    }
    host = host.substr(1, close - 1);
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (host.rfind(':') != colon) {
      return Status::InvalidArgument("an IPv6 host goes in brackets: cassandra:[" +
                                     std::string(host) + "]/" + t.keyspace);
    }
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    has_port = true;
  }
  if (has_port) {
    const std::string text(port);
    char* end = nullptr;
    const long p = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || p < 1 || p > 65535) {
      return Status::InvalidArgument("bad port '" + text + "' in the cassandra target");
    }
    t.port = static_cast<uint16_t>(p);
  }
  if (host.empty()) return Status::InvalidArgument("no host in the cassandra target");
  t.host = std::string(host);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once, before any thread starts
  if (const char* user = std::getenv("SHOAL_CASSANDRA_USER")) t.user = user;
  // NOLINTNEXTLINE(concurrency-mt-unsafe)
  if (const char* password = std::getenv("SHOAL_CASSANDRA_PASSWORD")) t.password = password;
  return t;
}

Result<std::unique_ptr<RowSink>> OpenSqliteSink(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::Unavailable("cannot open " + path + ": " + message +
                               " (shoal load creates nothing: the file and the table must exist)");
  }
  // READWRITE quietly falls back to read-only on a write-protected file; every row would
  // then fail the same way, so refuse up front.
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close(db);
    return Status::Unavailable("cannot open " + path + " for writing: the file is read-only");
  }
  // A serving shoal may be reading the same file: WAL lets it go on reading while we write,
  // and the busy timeout rides out a checkpoint or another writer's commit.
  sqlite3_busy_timeout(db, 5000);
  auto sink = std::make_unique<SqliteSink>(db, path);
  if (Status s = sink->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  return std::unique_ptr<RowSink>(std::move(sink));
}

Result<bool> ReadCsvRecord(std::istream& in, std::vector<CsvField>* fields, size_t* line,
                           uint64_t* bytes) {
  using Traits = std::char_traits<char>;
  fields->clear();
  // The stream buffer directly: istream::get() builds a sentry per character, which made
  // reading a CSV several times slower than parsing it.
  std::streambuf* buf = in.rdbuf();
  if (buf == nullptr) return false;
  int c = buf->sbumpc();
  if (Traits::eq_int_type(c, Traits::eof())) {
    in.setstate(std::ios::eofbit);
    return false;
  }
  ++*line;
  CsvField field;
  bool after_quote = false;  // a quoted field has closed; only , or a line end may follow
  const char* error = nullptr;
  for (; !Traits::eq_int_type(c, Traits::eof()); c = buf->sbumpc()) {
    ++*bytes;
    const char ch = Traits::to_char_type(c);
    if (field.quoted && !after_quote) {
      if (ch == '"') {
        if (Traits::eq_int_type(buf->sgetc(), Traits::to_int_type('"'))) {
          buf->sbumpc();
          ++*bytes;
          field.text += '"';
        } else {
          after_quote = true;
        }
      } else {
        if (ch == '\n') ++*line;
        field.text += ch;
      }
      continue;
    }
    if (ch == ',') {
      fields->push_back(std::move(field));
      field = CsvField();
      after_quote = false;
      continue;
    }
    if (ch == '\n') break;
    if (ch == '\r' && Traits::eq_int_type(buf->sgetc(), Traits::to_int_type('\n'))) continue;
    if (after_quote) {
      if (error == nullptr) error = "text after a closing quote";
      continue;
    }
    if (ch == '"' && field.text.empty() && !field.quoted) {
      field.quoted = true;
      continue;
    }
    field.text += ch;
  }
  if (field.quoted && !after_quote && error == nullptr) {
    error = "a quoted field is not closed before the end of the file";
  }
  fields->push_back(std::move(field));
  if (error != nullptr) return Status::InvalidArgument(error);
  return true;
}

Result<std::vector<std::string>> JsonlColumns(std::string_view line) {
  LineDocument doc;
  if (Status s = doc.Parse(line); !s.ok()) return s;
  std::vector<std::string> columns;
  for (const auto& m : doc.object()) {
    columns.emplace_back(m.name.GetString(), m.name.GetStringLength());
  }
  if (columns.empty()) return Status::InvalidArgument("the object has no keys");
  if (Status s = CheckNames(columns, "the object"); !s.ok()) return s;
  return columns;
}

Result<std::vector<store::Value>> JsonlRow(std::string_view line,
                                           const std::vector<std::string>& columns,
                                           bool ignore_unknown) {
  LineDocument doc;
  if (Status s = doc.Parse(line); !s.ok()) return s;
  std::vector<store::Value> row(columns.size());
  for (const auto& m : doc.object()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const auto it = std::find(columns.begin(), columns.end(), key);
    if (it == columns.end()) {
      if (ignore_unknown) continue;
      return Status::InvalidArgument("unknown key '" + std::string(key) +
                                     "' (the first object's keys are the columns)");
    }
    row[static_cast<size_t>(it - columns.begin())] = ToValue(m.value);
  }
  return row;
}

Result<std::unique_ptr<RowReader>> RowReader::Open(const std::string& path, Format format,
                                                   const std::vector<std::string>& only) {
  if (Status s = CheckNames(only, "--columns"); !s.ok()) return s;
  std::unique_ptr<RowReader> reader;
  Status s;
  if (format == Format::kJsonl) {
    auto jsonl = std::make_unique<JsonlReader>();
    s = jsonl->Init(path, only);
    reader = std::move(jsonl);
  } else {
    auto csv = std::make_unique<CsvReader>();
    s = csv->Init(path, only);
    reader = std::move(csv);
  }
  if (!s.ok()) return s;
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (!ec) reader->size_ = size;
  }
  return reader;
}

LoadReport LoadRows(RowReader& reader, RowSink& sink,
                    const std::function<void(uint64_t rows, uint64_t bytes)>& progress) {
  // Shared with the sink's callbacks, which may run on its threads. Finish returns only
  // after every callback has run, and the wait below covers a sink that calls back late, so
  // `shared` outlives them all.
  struct Shared {
    Mutex mu;
    CondVar changed;
    size_t in_flight SHOAL_GUARDED_BY(mu) = 0;
    LoadReport report SHOAL_GUARDED_BY(mu);

    // Keeps the kMaxReasons lowest lines: with writes in flight, rejects arrive out of order.
    void AddReject(size_t line, std::string_view reason) SHOAL_REQUIRES(mu) {
      ++report.rejected;
      auto& rejects = report.first_rejects;
      rejects.push_back({line, std::string(reason)});
      if (rejects.size() > LoadReport::kMaxReasons) {
        rejects.erase(std::max_element(rejects.begin(), rejects.end()));
      }
    }
  } shared;
  const size_t limit = std::max<size_t>(1, sink.concurrency());
  for (;;) {
    std::vector<store::Value> row;
    size_t line = 0;
    Result<bool> more = reader.Next(&row, &line);
    uint64_t written = 0;
    if (!more.ok()) {
      MutexLock lock(shared.mu);
      shared.AddReject(line, more.status().message());
      written = shared.report.written;
    } else if (!*more) {
      break;
    } else {
      {
        MutexLock lock(shared.mu);
        shared.changed.Wait(shared.mu,
                            [&]() SHOAL_REQUIRES(shared.mu) { return shared.in_flight < limit; });
        ++shared.in_flight;
      }
      // Not under the lock: the sink may call `done` inline.
      sink.Write(std::move(row), [&shared, line](Status s) {
        MutexLock lock(shared.mu);
        if (s.ok()) {
          ++shared.report.written;
        } else {
          shared.AddReject(line, s.message());
        }
        --shared.in_flight;
        shared.changed.NotifyAll();
      });
      MutexLock lock(shared.mu);
      written = shared.report.written;
    }
    progress(written, reader.bytes_read());
  }
  Status finish = sink.Finish();
  MutexLock lock(shared.mu);
  shared.changed.Wait(shared.mu, [&]() SHOAL_REQUIRES(shared.mu) { return shared.in_flight == 0; });
  LoadReport report = std::move(shared.report);
  report.finish = std::move(finish);
  std::sort(report.first_rejects.begin(), report.first_rejects.end());
  return report;
}

std::string FormatProgress(bool terminal, uint64_t rows, double seconds, uint64_t bytes,
                           uint64_t total_bytes, std::string_view file) {
  const auto rate = static_cast<uint64_t>(seconds > 0 ? static_cast<double>(rows) / seconds : 0);
  const bool known = total_bytes > 0;
  const double fraction =
      known ? std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes)) : 0;
  const int percent = static_cast<int>(fraction * 100);
  if (!terminal) {
    std::string out =
        "load: " + std::to_string(rows) + " rows (" + std::to_string(rate) + " rows/s), ";
    out += known ? std::to_string(percent) + "% of " : "from ";
    return out.append(file);
  }
  std::string out;
  if (known) {
    constexpr int kWidth = 20;
    const int filled = static_cast<int>(fraction * kWidth);
    out = "[" + std::string(static_cast<size_t>(filled), '#') +
          std::string(static_cast<size_t>(kWidth - filled), '-') + "] " + std::to_string(percent) +
          "% ";
  }
  out += Thousands(rows) + " rows " + Thousands(rate) + " rows/s";
  if (known) {
    // The time left assumes the rest of the file goes at the average speed so far.
    out += " ETA ";
    out += fraction > 0 ? ClockText(seconds / fraction - seconds) : std::string("-:--");
  }
  return out;
}

int LoadCommand(std::span<const std::string_view> args) {
  std::string to, table, from, format, columns_flag, concurrency_flag;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kLoadUsage, stdout);
      return 0;
    }
    // --flag VALUE or --flag=VALUE, like the other commands.
    std::string_view name = a;
    std::string value;
    if (const size_t eq = a.find('='); a.substr(0, 2) == "--" && eq != a.npos) {
      name = a.substr(0, eq);
      value = std::string(a.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      value = std::string(args[++i]);
    } else {
      return UsageError("unknown or incomplete option '" + std::string(a) + "'");
    }
    std::string* slot = name == "--to"            ? &to
                        : name == "--table"       ? &table
                        : name == "--from"        ? &from
                        : name == "--format"      ? &format
                        : name == "--columns"     ? &columns_flag
                        : name == "--concurrency" ? &concurrency_flag
                                                  : nullptr;
    if (slot == nullptr) return UsageError("unknown option '" + std::string(name) + "'");
    *slot = std::move(value);
  }
  if (to.empty() || table.empty() || from.empty()) {
    return UsageError("--to, --table and --from are required");
  }
  int concurrency = 256;
  if (!concurrency_flag.empty()) {
    char* end = nullptr;
    const long n = std::strtol(concurrency_flag.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 32768) {
      return UsageError("--concurrency: expected 1..32768, got '" + concurrency_flag + "'");
    }
    concurrency = static_cast<int>(n);
  }
  if (format.empty()) {
    const std::string ext = std::filesystem::path(from).extension().string();
    if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") {
      format = "jsonl";
    } else if (ext == ".csv") {
      format = "csv";
    } else {
      return UsageError("cannot tell the format of '" + from + "': give --format jsonl|csv");
    }
  }
  if (format != "jsonl" && format != "csv") {
    return UsageError("--format: expected jsonl or csv, got '" + format + "'");
  }
  std::optional<CassandraTarget> cassandra;
  std::string sqlite_path;
  if (to.rfind("sqlite:", 0) == 0 && to.size() > 7) {
    sqlite_path = to.substr(7);
  } else if (to.rfind("cassandra:", 0) == 0) {
    Result<CassandraTarget> target = ParseCassandraTarget(to.substr(10));
    if (!target.ok()) return UsageError(std::string(target.status().message()));
    cassandra = std::move(target).value();
    cassandra->concurrency = concurrency;
  } else {
    return UsageError("--to: expected sqlite:PATH or cassandra:HOST[:PORT]/KEYSPACE, got '" + to +
                      "'");
  }

  // The file first: a file that cannot be read should not cost a connection.
  Result<std::unique_ptr<RowReader>> reader =
      RowReader::Open(from, format == "csv" ? RowReader::Format::kCsv : RowReader::Format::kJsonl,
                      SplitCommas(columns_flag));
  if (!reader.ok()) return Fail(reader.status().message());
  Result<std::unique_ptr<RowSink>> sink =
      cassandra ? OpenCassandraSink(*cassandra) : OpenSqliteSink(sqlite_path);
  if (!sink.ok()) return Fail(sink.status().message());
  if (Status s = (*sink)->Begin(table, (*reader)->columns()); !s.ok()) return Fail(s.message());

  ProgressDisplay display(from, (*reader)->file_size());
  const LoadReport report = LoadRows(
      **reader, **sink, [&display](uint64_t rows, uint64_t bytes) { display.Update(rows, bytes); });
  display.Update(report.written, (*reader)->bytes_read(), /*final=*/true);
  const double seconds = display.seconds();
  std::printf(
      "load: %" PRIu64 " rows written, %" PRIu64 " rejected in %.1f s (%" PRIu64 " rows/s)\n",
      report.written, report.rejected, seconds,
      static_cast<uint64_t>(seconds > 0 ? static_cast<double>(report.written) / seconds : 0));
  for (const Reject& r : report.first_rejects) {
    std::printf("  line %zu: %s\n", r.line, r.reason.c_str());
  }
  if (report.rejected > report.first_rejects.size()) {
    std::printf("  (and %" PRIu64 " more)\n", report.rejected - report.first_rejects.size());
  }
  std::fflush(stdout);
  if (!report.finish.ok()) return Fail(report.finish.message());
  return report.rejected > 0 ? 1 : 0;
}

}  // namespace shoal::cli

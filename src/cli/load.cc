// `shoal load`: see load.h.
#include "cli/load.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>
#include <unistd.h>

namespace shoal::cli {
namespace {

using Clock = std::chrono::steady_clock;

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

class SqliteSink final : public RowSink {
 public:
  // Rows per transaction: one fsync per batch instead of per row.
  static constexpr size_t kBatch = 1000;

  explicit SqliteSink(sqlite3* db) : db_(db) {}
  ~SqliteSink() override {
    if (in_tx_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
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
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &insert_, nullptr) != SQLITE_OK) {
      return Status::InvalidArgument("cannot insert into " + table + ": " + sqlite3_errmsg(db_));
    }
    return Status();
  }

  void Write(std::vector<store::Value> row, std::function<void(Status)> done) override {
    if (!in_tx_) {
      if (Status s = Exec("BEGIN"); !s.ok()) return done(s);
      in_tx_ = true;
    }
    sqlite3_reset(insert_);
    sqlite3_clear_bindings(insert_);
    for (size_t i = 0; i < row.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const store::Value& v = row[i];
      if (const auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(insert_, index, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(insert_, index, *d);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        sqlite3_bind_text64(insert_, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (const auto* b = std::get_if<store::Blob>(&v)) {
        sqlite3_bind_blob64(insert_, index, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
      } else if (const auto* j = std::get_if<store::Json>(&v)) {
        sqlite3_bind_text64(insert_, index, j->text.data(), j->text.size(), SQLITE_STATIC,
                            SQLITE_UTF8);
      }  // monostate: left unbound, which is NULL
    }
    // A failing row (a constraint) undoes only its own statement; the batch goes on.
    const int rc = sqlite3_step(insert_);
    Status result;
    if (rc != SQLITE_DONE) result = Status::InvalidArgument(sqlite3_errmsg(db_));
    sqlite3_reset(insert_);
    if (++batch_ >= kBatch) {
      batch_ = 0;
      in_tx_ = false;
      if (Status s = Exec("COMMIT"); !s.ok() && result.ok()) result = s;
    }
    done(result);
  }

  size_t concurrency() const override { return 1; }

  Status Finish() override {
    if (!in_tx_) return Status();
    in_tx_ = false;
    return Exec("COMMIT");
  }

  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      Status s = Status::Unavailable(std::string(sql) + ": " + (error ? error : "failed"));
      sqlite3_free(error);
      return s;
    }
    return Status();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
  bool in_tx_ = false;
  size_t batch_ = 0;
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

Status ParseObject(std::string_view line, rapidjson::Document* doc) {
  doc->Parse<rapidjson::kParseStopWhenDoneFlag>(line.data(), line.size());
  if (doc->HasParseError()) {
    return Status::InvalidArgument(std::string("not JSON: ") +
                                   rapidjson::GetParseError_En(doc->GetParseError()) +
                                   " at offset " + std::to_string(doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) return Status::InvalidArgument("not a JSON object");
  return Status();
}

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

class Progress {
 public:
  Progress(std::string file, uint64_t total_bytes)
      : file_(std::move(file)),
        total_(total_bytes),
        tty_(isatty(STDERR_FILENO) == 1),
        start_(Clock::now()),
        last_(start_) {}

  void Update(uint64_t rows, uint64_t bytes, bool final = false) {
    const auto now = Clock::now();
    const Duration every = tty_ ? std::chrono::milliseconds(100) : std::chrono::seconds(2);
    if (!final && now - last_ < every) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
    const double fraction =
        total_ > 0 ? std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_)) : 1;
    if (tty_) {
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(fraction * kWidth);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.append(static_cast<size_t>(kWidth - filled), '-');
      std::string eta = "--:--";
      if (fraction > 0 && fraction < 1) {
        const auto left = static_cast<int64_t>(seconds / fraction - seconds);
        eta = std::to_string(left / 60) + ":" + (left % 60 < 10 ? "0" : "") +
              std::to_string(left % 60);
      } else if (fraction >= 1) {
        eta = "0:00";
      }
      std::fprintf(stderr, "\r[%s] %3d%% %s rows %s rows/s ETA %s ", bar.c_str(),
                   static_cast<int>(fraction * 100), Thousands(rows).c_str(),
                   Thousands(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
      if (final) std::fprintf(stderr, "\n");
    } else {
      std::fprintf(stderr, "load: %s rows (%s rows/s), %d%% of %s\n", Thousands(rows).c_str(),
                   Thousands(static_cast<uint64_t>(rate)).c_str(), static_cast<int>(fraction * 100),
                   file_.c_str());
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
// The driver.

struct Tally {
  static constexpr size_t kReasons = 10;

  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0;
  uint64_t written = 0;
  uint64_t rejected = 0;
  std::vector<std::pair<size_t, std::string>> reasons;  // the first kReasons

  void Reject(size_t line, std::string reason) {
    std::lock_guard<std::mutex> lock(mu);
    ++rejected;
    if (reasons.size() < kReasons) reasons.emplace_back(line, std::move(reason));
  }
};

// Source yields rows with their line numbers; false at the end.
using Source = std::function<Result<bool>(std::vector<store::Value>* row, size_t* line)>;

void Drive(const Source& next, RowSink& sink, Tally& tally, Progress& progress,
           const uint64_t& bytes) {
  const size_t limit = std::max<size_t>(1, sink.concurrency());
  for (;;) {
    std::vector<store::Value> row;
    size_t line = 0;
    Result<bool> more = next(&row, &line);
    if (!more.ok()) {
      tally.Reject(line, std::string(more.status().message()));
      continue;
    }
    if (!*more) break;
    {
      std::unique_lock<std::mutex> lock(tally.mu);
      tally.cv.wait(lock, [&] { return tally.in_flight < limit; });
      ++tally.in_flight;
    }
    sink.Write(std::move(row), [&tally, line](Status s) {
      std::lock_guard<std::mutex> lock(tally.mu);
      if (s.ok()) {
        ++tally.written;
      } else {
        ++tally.rejected;
        if (tally.reasons.size() < Tally::kReasons) {
          tally.reasons.emplace_back(line, std::string(s.message()));
        }
      }
      --tally.in_flight;
      tally.cv.notify_all();
    });
    uint64_t written = 0;
    {
      std::lock_guard<std::mutex> lock(tally.mu);
      written = tally.written;
    }
    progress.Update(written, bytes);
  }
  std::unique_lock<std::mutex> lock(tally.mu);
  tally.cv.wait(lock, [&] { return tally.in_flight == 0; });
}

constexpr char kLoadUsage[] =
    "usage: shoal load --to TARGET --table TABLE --from FILE [options]\n"
    "\n"
    "Upsert the rows of a JSONL or CSV file into a table (re-running a load is safe).\n"
    "\n"
    "  --to sqlite:PATH                     an existing SQLite file\n"
    "  --to cassandra:HOST[:PORT]/KEYSPACE  a Cassandra cluster (any node; port 9042);\n"
    "                                       credentials from SHOAL_CASSANDRA_USER and\n"
    "                                       SHOAL_CASSANDRA_PASSWORD\n"
    "  --table TABLE        the table, which must exist\n"
    "  --from FILE          one JSON object per line (.jsonl, .ndjson) or CSV with a header\n"
    "  --format jsonl|csv   when the file name does not say\n"
    "  --columns a,b,c      load only these fields (others are ignored)\n"
    "  --concurrency N      Cassandra writes in flight (default 256)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 all rows written; 1 some rows rejected, or the load could not start;\n"
    "2 usage error.\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "shoal load: %s\n\n%s", message.c_str(), kLoadUsage);
  return 2;
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

Result<CassandraTarget> ParseCassandraTarget(std::string_view spec) {
  CassandraTarget t;
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos || slash + 1 >= spec.size()) {
    return Status::InvalidArgument(
        "expected cassandra:HOST[:PORT]/KEYSPACE, got 'cassandra:" + std::string(spec) + "'");
  }
  t.keyspace = std::string(spec.substr(slash + 1));
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
  } else if (const size_t colon = host.find(':');
             colon != std::string_view::npos && host.rfind(':') == colon) {
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
  if (const char* user = std::getenv("SHOAL_CASSANDRA_USER")) t.user = user;
  if (const char* password = std::getenv("SHOAL_CASSANDRA_PASSWORD")) t.password = password;
  return t;
}

}  // namespace

Result<std::unique_ptr<RowSink>> OpenSqliteSink(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::Unavailable("cannot open " + path + ": " + message +
                               " (the file and its tables must exist)");
  }
  sqlite3_busy_timeout(db, 5000);
  auto sink = std::make_unique<SqliteSink>(db);
  if (Status s = sink->Exec("PRAGMA journal_mode=WAL"); !s.ok()) {
    return Status::Unavailable(path + ": " + std::string(s.message()));
  }
  return std::unique_ptr<RowSink>(std::move(sink));
}

Result<bool> ReadCsvRecord(std::istream& in, std::vector<CsvField>* fields, size_t* line,
                           uint64_t* bytes) {
  fields->clear();
  int c = in.get();
  if (c == std::char_traits<char>::eof()) return false;
  ++*line;
  CsvField field;
  bool after_quote = false;  // a quoted field has closed; only , or a line end may follow
  std::optional<Status> error;
  for (;; c = in.get()) {
    if (c == std::char_traits<char>::eof()) break;
    ++*bytes;
    const char ch = static_cast<char>(c);
    if (field.quoted && !after_quote) {
      if (ch == '"') {
        if (in.peek() == '"') {
          in.get();
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
    if (ch == '\r' && in.peek() == '\n') continue;
    if (after_quote) {
      if (!error) error = Status::InvalidArgument("text after a closing quote");
      continue;
    }
    if (ch == '"' && field.text.empty() && !field.quoted) {
      field.quoted = true;
      continue;
    }
    field.text += ch;
  }
  if (field.quoted && !after_quote && !error) {
    error = Status::InvalidArgument("a quoted field is not closed before the end of the file");
  }
  fields->push_back(std::move(field));
  if (error) return *error;
  return true;
}

Result<std::vector<std::string>> JsonlColumns(std::string_view line) {
  rapidjson::Document doc;
  if (Status s = ParseObject(line, &doc); !s.ok()) return s;
  std::vector<std::string> columns;
  // Indexed, not a range for: clang's C++20 mode finds RapidJSON's iterator != ambiguous.
  const auto members = doc.MemberBegin();
  for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i) {
    const auto& m = members[i];
    columns.emplace_back(m.name.GetString(), m.name.GetStringLength());
  }
  if (columns.empty()) return Status::InvalidArgument("the first object has no keys");
  return columns;
}

Result<std::vector<store::Value>> JsonlRow(std::string_view line,
                                           const std::vector<std::string>& columns,
                                           bool ignore_unknown) {
  rapidjson::Document doc;
  if (Status s = ParseObject(line, &doc); !s.ok()) return s;
  std::vector<store::Value> row(columns.size());
  // Indexed, not a range for: clang's C++20 mode finds RapidJSON's iterator != ambiguous.
  const auto members = doc.MemberBegin();
  for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i) {
    const auto& m = members[i];
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const auto it = std::find(columns.begin(), columns.end(), key);
    if (it == columns.end()) {
      if (ignore_unknown) continue;
      return Status::InvalidArgument("unknown key '" + std::string(key) +
                                     "' (the first line's keys are the columns)");
    }
    row[static_cast<size_t>(it - columns.begin())] = ToValue(m.value);
  }
  return row;
}

int LoadCommand(std::span<const std::string_view> args) {
  std::string to, table, from, format, columns_flag;
  int concurrency = 256;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kLoadUsage, stdout);
      return 0;
    }
    if (i + 1 >= args.size()) return UsageError("'" + std::string(a) + "' needs a value");
    const std::string value(args[++i]);
    if (a == "--to") {
      to = value;
    } else if (a == "--table") {
      table = value;
    } else if (a == "--from") {
      from = value;
    } else if (a == "--format") {
      format = value;
    } else if (a == "--columns") {
      columns_flag = value;
    } else if (a == "--concurrency") {
      char* end = nullptr;
      const long n = std::strtol(value.c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 32768) {
        return UsageError("--concurrency: expected 1..32768, got '" + value + "'");
      }
      concurrency = static_cast<int>(n);
    } else {
      return UsageError("unknown option '" + std::string(a) + "'");
    }
  }
  if (to.empty() || table.empty() || from.empty()) {
    return UsageError("--to, --table and --from are required");
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

  std::ifstream in(from, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "shoal load: cannot read %s\n", from.c_str());
    return 1;
  }
  std::error_code size_error;
  const uint64_t total = std::filesystem::file_size(from, size_error);

  Result<std::unique_ptr<RowSink>> sink = Status::InvalidArgument("");
  if (to.rfind("sqlite:", 0) == 0) {
    sink = OpenSqliteSink(to.substr(7));
  } else if (to.rfind("cassandra:", 0) == 0) {
    Result<CassandraTarget> target = ParseCassandraTarget(to.substr(10));
    if (!target.ok()) return UsageError(std::string(target.status().message()));
    target->concurrency = concurrency;
    sink = OpenCassandraSink(*target);
  } else {
    return UsageError("--to: expected sqlite:PATH or cassandra:HOST[:PORT]/KEYSPACE, got '" + to +
                      "'");
  }
  if (!sink.ok()) {
    std::fprintf(stderr, "shoal load: %s\n", std::string(sink.status().message()).c_str());
    return 1;
  }

  // The columns: the file's (first JSON object's keys, or the CSV header), or --columns.
  const std::vector<std::string> selected = SplitCommas(columns_flag);
  std::vector<std::string> columns;
  size_t line = 0;
  uint64_t bytes = 0;
  std::string first_line;
  std::vector<size_t> csv_index;  // CSV: the header position of each loaded column
  if (format == "jsonl") {
    while (std::getline(in, first_line)) {
      ++line;
      bytes += first_line.size() + 1;
      if (first_line.find_first_not_of(" \t\r") != std::string::npos) break;
    }
    Result<std::vector<std::string>> keys = JsonlColumns(first_line);
    if (!keys.ok() && !first_line.empty()) {
      std::fprintf(stderr, "shoal load: %s:%zu: %s\n", from.c_str(), line,
                   std::string(keys.status().message()).c_str());
      return 1;
    }
    columns = keys.ok() ? std::move(keys).value() : std::vector<std::string>();
    if (!selected.empty()) columns = selected;
  } else {
    std::vector<CsvField> header;
    Result<bool> got = ReadCsvRecord(in, &header, &line, &bytes);
    if (!got.ok() || !*got) {
      std::fprintf(stderr, "shoal load: %s: %s\n", from.c_str(),
                   got.ok() ? "empty file: expected a header line"
                            : std::string(got.status().message()).c_str());
      return 1;
    }
    std::vector<std::string> names;
    for (CsvField& f : header) names.push_back(std::move(f.text));
    const std::vector<std::string>& wanted = selected.empty() ? names : selected;
    for (const std::string& w : wanted) {
      const auto it = std::find(names.begin(), names.end(), w);
      if (it == names.end()) {
        std::fprintf(stderr, "shoal load: %s: no column '%s' in the header\n", from.c_str(),
                     w.c_str());
        return 1;
      }
      csv_index.push_back(static_cast<size_t>(it - names.begin()));
      columns.push_back(w);
    }
  }
  if (columns.empty()) {
    std::fprintf(stderr, "shoal load: %s holds no rows\n", from.c_str());
    return 1;
  }
  if (Status s = (*sink)->Begin(table, columns); !s.ok()) {
    std::fprintf(stderr, "shoal load: %s\n", std::string(s.message()).c_str());
    return 1;
  }

  Source next;
  bool first_pending = format == "jsonl";
  const bool ignore_unknown = !selected.empty();
  if (format == "jsonl") {
    next = [&](std::vector<store::Value>* row, size_t* at) -> Result<bool> {
      std::string text;
      if (first_pending) {
        first_pending = false;
        text = std::move(first_line);
        *at = line;
      } else {
        do {
          if (!std::getline(in, text)) return false;
          ++line;
          bytes += text.size() + 1;
        } while (text.find_first_not_of(" \t\r") == std::string::npos);
        *at = line;
      }
      Result<std::vector<store::Value>> r = JsonlRow(text, columns, ignore_unknown);
      if (!r.ok()) return r.status();
      *row = std::move(r).value();
      return true;
    };
  } else {
    next = [&](std::vector<store::Value>* row, size_t* at) -> Result<bool> {
      std::vector<CsvField> fields;
      do {
        *at = line + 1;
        Result<bool> got = ReadCsvRecord(in, &fields, &line, &bytes);
        if (!got.ok()) return got.status();
        if (!*got) return false;
      } while (fields.size() == 1 && fields[0].text.empty() && !fields[0].quoted);
      row->clear();
      for (size_t index : csv_index) {
        if (index >= fields.size()) {
          return Status::InvalidArgument("has " + std::to_string(fields.size()) +
                                         " fields, fewer than the header");
        }
        CsvField& f = fields[index];
        if (f.text.empty() && !f.quoted) {
          row->emplace_back();
        } else {
          row->emplace_back(std::move(f.text));
        }
      }
      return true;
    };
  }

  Progress progress(from, total);
  Tally tally;
  Drive(next, **sink, tally, progress, bytes);
  Status finished = (*sink)->Finish();
  progress.Update(tally.written, bytes, /*final=*/true);
  const double seconds = progress.seconds();
  std::printf("load: %s rows written, %s rejected in %.1f s (%s rows/s)\n",
              Thousands(tally.written).c_str(), Thousands(tally.rejected).c_str(), seconds,
              Thousands(static_cast<uint64_t>(
                            seconds > 0 ? static_cast<double>(tally.written) / seconds : 0))
                  .c_str());
  std::sort(tally.reasons.begin(), tally.reasons.end());
  for (const auto& [at, reason] : tally.reasons) {
    std::printf("  line %zu: %s\n", at, reason.c_str());
  }
  if (!finished.ok()) {
    std::fprintf(stderr, "shoal load: %s\n", std::string(finished.message()).c_str());
    return 1;
  }
  return tally.rejected > 0 ? 1 : 0;
}

}  // namespace shoal::cli

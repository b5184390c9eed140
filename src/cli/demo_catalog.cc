// The demo catalog generator: see demo_catalog.h.
//
// Speed: one connection with no journal and no syncs (sqlite_open.h's kBuild), one transaction, two
// prepared inserts bound to reused buffers, the index built once at the end (cheaper than
// maintaining it row by row). If anything fails the temporary file is deleted, never renamed into
// place.
#include "cli/demo_catalog.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include <sqlite3.h>

#include "base/hash.h"
#include "base/json.h"
#include "store/sqlite/sqlite_open.h"

namespace shoal::cli {
namespace {

// Rng is splitmix64: a 64-bit counter stepped by the golden ratio, mixed by Mix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // Between returns a value in [lo, hi]. Plain modulo: for spans this small the bias is
  // below 1e-15, and modulo is the same on every platform.
  int64_t Between(int64_t lo, int64_t hi) {
    const auto span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(Next() % span);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  // OneIn returns true with probability 1/n.
  bool OneIn(uint64_t n) { return Next() % n == 0; }

  std::string_view Pick(std::span<const std::string_view> from) { return from[Below(from.size())]; }

 private:
  uint64_t state_;
};

constexpr std::array<std::string_view, 50> kCategories = {
    "accessories", "aquarium",   "audio",     "baking",    "baskets", "batteries",  "bicycles",
    "blankets",    "books",      "brushes",   "cables",    "candles", "ceramics",   "chess",
    "climbing",    "clocks",     "coffee",    "costumes",  "desks",   "drones",     "embroidery",
    "fabric",      "fountains",  "frames",    "games",     "garden",  "glassware",  "hammocks",
    "hats",        "headphones", "kayaks",    "keyboards", "kites",   "knives",     "lamps",
    "maps",        "mirrors",    "notebooks", "paint",     "pottery", "puzzles",    "radios",
    "rugs",        "scarves",    "skates",    "socks",     "spices",  "telescopes", "umbrellas",
    "yarn",
};

// Title words: mostly plain, some with what JSON must escape or carry as UTF-8: Latin,
// Greek, Cyrillic and CJK letters, emoji beyond the BMP, quotes, backslashes, markup.
constexpr std::array<std::string_view, 56> kWords = {
    "amber",  "basic",    "bold",     "brass",   "calm",     "copper",    "cosy",       "crisp",
    "daily",  "deep",     "dusk",     "early",   "easy",     "fine",      "folding",    "fresh",
    "gentle", "handy",    "hollow",   "indigo",  "large",    "linen",     "little",     "long",
    "maple",  "matte",    "north",    "plain",   "polished", "quick",     "round",      "simple",
    "slim",   "soft",     "spare",    "stone",   "the",      "with",      "for",        "and",
    "crème",  "jalapeño", "Straße",   "Ålesund", "Ωmega",    "пирог",     "東京",       "🌵",
    "🎲",      "⚡",        "\"best\"", "can't",   "a\\b",     "D:\\files", "<i>new</i>", "100%",
};

// Review bodies add line breaks and tabs to the title words.
constexpr std::array<std::string_view, 16> kBodyWords = {
    "\n",    "\n\n", "\t",       "good",  "fine",  "poor",   "arrived", "late",
    "early", "fits", "returned", "again", "never", "always", "5/5",     "meh",
};

constexpr std::array<std::string_view, 14> kTags = {
    "new",    "sale",   "popular", "refurbished", "handmade", "local",   "organic",
    "outlet", "petite", "große",   "café",        "限定",     "✨ shiny", "say \"cheese\" \\o/",
};

constexpr std::array<std::string_view, 20> kAuthors = {
    "Aiko",   "Bruno", "Céline", "Dagny",  "Emeka",   "Fatima", "Gustav",
    "Hélène", "Ivo",   "Jürgen", "Kalani", "Łukasz",  "Mei",    "Nils",
    "O'Hara", "Paulo", "R2\\D2", "Søren",  "Θεοδώρα", "Yuki 🌸",
};

// Epoch seconds of 2024-01-01T00:00:00Z; timestamps fall in the year that follows.
constexpr int64_t kTimeBase = 1704067200;
constexpr int64_t kTimeSpan = int64_t{366} * 24 * 3600;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// MakeText writes words drawn from `words` (and, a quarter of the time when it is not empty,
// from `extra`) separated by spaces, cut to exactly `length` code points; a cut that ends on
// a blank ends with '.' instead.
void MakeText(Rng& rng, std::span<const std::string_view> words,
              std::span<const std::string_view> extra, size_t length, std::string& out) {
  out.clear();
  size_t code_points = 0;
  while (code_points < length) {
    if (!out.empty()) {
      out += ' ';
      ++code_points;
    }
    const std::string_view word =
        !extra.empty() && rng.OneIn(4) ? rng.Pick(extra) : rng.Pick(words);
    for (char c : word) code_points += IsContinuationByte(c) ? 0u : 1u;
    out += word;
  }
  // Drop whole code points from the end until exactly `length` remain.
  while (code_points > length) {
    while (IsContinuationByte(out.back())) out.pop_back();
    out.pop_back();
    --code_points;
  }
  const char last = out.back();
  if (last == ' ' || last == '\n' || last == '\t') out.back() = '.';
}

void MakeTimestamp(Rng& rng, std::string& out) {
  namespace chrono = std::chrono;
  const chrono::sys_seconds t{chrono::seconds{kTimeBase + rng.Between(0, kTimeSpan - 1)}};
  const chrono::sys_days day = chrono::floor<chrono::days>(t);
  const chrono::year_month_day date{day};
  const chrono::hh_mm_ss time{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  out = buf;
}

// MakeTags writes 0..4 distinct tags as a JSON array.
void MakeTags(Rng& rng, std::string& out) {
  std::array<size_t, kTags.size()> order{};
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto count = static_cast<size_t>(rng.Between(0, 4));
  out = "[";
  for (size_t i = 0; i < count; ++i) {
    std::swap(order[i], order[i + rng.Below(order.size() - i)]);  // partial Fisher-Yates
    if (i > 0) out += ',';
    AppendJsonString(out, kTags[order[i]]);
  }
  out += ']';
}

constexpr const char* kSchema = R"sql(
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  sku TEXT NOT NULL,
  title TEXT NOT NULL,
  category TEXT NOT NULL,
  price_cents INTEGER NOT NULL,
  stock INTEGER NOT NULL,
  rating REAL,
  tags TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE reviews (
  item_id INTEGER NOT NULL,
  review_id INTEGER NOT NULL,
  author TEXT NOT NULL,
  stars INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (item_id, review_id)
);
)sql";

// Writer owns the connection and the two inserts of one generation run.
class Writer {
 public:
  ~Writer() {
    sqlite3_finalize(insert_item_);
    sqlite3_finalize(insert_review_);
  }  // then db_ closes

  Status Open(const std::string& path) {
    Result<store::SqliteHandle> db = store::OpenSqlite(path, store::SqliteMode::kBuild);
    if (!db.ok()) return db.status();
    db_ = std::move(db).value();
    if (Exec(kSchema) && Exec("BEGIN") &&
        Check(sqlite3_prepare_v2(db_.get(),
                                 "INSERT INTO items VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                 -1, &insert_item_, nullptr)) &&
        Check(sqlite3_prepare_v2(db_.get(), "INSERT INTO reviews VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                 -1, &insert_review_, nullptr))) {
      return Status::Ok();
    }
    return Error();
  }

  Status Generate(int items, uint64_t seed) {
    Rng rng(seed);
    std::string sku, title, tags, updated_at, body, created_at;
    char sku_buf[16];
    for (int64_t id = 1; id <= items; ++id) {
      std::snprintf(sku_buf, sizeof sku_buf, "SKU-%08X", static_cast<unsigned>(rng.Next() >> 32));
      sku = sku_buf;
      MakeText(rng, kWords, {}, static_cast<size_t>(rng.Between(20, 60)), title);
      const std::string_view category = rng.Pick(kCategories);
      const int64_t price_cents = rng.Between(99, 99999);
      const int64_t stock = rng.OneIn(10) ? 0 : rng.Between(1, 500);
      const bool has_rating = !rng.OneIn(10);
      const double rating = static_cast<double>(rng.Between(10, 50)) / 10.0;
      MakeTags(rng, tags);
      MakeTimestamp(rng, updated_at);

      Bind(insert_item_, id, sku, title, category, price_cents, stock,
           has_rating ? std::optional<double>(rating) : std::nullopt, tags, updated_at);
      if (!Step(insert_item_)) return Error();

      const int64_t reviews = rng.Between(0, 8);
      for (int64_t r = 1; r <= reviews; ++r) {
        const std::string_view author = rng.Pick(kAuthors);
        const int64_t stars = rng.Between(1, 5);
        MakeText(rng, kWords, kBodyWords, static_cast<size_t>(rng.Between(50, 400)), body);
        MakeTimestamp(rng, created_at);
        Bind(insert_review_, id, r, author, stars, body, created_at);
        if (!Step(insert_review_)) return Error();
      }
    }
    if (!Exec("CREATE INDEX items_category_id ON items (category, id); COMMIT")) return Error();
    return Status::Ok();
  }

  Status Close() {
    sqlite3_finalize(insert_item_);
    sqlite3_finalize(insert_review_);
    insert_item_ = insert_review_ = nullptr;
    if (db_.Close() != SQLITE_OK) return Error();
    return Status::Ok();
  }

 private:
  bool Check(int rc) {
    if (rc == SQLITE_OK) return true;
    if (message_.empty()) {
      message_ = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
    }
    return false;
  }
  bool Exec(const char* sql) {
    return Check(sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr));
  }
  // Bind binds `values` to parameters 1, 2, ... of `s`: integers, text (bytes that stay put
  // until the statement steps: bound static, no copy), and a double or NULL.
  template <class... Values>
  static void Bind(sqlite3_stmt* s, const Values&... values) {
    int index = 0;
    (BindOne(s, ++index, values), ...);
  }
  static void BindOne(sqlite3_stmt* s, int index, int64_t v) { sqlite3_bind_int64(s, index, v); }
  static void BindOne(sqlite3_stmt* s, int index, std::string_view text) {
    sqlite3_bind_text64(s, index, text.data(), text.size(), nullptr, SQLITE_UTF8);
  }
  static void BindOne(sqlite3_stmt* s, int index, std::optional<double> v) {
    if (v) {
      sqlite3_bind_double(s, index, *v);
    } else {
      sqlite3_bind_null(s, index);
    }
  }
  bool Step(sqlite3_stmt* s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return Check(rc == SQLITE_DONE ? SQLITE_OK : rc);
  }
  Status Error() const {
    return Status::Unavailable(message_.empty() ? "unknown error" : message_);
  }

  store::SqliteHandle db_;  // closes after ~Writer has finalized the statements
  sqlite3_stmt* insert_item_ = nullptr;
  sqlite3_stmt* insert_review_ = nullptr;
  std::string message_;  // the first SQLite error seen
};

}  // namespace

Status WriteDemoCatalog(const std::string& path, int items, uint64_t seed) {
  if (items < 0) return Status::InvalidArgument("demo catalog: negative item count");
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  fs::remove(tmp, ec);  // a leftover of an interrupted run

  Status status;
  {
    Writer writer;
    status = writer.Open(tmp);
    if (status.ok()) status = writer.Generate(items, seed);
    if (status.ok()) status = writer.Close();
  }
  if (status.ok()) {
    fs::rename(tmp, path, ec);
    if (ec) status = Status::Unavailable(ec.message());
  }
  if (!status.ok()) {
    fs::remove(tmp, ec);
    return Status::Unavailable("demo catalog: cannot write '" + path +
                               "': " + std::string(status.message()));
  }
  return Status::Ok();
}

}  // namespace shoal::cli

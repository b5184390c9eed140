// WriteDemoCatalog: the generator of the SQLite catalog that `shoal demo` serves, so that a
// user needs nothing but the binary to try shoal.
//
// The database has the schema of the shared workload (see ../shared/workload/SPEC.md): items
// (id 1..N, sku, title, category, price_cents, stock, rating or NULL, tags as a JSON array of
// strings, updated_at in ISO-8601 UTC), reviews (0..8 per item, PRIMARY KEY (item_id,
// review_id)) and the index items_category_id on items(category, id). Its text includes
// non-ASCII letters, emoji, quotes, backslashes, newlines and tabs, so that every JSON escape
// is exercised. The rows are a function of (items, seed) alone: a private splitmix64 stream,
// no std distributions (whose output differs between standard libraries). They are not the
// same rows as the shared Python generator writes.
//
// Thread-safety: thread-safe for distinct paths (no shared state).
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace shoal::cli {

// WriteDemoCatalog writes a catalog of `items` items to `path`, replacing any file there. It
// writes `path` + ".tmp" first and renames it into place, so a reader never sees a half
// written catalog; the parent directory is created if missing. 10,000 items take well under
// a second. Errors: InvalidArgument for a negative count, Unavailable when the file cannot
// be written (the temporary file is removed).
Status WriteDemoCatalog(const std::string& path, int items, uint64_t seed);

}  // namespace shoal::cli

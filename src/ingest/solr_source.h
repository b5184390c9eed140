// SolrSource: rows from the documents of a Solr core (`shoal load --from solr:URL`).
//
// URL: http[s]://HOST:PORT/PATH/CORE?q=...&fl=...&fq=... (the last path segment is the core;
// q defaults to *:*). The source pages through the result with cursorMark, sorted by the core's
// uniqueKey (read from /schema/uniquekey), `rows` documents a page: never start/rows deep
// paging, so a load of millions of documents costs each page the same. While the loader writes
// one page's rows, a thread of the source already fetches the next (cursorMark names it as soon
// as a page has arrived), so Solr's rendering and the writing overlap; memory holds those two
// pages. sort, start, cursorMark and wt are the source's own; a URL that sets them is refused.
//
// Columns: the fields `fl` names (or, without fl, the fields of the first page's documents in
// the order they first appear, a later document's other field being an error for that row),
// each renamed by `map` (solr field -> column). Values are text, which the writer parses by the
// column's type as it does a CSV field's (values_are_text() is true): numbers in their exact
// decimal form, strings and dates (ISO 8601, as Solr writes them) as they are, booleans as 1 or
// 0, and multi-valued fields as a JSON array's text; a multi-valued field a document lacks is
// "[]" (Solr leaves an empty one out), any other missing field null.
//
// `since` (FIELD and VALUE) adds the filter FIELD:[VALUE TO *], for incremental loads by a date.
// Progress: bytes_read() counts documents read, total_bytes() the documents the query matched.
// A row's "line" is the document's position in the result (1 for the first).
//
// Ownership: owns its HTTP client, the current page and the fetch of the next (its thread is
// waited for when the source is destroyed). Thread-safety: not thread-safe (RowSource).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "ingest/source.h"
#include "solr/http_client.h"

namespace shoal::ingest {

struct SolrSourceOptions {
  std::string url;  // without the "solr:" prefix
  solr::ClientOptions client;
  std::vector<std::pair<std::string, std::string>> map;  // solr field -> column
  std::string since_field;
  std::string since;
  size_t rows = 1000;
};

// OpenSolrSource checks the URL, reads the uniqueKey and the schema's multi-valued fields, and
// fetches the first page. Errors: InvalidArgument for the URL or the options (naming what),
// Unavailable or NotFound for Solr (unreachable, no such core, an error answer, with Solr's
// message).
Result<std::unique_ptr<RowSource>> OpenSolrSource(const SolrSourceOptions& options);

}  // namespace shoal::ingest

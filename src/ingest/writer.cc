// The helpers the writers share: see writer_internal.h.
#include "ingest/writer_internal.h"

namespace shoal::ingest::internal {

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string InsertStatement(std::string_view verb, std::string_view table,
                            const std::vector<std::string>& columns) {
  std::string statement = std::string(verb) + " " + QuoteIdentifier(table) + " (";
  std::string marks;
  for (size_t i = 0; i < columns.size(); ++i) {
    statement += (i ? ", " : "") + QuoteIdentifier(columns[i]);
    marks += i ? ", ?" : "?";
  }
  return statement + ") VALUES (" + marks + ")";
}

}  // namespace shoal::ingest::internal

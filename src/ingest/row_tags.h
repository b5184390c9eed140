// Tags of loaded rows, for `shoal load --purge-tag 'item:{id}'`: after a row is committed, the
// cache entries tagged with what the row names are purged (cli/load_purge.h sends them).
//
// TagTemplates: each template is text with {COLUMN} references to columns of the loaded row
// (the source's columns, as --columns leaves them); a row expands each template into one tag.
// A value is written as the database holds it once the writer has converted it (column_type.h),
// which is how the server renders a row's or a parameter's value in its own tags: an integer in
// plain decimal ("005" loaded into an INTEGER column is item:5), a real as shoal's JSON number
// (1.5, 2.0), text as is. A template whose column is NULL or a BLOB in a row gives no tag for
// that row (nothing to name).
//
// CommittedTags: the tags of rows the writer has committed, not yet sent, deduplicated.
// TagOnCommit: a RowWriter that wraps another and adds each row's tags to a CommittedTags only
// when the row's write succeeded, so that a purge is never sent before its row is stored (a
// purge before the write would let the old row be cached again).
//
// Thread-safety: TagTemplates is immutable once parsed. CommittedTags is thread-safe (the
// Cassandra writer commits on its own threads). The wrapping writer is what RowWriter is.
#pragma once

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "ingest/writer.h"
#include "store/store.h"

namespace shoal::ingest {

class TagTemplates {
 public:
  // Parse checks `templates` against the loaded row's `columns`. InvalidArgument (the caller's
  // usage error) for an unknown column, naming it and the columns there are, an empty {} or an
  // unbalanced brace, or an empty template.
  static Result<TagTemplates> Parse(const std::vector<std::string>& templates,
                                    const std::vector<std::string>& columns);

  TagTemplates() = default;
  bool empty() const { return templates_.empty(); }
  size_t size() const { return templates_.size(); }

  // Expand appends the tags of `row` (values in the columns' order, as the source gave them)
  // to *out. `types` (parallel to `row`, or null to take values as they are) and
  // `values_are_text` convert a referenced value as the writer will.
  void Expand(const std::vector<store::Value>& row, const std::vector<TargetColumn>* types,
              bool values_are_text, std::vector<std::string>* out) const;

 private:
  struct Part {
    std::string literal;        // text before the reference (or the whole tail)
    size_t column = kNoColumn;  // the referenced column, kNoColumn for the tail
    static constexpr size_t kNoColumn = static_cast<size_t>(-1);
  };
  std::vector<std::vector<Part>> templates_;
};

class CommittedTags {
 public:
  // Add adds the tags of one committed row. Any thread.
  void Add(std::vector<std::string> tags) SHOAL_EXCLUDES(mu_);
  // Take removes and returns up to `max_tags` distinct tags whose lengths (plus `per_tag`
  // bytes each) add up to at most `max_bytes` (at least one tag when any waits), in order.
  std::vector<std::string> Take(size_t max_tags, size_t max_bytes, size_t per_tag)
      SHOAL_EXCLUDES(mu_);
  // Full reports whether a whole batch waits: `max_tags` tags, or `max_bytes` as Take counts.
  bool Full(size_t max_tags, size_t max_bytes, size_t per_tag) const SHOAL_EXCLUDES(mu_);
  size_t size() const SHOAL_EXCLUDES(mu_);
  // added counts every tag Add was given, duplicates included (for the tests and the summary).
  uint64_t added() const SHOAL_EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::set<std::string> pending_ SHOAL_GUARDED_BY(mu_);
  size_t pending_bytes_ SHOAL_GUARDED_BY(mu_) = 0;  // the lengths of pending_'s tags
  uint64_t added_ SHOAL_GUARDED_BY(mu_) = 0;
};

// TagOnCommit returns a writer that writes through `inner` and, for each row whose write
// succeeded, adds the row's tags (`templates`) to `*committed` before the row's `done` runs.
// `committed` must outlive the writer.
std::unique_ptr<RowWriter> TagOnCommit(std::unique_ptr<RowWriter> inner, TagTemplates templates,
                                       CommittedTags* committed);

}  // namespace shoal::ingest

// TagTemplates, CommittedTags and TagOnCommit: see row_tags.h.
#include "ingest/row_tags.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "base/numbers.h"

namespace shoal::ingest {
namespace {

// AppendValue appends the tag text of `v`; false when the value names nothing (NULL, a BLOB).
bool AppendValue(std::string& out, const store::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    AppendInt(out, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    AppendJsonDouble(out, *d);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    out += *s;
  } else if (const auto* j = std::get_if<store::Json>(&v)) {
    out += j->text;
  } else {
    return false;
  }
  return true;
}

class TaggingWriter final : public RowWriter {
 public:
  TaggingWriter(std::unique_ptr<RowWriter> inner, TagTemplates templates, CommittedTags* committed)
      : inner_(std::move(inner)), templates_(std::move(templates)), committed_(committed) {}

  Status Begin(const std::string& table, const std::vector<std::string>& columns,
               bool values_are_text) override {
    text_ = values_are_text;
    return inner_->Begin(table, columns, values_are_text);
  }

  void Write(std::vector<store::Value> row, std::function<void(Status)> done) override {
    // Made now (the row moves into the writer), kept until the row's outcome is known.
    std::vector<std::string> tags;
    templates_.Expand(row, inner_->target_columns(), text_, &tags);
    inner_->Write(std::move(row), [committed = committed_, tags = std::move(tags),
                                   done = std::move(done)](Status s) mutable {
      if (s.ok() && !tags.empty()) committed->Add(std::move(tags));
      done(std::move(s));
    });
  }

  size_t concurrency() const override { return inner_->concurrency(); }
  const std::vector<TargetColumn>* target_columns() const override {
    return inner_->target_columns();
  }
  Status Finish() override { return inner_->Finish(); }

 private:
  std::unique_ptr<RowWriter> inner_;
  const TagTemplates templates_;
  CommittedTags* const committed_;
  bool text_ = false;
};

}  // namespace

Result<TagTemplates> TagTemplates::Parse(const std::vector<std::string>& templates,
                                         const std::vector<std::string>& columns) {
  TagTemplates out;
  for (const std::string& t : templates) {
    const auto bad = [&t](std::string_view why) {
      return Status::InvalidArgument("--purge-tag '" + t + "': " + std::string(why));
    };
    if (t.empty()) return bad("empty tag");
    std::vector<Part> parts;
    std::string literal;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '}') return bad("'}' without '{'");
      if (t[i] != '{') {
        literal += t[i];
        continue;
      }
      const size_t close = t.find('}', i + 1);
      if (close == std::string::npos) return bad("'{' without '}'");
      const std::string name = t.substr(i + 1, close - i - 1);
      if (name.empty()) return bad("empty {}: name a column");
      if (name.find('{') != std::string::npos) return bad("'{' inside {...}");
      const auto it = std::find(columns.begin(), columns.end(), name);
      if (it == columns.end()) {
        std::string message = "no column '" + name + "' in the loaded rows (they have ";
        for (size_t c = 0; c < columns.size(); ++c) {
          if (c > 0) message += ", ";
          message += columns[c];
        }
        message += ")";
        return bad(message);
      }
      parts.push_back({std::move(literal), static_cast<size_t>(it - columns.begin())});
      literal.clear();
      i = close;
    }
    parts.push_back({std::move(literal), Part::kNoColumn});
    out.templates_.push_back(std::move(parts));
  }
  return out;
}

void TagTemplates::Expand(const std::vector<store::Value>& row,
                          const std::vector<TargetColumn>* types, bool values_are_text,
                          std::vector<std::string>* out) const {
  for (const std::vector<Part>& parts : templates_) {
    std::string tag;
    bool named = true;
    for (const Part& p : parts) {
      tag += p.literal;
      if (p.column == Part::kNoColumn) continue;
      if (p.column >= row.size()) {
        named = false;
        break;
      }
      if (types == nullptr || p.column >= types->size()) {
        named = AppendValue(tag, row[p.column]);
      } else {
        // Converted as the writer will; a value that does not convert fails its row's write,
        // and a failed row's tags are dropped.
        store::Value v = row[p.column];
        named = ConvertValue(&v, (*types)[p.column], values_are_text).ok() && AppendValue(tag, v);
      }
      if (!named) break;
    }
    if (named) out->push_back(std::move(tag));
  }
}

void CommittedTags::Add(std::vector<std::string> tags) {
  MutexLock lock(mu_);
  added_ += tags.size();
  for (std::string& t : tags) {
    const size_t n = t.size();
    if (pending_.insert(std::move(t)).second) pending_bytes_ += n;
  }
}

std::vector<std::string> CommittedTags::Take(size_t max_tags, size_t max_bytes, size_t per_tag) {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  size_t bytes = 0;
  while (!pending_.empty() && out.size() < max_tags) {
    const size_t cost = pending_.begin()->size() + per_tag;
    if (!out.empty() && bytes + cost > max_bytes) break;
    bytes += cost;
    pending_bytes_ -= pending_.begin()->size();
    out.push_back(std::move(pending_.extract(pending_.begin()).value()));
  }
  return out;
}

bool CommittedTags::Full(size_t max_tags, size_t max_bytes, size_t per_tag) const {
  MutexLock lock(mu_);
  return pending_.size() >= max_tags || pending_bytes_ + pending_.size() * per_tag >= max_bytes;
}

size_t CommittedTags::size() const {
  MutexLock lock(mu_);
  return pending_.size();
}

uint64_t CommittedTags::added() const {
  MutexLock lock(mu_);
  return added_;
}

std::unique_ptr<RowWriter> TagOnCommit(std::unique_ptr<RowWriter> inner, TagTemplates templates,
                                       CommittedTags* committed) {
  return std::make_unique<TaggingWriter>(std::move(inner), std::move(templates), committed);
}

}  // namespace shoal::ingest

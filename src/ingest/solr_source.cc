// SolrSource: see solr_source.h.
#include "ingest/solr_source.h"

#include <algorithm>
#include <future>
#include <string_view>
#include <unordered_set>

#include <rapidjson/document.h>

#include "base/log_escape.h"
#include "ingest/json_value.h"
#include "ingest/source_internal.h"

namespace shoal::ingest {
namespace {

using rapidjson::Value;

// The parameters a URL may not set: the source pages with them.
constexpr std::string_view kOwnParams[] = {"sort", "start", "cursorMark", "wt", "rows"};

const Value* Member(const Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  const auto m = v.FindMember(name);
  return m == v.MemberEnd() ? nullptr : &m->value;
}

class SolrSource final : public RowSource {
 public:
  Status Open(const SolrSourceOptions& o);

  const std::vector<std::string>& columns() const override { return columns_; }
  Result<bool> Next(std::vector<store::Value>* row, size_t* line) override;
  bool values_are_text() const override { return true; }
  uint64_t bytes_read() const override { return read_; }
  uint64_t total_bytes() const override { return found_; }

 private:
  Result<rapidjson::Document> GetJson(const std::string& target, std::string_view what);
  // PageTarget is the select for the page after cursor_.
  std::string PageTarget() const;
  // TakePage checks a fetched page and makes it the current one (cursor_ moves on only then).
  Status TakePage(Result<rapidjson::Document> page);
  // FetchPage fetches the page after cursor_ on this thread; Prefetch starts that fetch on a
  // thread of its own, so that Solr renders the next page while the writer writes this one.
  Status FetchPage() { return TakePage(GetJson(PageTarget(), "select")); }
  void Prefetch();

  std::unique_ptr<solr::HttpClient> client_;
  std::string core_path_;  // "/CORE"
  std::string query_;      // the URL's parameters, as given, joined by '&'
  std::string fl_;         // the fields asked for ("" when the URL has no fl)
  std::string unique_key_;
  size_t rows_ = 1000;
  std::vector<std::string> fields_;   // Solr's names, one per column
  std::vector<std::string> columns_;  // after --map
  std::vector<bool> multi_;           // per column: a multi-valued field
  std::string cursor_ = "*";
  bool last_page_ = false;
  bool stopped_ = false;  // a page could not be fetched: no more records
  rapidjson::Document page_;
  size_t at_ = 0;  // next document of page_
  uint64_t read_ = 0;
  uint64_t found_ = 0;
  // The next page, being fetched (valid from Prefetch to the next Next that needs it). While it
  // is, only its thread uses client_. Declared after client_, so it is waited for first.
  std::future<Result<rapidjson::Document>> next_;
};

Result<rapidjson::Document> SolrSource::GetJson(const std::string& target, std::string_view what) {
  Result<solr::Answer> a = client_->Get(core_path_ + target);
  if (!a.ok()) return a.status();
  if (a->status == 404) {
    return Status::NotFound("Solr at " + client_->where() + " has no core at " + core_path_ +
                            " (HTTP 404 for its " + std::string(what) + ")");
  }
  if (a->status == 401 || a->status == 403) {
    return Status::Unavailable("Solr at " + client_->where() + " refused the credentials (HTTP " +
                               std::to_string(a->status) + ")");
  }
  rapidjson::Document doc;
  const Status parsed = ParseExactJson(a->body, &doc);
  if (a->status != 200 || !parsed.ok() || !doc.IsObject()) {
    std::string why = "HTTP " + std::to_string(a->status);
    if (parsed.ok() && doc.IsObject()) {
      const Value* error = Member(doc, "error");
      const Value* msg = error != nullptr ? Member(*error, "msg") : nullptr;
      if (msg != nullptr && msg->IsString()) why += ": " + EscapeForLog(msg->GetString());
    }
    return Status::Unavailable("Solr's " + std::string(what) + " at " + client_->where() +
                               " failed: " + why);
  }
  return doc;
}

Status SolrSource::Open(const SolrSourceOptions& o) {
  // The URL: the base, the core (its last path segment) and the query.
  const size_t q = o.url.find('?');
  std::string path_part = o.url.substr(0, q);
  while (!path_part.empty() && path_part.back() == '/') path_part.pop_back();
  const size_t slash = path_part.rfind('/');
  if (slash == std::string::npos || slash < path_part.find("//") + 2 ||
      slash + 1 == path_part.size()) {
    return Status::InvalidArgument("solr:" + EscapeForLog(o.url) +
                                   ": give the core's URL, http://HOST:PORT/solr/CORE?q=...");
  }
  Result<solr::SolrUrl> base = solr::ParseSolrUrl(path_part.substr(0, slash));
  if (!base.ok()) return Status::InvalidArgument("solr:" + std::string(base.status().message()));
  core_path_ = path_part.substr(slash);
  bool has_q = false;
  if (q != std::string::npos) {
    std::string_view rest = std::string_view(o.url).substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view param = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (param.empty()) continue;
      const std::string_view name = param.substr(0, param.find('='));
      const std::string_view value =
          param.find('=') == std::string_view::npos ? "" : param.substr(param.find('=') + 1);
      if (std::find(std::begin(kOwnParams), std::end(kOwnParams), name) != std::end(kOwnParams)) {
        return Status::InvalidArgument("solr: the URL sets '" + std::string(name) +
                                       "', which shoal sets itself to page with cursorMark");
      }
      if (name == "fl") {
        fl_ = std::string(value);
        continue;
      }
      if (name == "q") has_q = true;
      query_ += "&" + std::string(param);
    }
  }
  if (!has_q) query_ += "&q=*:*";
  if (!o.since_field.empty()) {
    query_ += "&fq=" + solr::PercentEncode(o.since_field + ":[" + o.since + " TO *]");
  }
  rows_ = std::max<size_t>(o.rows, 1);
  Result<std::unique_ptr<solr::HttpClient>> client = solr::HttpClient::Make(*base, o.client);
  if (!client.ok()) return client.status();
  client_ = std::move(*client);

  // The uniqueKey, to sort by (cursorMark needs it), and the multi-valued fields.
  Result<rapidjson::Document> key = GetJson("/schema/uniquekey?wt=json", "schema");
  if (!key.ok()) return key.status();
  const Value* uk = Member(*key, "uniqueKey");
  if (uk == nullptr || !uk->IsString()) {
    return Status::Unavailable("Solr's schema at " + client_->where() + " names no uniqueKey");
  }
  unique_key_ = uk->GetString();
  std::unordered_set<std::string> multi;
  Result<rapidjson::Document> fields =
      GetJson("/schema/fields?wt=json&showDefaults=true", "schema");
  if (!fields.ok()) return fields.status();
  if (const Value* list = Member(*fields, "fields"); list != nullptr && list->IsArray()) {
    for (const Value& f : list->GetArray()) {
      const Value* name = Member(f, "name");
      const Value* mv = Member(f, "multiValued");
      if (name != nullptr && name->IsString() && mv != nullptr && mv->IsBool() && mv->GetBool()) {
        multi.insert(name->GetString());
      }
    }
  }

  // The columns: fl's fields, or the first page's.
  if (!fl_.empty()) {
    std::string_view rest = fl_;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view f = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (f.empty()) continue;
      if (f.find_first_of("%+* :()") != std::string_view::npos) {
        return Status::InvalidArgument("solr: fl=" + EscapeForLog(fl_) +
                                       ": give the field names, separated by commas");
      }
      if (f != "score") fields_.emplace_back(f);
    }
  }
  if (Status st = FetchPage(); !st.ok()) return st;
  if (fl_.empty()) {
    for (const Value& d : Member(page_, "response")->FindMember("docs")->value.GetArray()) {
      for (const auto& m : d.GetObject()) {
        const std::string name(m.name.GetString(), m.name.GetStringLength());
        if (name == "_version_" || name == "score") continue;
        if (std::find(fields_.begin(), fields_.end(), name) == fields_.end()) {
          fields_.push_back(name);
        }
      }
    }
    if (fields_.empty()) {
      return Status::InvalidArgument(
          "solr: the query matched no document to take the fields "
          "from; give them with fl=");
    }
  }
  for (const std::string& f : fields_) {
    std::string column = f;
    for (const auto& [from, to] : o.map) {
      if (from == f) column = to;
    }
    columns_.push_back(std::move(column));
    multi_.push_back(multi.count(f) != 0);
  }
  for (const auto& [from, to] : o.map) {
    if (std::find(fields_.begin(), fields_.end(), from) == fields_.end()) {
      std::string message = "--map ";
      message.append(from).append("=").append(to).append(": '").append(from).append(
          "' is not among the fields loaded");
      return Status::InvalidArgument(message);
    }
  }
  return internal::CheckNames(columns_, "solr: the columns");
}

std::string SolrSource::PageTarget() const {
  std::string target = "/select?wt=json&sort=" + solr::PercentEncode(unique_key_ + " asc") +
                       "&rows=" + std::to_string(rows_) +
                       "&cursorMark=" + solr::PercentEncode(cursor_) + query_;
  if (!fields_.empty()) {
    std::string fl;
    for (const std::string& f : fields_) fl += (fl.empty() ? "" : ",") + f;
    target += "&fl=" + solr::PercentEncode(fl);
  }
  return target;
}

Status SolrSource::TakePage(Result<rapidjson::Document> page) {
  if (!page.ok()) return page.status();
  const Value* response = Member(*page, "response");
  const Value* docs = response != nullptr ? Member(*response, "docs") : nullptr;
  const Value* found = response != nullptr ? Member(*response, "numFound") : nullptr;
  const Value* next = Member(*page, "nextCursorMark");
  if (docs == nullptr || !docs->IsArray() || next == nullptr || !next->IsString()) {
    return Status::Unavailable("Solr's select at " + client_->where() +
                               " answered without documents or a nextCursorMark");
  }
  if (found != nullptr && found->IsUint64()) found_ = found->GetUint64();
  const std::string next_cursor = next->GetString();
  last_page_ = next_cursor == cursor_;  // the same mark again: the end
  cursor_ = next_cursor;
  page_ = std::move(*page);
  at_ = 0;
  return Status::Ok();
}

void SolrSource::Prefetch() {
  if (last_page_) return;
  next_ = std::async(std::launch::async,
                     [this, target = PageTarget()] { return GetJson(target, "select"); });
}

Result<bool> SolrSource::Next(std::vector<store::Value>* row, size_t* line) {
  // The second page is asked for once the load has begun (not from Open: a load that fails to
  // start waits for no page).
  if (read_ == 0 && !next_.valid()) Prefetch();
  for (;;) {
    const Value& docs = page_["response"]["docs"];
    if (at_ < docs.Size()) {
      const Value& d = docs[static_cast<rapidjson::SizeType>(at_++)];
      ++read_;
      *line = static_cast<size_t>(read_);
      row->assign(columns_.size(), store::Value());
      for (const auto& m : d.GetObject()) {
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        const auto it = std::find(fields_.begin(), fields_.end(), name);
        if (it == fields_.end()) {
          if (name == "_version_" || name == "score" || !fl_.empty()) continue;
          return Status::InvalidArgument(
              "document " + EscapeForLog(ValueText(d[unique_key_.c_str()])) + " has the field '" +
              std::string(name) + "', which the first page's documents lack (give fl=)");
        }
        if (!m.value.IsNull())
          (*row)[static_cast<size_t>(it - fields_.begin())] = ValueText(m.value);
      }
      for (size_t i = 0; i < columns_.size(); ++i) {
        if (multi_[i] && std::holds_alternative<std::monostate>((*row)[i]))
          (*row)[i] = std::string("[]");
      }
      return true;
    }
    if (last_page_ || stopped_) return false;
    Status st = next_.valid() ? TakePage(next_.get()) : FetchPage();
    for (int retry = 0; !st.ok() && retry < 2; ++retry) st = FetchPage();  // the same mark
    if (!st.ok()) {
      // The rest cannot be read: this is the last record (a reject that says why).
      stopped_ = true;
      *line = static_cast<size_t>(read_ + 1);
      return Status::Unavailable("documents from " + std::to_string(read_ + 1) +
                                 " on could not be read: " + std::string(st.message()));
    }
    if (page_["response"]["docs"].Empty()) return false;
    Prefetch();
  }
}

}  // namespace

Result<std::unique_ptr<RowSource>> OpenSolrSource(const SolrSourceOptions& options) {
  auto source = std::make_unique<SolrSource>();
  if (Status st = source->Open(options); !st.ok()) return st;
  return std::unique_ptr<RowSource>(std::move(source));
}

}  // namespace shoal::ingest

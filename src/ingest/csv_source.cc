// CsvSource and ReadCsvRecord: see csv_source.h.
#include "ingest/csv_source.h"

#include <algorithm>
#include <string>
#include <utility>

namespace shoal::ingest {
namespace {

bool IsBlankRecord(const std::vector<CsvField>& fields) {
  return fields.size() == 1 && !fields[0].quoted && internal::IsBlank(fields[0].text);
}

}  // namespace

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

Status CsvSource::Open(const std::string& path, const std::vector<std::string>& only) {
  if (Status s = OpenFile(path); !s.ok()) return s;
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
  names.reserve(header.size());
  for (CsvField& f : header) names.push_back(std::move(f.text));
  internal::StripBom(&names[0]);
  if (Status s = internal::CheckNames(names, path + ": the header"); !s.ok()) return s;
  header_size_ = names.size();
  const std::vector<std::string>& wanted = only.empty() ? names : only;
  for (const std::string& w : wanted) {
    const auto it = std::find(names.begin(), names.end(), w);
    if (it == names.end()) {
      std::string message = path + ": no column '";
      message += w;
      message += "' in the header";
      return Status::InvalidArgument(message);
    }
    index_.push_back(static_cast<size_t>(it - names.begin()));
    columns_.push_back(w);
  }
  return Status::Ok();
}

Result<bool> CsvSource::Next(std::vector<store::Value>* row, size_t* line) {
  do {
    *line = line_ + 1;
    Result<bool> got = ReadCsvRecord(in_, &fields_, &line_, &bytes_);
    if (!got.ok()) return got.status();
    if (!*got) return false;
  } while (IsBlankRecord(fields_));
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

}  // namespace shoal::ingest

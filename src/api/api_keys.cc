// ApiKeySet: parsing a keys file and finding a key by its digest; see api_keys.h.
#include "api/api_keys.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "base/file_mode.h"

namespace shoal::api {
namespace {

constexpr size_t kMinKey = 16;
constexpr size_t kMaxName = 64;
constexpr size_t kMaxFile = size_t{4} << 20;

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '@';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool DigestLess(const Sha256Digest& a, const Sha256Digest& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

bool IsB64Token(std::string_view s) {
  size_t n = 0;
  while (n < s.size()) {
    const char c = s[n];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
    ++n;
  }
  if (n == 0) return false;
  while (n < s.size() && s[n] == '=') ++n;
  return n == s.size();
}

Result<ApiKeySet> ApiKeySet::Parse(std::string_view text, std::string_view file) {
  ApiKeySet set;
  std::vector<int> lines;  // parallel to keys_ until sorted, for the duplicate messages
  std::unordered_map<std::string, int> names;  // name -> line
  int line = 0;
  const auto fail = [&file, &line](std::string_view what) {
    return Status::InvalidArgument(std::string(file) + ":" + std::to_string(line) + ": " +
                                   std::string(what));
  };
  while (!text.empty()) {
    ++line;
    const size_t nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::string_view content = Trim(raw);
    if (content.empty() || content.front() == '#') continue;
    std::string_view name, key = content;
    if (const size_t colon = content.find(':'); colon != std::string_view::npos) {
      name = Trim(content.substr(0, colon));
      key = Trim(content.substr(colon + 1));
      if (name.empty() || name.size() > kMaxName ||
          !std::all_of(name.begin(), name.end(), IsNameChar)) {
        return fail(
            "a key's name is 1 to 64 characters of A-Z a-z 0-9 - . _ @ (as in "
            "'name: key')");
      }
    }
    if (!IsB64Token(key)) {
      return fail(
          "not a key: a key is one word of A-Z a-z 0-9 - . _ ~ + / (and trailing '='), "
          "optionally after 'name: '");
    }
    if (key.size() < kMinKey) {
      return fail("a key must be at least " + std::to_string(kMinKey) + " characters long");
    }
    Key k;
    k.digest = Sha256(key);
    k.name = name.empty() ? std::string(file) + ":" + std::to_string(line) : std::string(name);
    if (!name.empty()) {
      const auto [at, added] = names.emplace(std::string(name), line);
      if (!added) {
        return fail("the name '" + std::string(name) + "' is used by line " +
                    std::to_string(at->second) + " too");
      }
    }
    set.keys_.push_back(std::move(k));
    lines.push_back(line);
  }
  // Sorted by digest, a repeated key sits next to itself.
  std::vector<size_t> order(set.keys_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&set](size_t a, size_t b) {
    return DigestLess(set.keys_[a].digest, set.keys_[b].digest);
  });
  for (size_t i = 1; i < order.size(); ++i) {
    if (SameDigest(set.keys_[order[i - 1]].digest, set.keys_[order[i]].digest)) {
      line = std::max(lines[order[i - 1]], lines[order[i]]);
      return fail("the same key as line " +
                  std::to_string(std::min(lines[order[i - 1]], lines[order[i]])));
    }
  }
  std::vector<Key> sorted;
  sorted.reserve(order.size());
  for (size_t i : order) sorted.push_back(std::move(set.keys_[i]));
  set.keys_ = std::move(sorted);
  return set;
}

Result<ApiKeySet> ApiKeySet::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path + ": cannot read the API keys file");
  if (ReadableByOthers(path)) {
    return Status::InvalidArgument(path +
                                   ": holds API keys and is readable by its group or others; "
                                   "chmod 600 it");
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument(path + ": cannot read the API keys file");
  if (text.str().size() > kMaxFile) {
    return Status::InvalidArgument(path + ": over " + std::to_string(kMaxFile >> 20) + " MiB");
  }
  return Parse(text.str(), path);
}

std::string_view ApiKeySet::Find(std::string_view given) const {
  const Sha256Digest d = Sha256(given);
  auto it =
      std::lower_bound(keys_.begin(), keys_.end(), d,
                       [](const Key& k, const Sha256Digest& x) { return DigestLess(k.digest, x); });
  if (it == keys_.end() || !SameDigest(it->digest, d)) return {};
  return it->name;
}

}  // namespace shoal::api

// Reloader: see reload.h.
#include "cli/reload.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "api/router.h"
#include "api/router_diff.h"
#include "cli/spdlog_logger.h"

namespace shoal::cli {
namespace {

// Section says how a top-level key of the config reloads: wholly live, wholly at a restart,
// or key by key (then the keys in `live` are live and every other key needs a restart).
struct Section {
  std::string_view name;
  enum Kind { kLive, kRestart, kByKey } kind;
  std::string_view live;  // with kByKey: the live keys, separated by spaces
};

// The endpoints are compared by DiffEndpoints, not here. A section not listed (a key a later
// version adds) needs a restart: the safe answer.
constexpr Section kSections[] = {
    {"endpoints", Section::kLive, ""},
    {"ignore_params", Section::kLive, ""},
    // Every key live; by key only so that a reload's answer names what changed (cors.origins).
    {"cors", Section::kByKey, "origins methods headers expose_headers max_age credentials"},
    {"auth", Section::kLive, ""},  // the Router is rebuilt: its key files are read again
    {"listen", Section::kRestart, ""},
    {"http", Section::kByKey, "max_string_param debug_headers openapi"},
    {"store", Section::kByKey, "timeout max_rows max_body"},
    {"cache", Section::kByKey,
     "grace negative_ttl max_tags_per_entry stale_if_error cache_control cdn_cache_control"},
    {"cluster", Section::kRestart, ""},
    {"admin", Section::kByKey, "token token_env"},
    {"log", Section::kByKey, "level"},
    {"metrics", Section::kRestart, ""},
    {"cursor_secret_env", Section::kLive, ""},
};

YAML::Node Root(std::string_view text) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (root.IsMap()) return root;
  } catch (const YAML::Exception&) {
  }
  return YAML::Node(YAML::NodeType::Map);
}

// Text is a canonical form of `node`: equal for equal values whatever the YAML style (flow
// or block, quoting, comments, the order of a mapping's keys). Absent and null are both "".
std::string Text(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "";
  std::string out;
  if (node.IsScalar()) {
    out = "s" + std::to_string(node.Scalar().size()) + ":" + node.Scalar();
  } else if (node.IsSequence()) {
    out = "[";
    for (const auto& v : node) out += Text(v) + ",";
    out += "]";
  } else if (node.IsMap()) {  // keys sorted: their order means nothing
    std::vector<std::string> items;
    for (const auto& kv : node) items.push_back(Text(kv.first) + "=" + Text(kv.second));
    std::sort(items.begin(), items.end());
    out = "{";
    for (const auto& i : items) out += i + ",";
    out += "}";
  }
  return out;
}

// IsMap is Node::IsMap for a node that may be absent (a missing key's node throws on IsMap).
bool IsMap(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }

// Child is node[key], or a null node when `node` is no mapping (or absent).
YAML::Node Child(const YAML::Node& node, const std::string& key) {
  if (!IsMap(node)) return YAML::Node();
  return node[key];
}

// Keys lists the keys of the maps `a` and `b` (each may be another kind of node, or absent):
// b's in order, then those only in a.
std::vector<std::string> Keys(const YAML::Node& a, const YAML::Node& b) {
  std::vector<std::string> keys;
  auto add = [&keys](const YAML::Node& m) {
    if (!IsMap(m)) return;
    for (const auto& kv : m) {
      const std::string k = kv.first.as<std::string>();
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
    }
  };
  add(b);
  add(a);
  return keys;
}

bool IsWordOf(std::string_view word, std::string_view words) {
  while (!words.empty()) {
    const size_t space = words.find(' ');
    if (words.substr(0, space) == word) return true;
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
  }
  return false;
}

const Section* SectionOf(std::string_view name) {
  for (const Section& s : kSections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Changed lists the keys that differ between the two texts, live ones when `live`, else
// restart-only ones.
std::vector<std::string> ChangedOrThrow(std::string_view running, std::string_view next,
                                        bool live) {
  const YAML::Node a = Root(running), b = Root(next);
  std::vector<std::string> out;
  for (const std::string& top : Keys(a, b)) {
    const YAML::Node x = a[top], y = b[top];
    const Section* s = SectionOf(top);
    const Section::Kind kind = s != nullptr ? s->kind : Section::kRestart;
    if (kind == Section::kLive) continue;
    // A section on one side only compares key by key with an empty one.
    const bool x_map = IsMap(x) || Text(x).empty(), y_map = IsMap(y) || Text(y).empty();
    if (kind == Section::kRestart || !x_map || !y_map) {
      if (!live && Text(x) != Text(y)) out.push_back(top);
      continue;
    }
    for (const std::string& key : Keys(x, y)) {
      const bool key_live = IsWordOf(key, s->live);
      if (key_live == live && Text(Child(x, key)) != Text(Child(y, key))) {
        std::string name = top;
        name += '.';
        name += key;
        out.push_back(std::move(name));
      }
    }
  }
  return out;
}

std::vector<std::string> Changed(std::string_view running, std::string_view next, bool live) {
  try {
    return ChangedOrThrow(running, next, live);
  } catch (const YAML::Exception& e) {  // never past this function: a reload runs on a thread
    return {std::string("(the config could not be compared: ") + e.what() + ")"};
  }
}

bool ReadText(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream s;
  s << in.rdbuf();
  *text = s.str();
  return !in.bad();
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : "; ") + i;
  return out;
}

}  // namespace

std::vector<std::string> RestartNeeded(std::string_view running, std::string_view next) {
  return Changed(running, next, /*live=*/false);
}

std::vector<std::string> LiveChanged(std::string_view running, std::string_view next) {
  return Changed(running, next, /*live=*/true);
}

Reloader::Reloader(const Config& running, ReloadTargets targets, metrics::Registry* registry)
    : file_(running.file), targets_(targets), log_(targets.logger, "reload"), registry_(registry) {
  std::string text;
  if (ReadText(file_, &text)) {
    MutexLock lock(mu_);
    started_text_ = text;
    applied_text_ = std::move(text);
  }
  if (registry != nullptr) {
    registry->AddFamilyCallback(
        "shoal_reloads_total", "Config reloads (SIGHUP, POST /_shoal/reload) by result",
        metrics::Type::kCounter, [ok = ok_, failed = failed_](metrics::FamilyWriter& w) {
          w.Sample({{"result", "ok"}}, static_cast<int64_t>(ok->load()));
          w.Sample({{"result", "failed"}}, static_cast<int64_t>(failed->load()));
        });
  }
  thread_ = std::thread([this] { Run(); });
}

Reloader::~Reloader() { Stop(); }

void Reloader::SetNotify(std::function<void()> before, std::function<void()> after) {
  MutexLock lock(mu_);
  before_ = std::move(before);
  after_ = std::move(after);
}

api::ReloadOutcome Reloader::Reload() {
  MutexLock lock(mu_);
  if (before_) before_();  // systemd: RELOADING=1
  api::ReloadOutcome out = ReloadLocked();
  if (after_) after_();  // systemd: READY=1
  return out;
}

api::ReloadOutcome Reloader::ReloadLocked() {
  api::ReloadOutcome out;
  auto refuse = [this, &out](std::string message) {
    out.status = 422;
    out.error = std::move(message);
    failed_->fetch_add(1, std::memory_order_relaxed);
    log_.Write(LogLevel::kError, "reload refused, the running config keeps serving: " + out.error);
    return out;
  };
  std::string text;
  if (!ReadText(file_, &text)) return refuse(file_ + ": cannot read the config file");
  Result<Config> next = ParseConfig(text, file_);
  if (!next.ok()) return refuse(std::string(next.status().message()));
  next->api.logger = targets_.logger;
  Result<std::shared_ptr<const api::Router>> router =
      api::Router::Build(next->api, *targets_.store);
  if (!router.ok()) return refuse(std::string(router.status().message()));

  out.restart_needed = RestartNeeded(started_text_, text);
  const std::vector<std::string> live = LiveChanged(applied_text_, text);
  const std::shared_ptr<const api::Serving> before = targets_.serving->Current();
  api::EndpointDiff diff = api::DiffEndpoints(*before->router, **router);
  // Requests that started before keep their snapshot; then the dropped endpoints' entries go
  // (after the Set, so that no load of the old query can put an answer back: read_through.h).
  targets_.serving->Set(api::MakeServing(*router, next->api, registry_));
  for (uint32_t g : diff.purge_groups) targets_.read_through->PurgeGroup(g);

  out.reloaded = true;
  out.changed = std::move(diff.changes);
  out.changed.insert(out.changed.end(), live.begin(), live.end());
  applied_text_ = std::move(text);
  ok_->fetch_add(1, std::memory_order_relaxed);
  log_.Write(LogLevel::kInfo,
             "reloaded " + file_ + ": " + std::to_string((*router)->endpoint_count()) +
                 " endpoints, " + std::to_string(diff.kept) + " kept their entries" +
                 (out.changed.empty() ? "; nothing else changed" : "; " + Joined(out.changed)));
  if (!out.restart_needed.empty()) {
    log_.Write(LogLevel::kWarn, "reload: " + Joined(out.restart_needed) + " changed in " + file_ +
                                    " but take effect only at a restart; running with the "
                                    "values the node started with");
  }
  // Last, so that the lines above are written at the level they were asked at.
  for (const std::string& key : live) {
    if (key == "log.level" && targets_.logger != nullptr) {
      (void)SetLogLevel(*targets_.logger, next->log.level);
    }
    if ((key == "admin.token" || key == "admin.token_env") && targets_.admin != nullptr) {
      targets_.admin->SetToken(next->admin.token);
    }
  }
  return out;
}

void Reloader::Request(std::function<void(api::ReloadOutcome)> done) {
  {
    MutexLock lock(queue_mu_);
    if (!stopping_) {
      queue_.push_back(std::move(done));
      queue_cv_.NotifyOne();
      return;
    }
  }
  api::ReloadOutcome out;
  out.status = 503;
  out.error = "the node is stopping";
  done(std::move(out));
}

void Reloader::Run() {
  while (true) {
    std::function<void(api::ReloadOutcome)> done;
    {
      MutexLock lock(queue_mu_);
      queue_cv_.Wait(queue_mu_,
                     [this]() SHOAL_REQUIRES(queue_mu_) { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      done = std::move(queue_.front());
      queue_.pop_front();
    }
    done(Reload());
  }
  std::deque<std::function<void(api::ReloadOutcome)>> left;
  {
    MutexLock lock(queue_mu_);
    left.swap(queue_);
  }
  for (auto& done : left) {
    api::ReloadOutcome out;
    out.status = 503;
    out.error = "the node is stopping";
    done(std::move(out));
  }
}

void Reloader::Stop() {
  {
    MutexLock lock(queue_mu_);
    stopping_ = true;
    queue_cv_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace shoal::cli

#include "cluster/membership_sync.h"

#include <algorithm>
#include <utility>

namespace shoal::cluster {
namespace {

bool Has(const std::vector<std::string>& sorted, const std::string& s) {
  return std::binary_search(sorted.begin(), sorted.end(), s);
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string_view ListSourceName(ListSource source) {
  switch (source) {
    case ListSource::kStatic:
      return "peers";
    case ListSource::kFile:
      return "peers_file";
    case ListSource::kDns:
      return "peers_dns";
    case ListSource::kSeeds:
      return "seeds";
  }
  return "peers";
}

MembershipSync::MembershipSync(std::string self, bool has_memory, MembershipOptions options,
                               PeerTransport& transport, const Clock& clock, Duration timeout,
                               Log log, Hooks hooks, MemberList initial)
    : self_(std::move(self)),
      has_memory_(has_memory),
      options_(std::move(options)),
      transport_(transport),
      clock_(clock),
      timeout_(timeout),
      log_(log),
      hooks_(std::move(hooks)),
      current_(std::move(initial)),
      was_member_(Has(current_.members, self_)) {
  MutexLock lock(mu_);
  if (options_.source == ListSource::kFile || options_.source == ListSource::kDns) {
    last_source_ = current_.members;
  }
}

void MembershipSync::Start() {
  std::vector<std::string> first;
  {
    MutexLock lock(mu_);
    first = current_.members;
  }
  for (const auto& s : options_.seeds) first.push_back(s);
  for (const auto& a : SortedUnique(std::move(first))) {
    if (a != self_) Exchange(a);
  }
  Arm(options_.anti_entropy, &MembershipSync::AntiEntropy);
  if (options_.read_source) source_thread_ = std::thread([this] { SourceLoop(); });
}

MembershipSync::~MembershipSync() { Stop(); }

void MembershipSync::SourceLoop() {
  for (;;) {
    PollSource();  // at once first: a DNS source has no list before its first answer
    MutexLock lock(mu_);
    if (stop_cv_.WaitFor(mu_, options_.source_interval,
                         [this]() SHOAL_REQUIRES(mu_) { return stopped_; })) {
      return;
    }
  }
}

void MembershipSync::Stop() {
  std::map<std::string, std::shared_ptr<PeerClient>> others;
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    others.swap(others_);
  }
  stop_cv_.NotifyAll();
  if (source_thread_.joinable()) source_thread_.join();
  for (auto& [address, client] : others) client->Close();
}

MemberList MembershipSync::Current() const {
  MutexLock lock(mu_);
  return current_;
}

bool MembershipSync::IsMember() const {
  MutexLock lock(mu_);
  return Has(current_.members, self_);
}

uint64_t MembershipSync::adopted() const {
  MutexLock lock(mu_);
  return adopted_;
}

std::optional<ListVersion> MembershipSync::Reported(const std::string& address) const {
  MutexLock lock(mu_);
  auto it = reported_.find(address);
  if (it == reported_.end()) return std::nullopt;
  return it->second;
}

void MembershipSync::Note(const std::string& address, const ListVersion& v, bool caller) {
  MutexLock lock(mu_);
  reported_[address] = v;
  if (caller) callers_[address] = clock_.Now();
}

bool MembershipSync::Install(
    const std::function<std::optional<MemberList>(const MemberList&)>& next_of,
    const std::string& skip, Status* error) {
  std::vector<std::string> targets;
  MemberList next;
  bool not_member = false;
  {
    MutexLock install(install_mu_);
    MemberList old = Current();
    std::optional<MemberList> made = next_of(old);
    if (!made || !(made->version > old.version)) return false;
    next = std::move(*made);
    if (Status st = hooks_.apply(next.members); !st.ok()) {
      refuse_log_.Write(
          log_, LogLevel::kWarn,
          "list " + Describe(next.version) + " refused: " + std::string(st.message()));
      if (error != nullptr) *error = st;
      return false;
    }
    const TimePoint now = clock_.Now();
    MutexLock lock(mu_);
    if (stopped_) return false;
    current_ = next;
    ++adopted_;
    const bool member = Has(next.members, self_);
    not_member = has_memory_ && !member;
    was_member_ = was_member_ || member;
    targets = old.members;
    targets.insert(targets.end(), next.members.begin(), next.members.end());
    for (auto it = callers_.begin(); it != callers_.end();) {
      if (now - it->second > kRecentCaller) {
        it = callers_.erase(it);
      } else {
        targets.push_back(it->first);
        ++it;
      }
    }
  }
  if (hooks_.settled) hooks_.settled();
  log_.Info("peers now [" + Joined(next.members) + "] (list " + Describe(next.version) + ")");
  if (not_member) {
    log_.Warn("this node is not a member of list version " + Describe(next.version) +
              "; it owns no keys");
  }
  for (const auto& t : SortedUnique(std::move(targets))) {
    if (t != self_ && t != skip) Exchange(t);
  }
  return true;
}

Status MembershipSync::Propose(std::vector<std::string> members) {
  std::vector<std::string> list = SortedUnique(std::move(members));
  Status error;
  Install(
      [&](const MemberList& current) -> std::optional<MemberList> {
        if (current.members == list) return std::nullopt;
        MemberList next;
        next.members = list;
        next.version.epoch = current.version.epoch + 1;
        next.version.origin = self_;
        next.version.digest = list.empty() ? 0 : ListDigest(list);
        return next;
      },
      "", &error);
  return error;
}

MembersReply MembershipSync::Serve(const MembersRequest& request) {
  Note(request.sender, request.list.version, true);
  Install([&](const MemberList&) { return std::optional<MemberList>(request.list); },
          request.sender);
  MemberList now = Current();
  if (request.join && Has(now.members, self_) && !Has(now.members, request.sender)) {
    std::vector<std::string> grown = now.members;
    grown.push_back(request.sender);
    log_.Info(request.sender + " asks to join; adding it");
    (void)Propose(std::move(grown));
    now = Current();
  }
  MembersReply reply;
  reply.version = now.version;
  if (now.version > request.list.version) reply.list = std::move(now);
  return reply;
}

std::shared_ptr<PeerClient> MembershipSync::ClientFor(const std::string& address) {
  if (std::shared_ptr<PeerClient> c = hooks_.member_client(address)) return c;
  MutexLock lock(mu_);
  if (stopped_) return nullptr;
  auto& c = others_[address];
  if (!c) c = transport_.Connect(address);
  return c;
}

void MembershipSync::Exchange(const std::string& address) {
  MembersRequest request;
  request.sender = self_;
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    request.list = current_;
    request.join = options_.source == ListSource::kSeeds && has_memory_ && !was_member_;
  }
  std::shared_ptr<PeerClient> client = ClientFor(address);
  if (!client) return;
  std::weak_ptr<MembershipSync> weak = weak_from_this();
  client->Members(request, timeout_, [weak, address](Result<MembersReply> r) {
    std::shared_ptr<MembershipSync> self = weak.lock();
    if (!self || !r.ok()) return;
    self->Note(address, r->version, false);
    if (r->list) {
      self->Install([&](const MemberList&) { return std::optional<MemberList>(*r->list); },
                    address);
    }
  });
}

void MembershipSync::Arm(Duration delay, void (MembershipSync::*tick)()) {
  std::weak_ptr<MembershipSync> weak = weak_from_this();
  transport_.After(delay, [weak, tick, delay] {
    std::shared_ptr<MembershipSync> self = weak.lock();
    if (!self) return;
    {
      MutexLock lock(self->mu_);
      if (self->stopped_) return;
    }
    ((*self).*tick)();
    self->Arm(delay, tick);
  });
}

void MembershipSync::AntiEntropy() {
  std::string pick;
  {
    MutexLock lock(mu_);
    std::vector<std::string> candidates;
    for (const auto& m : current_.members) {
      if (m != self_) candidates.push_back(m);
    }
    if (candidates.empty()) {
      for (const auto& s : options_.seeds) {
        if (s != self_) candidates.push_back(s);
      }
    }
    if (candidates.empty()) return;
    pick = candidates[random_() % candidates.size()];
  }
  Exchange(pick);
}

void MembershipSync::PollSource() {
  Result<std::vector<std::string>> read = options_.read_source();
  if (!read.ok()) {
    source_log_.Write(log_, LogLevel::kWarn,
                      std::string(ListSourceName(options_.source)) + " " + options_.source_name +
                          ": " + std::string(read.status().message()) +
                          "; keeping the current list");
    return;
  }
  std::vector<std::string> list = SortedUnique(std::move(*read));
  {
    MutexLock lock(mu_);
    if (last_source_ == list) return;
    last_source_ = list;
  }
  log_.Info(std::string(ListSourceName(options_.source)) + " " + options_.source_name +
            " now says [" + Joined(list) + "]");
  if (Status st = Propose(std::move(list)); !st.ok()) {
    source_log_.Write(
        log_, LogLevel::kWarn,
        "the list from " + options_.source_name + " was refused: " + std::string(st.message()));
  }
}

}  // namespace shoal::cluster

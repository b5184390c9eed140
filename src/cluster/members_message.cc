#include "cluster/members_message.h"

#include <algorithm>
#include <utility>

#include "base/hash.h"
#include "cluster/message_reader.h"
#include "cluster/messages.h"

namespace shoal::cluster {
namespace {

using wire::PutString;
using wire::PutU32;
using wire::PutU64;
using wire::PutU8;
using wire::Reader;

constexpr uint8_t kJoinFlag = 1;
constexpr uint64_t kDigestSeed = 0x73686f616c6d656dULL;  // "shoalmem"

Status Malformed(std::string_view what) {
  return Status::InvalidArgument(std::string(kMalformedPrefix) + ": " + std::string(what));
}

void PutList(std::string& out, const MemberList& list) {
  PutU64(out, list.version.epoch);
  PutString(out, list.version.origin);
  PutU64(out, list.version.digest);
  PutU32(out, static_cast<uint32_t>(list.members.size()));
  for (const std::string& m : list.members) PutString(out, m);
}

ListVersion ReadVersion(Reader& r) {
  ListVersion v;
  v.epoch = r.U64();
  v.origin = std::string(r.String(kMaxAddress));
  v.digest = r.U64();
  return v;
}

// ReadList reads a version and its list; an unsorted or repeated member, or a digest that is
// not the list's, fails the reader.
MemberList ReadList(Reader& r) {
  MemberList list;
  list.version = ReadVersion(r);
  const uint32_t n = r.U32();
  if (n > kMaxMembers) {
    r.Fail();
    return list;
  }
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    std::string_view m = r.String(kMaxAddress);
    if (m.empty() || (!list.members.empty() && m <= list.members.back())) r.Fail();
    list.members.emplace_back(m);
  }
  if (!r.ok()) return list;
  const uint64_t want = list.members.empty() ? 0 : ListDigest(list.members);
  if (list.version.digest != want) r.Fail();
  return list;
}

}  // namespace

uint64_t ListDigest(const std::vector<std::string>& sorted) {
  uint64_t h = kDigestSeed;
  for (const std::string& m : sorted) h = Mix64(h ^ Hash64(m, kDigestSeed));
  return h == 0 ? 1 : h;
}

std::vector<std::string> SortedUnique(std::vector<std::string> members) {
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  return members;
}

std::string Describe(const ListVersion& v) {
  return "epoch " + std::to_string(v.epoch) +
         (v.origin.empty() ? std::string(" (configured)") : " from " + v.origin);
}

MemberList StaticList(std::vector<std::string> members) {
  MemberList list;
  list.members = SortedUnique(std::move(members));
  if (!list.members.empty()) list.version.digest = ListDigest(list.members);
  return list;
}

std::string EncodeMembers(const MembersRequest& request) {
  std::string out;
  PutU8(out, request.join ? kJoinFlag : 0);
  PutString(out, request.sender);
  PutList(out, request.list);
  return out;
}

Result<MembersRequest> DecodeMembers(std::string_view payload) {
  Reader r(payload);
  MembersRequest req;
  const uint8_t flags = r.U8();
  req.join = (flags & kJoinFlag) != 0;
  req.sender = std::string(r.String(kMaxAddress));
  req.list = ReadList(r);
  if (!r.Done()) return Malformed("MEMBERS: truncated, trailing bytes or a bad list");
  if ((flags & ~kJoinFlag) != 0) return Malformed("MEMBERS: unknown flags");
  if (req.sender.empty()) return Malformed("MEMBERS: no sender");
  return req;
}

std::string EncodeMembersReply(const MembersReply& reply) {
  std::string out;
  PutU64(out, reply.version.epoch);
  PutString(out, reply.version.origin);
  PutU64(out, reply.version.digest);
  PutU8(out, reply.list ? 1 : 0);
  if (reply.list) PutList(out, *reply.list);
  return out;
}

Result<MembersReply> DecodeMembersReply(std::string_view payload) {
  Reader r(payload);
  MembersReply reply;
  reply.version = ReadVersion(r);
  const uint8_t has_list = r.U8();
  if (has_list == 1) reply.list = ReadList(r);
  if (!r.Done() || has_list > 1) {
    return Malformed("MEMBERS reply: truncated, trailing bytes or a bad list");
  }
  if (reply.list && reply.list->version != reply.version) {
    return Malformed("MEMBERS reply: the list's version is not the reply's");
  }
  return reply;
}

}  // namespace shoal::cluster

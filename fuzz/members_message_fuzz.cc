// libFuzzer target: the MEMBERS message (cluster/members_message.h), the member list one node
// accepts from another. The first byte picks request or reply; the rest is the message.
// Either decoder must reject or accept without crashing; whatever it accepts must re-encode
// to the same bytes and hold a sorted, duplicate-free list whose digest is the list's.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/members_message.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckList(const shoal::cluster::MemberList& l) {
  Check(std::adjacent_find(l.members.begin(), l.members.end(),
                           [](const std::string& a, const std::string& b) { return a >= b; }) ==
        l.members.end());
  Check(l.version.digest == (l.members.empty() ? 0 : shoal::cluster::ListDigest(l.members)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal::cluster;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    shoal::Result<MembersRequest> r = DecodeMembers(in);
    if (r.ok()) {
      Check(EncodeMembers(*r) == in);
      CheckList(r->list);
    }
  } else {
    shoal::Result<MembersReply> r = DecodeMembersReply(in);
    if (r.ok()) {
      Check(EncodeMembersReply(*r) == in);
      if (r->list) CheckList(*r->list);
    }
  }
  return 0;
}

// libFuzzer target: the cluster's peer messages (cluster/messages.h), the bytes one node
// accepts from another inside rpc frames. The first byte picks the decoder; the rest is the
// message. Every decoder must reject or accept without crashing, and whatever it accepts must
// re-encode to the same bytes (GET, PURGE, PURGE_SYNC request and reply) or to a reply that decodes
// to the same entry, whose ETag is well-formed (IsWellFormedEtag).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/messages.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace shoal;
  using namespace shoal::cluster;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const TimePoint now = TimePoint() + std::chrono::hours(24 * 365);
  switch (data[0] % 6) {
    case 0: {
      Result<GetRequest> get = DecodeGet(in);
      if (get.ok())
        Check(EncodeGet(get->key, get->key_floor, get->deadline, get->memory_only) == in);
      break;
    }
    case 1: {
      Result<cache::EntryPtr> e = DecodeGetReply(in, "/k", now);
      if (e.ok()) {
        Result<cache::EntryPtr> again =
            DecodeGetReply(EncodeEntryReply(**e, now, (*e)->fill_seq()), "/k", now);
        Check(again.ok());
        Check((*again)->body() == (*e)->body());
        Check((*again)->etag() == (*e)->etag());
        // Nothing but a quoted 16-digit hex ETag gets through: no byte of it can split a header.
        Check(IsWellFormedEtag((*e)->etag()));
        Check((*again)->fresh_until() == (*e)->fresh_until());
        Check((*again)->fill_seq() == (*e)->fill_seq());
      }
      break;
    }
    case 2: {
      Result<PurgeTarget> t = DecodePurge(in);
      if (t.ok()) Check(EncodePurge(*t) == in);
      break;
    }
    case 3: {
      Result<uint64_t> n = DecodePurgeReply(in);
      if (n.ok()) Check(EncodePurgeReply(*n) == in);
      break;
    }
    case 4: {
      Result<SyncRequest> q = DecodeSyncRequest(in);
      if (q.ok()) Check(EncodeSyncRequest(*q) == in);
      break;
    }
    case 5: {
      Result<SyncReply> r = DecodeSyncReply(in);
      if (r.ok()) Check(EncodeSyncReply(*r) == in);
      break;
    }
  }
  return 0;
}

// PeerReply: what this node accepts from a key's owner before it serves the answer (the
// security review's M1). A peer is authenticated (with a secret) but its frames are not
// integrity-protected, and a node's store errors are its own business, so:
//   - an entry's ETag must be exactly a quoted 16-digit lowercase hex string (what
//     cache::StrongEtag makes). Checked rather than recomputed from the body: the owner's ETag
//     stays the one every node sends for the key, and the format alone guarantees that no CR,
//     LF or other control byte can reach an HTTP header. A reply with any other ETag is
//     malformed (the caller treats it as a transport failure and loads the key itself);
//   - its lifetimes are clamped: fresh at most `ttl` from now, servable at most `grace`
//     after that (the endpoint's ttl and the api's grace; Cluster says where they come from);
//   - an owner's error reaches this node's caller as a fixed phrase with a server-side code,
//     never the owner's text (which the Cluster logs, escaped and rate-limited).
// Thread-safety: pure functions.
#pragma once

#include "base/clock.h"
#include "base/status.h"
#include "cache/entry.h"

namespace shoal::cluster {

struct PeerLimits {
  Duration ttl;    // the longest an owner's entry may stay fresh here, from now
  Duration grace;  // the longest it may stay servable after that
};

// CheckPeerEntry returns `entry`, or a copy with its deadlines clamped to `limits` from
// `now`, or InvalidArgument ("malformed peer reply: ...") for a bad ETag.
Result<cache::EntryPtr> CheckPeerEntry(cache::EntryPtr entry, TimePoint now, PeerLimits limits);

// OwnerErrorForCaller is what this node's caller gets for an owner's own error: its code if
// that is Unavailable, DeadlineExceeded or ResourceExhausted, else Internal, with a fixed
// phrase.
Status OwnerErrorForCaller(const Status& owner_error);

}  // namespace shoal::cluster

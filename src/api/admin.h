// The operator's endpoints under /_shoal/ that change things: purge and the peer list.
//
//   POST /_shoal/purge   {"key": "/v1/items/42"} or {"endpoint": "/v1/items/{id:int}"}
//                        removes one key (given as a request target; it is canonicalised
//                        like a request) or every key of one configured route, on every node
//                        of the cluster, main and hot caches alike. 200 with
//                        {"purged": N, "nodes": K, "failed": []}; 502 with the same body and an
//                        "error" when a node did not answer. N sums, over the nodes, the valid
//                        entries the purge invalidated (an endpoint purge is O(1): it moves
//                        the endpoint's generation on, and the entries are freed lazily).
//   GET  /_shoal/peers   {"self": "...", "peers": [{"address": "...", "self": b, "up": b}]}
//   PUT  /_shoal/peers   {"peers": ["host:port", ...]} replaces the owners at run time (a new
//                        list version that spreads to every node); 200 with the new view,
//                        400 naming what is wrong, 409 when the list comes from
//                        cluster.peers_file or peers_dns (the body names the source).
//   GET  /_shoal/cluster {"self", "member", "source": {"kind", "name"}, "version": {"epoch",
//                        "origin"}, "members": [{"address", "self", "state", "share",
//                        "reported": {"epoch", "origin"} or null}]} (admin_cluster.cc)
//
// Every one needs `Authorization: Bearer <admin.token>`: 401 without it or with another
// token (their SHA-256 digests compared with CRYPTO_memcmp, so the time reveals neither the
// token's length nor where they differ), 403 when the config sets no token. Bodies over
// kMaxAdminBody or not JSON of the expected shape are 400.
//
// With admin.listen these routes (and metrics) are served by AdminHandler on their own
// listener (admin_handler.h), and the public listener answers 404 for them.
//
// The api cannot see the cluster (STYLE.md: api never includes cluster), so the work is done
// through Control, which cli implements over cluster::Cluster, or over this node alone.
//
// Thread-safety: Admin is immutable after construction; Handle may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/router.h"
#include "base/status.h"
#include "cache/read_through.h"
#include "http/handler.h"

namespace shoal::api {

class JsonWriter;

enum class PurgeScope : unsigned char { kKey, kEndpoint };

struct PurgeOutcome {
  uint64_t removed = 0;  // valid entries invalidated, summed over the nodes
  size_t nodes = 0;
  std::vector<std::string> failed;  // "host:port: reason"
};

struct PeerView {
  std::string address;
  bool self = false;
  bool up = true;
};

// MemberInfo / ClusterInfo: the cluster as GET /_shoal/cluster shows it (cluster::ClusterView
// in the api's words).
struct MemberInfo {
  std::string address;
  bool self = false;
  std::string state;      // up, suspect, down
  double share = 0;       // of the hash space
  bool reported = false;  // the member told this node its list version:
  uint64_t reported_epoch = 0;
  std::string reported_origin;
};

struct ClusterInfo {
  std::string self;
  bool member = false;
  std::string source;       // peers, peers_file, peers_dns, seeds
  std::string source_name;  // the file or DNS name
  uint64_t epoch = 0;
  std::string origin;
  std::vector<MemberInfo> members;
};

// ClusterBody is GET /_shoal/cluster's JSON.
std::string ClusterBody(const ClusterInfo& info);
// WriteListSource writes where the member list comes from, {"kind", "name"}: part of
// ClusterBody, and of the 409 a PUT /_shoal/peers gets with a file or DNS source.
void WriteListSource(JsonWriter& w, const ClusterInfo& info);

class Control {
 public:
  virtual ~Control() = default;
  // Purge removes a canonical key, or every key of the endpoint whose route is `text`, here
  // and on every peer; `done` runs once, on any thread.
  virtual void Purge(PurgeScope scope, std::string text,
                     std::function<void(PurgeOutcome)> done) = 0;
  // Clustered is false for a single node: the peer endpoints then answer 404.
  virtual bool Clustered() const = 0;
  virtual std::string Self() const = 0;
  virtual std::vector<PeerView> Peers() const = 0;
  virtual Status SetPeers(std::vector<std::string> peers) = 0;
  virtual ClusterInfo Cluster() const = 0;
};

// PurgeLocal removes a canonical key or the keys of the endpoint whose route is `text` from
// this node's caches, through `read_through` so that no load in flight puts them back, and
// returns how many valid entries went. An endpoint is purged in O(1) (ReadThrough::PurgeGroup
// of its index): its entries read as misses at once and are freed lazily. NotFound for a
// route that is not configured.
Result<uint64_t> PurgeLocal(const Router& router, cache::ReadThrough& read_through,
                            PurgeScope scope, std::string_view text);

struct AdminOptions {
  std::string token;  // empty: the admin endpoints answer 403
  // Where the admin API (/_shoal/purge, peers, metrics) listens, host:port; empty: on the
  // public listener, as before.
  std::string listen;
};

inline constexpr size_t kMaxAdminBody = size_t{64} * 1024;

class Admin {
 public:
  // Borrows `control`, which must outlive every purge it starts.
  Admin(AdminOptions options, std::shared_ptr<const Router> router, Control& control);

  // Handles reports whether `path` is one of the admin endpoints.
  static bool Handles(std::string_view path);
  void Handle(const http::Request& request, http::Exchange& exchange) const;

 private:
  void Purge(const http::Request& request, http::Exchange& exchange) const;
  void Peers(const http::Request& request, http::Exchange& exchange) const;
  void Cluster(const http::Request& request, http::Exchange& exchange) const;

  const AdminOptions options_;
  const std::shared_ptr<const Router> router_;
  Control& control_;
};

}  // namespace shoal::api

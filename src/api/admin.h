// The operator's endpoints under /_shoal/ that change things: purge and the peer list.
//
//   POST /_shoal/purge   {"key": "/v1/items/42"}, {"endpoint": "/v1/items/{id:int}"},
//                        {"tag": "item:42"} or {"tags": ["item:42", ...]} (purge_request.h),
//                        each with an optional "soft": true: removes one key (given as a
//                        request target; it is canonicalised like a request), every key of
//                        one configured route, or every entry carrying one of the tags, on
//                        every node of the cluster, main and hot caches alike; a soft purge
//                        marks them stale instead (served stale at once while one refresh
//                        runs). 200 with {"purged": N, "nodes": K, "failed": []}; 502 with the
//                        same body and an "error" when a node did not answer. N sums, over the
//                        nodes, the valid entries the purge invalidated or marked (an endpoint
//                        purge is O(1): it moves the endpoint's generation on, and the entries
//                        are freed lazily).
//   GET  /_shoal/peers   {"self": "...", "peers": [{"address": "...", "self": b, "up": b}]}
//   PUT  /_shoal/peers   {"peers": ["host:port", ...]} replaces the owners at run time (a new
//                        list version that spreads to every node); 200 with the new view,
//                        400 naming what is wrong, 409 when the list comes from
//                        cluster.peers_file or peers_dns (the body names the source).
//   POST /_shoal/reload  re-reads the config file the node started with (as SIGHUP does;
//                        cli/reload.h): 200 {"reloaded": true, "changed": [...],
//                        "restart_needed": [...]}; 422 {"error": "FILE:LINE: message",
//                        "status": 422, "reloaded": false} when the new config is refused (the
//                        old one keeps serving); 404 when the node cannot reload (a Control
//                        without a config file). The reload runs off the event loop.
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
// Reload: the token may be replaced (SetToken) and the Router is read from a LiveServing
// (serving.h) when the Admin is built over one, so both follow a config reload.
// Thread-safety: thread-safe; Handle may be called concurrently.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/purge_request.h"
#include "api/router.h"
#include "api/serving.h"
#include "base/mutex.h"
#include "base/status.h"
#include "cache/read_through.h"
#include "http/handler.h"

namespace shoal::api {

class JsonWriter;

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

// ReloadOutcome is what a config reload did (cli/reload.h), for POST /_shoal/reload.
struct ReloadOutcome {
  bool reloaded = false;
  // When refused: the HTTP status (422: the config does not load; 404: no reload here) and
  // the message, which names FILE:LINE.
  int status = 200;
  std::string error;
  std::vector<std::string> changed;         // what changed live, e.g. "endpoint /v1/x added"
  std::vector<std::string> restart_needed;  // config keys that differ but need a restart
};

class Control {
 public:
  virtual ~Control() = default;
  // Purge removes (or, soft, marks stale) a canonical key, every key of the endpoint whose
  // route is `text`, or every entry carrying one of the tags in `text` (joined by spaces),
  // here and on every peer; `done` runs once, on any thread.
  virtual void Purge(PurgeRequest request, std::function<void(PurgeOutcome)> done) = 0;
  // Clustered is false for a single node: the peer endpoints then answer 404.
  virtual bool Clustered() const = 0;
  virtual std::string Self() const = 0;
  virtual std::vector<PeerView> Peers() const = 0;
  virtual Status SetPeers(std::vector<std::string> peers) = 0;
  virtual ClusterInfo Cluster() const = 0;
  // Reload re-reads the node's config file and applies what can change live; `done` runs
  // once, on any thread. The default answers 404: this Control cannot reload.
  virtual void Reload(std::function<void(ReloadOutcome)> done);
};

// PurgeLocal removes a canonical key, the keys of the endpoint whose route is `text`, or the
// entries carrying one of the tags in `text` (joined by spaces) from this node's caches
// (`soft`: marks them stale), through `read_through` so that no load in flight puts them
// back, and returns how many valid entries went. An endpoint is purged in O(1)
// (ReadThrough::PurgeGroup of its EndpointInfo::group): its entries read as misses (soft:
// stale) at once and are freed lazily. NotFound for a route that is not configured.
Result<uint64_t> PurgeLocal(const Router& router, cache::ReadThrough& read_through,
                            PurgeScope scope, std::string_view text, bool soft = false);

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
  // The same, reading the Router from `serving`, which a reload may replace.
  Admin(AdminOptions options, std::shared_ptr<LiveServing> serving, Control& control);

  // SetToken replaces admin.token (a reload); requests already past the check are not affected.
  void SetToken(std::string token);

  // Handles reports whether `path` is one of the admin endpoints.
  static bool Handles(std::string_view path);
  void Handle(const http::Request& request, http::Exchange& exchange) const;

 private:
  void Purge(const http::Request& request, http::Exchange& exchange) const;
  void Peers(const http::Request& request, http::Exchange& exchange) const;
  void Cluster(const http::Request& request, http::Exchange& exchange) const;
  void Reload(const http::Request& request, http::Exchange& exchange) const;

  const std::shared_ptr<LiveServing> serving_;
  Control& control_;
  mutable Mutex mu_;
  AdminOptions options_ SHOAL_GUARDED_BY(mu_);
};

}  // namespace shoal::api

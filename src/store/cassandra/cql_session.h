// cql_session: a Cassandra cluster as one client: its nodes, a pool of connections to each,
// prepared statements, and the routing and retry rules of a careful driver.
//
// Internal to store/cassandra (the adapter, cassandra_store.h, and `shoal load` use it).
// Session is the front; each rule lives in its own file:
//
//   Open       connects its control connection to the first contact point that answers
//              (each tried in order; a bad password stops the search: it would fail
//              everywhere), reads the ring through it (cql_topology.h: system.local and
//              system.peers_v2; a peer outside node_networks is left out), then opens
//              connections_per_node connections to every node it kept (cql_pool.h).
//              Credentials go only to an authenticator class in allowed_authenticators
//              (cql_connection.h). A node that cannot be reached now is kept, marked down, and
//              redialled in the background, so a cluster with one node down still opens.
//   The ring   the control connection (cql_control.h) REGISTERs for topology, status and
//              schema events and re-reads the ring after each burst of them (debounced) and
//              every refresh_interval; it fails over to another node when its own goes. Each
//              refresh makes the pool follow the ring (new nodes dialled, removed ones closed
//              and never redialled) and swaps in a new immutable View (cql_view.h) that later
//              requests are planned on; a request keeps the View it was planned on. A DOWN
//              event takes the node out of routing at once; UP dials it at once. A node's
//              first connection (new, or back from down) prepares every statement the
//              session made before the node takes requests. With discover_peers false the
//              events are still acted on but the session keeps to the contact points.
//   Routing    EXECUTE of a statement whose partition key is fully bound goes to the key's
//              replicas in the local data centre first (the session keyspace's replication,
//              cql_replicas.h), then to the other local nodes; remote data centres only with
//              remote_dc_fallback; suspect nodes last, nodes that are down (no connection,
//              not yet prepared, or DOWN by the cluster's word) never (cql_routing.h, with
//              View::Health, cql_view.h). Other requests go round-robin over the local
//              nodes. Within a node, the connection with the fewest requests in flight takes
//              the request.
//   Retries    only for requests marked idempotent, at most one per request; Unprepared is
//              answered by preparing again on that connection (cql_executor.h).
//   Reconnect  a connection that closes is redialled after a Backoff from reconnect_initial to
//              reconnect_max (full jitter); a node with no connection open is down and is
//              skipped by routing until one comes back (cql_pool.h).
//   Timeouts   every request carries a deadline, enforced by its connection (cql_connection.h).
//   Logging    to options.logger, component "cassandra": the nodes found at Open (info),
//              each discovered node left out by node_networks (warn, once), connections opened
//              (debug) and lost (warn), a node down (warn) and up again (info) once per change,
//              re-prepares (info), protocol faults and errors the operator must fix (error,
//              rate-limited). Never a line per request.
//
// Not done (ARCHITECTURE.md): schema agreement after DDL, protocol v5 framing, snappy.
//
// Callbacks run on a session I/O thread, exactly once (Execute after Shutdown is the exception:
// it calls back with Cancelled before returning); a ResultCallback's message views the
// response frame and is valid only during the call. Ownership: the session owns its
// io_context, its threads, its connections and its prepared statements (shared with callers
// by shared_ptr). Thread-safety: thread-safe; Shutdown and the destructor must not be called
// from a session callback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/status.h"
#include "store/cassandra/cql_node_stats.h"
#include "store/cassandra/cql_request.h"
#include "store/cassandra/cql_result.h"
#include "store/store.h"

namespace shoal::store::cassandra {

struct SessionOptions {
  // "host" or "host:port" (the port defaults to `port`). At least one.
  std::vector<std::string> contact_points;
  uint16_t port = 9042;
  // Every connection starts with USE keyspace; empty leaves statements to name theirs.
  std::string keyspace;
  std::string user;  // PasswordAuthenticator credentials, sent only if the server asks
  std::string password;
  // Authenticator classes (as the server names them in AUTHENTICATE) that may receive the
  // credentials; any other is refused before a byte of them is sent.
  std::vector<std::string> allowed_authenticators = {
      "org.apache.cassandra.auth.PasswordAuthenticator"};
  // Networks (CIDR, e.g. "10.0.0.0/8"; base/cidr.h) that discovered nodes must lie in to be
  // dialled; empty: any. Contact points are always dialled. A node left out is logged once
  // (warn) at Open; a network that does not parse fails Open with InvalidArgument.
  std::vector<std::string> node_networks;
  size_t connections_per_node = 2;
  size_t io_threads = 1;
  // Read system.peers_v2 and connect to every node; false keeps to the contact points, all
  // taken to be in the first one's data centre.
  bool discover_peers = true;
  Duration connect_timeout = std::chrono::seconds(5);
  // An idle connection sends OPTIONS after heartbeat_interval; no answer within
  // heartbeat_timeout closes it (cql_connection.h).
  Duration heartbeat_interval = std::chrono::seconds(5);
  Duration heartbeat_timeout = std::chrono::seconds(5);
  Duration reconnect_initial = std::chrono::milliseconds(100);
  Duration reconnect_max = std::chrono::seconds(10);

  // --- the ring as it changes (cql_control.h) ---
  // The control connection re-reads system.local / system.peers_v2 on every topology, status
  // or schema event and at least this often.
  Duration refresh_interval = std::chrono::seconds(60);

  // --- routing (cql_routing.h, cql_replicas.h) ---
  // The data centre whose nodes take requests; empty: the contact point's (logged at Open).
  // A name no node has fails Open with InvalidArgument naming store.cassandra.local_dc.
  std::string local_dc;
  // Send to nodes of other data centres when no node of the local one can take a request.
  bool remote_dc_fallback = false;
  // Send a read whose partition key is bound to that key's replicas first; false: every read
  // goes round-robin over the local data centre's nodes (a coordinator hop more, as gocql's
  // default policy; for benchmarks and comparisons).
  bool token_aware = true;

  // --- latency-aware health and speculative reads (cql_node_stats.h, cql_executor.h) ---
  // An idempotent read not answered after speculative_delay is sent to the next node of its
  // plan too (at most speculative_max extra attempts); the first answer wins. Zero: off.
  Duration speculative_delay{};
  // Instead of a fixed delay, the p99 of the node's recent read latencies (bounded below by
  // 1 ms and above by the request's deadline).
  bool speculative_p99 = false;
  size_t speculative_max = 1;

  // --- the wire (cql_connection.h) ---
  // LZ4 frame compression (STARTUP COMPRESSION=lz4) when the server offers it; request frames
  // whose body is at least compression_threshold bytes are compressed.
  bool compression = true;
  size_t compression_threshold = 512;
  // TLS to every node when `ca` is set (PEM files). verify_hostname checks the node's
  // certificate names the address dialled (DNS or IP SAN). TLS 1.2 or later.
  struct Tls {
    std::string ca;
    std::string cert;  // client certificate, with `key`, when the server asks for one
    std::string key;
    bool verify_hostname = true;
  } tls;

  // Where the session logs (see above); must outlive the session.
  Logger* logger = &NullLogger();
};

// PreparedStatement is a PREPARE's answer, kept for the session's life.
struct PreparedStatement {
  std::string query;
  std::string message;    // the RESULT message; `result` views it
  PreparedResult result;  // id, bind columns (name and type), pk_indexes, result columns
};

struct ExecuteOptions {
  Consistency consistency = Consistency::kLocalOne;
  int32_t page_size = 0;  // 0: the whole result in one frame
  std::optional<std::string> paging_state;
  // A request that may safely run twice (every SELECT; an INSERT without IF or counters).
  bool idempotent = false;
  // The partition key bytes (BindValues computes them); empty routes round-robin.
  std::string routing_key;
};

// ResultCallback gets a RESULT (Rows, Void, ...) or the request's error, by cql_error.h's
// ErrorStatus: DeadlineExceeded (our deadline, or the server's read or write timeout),
// Unavailable (no node reachable, a broken connection, an overloaded or bootstrapping node),
// Internal (the server refused the statement: syntax, invalid, unauthorized, a re-prepare that
// fails; or a protocol fault), Cancelled (after Shutdown). Never InvalidArgument. Server
// errors carry "cassandra: HOST:PORT: <Error_name>: <message>", for logs, not for clients.
using ResultCallback = std::function<void(Result<ResultMessage>)>;

class Session {
 public:
  static Result<std::unique_ptr<Session>> Open(SessionOptions options);
  ~Session();  // Shutdown()
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Prepare prepares `query` on a node and waits for the answer (not for hot paths). The
  // session keeps the statement for its life: a node that joins or comes back prepares it
  // before taking requests; a node that still lacks it learns it on first use (Unprepared,
  // then PREPARE, then the request again). A query
  // the server refuses (syntax, unknown table or column) is InvalidArgument: Prepare runs at
  // start-up, on configuration (as SQLite's Prepare); a node down is Unavailable.
  Result<std::shared_ptr<const PreparedStatement>> Prepare(std::string_view query,
                                                           Duration timeout);

  // Run executes an unprepared statement (DDL, tools, tests) and waits for the answer; the
  // returned string is the RESULT message, to be parsed with ParseResult. Errors as
  // ResultCallback's.
  Result<std::string> Run(std::string_view query, Duration timeout,
                          Consistency consistency = Consistency::kLocalOne);

  // BindValues encodes `values` for `statement`'s bind markers, in order, as [value]s into
  // `encoded`, and the routing key (the partition key's bytes) into `routing_key` when the
  // statement binds the whole key (else leaves it empty). Errors name the marker (for logs),
  // and, when `bad_marker` is given, set it to the index of the marker that failed.
  static Status BindValues(const PreparedStatement& statement, std::span<const Value> values,
                           std::string* encoded, std::string* routing_key,
                           size_t* bad_marker = nullptr);

  // Execute runs `statement` with `values` (BindValues' `encoded`, `count` of them).
  void Execute(std::shared_ptr<const PreparedStatement> statement, std::string values,
               uint16_t count, ExecuteOptions options, TimePoint deadline, ResultCallback done);

  // Post runs `fn` on a session I/O thread (for callers that must answer their own callers
  // off their stack, as store.h asks). Dropped after Shutdown.
  void Post(std::function<void()> fn);

  // Shutdown refuses new requests with Cancelled, gives those in flight up to `drain` to
  // finish, closes every connection and joins the I/O threads. Idempotent.
  void Shutdown(Duration drain = std::chrono::seconds(2));

  // Counters for metrics and tests.
  size_t nodes() const;
  size_t nodes_up() const;
  uint64_t reprepares() const;  // Unprepared answered by a new PREPARE
  uint64_t retries() const;     // requests sent a second time
  uint64_t reconnects() const;  // connections dialled after the first
  // One report per node the session knows now (cql_node_stats.h), for labelled metrics.
  std::vector<NodeReport> NodeReports() const;
  uint64_t speculative_launched() const;  // extra attempts sent by speculative execution
  uint64_t speculative_won() const;       // calls answered by such an extra attempt first

  // The control connection's counters (cql_control.h).
  struct RingCounters {
    uint64_t refreshes = 0;         // ring re-reads that succeeded
    uint64_t refresh_failures = 0;  // ring re-reads that failed (the view was kept)
    uint64_t topology_events = 0;   // EVENTs received, by type
    uint64_t status_events = 0;
    uint64_t schema_events = 0;
    uint64_t control_reconnects = 0;  // the control connection re-established after a loss
  };
  RingCounters ring_counters() const;
  // control_address is the node the control connection is on ("" while it has none).
  std::string control_address() const;
  // CloseControlForTest closes the control connection as a network failure would.
  void CloseControlForTest();

  struct Impl;  // cql_session.cc

 private:
  explicit Session(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::store::cassandra

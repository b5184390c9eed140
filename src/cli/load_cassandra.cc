// The Cassandra sink of `shoal load`: prepared INSERTs (upserts) with many in flight.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/mutex.h"
#include "cli/load.h"
#include "store/cassandra/cql_session.h"

namespace shoal::cli {
namespace {

namespace cql = store::cassandra;
using namespace std::chrono_literals;

// QuoteIdentifier writes a CQL identifier in double quotes, so that any name (mixed case, a
// keyword) means exactly the column it spells.
std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

class CassandraSink final : public RowSink {
 public:
  CassandraSink(std::unique_ptr<cql::Session> session, CassandraTarget target)
      : session_(std::move(session)), target_(std::move(target)) {}
  ~CassandraSink() override {
    (void)Finish();
    session_->Shutdown();
  }

  Status Begin(const std::string& table, const std::vector<std::string>& columns) override {
    std::string cql = "INSERT INTO " + QuoteIdentifier(table) + " (";
    std::string marks;
    for (size_t i = 0; i < columns.size(); ++i) {
      cql += (i ? ", " : "") + QuoteIdentifier(columns[i]);
      marks += i ? ", ?" : "?";
    }
    cql += ") VALUES (" + marks + ")";
    auto prepared = session_->Prepare(cql, 30s);
    if (!prepared.ok()) {
      return Status::InvalidArgument("cannot insert into " + target_.keyspace + "." + table + ": " +
                                     std::string(prepared.status().message()));
    }
    prepared_ = std::move(prepared).value();
    return Status();
  }

  void Write(std::vector<store::Value> row, std::function<void(Status)> done) override {
    std::string values;
    cql::ExecuteOptions options;
    options.consistency = cql::Consistency::kLocalQuorum;
    options.idempotent = true;  // a plain INSERT is an upsert: running it twice is harmless
    if (Status s = cql::Session::BindValues(*prepared_, row, &values, &options.routing_key);
        !s.ok()) {
      done(s);
      return;
    }
    {
      MutexLock lock(mu_);
      ++in_flight_;
    }
    session_->Execute(prepared_, std::move(values), static_cast<uint16_t>(row.size()),
                      std::move(options), std::chrono::steady_clock::now() + 30s,
                      [this, done = std::move(done)](Result<cql::ResultMessage> r) {
                        done(r.status());
                        MutexLock lock(mu_);
                        if (--in_flight_ == 0) idle_.NotifyAll();
                      });
  }

  size_t concurrency() const override { return static_cast<size_t>(target_.concurrency); }

  Status Finish() override {
    MutexLock lock(mu_);
    idle_.Wait(mu_, [this]() SHOAL_REQUIRES(mu_) { return in_flight_ == 0; });
    return Status();
  }

 private:
  std::unique_ptr<cql::Session> session_;
  const CassandraTarget target_;
  std::shared_ptr<const cql::PreparedStatement> prepared_;
  Mutex mu_;
  CondVar idle_;
  size_t in_flight_ SHOAL_GUARDED_BY(mu_) = 0;
};

}  // namespace

Result<std::unique_ptr<RowSink>> OpenCassandraSink(const CassandraTarget& target) {
  cql::SessionOptions o;
  o.contact_points = {target.host + ":" + std::to_string(target.port)};
  o.keyspace = target.keyspace;
  o.user = target.user;
  o.password = target.password;
  o.connections_per_node = 2;
  auto session = cql::Session::Open(o);
  if (!session.ok()) return session.status();
  return std::unique_ptr<RowSink>(new CassandraSink(std::move(session).value(), target));
}

}  // namespace shoal::cli

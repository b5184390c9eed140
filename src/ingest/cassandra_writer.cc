// The Cassandra writer: see cassandra_writer.h.
#include "ingest/cassandra_writer.h"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/host_port.h"
#include "base/mutex.h"
#include "ingest/column_type.h"
#include "ingest/writer_internal.h"
#include "store/cassandra/cql_session.h"

namespace shoal::ingest {
namespace {

namespace cql = store::cassandra;
using namespace std::chrono_literals;

ColumnKind CqlColumnKind(cql::TypeId id) {
  switch (id) {
    case cql::TypeId::kTinyint:
    case cql::TypeId::kSmallint:
    case cql::TypeId::kInt:
    case cql::TypeId::kBigint:
    case cql::TypeId::kCounter:
    case cql::TypeId::kVarint:
      return ColumnKind::kInteger;
    case cql::TypeId::kDouble:
    case cql::TypeId::kFloat:
      return ColumnKind::kReal;
    default:
      return ColumnKind::kAny;  // AppendBoundValue converts (or refuses) the rest
  }
}

class CassandraWriter final : public RowWriter {
 public:
  CassandraWriter(std::unique_ptr<cql::Session> session, CassandraTarget target)
      : session_(std::move(session)), target_(std::move(target)) {}
  ~CassandraWriter() override {
    (void)Finish();
    session_->Shutdown();
  }

  Status Begin(const std::string& table, const std::vector<std::string>& columns,
               bool values_are_text) override {
    // An INSERT in CQL is an upsert.
    const std::string query = internal::InsertStatement("INSERT INTO", table, columns);
    auto prepared = session_->Prepare(query, 30s);
    if (!prepared.ok()) {
      return Status::InvalidArgument("cannot insert into " + target_.keyspace + "." + table + ": " +
                                     std::string(prepared.status().message()));
    }
    prepared_ = std::move(prepared).value();
    columns_.clear();
    for (size_t i = 0; i < columns.size() && i < prepared_->result.bind_columns.size(); ++i) {
      const cql::CqlType& type = prepared_->result.bind_columns[i].type;
      columns_.push_back({columns[i], type.ToString(), CqlColumnKind(type.id())});
    }
    text_ = values_are_text;
    return Status::Ok();
  }

  void Write(std::vector<store::Value> row, std::function<void(Status)> done) override {
    if (Status s = ConvertRow(&row, columns_, text_); !s.ok()) return done(s);
    std::string values;
    cql::ExecuteOptions options;
    options.consistency = cql::Consistency::kLocalQuorum;
    options.idempotent = true;  // a plain INSERT is an upsert: running it twice is harmless
    if (Status s = cql::Session::BindValues(*prepared_, row, &values, &options.routing_key);
        !s.ok()) {
      return done(s);
    }
    {
      MutexLock lock(mu_);
      ++in_flight_;
    }
    // `this` outlives the callback: Finish (and so the destructor) waits for in_flight_ to
    // reach 0, which the callback's last step does.
    session_->Execute(prepared_, std::move(values), static_cast<uint16_t>(row.size()),
                      std::move(options), std::chrono::steady_clock::now() + 30s,
                      [this, done = std::move(done)](const Result<cql::ResultMessage>& r) {
                        done(r.status());
                        MutexLock lock(mu_);
                        if (--in_flight_ == 0) idle_.NotifyAll();
                      });
  }

  size_t concurrency() const override { return static_cast<size_t>(target_.concurrency); }
  const std::vector<TargetColumn>* target_columns() const override { return &columns_; }

  Status Finish() override {
    MutexLock lock(mu_);
    idle_.Wait(mu_, [this]() SHOAL_REQUIRES(mu_) { return in_flight_ == 0; });
    return Status::Ok();
  }

 private:
  std::unique_ptr<cql::Session> session_;
  const CassandraTarget target_;
  std::shared_ptr<const cql::PreparedStatement> prepared_;
  std::vector<TargetColumn> columns_;  // in Begin's order, with the bind markers' types
  bool text_ = false;                  // the source's values_are_text
  Mutex mu_;
  CondVar idle_;
  size_t in_flight_ SHOAL_GUARDED_BY(mu_) = 0;
};

}  // namespace

Result<std::unique_ptr<RowWriter>> OpenCassandraWriter(const CassandraTarget& target) {
  cql::SessionOptions o;
  o.contact_points = {FormatHostPort(target.host, target.port)};
  o.keyspace = target.keyspace;
  o.user = target.user;
  o.password = target.password;
  o.connections_per_node = 2;
  auto session = cql::Session::Open(o);
  if (!session.ok()) return session.status();
  return std::unique_ptr<RowWriter>(new CassandraWriter(std::move(session).value(), target));
}

}  // namespace shoal::ingest

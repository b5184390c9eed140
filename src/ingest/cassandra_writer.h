// The Cassandra writer: prepared INSERTs (upserts) with many in flight, over the CQL session
// (store/cassandra/cql_session.h).
//
// Each row is converted by the bind markers' types (column_type.h: tinyint, smallint, int,
// bigint, counter and varint as integers; double and float as reals; others as
// cql_types.h's AppendBoundValue converts them), bound, and sent at LOCAL_QUORUM, marked
// idempotent (a plain INSERT is an upsert, so a retry is harmless). At most
// target.concurrency writes are in flight.
//
// Ownership: owns its session. Thread-safety: Begin, Write and Finish from one thread; `done`
// runs on a session I/O thread.
#pragma once

#include <memory>

#include "base/status.h"
#include "ingest/target.h"
#include "ingest/writer.h"

namespace shoal::ingest {

// OpenCassandraWriter connects to the cluster (errors: no node answers, a refused login or
// keyspace).
Result<std::unique_ptr<RowWriter>> OpenCassandraWriter(const CassandraTarget& target);

}  // namespace shoal::ingest

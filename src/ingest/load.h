// Load: runs a RowSource into a RowWriter. Each row goes to the writer with at most
// writer.concurrency() writes unfinished; rows that do not parse (the source's error) or that
// the writer rejects (a value that does not fit its column, a constraint) are counted and the
// reasons of the lowest lines kept; the load goes on. Progress is reported through a callback
// after each record, on the calling thread, so the caller decides how often to show it.
//
// Thread-safety: LoadRows serialises its own counting against the writer's `done` callbacks,
// which may run on any thread; call it from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ingest/source.h"
#include "ingest/writer.h"

namespace shoal::ingest {

// Reject is one rejected record: the line it starts on and why.
struct Reject {
  size_t line = 0;
  std::string reason;
  bool operator<(const Reject& o) const { return line < o.line; }
};

struct LoadReport {
  static constexpr size_t kMaxReasons = 10;
  // The store failures in a row (writer.h) that stop a load: enough that a transient refusal
  // (an overloaded node, one timeout) does not, few enough that a full disk or a cluster that
  // is down costs one reason, not a reject for every row that follows.
  static constexpr uint64_t kStopAfter = 100;

  uint64_t written = 0;
  uint64_t rejected = 0;
  std::vector<Reject> first_rejects;  // the lowest lines, sorted, at most kMaxReasons
  Status finish;                      // what writer.Finish() returned
  Status stopped;  // why the load stopped early (the store, or a source that cannot go on)
};

// Progress gets the rows written so far and the source's bytes read so far.
using Progress = std::function<void(uint64_t rows, uint64_t bytes)>;

// LoadRows moves every row of `source` into `writer`, keeping at most writer.concurrency()
// writes unfinished, then calls writer.Finish(). `progress` is called after each record. The
// load stops early when kStopAfter writes in a row fail by the store's fault (Unavailable or
// DeadlineExceeded, writer.h), or when the source fails with Unavailable (it cannot go on): no
// further row is read or written, the writes in flight finish, and `stopped` says why.
// REQUIRES: writer.Begin(table, source.columns(), source.values_are_text()) succeeded.
LoadReport LoadRows(RowSource& source, RowWriter& writer, const Progress& progress);

// Load begins `writer` on `table` with the source's columns, then runs LoadRows. An error is
// Begin's (no such table or column): nothing was written.
Result<LoadReport> Load(RowSource& source, RowWriter& writer, const std::string& table,
                        const Progress& progress);

}  // namespace shoal::ingest

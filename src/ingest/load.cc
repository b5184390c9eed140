// LoadRows and Load: see load.h.
#include "ingest/load.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "base/mutex.h"

namespace shoal::ingest {

LoadReport LoadRows(RowSource& source, RowWriter& writer, const Progress& progress) {
  // Shared with the writer's callbacks, which may run on its threads. Finish returns only
  // after every callback has run, and the wait below covers a writer that calls back late, so
  // `shared` outlives them all.
  struct Shared {
    Mutex mu;
    CondVar changed;
    size_t in_flight SHOAL_GUARDED_BY(mu) = 0;
    LoadReport report SHOAL_GUARDED_BY(mu);

    uint64_t store_failures_in_a_row SHOAL_GUARDED_BY(mu) = 0;

    // Counts a write's outcome towards the stop (load.h): kStopAfter store failures in a row.
    void Count(const Status& s) SHOAL_REQUIRES(mu) {
      const bool store =
          s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
      store_failures_in_a_row = store ? store_failures_in_a_row + 1 : 0;
      if (store_failures_in_a_row >= LoadReport::kStopAfter && report.stopped.ok()) {
        report.stopped = s;
      }
    }

    // Keeps the kMaxReasons lowest lines: with writes in flight, rejects arrive out of order.
    void AddReject(size_t line, std::string_view reason) SHOAL_REQUIRES(mu) {
      ++report.rejected;
      auto& rejects = report.first_rejects;
      rejects.push_back({line, std::string(reason)});
      if (rejects.size() > LoadReport::kMaxReasons) {
        rejects.erase(std::max_element(rejects.begin(), rejects.end()));
      }
    }
  } shared;
  const size_t limit = std::max<size_t>(1, writer.concurrency());
  for (;;) {
    {
      MutexLock lock(shared.mu);
      if (!shared.report.stopped.ok()) break;
    }
    std::vector<store::Value> row;
    size_t line = 0;
    Result<bool> more = source.Next(&row, &line);
    uint64_t written = 0;
    if (!more.ok()) {
      MutexLock lock(shared.mu);
      shared.AddReject(line, more.status().message());
      // A source that cannot go on (Solr unreachable mid-load) stops the load at once.
      if (more.status().code() == StatusCode::kUnavailable && shared.report.stopped.ok()) {
        shared.report.stopped = more.status();
      }
      written = shared.report.written;
    } else if (!*more) {
      break;
    } else {
      {
        MutexLock lock(shared.mu);
        shared.changed.Wait(shared.mu, [&]() SHOAL_REQUIRES(shared.mu) {
          return shared.in_flight < limit || !shared.report.stopped.ok();
        });
        if (!shared.report.stopped.ok()) break;  // this row is not written: the load stopped
        ++shared.in_flight;
      }
      // Not under the lock: the writer may call `done` inline.
      writer.Write(std::move(row), [&shared, line](const Status& s) {
        MutexLock lock(shared.mu);
        if (s.ok()) {
          ++shared.report.written;
        } else {
          shared.AddReject(line, s.message());
        }
        shared.Count(s);
        --shared.in_flight;
        shared.changed.NotifyAll();
      });
      MutexLock lock(shared.mu);
      written = shared.report.written;
    }
    progress(written, source.bytes_read());
  }
  Status finish = writer.Finish();
  MutexLock lock(shared.mu);
  shared.changed.Wait(shared.mu, [&]() SHOAL_REQUIRES(shared.mu) { return shared.in_flight == 0; });
  LoadReport report = std::move(shared.report);
  report.finish = std::move(finish);
  std::sort(report.first_rejects.begin(), report.first_rejects.end());
  return report;
}

Result<LoadReport> Load(RowSource& source, RowWriter& writer, const std::string& table,
                        const Progress& progress) {
  if (Status s = writer.Begin(table, source.columns(), source.values_are_text()); !s.ok()) {
    return s;
  }
  return LoadRows(source, writer, progress);
}

}  // namespace shoal::ingest

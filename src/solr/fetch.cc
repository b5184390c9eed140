#include "solr/fetch.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/json.h"
#include "solr/filestream.h"
#include "solr/lucene_footer.h"
#include "solr/replication.h"

namespace shoal::solr {
namespace {

namespace fs = std::filesystem;

// Failed: a status and the kind of failure it is.
struct Failed {
  Status status;
  FetchFailure kind = FetchFailure::kNone;
  bool ok() const { return status.ok(); }
};

Failed Solr(Status st) { return {std::move(st), FetchFailure::kSolr}; }
Failed Disk(const std::string& path, const std::string& what, int err) {
  return {Status::Unavailable(path + ": " + what + ": " + ErrnoText(err)), FetchFailure::kDisk};
}

// Judge turns an HTTP answer that is not 200 into the error it means.
Status Judge(const Answer& a, const FetchOptions& o, std::string_view what) {
  if (a.status == 200) return Status::Ok();
  const std::string at = o.url.ToString();
  if (a.status == 401 || a.status == 403) {
    return Status::Unavailable("Solr at " + at + " refused the credentials (HTTP " +
                               std::to_string(a.status) + ")" +
                               (o.client.user.empty() ? ": it wants --user" : ""));
  }
  if (a.status == 404) {
    return Status::NotFound("no core '" + o.core + "' with a replication handler at " + at +
                            " (HTTP 404)");
  }
  return Status::Unavailable("Solr's " + std::string(what) + " at " + at + " answered HTTP " +
                             std::to_string(a.status));
}

struct Task {
  IndexFile file;
  bool conf = false;
  std::string path;  // the final name in the copy
};

std::string Query(const FetchOptions& o, std::string_view rest) {
  return "/" + PercentEncode(o.core) + "/replication?" + std::string(rest);
}

// WriteAll writes `bytes` to `fd` whole.
bool WriteAll(int fd, std::string_view bytes, int* err) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The shared state of one pass over a generation's files.
struct Pass {
  const FetchOptions* options = nullptr;
  int64_t generation = 0;
  std::vector<Task> tasks;
  std::mutex mu;
  size_t next = 0;               // guarded by mu
  Failed failure;                // the first failure; guarded by mu
  bool generation_gone = false;  // a file request found the generation released; guarded by mu
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> bytes_fetched{0};
  std::atomic<size_t> files_done{0};
  std::atomic<size_t> files_fetched{0};
  std::atomic<size_t> files_refetched{0};
  std::vector<std::string> notices;  // guarded by mu; said by the calling thread

  void Fail(Failed f) {
    std::lock_guard lock(mu);
    if (failure.ok()) failure = std::move(f);
    stop = true;
  }
  void Notice(std::string line) {
    std::lock_guard lock(mu);
    notices.push_back(std::move(line));
  }
};

// Verify checks a copied file: an index file by its size and Lucene footer (against the
// listed checksum too); a configuration file by its size (Solr lists no footer CRC for it).
Status Verify(const Task& t, const std::string& path) {
  if (t.conf) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Status::NotFound(path + ": missing");
    if (st.st_size != t.file.size) {
      return Status::InvalidArgument(path + ": " + std::to_string(st.st_size) +
                                     " bytes, expected " + std::to_string(t.file.size));
    }
    return Status::Ok();
  }
  return CheckFooter(path, t.file.size, t.file.checksum);
}

// Download streams the task's bytes from `offset` into its .part file. An error names the
// file; a stream that ends early with nothing to say is the generation gone (NotFound).
Failed Download(HttpClient& client, Pass& pass, const Task& t, uint64_t offset) {
  const std::string part = t.path + ".part";
  const int fd =
      ::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (offset == 0 ? O_TRUNC : 0), 0644);
  if (fd < 0) return Disk(part, "cannot open", errno);
  if (offset > 0 && ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    const int err = errno;
    ::close(fd);
    return Disk(part, "cannot seek", err);
  }
  int write_error = 0;
  FileStreamDecoder decoder(true, [&](std::string_view piece) {
    if (pass.stop.load(std::memory_order_relaxed)) return Status::Cancelled("stopped");
    if (!WriteAll(fd, piece, &write_error)) return Status::Unavailable("write failed");
    pass.bytes_done += piece.size();
    pass.bytes_fetched += piece.size();
    return Status::Ok();
  });
  const std::string target =
      Query(*pass.options,
            std::string(t.conf ? "command=filecontent&cf=" : "command=filecontent&file=") +
                PercentEncode(t.file.name) + "&generation=" + std::to_string(pass.generation) +
                "&wt=filestream&checksum=true&offset=" + std::to_string(offset));
  Result<Answer> a =
      client.Stream(target, [&](std::string_view bytes) { return decoder.Feed(bytes); });
  const int close_rc = ::close(fd);
  if (write_error != 0) return Disk(part, "cannot write", write_error);
  if (close_rc != 0) return Disk(part, "cannot close", errno);
  if (!a.ok()) {
    if (a.status().code() == StatusCode::kInvalidArgument) {  // the decoder's: broken packets
      return {Status::InvalidArgument(t.file.name + ": " + std::string(a.status().message())),
              FetchFailure::kVerify};
    }
    return Solr(a.status());
  }
  if (Status st = Judge(*a, *pass.options, "file stream"); !st.ok()) return Solr(st);
  if (!decoder.done()) {
    return {Status::NotFound(t.file.name + ": Solr sent no file (generation " +
                             std::to_string(pass.generation) + " released?)"),
            FetchFailure::kSolr};
  }
  return {};
}

// CopyOne brings one task's file into place: kept when already whole, else fetched (resumed
// from a .part when there is one), verified, fetched again once from the start when that
// fails, and renamed.
Failed CopyOne(HttpClient& client, Pass& pass, const Task& t) {
  const std::string part = t.path + ".part";
  struct stat st {};
  if (::stat(t.path.c_str(), &st) == 0 && Verify(t, t.path).ok()) {
    pass.bytes_done += static_cast<uint64_t>(t.file.size);
    return {};
  }
  uint64_t offset = 0;
  if (pass.options->resume && ::stat(part.c_str(), &st) == 0 && st.st_size <= t.file.size) {
    offset = static_cast<uint64_t>(st.st_size);
    pass.bytes_done += offset;
  }
  for (int attempt = 0;; ++attempt) {
    Failed f = Download(client, pass, t, offset);
    if (f.ok()) {
      Status v = Verify(t, part);
      if (v.ok()) break;
      f = {std::move(v), FetchFailure::kVerify};
    }
    if (f.kind != FetchFailure::kVerify || attempt > 0) return f;
    pass.Notice(t.file.name + ": " + std::string(f.status.message()) + "; fetching it again");
    pass.files_refetched++;
    offset = 0;
  }
  if (::rename(part.c_str(), t.path.c_str()) != 0) return Disk(t.path, "cannot rename", errno);
  pass.files_fetched++;
  return {};
}

// ListFiles asks Solr for the files of `generation`: nullopt when Solr no longer has it.
Result<std::optional<FileList>> ListFiles(HttpClient& client, const FetchOptions& o,
                                          int64_t generation) {
  Result<Answer> a = client.Get(
      Query(o, "command=filelist&generation=" + std::to_string(generation) + "&wt=json"));
  if (!a.ok()) return a.status();
  if (Status st = Judge(*a, o, "filelist"); !st.ok()) return st;
  Result<FileList> list = ParseFileList(a->body);
  if (list.ok()) return std::optional<FileList>(std::move(list).value());
  if (list.status().code() == StatusCode::kNotFound) return std::optional<FileList>();
  return list.status();
}

void Worker(Pass& pass, const FetchOptions& o) {
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Make(o.url, o.client);
  if (!client.ok()) return pass.Fail(Solr(client.status()));
  for (;;) {
    size_t i = 0;
    {
      std::lock_guard lock(pass.mu);
      if (pass.stop || pass.next == pass.tasks.size()) return;
      i = pass.next++;
    }
    Failed f = CopyOne(**client, pass, pass.tasks[i]);
    if (!f.ok()) {
      if (f.status.code() == StatusCode::kNotFound && f.kind == FetchFailure::kSolr) {
        std::lock_guard lock(pass.mu);
        pass.generation_gone = true;
      }
      return pass.Fail(std::move(f));
    }
    pass.files_done++;
  }
}

std::string ManifestOf(const FetchOptions& o, int64_t generation, int64_t version,
                       const std::vector<Task>& tasks) {
  std::string out = "{\n  \"url\": ";
  AppendJsonString(out, o.url.ToString());
  out += ",\n  \"core\": ";
  AppendJsonString(out, o.core);
  out += ",\n  \"generation\": " + std::to_string(generation) +
         ",\n  \"version\": " + std::to_string(version) + ",\n  \"files\": [";
  bool first = true;
  for (const Task& t : tasks) {
    out += first ? "\n    {\"name\": " : ",\n    {\"name\": ";
    first = false;
    AppendJsonString(out, t.conf ? "conf/" + t.file.name : t.file.name);
    out += ", \"size\": " + std::to_string(t.file.size);
    if (t.file.checksum >= 0) out += ", \"checksum\": " + std::to_string(t.file.checksum);
    out += "}";
  }
  out += "\n  ]\n}\n";
  return out;
}

// WriteManifest writes through a temporary name, syncs it and the directory, then renames.
Failed WriteManifest(const std::string& dir, const std::string& text) {
  const std::string final_path = dir + "/" + kManifestName;
  const std::string tmp = final_path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Disk(tmp, "cannot open", errno);
  int err = 0;
  const bool wrote = WriteAll(fd, text, &err) && (::fsync(fd) == 0 || (err = errno, false));
  ::close(fd);
  if (!wrote) return Disk(tmp, "cannot write", err);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0)
    return Disk(final_path, "cannot rename", errno);
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return {};
}

// Prepare makes the directory ready: created when absent; without resume it must be empty; an
// earlier copy's manifest goes first (the directory is no longer a complete copy from then on).
Failed Prepare(const FetchOptions& o) {
  std::error_code ec;
  fs::create_directories(o.out + (o.conf ? "/conf" : ""), ec);
  if (ec) return Disk(o.out, "cannot create", ec.value());
  if (!o.resume) {
    for (const auto& e : fs::directory_iterator(o.out, ec)) {
      if (e.path().filename() == "conf" && o.conf && fs::is_empty(e.path())) continue;
      return {Status::InvalidArgument(o.out + " is not empty: give --resume to continue or "
                                              "update a copy there, or another directory"),
              FetchFailure::kUsage};
    }
    if (ec) return Disk(o.out, "cannot list", ec.value());
  }
  const std::string manifest = o.out + "/" + kManifestName;
  if (::unlink(manifest.c_str()) != 0 && errno != ENOENT)
    return Disk(manifest, "cannot remove", errno);
  return {};
}

// RemoveObsolete removes the files of the directory (and conf/) that the copy does not list:
// an earlier generation's, and stray .part files.
void RemoveObsolete(const FetchOptions& o, const std::vector<Task>& tasks) {
  std::unordered_set<std::string> keep;
  for (const Task& t : tasks) keep.insert(t.path);
  std::vector<std::string> dirs = {o.out};
  if (o.conf) dirs.push_back(o.out + "/conf");  // without --conf, conf/ is not the copy's
  for (const std::string& dir : dirs) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (!e.is_regular_file(ec) || keep.count(e.path().string()) != 0) continue;
      if (e.path().filename() == kManifestName) continue;
      fs::remove(e.path(), ec);
    }
  }
}

Result<IndexVersion> AskLatest(HttpClient& client, const FetchOptions& o) {
  Result<Answer> a = client.Get(Query(o, "command=indexversion&wt=json"));
  if (!a.ok()) return a.status();
  if (Status st = Judge(*a, o, "indexversion"); !st.ok()) return st;
  return ParseIndexVersion(a->body);
}

}  // namespace

FetchReport Fetch(const FetchOptions& o) {
  FetchReport report;
  const auto started = std::chrono::steady_clock::now();
  auto finish = [&](Failed f) {
    report.status = std::move(f.status);
    report.failure = report.status.ok() ? FetchFailure::kNone : f.kind;
    report.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
  };
  if (o.core.empty() || !IsPlainFileName(o.core)) {
    return finish({Status::InvalidArgument("--core must name a core"), FetchFailure::kUsage});
  }
  Result<std::unique_ptr<HttpClient>> made = HttpClient::Make(o.url, o.client);
  if (!made.ok()) return finish({made.status(), FetchFailure::kUsage});
  HttpClient& client = **made;
  // Solr first: a URL that is not Solr, or a core that is not there, leaves no directory.
  Result<IndexVersion> latest = AskLatest(client, o);
  if (!latest.ok()) return finish(Solr(latest.status()));
  if (Failed f = Prepare(o); !f.ok()) return finish(std::move(f));
  for (;;) {
    report.generation = latest->generation;
    report.version = latest->version;
    Result<std::optional<FileList>> list = ListFiles(client, o, latest->generation);
    if (!list.ok()) return finish(Solr(list.status()));
    bool gone = !list->has_value();

    Pass pass;
    pass.options = &o;
    pass.generation = latest->generation;
    if (!gone) {
      for (IndexFile& f : (*list)->files) {
        const std::string path = o.out + "/" + f.name;
        pass.tasks.push_back({std::move(f), false, path});
      }
      if (o.conf) {
        for (IndexFile& f : (*list)->conf_files) {
          const std::string path = o.out + "/conf/" + f.name;
          pass.tasks.push_back({std::move(f), true, path});
        }
      }
      uint64_t total = 0;
      for (const Task& t : pass.tasks) total += static_cast<uint64_t>(t.file.size);
      report.files = pass.tasks.size();
      report.bytes = total;
      const size_t workers =
          std::min<size_t>(static_cast<size_t>(std::max(o.parallel, 1)), pass.tasks.size());
      std::vector<std::thread> threads;
      for (size_t i = 0; i < workers; ++i) threads.emplace_back([&pass, &o] { Worker(pass, o); });
      // Progress and notices from this thread, until the workers are done.
      for (bool running = !threads.empty(); running;) {
        std::this_thread::sleep_for(o.progress_every);
        std::vector<std::string> said;
        {
          std::lock_guard lock(pass.mu);
          running = pass.files_done.load() < pass.tasks.size() && !pass.stop;
          said.swap(pass.notices);
        }
        for (const std::string& line : said) {
          if (o.on_notice) o.on_notice(line);
        }
        if (o.on_progress) {
          o.on_progress(
              {.bytes_done = pass.bytes_done,
               .bytes_total = total,
               .files_done = pass.files_done,
               .files_total = pass.tasks.size(),
               .seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                              .count()});
        }
      }
      for (std::thread& t : threads) t.join();
      for (const std::string& line : pass.notices) {
        if (o.on_notice) o.on_notice(line);
      }
      report.files_fetched += pass.files_fetched;
      report.files_refetched += pass.files_refetched;
      report.bytes_fetched += pass.bytes_fetched;
      gone = pass.generation_gone;
      if (!pass.failure.ok() && !gone && pass.failure.kind == FetchFailure::kSolr) {
        // Solr 9.10 answers a file of a released generation with HTTP 500 ("too old to be
        // saved"), not an empty stream: whether the generation is still there, its list says.
        Result<std::optional<FileList>> still = ListFiles(client, o, pass.generation);
        gone = still.ok() && !still->has_value();
      }
      if (!pass.failure.ok() && !gone) return finish(std::move(pass.failure));
    }
    // Done with this generation, or Solr released it: where is the index now?
    Result<IndexVersion> now = AskLatest(client, o);
    if (!now.ok()) return finish(Solr(now.status()));
    report.latest_generation = now->generation;
    const bool moved = now->generation != latest->generation;
    if (!gone && (!moved || !o.restart_on_new_generation)) {
      if (moved && o.on_notice) {
        o.on_notice("the index moved to generation " + std::to_string(now->generation) +
                    " during the copy; this copy is generation " +
                    std::to_string(latest->generation) + ", complete");
      }
      RemoveObsolete(o, pass.tasks);
      return finish(
          WriteManifest(o.out, ManifestOf(o, latest->generation, latest->version, pass.tasks)));
    }
    if (!moved) {
      return finish(
          {Status::Unavailable("Solr released generation " + std::to_string(latest->generation) +
                               " but reports no newer one"),
           FetchFailure::kSolr});
    }
    if (++report.restarts > o.max_restarts) {
      return finish(
          {Status::Unavailable("the index kept moving: " + std::to_string(report.restarts - 1) +
                               " restarts, now at generation " + std::to_string(now->generation)),
           FetchFailure::kMoving});
    }
    if (o.on_notice) {
      o.on_notice("the index moved from generation " + std::to_string(latest->generation) + " to " +
                  std::to_string(now->generation) + (gone ? " and Solr released the old one" : "") +
                  "; copying the new one (files already copied are kept)");
    }
    latest = now;
  }
}

}  // namespace shoal::solr

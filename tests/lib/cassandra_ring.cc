// Ring control through scripts/cassandra-ring.sh: see cassandra_ring.h. The script runs under
// /bin/sh via std::system with its output sent to a temporary file: it starts Cassandra nodes
// in sessions of their own, which must outlive it and this test process.
#include "cassandra_ring.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include <sys/wait.h>

#include "shoal_process.h"

#ifndef SHOAL_SOURCE_DIR
#error "SHOAL_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace shoal::testing {
namespace {

// NOLINTBEGIN(concurrency-mt-unsafe): tests read the environment, nothing writes it.
std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}
// NOLINTEND(concurrency-mt-unsafe)

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string LastLine(const std::string& text) {
  std::vector<std::string> lines = Split(text, '\n');
  return lines.empty() ? "" : lines.back();
}

}  // namespace

std::optional<CassandraRing> CassandraRing::FromEnvironment() {
  const std::string ring = Env("SHOAL_CASSANDRA_RING");
  if (ring.empty()) return std::nullopt;
  std::string script = Env("SHOAL_CASSANDRA_RING_SCRIPT");
  if (script.empty()) script = std::string(SHOAL_SOURCE_DIR) + "/scripts/cassandra-ring.sh";
  return CassandraRing(Split(ring, ','), script);
}

bool CassandraRing::Required() { return Env("SHOAL_REQUIRE_CASSANDRA_RING") == "1"; }

ScriptRun CassandraRing::Run(const std::vector<std::string>& args) const {
  TempDir dir;
  const std::string log = dir.File("script.log");
  std::string command = ShellQuote(script_);
  for (const std::string& a : args) command += " " + ShellQuote(a);
  command += " >" + ShellQuote(log) + " 2>&1";
  ScriptRun run;
  const auto start = std::chrono::steady_clock::now();
  // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe): a fixed script, arguments quoted.
  const int rc = std::system(command.c_str());
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  run.output = ReadFile(log);
  return run;
}

Result<std::vector<RingNode>> CassandraRing::Nodes() const {
  ScriptRun run = Run({"nodes"});
  if (run.exit_code != 0) {
    return Status::Internal("cassandra-ring.sh nodes failed: " + run.output);
  }
  std::vector<RingNode> nodes;
  for (const std::string& line : Split(run.output, '\n')) {
    std::istringstream in(line);
    RingNode n;
    std::string pid;
    if (!(in >> n.index >> n.address >> n.dc >> n.rack >> pid >> n.state)) {
      return Status::Internal("unexpected line from cassandra-ring.sh nodes: " + line);
    }
    n.pid = pid == "-" ? -1 : static_cast<pid_t>(std::atoi(pid.c_str()));
    nodes.push_back(n);
  }
  return nodes;
}

Result<RingNode> CassandraRing::NodeAt(std::string_view address) const {
  Result<std::vector<RingNode>> nodes = Nodes();
  if (!nodes.ok()) return nodes.status();
  for (const RingNode& n : *nodes) {
    if (n.address == address) return n;
  }
  return Status::NotFound("no ring node at " + std::string(address));
}

Result<std::string> CassandraRing::Cql(int index,
                                       const std::vector<std::string>& statements) const {
  std::vector<std::string> args = {"cql", std::to_string(index)};
  args.insert(args.end(), statements.begin(), statements.end());
  ScriptRun run = Run(args);
  if (run.exit_code != 0) return Status::Internal("cassandra-ring.sh cql failed: " + run.output);
  return run.output;
}

Status CassandraRing::Verb(const std::string& verb, int index, ScriptRun* out) const {
  ScriptRun run = Run({verb, std::to_string(index)});
  if (out != nullptr) *out = run;
  if (run.exit_code != 0) {
    return Status::Internal("cassandra-ring.sh " + verb + " " + std::to_string(index) +
                            " failed (exit " + std::to_string(run.exit_code) + "): " + run.output);
  }
  return Status();
}

Result<std::string> CassandraRing::Add(ScriptRun* out) const {
  ScriptRun run = Run({"add"});
  if (out != nullptr) *out = run;
  if (run.exit_code != 0) {
    return Status::Internal("cassandra-ring.sh add failed (exit " + std::to_string(run.exit_code) +
                            "): " + run.output);
  }
  return LastLine(run.output);
}

std::string Label(std::string_view labels, std::string_view key) {
  const std::string needle = std::string(key) + "=\"";
  size_t at = labels.find(needle);
  // A match must start the label text or follow a separator ("node" must not match "xnode").
  while (at != std::string_view::npos && at > 0 && labels[at - 1] != '{' && labels[at - 1] != ',') {
    at = labels.find(needle, at + 1);
  }
  if (at == std::string_view::npos) return "";
  const size_t begin = at + needle.size();
  const size_t end = labels.find('"', begin);
  if (end == std::string_view::npos) return "";
  return std::string(labels.substr(begin, end - begin));
}

std::map<std::string, double> NodeSamples(std::string_view exposition, std::string_view name) {
  std::map<std::string, double> out;
  size_t at = 0;
  while (at < exposition.size()) {
    size_t eol = exposition.find('\n', at);
    if (eol == std::string_view::npos) eol = exposition.size();
    const std::string_view line = exposition.substr(at, eol - at);
    at = eol + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name ||
        line[name.size()] != '{') {
      continue;
    }
    const size_t close = line.find('}', name.size());
    if (close == std::string_view::npos) continue;
    const std::string node = Label(line.substr(name.size(), close - name.size() + 1), "node");
    if (node.empty()) continue;
    out[node] = std::strtod(std::string(line.substr(close + 1)).c_str(), nullptr);
  }
  return out;
}

}  // namespace shoal::testing

// shoal: the command line. Subcommands parse their flags, load or build a Config and hand it
// to RunServe; no logic of its own beyond argument handling lives here.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/bench.h"
#include "cli/config.h"
#include "cli/demo_catalog.h"
#include "cli/demo_config.h"
#include "cli/load.h"
#include "cli/serve.h"
#include "cli/solr_fetch.h"
#include "cli/stats.h"
#include "cli/version.h"

namespace shoal::cli {
namespace {

constexpr char kUsage[] =
    "usage: shoal COMMAND [options]\n"
    "\n"
    "shoal serves the JSON endpoints a config file declares, straight from a database,\n"
    "answering from memory when it can.\n"
    "\n"
    "commands:\n"
    "  serve -c FILE         serve the endpoints of FILE (YAML)\n"
    "  check-config -c FILE  check FILE (and its queries against the database) and exit\n"
    "  openapi -c FILE       print the OpenAPI 3.1 document of FILE's endpoints (JSON)\n"
    "  demo                  generate a demo catalog in SQLite and serve it\n"
    "  load --to T --table T --from FILE   upsert JSONL or CSV rows into SQLite or Cassandra\n"
    "  solr-fetch URL --core C --out DIR   copy a Solr core's latest index, verified\n"
    "  bench URL --paths FILE  ramp virtual users against a server and report each step\n"
    "  stats URL             a node's live figures as a table (requests/s, hit ratio, p99)\n"
    "  help [COMMAND]        this text, or a command's options\n"
    "  --version             print the version and the git revision\n"
    "\n"
    "Run 'shoal COMMAND --help' for a command's options.\n";

constexpr char kServeUsage[] =
    "usage: shoal serve -c FILE\n"
    "\n"
    "Serve the endpoints declared in FILE until SIGTERM or SIGINT, which stop accepting,\n"
    "answer the requests in flight and exit 0. README.md has the config reference.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   the YAML config (required)\n"
    "  --log-level LEVEL   debug, info, warn, error or off (overrides log.level)\n"
    "  -h, --help          this text\n";

constexpr char kCheckUsage[] =
    "usage: shoal check-config -c FILE\n"
    "\n"
    "Check FILE: its syntax, every key and value, and every endpoint's query against the\n"
    "database it names (columns, parameters). Prints 'FILE: ok' and exits 0, or prints\n"
    "each problem as FILE:LINE: message and exits 1. Warnings (a secret in a file that\n"
    "others may read, cluster.insecure) go to stderr and do not fail the check.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   the YAML config (required)\n"
    "  --log-level LEVEL   debug, info, warn, error or off (overrides log.level)\n"
    "  -h, --help          this text\n";

constexpr char kOpenApiUsage[] =
    "usage: shoal openapi -c FILE\n"
    "\n"
    "Print the OpenAPI 3.1 document (JSON) of the endpoints declared in FILE, as a running\n"
    "'shoal serve' serves it at GET /_shoal/openapi.json: paths, parameters with their types,\n"
    "bounds and defaults, responses, and each answer's schema from the database's column\n"
    "types. Checks FILE as check-config does first: a problem is printed as FILE:LINE:\n"
    "message, with exit status 1.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   the YAML config (required)\n"
    "  --log-level LEVEL   debug, info, warn, error or off (overrides log.level)\n"
    "  -h, --help          this text\n";

constexpr char kDemoUsage[] =
    "usage: shoal demo [options]\n"
    "\n"
    "Write a demo catalog (items and reviews) to a SQLite file unless it exists, then serve\n"
    "the three catalog endpoints from it, exactly as 'shoal serve' would with the config\n"
    "that --print-config shows.\n"
    "\n"
    "options:\n"
    "  --dir DIR         where the catalog goes (default: data)\n"
    "  --items N         items to generate (default: 10000)\n"
    "  --seed N          generator seed (default: 42)\n"
    "  --listen H:P      address to serve on (default: 127.0.0.1:8080)\n"
    "  --regenerate      write the catalog even if it exists\n"
    "  --generate-only   write the catalog (unless it exists) and exit without serving\n"
    "  --print-config    print the config the demo serves and exit\n"
    "  --log-level LEVEL debug, info, warn, error or off (default: info)\n"
    "  -h, --help        this text\n";

int Usage(const char* text, int code) {
  std::fputs(text, code == 0 ? stdout : stderr);
  return code;
}

// FlagValue reads "--flag VALUE" or "--flag=VALUE" at args[*i]; advances *i past it.
bool FlagValue(const std::vector<std::string_view>& args, size_t* i, std::string_view name,
               std::string* out) {
  std::string_view a = args[*i];
  if (a == name) {
    if (*i + 1 >= args.size()) return false;
    *out = std::string(args[++*i]);
    return true;
  }
  if (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == '=') {
    *out = std::string(a.substr(name.size() + 1));
    return true;
  }
  return false;
}

int BadFlag(std::string_view command, std::string_view flag, const char* usage) {
  std::fprintf(stderr, "shoal %.*s: unknown or incomplete option '%.*s'\n\n",
               static_cast<int>(command.size()), command.data(), static_cast<int>(flag.size()),
               flag.data());
  return Usage(usage, 2);
}

// LogLevelFlag checks the value of --log-level; empty means "not given".
bool LogLevelFlag(std::string_view command, const std::string& value,
                  std::optional<LogLevel>* out) {
  if (value.empty()) return true;
  *out = ParseLogLevel(value);
  if (*out) return true;
  std::fprintf(stderr,
               "shoal %.*s: --log-level: expected debug, info, warn, error or off, got '%s'\n",
               static_cast<int>(command.size()), command.data(), value.c_str());
  return false;
}

// ConfigFlags parses the flags of serve and check-config into *path and *log_level. Returns
// false when the command is over (help shown, or a bad flag), with its exit code in *exit_code.
bool ConfigFlags(std::string_view command, const std::vector<std::string_view>& args,
                 const char* usage, std::string* path, std::optional<LogLevel>* log_level,
                 int* exit_code) {
  std::string level;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") {
      *exit_code = Usage(usage, 0);
      return false;
    }
    if (FlagValue(args, &i, "-c", path) || FlagValue(args, &i, "--config", path)) continue;
    if (FlagValue(args, &i, "--log-level", &level)) continue;
    *exit_code = BadFlag(command, args[i], usage);
    return false;
  }
  if (path->empty()) {
    std::fprintf(stderr, "shoal %.*s: -c FILE is required\n\n", static_cast<int>(command.size()),
                 command.data());
    *exit_code = Usage(usage, 2);
    return false;
  }
  if (!LogLevelFlag(command, level, log_level)) {
    *exit_code = 2;
    return false;
  }
  return true;
}

int Serve(const std::vector<std::string_view>& args) {
  std::string path;
  std::optional<LogLevel> log_level;
  int exit_code = 0;
  if (!ConfigFlags("serve", args, kServeUsage, &path, &log_level, &exit_code)) return exit_code;
  Result<Config> config = LoadConfig(path);
  if (!config.ok()) {
    std::fprintf(stderr, "shoal: %s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  if (log_level) config->log.level = *log_level;
  for (const std::string& w : config->warnings) {
    std::fprintf(stderr, "shoal: warning: %s\n", w.c_str());
  }
  return RunServe(*config, nullptr);
}

// LoadForCommand reads `-c FILE [--log-level L]` and the file for `command`: the config, or
// nullopt with *exit_code set (2 for a usage error, 1 for a config that does not load, whose
// error it printed). Warnings go to stderr.
std::optional<Config> LoadForCommand(std::string_view command,
                                     const std::vector<std::string_view>& args, const char* usage,
                                     std::string* path, int* exit_code) {
  std::optional<LogLevel> log_level;
  if (!ConfigFlags(command, args, usage, path, &log_level, exit_code)) return std::nullopt;
  Result<Config> config = LoadConfig(*path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    *exit_code = 1;
    return std::nullopt;
  }
  if (log_level) config->log.level = *log_level;
  for (const std::string& w : config->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  return std::move(config).value();
}

int CheckConfig(const std::vector<std::string_view>& args) {
  std::string path;
  int exit_code = 0;
  std::optional<Config> config =
      LoadForCommand("check-config", args, kCheckUsage, &path, &exit_code);
  if (!config) return exit_code;
  if (Status s = CheckAgainstStore(*config); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("%s: ok (%zu endpoints)\n", path.c_str(), config->api.endpoints.size());
  return 0;
}

int OpenApi(const std::vector<std::string_view>& args) {
  std::string path;
  int exit_code = 0;
  std::optional<Config> config = LoadForCommand("openapi", args, kOpenApiUsage, &path, &exit_code);
  if (!config) return exit_code;
  Result<std::string> document = OpenApiText(*config);
  if (!document.ok()) {
    std::fprintf(stderr, "%s\n", std::string(document.status().message()).c_str());
    return 1;
  }
  document->push_back('\n');
  if (std::fwrite(document->data(), 1, document->size(), stdout) != document->size() ||
      std::fflush(stdout) != 0) {
    std::fprintf(stderr, "shoal openapi: cannot write the document to stdout\n");
    return 1;
  }
  return 0;
}

int Demo(const std::vector<std::string_view>& args) {
  std::string dir = "data", items = "10000", seed = "42", listen = "127.0.0.1:8080", level;
  bool regenerate = false, print = false, generate_only = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") return Usage(kDemoUsage, 0);
    if (args[i] == "--regenerate") {
      regenerate = true;
      continue;
    }
    if (args[i] == "--generate-only") {
      generate_only = true;
      continue;
    }
    if (args[i] == "--print-config") {
      print = true;
      continue;
    }
    if (FlagValue(args, &i, "--dir", &dir) || FlagValue(args, &i, "--items", &items) ||
        FlagValue(args, &i, "--seed", &seed) || FlagValue(args, &i, "--listen", &listen) ||
        FlagValue(args, &i, "--log-level", &level)) {
      continue;
    }
    return BadFlag("demo", args[i], kDemoUsage);
  }
  char* end = nullptr;
  const long n_items = std::strtol(items.c_str(), &end, 10);
  if (*end != '\0' || n_items < 1 || n_items > 10000000) {
    std::fprintf(stderr, "shoal demo: --items: expected 1..10000000, got '%s'\n", items.c_str());
    return 2;
  }
  const unsigned long long n_seed = std::strtoull(seed.c_str(), &end, 10);
  if (*end != '\0') {
    std::fprintf(stderr, "shoal demo: --seed: expected an integer, got '%s'\n", seed.c_str());
    return 2;
  }
  std::optional<LogLevel> log_level;
  if (!LogLevelFlag("demo", level, &log_level)) return 2;
  const std::string db = (std::filesystem::path(dir) / "catalog.db").string();
  const std::string text = DemoConfigText(listen, db);
  if (print) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  Result<Config> config = ParseConfig(text, "(demo config)");
  if (!config.ok()) {
    std::fprintf(stderr, "shoal demo: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  config->sqlite.path = db;  // as given: relative to the working directory
  if (log_level) config->log.level = *log_level;
  std::error_code ec;
  if (regenerate || !std::filesystem::exists(db, ec)) {
    std::filesystem::create_directories(dir, ec);
    std::fprintf(stderr, "shoal demo: writing %ld items to %s\n", n_items, db.c_str());
    if (Status s = WriteDemoCatalog(db, static_cast<int>(n_items), n_seed); !s.ok()) {
      std::fprintf(stderr, "shoal demo: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (generate_only) {
    std::fprintf(stderr, "shoal demo: the catalog is %s\n", db.c_str());
    return 0;
  }
  return RunServe(*config, [](const std::string& url) {
    std::fprintf(stderr,
                 "try:\n  curl -s %s/v1/items/1\n  curl -s '%s/v1/items/1/reviews?limit=3'\n"
                 "  curl -s '%s/v1/categories/books/items?limit=5'\n  curl -s %s/_shoal/metrics\n"
                 "and open %s/_shoal/ in a browser: the live dashboard\n",
                 url.c_str(), url.c_str(), url.c_str(), url.c_str(), url.c_str());
  });
}

int Main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) return Usage(kUsage, 2);
  const std::string_view command = args.front();
  args.erase(args.begin());
  if (command == "serve") return Serve(args);
  if (command == "check-config") return CheckConfig(args);
  if (command == "openapi") return OpenApi(args);
  if (command == "demo") return Demo(args);
  if (command == "load") return LoadCommand(args);
  if (command == "solr-fetch") return SolrFetchCommand(args);
  if (command == "bench") return BenchCommand(std::vector<std::string>(args.begin(), args.end()));
  if (command == "stats") return StatsCommand(std::vector<std::string>(args.begin(), args.end()));
  if (command == "-h" || command == "--help") return Usage(kUsage, 0);
  if (command == "--version" || command == "version") {
    std::printf("shoal %.*s (git %.*s)\n", static_cast<int>(Version().size()), Version().data(),
                static_cast<int>(Revision().size()), Revision().data());
    return 0;
  }
  if (command == "help") {
    if (args.empty()) return Usage(kUsage, 0);
    if (args[0] == "serve") return Usage(kServeUsage, 0);
    if (args[0] == "check-config") return Usage(kCheckUsage, 0);
    if (args[0] == "openapi") return Usage(kOpenApiUsage, 0);
    if (args[0] == "demo") return Usage(kDemoUsage, 0);
    if (args[0] == "bench") return BenchCommand({"--help"});
    if (args[0] == "stats") return StatsCommand({"--help"});
    if (args[0] == "solr-fetch") {
      const std::string_view help[] = {"--help"};
      return SolrFetchCommand(help);
    }
    if (args[0] == "load") {
      const std::string_view help[] = {"--help"};
      return LoadCommand(help);
    }
  }
  std::fprintf(stderr, "shoal: unknown command '%.*s'\n\n", static_cast<int>(command.size()),
               command.data());
  return Usage(kUsage, 2);
}

}  // namespace
}  // namespace shoal::cli

int main(int argc, char** argv) {
  // A write to a closed pipe or socket (stderr piped to a reader that went away, a peer
  // that hung up) must fail with EPIPE, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return shoal::cli::Main(argc, argv);
  } catch (const std::exception& e) {  // out of memory, or a bug: say so rather than abort
    std::fprintf(stderr, "shoal: fatal: %s\n", e.what());
    return 1;
  }
}

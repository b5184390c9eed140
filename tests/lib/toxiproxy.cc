// Toxiproxy: see toxiproxy.h.
#include "toxiproxy.h"

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>

#ifndef SHOAL_SOURCE_DIR
#error "SHOAL_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace shoal::testing {

std::string Toxiproxy::ServerBinary() {
  if (const char* env = std::getenv("SHOAL_TOXIPROXY_SERVER"); env != nullptr && *env != '\0') {
    return env;
  }
  // The script knows where it installs (and which version): one place for that.
  const std::string command = std::string(SHOAL_SOURCE_DIR) + "/scripts/toxiproxy.sh path";
  RunResult run = RunShell(command);
  if (run.exit_code != 0) return "";
  std::string path = std::move(run.out);
  while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
  return path;
}

bool Toxiproxy::Required() {
  const char* env = std::getenv("SHOAL_REQUIRE_TOXIPROXY");
  return env != nullptr && std::string_view(env) == "1";
}

Result<std::unique_ptr<Toxiproxy>> Toxiproxy::Start(const std::string& binary, Duration timeout) {
  const uint16_t port = FreeLocalPort();
  if (port == 0) return Status::Unavailable("no free port for toxiproxy");
  Result<std::unique_ptr<ShoalProcess>> p = ShoalProcess::Exec(
      binary, {"-host", "127.0.0.1", "-port", std::to_string(port)}, {"LOG_LEVEL=warn"});
  if (!p.ok()) return p.status();
  std::unique_ptr<Toxiproxy> t(new Toxiproxy(std::move(p).value(), port));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!t->process_->Running()) {
      return Status::Unavailable("toxiproxy exited at start: " + t->process_->Output());
    }
    if (Result<HttpClient> c = HttpClient::Connect(port, std::chrono::seconds(1)); c.ok()) {
      Result<HttpResponse> r = c->Get("/version");
      if (r.ok() && r->status == 200) return t;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::DeadlineExceeded("toxiproxy's API did not answer on 127.0.0.1:" +
                                      std::to_string(port) + "; its output:\n" + t->Output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Status Toxiproxy::Call(std::string_view method, const std::string& path, std::string_view body,
                       int want) {
  Result<HttpClient> c = HttpClient::Connect(port_, std::chrono::seconds(5));
  if (!c.ok()) return c.status();
  Result<HttpResponse> r = c->RequestWithBody(method, path, body);
  if (!r.ok()) return r.status();
  if (r->status != want) {
    return Status::Internal("toxiproxy " + std::string(method) + " " + path + ": " +
                            std::to_string(r->status) + " " + r->body);
  }
  return Status::Ok();
}

Status Toxiproxy::CreateProxy(std::string_view name, uint16_t listen_port, uint16_t upstream_port) {
  const std::string body = "{\"name\":\"" + std::string(name) +
                           "\",\"listen\":\"127.0.0.1:" + std::to_string(listen_port) +
                           "\",\"upstream\":\"127.0.0.1:" + std::to_string(upstream_port) +
                           "\",\"enabled\":true}";
  return Call("POST", "/proxies", body, 201);
}

Status Toxiproxy::AddToxic(std::string_view proxy, std::string_view toxic, std::string_view type,
                           std::string_view stream, std::string_view attributes) {
  const std::string body = "{\"name\":\"" + std::string(toxic) + "\",\"type\":\"" +
                           std::string(type) + "\",\"stream\":\"" + std::string(stream) +
                           "\",\"toxicity\":1,\"attributes\":" + std::string(attributes) + "}";
  return Call("POST", "/proxies/" + std::string(proxy) + "/toxics", body, 200);
}

Status Toxiproxy::RemoveToxic(std::string_view proxy, std::string_view toxic) {
  return Call("DELETE", "/proxies/" + std::string(proxy) + "/toxics/" + std::string(toxic), "",
              204);
}

Status Toxiproxy::Reset() { return Call("POST", "/reset", "", 204); }

}  // namespace shoal::testing

// auth_bench: what end-user auth costs a request (api/auth.h), with Google Benchmark.
//
// BM_Verify/<alg>: JwtVerifier::Verify of one token, every time in full (base64url, two JSON
// parses, the signature, the claims): what a token costs the first time a thread sees it.
// BM_CachedToken/<alg>: Authenticator::Check of a token this thread has verified before: the
// header read, one SHA-256 of the token, one probe of the per-thread TokenCache and the exp
// check. BM_ApiKey: Authenticator::Check of an API key (SHA-256 and a binary search).
// An endpoint without auth pays none of this: Api::Handle tests one pointer.
// Keys and tokens are generated here. Run it from a release build (docs/PERFORMANCE.md).
#include <filesystem>
#include <fstream>

#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include "api/auth.h"
#include "api/jwt.h"
#include "api/test_jwt.h"

namespace shoal::api {
namespace {

constexpr int64_t kNow = 1'800'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-bench";
const std::string kPayload =
    "{\"iss\":\"https://id.example\",\"aud\":\"shoal\",\"sub\":\"user-12345\",\"tenant\":\"acme\","
    "\"exp\":" +
    std::to_string(kNow + 3600) + "}";

struct Fixture {
  testing::TestPkey rsa = testing::NewRsaKey();
  testing::TestPkey ec = testing::NewEcKey();
  testing::TestPkey ed = testing::NewEd25519Key();
  std::string jwks = "{\"keys\":[" + testing::Jwk(rsa.get(), "r") + "," +
                     testing::Jwk(ec.get(), "e") + "," + testing::Jwk(ed.get(), "d") + "]}";

  std::string TokenFor(int alg) const {
    switch (alg) {
      case 0:
        return testing::Token(rsa.get(), "RS256", R"({"alg":"RS256","kid":"r"})", kPayload);
      case 1:
        return testing::Token(ec.get(), "ES256", R"({"alg":"ES256","kid":"e"})", kPayload);
      case 2:
        return testing::Token(ed.get(), "EdDSA", R"({"alg":"EdDSA","kid":"d"})", kPayload);
      default:
        return testing::HsToken(kSecret, R"({"alg":"HS256"})", kPayload);
    }
  }
};

const Fixture& Keys() {
  static const Fixture* f = new Fixture();
  return *f;
}

const char* AlgName(int64_t alg) {
  static const char* kNames[] = {"RS256", "ES256", "EdDSA", "HS256"};
  return kNames[alg];
}

std::unique_ptr<const JwtVerifier> VerifierFor(int alg) {
  JwtOptions o;
  o.issuer = "https://id.example";
  o.audience = {"shoal"};
  auto v = alg == 3 ? JwtVerifier::FromHs256Secret(kSecret, o, {"tenant"})
                    : JwtVerifier::FromJwks(Keys().jwks, "jwks.json", o, {"tenant"});
  if (!v.ok()) std::abort();
  return std::move(v).value();
}

void BM_Verify(benchmark::State& state) {
  const int alg = static_cast<int>(state.range(0));
  state.SetLabel(AlgName(alg));
  auto verifier = VerifierFor(alg);
  const std::string token = Keys().TokenFor(alg);
  for (auto _ : state) {
    Result<VerifiedToken> t = verifier->Verify(token, kNow);
    if (!t.ok()) std::abort();
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_Verify)->DenseRange(0, 3);

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0600);
  return path;
}

void BM_CachedToken(benchmark::State& state) {
  const int alg = static_cast<int>(state.range(0));
  state.SetLabel(AlgName(alg));
  AuthOptions o;
  o.kind = AuthOptions::Kind::kJwt;
  o.jwt.issuer = "https://id.example";
  o.jwt.audience = {"shoal"};
  if (alg == 3) {
    o.jwt.hs256_secret = kSecret;
  } else {
    o.jwt.jwks_file = WriteFile("shoal-auth-bench-jwks.json", Keys().jwks);
  }
  auto a = Authenticator::Build(o, {"tenant"});
  if (!a.ok()) std::abort();
  const std::string header = "Bearer " + Keys().TokenFor(alg);
  const http::Header headers[] = {{"Host", "shoal.test"}, {"Authorization", header}};
  http::Request r;
  r.headers = headers;
  for (auto _ : state) {
    Authenticator::Outcome out = (*a)->Check(r, kNow);
    if (out.status != 0) std::abort();
    benchmark::DoNotOptimize(out.claims);
  }
}
BENCHMARK(BM_CachedToken)->DenseRange(0, 3);

void BM_ApiKey(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < state.range(0); ++i) {
    text += "client" + std::to_string(i) + ": key-" + std::to_string(i) + "-0123456789abcdef\n";
  }
  AuthOptions o;
  o.kind = AuthOptions::Kind::kApiKeys;
  o.api_keys_file = WriteFile("shoal-auth-bench-keys.txt", text);
  auto a = Authenticator::Build(o, {});
  if (!a.ok()) std::abort();
  const http::Header headers[] = {{"Host", "shoal.test"}, {"X-Api-Key", "key-7-0123456789abcdef"}};
  http::Request r;
  r.headers = headers;
  for (auto _ : state) {
    Authenticator::Outcome out = (*a)->Check(r, kNow);
    if (out.status != 0) std::abort();
    benchmark::DoNotOptimize(out.client);
  }
}
BENCHMARK(BM_ApiKey)->Arg(10)->Arg(10000);

}  // namespace
}  // namespace shoal::api

BENCHMARK_MAIN();

// libFuzzer target: end-user tokens (api/jwt.h), the bearer token any client may send to an
// endpoint under auth.jwt, and the JSON Web Key Set an operator's file gives (jwks.cc). Two
// verifiers are made once: one over an HS256 secret, one over a JWKS of an RSA, an EC P-256
// and an Ed25519 key (made by OpenSSL at start, api/test_jwt.h), each with an issuer, an
// audience and two kept claims. The first input byte picks the mode; the rest is:
//   0: a token as a client sent it, given to both verifiers (the parts, the header, the key
//      selection, each algorithm's signature check on whatever bytes are there);
//   1: a header and a payload (JSON texts, split at the first newline), made into a token
//      signed with the HS256 secret, so that what follows the signature check (the claims
//      exp, nbf, iss, aud and the kept ones) is reached with any JSON;
//   2: a JWKS document, given to ParseJwks.
// Checked, beyond "never crashes": an accepted token's exp is not past the leeway, its claims
// are kept ones in the order asked, each once; a refusal is an InvalidArgument; a parsed
// JWKS has at least one key, and a refused one names the file in its message.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/jwt.h"
#include "api/jwt_internal.h"  // JwtVerifier::Key, for ParseJwks
#include "api/test_jwt.h"

namespace {

namespace api = shoal::api;

constexpr int64_t kNow = 1'800'000'000;
constexpr std::string_view kSecret = "fuzz-hs256-secret-of-32-bytes-or-more";

void Check(bool ok) {
  if (!ok) std::abort();
}

api::JwtOptions Options() {
  api::JwtOptions o;
  o.issuer = "https://id.example";
  o.audience = {"shoal", "other"};
  return o;
}

const std::vector<std::string>& Kept() {
  static const std::vector<std::string> kKept = {"sub", "tenant"};
  return kKept;
}

struct Verifiers {
  std::unique_ptr<const api::JwtVerifier> hs;
  std::unique_ptr<const api::JwtVerifier> jwks;

  Verifiers() {
    shoal::Result<std::unique_ptr<const api::JwtVerifier>> h =
        api::JwtVerifier::FromHs256Secret(kSecret, Options(), Kept());
    Check(h.ok());
    hs = std::move(h).value();
    const api::testing::TestPkey rsa = api::testing::NewRsaKey();
    const api::testing::TestPkey ec = api::testing::NewEcKey();
    const api::testing::TestPkey ed = api::testing::NewEd25519Key();
    const std::string doc = "{\"keys\":[" + api::testing::Jwk(rsa.get(), "r") + "," +
                            api::testing::Jwk(ec.get(), "e") + "," +
                            api::testing::Jwk(ed.get(), "d") + "]}";
    shoal::Result<std::unique_ptr<const api::JwtVerifier>> j =
        api::JwtVerifier::FromJwks(doc, "fuzz-jwks.json", Options(), Kept());
    Check(j.ok());
    jwks = std::move(j).value();
  }
};

const Verifiers& TheVerifiers() {
  static const Verifiers kVerifiers;
  return kVerifiers;
}

void Verify(const api::JwtVerifier& v, std::string_view token) {
  shoal::Result<api::VerifiedToken> t = v.Verify(token, kNow);
  if (!t.ok()) {
    Check(t.status().code() == shoal::StatusCode::kInvalidArgument);
    return;
  }
  const int64_t leeway = std::chrono::duration_cast<std::chrono::seconds>(v.leeway()).count();
  Check(t->exp >= kNow - leeway);
  size_t next = 0;  // claims come in Kept()'s order, each at most once
  for (const auto& [name, value] : t->claims) {
    while (next < Kept().size() && Kept()[next] != name) ++next;
    Check(next < Kept().size());
    ++next;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Verifiers& verifiers = TheVerifiers();
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      Verify(*verifiers.hs, in);
      Verify(*verifiers.jwks, in);
      break;
    case 1: {
      const size_t nl = in.find('\n');
      const std::string_view header = in.substr(0, nl);
      const std::string_view payload = nl == std::string_view::npos ? "" : in.substr(nl + 1);
      Verify(*verifiers.hs, api::testing::HsToken(kSecret, header, payload));
      break;
    }
    default: {
      shoal::Result<std::vector<api::JwtVerifier::Key>> keys = api::ParseJwks(in, "fuzz.json");
      if (keys.ok()) {
        Check(!keys->empty());
      } else {
        Check(keys.status().message().starts_with("fuzz.json"));
      }
      break;
    }
  }
  return 0;
}

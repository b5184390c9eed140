// The end-user auth pieces on their own: the JWT verifier (every rule of jwt.h, with keys and
// tokens generated here by OpenSSL), the API keys file, the Authenticator's answers and the
// verified-token cache.
#include "api/auth.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "api/api_keys.h"
#include "api/jwt.h"
#include "api/test_jwt.h"
#include "api/token_cache.h"
#include "base/base64.h"
#include "base/test_temp_dir.h"

namespace shoal::api {
namespace {

using testing::HsToken;
using testing::Jwk;
using testing::TestPkey;
using testing::Token;

constexpr int64_t kNow = 1'800'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-secret";

std::string Payload(int64_t exp, std::string_view extra = "") {
  return "{\"sub\":\"u1\",\"exp\":" + std::to_string(exp) + std::string(extra) + "}";
}

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestPkey(testing::NewRsaKey());
    ec_ = new TestPkey(testing::NewEcKey());
    ed_ = new TestPkey(testing::NewEd25519Key());
    other_rsa_ = new TestPkey(testing::NewRsaKey());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
    delete ed_;
    delete other_rsa_;
  }

  std::string Jwks() const {
    return "{\"keys\":[" + Jwk(rsa_->get(), "r1") + "," + Jwk(ec_->get(), "e1") + "," +
           Jwk(ed_->get(), "d1") + "]}";
  }

  std::unique_ptr<const JwtVerifier> Verifier(const JwtOptions& o = {}) const {
    auto v = JwtVerifier::FromJwks(Jwks(), "jwks.json", o, {"tenant", "n"});
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return std::move(v).value();
  }

  static TestPkey* rsa_;
  static TestPkey* ec_;
  static TestPkey* ed_;
  static TestPkey* other_rsa_;
};
TestPkey* JwtTest::rsa_ = nullptr;
TestPkey* JwtTest::ec_ = nullptr;
TestPkey* JwtTest::ed_ = nullptr;
TestPkey* JwtTest::other_rsa_ = nullptr;

TEST_F(JwtTest, AcceptsRs256Es256EdDsaAndKeepsAskedClaims) {
  auto v = Verifier();
  const std::string payload = Payload(kNow + 60, ",\"tenant\":\"acme\",\"n\":42,\"x\":true");
  for (auto [alg, key, kid] : {std::tuple{"RS256", rsa_, "r1"}, std::tuple{"ES256", ec_, "e1"},
                               std::tuple{"EdDSA", ed_, "d1"}}) {
    const std::string header =
        std::string("{\"alg\":\"") + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
    Result<VerifiedToken> t = v->Verify(Token(key->get(), alg, header, payload), kNow);
    ASSERT_TRUE(t.ok()) << alg << ": " << t.status().ToString();
    EXPECT_EQ(t->exp, kNow + 60);
    ASSERT_EQ(t->claims.size(), 2u);
    EXPECT_EQ(t->claims[0], (std::pair<std::string, std::string>("tenant", "acme")));
    EXPECT_EQ(t->claims[1], (std::pair<std::string, std::string>("n", "42")));
  }
}

TEST_F(JwtTest, AcceptsHs256WithTheSecret) {
  auto v = JwtVerifier::FromHs256Secret(kSecret, {}, {});
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE((*v)->Verify(HsToken(kSecret, R"({"alg":"HS256"})", Payload(kNow + 5)), kNow).ok());
  Result<VerifiedToken> bad =
      (*v)->Verify(HsToken(kSecret + "x", R"({"alg":"HS256"})", Payload(kNow + 5)), kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "the token's signature does not verify");
  EXPECT_FALSE(JwtVerifier::FromHs256Secret("short", {}, {}).ok());
}

TEST_F(JwtTest, RefusesAWrongSignature) {
  auto v = Verifier();
  // Signed by another RSA key under the trusted kid.
  const std::string t =
      Token(other_rsa_->get(), "RS256", R"({"alg":"RS256","kid":"r1"})", Payload(kNow + 60));
  Result<VerifiedToken> r = v->Verify(t, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the token's signature does not verify");
  // A payload changed after signing.
  std::string good =
      Token(rsa_->get(), "RS256", R"({"alg":"RS256","kid":"r1"})", Payload(kNow + 60));
  const size_t d1 = good.find('.'), d2 = good.rfind('.');
  const std::string forged = good.substr(0, d1 + 1) +
                             testing::B64(Payload(kNow + 6000, ",\"tenant\":\"other\"")) +
                             good.substr(d2);
  EXPECT_FALSE(v->Verify(forged, kNow).ok());
  EXPECT_TRUE(v->Verify(good, kNow).ok());
}

TEST_F(JwtTest, RefusesAlgConfusionAndNone) {
  auto v = Verifier();
  // HS256 "signed" with the RSA public key's JWK text as the secret: the classic confusion.
  const std::string pub = Jwk(rsa_->get(), "r1");
  Result<VerifiedToken> r =
      v->Verify(HsToken(pub, R"({"alg":"HS256","kid":"r1"})", Payload(kNow + 60)), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the token's alg is not the one its key allows");
  // Without a kid too.
  EXPECT_FALSE(v->Verify(HsToken(pub, R"({"alg":"HS256"})", Payload(kNow + 60)), kNow).ok());
  // An ES256 token under the RSA key's kid.
  EXPECT_FALSE(
      v->Verify(Token(ec_->get(), "ES256", R"({"alg":"ES256","kid":"r1"})", Payload(kNow + 9)),
                kNow)
          .ok());
  // alg none, with and without a signature part.
  const std::string unsigned_part =
      testing::B64(R"({"alg":"none"})") + "." + testing::B64(Payload(kNow + 60));
  for (const std::string& t : {unsigned_part + ".", unsigned_part + ".c2ln"}) {
    Result<VerifiedToken> n = v->Verify(t, kNow);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().message(), "unsigned tokens (alg none) are never accepted");
  }
  // RS384 is not supported; crit is refused.
  EXPECT_FALSE(
      v->Verify(Token(rsa_->get(), "RS256", R"({"alg":"RS384","kid":"r1"})", Payload(kNow + 9)),
                kNow)
          .ok());
  EXPECT_FALSE(v->Verify(Token(rsa_->get(), "RS256", R"({"alg":"RS256","kid":"r1","crit":["exp"]})",
                               Payload(kNow + 9)),
                         kNow)
                   .ok());
}

TEST_F(JwtTest, ChecksExpAndNbfWithLeeway) {
  JwtOptions o;
  o.leeway = std::chrono::seconds(30);
  auto v = Verifier(o);
  const auto rs = [](const std::string& payload) {
    return Token(rsa_->get(), "RS256", R"({"alg":"RS256","kid":"r1"})", payload);
  };
  EXPECT_TRUE(v->Verify(rs(Payload(kNow - 30)), kNow).ok());  // within the leeway
  Result<VerifiedToken> expired = v->Verify(rs(Payload(kNow - 31)), kNow);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().message(), "the token has expired");
  EXPECT_TRUE(
      v->Verify(rs(Payload(kNow + 60, ",\"nbf\":" + std::to_string(kNow + 30))), kNow).ok());
  Result<VerifiedToken> early =
      v->Verify(rs(Payload(kNow + 60, ",\"nbf\":" + std::to_string(kNow + 31))), kNow);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().message(), "the token is not valid yet (nbf)");
  EXPECT_FALSE(v->Verify(rs(R"({"sub":"no exp"})"), kNow).ok());
  EXPECT_FALSE(v->Verify(rs(R"({"exp":"soon"})"), kNow).ok());
  EXPECT_TRUE(v->Verify(rs("{\"exp\":" + std::to_string(kNow) + ".5}"), kNow).ok());
}

TEST_F(JwtTest, ChecksIssuerAndAudience) {
  JwtOptions o;
  o.issuer = "https://id.example";
  o.audience = {"shoal", "catalog"};
  auto v = Verifier(o);
  const auto rs = [](const std::string& extra) {
    return Token(rsa_->get(), "RS256", R"({"alg":"RS256","kid":"r1"})", Payload(kNow + 60, extra));
  };
  EXPECT_TRUE(v->Verify(rs(R"(,"iss":"https://id.example","aud":"catalog")"), kNow).ok());
  EXPECT_TRUE(v->Verify(rs(R"(,"iss":"https://id.example","aud":["x","shoal"])"), kNow).ok());
  Result<VerifiedToken> iss = v->Verify(rs(R"(,"iss":"https://evil.example","aud":"shoal")"), kNow);
  ASSERT_FALSE(iss.ok());
  EXPECT_EQ(iss.status().message(), "the token's issuer is not the one this endpoint trusts");
  Result<VerifiedToken> aud = v->Verify(rs(R"(,"iss":"https://id.example","aud":["x"])"), kNow);
  ASSERT_FALSE(aud.ok());
  EXPECT_EQ(aud.status().message(), "the token is not meant for this audience (aud)");
  EXPECT_FALSE(v->Verify(rs(R"(,"iss":"https://id.example")"), kNow).ok());  // no aud
  EXPECT_FALSE(v->Verify(rs(R"(,"aud":"shoal")"), kNow).ok());               // no iss
}

TEST_F(JwtTest, SelectsKeysByKid) {
  auto v = Verifier();
  Result<VerifiedToken> unknown = v->Verify(
      Token(rsa_->get(), "RS256", R"({"alg":"RS256","kid":"gone"})", Payload(kNow + 9)), kNow);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "the token's kid names no key this endpoint trusts");
  // Without a kid: the only key that allows the alg.
  EXPECT_TRUE(
      v->Verify(Token(ec_->get(), "ES256", R"({"alg":"ES256"})", Payload(kNow + 9)), kNow).ok());
  // Two RSA keys and no kid: refused rather than tried one by one.
  const std::string two =
      "{\"keys\":[" + Jwk(rsa_->get(), "a") + "," + Jwk(other_rsa_->get(), "b") + "]}";
  auto both = JwtVerifier::FromJwks(two, "two.json", {}, {});
  ASSERT_TRUE(both.ok());
  EXPECT_FALSE(
      (*both)
          ->Verify(Token(rsa_->get(), "RS256", R"({"alg":"RS256"})", Payload(kNow + 9)), kNow)
          .ok());
}

TEST_F(JwtTest, RefusesMalformedTokens) {
  auto v = Verifier();
  const std::string good =
      Token(rsa_->get(), "RS256", R"({"alg":"RS256","kid":"r1"})", Payload(kNow + 60));
  for (const std::string& t :
       {std::string(), std::string("abc"), std::string("a.b"), good + ".x", good + "=",
        std::string("!!.!!.!!"), testing::B64("[1]") + "." + testing::B64("{}") + ".AAAA",
        testing::B64(R"({"alg":7})") + "." + testing::B64("{}") + ".AAAA",
        std::string(kMaxToken + 1, 'a')}) {
    EXPECT_FALSE(v->Verify(t, kNow).ok()) << t.substr(0, 40);
  }
  // A payload that is not JSON, correctly signed.
  const std::string input =
      testing::B64(R"({"alg":"RS256","kid":"r1"})") + "." + testing::B64("nope");
  EXPECT_FALSE(
      v->Verify(input + "." + testing::B64(testing::Sign(rsa_->get(), "RS256", input)), kNow).ok());
}

TEST_F(JwtTest, JwksErrorsAndSkippedKeys) {
  EXPECT_FALSE(JwtVerifier::FromJwks("nope", "j.json", {}, {}).ok());
  EXPECT_FALSE(JwtVerifier::FromJwks("{}", "j.json", {}, {}).ok());
  Result<std::unique_ptr<const JwtVerifier>> oct =
      JwtVerifier::FromJwks(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})", "j.json", {}, {});
  ASSERT_FALSE(oct.ok());
  EXPECT_NE(oct.status().message().find("j.json: keys[0]: a shared secret"), std::string::npos);
  // A 1024-bit RSA key is too weak.
  TestPkey weak = testing::NewRsaKey(1024);
  EXPECT_FALSE(
      JwtVerifier::FromJwks("{\"keys\":[" + Jwk(weak.get(), "w") + "]}", "j.json", {}, {}).ok());
  // An encryption key and an unsupported alg are skipped; the rest is used.
  const std::string mixed = "{\"keys\":[" + Jwk(rsa_->get(), "enc", ",\"use\":\"enc\"") + "," +
                            Jwk(rsa_->get(), "ps", ",\"alg\":\"PS256\"") + "," +
                            Jwk(ec_->get(), "e1", ",\"alg\":\"ES256\",\"use\":\"sig\"") + "]}";
  auto v = JwtVerifier::FromJwks(mixed, "j.json", {}, {});
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)->key_count(), 1u);
  // Only skipped keys: an error.
  EXPECT_FALSE(
      JwtVerifier::FromJwks("{\"keys\":[" + Jwk(rsa_->get(), "enc", ",\"use\":\"enc\"") + "]}",
                            "j.json", {}, {})
          .ok());
  // A P-256 point off the curve.
  std::string bad = Jwk(ec_->get(), "e1");
  const size_t x = bad.find("\"x\":\"") + 5;
  bad[x] = bad[x] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(JwtVerifier::FromJwks("{\"keys\":[" + bad + "]}", "j.json", {}, {}).ok());
  // Two keys with one kid.
  EXPECT_FALSE(JwtVerifier::FromJwks(
                   "{\"keys\":[" + Jwk(rsa_->get(), "k") + "," + Jwk(ec_->get(), "k") + "]}",
                   "j.json", {}, {})
                   .ok());
}

TEST(Base64UrlTest, RoundTripsAndRefusesOtherText) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    std::string enc, dec;
    AppendBase64Url(enc, s);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    ASSERT_TRUE(DecodeBase64Url(enc, &dec));
    EXPECT_EQ(dec, s);
  }
  std::string out;
  EXPECT_FALSE(DecodeBase64Url("Zm9v=", &out));
  EXPECT_FALSE(DecodeBase64Url("Zm9v+", &out));
  EXPECT_FALSE(DecodeBase64Url("Z", &out));
  EXPECT_FALSE(DecodeBase64Url("Zh", &out));  // leftover bits set: not the canonical "Zg"
  EXPECT_TRUE(DecodeBase64Url("Zg", &out));
}

TEST(ApiKeySetTest, ParsesNamedAndBareKeysAndFindsThem) {
  Result<ApiKeySet> set = ApiKeySet::Parse(
      "# clients\n\nmobile: k-mobile-0123456789abcdef\n  0123456789abcdefBARE  \r\n"
      "web.app@x:k_web~0123456789+/ab==\n",
      "keys.txt");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->size(), 3u);
  EXPECT_EQ(set->Find("k-mobile-0123456789abcdef"), "mobile");
  EXPECT_EQ(set->Find("0123456789abcdefBARE"), "keys.txt:4");
  EXPECT_EQ(set->Find("k_web~0123456789+/ab=="), "web.app@x");
  EXPECT_EQ(set->Find("k-mobile-0123456789abcdeF"), "");
  EXPECT_EQ(set->Find(""), "");
  EXPECT_EQ(set->Find("mobile"), "");
}

TEST(ApiKeySetTest, ErrorsNameFileAndLineButNeverTheKey) {
  const auto error = [](std::string_view text) {
    Result<ApiKeySet> s = ApiKeySet::Parse(text, "keys.txt");
    return s.ok() ? std::string("ok") : std::string(s.status().message());
  };
  EXPECT_EQ(error("\nshort-key\n"), "keys.txt:2: a key must be at least 16 characters long");
  EXPECT_EQ(error("a: 0123456789abcdef0\nb: 0123456789abcdef0\n"),
            "keys.txt:2: the same key as line 1");
  EXPECT_EQ(error("a: 0123456789abcdef0\na: 0123456789abcdef1\n"),
            "keys.txt:2: the name 'a' is used by line 1 too");
  const std::string spaced = error("two words-0123456789abcdef\n");
  EXPECT_EQ(spaced.rfind("keys.txt:1: not a key", 0), 0u) << spaced;
  EXPECT_EQ(spaced.find("words-0123456789abcdef"), std::string::npos);
  EXPECT_EQ(error("bad name!: 0123456789abcdef0\n").rfind("keys.txt:1: a key's name", 0), 0u);
  EXPECT_EQ(error(": 0123456789abcdef0\n").rfind("keys.txt:1: a key's name", 0), 0u);
  EXPECT_EQ(error("# only a comment\n"), "ok");
}

TEST(ApiKeySetTest, LoadRefusesAFileOthersMayRead) {
  shoal::testing::TempDir dir;
  const std::string path = dir.path() + "/keys.txt";
  std::ofstream(path) << "c: 0123456789abcdef0\n";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  Result<ApiKeySet> open = ApiKeySet::Load(path);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("chmod 600"), std::string::npos);
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(ApiKeySet::Load(path).ok());
  EXPECT_FALSE(ApiKeySet::Load(dir.path() + "/missing.txt").ok());
}

http::Request Get(std::vector<http::Header>& headers) {
  http::Request r;
  r.method = http::Method::kGet;
  r.path = "/v1/x";
  r.headers = headers;
  return r;
}

TEST(AuthenticatorTest, ApiKeysFromEitherHeader) {
  shoal::testing::TempDir dir;
  AuthOptions o;
  o.kind = AuthOptions::Kind::kApiKeys;
  o.api_keys_file = dir.path() + "/keys.txt";
  std::ofstream(o.api_keys_file) << "mobile: 0123456789abcdef0\n";
  ASSERT_EQ(::chmod(o.api_keys_file.c_str(), 0600), 0);
  auto a = Authenticator::Build(o, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const auto check = [&a](std::vector<http::Header> headers) {
    return (*a)->Check(Get(headers), kNow);
  };
  EXPECT_EQ(check({}).status, 401);
  EXPECT_EQ(check({}).error, "");
  EXPECT_EQ(check({{"X-Api-Key", "0123456789abcdef0"}}).client, "mobile");
  EXPECT_EQ(check({{"Authorization", "Bearer 0123456789abcdef0"}}).status, 0);
  EXPECT_EQ(check({{"authorization", "bearer   0123456789abcdef0"}}).status, 0);
  const Authenticator::Outcome bad = check({{"X-Api-Key", "0123456789abcdef1"}});
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.error, "invalid_token");
  EXPECT_EQ(check({{"Authorization", "Basic 0123456789abcdef0"}}).status, 401);
  EXPECT_EQ(
      check({{"Authorization", "Bearer 0123456789abcdef0"}, {"X-Api-Key", "0123456789abcdef0"}})
          .status,
      400);
  const http::Response r = Refusal(bad.status, bad.error, bad.message);
  EXPECT_EQ(r.extra_headers,
            "WWW-Authenticate: Bearer realm=\"shoal\", error=\"invalid_token\"\r\n"
            "Cache-Control: no-store\r\n");
}

TEST_F(JwtTest, AuthenticatorCachesVerifiedTokensAndRechecksExp) {
  shoal::testing::TempDir dir;
  AuthOptions o;
  o.kind = AuthOptions::Kind::kJwt;
  o.jwt.jwks_file = dir.path() + "/jwks.json";
  o.jwt.leeway = std::chrono::seconds(0);
  std::ofstream(o.jwt.jwks_file) << Jwks();
  auto a = Authenticator::Build(o, {"tenant"});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const std::string token = Token(rsa_->get(), "RS256", R"({"alg":"RS256","kid":"r1"})",
                                  Payload(kNow + 10, R"(,"tenant":"a b/c")"));
  const std::string bearer = "Bearer " + token;
  std::vector<http::Header> headers = {{"Authorization", bearer}};
  Authenticator::Outcome first = (*a)->Check(Get(headers), kNow);
  ASSERT_EQ(first.status, 0) << first.message;
  ASSERT_NE(first.claims, nullptr);
  ASSERT_EQ(first.claims->size(), 1u);
  EXPECT_EQ((*first.claims)[0].value, "a%20b%2Fc");  // percent-encoded for the Router
  // The second time comes from this thread's cache: same claims, same slot.
  Authenticator::Outcome second = (*a)->Check(Get(headers), kNow + 10);
  ASSERT_EQ(second.status, 0);
  EXPECT_EQ(second.claims, first.claims);
  // Expiry is checked on a cached token too.
  Authenticator::Outcome late = (*a)->Check(Get(headers), kNow + 11);
  EXPECT_EQ(late.status, 401);
  EXPECT_EQ(late.message, "the token has expired");
  // Another Authenticator (a reload) does not answer from the first one's slot.
  auto b = Authenticator::Build(o, {"tenant"});
  ASSERT_TRUE(b.ok());
  std::ofstream(o.jwt.jwks_file) << "{\"keys\":[" + Jwk(ec_->get(), "e1") + "]}";
  auto c = Authenticator::Build(o, {"tenant"});
  ASSERT_TRUE(c.ok());
  Authenticator::Outcome rotated = (*c)->Check(Get(headers), kNow);
  EXPECT_EQ(rotated.status, 401);
  EXPECT_EQ(rotated.message, "the token's kid names no key this endpoint trusts");
}

}  // namespace
}  // namespace shoal::api

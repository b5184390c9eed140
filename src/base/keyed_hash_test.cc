#include "base/keyed_hash.h"

#include <cstdint>
#include <random>
#include <string>
#include <unordered_set>

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace shoal {
namespace {

// The key 00 01 .. 0f of the SipHash paper's examples, as two little-endian words.
SipKey PaperKey() { return SipKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL}; }

std::string Counting(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(KeyedHashTest, SipHash24MatchesThePaper) {
  // Appendix A of the paper: message 00 01 .. 0e under key 00 .. 0f.
  EXPECT_EQ((SipHash<2, 4>(PaperKey(), Counting(15))), 0xa129ca6149be45e5ULL);
  // The reference implementation's first vector: the empty message.
  EXPECT_EQ((SipHash<2, 4>(PaperKey(), "")), 0x726fdb47dd0e0e31ULL);
}

// Reference runs OpenSSL's SipHash (EVP_MAC "SIPHASH", 8-byte output) with c and d rounds.
uint64_t Reference(const SipKey& key, std::string_view data, unsigned c, unsigned d) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  unsigned char k[16];
  std::memcpy(k, &key.k0, 8);
  std::memcpy(k + 8, &key.k1, 8);
  size_t size = 8;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                         OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_C_ROUNDS, &c),
                         OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_D_ROUNDS, &d),
                         OSSL_PARAM_construct_end()};
  uint64_t out = 0;
  size_t len = 0;
  const bool ok =
      EVP_MAC_init(ctx, k, sizeof k, params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(&out), &len, 8) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  EXPECT_TRUE(ok);
  EXPECT_EQ(len, 8u);
  return out;  // little-endian bytes: the x86 value
}

TEST(KeyedHashTest, SipHash13MatchesOpenSsl) {
  ASSERT_EQ(Reference(PaperKey(), Counting(15), 2, 4), 0xa129ca6149be45e5ULL);  // the reference
  std::mt19937_64 rng(7);
  for (size_t n = 0; n < 80; ++n) {
    const SipKey key{rng(), rng()};
    std::string data;
    for (size_t i = 0; i < n; ++i) data.push_back(static_cast<char>(rng()));
    EXPECT_EQ(SipHash13(key, data), Reference(key, data, 1, 3)) << "length " << n;
    EXPECT_EQ((SipHash<2, 4>(key, data)), Reference(key, data, 2, 4)) << "length " << n;
  }
}

TEST(KeyedHashTest, ProcessKeyIsRandomAndFixed) {
  const SipKey& a = ProcessHashKey();
  EXPECT_EQ(&a, &ProcessHashKey());
  EXPECT_FALSE(a.k0 == 0 && a.k1 == 0);
  const SipKey b = RandomSipKey();
  EXPECT_FALSE(a.k0 == b.k0 && a.k1 == b.k1);
  EXPECT_EQ(KeyedHash("/v1/items/1"), SipHash13(a, "/v1/items/1"));
  EXPECT_NE(KeyedHash("/v1/items/1"), SipHash13(b, "/v1/items/1"));
}

TEST(KeyedHashTest, EveryByteAndTheLengthCount) {
  std::unordered_set<uint64_t> seen;
  const std::string base(40, 'a');
  seen.insert(KeyedHash(base));
  for (size_t i = 0; i < base.size(); ++i) {
    std::string s = base;
    s[i] = 'b';
    EXPECT_TRUE(seen.insert(KeyedHash(s)).second) << i;
  }
  // A trailing zero byte changes the length word.
  EXPECT_TRUE(seen.insert(KeyedHash(base + std::string(1, '\0'))).second);
  EXPECT_TRUE(seen.insert(KeyedHash(std::string(8, '\0'))).second);
  EXPECT_TRUE(seen.insert(KeyedHash(std::string(9, '\0'))).second);
}

}  // namespace
}  // namespace shoal

// cql_token against the tokens a real Cassandra 5.0.9 computed.
//
// Every expected token below was read from the server: tables in a scratch keyspace
// (SimpleStrategy, RF 1) keyed by blob, text, int, bigint and (int, text), rows inserted, then
// scripts/cassandra.sh cql "SELECT k, token(k) FROM ..." (textAsBlob(k) for the text keys, so
// their exact bytes show). Blob and text keys run through every length 1..40, so every tail
// length 0..15 is hashed, with bytes >= 0x80 in the tails: an implementation that does not
// sign-extend tail bytes as Cassandra does gets most of them wrong. The values are literals so
// the test runs without a server. The empty key's token comes from Murmur3Partitioner.getToken
// in the 5.0.9 jar instead: no table accepts an empty partition key.
#include "store/cassandra/cql_token.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace shoal::store::cassandra {
namespace {

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string BigEndian(int64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  }
  return out;
}

struct BlobCase {
  const char* hex;
  int64_t token;
};

TEST(Murmur3TokenTest, MatchesTheServerForEveryTailLength) {
  const BlobCase cases[] = {
      {"fc21466b90b5daff24496e93b8dd02274c7196bbe0052a4f7499bee3082d52779cc1e60b",
       -9158080902956057738LL},
      {"1d42678cb1d6fb20456a8fb4d9fe23486d92b7dc01264b7095badf04294e7398bde2072c51769b",
       -8982974933097717256LL},
      {"d0f51a3f6489aed3f81d42678cb1d6fb20456a8fb4d9fe23486d92b7dc01264b", -7937822868856356350LL},
      {"afd4f91e43688db2d7fc21466b90b5daff24496e93b8dd02274c7196bb", -7802322998181192380LL},
      {"789dc2e70c31567ba0c5ea0f34597ea3c8ed12375c81a6cb", -7446143081661945469LL},
      {"a7ccf1163b", -6155374518106851449LL},
      {"badf04294e7398bde2072c51769bc0e50a2f54799ec3e80d32577ca1c6eb", -5820895052573742207LL},
      {"20456a8fb4d9fe23486d92b7dc01264b", -5709975057803851808LL},
      {"e90e33587da2c7ec11365b", -5060338901329599536LL},
      {"c5ea0f34597ea3c8ed12375c81a6cbf0153a5f84a9cef3183d6287acd1f61b", -5042986570947416253LL},
      {"ff24496e93b8dd02274c7196bb", -3866582260966840754LL},
      {"577ca1c6eb10355a7fa4c9ee13385d82a7ccf1163b", -3748945225308681178LL},
      {"153a5f84a9cef3183d6287acd1f61b", -3518554054728272876LL},
      {"0a2f54799ec3e80d32577ca1c6eb", -3467312930325386925LL},
      {"41668bb0d5fa1f44698eb3d8fd22476c91b6db", -3245747870604710502LL},
      {"86ab", -2636941038660374440LL},
      {"6287acd1f61b40658aafd4f91e43688db2d7fc21466b", -2625378190709625260LL},
      {"83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6fb", -544992153648793701LL},
      {"a4c9ee13385d82a7ccf1163b6085aacff4193e6388add2f71c41668b", 202537053447070861LL},
      {"12375c81a6cbf0153a5f84a9cef3183d6287acd1f61b40658aafd4f91e43688db2d7fc21466b",
       308941575961416240LL},
      {"7b", 424974474171884777LL},
      {"db00254a6f94b9de03284d7297bce1062b50759abfe4092e53789dc2e70c31567b", 704494039788335958LL},
      {"d3f81d42678cb1d6fb", 863370966772620205LL},
      {"365b80a5caef14395e83a8cdf2173c6186ab", 1034400101718452623LL},
      {"9cc1e60b", 1084354454388173344LL},
      {"284d7297bce1062b50759abfe4092e53789dc2e70c31567ba0c5ea0f34597ea3c8ed12375c81a6cb",
       2020893836617978703LL},
      {"e60b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186ab",
       2041770585766467752LL},
      {"072c51769bc0e50a2f54799ec3e80d32577ca1c6eb10355a7fa4c9ee13385d82a7ccf1163b",
       2079832354117298052LL},
      {"99bee3082d52779cc1e60b30557a9fc4e90e33587da2c7ec11365b", 2351713809981206200LL},
      {"bde2072c51769b", 2574159217454759698LL},
      {"de03284d7297bce1062b", 2780646353441155958LL},
      {"4c7196bbe0052a4f7499bee3082d52779cc1e60b", 2802996571187221343LL},
      {"6d92b7dc01264b7095badf04294e7398bde2072c51769b", 3285119955183997030LL},
      {"f1163b6085aacff4193e6388add2f71c41668bb0d5fa1f44698eb3d8fd22476c91b6db",
       3994074079756113346LL},
      {"b2d7fc21466b", 4433818698075422501LL},
      {"91b6db", 4801013802226604587LL},
      {"2b50759abfe4092e53789dc2e70c31567b", 5034444581544386236LL},
      {"f4193e6388add2f71c41668b", 6305150092320722331LL},
      {"c8ed12375c81a6cb", 6825294896896719330LL},
      {"8eb3d8fd22476c91b6db00254a6f94b9de03284d7297bce1062b", 7801196143396247756LL},
  };
  size_t lengths = 0;
  for (const BlobCase& c : cases) {
    EXPECT_EQ(Murmur3Token(Unhex(c.hex)), c.token) << c.hex;
    lengths |= size_t{1} << (std::string_view(c.hex).size() / 2 % 16);
  }
  EXPECT_EQ(lengths, 0xffffu);  // every tail length 0..15 was checked
}

TEST(Murmur3TokenTest, TextKeysHashTheirUtf8Bytes) {
  struct Case {
    const char* key;  // UTF-8; one key of each byte length 1..40
    int64_t token;
  };
  const Case cases[] = {
      {"a", -8839064797231613815LL},                        // 1 byte
      {" 7", -5846240251840067859LL},                       // 2 bytes
      {"7a ", -4780189335180393496LL},                      // 3 bytes
      {"ß7Z", -5543213145470270792LL},                      // 4 bytes
      {"'aZ'Z", -1495434870725121182LL},                    // 5 bytes
      {"aé€", 3660889389029771197LL},                       // 6 bytes
      {"𝄞 Z ", -6720840967426835759LL},                     // 7 bytes
      {" a   aé", -9182376456405764889LL},                  // 8 bytes
      {" 日aé' ", -609655558452554117LL},                   // 9 bytes
      {"aa €𝄞", 4130099298545306800LL},                     // 10 bytes
      {"a日'𝄞ß", -6498801096496564102LL},                   // 11 bytes
      {" a é aÿ日", -915445246730677697LL},                 // 12 bytes
      {"€é  aa𝄞", 3811029969255782721LL},                   // 13 bytes
      {"7€ÿ 'Z€ß", -1153328228288470750LL},                 // 14 bytes
      {"ßßa'aßÿ 7é", -418726931993350858LL},                // 15 bytes
      {"a𝄞日''ÿ日Z", -5209939896707834610LL},               // 16 bytes
      {"€é日ééßZ 7", 2679490052685031831LL},                // 17 bytes
      {"é'a7ÿ'é'é𝄞a", -7732996784321938830LL},              // 18 bytes
      {"日ÿ𝄞  ÿ7ßaÿ", -4515600289564099875LL},              // 19 bytes
      {"日𝄞€𝄞ÿ7é7", 6137215577291513162LL},                 // 20 bytes
      {" '€ß'77ß'€7€ ", 1469461265078322351LL},             // 21 bytes
      {"€Z7aß'€ß ''日ÿ", 5413306466784606358LL},            // 22 bytes
      {"ßß ßß ß日ß ÿ€", -8066776914280483833LL},            // 23 bytes
      {" 7aa77日ÿ日7ßß€77", -6479191097015870645LL},        // 24 bytes
      {"€ '€€日 €7a 7é7", 7245723602232478532LL},           // 25 bytes
      {"a日é a日日'€ 7日a '", 8384552887104748046LL},       // 26 bytes
      {"𝄞aÿ日éZßéé𝄞aé'", -5178398679977504036LL},           // 27 bytes
      {"€7日7 é€€' aé𝄞 '", 8407029610936420928LL},          // 28 bytes
      {"ß日7日Z𝄞 'aaZaZß𝄞Z'", 597648503945940071LL},        // 29 bytes
      {"€ Z€7ÿÿÿaa日€ÿ €7", -2773357447412532471LL},        // 30 bytes
      {"é'ÿ é日éaé日日7ZZZé€", 926584741125804740LL},       // 31 bytes
      {"'éa𝄞ßZZÿ7日a𝄞日Z  日", 3258559712726223175LL},      // 32 bytes
      {"é€ß日 7''a'éaZÿ7ßé𝄞ÿ", 6234959053076368113LL},      // 33 bytes
      {"𝄞ÿß𝄞Z a'日日ßé日ÿß ", -5218082402377150938LL},      // 34 bytes
      {"ßa€ÿÿa€€ Za''€'日 Zÿß", -8071254251665884196LL},    // 35 bytes
      {"7éÿ𝄞ÿß77日ß日7ÿ'7𝄞日7", 1162644591096893170LL},     // 36 bytes
      {"𝄞'aZ7éa€日aé'7ÿ𝄞€7ßa  ", 233922829033125230LL},     // 37 bytes
      {"77'日ßa€ éÿ ÿ ßé日ßZ7ß𝄞", -7052393393544869014LL},  // 38 bytes
      {"é𝄞€7aaa日' ß aßéÿéßÿ7日7", 3721719386059509376LL},  // 39 bytes
      {"ß日' €a日𝄞𝄞Zÿ7€Z'ß77日é", -2071344189401204080LL},  // 40 bytes
  };
  size_t lengths = 0;
  for (const Case& c : cases) {
    EXPECT_EQ(Murmur3Token(c.key), c.token) << c.key;
    lengths |= size_t{1} << (std::string_view(c.key).size() % 16);
  }
  EXPECT_EQ(lengths, 0xffffu);  // every tail length 0..15 was checked
}

TEST(Murmur3TokenTest, EmptyKeyIsTheMinimumToken) {
  EXPECT_EQ(Murmur3Token(""), std::numeric_limits<int64_t>::min());
}

TEST(Murmur3TokenTest, IntAndBigintKeysHashTheirBigEndianBytes) {
  struct IntCase {
    int32_t key;
    int64_t token;
  };
  const IntCase ints[] = {
      {-200, -9088563109450055098LL},      {128, -9081975895656599623LL},
      {255, -8423851636648339959LL},       {42, -7160136740246525330LL},
      {1, -4069959284402364209LL},         {0, -3485513579396041028LL},
      {2147483647, -765994672030311617LL}, {-2147483648, -420533958509279465LL},
      {65535, 4944181588262051821LL},      {-1, 7297452126230313552LL},
  };
  for (const IntCase& c : ints) EXPECT_EQ(Murmur3Token(BigEndian(c.key, 4)), c.token) << c.key;
  struct BigintCase {
    int64_t key;
    int64_t token;
  };
  const BigintCase bigints[] = {
      {9007199254740993LL, -5545552199141443762LL},
      {9223372036854775807LL, -1722304415079482439LL},
      {0LL, 2945182322382062539LL},
      {255LL, 5929276160770231814LL},
      {1LL, 6292367497774912474LL},
      {-1LL, 7071048584287372947LL},
      {-4242424242LL, 7855849065083942681LL},
      {42LL, 8623491988607824794LL},
      {std::numeric_limits<int64_t>::min(), 9204767954415360687LL},
  };
  for (const BigintCase& c : bigints) {
    EXPECT_EQ(Murmur3Token(BigEndian(c.key, 8)), c.token) << c.key;
  }
}

TEST(Murmur3TokenTest, CompositeKeysHashTheirCompositeForm) {
  struct Case {
    int32_t a;
    const char* b;
    int64_t token;
  };
  const Case cases[] = {
      {-7, "ÿÿÿÿÿÿÿÿ", -8741165445033468324LL},
      {0, "", -563438358764499116LL},
      {1, "x", 746584927563629270LL},
      {42, "héllo", 2007574810046227403LL},
      {2147483647, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 8884104086472423166LL},
  };
  for (const Case& c : cases) {
    const std::string a = BigEndian(c.a, 4);
    const std::string_view parts[] = {a, c.b};
    EXPECT_EQ(Murmur3Token(RoutingKey(parts)), c.token) << c.a << "/" << c.b;
  }
}

TEST(RoutingKeyTest, OneComponentIsItsBytesSeveralAreComposite) {
  const std::string_view one[] = {"abc"};
  EXPECT_EQ(RoutingKey(one), "abc");
  const std::string_view two[] = {"ab", ""};
  EXPECT_EQ(RoutingKey(two), std::string("\0\2ab\0\0\0\0", 8));
}

TEST(ParseTokenTest, DecimalTokens) {
  EXPECT_EQ(*ParseToken("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(*ParseToken("42"), 42);
  EXPECT_FALSE(ParseToken("").ok());
  EXPECT_FALSE(ParseToken("12a").ok());
  EXPECT_FALSE(ParseToken("99999999999999999999").ok());
}

TEST(TokenRingTest, OwnerIsTheFirstTokenAtOrAfterWrappingAround) {
  const TokenRing ring({{100, 2}, {-50, 0}, {10, 1}});
  EXPECT_EQ(ring.Owner(-1000), 0u);
  EXPECT_EQ(ring.Owner(-50), 0u);
  EXPECT_EQ(ring.Owner(-49), 1u);
  EXPECT_EQ(ring.Owner(10), 1u);
  EXPECT_EQ(ring.Owner(11), 2u);
  EXPECT_EQ(ring.Owner(100), 2u);
  EXPECT_EQ(ring.Owner(101), 0u);  // past the largest: wraps to the smallest
  EXPECT_EQ(ring.Owner(std::numeric_limits<int64_t>::max()), 0u);
}

TEST(TokenRingTest, ReplicasAreDistinctNodesInRingOrder) {
  // Vnodes: node 0 holds two tokens in a row, which must not count twice.
  const TokenRing ring({{0, 0}, {10, 0}, {20, 1}, {30, 2}, {40, 1}});
  std::vector<size_t> out;
  ring.Replicas(5, 2, &out);
  EXPECT_EQ(out, (std::vector<size_t>{0, 1}));
  ring.Replicas(25, 3, &out);
  EXPECT_EQ(out, (std::vector<size_t>{2, 1, 0}));
  ring.Replicas(41, 10, &out);  // more asked than there are nodes: each node once
  EXPECT_EQ(out, (std::vector<size_t>{0, 1, 2}));
  TokenRing empty;
  EXPECT_TRUE(empty.empty());
  empty.Replicas(1, 3, &out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace shoal::store::cassandra

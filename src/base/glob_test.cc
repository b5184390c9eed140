#include "base/glob.h"

#include <random>
#include <string>

#include <fnmatch.h>
#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(GlobTest, StarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("utm_*", "utm_source"));
  EXPECT_TRUE(GlobMatch("utm_*", "utm_"));
  EXPECT_FALSE(GlobMatch("utm_*", "utm"));
  EXPECT_FALSE(GlobMatch("utm_*", "xutm_source"));
  EXPECT_TRUE(GlobMatch("fbclid", "fbclid"));
  EXPECT_FALSE(GlobMatch("fbclid", "fbclid2"));
  EXPECT_FALSE(GlobMatch("fbclid", "FBCLID"));  // case matters
  EXPECT_TRUE(GlobMatch("?clid", "gclid"));
  EXPECT_FALSE(GlobMatch("?clid", "clid"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("*_id*", "mc_id"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(GlobMatch("**a", "bba"));
}

TEST(GlobTest, ReadsTextThroughTheReader) {
  // A reader that decodes "%5F" as '_' (the api decodes percent-encoding this way).
  auto decode = [](std::string_view s, size_t* pos, char* byte) {
    if (s.substr(*pos, 3) == "%5F") {
      *byte = '_';
      *pos += 3;
      return true;
    }
    if (s[*pos] == '%') return false;  // malformed: no match
    *byte = s[(*pos)++];
    return true;
  };
  EXPECT_TRUE(GlobMatchWith("utm_*", "utm%5Fsource", decode));
  EXPECT_TRUE(GlobMatchWith("utm?source", "utm%5Fsource", decode));
  EXPECT_TRUE(GlobMatchWith("*e", "a%5F%5Fe", decode));
  EXPECT_FALSE(GlobMatchWith("utm_*", "utm%zz", decode));
  EXPECT_FALSE(GlobMatchWith("*", "%", decode));
}

// Every pattern of the syntax (literals, '*', '?') against every short text, as fnmatch(3)
// with flags 0 decides: the reference this matcher stands in for.
TEST(GlobTest, AgreesWithFnmatch) {
  std::mt19937 rng(17);
  const std::string pattern_bytes = "ab*?";
  const std::string text_bytes = "ab_";
  int checked = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string pattern, text;
    for (size_t i = rng() % 7; i > 0; --i) pattern += pattern_bytes[rng() % pattern_bytes.size()];
    for (size_t i = rng() % 9; i > 0; --i) text += text_bytes[rng() % text_bytes.size()];
    const bool want = ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
    ASSERT_EQ(GlobMatch(pattern, text), want) << "'" << pattern << "' '" << text << "'";
    checked += want ? 1 : 0;
  }
  EXPECT_GT(checked, 1000);  // the cases cover matches, not only mismatches
}

// The backtracking is bounded: a pathological pattern finishes at once (an exponential
// matcher would take ages on this).
TEST(GlobTest, NoExponentialBacktracking) {
  const std::string text(2000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*", text));
}

}  // namespace
}  // namespace shoal

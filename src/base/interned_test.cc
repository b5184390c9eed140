#include "base/interned.h"

#include <string>

#include <gtest/gtest.h>

namespace shoal {
namespace {

TEST(InternTest, EqualStringsShareOneCopyThatOutlivesTheArgument) {
  std::string route = "/v1/items/{id:int}";
  const std::string_view a = Intern(route);
  route[1] = 'X';  // the caller's string changes; the interned copy does not
  EXPECT_EQ(a, "/v1/items/{id:int}");
  const std::string_view b = Intern(std::string("/v1/items/{id:int}"));
  EXPECT_EQ(a.data(), b.data());
  EXPECT_NE(Intern("/v1/other").data(), a.data());
  EXPECT_EQ(Intern(""), "");
}

}  // namespace
}  // namespace shoal

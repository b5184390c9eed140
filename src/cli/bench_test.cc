// `shoal bench`'s command line: usage errors exit 2, an unreadable paths file exits 1,
// --help exits 0.
#include "cli/bench.h"

#include <gtest/gtest.h>

namespace shoal::cli {
namespace {

TEST(BenchCommandTest, UsageErrors) {
  EXPECT_EQ(BenchCommand({}), 2);
  EXPECT_EQ(BenchCommand({"http://127.0.0.1:1"}), 2);  // no --paths
  EXPECT_EQ(BenchCommand({"ftp://x", "--paths", "p"}), 2);
  EXPECT_EQ(BenchCommand({"http://127.0.0.1:1", "--paths", "p", "--ramp", "soon"}), 2);
  EXPECT_EQ(BenchCommand({"http://127.0.0.1:1", "--paths", "/nonexistent/paths.txt"}), 1);
  EXPECT_EQ(BenchCommand({"--help"}), 0);
}

TEST(BenchCommandTest, ABadPortIsAUsageError) {
  EXPECT_EQ(BenchCommand({"http://127.0.0.1:http", "--paths", "p"}), 2);
  EXPECT_EQ(BenchCommand({"http://127.0.0.1:70000", "--paths", "p"}), 2);
  EXPECT_EQ(BenchCommand({"http://127.0.0.1:", "--paths", "p"}), 2);
  EXPECT_EQ(BenchCommand({"http://::1:8080", "--paths", "p"}), 2);  // IPv6 needs brackets
}

}  // namespace
}  // namespace shoal::cli

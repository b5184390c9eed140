#include "solr/lucene_footer.h"

#include <cstdint>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "base/test_temp_dir.h"

namespace shoal::solr {
namespace {

class LuceneFooterTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  testing::TempDir dir_;
};

// A body that spans several of the reader's 1 MiB steps, so the footer is split across reads.
std::string BigBody() {
  std::string body;
  for (int64_t i = 0; body.size() < (size_t{3} << 20) + 7; ++i) body += std::to_string(i * 7919);
  return body;
}

TEST_F(LuceneFooterTest, AFileWithItsFooterChecksAndReportsItsCrc) {
  for (const std::string& body : {std::string(), std::string("segments"), BigBody()}) {
    const std::string footer = FooterOf(body);
    ASSERT_EQ(footer.size(), kFooterSize);
    const std::string path = Write("f", body + footer);
    Result<Footer> f = ReadFooter(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ(f->size, body.size() + kFooterSize);
    EXPECT_EQ(f->computed_crc, f->stored_crc);
    EXPECT_TRUE(CheckFooter(path, static_cast<int64_t>(body.size() + 16), f->stored_crc).ok());
    EXPECT_TRUE(CheckFooter(path, -1, -1).ok());
  }
}

TEST_F(LuceneFooterTest, OneChangedByteAnywhereIsCaught) {
  const std::string body = BigBody();
  const std::string good = body + FooterOf(body);
  for (const size_t at : {size_t{0}, size_t{1} << 20, body.size() - 1, body.size() + 2}) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    const Status st = CheckFooter(Write("bad", bad), -1, -1);
    EXPECT_FALSE(st.ok()) << "byte " << at;
  }
}

TEST_F(LuceneFooterTest, SizeAndListedChecksumAreCompared) {
  const std::string path = Write("f", "abc" + FooterOf("abc"));
  Result<Footer> f = ReadFooter(path);
  ASSERT_TRUE(f.ok());
  const Status size = CheckFooter(path, 20, -1);
  EXPECT_EQ(size.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(size.message().find("19 bytes, expected 20"), std::string::npos) << size.ToString();
  const Status crc = CheckFooter(path, 19, (f->stored_crc + 1) & 0xFFFFFFFF);
  EXPECT_NE(crc.message().find("Solr listed"), std::string::npos) << crc.ToString();
}

TEST_F(LuceneFooterTest, WhatIsNotALuceneFileSaysWhy) {
  EXPECT_EQ(ReadFooter(dir_.path() + "/none").status().code(), StatusCode::kNotFound);
  const Status shorter = ReadFooter(Write("s", "tiny")).status();
  EXPECT_NE(shorter.message().find("shorter than a Lucene footer"), std::string::npos);
  const Status magic = ReadFooter(Write("m", std::string(40, 'x'))).status();
  EXPECT_NE(magic.message().find("no Lucene footer"), std::string::npos) << magic.ToString();
  std::string other = "abc" + FooterOf("abc");
  other[7] = 1;  // algorithm 1
  const Status algorithm = ReadFooter(Write("a", other)).status();
  EXPECT_NE(algorithm.message().find("algorithm 1"), std::string::npos) << algorithm.ToString();
}

}  // namespace
}  // namespace shoal::solr

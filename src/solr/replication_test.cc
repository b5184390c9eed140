#include "solr/replication.h"

#include <string>

#include <gtest/gtest.h>

namespace shoal::solr {
namespace {

// Answers as Solr 9.10.1 gives them (recorded from a real node: scripts/solr.sh).
TEST(ReplicationTest, IndexVersionIsRead) {
  Result<IndexVersion> v =
      ParseIndexVersion(R"({"responseHeader":{"status":0,"QTime":8},"indexversion":1796603223798,)"
                        R"("generation":3,"status":"OK"})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->version, 1796603223798);
  EXPECT_EQ(v->generation, 3);
}

TEST(ReplicationTest, FileListIsReadWithItsConfFiles) {
  Result<FileList> list = ParseFileList(
      R"({"responseHeader":{"status":0,"QTime":15},"filelist":[)"
      R"({"size":255,"name":"_0.kdm","checksum":1223340333},)"
      R"({"size":18230,"name":"_0.fdt","checksum":3643024058},)"
      R"({"size":286,"name":"segments_3","checksum":2171346741}],)"
      R"("confFiles":[{"size":2633,"name":"managed-schema.xml","checksum":4116477323}],)"
      R"("status":"OK"})");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->files.size(), 3u);
  EXPECT_EQ(list->files[1].name, "_0.fdt");
  EXPECT_EQ(list->files[1].size, 18230);
  EXPECT_EQ(list->files[1].checksum, 3643024058);
  ASSERT_EQ(list->conf_files.size(), 1u);
  EXPECT_EQ(list->conf_files[0].name, "managed-schema.xml");
}

TEST(ReplicationTest, AGenerationSolrNoLongerHasIsNotFound) {
  Result<FileList> list =
      ParseFileList(R"({"responseHeader":{"status":0,"QTime":0},"status":"ERROR",)"
                    R"("message":"invalid index generation"})");
  EXPECT_EQ(list.status().code(), StatusCode::kNotFound);
}

TEST(ReplicationTest, WhatIsNotAReplicationAnswerSaysWhatItWas) {
  const Status html =
      ParseIndexVersion("<html><body>Can not find: /solr/nosuch</body></html>").status();
  EXPECT_EQ(html.code(), StatusCode::kUnavailable);
  EXPECT_NE(html.message().find("not a Solr indexversion answer: '<html>"), std::string::npos)
      << html.ToString();
  const Status error =
      ParseIndexVersion(R"({"error":{"msg":"Missing required parameter: x","code":400}})").status();
  EXPECT_NE(error.message().find("Missing required parameter"), std::string::npos);
  EXPECT_FALSE(ParseIndexVersion(R"({"indexversion":"x","generation":3})").ok());
  EXPECT_FALSE(ParseFileList(R"({"filelist":[{"name":"_0.fdt"}]})").ok());  // no size
}

TEST(ReplicationTest, OnlyPlainFileNamesAreAccepted) {
  for (const char* bad : {"../x", "a/b", "..", ".", "", "a\\b", "x\ny"}) {
    EXPECT_FALSE(IsPlainFileName(bad)) << bad;
    const std::string json = std::string(R"({"filelist":[{"size":1,"name":")") +
                             (std::string(bad) == "x\ny" ? "x\\ny" : bad) + R"("}]})";
    EXPECT_FALSE(ParseFileList(json).ok()) << bad;
  }
  EXPECT_FALSE(IsPlainFileName(std::string(256, 'a')));
  EXPECT_TRUE(IsPlainFileName("segments_12"));
  EXPECT_TRUE(IsPlainFileName("_0_Lucene99_0.tip"));
}

}  // namespace
}  // namespace shoal::solr

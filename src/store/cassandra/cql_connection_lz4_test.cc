// LZ4 compression of a Connection against the real server (label cassandra): a large request
// and a large result both round-trip compressed, the counters show both directions really
// were compressed (and how many bytes the wire carried), small requests stay plain, and the
// same statements with compression off give the same answers with nothing compressed.
//
// The table lives in a keyspace of this process's own (shoal_lz4_<pid>), dropped at the end.
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/cassandra/cassandra_test_util.h"
#include "store/cassandra/cql_connection.h"
#include "store/cassandra/cql_connection_test_util.h"

namespace shoal::store::cassandra {
namespace {

using namespace conn_test;  // NOLINT(google-build-using-namespace): the shared test helpers

constexpr int kDocs = 8;
constexpr size_t kDocSize = 64 << 10;  // 8 x 64 KiB: a 512 KiB answer

const std::string& Keyspace() {
  static const std::string kName = testing::UniqueKeyspace("shoal_lz4");
  return kName;
}

// Document is `size` bytes of JSON-like text, as cached documents are: repeated keys, varying
// numbers and names (compressible, but not a run of one byte).
std::string Document(int id, size_t size) {
  std::string s = "[";
  uint32_t x = static_cast<uint32_t>(id) * 2654435761u + 1;
  while (s.size() < size) {
    x = x * 1103515245u + 12345u;
    s += R"({"id":)" + std::to_string(x % 100000) + R"(,"name":"user-)" +
         std::to_string((x >> 8) % 9973) + R"(","score":0.)" + std::to_string(x % 9999) +
         R"(,"active":)" + ((x & 1) != 0 ? "true" : "false") + "},";
  }
  s.resize(size);
  return s;
}

class CqlLz4Test : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (!made_) return;
    Io io;
    auto c = ConnectNow(io.io(), Real());
    if (c.ok()) {
      const Status st = Exec(**c, "DROP KEYSPACE IF EXISTS " + Keyspace());
      if (!st.ok()) ADD_FAILURE() << "dropping " << Keyspace() << ": " << st.ToString();
      (*c)->Close();
    }
  }

  static ConnectionOptions Options(bool compression) {
    ConnectionOptions o = Real();
    o.compression = compression;
    return o;
  }

  // Fill writes the documents, each in one QUERY with the document as a literal: a large
  // request frame.
  static void Fill(Connection& c) {
    ASSERT_TRUE(Exec(c, "CREATE KEYSPACE IF NOT EXISTS " + Keyspace() +
                            " WITH replication = {'class': 'SimpleStrategy', "
                            "'replication_factor': 1}")
                    .ok());
    made_ = true;
    ASSERT_TRUE(
        Exec(c, "CREATE TABLE IF NOT EXISTS " + Keyspace() + ".docs (id int PRIMARY KEY, doc text)")
            .ok());
    for (int i = 0; i < kDocs; ++i) {
      const Status st = Exec(c, "INSERT INTO " + Keyspace() + ".docs (id, doc) VALUES (" +
                                    std::to_string(i) + ", '" + Document(i, kDocSize) + "')");
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }

  // ReadAll selects every document and checks each is exactly what Fill wrote.
  static void ReadAll(Connection& c) {
    Result<std::vector<Row>> rows =
        RowsOf(Call(c, Query("SELECT id, doc FROM " + Keyspace() + ".docs")));
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    ASSERT_EQ(rows->size(), static_cast<size_t>(kDocs));
    for (const Row& row : *rows) {
      ASSERT_TRUE(row[0] && row[1]);
      const auto& id = *row[0];
      ASSERT_EQ(id.size(), 4u);
      const int n = (static_cast<uint8_t>(id[2]) << 8) | static_cast<uint8_t>(id[3]);
      EXPECT_TRUE(*row[1] == Document(n, kDocSize)) << "document " << n << " differs";
    }
  }

  static inline bool made_ = false;
};

TEST_F(CqlLz4Test, LargeRequestsAndResultsRoundTripCompressed) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  auto c = ConnectNow(io.io(), Options(true));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Connection& conn = **c;
  EXPECT_TRUE(conn.compression());  // Cassandra 5 offers lz4
  ASSERT_NO_FATAL_FAILURE(Fill(conn));
  // Every INSERT (64 KiB literal) went out compressed; the small DDL ones may have too.
  EXPECT_GE(conn.frames_compressed(), static_cast<uint64_t>(kDocs));

  // A small request stays plain: the flag is per frame.
  const uint64_t compressed_before = conn.frames_compressed();
  ASSERT_TRUE(RowsOf(Call(conn, Query("SELECT release_version FROM system.local"))).ok());
  EXPECT_EQ(conn.frames_compressed(), compressed_before);

  const uint64_t read_before = conn.bytes_read();
  const uint64_t inflated_before = conn.frames_decompressed();
  ASSERT_NO_FATAL_FAILURE(ReadAll(conn));
  const uint64_t wire = conn.bytes_read() - read_before;
  EXPECT_GE(conn.frames_decompressed(), inflated_before + 1);
  // 512 KiB of documents came in well under half of that.
  EXPECT_LT(wire, kDocs * kDocSize / 2) << wire;
  std::cout << "[ lz4 ] " << kDocs * kDocSize << " bytes of documents read as " << wire
            << " bytes on the wire\n";
  conn.Close();
}

TEST_F(CqlLz4Test, WithCompressionOffTheAnswersAreTheSameAndNothingIsCompressed) {
  SHOAL_NEED_CASSANDRA();
  Io io;
  auto c = ConnectNow(io.io(), Options(false));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Connection& conn = **c;
  EXPECT_FALSE(conn.compression());
  ASSERT_NO_FATAL_FAILURE(Fill(conn));
  const uint64_t read_before = conn.bytes_read();
  ASSERT_NO_FATAL_FAILURE(ReadAll(conn));
  const uint64_t wire = conn.bytes_read() - read_before;
  EXPECT_GT(wire, kDocs * kDocSize);
  EXPECT_EQ(conn.frames_compressed(), 0u);
  EXPECT_EQ(conn.frames_decompressed(), 0u);
  std::cout << "[ plain ] " << kDocs * kDocSize << " bytes of documents read as " << wire
            << " bytes on the wire\n";
  conn.Close();
}

}  // namespace
}  // namespace shoal::store::cassandra

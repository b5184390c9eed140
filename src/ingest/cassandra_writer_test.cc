// The Cassandra writer against the real server (label cassandra): typed binding by the bind
// markers' types, rejects with reasons, and the numbers round trip of issue 12 item 7 (20,000
// doubles and bigints through JSONL and CSV, read back bit for bit; Cassandra keeps -0.0).
#include "ingest/cassandra_writer.h"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/ingest_test_util.h"
#include "ingest/load.h"
#include "ingest/roundtrip_test_util.h"
#include "ingest/source.h"
#include "store/cassandra/cassandra_store.h"
#include "store/cassandra/cassandra_test_util.h"

namespace shoal::ingest {
namespace {

namespace cql = store::cassandra;
using namespace std::chrono_literals;
using testing::Bits;
using testing::NumberRow;
using testing::TempDir;

constexpr size_t kRows = 20000;

class CassandraWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SHOAL_NEED_CASSANDRA();
    keyspace_ = cql::testing::UniqueKeyspace("shoal_ingest_test");
    cql::SessionOptions o;
    o.contact_points = {"127.0.0.1:" + std::to_string(cql::testing::CassandraPort())};
    o.discover_peers = false;
    auto session = cql::Session::Open(o);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    admin_ = std::move(session).value();
    Run("CREATE KEYSPACE IF NOT EXISTS " + keyspace_ +
        " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    Run("CREATE TABLE IF NOT EXISTS " + keyspace_ +
        ".n (id bigint PRIMARY KEY, d double, i bigint, small int, f float, label text)");
    Run("TRUNCATE " + keyspace_ + ".n");
  }
  void TearDown() override {
    if (admin_) {
      Run("DROP KEYSPACE IF EXISTS " + keyspace_);
      admin_->Shutdown();
    }
  }

  void Run(const std::string& query) {
    auto r = admin_->Run(query, 60s);
    ASSERT_TRUE(r.ok()) << query << ": " << r.status().ToString();
  }

  CassandraTarget Target() const {
    CassandraTarget t;
    t.host = "127.0.0.1";
    t.port = cql::testing::CassandraPort();
    t.keyspace = keyspace_;
    return t;
  }

  LoadReport LoadFile(const std::string& name, const std::string& text) {
    const FileFormat format = name.ends_with(".csv") ? FileFormat::kCsv : FileFormat::kJsonl;
    auto source = OpenFileSource(dir_.Write(name, text), format, {});
    EXPECT_TRUE(source.ok()) << source.status().ToString();
    auto writer = OpenCassandraWriter(Target());
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!source.ok() || !writer.ok()) return {};
    Result<LoadReport> report = Load(**source, **writer, "n", [](uint64_t, uint64_t) {});
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : LoadReport{};
  }

  // Select reads the table through the Store adapter (every page).
  store::Rows Select(const std::string& columns) {
    store::CassandraOptions o;
    o.session.contact_points = {"127.0.0.1:" + std::to_string(cql::testing::CassandraPort())};
    o.session.keyspace = keyspace_;
    o.session.discover_peers = false;
    auto store = store::CassandraStore::Open(o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    auto info = (*store)->Prepare("SELECT " + columns + " FROM n");
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) return {};
    std::promise<Result<store::Rows>> answer;
    (*store)->Query(info->id, {}, std::chrono::steady_clock::now() + 60s,
                    [&answer](Result<store::Rows> rows) { answer.set_value(std::move(rows)); });
    Result<store::Rows> rows = answer.get_future().get();
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    (*store)->Shutdown();
    return rows.ok() ? std::move(rows).value() : store::Rows{};
  }

  // LoadsBitForBit loads `text` (the file `name`, holding `rows`) and checks that every row
  // reads back with the same bits.
  void LoadsBitForBit(const std::string& name, const std::string& text,
                      const std::vector<NumberRow>& rows) {
    const LoadReport report = LoadFile(name, text);
    ASSERT_EQ(report.rejected, 0u) << report.first_rejects.front().reason;
    ASSERT_EQ(report.written, rows.size());
    const store::Rows got = Select("id, d, i");
    ASSERT_EQ(got.rows.size(), rows.size());
    size_t differ = 0;
    for (const store::Row& row : got.rows) {
      const int64_t id = std::get<int64_t>(row[0]);
      ASSERT_GE(id, 1);
      ASSERT_LE(static_cast<size_t>(id), rows.size());
      const NumberRow& want = rows[static_cast<size_t>(id - 1)];
      const double d = std::get<double>(row[1]);
      if (Bits(d) != Bits(want.d) || std::get<int64_t>(row[2]) != want.i) {
        if (++differ <= 5) {
          ADD_FAILURE() << "row " << id << ": wrote " << testing::DoubleText(want) << " and "
                        << want.i << ", read " << d << " and " << std::get<int64_t>(row[2]);
        }
      }
    }
    EXPECT_EQ(differ, 0u);
  }

  TempDir dir_;
  std::string keyspace_;
  std::unique_ptr<cql::Session> admin_;
};

TEST_F(CassandraWriterTest, JsonlNumbersComeBackBitForBit) {
  const std::vector<NumberRow> rows = testing::NumberRows(kRows);
  LoadsBitForBit("n.jsonl", testing::NumbersJsonl(rows), rows);
}

TEST_F(CassandraWriterTest, CsvNumbersComeBackBitForBit) {
  const std::vector<NumberRow> rows = testing::NumberRows(kRows);
  LoadsBitForBit("n.csv", testing::NumbersCsv(rows), rows);
}

TEST_F(CassandraWriterTest, AValueThatDoesNotFitItsColumnRejectsTheRowWithAReason) {
  const LoadReport csv = LoadFile("bad.csv",
                                  "id,d,i,small,label\n"
                                  "1,0.5,1.5,1,x\n"
                                  "2,abc,2,2,y\n"
                                  "3,0.25,3,99999999999,z\n"
                                  "4,1e3,4,4,0.1\n");
  EXPECT_EQ(csv.written, 1u);
  ASSERT_EQ(csv.rejected, 3u);
  EXPECT_EQ(csv.first_rejects[0].reason, "column 'i' (bigint): '1.5' is not a 64-bit integer");
  EXPECT_EQ(csv.first_rejects[1].reason, "column 'd' (double): 'abc' is not a number");
  EXPECT_EQ(csv.first_rejects[2].line, 4u);
  EXPECT_NE(csv.first_rejects[2].reason.find("small"), std::string::npos)
      << csv.first_rejects[2].reason;
  const LoadReport json = LoadFile("bad.jsonl",
                                   "{\"id\": 5, \"i\": 1.5, \"d\": null, \"f\": null}\n"
                                   "{\"id\": 6, \"i\": 2.0, \"d\": 3, \"f\": 0.1}\n");
  EXPECT_EQ(json.written, 1u);
  ASSERT_EQ(json.rejected, 1u);
  EXPECT_EQ(json.first_rejects[0].reason, "column 'i' (bigint): 1.5 is not an integer");
  const store::Rows got = Select("id, d, i, label");
  ASSERT_EQ(got.rows.size(), 2u);
}

TEST_F(CassandraWriterTest, AnUnknownTableOrColumnStopsBeforeTheFirstRow) {
  auto writer = OpenCassandraWriter(Target());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  Status s = (*writer)->Begin("nope", {"id"}, true);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot insert into " + keyspace_ + ".nope"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace shoal::ingest

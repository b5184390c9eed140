// The text exposition: types (counter for *_total callbacks), labelled families read at
// scrape time, label value and help escaping, labelled histograms in seconds.
#include "metrics/metrics.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "metrics/process_metrics.h"

namespace shoal::metrics {
namespace {

TEST(MetricsTest, CallbacksEndingInTotalAreCountersTheOthersGauges) {
  Registry reg;
  reg.AddCallback("shoal_x_total", "Xs", [] { return 7; });
  reg.AddCallback("shoal_y_bytes", "Y", [] { return -2; });
  const std::string page = reg.Expose();
  EXPECT_NE(page.find("# HELP shoal_x_total Xs\n# TYPE shoal_x_total counter\nshoal_x_total 7\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("# TYPE shoal_y_bytes gauge\nshoal_y_bytes -2\n"), std::string::npos) << page;
}

TEST(MetricsTest, AFamilyWritesOneSampleALabelSetAtScrapeTime) {
  Registry reg;
  int64_t requests = 3;
  reg.AddFamilyCallback("shoal_n_requests_total", "Requests per node", Type::kCounter,
                        [&requests](FamilyWriter& w) {
                          w.Sample({{"node", "127.0.0.4:9042"}, {"dc", "dc2"}}, requests);
                          w.Sample({{"node", "127.0.0.5:9042"}, {"dc", "dc1"}}, 0);
                        });
  reg.AddFamilyCallback("shoal_n_up", "Up", Type::kGauge, [](FamilyWriter& w) { w.Sample({}, 1); });
  requests = 11;  // read when the page is made
  const std::string page = reg.Expose();
  EXPECT_NE(page.find("# HELP shoal_n_requests_total Requests per node\n"
                      "# TYPE shoal_n_requests_total counter\n"
                      "shoal_n_requests_total{node=\"127.0.0.4:9042\",dc=\"dc2\"} 11\n"
                      "shoal_n_requests_total{node=\"127.0.0.5:9042\",dc=\"dc1\"} 0\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("# TYPE shoal_n_up gauge\nshoal_n_up 1\n"), std::string::npos) << page;
  // Families sort with the rest, by name.
  EXPECT_LT(page.find("shoal_n_requests_total"), page.find("shoal_n_up"));
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  Registry reg;
  reg.AddFamilyCallback("shoal_e", "a\\b\nc", Type::kGauge, [](FamilyWriter& w) {
    w.Sample({{"dc", "x\"y"}}, 1);
  });
  const std::string page = reg.Expose();
  EXPECT_NE(page.find("# HELP shoal_e a\\\\b\\nc\n"), std::string::npos) << page;
  EXPECT_NE(page.find("shoal_e{dc=\"x\\\"y\"} 1\n"), std::string::npos) << page;
}

TEST(MetricsTest, ALabelledHistogramIsCumulativeInSeconds) {
  Registry reg;
  std::array<uint64_t, Histogram::kBoundsUs.size() + 1> buckets{};
  buckets[0] = 2;                            // <= 50 us
  buckets[4] = 1;                            // <= 1 ms
  buckets[Histogram::kBoundsUs.size()] = 1;  // above 1 s
  reg.AddFamilyCallback("shoal_d_seconds", "Duration", Type::kHistogram,
                        [&buckets](FamilyWriter& w) {
                          w.HistogramSample({{"node", "n1"}}, buckets, 4, 2500100);
                        });
  const std::string page = reg.Expose();
  EXPECT_NE(page.find("# TYPE shoal_d_seconds histogram\n"
                      "shoal_d_seconds_bucket{node=\"n1\",le=\"0.000050\"} 2\n"
                      "shoal_d_seconds_bucket{node=\"n1\",le=\"0.000100\"} 2\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("shoal_d_seconds_bucket{node=\"n1\",le=\"0.001000\"} 3\n"), std::string::npos)
      << page;
  EXPECT_NE(page.find("shoal_d_seconds_bucket{node=\"n1\",le=\"1.000000\"} 3\n"
                      "shoal_d_seconds_bucket{node=\"n1\",le=\"+Inf\"} 4\n"
                      "shoal_d_seconds_sum{node=\"n1\"} 2.500100\n"
                      "shoal_d_seconds_count{node=\"n1\"} 4\n"),
            std::string::npos)
      << page;
}

TEST(MetricsTest, ACounterFamilyKeepsOneChildPerLabelTuple) {
  Registry reg;
  CounterFamily* f =
      reg.GetCounterFamily("shoal_e_requests_total", "Requests", {"endpoint", "code"});
  EXPECT_EQ(reg.GetCounterFamily("shoal_e_requests_total", "other help", {"x"}), f);
  Counter* ok = f->Child({"/v1/items/{id:int}", "2xx"});
  Counter* bad = f->Child({"/v1/items/{id:int}", "4xx"});
  EXPECT_NE(ok, bad);
  EXPECT_EQ(f->Child({"/v1/items/{id:int}", "2xx"}), ok);  // the same child, made once
  ok->Add(3);
  bad->Add();
  f->Child({"/a\"b", "5xx"});  // escaped on the page
  const std::string page = reg.Expose();
  EXPECT_NE(page.find("# HELP shoal_e_requests_total Requests\n"
                      "# TYPE shoal_e_requests_total counter\n"
                      "shoal_e_requests_total{endpoint=\"/v1/items/{id:int}\",code=\"2xx\"} 3\n"
                      "shoal_e_requests_total{endpoint=\"/v1/items/{id:int}\",code=\"4xx\"} 1\n"
                      "shoal_e_requests_total{endpoint=\"/a\\\"b\",code=\"5xx\"} 0\n"),
            std::string::npos)
      << page;
}

TEST(MetricsTest, AHistogramFamilyWritesEachChildCumulativeInSeconds) {
  Registry reg;
  HistogramFamily* f = reg.GetHistogramFamily("shoal_e_seconds", "Durations", {"endpoint"});
  Histogram* a = f->Child({"/a"});
  EXPECT_EQ(f->Child({"/a"}), a);
  a->ObserveUs(40);       // <= 50 us
  a->ObserveUs(2000000);  // +Inf
  f->Child({"/b"})->ObserveUs(300);
  EXPECT_EQ(a->count(), 2U);
  EXPECT_EQ(a->sum_us(), 2000040U);
  const std::string page = reg.Expose();
  EXPECT_NE(page.find("# TYPE shoal_e_seconds histogram\n"
                      "shoal_e_seconds_bucket{endpoint=\"/a\",le=\"0.000050\"} 1\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("shoal_e_seconds_bucket{endpoint=\"/a\",le=\"1.000000\"} 1\n"
                      "shoal_e_seconds_bucket{endpoint=\"/a\",le=\"+Inf\"} 2\n"
                      "shoal_e_seconds_sum{endpoint=\"/a\"} 2.000040\n"
                      "shoal_e_seconds_count{endpoint=\"/a\"} 2\n"
                      "shoal_e_seconds_bucket{endpoint=\"/b\",le=\"0.000050\"} 0\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("shoal_e_seconds_bucket{endpoint=\"/b\",le=\"0.000500\"} 1\n"),
            std::string::npos)
      << page;
}

TEST(MetricsTest, AHistogramSumsTheCellsOfEveryThread) {
  Histogram h;
  std::thread t([&h] {
    for (int i = 0; i < 1000; ++i) h.ObserveUs(75);
  });
  for (int i = 0; i < 1000; ++i) h.ObserveUs(10);
  t.join();
  EXPECT_EQ(h.count(), 2000U);
  EXPECT_EQ(h.bucket(0), 1000U);
  EXPECT_EQ(h.bucket(1), 1000U);
  EXPECT_EQ(h.sum_us(), 85000U);
  EXPECT_EQ(h.Snapshot()[1], 1000U);
}

TEST(MetricsTest, ProcessMetricsReadThisProcess) {
  const ProcessStats p = ReadProcessStats();
  EXPECT_GT(p.rss_bytes, 1U << 20);  // a test binary holds more than a MiB
  EXPECT_GE(p.open_fds, 3U);         // stdin, stdout, stderr
  EXPECT_GT(p.start_time, 1600000000);
  EXPECT_LE(p.start_time, static_cast<int64_t>(std::time(nullptr)));
  Registry reg;
  AddProcessMetrics(reg);
  const std::string page = reg.Expose();
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
        "# TYPE process_open_fds gauge\nprocess_open_fds ",
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds "}) {
    EXPECT_NE(page.find(line), std::string::npos) << line << "\n" << page;
  }
}

TEST(MetricsTest, ResidentBytesFollowMemoryTouchedAndGivenBack) {
  constexpr size_t kSize = size_t{64} << 20;
  const uint64_t before = ReadResidentBytes();
  ASSERT_GT(before, 0U);
  void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_LT(ReadResidentBytes(), before + (size_t{8} << 20));  // mapped, not yet touched
  std::memset(p, 1, kSize);
  const uint64_t touched = ReadResidentBytes();
  EXPECT_GE(touched, before + kSize - (size_t{4} << 20));
  ::munmap(p, kSize);
  EXPECT_LE(ReadResidentBytes(), touched - kSize + (size_t{4} << 20));
}

// The pages of a file the process has mapped and read count too, as they do in VmRSS (the
// binary's and libraries' pages are such pages): what the memory bound measures.
TEST(MetricsTest, ResidentBytesCountAFilesPagesOnceRead) {
  constexpr size_t kSize = size_t{32} << 20;
  char path[] = "/tmp/shoal-metrics-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  const std::string block(size_t{1} << 20, 'x');
  for (size_t at = 0; at < kSize; at += block.size()) {
    ASSERT_EQ(::write(fd, block.data(), block.size()), static_cast<ssize_t>(block.size()));
  }
  void* p = ::mmap(nullptr, kSize, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  ASSERT_NE(p, MAP_FAILED);
  const uint64_t before = ReadResidentBytes();
  const auto* bytes = static_cast<const volatile char*>(p);
  size_t sum = 0;
  for (size_t at = 0; at < kSize; at += 4096) sum += static_cast<size_t>(bytes[at]);
  EXPECT_EQ(sum, kSize / 4096 * static_cast<size_t>('x'));
  EXPECT_GE(ReadResidentBytes(), before + kSize - (size_t{4} << 20));
  ::munmap(p, kSize);
}

}  // namespace
}  // namespace shoal::metrics

// kafka_errors' logic and record format, tested with Rivulet's harness.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "kafka_errors.h"
#include "rivulet/testing.h"

namespace kafka_errors {
namespace {

using rivulet::testing::Harness;

std::map<std::string, int64_t> ByService(const std::vector<rivulet::testing::Record<ErrorCount>>& records) {
  std::map<std::string, int64_t> m;
  for (const auto& r : records) m[r.value.key] += r.value.value;
  return m;
}

TEST(KafkaErrorsTest, OnlyErrorLinesAreCountedPerServiceAndWindow) {
  for (int parallelism : {1, 2}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    Harness h({.parallelism = parallelism});
    auto in = h.Input<LogLine>("logs");
    auto out = h.Output(ErrorsPerService(in.stream(), 10'000), "errors");
    ASSERT_TRUE(h.Start().ok());
    in.Send({"api", "ERROR", 1'000}, 1'000);
    in.Send({"api", "INFO", 1'500}, 1'500);
    in.Send({"db", "ERROR", 2'000}, 2'000);
    in.Send({"api", "ERROR", 9'000}, 9'000);
    in.Send({"web", "WARN", 9'500}, 9'500);
    in.Send({"db", "ERROR", 12'000}, 12'000);
    ASSERT_TRUE(h.AdvanceWatermark(9'999).ok());
    EXPECT_EQ(ByService(out.Take()), (std::map<std::string, int64_t>{{"api", 2}, {"db", 1}}));
    ASSERT_TRUE(h.AdvanceWatermark(19'999).ok());
    EXPECT_EQ(ByService(out.Take()), (std::map<std::string, int64_t>{{"db", 1}}));
    ASSERT_TRUE(h.Finish().ok());
    EXPECT_TRUE(out.Take().empty());
  }
}

TEST(KafkaErrorsTest, DecodeTakesTheServiceFromTheKeyAndTheLevelFromTheFirstWord) {
  rivulet::connectors::kafka::Message m;
  m.key = "api";
  m.value = "ERROR connection refused";
  m.timestamp = 7;
  auto l = Decode(m);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->service, "api");
  EXPECT_EQ(l->level, "ERROR");
  EXPECT_EQ(l->ts, 7);
  m.value.reset();
  EXPECT_FALSE(Decode(m).has_value());
  EXPECT_EQ(Decode(m).status().message(), "no value (the log line)");
}

}  // namespace
}  // namespace kafka_errors

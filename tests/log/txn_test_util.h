// What the transaction tests share: a log manager in a temporary directory
// that can be closed and opened again, and a read of a topic's values.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "log/consumer.h"
#include "log/log_manager.h"
#include "tests/test_util.h"

namespace rivulet::log::testing {

struct LogFixture {
  rivulet::testing::TempDir dir;
  LogOptions options;
  std::unique_ptr<LogManager> lm;
  // `flush_check_interval_ms` also paces the coordinator's periodic
  // AbortExpired: long, so that it cannot race a test's own calls.
  explicit LogFixture(int64_t flush_check_interval_ms) {
    options.flush_check_interval_ms = flush_check_interval_ms;
    Open();
  }
  void Open() { lm = std::move(LogManager::Open(dir.path(), options)).value(); }
  void Reopen() {
    ASSERT_TRUE(lm->Close().ok());
    lm.reset();
    Open();
  }
  TransactionCoordinator& tc() { return lm->transactions(); }
};

// Every value readable from `topic` (all partitions) at `isolation`, sorted.
inline std::vector<std::string> ReadValues(LogManager* lm, const std::string& topic,
                                           IsolationLevel isolation = IsolationLevel::kReadCommitted) {
  ConsumerConfig cc;
  cc.isolation_level = isolation;
  cc.enable_auto_commit = false;
  Consumer c(lm, cc);
  std::vector<TopicPartition> tps;
  const int32_t n = *lm->PartitionCount(topic);
  for (int32_t p = 0; p < n; ++p) tps.push_back({topic, p});
  EXPECT_TRUE(c.Assign(tps).ok());
  EXPECT_TRUE(c.SeekToBeginning(tps).ok());
  std::vector<std::string> out;
  for (;;) {
    auto recs = c.Poll(std::chrono::milliseconds(50));
    EXPECT_TRUE(recs.ok()) << recs.status().ToString();
    if (!recs.ok() || recs->empty()) break;
    for (const auto& r : *recs) out.emplace_back(*r.value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace rivulet::log::testing

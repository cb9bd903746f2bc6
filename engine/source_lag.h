// How far a source is behind its input: per partition it reads, the
// records between the source's position and the partition's end, as its
// instances last reported them (rivulet_source_lag_records in the job's
// metrics). An instance reports from its own task, at most once per
// interval() — never per record — and a report replaces its previous one,
// so partitions it no longer reads drop out. Readers (the metrics
// endpoint) take snapshots from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace rivulet::engine {

struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t records = 0;  // the partition's end offset minus the source's position, >= 0

  bool operator==(const PartitionLag&) const = default;
};

class SourceLag {
 public:
  static constexpr std::chrono::milliseconds kDefaultInterval{500};

  // For a source of `parallelism` instances, each reporting at most every
  // `interval` (0: at every poll, for tests).
  explicit SourceLag(int parallelism, std::chrono::milliseconds interval = kDefaultInterval);
  SourceLag(const SourceLag&) = delete;
  SourceLag& operator=(const SourceLag&) = delete;

  std::chrono::milliseconds interval() const { return interval_; }
  // Replaces what instance `index` (0 <= index < parallelism) reported
  // before with `lags`: the partitions it reads now.
  void Report(int index, std::vector<PartitionLag> lags);
  // Every instance's partitions, by topic and partition. A partition two
  // instances report (a Kafka group moved it from one to the other, and
  // the old one has not reported since) comes once, with the smaller lag.
  std::vector<PartitionLag> Snapshot() const;

 private:
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::vector<std::vector<PartitionLag>> by_instance_;  // guarded by mu_
};

}  // namespace rivulet::engine

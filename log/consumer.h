// The embedded consumer, with the Kafka consumer's model: Subscribe() to
// topics as a member of a group (partitions split by the group, committed
// offsets, rebalances) or Assign() partitions directly; Poll() returns
// records from the current positions; commits sync, async or automatic;
// Seek / SeekToBeginning / SeekToEnd / Position / Committed / OffsetsForTimes.
//
// Delivery: with auto-commit, positions are committed every
// auto_commit_interval_ms during Poll, before a rebalance and on Close, so
// after a crash records since the last commit are delivered again (at least
// once, duplicates only from the uncommitted tail).
//
// Threading: one thread at a time, like Kafka's consumer. Group heartbeats
// are sent from Poll(); call it more often than session_timeout_ms.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/consumer_protocol.h"
#include "log/group_coordinator.h"
#include "log/record_batch.h"
#include "log/types.h"

namespace rivulet::log {

class LogManager;

enum class OffsetReset { kEarliest, kLatest, kNone };
// Parses "earliest" / "latest" / "none".
Result<OffsetReset> ParseOffsetReset(const std::string& s);

struct ConsumerConfig {
  std::string group_id;  // required for Subscribe() and commits
  std::string client_id = "rivulet-consumer";
  OffsetReset auto_offset_reset = OffsetReset::kLatest;  // auto.offset.reset
  bool enable_auto_commit = true;
  int64_t auto_commit_interval_ms = 5000;
  int32_t max_poll_records = 500;
  size_t max_partition_fetch_bytes = 1 << 20;
  int32_t session_timeout_ms = 45000;
  int32_t heartbeat_interval_ms = 3000;
  int32_t max_poll_interval_ms = 300000;  // the rebalance timeout
  // partition.assignment.strategy, in order of preference.
  std::vector<std::string> assignment_strategies = {"range", "roundrobin"};
  bool check_crcs = true;
};

// One record. Views stay valid as long as the ConsumerRecords holding it.
struct ConsumerRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::string_view headers_raw;  // encoded headers; decoded by headers()
  int32_t header_count = 0;

  // The record's headers, decoded (kCorruption if malformed).
  Result<std::vector<Header>> headers() const {
    RecordView v;
    v.offset = offset;
    v.headers_raw = headers_raw;
    v.header_count = header_count;
    return DecodeHeaders(v);
  }
};

class ConsumerRecords {
 public:
  using const_iterator = std::vector<ConsumerRecord>::const_iterator;
  const_iterator begin() const { return records_.begin(); }
  const_iterator end() const { return records_.end(); }
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  const ConsumerRecord& operator[](size_t i) const { return records_[i]; }

 private:
  friend class Consumer;
  std::vector<ConsumerRecord> records_;
  std::vector<std::shared_ptr<const std::string>> keepalive_;  // buffers the views point into
};

// Told about partitions taken away (before, so offsets can be committed)
// and given (after) in a rebalance.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void OnPartitionsRevoked(const std::vector<TopicPartition>& partitions) {}
  virtual void OnPartitionsAssigned(const std::vector<TopicPartition>& partitions) {}
};

class Consumer {
 public:
  // `log` must outlive the consumer.
  Consumer(LogManager* log, ConsumerConfig config);
  ~Consumer();  // Close()
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Joins config.group_id and consumes the partitions the group gives it.
  Status Subscribe(const std::vector<std::string>& topics, RebalanceListener* listener = nullptr);
  // Consumes exactly these partitions, without group membership (commits
  // still go to group_id when set).
  Status Assign(const std::vector<TopicPartition>& partitions);
  // Leaves the group (if any) and drops the assignment.
  Status Unsubscribe();
  std::vector<TopicPartition> assignment() const;
  // The member id and generation in the group ("" / -1 when not a member).
  const std::string& member_id() const { return member_id_; }
  int32_t generation() const { return generation_; }

  // Returns up to max_poll_records records, waiting up to `timeout` for
  // some. Takes part in rebalances. Errors: kCorruption (a bad batch at a
  // position; Seek past it to go on), kOutOfRange with auto_offset_reset
  // none, kNotFound for deleted topics.
  Result<ConsumerRecords> Poll(std::chrono::milliseconds timeout);

  // Commits the current positions of all assigned partitions.
  Status CommitSync();
  // Commits the given offsets (the next offsets to read).
  Status CommitSync(const std::map<TopicPartition, int64_t>& offsets);
  // Commits the current positions; `done` (if any) runs in a later Poll().
  void CommitAsync(std::function<void(const Status&)> done = nullptr);

  // Next Poll() reads `partition` from `offset`. kInvalidArgument if not assigned.
  Status Seek(const TopicPartition& partition, int64_t offset);
  Status SeekToBeginning(const std::vector<TopicPartition>& partitions);
  Status SeekToEnd(const std::vector<TopicPartition>& partitions);
  // Offset of the next record Poll() returns for `partition`.
  Result<int64_t> Position(const TopicPartition& partition);
  // The group's committed offset (nullopt when none).
  Result<std::optional<int64_t>> Committed(const TopicPartition& partition) const;
  // For each partition the earliest offset whose timestamp is >= the given
  // one (nullopt when there is none).
  Result<std::map<TopicPartition, std::optional<int64_t>>> OffsetsForTimes(
      const std::map<TopicPartition, int64_t>& timestamps) const;
  Result<std::map<TopicPartition, int64_t>> BeginningOffsets(const std::vector<TopicPartition>& ps) const;
  Result<std::map<TopicPartition, int64_t>> EndOffsets(const std::vector<TopicPartition>& ps) const;

  // Commits (with auto-commit), leaves the group. Idempotent.
  void Close();

 private:
  struct PartitionState {
    std::shared_ptr<const std::string> topic;  // shared with records
    int64_t position = -1;                     // -1: to be reset / fetched from commit
    std::shared_ptr<std::string> buffer;       // fetched, not yet returned
    size_t buffer_len = 0;                     // valid bytes in buffer
    size_t buffer_pos = 0;                     // next batch in buffer
    // The batch at buffer_pos when a poll stopped inside it: validated
    // once, resumed where it stopped. Reset with the buffer (Drop).
    std::optional<RecordReader> reader;
    int64_t batch_next_offset = 0;
    size_t batch_size = 0;
    void Drop() {
      reader.reset();
      buffer.reset();
    }
  };
  struct PendingJoin;

  void SetAssignment(const std::vector<TopicPartition>& partitions);
  // A read buffer no ConsumerRecords still points into (reused, so that
  // steady reading allocates and page-faults nothing).
  std::shared_ptr<std::string> FreeBuffer();
  Status EnsurePositions();
  Status ResetPosition(const TopicPartition& tp, PartitionState& st, OffsetReset how);
  // Positions st.reader on the next batch to read (reading into a buffer
  // when the last one is used up); *end when there is nothing more now.
  // Leaves st.reader empty after skipping a batch or to read again.
  Status NextBatch(const TopicPartition& tp, PartitionState& st, int* resets, bool* end);
  // Group protocol, advanced from Poll without blocking past `deadline`.
  // Returns ok with *ready=false while a rebalance is in progress.
  Status DriveGroup(std::chrono::steady_clock::time_point deadline, bool* ready);
  void StartJoin();
  Status OnJoined(const JoinGroupResponse& r);
  Status OnSynced(const SyncGroupResponse& r);
  void RevokeAll();
  Status MaybeAutoCommit(int64_t now);
  // Appends up to `max` records of `tp` to `out`.
  Status FetchInto(const TopicPartition& tp, PartitionState& st, ConsumerRecords* out, size_t max);

  LogManager* const log_;
  const ConsumerConfig config_;
  RebalanceListener* listener_ = nullptr;

  std::vector<std::string> subscription_;  // empty when assigned manually
  bool subscribed_ = false;
  std::map<TopicPartition, PartitionState> partitions_;
  std::vector<std::shared_ptr<std::string>> buffer_pool_;
  size_t next_partition_ = 0;  // round-robin start for fairness

  // Group state.
  std::string member_id_;
  int32_t generation_ = -1;
  bool need_rejoin_ = false;
  std::shared_ptr<PendingJoin> pending_;  // in-flight join or sync
  int64_t next_heartbeat_ms_ = 0;
  int64_t next_auto_commit_ms_ = 0;
  std::vector<std::pair<std::function<void(const Status&)>, Status>> async_done_;
  bool closed_ = false;
};

}  // namespace rivulet::log

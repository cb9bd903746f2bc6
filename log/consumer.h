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
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/record_reader.h"
#include "log/types.h"

namespace rivulet::log {

class LogManager;
class Partition;
struct JoinGroupResponse;
struct SyncGroupResponse;

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
  // isolation.level: kReadCommitted reads up to the last stable offset and
  // skips the records of aborted transactions (and then EndOffsets,
  // SeekToEnd and "latest" mean the last stable offset).
  IsolationLevel isolation_level = IsolationLevel::kReadUncommitted;
  // Bound on one compressed batch's decompressed records: a batch that
  // inflates past it is reported as kCorruption.
  size_t max_decompressed_batch_bytes = kDefaultMaxDecompressedBytes;
};

// One record: the partition it came from, and the record as RecordView has
// it (offset, timestamp, key, value, headers). Views stay valid as long as
// the ConsumerRecords holding it (from PollEach: during the call only).
struct ConsumerRecord : RecordView {
  std::string_view topic;
  int32_t partition = 0;

  // The record's headers, decoded (kCorruption if malformed).
  Result<std::vector<Header>> headers() const { return DecodeHeaders(*this); }
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
  // The segment mappings, decompressed batches and topic names the views
  // point into.
  std::vector<std::shared_ptr<const void>> keepalive_;
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
  // Poll without collecting: calls fn(const ConsumerRecord&) for each record
  // Poll would return, in the same order and with the same positions and
  // errors, decoded straight from the log's mapped segments (nothing is
  // copied; a compressed batch is decompressed into a buffer of its own).
  // The record's views are valid during the call only. Returns how many
  // records it passed to fn (0 when the timeout ran out). If fn throws, the
  // positions cover the records passed so far.
  template <typename Fn>
  Result<size_t> PollEach(std::chrono::milliseconds timeout, Fn&& fn) {
    return PollImpl(timeout, nullptr, fn);
  }

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
  // What a partition's poll loop reads (PollEach runs it inline); the
  // fetched bytes and the aborted transactions they overlap are in
  // `fetched`, which only the out-of-line parts touch.
  struct FetchedData;  // consumer.cc
  struct PartitionState {
    PartitionState();
    ~PartitionState();
    PartitionState(PartitionState&&) noexcept;
    PartitionState& operator=(PartitionState&&) noexcept;

    std::shared_ptr<const std::string> topic;  // shared with records
    int64_t position = -1;                     // -1: to be reset / fetched from commit
    size_t data_pos = 0;                       // next batch in the fetched data
    // The batch at data_pos when a poll stopped inside it: validated once,
    // resumed where it stopped. Reset with the data (Drop).
    std::optional<RecordReader> reader;
    // The decompressed records the reader reads, when the batch is
    // compressed (null otherwise); shared with the records returned.
    std::shared_ptr<const std::string> inflated;
    int64_t batch_next_offset = 0;
    size_t batch_size = 0;
    // The fetched batches (a view of the segment's mapping), not yet
    // returned, and with read_committed the aborted transactions
    // overlapping them (created by the first fetch).
    std::unique_ptr<FetchedData> fetched;
    // Drops the fetched data and the reader.
    void Drop();
  };
  struct PendingJoin;

  void SetAssignment(const std::vector<TopicPartition>& partitions);
  Status EnsurePositions();
  Status ResetPosition(const TopicPartition& tp, PartitionState& st, OffsetReset how);
  // The log end offset, or the last stable offset with read_committed.
  int64_t EndOffsetOf(const Partition& p) const;
  // Positions st.reader on the next batch to read (fetching more when the
  // data is used up); *end when there is nothing more now. Leaves
  // st.reader empty after skipping a batch or to fetch again.
  Status NextBatch(const TopicPartition& tp, PartitionState& st, int* resets, bool* end);
  // Group protocol, advanced from Poll without blocking past `deadline`.
  // Returns ok with *ready=false while a rebalance is in progress.
  Status DriveGroup(std::chrono::steady_clock::time_point deadline, bool* ready);
  void StartJoin();
  Status OnJoined(const JoinGroupResponse& r);
  Status OnSynced(const SyncGroupResponse& r);
  void RevokeAll();
  Status MaybeAutoCommit(int64_t now);

  // The poll loop shared by Poll and PollEach: `keep` (when set) collects
  // what the records' views point into.
  template <typename Fn>
  Result<size_t> PollImpl(std::chrono::milliseconds timeout, std::vector<std::shared_ptr<const void>>* keep,
                          Fn& fn);
  // Adds what the records of st's current batch point into to *keep.
  static void KeepBatch(const PartitionState& st, std::vector<std::shared_ptr<const void>>* keep);
  // Runs callbacks of finished async commits; checks the consumer is open.
  Status BeginPoll();
  // One round's duties: the group, positions, auto-commit. *ready when
  // partitions may be read; *version is the log's data version before.
  Status PreparePoll(std::chrono::steady_clock::time_point deadline, uint64_t* version, bool* ready);
  // Waits for new data (or the next heartbeat or auto-commit); false when
  // the deadline has passed.
  bool WaitPoll(std::chrono::steady_clock::time_point deadline, uint64_t version, bool ready);
  // Passes up to max - *n records of `tp` to fn, counting them in *n.
  template <typename Fn>
  Status FetchEach(const TopicPartition& tp, PartitionState& st, size_t max, size_t* n,
                   std::vector<std::shared_ptr<const void>>* keep, Fn& fn);

  LogManager* const log_;
  const ConsumerConfig config_;
  RebalanceListener* listener_ = nullptr;

  std::vector<std::string> subscription_;  // empty when assigned manually
  bool subscribed_ = false;
  std::map<TopicPartition, PartitionState> partitions_;
  size_t next_partition_ = 0;  // round-robin start for fairness

  // Group state.
  std::string member_id_;
  int32_t generation_ = -1;
  bool need_rejoin_ = false;
  std::shared_ptr<PendingJoin> pending_;  // in-flight join or sync
  int64_t next_heartbeat_ms_ = 0;
  // The leader's view of the subscribed topics' partition counts when it
  // last assigned: a topic that grows (CreatePartitions) makes it rejoin,
  // so the new partitions get assigned, as Kafka's leader does.
  std::map<std::string, int32_t> assigned_counts_;
  int64_t next_auto_commit_ms_ = 0;
  std::vector<std::pair<std::function<void(const Status&)>, Status>> async_done_;
  bool closed_ = false;
};

template <typename Fn>
Result<size_t> Consumer::PollImpl(std::chrono::milliseconds timeout, std::vector<std::shared_ptr<const void>>* keep,
                                  Fn& fn) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  RIVULET_RETURN_IF_ERROR(BeginPoll());
  const size_t max = static_cast<size_t>(config_.max_poll_records);
  size_t n = 0;
  for (;;) {
    uint64_t version = 0;
    bool ready = false;
    RIVULET_RETURN_IF_ERROR(PreparePoll(deadline, &version, &ready));
    if (ready && !partitions_.empty()) {
      const size_t count = partitions_.size();
      auto it = partitions_.begin();
      std::advance(it, static_cast<long>(next_partition_ % count));
      for (size_t i = 0; i < count && n < max; ++i) {
        RIVULET_RETURN_IF_ERROR(FetchEach(it->first, it->second, max, &n, keep, fn));
        if (++it == partitions_.end()) it = partitions_.begin();
      }
      next_partition_ = (next_partition_ + 1) % count;
    }
    if (n > 0 || !WaitPoll(deadline, version, ready)) return n;
  }
}

template <typename Fn>
Status Consumer::FetchEach(const TopicPartition& tp, PartitionState& st, size_t max, size_t* n,
                           std::vector<std::shared_ptr<const void>>* keep, Fn& fn) {
  int resets = 0;
  ConsumerRecord rec;
  rec.topic = *st.topic;
  rec.partition = tp.partition;
  while (*n < max) {
    if (!st.reader) {
      bool end = false;
      RIVULET_RETURN_IF_ERROR(NextBatch(tp, st, &resets, &end));
      if (end) break;
      if (!st.reader) continue;  // skipped a batch, or must fetch more
    }
    if (keep) KeepBatch(st, keep);
    RecordReader& reader = *st.reader;
    {
      // Counted in locals (registers), stored back even if fn throws: the
      // position then covers exactly the records fn was given.
      struct Progress {
        int64_t position;
        size_t count;
        int64_t* position_out;
        size_t* count_out;
        ~Progress() {
          *position_out = position;
          *count_out = count;
        }
      } done{st.position, *n, &st.position, n};
      bool more = done.count < max && reader.Next(&rec);
      while (more && rec.offset < done.position) more = reader.Next(&rec);  // a batch entered mid-way
      while (more) {
        done.position = rec.offset + 1;
        ++done.count;
        fn(static_cast<const ConsumerRecord&>(rec));
        more = done.count < max && reader.Next(&rec);
      }
    }
    if (!reader.status().ok()) {
      Status bad(Errc::kCorruption, tp.ToString() + ": " + reader.status().message());
      st.Drop();
      return bad;
    }
    if (!reader.done()) break;  // full: the next poll resumes here
    st.position = std::max(st.position, st.batch_next_offset);
    st.data_pos += st.batch_size;
    st.reader.reset();
  }
  if (keep && (keep->empty() || keep->back() != st.topic)) keep->push_back(st.topic);
  return Status::Ok();
}

}  // namespace rivulet::log

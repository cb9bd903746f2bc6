// One partition of a topic: an ordered set of segments in its own folder,
// the log start and end offsets, rolling, retention and the flush policy.
//
// Threading: all methods are thread-safe. Appends are serialized by mu_;
// reads take mu_ only to pick the segment and then read without it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "log/producer_state.h"
#include "log/segment.h"
#include "log/topic_config.h"
#include "log/types.h"

namespace rivulet::log {

// A byte range of one segment holding whole batches (the last one may be
// partial when a size limit cut it).
struct FileSlice {
  std::shared_ptr<const Segment> segment;
  uint64_t position = 0;
  size_t size = 0;
};

// ReadResult (types.h) as a view of the segment's mapping (no copy); `data.keep` holds it.
struct MappedRead {
  MappedBytes data;
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
  int64_t last_stable_offset = 0;
};

// A producer as DescribeProducers shows it.
struct ProducerDescription {
  ProducerId producer_id = kNoProducerId;
  ProducerEpoch epoch = kNoProducerEpoch;
  int32_t last_sequence = kNoSequence;
  int64_t last_timestamp = -1;
  int32_t coordinator_epoch = -1;
  int64_t current_txn_start_offset = -1;
};

struct RetentionResult {
  int segments_deleted = 0;
  uint64_t bytes_deleted = 0;
};

class Partition {
 public:
  // Opens (or creates) the partition folder `dir`: recovers the last segment,
  // loads the others. Invokes `on_append` after each successful append.
  static Result<std::unique_ptr<Partition>> Open(const std::string& dir, TopicPartition tp,
                                                 const TopicConfig& config,
                                                 std::function<void()> on_append);
  ~Partition();
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  const TopicPartition& topic_partition() const { return tp_; }

  // Appends concatenated batches, assigning offsets from the log end (the
  // batches' base offsets are overwritten in place). With `validate`, each
  // batch's framing and CRC are checked first and nothing is written if one
  // fails. Returns the offsets assigned. After it returns the records are
  // visible to readers and in the OS page cache (durable against a process
  // crash); they are fsynced according to flush.messages / flush.ms, or
  // right away with `sync`.
  //
  // Batches with a producer id are checked against the producer state
  // first (producer_state.h): an older epoch fails with kProducerFenced, a
  // sequence gap with kOutOfOrderSequence, and a batch already appended (a
  // retry; only as the one batch of an append) writes nothing and returns
  // its original offsets with `duplicate` set. Transactional batches open a
  // transaction that a control batch (a marker) commits or aborts.
  Result<AppendInfo> Append(std::span<char> batches, bool validate, bool sync = false);
  // Appends a commit or abort marker for `producer`'s open transaction.
  Result<AppendInfo> AppendMarker(const ProducerFields& producer, ControlType type, int32_t coordinator_epoch,
                                  bool sync = false);

  // Whole batches from the one holding `offset`, up to about max_bytes (at
  // least one batch). Empty at the log end; kOutOfRange outside
  // [log start, log end]. With kReadCommitted, nothing at or past the last
  // stable offset.
  Result<ReadResult> Read(int64_t offset, size_t max_bytes,
                          IsolationLevel isolation = IsolationLevel::kReadUncommitted) const;
  // The same without copying: a view of the segment's read-only mapping.
  Result<MappedRead> Map(int64_t offset, size_t max_bytes,
                         IsolationLevel isolation = IsolationLevel::kReadUncommitted) const;

  // The first offset of the oldest open transaction, or the log end when
  // none is open: read_committed readers stop here.
  int64_t last_stable_offset() const;
  // Aborted transactions whose records overlap [from, upto), in the order
  // of their markers.
  std::vector<AbortedTxn> AbortedTransactions(int64_t from, int64_t upto) const;
  // The producers that wrote here (with their open transaction, if any).
  std::vector<ProducerDescription> DescribeProducers() const;

  int64_t log_start_offset() const;
  int64_t log_end_offset() const;
  uint64_t size_bytes() const;
  size_t segment_count() const;
  // First offset with timestamp >= ts, or -1 when there is none.
  Result<int64_t> OffsetForTimestamp(int64_t ts) const;
  // Records appended since the last fsync.
  int64_t unflushed_messages() const;
  // Corrupt batches found in the middle of the log during recovery.
  std::vector<std::string> corrupt_ranges() const;

  // fsyncs the active segment when flush.ms has passed since the last flush
  // and something is unflushed (called periodically by the manager).
  Status MaybeFlush(int64_t now_ms);
  Status Flush();
  // Starts a new active segment at the log end (if the active one is not
  // empty) and returns its base offset.
  Result<int64_t> Roll();
  // Deletes the whole segments that end at or below `offset` (never the
  // active one); the log start moves to the first segment kept.
  Status DeleteSegmentsBefore(int64_t offset);
  // DeleteRecords: moves the log start up to `offset` (-1: the high
  // watermark), which may fall inside a segment; records below it are no
  // longer read, and the whole segments below it are deleted. The start is
  // kept in DIR/log-start-offset across restarts. Returns the new log
  // start; kOutOfRange past the log end. Never moves the start back.
  Result<int64_t> DeleteRecordsBefore(int64_t offset);
  // Deletes whole segments past retention.ms / retention.bytes.
  Result<RetentionResult> ApplyRetention(int64_t now_ms);
  void UpdateConfig(const TopicConfig& config);
  // Flushes and saves indexes. The partition is unusable afterwards.
  Status Close();
  // Closes and removes the folder.
  Status Delete();

 private:
  Partition(std::string dir, TopicPartition tp, const TopicConfig& config,
            std::function<void()> on_append);
  Status Load();
  Status LoadProducerState();
  Status WriteSnapshotLocked(int64_t offset);
  std::string SnapshotPath(int64_t offset) const;
  std::string StartOffsetPath() const;  // DIR/log-start-offset
  // Offsets of the producer snapshots in dir_, newest first.
  std::vector<int64_t> ListSnapshots() const;
  Status RollLocked(int64_t now_ms);
  Status FlushLocked();
  Result<FileSlice> SliceLocked(int64_t offset, size_t max_bytes, IsolationLevel isolation, int64_t* hw,
                                int64_t* start, int64_t* lso) const;
  int64_t LastStableLocked() const;
  // The first readable offset: the first segment's base, or above it after
  // DeleteRecords.
  int64_t StartLocked() const;
  // Deletes the whole segments that end at or below `offset`, never the
  // active one, with the aborted transactions wholly below the start.
  Status DropSegmentsBelowLocked(int64_t offset);

  const std::string dir_;
  const TopicPartition tp_;
  const std::function<void()> on_append_;

  mutable std::mutex mu_;
  TopicConfig config_;                                  // guarded by mu_
  std::map<int64_t, std::shared_ptr<Segment>> segments_;  // by base offset; guarded by mu_
  std::shared_ptr<Segment> active_;                     // last segment; guarded by mu_
  int64_t unflushed_messages_ = 0;                      // guarded by mu_
  int64_t last_flush_ms_ = 0;                           // guarded by mu_
  std::vector<std::string> corrupt_ranges_;             // guarded by mu_
  ProducerStateManager producers_;                      // guarded by mu_
  std::vector<AbortedTxn> aborted_;                     // by marker offset; guarded by mu_
  bool closed_ = false;                                 // guarded by mu_
  int64_t deleted_before_ = 0;  // DeleteRecords' log start; guarded by mu_
};

}  // namespace rivulet::log

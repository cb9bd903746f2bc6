// One segment of a partition: an append-only file of RecordBatch v2 bytes
// named by its base offset (00000000000000000042.log), with its sparse
// indexes. Recovery validates a segment batch by batch and truncates a torn
// or corrupt tail.
//
// Threading: Append, Recover, Truncate and Close come from one writer (the
// partition holds its lock); Map/Read/Find* may run concurrently from readers
// and only see bytes below size(), which is published after each write.
//
// Readers see the file through a read-only mapping (Map), so that fetching
// records copies nothing; the writer appends with write(2) and recovery
// reads with pread(2). The mapping runs ahead of the file's end so that an
// active segment is remapped only as it doubles; bytes past size() are never
// touched. A segment deleted by retention stays readable through mappings
// readers still hold.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "log/producer_state.h"
#include "log/record_batch.h"
#include "log/segment_index.h"

namespace rivulet::log {

// Bytes of a segment read through its mapping, which `keep` holds alive.
struct MappedBytes {
  std::shared_ptr<const MappedFile> keep;
  std::span<const char> bytes;
};

// What recovery found in a segment.
struct RecoveryReport {
  uint64_t valid_bytes = 0;       // bytes kept
  uint64_t truncated_bytes = 0;   // torn / corrupt tail removed
  int64_t batches = 0;
  // Corrupt batches in the middle, followed by valid ones: kept on disk (so
  // nothing after them is lost) and reported to readers as kCorruption.
  std::vector<std::string> corrupt_ranges;
};

class Segment {
 public:
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment();

  // Creates a new, empty segment file in `dir`.
  static Result<std::shared_ptr<Segment>> Create(const std::string& dir, int64_t base_offset,
                                                 uint32_t index_interval_bytes);
  // Opens an existing segment. With `recover`, validates every batch (CRC
  // included), truncates at a torn or corrupt tail and rebuilds the indexes;
  // otherwise loads the index files (rebuilding them from batch headers when
  // missing or invalid).
  static Result<std::shared_ptr<Segment>> Open(const std::string& dir, int64_t base_offset,
                                               uint32_t index_interval_bytes, bool recover,
                                               RecoveryReport* report);

  static std::string FileName(int64_t base_offset);  // "%020d.log"

  int64_t base_offset() const { return base_offset_; }
  // One past the last offset stored (base_offset() when empty).
  int64_t next_offset() const { return next_offset_.load(std::memory_order_acquire); }
  // Bytes of complete batches in the file.
  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  int64_t max_timestamp() const { return index_.max_timestamp(); }
  // Wall-clock ms of the first append since this segment was created or opened.
  int64_t first_append_ms() const { return first_append_ms_; }
  const std::string& path() const { return file_.path(); }
  int fd() const { return file_.fd(); }

  // Appends `bytes`: one or more whole batches whose headers are `headers`,
  // with offsets already assigned. On failure the file is cut back to its
  // previous size, so no partial batch stays behind.
  Status Append(std::span<const char> bytes, std::span<const BatchHeader> headers, int64_t now_ms);

  // Up to `max` bytes at `position` (never past size()), without copying.
  Result<MappedBytes> Map(uint64_t position, size_t max) const;
  // Copies up to out.size() bytes at `position` (never past size()).
  Result<size_t> Read(uint64_t position, std::span<char> out) const;
  // Position of the batch that holds `offset` (or of the first batch after
  // it); size() when the offset is past the segment's end.
  Result<uint64_t> FindPosition(int64_t offset) const;
  // First offset at or after `from` whose record timestamp is >= ts; -1
  // when none here.
  Result<int64_t> FindOffsetForTimestamp(int64_t ts, int64_t from = 0) const;

  // Calls fn(header, position) for each batch from the one holding
  // `from_offset` to the end (headers only; recovery of producer state).
  Status ScanHeaders(int64_t from_offset,
                     const std::function<Status(const BatchHeader&, uint64_t)>& fn) const;

  // The aborted-transaction index (<base>.txnindex): the transactions whose
  // abort marker is in this segment. A missing file is an empty index.
  Result<std::vector<AbortedTxn>> LoadAbortedTxns() const;
  Status AppendAbortedTxns(std::span<const AbortedTxn> txns);
  // Replaces the index (atomically) with `txns`.
  Status WriteAbortedTxns(std::span<const AbortedTxn> txns);

  Status Flush();
  // Persists the indexes (on roll and close).
  Status SaveIndexes();
  // Closes and removes the segment's files.
  Status Delete();

 private:
  Segment(File file, int64_t base_offset, uint32_t index_interval_bytes);
  Status Recover(RecoveryReport* report);
  Status RebuildIndexFromHeaders();
  // Reads the batch header at `position`; kCorruption if unreadable.
  Result<BatchHeader> HeaderAt(uint64_t position, uint64_t limit) const;
  std::string prefix() const;

  File file_;
  const int64_t base_offset_;
  SegmentIndex index_;
  std::atomic<int64_t> next_offset_;
  std::atomic<uint64_t> size_{0};
  int64_t first_append_ms_ = -1;
  mutable std::mutex map_mu_;
  mutable std::shared_ptr<const MappedFile> map_;  // guarded by map_mu_
};

}  // namespace rivulet::log

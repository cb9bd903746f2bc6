// Sparse offset and time indexes of one segment. An entry is added for the
// first batch and then whenever `interval_bytes` of log have been written
// since the last entry. Kept in memory; persisted when the segment rolls or
// closes and rebuilt from the log when the file is missing or invalid.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"

namespace rivulet::log {

class SegmentIndex {
 public:
  SegmentIndex(int64_t base_offset, uint32_t interval_bytes)
      : base_offset_(base_offset), interval_bytes_(interval_bytes) {}

  // Records a batch [base, last] with max timestamp `max_ts` written at
  // byte `position`, ending at `end_position`.
  void OnBatch(int64_t base, int64_t max_ts, uint64_t position, uint64_t end_position);

  // Byte position from which to scan for `offset`: that of the last indexed
  // batch whose base offset is <= offset (0 when none).
  uint64_t LookupOffset(int64_t offset) const;
  // Offset from which to scan for the first record with timestamp >= ts:
  // that of the last indexed batch whose max-timestamp-so-far is < ts
  // (the segment's base offset when none).
  int64_t LookupTimestamp(int64_t ts) const;
  // Largest timestamp seen in the segment (-1 when empty).
  int64_t max_timestamp() const;

  // Drops all entries (before a rebuild).
  void Clear();
  // Writes `<prefix>.index` and `<prefix>.timeindex` atomically.
  Status Save(const std::string& prefix) const;
  // Loads both files; fails (kCorruption / kNotFound) if either is missing,
  // has a partial entry, is not increasing or points past `segment_size`.
  Status Load(const std::string& prefix, uint64_t segment_size);
  size_t entries() const;

 private:
  struct OffsetEntry {
    uint32_t relative_offset;
    uint32_t position;
  };
  struct TimeEntry {
    int64_t timestamp;
    uint32_t relative_offset;
  };

  const int64_t base_offset_;
  const uint32_t interval_bytes_;
  mutable std::mutex mu_;  // guards everything below (appender vs readers)
  std::vector<OffsetEntry> offsets_;
  std::vector<TimeEntry> times_;
  uint64_t last_indexed_end_ = 0;  // end position when the last entry was added
  int64_t max_timestamp_ = -1;
  uint32_t max_timestamp_rel_ = 0;  // relative offset of the batch holding it
  bool have_entry_ = false;
};

}  // namespace rivulet::log

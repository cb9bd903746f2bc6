// Sparse segment indexes; see segment_index.h.
#include "log/segment_index.h"

#include <algorithm>
#include <cstring>

#include "base/file.h"
#include "log/varint.h"

namespace rivulet::log {

void SegmentIndex::OnBatch(int64_t base, int64_t max_ts, uint64_t position,
                           uint64_t end_position) {
  std::lock_guard<std::mutex> lock(mu_);
  if (max_ts > max_timestamp_) {
    max_timestamp_ = max_ts;
    max_timestamp_rel_ = static_cast<uint32_t>(base - base_offset_);
  }
  if (have_entry_ && position < last_indexed_end_ + interval_bytes_) return;
  const auto rel = static_cast<uint32_t>(base - base_offset_);
  offsets_.push_back({rel, static_cast<uint32_t>(position)});
  if (times_.empty() || max_timestamp_ > times_.back().timestamp) {
    times_.push_back({max_timestamp_, rel});
  }
  last_indexed_end_ = end_position;
  have_entry_ = true;
}

uint64_t SegmentIndex::LookupOffset(int64_t offset) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (offset < base_offset_) return 0;
  const auto rel = static_cast<uint64_t>(offset - base_offset_);
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), rel,
                             [](uint64_t r, const OffsetEntry& e) { return r < e.relative_offset; });
  if (it == offsets_.begin()) return 0;
  return std::prev(it)->position;
}

int64_t SegmentIndex::LookupTimestamp(int64_t ts) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::lower_bound(times_.begin(), times_.end(), ts,
                             [](const TimeEntry& e, int64_t t) { return e.timestamp < t; });
  if (it == times_.begin()) return base_offset_;
  return base_offset_ + std::prev(it)->relative_offset;
}

int64_t SegmentIndex::max_timestamp() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_timestamp_;
}

void SegmentIndex::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  offsets_.clear();
  times_.clear();
  last_indexed_end_ = 0;
  max_timestamp_ = -1;
  max_timestamp_rel_ = 0;
  have_entry_ = false;
}

size_t SegmentIndex::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return offsets_.size();
}

Status SegmentIndex::Save(const std::string& prefix) const {
  std::string off, tim;
  {
    std::lock_guard<std::mutex> lock(mu_);
    off.resize(offsets_.size() * 8);
    for (size_t i = 0; i < offsets_.size(); ++i) {
      PutBigEndian32(&off[i * 8], offsets_[i].relative_offset);
      PutBigEndian32(&off[i * 8 + 4], offsets_[i].position);
    }
    // The last entry records the segment's largest timestamp, so that
    // retention by time sees it after a restart.
    std::vector<TimeEntry> times = times_;
    if (max_timestamp_ >= 0 && (times.empty() || max_timestamp_ > times.back().timestamp)) {
      times.push_back({max_timestamp_, max_timestamp_rel_});
    }
    tim.resize(times.size() * 12);
    for (size_t i = 0; i < times.size(); ++i) {
      PutBigEndian64(&tim[i * 12], static_cast<uint64_t>(times[i].timestamp));
      PutBigEndian32(&tim[i * 12 + 8], times[i].relative_offset);
    }
  }
  RIVULET_RETURN_IF_ERROR(WriteFileAtomic(prefix + ".index", off));
  return WriteFileAtomic(prefix + ".timeindex", tim);
}

Status SegmentIndex::Load(const std::string& prefix, uint64_t segment_size) {
  RIVULET_ASSIGN_OR_RETURN(std::string off, ReadFileToString(prefix + ".index"));
  RIVULET_ASSIGN_OR_RETURN(std::string tim, ReadFileToString(prefix + ".timeindex"));
  auto bad = [&](const char* why) {
    return Status(Errc::kCorruption, "index " + prefix + ": " + why);
  };
  if (off.size() % 8 != 0 || tim.size() % 12 != 0) return bad("partial entry");
  std::vector<OffsetEntry> offsets(off.size() / 8);
  for (size_t i = 0; i < offsets.size(); ++i) {
    offsets[i] = {GetBigEndian32(&off[i * 8]), GetBigEndian32(&off[i * 8 + 4])};
    if (offsets[i].position >= segment_size && segment_size > 0) return bad("position past end");
    if (i > 0 && (offsets[i].relative_offset <= offsets[i - 1].relative_offset ||
                  offsets[i].position <= offsets[i - 1].position)) {
      return bad("entries not increasing");
    }
  }
  std::vector<TimeEntry> times(tim.size() / 12);
  for (size_t i = 0; i < times.size(); ++i) {
    times[i] = {static_cast<int64_t>(GetBigEndian64(&tim[i * 12])), GetBigEndian32(&tim[i * 12 + 8])};
    if (i > 0 && times[i].timestamp <= times[i - 1].timestamp) return bad("times not increasing");
  }
  if (segment_size > 0 && offsets.empty()) return bad("empty index for non-empty segment");
  std::lock_guard<std::mutex> lock(mu_);
  offsets_ = std::move(offsets);
  times_ = std::move(times);
  have_entry_ = !offsets_.empty();
  last_indexed_end_ = segment_size;  // new entries only after the next interval
  max_timestamp_ = times_.empty() ? -1 : times_.back().timestamp;
  max_timestamp_rel_ = times_.empty() ? 0 : times_.back().relative_offset;
  return Status::Ok();
}

}  // namespace rivulet::log

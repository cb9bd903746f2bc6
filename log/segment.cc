// Segment files: append, read, lookup and recovery; see segment.h.
#include "log/segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "base/logging.h"

namespace rivulet::log {

Segment::Segment(File file, int64_t base_offset, uint32_t index_interval_bytes)
    : file_(std::move(file)),
      base_offset_(base_offset),
      index_(base_offset, index_interval_bytes),
      next_offset_(base_offset) {}

Segment::~Segment() = default;

std::string Segment::FileName(int64_t base_offset) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020" PRId64 ".log", base_offset);
  return buf;
}

std::string Segment::prefix() const {
  const std::string& p = file_.path();
  return p.substr(0, p.size() - 4);  // strip ".log"
}

Result<std::shared_ptr<Segment>> Segment::Create(const std::string& dir, int64_t base_offset,
                                                 uint32_t index_interval_bytes) {
  const std::string path = dir + "/" + FileName(base_offset);
  RIVULET_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND));
  RIVULET_RETURN_IF_ERROR(SyncDir(dir));
  return std::shared_ptr<Segment>(new Segment(std::move(f), base_offset, index_interval_bytes));
}

Result<std::shared_ptr<Segment>> Segment::Open(const std::string& dir, int64_t base_offset,
                                               uint32_t index_interval_bytes, bool recover,
                                               RecoveryReport* report) {
  const std::string path = dir + "/" + FileName(base_offset);
  RIVULET_ASSIGN_OR_RETURN(File f, File::Open(path, O_RDWR | O_APPEND));
  std::shared_ptr<Segment> seg(new Segment(std::move(f), base_offset, index_interval_bytes));
  RIVULET_ASSIGN_OR_RETURN(uint64_t size, seg->file_.Size());
  seg->size_.store(size, std::memory_order_release);
  if (recover) {
    RecoveryReport local;
    RIVULET_RETURN_IF_ERROR(seg->Recover(report ? report : &local));
  } else {
    Status st = seg->index_.Load(seg->prefix(), size);
    if (!st.ok()) {
      if (size > 0) {
        GetLogger("log")->warn("rebuilding index of {}: {}", path, st.ToString());
      }
      RIVULET_RETURN_IF_ERROR(seg->RebuildIndexFromHeaders());
    } else {
      // The next offset comes from the last batch: scan from the last entry.
      uint64_t pos = seg->index_.LookupOffset(INT64_MAX);
      int64_t next = base_offset;
      while (pos < size) {
        RIVULET_ASSIGN_OR_RETURN(BatchHeader h, seg->HeaderAt(pos, size));
        next = h.next_offset();
        pos += h.total_size();
      }
      seg->next_offset_.store(next, std::memory_order_release);
    }
  }
  seg->first_append_ms_ = size > 0 ? NowMs() : -1;
  return seg;
}

Result<BatchHeader> Segment::HeaderAt(uint64_t position, uint64_t limit) const {
  char buf[kBatchHeaderSize];
  if (limit - position < kBatchHeaderSize) {
    return Status(Errc::kCorruption, "truncated batch header at position " +
                                          std::to_string(position) + " of " + file_.path());
  }
  RIVULET_ASSIGN_OR_RETURN(size_t n, file_.ReadAt(position, std::span<char>(buf, sizeof(buf))));
  auto h = ParseBatchHeader(std::span<const char>(buf, n));
  if (!h.ok()) {
    return Status(Errc::kCorruption, h.status().message() + " (position " +
                                          std::to_string(position) + " of " + file_.path() + ")");
  }
  if (position + h->total_size() > limit) {
    return Status(Errc::kCorruption, "batch at position " + std::to_string(position) + " of " +
                                          file_.path() + " runs past the end");
  }
  return h;
}

Status Segment::RebuildIndexFromHeaders() {
  index_.Clear();
  const uint64_t size = this->size();
  uint64_t pos = 0;
  int64_t next = base_offset_;
  while (pos < size) {
    auto h = HeaderAt(pos, size);
    if (!h.ok()) return h.status();
    index_.OnBatch(h->base_offset, h->max_timestamp, pos, pos + h->total_size());
    next = h->next_offset();
    pos += h->total_size();
  }
  next_offset_.store(next, std::memory_order_release);
  return Status::Ok();
}

Status Segment::Recover(RecoveryReport* report) {
  index_.Clear();
  const uint64_t size = this->size();
  uint64_t pos = 0;
  int64_t next = base_offset_;
  std::string buf;
  auto log = GetLogger("log");

  // Validates the batch at `p`, reading it into buf. Returns its header.
  auto validate_at = [&](uint64_t p) -> Result<BatchHeader> {
    RIVULET_ASSIGN_OR_RETURN(BatchHeader h, HeaderAt(p, size));
    buf.resize(h.total_size());
    RIVULET_ASSIGN_OR_RETURN(size_t n, file_.ReadAt(p, std::span<char>(buf.data(), buf.size())));
    return ValidateBatch(std::span<const char>(buf.data(), n));
  };
  // True when every batch from `p` to the end of the file is valid and at
  // least one exists: then a bad batch before `p` is a hole, not a torn tail.
  auto valid_to_end = [&](uint64_t p) {
    if (p >= size) return false;
    while (p < size) {
      auto h = validate_at(p);
      if (!h.ok()) return false;
      p += h->total_size();
    }
    return true;
  };

  while (pos < size) {
    auto h = validate_at(pos);
    if (h.ok() && h->base_offset < next) {
      h = Status(Errc::kCorruption, "offset " + std::to_string(h->base_offset) +
                                        " goes backwards (expected >= " + std::to_string(next) + ")");
    }
    if (h.ok()) {
      index_.OnBatch(h->base_offset, h->max_timestamp, pos, pos + h->total_size());
      next = h->next_offset();
      pos += h->total_size();
      ++report->batches;
      continue;
    }
    // A bad batch. If its length still frames it and everything after it is
    // valid, keep it: truncating would lose good records behind it.
    auto framed = HeaderAt(pos, size);
    if (framed.ok() && valid_to_end(pos + framed->total_size())) {
      std::string range = file_.path() + " position " + std::to_string(pos) + ": " +
                          h.status().message();
      log->error("corrupt batch kept in the middle of {}", range);
      report->corrupt_ranges.push_back(range);
      // Index it under the offset that follows, so lookups still work.
      index_.OnBatch(next, -1, pos, pos + framed->total_size());
      pos += framed->total_size();
      continue;
    }
    log->warn("truncating {} at position {} ({} bytes): {}", file_.path(), pos, size - pos,
              h.status().message());
    RIVULET_RETURN_IF_ERROR(file_.Truncate(pos));
    RIVULET_RETURN_IF_ERROR(file_.Sync());
    report->truncated_bytes = size - pos;
    break;
  }
  report->valid_bytes = pos;
  size_.store(pos, std::memory_order_release);
  next_offset_.store(next, std::memory_order_release);
  return Status::Ok();
}

Status Segment::Append(std::span<const char> bytes, std::span<const BatchHeader> headers,
                       int64_t now_ms) {
  const uint64_t start = size();
  Status st = file_.Append(bytes);
  if (!st.ok()) {
    // Cut back any partial write so that the file ends on a batch boundary.
    Status cut = file_.Truncate(start);
    if (!cut.ok()) {
      GetLogger("log")->error("cannot truncate {} after failed write: {}", file_.path(),
                              cut.ToString());
    }
    return st;
  }
  uint64_t pos = start;
  for (const BatchHeader& h : headers) {
    index_.OnBatch(h.base_offset, h.max_timestamp, pos, pos + h.total_size());
    pos += h.total_size();
  }
  if (first_append_ms_ < 0) first_append_ms_ = now_ms;
  next_offset_.store(headers.back().next_offset(), std::memory_order_release);
  size_.store(start + bytes.size(), std::memory_order_release);
  return Status::Ok();
}

Result<MappedBytes> Segment::Map(uint64_t position, size_t max) const {
  const uint64_t limit = size();
  if (position >= limit) return MappedBytes{};
  std::shared_ptr<const MappedFile> map;
  {
    std::lock_guard<std::mutex> lock(map_mu_);
    if (!map_ || map_->size() < limit) {
      // Room to grow: an active segment is remapped each time it doubles
      // (at least 8 MiB ahead), not on every append.
      constexpr uint64_t kMinHeadroom = 8 << 20;
      constexpr uint64_t kPage = 4096;
      const uint64_t length = (limit + std::max(limit, kMinHeadroom) + kPage - 1) / kPage * kPage;
      RIVULET_ASSIGN_OR_RETURN(map_, MappedFile::Map(file_, static_cast<size_t>(length)));
    }
    map = map_;
  }
  const size_t n = static_cast<size_t>(std::min<uint64_t>(max, limit - position));
  const std::span<const char> bytes(map->data() + position, n);
  return MappedBytes{std::move(map), bytes};
}

Result<size_t> Segment::Read(uint64_t position, std::span<char> out) const {
  RIVULET_ASSIGN_OR_RETURN(MappedBytes m, Map(position, out.size()));
  if (!m.bytes.empty()) std::memcpy(out.data(), m.bytes.data(), m.bytes.size());
  return m.bytes.size();
}

Result<uint64_t> Segment::FindPosition(int64_t offset) const {
  const uint64_t limit = size();
  uint64_t pos = index_.LookupOffset(offset);
  while (pos < limit) {
    RIVULET_ASSIGN_OR_RETURN(BatchHeader h, HeaderAt(pos, limit));
    if (h.last_offset() >= offset) return pos;
    pos += h.total_size();
  }
  return limit;
}

Result<int64_t> Segment::FindOffsetForTimestamp(int64_t ts, int64_t from) const {
  const uint64_t limit = size();
  if (index_.max_timestamp() < ts) return int64_t{-1};
  RIVULET_ASSIGN_OR_RETURN(uint64_t pos, FindPosition(std::max(index_.LookupTimestamp(ts), from)));
  std::string buf;
  while (pos < limit) {
    RIVULET_ASSIGN_OR_RETURN(BatchHeader h, HeaderAt(pos, limit));
    if (h.max_timestamp >= ts && h.last_offset() >= from) {
      buf.resize(h.total_size());
      RIVULET_ASSIGN_OR_RETURN(size_t n, file_.ReadAt(pos, std::span<char>(buf.data(), buf.size())));
      RIVULET_ASSIGN_OR_RETURN(BatchHeader vh, ValidateBatch(std::span<const char>(buf.data(), n)));
      if (vh.compression() != Compression::kNone) return std::max(vh.base_offset, from);  // batch granularity
      auto reader = RecordReader::ForBatch(vh, std::span<const char>(buf.data(), n));
      RecordView r;
      while (reader.Next(&r)) {
        if (r.offset >= from && r.timestamp >= ts) return r.offset;
      }
      RIVULET_RETURN_IF_ERROR(reader.status());
    }
    pos += h.total_size();
  }
  return int64_t{-1};
}

Status Segment::ScanHeaders(int64_t from_offset,
                            const std::function<Status(const BatchHeader&, uint64_t)>& fn) const {
  const uint64_t limit = size();
  RIVULET_ASSIGN_OR_RETURN(uint64_t pos, FindPosition(from_offset));
  while (pos < limit) {
    RIVULET_ASSIGN_OR_RETURN(BatchHeader h, HeaderAt(pos, limit));
    RIVULET_RETURN_IF_ERROR(fn(h, pos));
    pos += h.total_size();
  }
  return Status::Ok();
}

namespace {
// A .txnindex entry: producer id, first offset, last offset (int64 BE each).
constexpr size_t kTxnEntrySize = 24;

std::string EncodeTxns(std::span<const AbortedTxn> txns) {
  std::string out(txns.size() * kTxnEntrySize, '\0');
  char* p = out.data();
  for (const AbortedTxn& t : txns) {
    PutBigEndian64(p, static_cast<uint64_t>(t.producer_id));
    PutBigEndian64(p + 8, static_cast<uint64_t>(t.first_offset));
    PutBigEndian64(p + 16, static_cast<uint64_t>(t.last_offset));
    p += kTxnEntrySize;
  }
  return out;
}
}  // namespace

Result<std::vector<AbortedTxn>> Segment::LoadAbortedTxns() const {
  const std::string path = prefix() + ".txnindex";
  std::vector<AbortedTxn> out;
  if (::access(path.c_str(), F_OK) != 0) return out;
  RIVULET_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  if (bytes.size() % kTxnEntrySize != 0) {
    // A torn append: the entry is rebuilt from the abort marker by recovery.
    GetLogger("log")->warn("{}: dropping a torn entry of {} bytes", path, bytes.size() % kTxnEntrySize);
  }
  for (size_t pos = 0; pos + kTxnEntrySize <= bytes.size(); pos += kTxnEntrySize) {
    const char* p = bytes.data() + pos;
    out.push_back(AbortedTxn{static_cast<int64_t>(GetBigEndian64(p)), static_cast<int64_t>(GetBigEndian64(p + 8)),
                             static_cast<int64_t>(GetBigEndian64(p + 16))});
  }
  return out;
}

Status Segment::AppendAbortedTxns(std::span<const AbortedTxn> txns) {
  if (txns.empty()) return Status::Ok();
  RIVULET_ASSIGN_OR_RETURN(File f, File::Open(prefix() + ".txnindex", O_WRONLY | O_CREAT | O_APPEND));
  const std::string bytes = EncodeTxns(txns);
  return f.Append(std::span<const char>(bytes.data(), bytes.size()));
}

Status Segment::WriteAbortedTxns(std::span<const AbortedTxn> txns) {
  const std::string path = prefix() + ".txnindex";
  if (txns.empty()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("unlink", path, errno);
    return Status::Ok();
  }
  return WriteFileAtomic(path, EncodeTxns(txns));
}

Status Segment::Flush() { return file_.Sync(); }

Status Segment::SaveIndexes() { return index_.Save(prefix()); }

Status Segment::Delete() {
  // The descriptor stays open until the last reader drops its reference.
  const std::string p = prefix();
  for (const char* ext : {".log", ".index", ".timeindex", ".txnindex"}) {
    const std::string f = p + ext;
    if (::unlink(f.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("unlink", f, errno);
  }
  return Status::Ok();
}

}  // namespace rivulet::log

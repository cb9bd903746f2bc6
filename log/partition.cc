// Partition: segments, offsets, rolling, retention, flush; see partition.h.
#include "log/partition.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <string_view>

#include "base/logging.h"
#include "log/varint.h"

namespace fs = std::filesystem;

namespace rivulet::log {
namespace {

// Parses "00000000000000000042.log" into 42; -1 when not a segment name.
int64_t ParseSegmentName(const std::string& name) {
  if (name.size() != 24 || name.substr(20) != ".log") return -1;
  int64_t v = 0;
  for (int i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

// Parses "00000000000000000042.snapshot" into 42; -1 otherwise.
int64_t ParseSnapshotName(const std::string& name) {
  if (name.size() != 29 || !name.ends_with(".snapshot")) return -1;
  int64_t v = 0;
  for (int i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

// How many producer-state snapshots a partition keeps.
constexpr size_t kSnapshotsKept = 3;

}  // namespace

Partition::Partition(std::string dir, TopicPartition tp, const TopicConfig& config,
                     std::function<void()> on_append)
    : dir_(std::move(dir)), tp_(std::move(tp)), on_append_(std::move(on_append)), config_(config) {}

Partition::~Partition() {
  Status st = Close();
  if (!st.ok()) GetLogger("log")->error("closing {}: {}", tp_.ToString(), st.ToString());
}

Result<std::unique_ptr<Partition>> Partition::Open(const std::string& dir, TopicPartition tp,
                                                   const TopicConfig& config,
                                                   std::function<void()> on_append) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status(Errc::kIoError, "create " + dir + ": " + ec.message());
  std::unique_ptr<Partition> p(new Partition(dir, std::move(tp), config, std::move(on_append)));
  RIVULET_RETURN_IF_ERROR(p->Load());
  return p;
}

Status Partition::Load() {
  std::vector<int64_t> bases;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".tmp")) {
      fs::remove(e.path(), ec);  // an interrupted atomic write
      continue;
    }
    int64_t base = ParseSegmentName(name);
    if (base >= 0) bases.push_back(base);
  }
  if (ec) return Status(Errc::kIoError, "list " + dir_ + ": " + ec.message());
  std::sort(bases.begin(), bases.end());
  const uint32_t interval = static_cast<uint32_t>(config_.index_interval_bytes);
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    RecoveryReport report;
    RIVULET_ASSIGN_OR_RETURN(auto seg, Segment::Open(dir_, bases[i], interval, last, &report));
    for (auto& r : report.corrupt_ranges) corrupt_ranges_.push_back(r);
    if (report.truncated_bytes > 0) {
      GetLogger("log")->warn("{}: recovery removed a torn tail of {} bytes", tp_.ToString(),
                             report.truncated_bytes);
    }
    segments_[bases[i]] = seg;
  }
  if (segments_.empty()) {
    RIVULET_ASSIGN_OR_RETURN(auto seg, Segment::Create(dir_, 0, interval));
    segments_[0] = seg;
  }
  active_ = segments_.rbegin()->second;
  last_flush_ms_ = NowMs();
  if (fs::exists(StartOffsetPath())) {
    RIVULET_ASSIGN_OR_RETURN(std::string text, ReadFileToString(StartOffsetPath()));
    // All of it must be the number (a newline after it is fine): a start
    // read short, as from "1x3", would show deleted records again.
    std::string_view digits(text);
    while (!digits.empty() && (digits.back() == '\n' || digits.back() == '\r')) digits.remove_suffix(1);
    int64_t v = -1;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || v < 0) {
      return Status(Errc::kCorruption, "cannot parse " + StartOffsetPath() + ": '" + text + "'");
    }
    // A log cut short by recovery (records not yet fsynced when the start
    // was written) keeps a start no further than its end, on disk too:
    // records appended from there on must not be hidden at the next open.
    deleted_before_ = std::min<int64_t>(v, active_->next_offset());
    if (deleted_before_ < v) {
      RIVULET_RETURN_IF_ERROR(WriteFileAtomic(StartOffsetPath(), std::to_string(deleted_before_)));
    }
    // Segments a crash left below the start (it is written before they go).
    RIVULET_RETURN_IF_ERROR(DropSegmentsBelowLocked(deleted_before_));
  }
  return LoadProducerState();
}

std::vector<int64_t> Partition::ListSnapshots() const {
  std::vector<int64_t> snaps;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const int64_t off = ParseSnapshotName(e.path().filename().string());
    if (off >= 0) snaps.push_back(off);
  }
  std::sort(snaps.rbegin(), snaps.rend());
  return snaps;
}

std::string Partition::SnapshotPath(int64_t offset) const {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "/%020lld.snapshot", static_cast<long long>(offset));
  return dir_ + buf;
}

// Producer state: the newest readable snapshot at or below the log end,
// then every batch header after it. The aborted-transaction indexes of the
// segments scanned are rebuilt from their markers (an entry may be missing
// after a crash).
Status Partition::LoadProducerState() {
  auto log = GetLogger("log");
  const int64_t start = segments_.begin()->first;
  const int64_t end = active_->next_offset();
  for (const auto& [base, seg] : segments_) {
    RIVULET_ASSIGN_OR_RETURN(auto txns, seg->LoadAbortedTxns());
    aborted_.insert(aborted_.end(), txns.begin(), txns.end());
  }
  std::error_code ec;
  const std::vector<int64_t> snaps = ListSnapshots();
  int64_t scan_from = start;
  for (int64_t off : snaps) {
    if (off > end) {  // the log was cut below it
      fs::remove(SnapshotPath(off), ec);
      continue;
    }
    auto bytes = ReadFileToString(SnapshotPath(off));
    auto snap = bytes.ok() ? ProducerStateManager::DecodeSnapshot(*bytes)
                           : Result<std::pair<ProducerStateManager, int64_t>>(bytes.status());
    if (!snap.ok() || snap->second != off) {
      log->warn("{}: ignoring producer snapshot {}: {}", tp_.ToString(), SnapshotPath(off),
                snap.ok() ? "offset mismatch" : snap.status().ToString());
      fs::remove(SnapshotPath(off), ec);
      continue;
    }
    producers_ = std::move(snap->first);
    scan_from = std::max(off, start);
    break;
  }
  std::erase_if(aborted_, [&](const AbortedTxn& t) { return t.last_offset >= scan_from; });
  auto it = segments_.upper_bound(scan_from);
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    const auto& seg = it->second;
    std::vector<AbortedTxn> found;
    Status st = seg->ScanHeaders(scan_from, [&](const BatchHeader& h, uint64_t pos) -> Status {
      if (!h.has_producer_id() || h.base_offset < scan_from) return Status::Ok();
      std::optional<ControlType> control;
      if (h.is_control()) {
        RIVULET_ASSIGN_OR_RETURN(MappedBytes m, seg->Map(pos, h.total_size()));
        auto type = ParseControlType(h, m.bytes);
        if (!type.ok()) {
          log->error("{}: {}; marker ignored", tp_.ToString(), type.status().message());
          return Status::Ok();
        }
        control = *type;
      }
      producers_.Replay(h, control, &found);
      return Status::Ok();
    });
    if (!st.ok()) {
      // A corrupt batch kept in the middle: the state after it may be incomplete.
      log->error("{}: rebuilding producer state: {}", tp_.ToString(), st.ToString());
    }
    std::vector<AbortedTxn> all;
    for (const auto& t : aborted_) {
      if (t.last_offset >= it->first && t.last_offset < seg->next_offset()) all.push_back(t);
    }
    if (!found.empty() || !all.empty()) {
      all.insert(all.end(), found.begin(), found.end());
      RIVULET_RETURN_IF_ERROR(seg->WriteAbortedTxns(all));
      aborted_.insert(aborted_.end(), found.begin(), found.end());
    }
  }
  std::sort(aborted_.begin(), aborted_.end(),
            [](const AbortedTxn& a, const AbortedTxn& b) { return a.last_offset < b.last_offset; });
  return Status::Ok();
}

Status Partition::WriteSnapshotLocked(int64_t offset) {
  RIVULET_RETURN_IF_ERROR(WriteFileAtomic(SnapshotPath(offset), producers_.EncodeSnapshot(offset)));
  std::error_code ec;
  const std::vector<int64_t> snaps = ListSnapshots();
  for (size_t i = kSnapshotsKept; i < snaps.size(); ++i) fs::remove(SnapshotPath(snaps[i]), ec);
  return Status::Ok();
}

Result<AppendInfo> Partition::Append(std::span<char> batches, bool validate, bool sync) {
  // Parse and check every batch before touching the log.
  std::vector<BatchHeader> headers;
  size_t pos = 0;
  int32_t records = 0;
  while (pos < batches.size()) {
    std::span<const char> rest(batches.data() + pos, batches.size() - pos);
    auto h = validate ? ValidateBatch(rest) : ParseBatchHeader(rest);
    if (!h.ok()) return h.status();
    if (h->total_size() > rest.size()) {
      return Status(Errc::kCorruption, "batch truncated in append to " + tp_.ToString());
    }
    records += h->record_count;
    headers.push_back(*h);
    pos += h->total_size();
  }
  if (headers.empty()) return Status(Errc::kInvalidArgument, "empty append to " + tp_.ToString());

  AppendInfo info;
  std::shared_ptr<Segment> to_sync;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status(Errc::kClosed, "partition " + tp_.ToString() + " is closed");
    for (const auto& h : headers) {
      if (h.total_size() > static_cast<size_t>(config_.max_message_bytes)) {
        return Status(Errc::kMessageTooLarge,
                      "batch of " + std::to_string(h.total_size()) + " bytes exceeds max.message.bytes " +
                          std::to_string(config_.max_message_bytes) + " of " + tp_.ToString());
      }
    }
    const int64_t now = NowMs();
    const uint64_t active_size = active_->size();
    const bool too_big = active_size > 0 &&
                         active_size + batches.size() > static_cast<uint64_t>(config_.segment_bytes);
    const bool too_old = active_size > 0 && active_->first_append_ms() >= 0 &&
                         now - active_->first_append_ms() >= config_.segment_ms;
    const bool offsets_full = active_->next_offset() - active_->base_offset() > (1LL << 31) - (1LL << 20);
    if (too_big || too_old || offsets_full) RIVULET_RETURN_IF_ERROR(RollLocked(now));

    int64_t next = active_->next_offset();
    info.base_offset = next;
    size_t at = 0;
    ProducerStateManager::Staged staged;
    for (auto& h : headers) {
      char* b = batches.data() + at;
      SetBaseOffset(b, next);
      h.base_offset = next;
      if (config_.log_append_time) {
        SetLogAppendTime(b, h.total_size(), now);
        h.max_timestamp = now;
        info.log_append_time = now;
      }
      if (h.has_producer_id() || h.is_transactional() || h.is_control()) {
        std::optional<ControlType> control;
        if (h.is_control()) {
          RIVULET_ASSIGN_OR_RETURN(control, ParseControlType(h, std::span<const char>(b, h.total_size())));
        }
        auto check = producers_.CheckAndStage(h, control, &staged);
        if (!check.ok()) return Status(check.status().code(), tp_.ToString() + ": " + check.status().message());
        if (check->duplicate) {
          if (headers.size() != 1) {
            return Status(Errc::kInvalidArgument, tp_.ToString() + ": a retried batch inside an append of " +
                                                      std::to_string(headers.size()) + " batches");
          }
          AppendInfo dup;
          dup.base_offset = check->first_offset;
          dup.last_offset = check->last_offset;
          dup.records = h.record_count;
          dup.duplicate = true;
          return dup;
        }
      }
      next = h.next_offset();
      at += h.total_size();
    }
    RIVULET_RETURN_IF_ERROR(active_->Append(batches, headers, now));
    if (!staged.empty()) {
      std::vector<AbortedTxn> aborted = producers_.Commit(std::move(staged));
      if (!aborted.empty()) {
        aborted_.insert(aborted_.end(), aborted.begin(), aborted.end());
        // Rebuilt from the markers by recovery if this write is lost.
        Status st = active_->AppendAbortedTxns(aborted);
        if (!st.ok()) GetLogger("log")->error("{}: aborted-transaction index: {}", tp_.ToString(), st.ToString());
      }
    }
    info.last_offset = next - 1;
    info.records = records;
    unflushed_messages_ += records;
    if (sync || unflushed_messages_ >= config_.flush_messages) {
      RIVULET_RETURN_IF_ERROR(FlushLocked());
    }
  }
  if (on_append_) on_append_();
  return info;
}

Result<AppendInfo> Partition::AppendMarker(const ProducerFields& producer, ControlType type,
                                           int32_t coordinator_epoch, bool sync) {
  std::string batch = BuildControlBatch(producer, type, coordinator_epoch, NowMs());
  return Append(std::span<char>(batch.data(), batch.size()), /*validate=*/false, sync);
}

Status Partition::FlushLocked() {
  RIVULET_RETURN_IF_ERROR(active_->Flush());
  unflushed_messages_ = 0;
  last_flush_ms_ = NowMs();
  return Status::Ok();
}

Status Partition::RollLocked(int64_t now_ms) {
  RIVULET_RETURN_IF_ERROR(active_->Flush());
  RIVULET_RETURN_IF_ERROR(active_->SaveIndexes());
  const int64_t base = active_->next_offset();
  RIVULET_ASSIGN_OR_RETURN(auto seg, Segment::Create(dir_, base,
                                                     static_cast<uint32_t>(config_.index_interval_bytes)));
  segments_[base] = seg;
  active_ = seg;
  // Without it the next open scans further back: worth a warning, not a failed append.
  if (Status st = WriteSnapshotLocked(base); !st.ok()) {
    GetLogger("log")->warn("{}: producer snapshot: {}", tp_.ToString(), st.ToString());
  }
  unflushed_messages_ = 0;
  last_flush_ms_ = now_ms;
  return Status::Ok();
}

int64_t Partition::LastStableLocked() const {
  const int64_t first = producers_.FirstUnstableOffset();
  return first >= 0 ? first : active_->next_offset();
}

Result<FileSlice> Partition::SliceLocked(int64_t offset, size_t max_bytes, IsolationLevel isolation,
                                         int64_t* hw, int64_t* start, int64_t* lso) const {
  std::vector<std::shared_ptr<Segment>> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status(Errc::kClosed, "partition " + tp_.ToString() + " is closed");
    *start = StartLocked();
    *hw = active_->next_offset();
    *lso = LastStableLocked();
    if (offset < *start || offset > *hw) {
      return Status(Errc::kOutOfRange, "offset " + std::to_string(offset) + " is out of range [" +
                                           std::to_string(*start) + ", " + std::to_string(*hw) +
                                           "] of " + tp_.ToString());
    }
    if (offset == *hw) return FileSlice{};
    if (isolation == IsolationLevel::kReadCommitted && offset >= *lso) return FileSlice{};
    auto it = segments_.upper_bound(offset);
    --it;
    for (; it != segments_.end(); ++it) candidates.push_back(it->second);
  }
  for (const auto& seg : candidates) {
    const uint64_t limit = seg->size();
    RIVULET_ASSIGN_OR_RETURN(uint64_t pos, seg->FindPosition(offset));
    if (pos >= limit) continue;  // offset is past this segment: try the next
    char hdr[kBatchHeaderSize];
    RIVULET_ASSIGN_OR_RETURN(size_t n, seg->Read(pos, std::span<char>(hdr, sizeof(hdr))));
    size_t first = kBatchHeaderSize;
    if (auto h = ParseBatchHeader(std::span<const char>(hdr, n)); h.ok()) first = h->total_size();
    size_t len = static_cast<size_t>(std::min<uint64_t>(max_bytes, limit - pos));
    len = std::max(len, static_cast<size_t>(std::min<uint64_t>(first, limit - pos)));
    return FileSlice{seg, pos, len};
  }
  return FileSlice{};
}

Result<MappedRead> Partition::Map(int64_t offset, size_t max_bytes, IsolationLevel isolation) const {
  MappedRead out;
  RIVULET_ASSIGN_OR_RETURN(FileSlice s, SliceLocked(offset, max_bytes, isolation, &out.high_watermark,
                                                     &out.log_start_offset, &out.last_stable_offset));
  if (s.size == 0) return out;
  RIVULET_ASSIGN_OR_RETURN(out.data, s.segment->Map(s.position, s.size));
  // Keep whole batches only (but never drop the first one), and for
  // read_committed none at or past the last stable offset (a batch boundary).
  const int64_t upto = isolation == IsolationLevel::kReadCommitted ? out.last_stable_offset : INT64_MAX;
  const std::span<const char> b = out.data.bytes;
  size_t pos = 0;
  while (pos + kLogOverhead <= b.size()) {
    const auto len = static_cast<int32_t>(GetBigEndian32(b.data() + pos + kBatchLengthPos));
    if (len < 0) break;
    if (static_cast<int64_t>(GetBigEndian64(b.data() + pos + kBaseOffsetPos)) >= upto) {
      out.data.bytes = b.first(pos);
      return out;
    }
    const size_t total = static_cast<size_t>(len) + kLogOverhead;
    if (pos + total > b.size()) break;
    pos += total;
  }
  if (pos > 0) out.data.bytes = b.first(pos);
  return out;
}

Result<ReadResult> Partition::Read(int64_t offset, size_t max_bytes, IsolationLevel isolation) const {
  RIVULET_ASSIGN_OR_RETURN(MappedRead m, Map(offset, max_bytes, isolation));
  ReadResult out;
  out.bytes.assign(m.data.bytes.data(), m.data.bytes.size());
  out.high_watermark = m.high_watermark;
  out.log_start_offset = m.log_start_offset;
  out.last_stable_offset = m.last_stable_offset;
  return out;
}

int64_t Partition::last_stable_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return LastStableLocked();
}

std::vector<AbortedTxn> Partition::AbortedTransactions(int64_t from, int64_t upto) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AbortedTxn> out;
  auto it = std::lower_bound(aborted_.begin(), aborted_.end(), from,
                             [](const AbortedTxn& t, int64_t off) { return t.last_offset < off; });
  for (; it != aborted_.end(); ++it) {
    if (it->first_offset < upto) out.push_back(*it);
  }
  return out;
}

std::vector<ProducerDescription> Partition::DescribeProducers() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ProducerDescription> out;
  for (const auto& [id, e] : producers_.producers()) {
    ProducerDescription d;
    d.producer_id = id;
    d.epoch = e.epoch;
    d.last_sequence = e.batches.empty() ? kNoSequence : e.batches.back().last_seq;
    d.last_timestamp = e.last_timestamp;
    d.coordinator_epoch = e.coordinator_epoch;
    d.current_txn_start_offset = e.txn_first_offset;
    out.push_back(d);
  }
  return out;
}

int64_t Partition::log_start_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return StartLocked();
}

int64_t Partition::StartLocked() const { return std::max(segments_.begin()->first, deleted_before_); }

std::string Partition::StartOffsetPath() const { return dir_ + "/log-start-offset"; }

int64_t Partition::log_end_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_->next_offset();
}

uint64_t Partition::size_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->size();
  return total;
}

size_t Partition::segment_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segments_.size();
}

int64_t Partition::unflushed_messages() const {
  std::lock_guard<std::mutex> lock(mu_);
  return unflushed_messages_;
}

std::vector<std::string> Partition::corrupt_ranges() const {
  std::lock_guard<std::mutex> lock(mu_);
  return corrupt_ranges_;
}

Result<int64_t> Partition::OffsetForTimestamp(int64_t ts) const {
  std::vector<std::shared_ptr<Segment>> segs;
  int64_t start = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [base, seg] : segments_) segs.push_back(seg);
    start = StartLocked();
  }
  for (const auto& seg : segs) {
    if (seg->max_timestamp() < ts) continue;
    // From the start: records below DeleteRecords' start do not answer.
    RIVULET_ASSIGN_OR_RETURN(int64_t off, seg->FindOffsetForTimestamp(ts, start));
    if (off >= 0) return off;
  }
  return int64_t{-1};
}

Status Partition::MaybeFlush(int64_t now_ms) {
  std::shared_ptr<Segment> seg;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || unflushed_messages_ == 0 || config_.flush_ms == TopicConfig::kNever ||
        now_ms - last_flush_ms_ < config_.flush_ms) {
      return Status::Ok();
    }
    seg = active_;
    unflushed_messages_ = 0;
    last_flush_ms_ = now_ms;
  }
  return seg->Flush();
}

Status Partition::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::Ok();
  return FlushLocked();
}

Result<int64_t> Partition::Roll() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(Errc::kClosed, "partition " + tp_.ToString() + " is closed");
  if (active_->size() > 0) RIVULET_RETURN_IF_ERROR(RollLocked(NowMs()));
  return active_->base_offset();
}

Status Partition::DropSegmentsBelowLocked(int64_t offset) {
  while (segments_.size() > 1 && segments_.begin()->second != active_ &&
         segments_.begin()->second->next_offset() <= offset) {
    RIVULET_RETURN_IF_ERROR(segments_.begin()->second->Delete());
    segments_.erase(segments_.begin());
  }
  const int64_t new_start = StartLocked();
  std::erase_if(aborted_, [&](const AbortedTxn& t) { return t.last_offset < new_start; });
  return Status::Ok();
}

Status Partition::DeleteSegmentsBefore(int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(Errc::kClosed, "partition " + tp_.ToString() + " is closed");
  return DropSegmentsBelowLocked(offset);
}

Result<int64_t> Partition::DeleteRecordsBefore(int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status(Errc::kClosed, "partition " + tp_.ToString() + " is closed");
  const int64_t end = active_->next_offset();
  if (offset == -1) offset = end;
  if (offset < 0 || offset > end) {
    return Status(Errc::kOutOfRange, "offset " + std::to_string(offset) + " is out of range [" +
                                         std::to_string(StartLocked()) + ", " + std::to_string(end) + "] of " +
                                         tp_.ToString());
  }
  if (offset > StartLocked()) {
    // The records below the new start are fsynced first, so that the start
    // never lies past what survives a machine crash; then the start,
    // durably; then the segments below it (a crash or a failed unlink
    // leaves some, which the next call or open deletes).
    RIVULET_RETURN_IF_ERROR(FlushLocked());
    RIVULET_RETURN_IF_ERROR(WriteFileAtomic(StartOffsetPath(), std::to_string(offset)));
    deleted_before_ = offset;
    GetLogger("log")->info("{}: records before {} deleted", tp_.ToString(), offset);
  }
  RIVULET_RETURN_IF_ERROR(DropSegmentsBelowLocked(deleted_before_));
  return StartLocked();
}

Result<RetentionResult> Partition::ApplyRetention(int64_t now_ms) {
  RetentionResult result;
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return result;
  auto expired = [&](const Segment& s) {
    return config_.retention_ms >= 0 && s.size() > 0 && s.max_timestamp() >= 0 &&
           s.max_timestamp() < now_ms - config_.retention_ms;
  };
  // When everything is expired, roll so that the active segment can go too.
  bool all_expired = true;
  for (const auto& [base, seg] : segments_) {
    if (seg->size() > 0 && !expired(*seg)) all_expired = false;
  }
  if (all_expired && active_->size() > 0) RIVULET_RETURN_IF_ERROR(RollLocked(now_ms));

  uint64_t total = 0;
  for (const auto& [base, seg] : segments_) total += seg->size();
  while (segments_.size() > 1) {
    auto& oldest = segments_.begin()->second;
    const bool over_size = config_.retention_bytes >= 0 &&
                           total - oldest->size() >= static_cast<uint64_t>(config_.retention_bytes);
    const bool too_old = expired(*oldest);
    if (!over_size && !too_old) break;
    const uint64_t size = oldest->size();
    RIVULET_RETURN_IF_ERROR(oldest->Delete());
    total -= size;
    result.bytes_deleted += size;
    ++result.segments_deleted;
    segments_.erase(segments_.begin());
  }
  const int64_t new_start = segments_.begin()->first;
  std::erase_if(aborted_, [&](const AbortedTxn& t) { return t.last_offset < new_start; });
  if (result.segments_deleted > 0) {
    GetLogger("log")->info("{}: retention deleted {} segments ({} bytes); log start is now {}",
                           tp_.ToString(), result.segments_deleted, result.bytes_deleted, StartLocked());
  }
  return result;
}

void Partition::UpdateConfig(const TopicConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = config;
}

Status Partition::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  RIVULET_RETURN_IF_ERROR(active_->Flush());
  RIVULET_RETURN_IF_ERROR(active_->SaveIndexes());
  // Spares the next open the scan of the active segment.
  if (Status st = WriteSnapshotLocked(active_->next_offset()); !st.ok()) {
    GetLogger("log")->warn("{}: producer snapshot: {}", tp_.ToString(), st.ToString());
  }
  return Status::Ok();
}

Status Partition::Delete() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    segments_.clear();
    active_.reset();
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) return Status(Errc::kIoError, "remove " + dir_ + ": " + ec.message());
  return Status::Ok();
}

}  // namespace rivulet::log

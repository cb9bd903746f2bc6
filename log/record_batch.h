// Kafka RecordBatch v2 (magic 2): the on-disk and on-wire unit of the log.
// The builder encodes records into one batch; the reader validates a batch
// (lengths, magic, CRC-32C) and iterates its records without copying.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/types.h"
#include "log/varint.h"

namespace rivulet::log {

// Byte layout of the batch header (big-endian), as in the Kafka protocol.
inline constexpr size_t kBaseOffsetPos = 0;         // int64
inline constexpr size_t kBatchLengthPos = 8;        // int32, bytes after this field
inline constexpr size_t kLeaderEpochPos = 12;       // int32
inline constexpr size_t kMagicPos = 16;             // int8 = 2
inline constexpr size_t kCrcPos = 17;               // uint32, CRC-32C of [21, end)
inline constexpr size_t kAttributesPos = 21;        // int16
inline constexpr size_t kLastOffsetDeltaPos = 23;   // int32
inline constexpr size_t kFirstTimestampPos = 27;    // int64
inline constexpr size_t kMaxTimestampPos = 35;      // int64
inline constexpr size_t kProducerIdPos = 43;        // int64
inline constexpr size_t kProducerEpochPos = 51;     // int16
inline constexpr size_t kBaseSequencePos = 53;      // int32
inline constexpr size_t kRecordCountPos = 57;       // int32
inline constexpr size_t kBatchHeaderSize = 61;
inline constexpr size_t kLogOverhead = 12;          // base offset + batch length
inline constexpr int8_t kMagicV2 = 2;

// Attribute bits.
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kTimestampTypeLogAppend = 0x08;
inline constexpr int16_t kTransactionalFlag = 0x10;
inline constexpr int16_t kControlFlag = 0x20;

enum class Compression : int8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

struct BatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;  // total size = batch_length + kLogOverhead
  int32_t leader_epoch = -1;
  int8_t magic = kMagicV2;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t first_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  size_t total_size() const { return static_cast<size_t>(batch_length) + kLogOverhead; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  int64_t next_offset() const { return last_offset() + 1; }
  Compression compression() const { return static_cast<Compression>(attributes & kCompressionMask); }
  bool is_control() const { return (attributes & kControlFlag) != 0; }
  bool is_transactional() const { return (attributes & kTransactionalFlag) != 0; }
  bool has_producer_id() const { return producer_id >= 0; }
  // Sequence of the batch's last record (sequences wrap at INT32_MAX to 0).
  int32_t last_sequence() const {
    const int64_t s = static_cast<int64_t>(base_sequence) + last_offset_delta;
    return static_cast<int32_t>(s > INT32_MAX ? s - INT32_MAX - 1 : s);
  }
};

// The producer fields of a batch: who wrote it, the first record's sequence,
// and whether it belongs to a transaction.
struct ProducerFields {
  ProducerId id = kNoProducerId;
  ProducerEpoch epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  bool transactional = false;
};

// Control batches end a transaction in a partition: one record whose key is
// (version int16 = 0, type int16) and whose value is (version int16 = 0,
// coordinator epoch int32), as Kafka writes them.
enum class ControlType : int16_t { kAbort = 0, kCommit = 1 };

// Encodes a control batch (offsets from 0; the log assigns the base).
std::string BuildControlBatch(const ProducerFields& producer, ControlType type,
                              int32_t coordinator_epoch, int64_t timestamp);
// The type of the validated control batch `batch` (kCorruption when its
// record is not a control record).
Result<ControlType> ParseControlType(const BatchHeader& header, std::span<const char> batch);

// Parses the 61-byte header at the front of `bytes`. Checks only that enough
// bytes are present, the length is sane and the magic is 2; not the CRC.
Result<BatchHeader> ParseBatchHeader(std::span<const char> bytes);

// Parses the header and checks that the whole batch is present and its CRC
// matches. Returns the header. `bytes` may hold more than one batch.
Result<BatchHeader> ValidateBatch(std::span<const char> bytes);

// Overwrites the base offset of an encoded batch (not covered by the CRC).
void SetBaseOffset(char* batch, int64_t base_offset);
// Sets the max timestamp and the log-append-time attribute, recomputing the CRC.
void SetLogAppendTime(char* batch, size_t size, int64_t timestamp);

// One decoded record. Views point into the batch bytes (or the decompressed
// buffer) and live as long as they do.
struct RecordView {
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string_view> key;    // nullopt = null key
  std::optional<std::string_view> value;  // nullopt = null value (tombstone)
  std::string_view headers_raw;           // encoded headers (count + entries)
  int32_t header_count = 0;
};

// Decodes the headers of `r` into owned Header values.
Result<std::vector<Header>> DecodeHeaders(const RecordView& r);

// Reads a length-prefixed nullable field (length -1 = null) from [*p, end).
[[gnu::always_inline]] inline bool GetField(const char** p, const char* end, std::optional<std::string_view>* out) {
  int32_t len;
  if (!GetVarint32(p, end, &len)) return false;
  if (len < 0) {
    out->reset();
    return len == -1;
  }
  if (end - *p < len) return false;
  *out = std::string_view(*p, static_cast<size_t>(len));
  *p += len;
  return true;
}

// Iterates over the records of one validated, uncompressed batch. Next() is
// inline: it runs once per record on every read path.
class RecordReader {
 public:
  // `batch` is the whole batch; `header` its parsed header. For a
  // compressed batch, `records` must be the decompressed records section.
  RecordReader(const BatchHeader& header, std::string_view records);
  // Reader over an uncompressed batch's own bytes.
  static RecordReader ForBatch(const BatchHeader& header, std::span<const char> batch);

  // Decodes the next record into *out. Returns false at the end; a malformed
  // record makes status() non-ok and ends the iteration.
  [[gnu::always_inline]] bool Next(RecordView* out) {
    Cursor c{p_, end_, remaining_};
    const bool more = NextAt(c, out);
    p_ = c.p;
    remaining_ = c.remaining;
    return more;
  }

  // Next without the fast path: decodes any record, field by field. Next
  // gives the same records and the same errors (the tests compare them).
  [[gnu::always_inline]] bool NextGeneral(RecordView* out) {
    Cursor c{p_, end_, remaining_};
    const bool more = c.remaining > 0 && GeneralAt(c, out);
    p_ = c.p;
    remaining_ = c.remaining;
    return more;
  }

  // Whether Next would return false: every record read, or a malformed one.
  bool done() const { return remaining_ <= 0; }
  const Status& status() const { return status_; }

 private:
  // Where the next record starts and how many the header says are left.
  struct Cursor {
    const char* p;
    const char* end;
    int32_t remaining;
  };

  [[gnu::always_inline]] bool NextAt(Cursor& c, RecordView* out) {
    if (c.remaining <= 0) return false;
    if (SmallAt(c, out)) [[likely]] return true;
    return GeneralAt(c, out);
  }

  [[gnu::always_inline]] bool GeneralAt(Cursor& c, RecordView* out) {
    const char* p = c.p;
    int32_t len;
    if (!GetVarint32(&p, c.end, &len) || len < 1 || c.end - p < len) return Fail(c, "length");
    const char* rend = p + len;
    ++p;  // attributes (unused in v2)
    int64_t ts_delta;
    int32_t off_delta;
    if (!GetVarint(&p, rend, &ts_delta)) return Fail(c, "timestamp");
    if (!GetVarint32(&p, rend, &off_delta) || off_delta < 0) return Fail(c, "offset delta");
    if (!GetField(&p, rend, &out->key)) return Fail(c, "key");
    if (!GetField(&p, rend, &out->value)) return Fail(c, "value");
    int32_t hc;
    if (!GetVarint32(&p, rend, &hc) || hc < 0) return Fail(c, "header count");
    Finish(c, out, p, rend, ts_delta, off_delta, hc);
    return true;
  }

  // Records the malformed record (`what` names the field) and ends the batch.
  bool Fail(Cursor& c, const char* what) {
    c.remaining = 0;
    return SetMalformed(what);
  }
  [[gnu::cold, gnu::noinline]] bool SetMalformed(const char* what);

  // The common record — no headers, every varint one or two bytes (lengths
  // and deltas below 8192) — decoded with few branches. Returns false, with
  // the cursor unchanged (*out may be partly written), for anything else,
  // which GeneralAt then decodes or rejects.
  [[gnu::always_inline]] bool SmallAt(Cursor& c, RecordView* out) const {
    const char* q = c.p;
    // The header's varints below (at most 2 + 1 + 2 + 2 + 2 + 2 bytes with
    // no key) are then read inside the batch without further checks.
    if (c.end - q < 16) return false;
    int64_t len, ts_delta, off_delta, key_len, value_len;
    if (!Varint12(&q, &len) || len < 1 || c.end - q < len) return false;
    const char* rend = q + len;
    ++q;  // attributes (unused in v2)
    if (!Varint12(&q, &ts_delta) || !Varint12(&q, &off_delta) || off_delta < 0) return false;
    if (!Varint12(&q, &key_len) || key_len < -1) return false;
    if (key_len >= 0) {
      // Room for the key, a value length and the header count: the value
      // length's second byte, if any, is then inside the record.
      if (rend - q < key_len + 3) return false;
      out->key = std::string_view(q, static_cast<size_t>(key_len));
      q += key_len;
    } else {
      out->key.reset();
    }
    if (!Varint12(&q, &value_len) || value_len < -1) return false;
    if (value_len >= 0) {
      if (rend - q < value_len + 1) return false;  // keeps q inside the record
      out->value = std::string_view(q, static_cast<size_t>(value_len));
      q += value_len;
    } else {
      out->value.reset();
    }
    // No headers: the record ends with a zero count.
    if (q + 1 != rend || rend[-1] != 0) return false;
    Finish(c, out, rend, rend, ts_delta, static_cast<int32_t>(off_delta), 0);
    return true;
  }
  // A one- or two-byte zigzag varint at *q (stepped past it); false for a
  // longer one.
  [[gnu::always_inline]] static bool Varint12(const char** q, int64_t* out) {
    const auto* b = reinterpret_cast<const uint8_t*>(*q);
    if (b[0] < 0x80) {
      *out = UnZigZag(b[0]);
      *q += 1;
      return true;
    }
    if (b[1] >= 0x80) return false;
    *out = UnZigZag((b[0] & 0x7fu) | (static_cast<uint64_t>(b[1]) << 7));
    *q += 2;
    return true;
  }
  // Fills the rest of *out and steps past the record.
  [[gnu::always_inline]] void Finish(Cursor& c, RecordView* out, const char* headers, const char* rend,
                                     int64_t ts_delta, int32_t off_delta, int32_t header_count) const {
    out->header_count = header_count;
    out->headers_raw = std::string_view(headers, static_cast<size_t>(rend - headers));
    // Wrapping sums: a batch from the wire may hold any values (the fuzzer
    // found signed overflow here); the result is then merely wrong, not UB.
    out->offset = static_cast<int64_t>(static_cast<uint64_t>(header_.base_offset) + static_cast<uint64_t>(off_delta));
    out->timestamp = log_append_time_ ? header_.max_timestamp
                                      : static_cast<int64_t>(static_cast<uint64_t>(header_.first_timestamp) +
                                                             static_cast<uint64_t>(ts_delta));
    c.p = rend;
    --c.remaining;
  }

  BatchHeader header_;
  const char* p_;
  const char* end_;
  int32_t remaining_;
  bool log_append_time_;
  Status status_;
};

// Builds one uncompressed RecordBatch v2. Usage: Append()* then Finish().
// Not thread-safe. Reusable after Reset().
class RecordBatchBuilder {
 public:
  explicit RecordBatchBuilder(size_t reserve_bytes = 16 * 1024);
  RecordBatchBuilder(const RecordBatchBuilder&) = delete;
  RecordBatchBuilder& operator=(const RecordBatchBuilder&) = delete;

  // Appends a record. The first record's timestamp becomes the batch's base
  // timestamp; offsets are numbered from 0 (the log assigns the base).
  void Append(int64_t timestamp, std::optional<std::string_view> key,
              std::optional<std::string_view> value,
              std::span<const Header> headers = {});

  // Bytes the batch would take if finished now.
  size_t size_bytes() const { return buf_.size(); }
  // Bytes a record would add (upper bound), to decide when a batch is full.
  static size_t EstimateRecordSize(std::optional<std::string_view> key,
                                   std::optional<std::string_view> value,
                                   std::span<const Header> headers = {});
  int32_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Completes the header (lengths, timestamps, producer fields, CRC) and
  // moves the encoded batch out. The builder is empty afterwards.
  std::string Finish(const ProducerFields& producer = {});
  void Reset();

 private:
  std::string buf_;
  int32_t count_ = 0;
  int64_t first_timestamp_ = 0;
  int64_t max_timestamp_ = 0;
  size_t reserve_;
};

}  // namespace rivulet::log

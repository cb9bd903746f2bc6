// Kafka RecordBatch v2 (magic 2): the on-disk and on-wire unit of the log.
// The builder encodes records into one batch; ValidateBatch checks a batch
// (lengths, magic, CRC-32C), and RecordReader (log/record_reader.h, public
// because the consumer's PollEach inlines it) iterates its records without
// copying.
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
#include "log/record_reader.h"  // RecordView, RecordReader
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

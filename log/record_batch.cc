// RecordBatch v2 encoding, validation and record iteration; see record_batch.h.
#include "log/record_batch.h"

#include <cstring>
#include <limits>

#include "base/crc32c.h"
#include "log/varint.h"

namespace rivulet::log {
namespace {

// Largest batch we accept from anyone (disk or wire).
constexpr int32_t kMaxBatchLength = 256 * 1024 * 1024;

Status Corrupt(std::string msg) { return Status(Errc::kCorruption, std::move(msg)); }

size_t FieldSize(const std::optional<std::string_view>& f) {
  return f ? VarintSize(static_cast<int64_t>(f->size())) + f->size() : 1;
}

char* PutField(char* p, const std::optional<std::string_view>& f) {
  if (!f) return PutVarint(p, -1);
  p = PutVarint(p, static_cast<int64_t>(f->size()));
  if (!f->empty()) std::memcpy(p, f->data(), f->size());
  return p + f->size();
}

}  // namespace

Result<BatchHeader> ParseBatchHeader(std::span<const char> b) {
  if (b.size() < kBatchHeaderSize) {
    return Corrupt("batch header truncated: " + std::to_string(b.size()) + " of " +
                   std::to_string(kBatchHeaderSize) + " bytes");
  }
  const char* p = b.data();
  BatchHeader h;
  h.base_offset = static_cast<int64_t>(GetBigEndian64(p + kBaseOffsetPos));
  h.batch_length = static_cast<int32_t>(GetBigEndian32(p + kBatchLengthPos));
  h.leader_epoch = static_cast<int32_t>(GetBigEndian32(p + kLeaderEpochPos));
  h.magic = static_cast<int8_t>(p[kMagicPos]);
  h.crc = GetBigEndian32(p + kCrcPos);
  h.attributes = static_cast<int16_t>(GetBigEndian16(p + kAttributesPos));
  h.last_offset_delta = static_cast<int32_t>(GetBigEndian32(p + kLastOffsetDeltaPos));
  h.first_timestamp = static_cast<int64_t>(GetBigEndian64(p + kFirstTimestampPos));
  h.max_timestamp = static_cast<int64_t>(GetBigEndian64(p + kMaxTimestampPos));
  h.producer_id = static_cast<int64_t>(GetBigEndian64(p + kProducerIdPos));
  h.producer_epoch = static_cast<int16_t>(GetBigEndian16(p + kProducerEpochPos));
  h.base_sequence = static_cast<int32_t>(GetBigEndian32(p + kBaseSequencePos));
  h.record_count = static_cast<int32_t>(GetBigEndian32(p + kRecordCountPos));
  if (h.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead) ||
      h.batch_length > kMaxBatchLength) {
    return Corrupt("bad batch length " + std::to_string(h.batch_length) + " at offset " +
                   std::to_string(h.base_offset));
  }
  if (h.magic != kMagicV2) {
    return Corrupt("unsupported record batch magic " + std::to_string(h.magic) +
                   " at offset " + std::to_string(h.base_offset));
  }
  if (h.record_count < 0 || h.last_offset_delta < 0 || h.base_offset < 0) {
    return Corrupt("bad batch counts at offset " + std::to_string(h.base_offset));
  }
  return h;
}

Result<BatchHeader> ValidateBatch(std::span<const char> b) {
  RIVULET_ASSIGN_OR_RETURN(BatchHeader h, ParseBatchHeader(b));
  if (b.size() < h.total_size()) {
    return Corrupt("batch at offset " + std::to_string(h.base_offset) + " truncated: " +
                   std::to_string(b.size()) + " of " + std::to_string(h.total_size()) +
                   " bytes");
  }
  uint32_t crc = Crc32c(b.data() + kAttributesPos, h.total_size() - kAttributesPos);
  if (crc != h.crc) {
    return Corrupt("CRC mismatch in batch at offset " + std::to_string(h.base_offset));
  }
  return h;
}

void SetBaseOffset(char* batch, int64_t base_offset) {
  PutBigEndian64(batch + kBaseOffsetPos, static_cast<uint64_t>(base_offset));
}

void SetLogAppendTime(char* batch, size_t size, int64_t timestamp) {
  uint16_t attrs = GetBigEndian16(batch + kAttributesPos);
  PutBigEndian16(batch + kAttributesPos, static_cast<uint16_t>(attrs | kTimestampTypeLogAppend));
  PutBigEndian64(batch + kMaxTimestampPos, static_cast<uint64_t>(timestamp));
  PutBigEndian32(batch + kCrcPos, Crc32c(batch + kAttributesPos, size - kAttributesPos));
}

Result<std::vector<Header>> DecodeHeaders(const RecordView& r) {
  std::vector<Header> out;
  const char* p = r.headers_raw.data();
  const char* end = p + r.headers_raw.size();
  for (int32_t i = 0; i < r.header_count; ++i) {
    int32_t klen;
    if (!GetVarint32(&p, end, &klen) || klen < 0 || end - p < klen) {
      return Corrupt("bad header key at offset " + std::to_string(r.offset));
    }
    Header h;
    h.key.assign(p, static_cast<size_t>(klen));
    p += klen;
    std::optional<std::string_view> v;
    if (!GetField(&p, end, &v)) {
      return Corrupt("bad header value at offset " + std::to_string(r.offset));
    }
    if (v) h.value = std::string(*v);
    out.push_back(std::move(h));
  }
  return out;
}

RecordReader::RecordReader(const BatchHeader& header, std::string_view records)
    : base_offset_(header.base_offset),
      first_timestamp_(header.first_timestamp),
      max_timestamp_(header.max_timestamp),
      p_(records.data()),
      end_(records.data() + records.size()),
      remaining_(header.record_count),
      log_append_time_((header.attributes & kTimestampTypeLogAppend) != 0) {}

RecordReader RecordReader::ForBatch(const BatchHeader& header, std::span<const char> batch) {
  return RecordReader(header, std::string_view(batch.data() + kBatchHeaderSize,
                                               header.total_size() - kBatchHeaderSize));
}

bool RecordReader::SetMalformed(const char* what) {
  status_ = Corrupt(std::string("malformed record (") + what + ") in batch at offset " +
                    std::to_string(base_offset_));
  return false;
}

RecordBatchBuilder::RecordBatchBuilder(size_t reserve_bytes) : reserve_(reserve_bytes) {
  Reset();
}

void RecordBatchBuilder::Reset() {
  buf_.clear();
  buf_.reserve(reserve_);
  buf_.resize(kBatchHeaderSize);
  count_ = 0;
  first_timestamp_ = 0;
  max_timestamp_ = std::numeric_limits<int64_t>::min();
}

size_t RecordBatchBuilder::EstimateRecordSize(std::optional<std::string_view> key,
                                              std::optional<std::string_view> value,
                                              std::span<const Header> headers) {
  size_t n = 1 + kMaxVarint64Bytes * 3 + FieldSize(key) + FieldSize(value) + 5;
  for (const Header& h : headers) {
    n += 5 + h.key.size() + 5 + (h.value ? h.value->size() : 0);
  }
  return n;
}

void RecordBatchBuilder::Append(int64_t timestamp, std::optional<std::string_view> key,
                                std::optional<std::string_view> value,
                                std::span<const Header> headers) {
  if (count_ == 0) first_timestamp_ = timestamp;
  if (timestamp > max_timestamp_) max_timestamp_ = timestamp;
  const int64_t ts_delta = timestamp - first_timestamp_;
  size_t body = 1 + VarintSize(ts_delta) + VarintSize(count_) + FieldSize(key) +
                FieldSize(value) + VarintSize(static_cast<int64_t>(headers.size()));
  for (const Header& h : headers) {
    body += VarintSize(static_cast<int64_t>(h.key.size())) + h.key.size();
    body += FieldSize(h.value ? std::optional<std::string_view>(*h.value) : std::nullopt);
  }
  const size_t old = buf_.size();
  buf_.resize(old + VarintSize(static_cast<int64_t>(body)) + body);
  char* p = buf_.data() + old;
  p = PutVarint(p, static_cast<int64_t>(body));
  *p++ = 0;  // attributes
  p = PutVarint(p, ts_delta);
  p = PutVarint(p, count_);
  p = PutField(p, key);
  p = PutField(p, value);
  p = PutVarint(p, static_cast<int64_t>(headers.size()));
  for (const Header& h : headers) {
    p = PutField(p, std::string_view(h.key));
    p = PutField(p, h.value ? std::optional<std::string_view>(*h.value) : std::nullopt);
  }
  ++count_;
}

std::string RecordBatchBuilder::Finish(const ProducerFields& producer) {
  char* b = buf_.data();
  const size_t size = buf_.size();
  if (count_ == 0) max_timestamp_ = first_timestamp_;
  PutBigEndian64(b + kBaseOffsetPos, 0);
  PutBigEndian32(b + kBatchLengthPos, static_cast<uint32_t>(size - kLogOverhead));
  PutBigEndian32(b + kLeaderEpochPos, static_cast<uint32_t>(-1));
  b[kMagicPos] = kMagicV2;
  PutBigEndian16(b + kAttributesPos, producer.transactional ? kTransactionalFlag : 0);
  PutBigEndian32(b + kLastOffsetDeltaPos, static_cast<uint32_t>(count_ > 0 ? count_ - 1 : 0));
  PutBigEndian64(b + kFirstTimestampPos, static_cast<uint64_t>(first_timestamp_));
  PutBigEndian64(b + kMaxTimestampPos, static_cast<uint64_t>(max_timestamp_));
  PutBigEndian64(b + kProducerIdPos, static_cast<uint64_t>(producer.id));
  PutBigEndian16(b + kProducerEpochPos, static_cast<uint16_t>(producer.epoch));
  PutBigEndian32(b + kBaseSequencePos, static_cast<uint32_t>(producer.base_sequence));
  PutBigEndian32(b + kRecordCountPos, static_cast<uint32_t>(count_));
  PutBigEndian32(b + kCrcPos, Crc32c(b + kAttributesPos, size - kAttributesPos));
  std::string out = std::move(buf_);
  buf_ = std::string();
  Reset();
  return out;
}

std::string BuildControlBatch(const ProducerFields& producer, ControlType type,
                              int32_t coordinator_epoch, int64_t timestamp) {
  char key[4];
  PutBigEndian16(key, 0);
  PutBigEndian16(key + 2, static_cast<uint16_t>(type));
  char value[6];
  PutBigEndian16(value, 0);
  PutBigEndian32(value + 2, static_cast<uint32_t>(coordinator_epoch));
  RecordBatchBuilder builder(128);
  builder.Append(timestamp, std::string_view(key, sizeof(key)), std::string_view(value, sizeof(value)));
  std::string batch = builder.Finish(ProducerFields{producer.id, producer.epoch, kNoSequence, true});
  char* b = batch.data();
  PutBigEndian16(b + kAttributesPos, kTransactionalFlag | kControlFlag);
  PutBigEndian32(b + kCrcPos, Crc32c(b + kAttributesPos, batch.size() - kAttributesPos));
  return batch;
}

Result<ControlType> ParseControlType(const BatchHeader& header, std::span<const char> batch) {
  if (!header.is_control() || header.compression() != Compression::kNone) {
    return Status(Errc::kCorruption, "not an uncompressed control batch at offset " +
                                         std::to_string(header.base_offset));
  }
  // The first record's key, read field by field: length, attributes,
  // timestamp delta, offset delta, key length, key.
  const char* p = batch.data() + kBatchHeaderSize;
  const char* end = batch.data() + std::min(batch.size(), header.total_size());
  int32_t len, off_delta, key_len;
  int64_t ts_delta;
  const bool ok = header.record_count >= 1 && GetVarint32(&p, end, &len) && len > 0 && end - p >= len &&
                  ++p < end && GetVarint(&p, end, &ts_delta) && GetVarint32(&p, end, &off_delta) &&
                  GetVarint32(&p, end, &key_len) && key_len >= 4 && end - p >= key_len;
  if (!ok) {
    return Status(Errc::kCorruption, "control batch at offset " + std::to_string(header.base_offset) +
                                         " has no control record key");
  }
  const auto type = static_cast<int16_t>(GetBigEndian16(p + 2));
  if (type != 0 && type != 1) {
    return Status(Errc::kCorruption, "control batch at offset " + std::to_string(header.base_offset) +
                                         " has unknown type " + std::to_string(type));
  }
  return static_cast<ControlType>(type);
}

}  // namespace rivulet::log

// Records as readers see them: RecordView (one decoded record) and
// RecordReader, which iterates the records of one Kafka RecordBatch v2
// without copying. Public: part of the log's client API, because the
// consumer's PollEach (consumer.h) runs RecordReader::Next inline, once per
// record. Validating and building batches is internal (record_batch.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/types.h"

namespace rivulet::log {

struct BatchHeader;  // record_batch.h

// Zigzag varint decoding (Kafka RecordBatch v2 records, protobuf); the
// encoders are in varint.h.
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Reads a zigzag varint from [*p, end). On success advances *p and returns
// true; returns false (leaving *p unchanged) when truncated or over 10 bytes.
[[gnu::always_inline]] inline bool GetVarint(const char** p, const char* end, int64_t* out) {
  const char* q = *p;
  if (q < end && static_cast<unsigned char>(*q) < 0x80) {
    *out = UnZigZag(static_cast<unsigned char>(*q));
    *p = q + 1;
    return true;
  }
  if (end - q >= 2 && static_cast<unsigned char>(q[1]) < 0x80) {  // two bytes: offset and time deltas
    *out = UnZigZag((static_cast<uint64_t>(static_cast<unsigned char>(q[0])) & 0x7f) |
                    (static_cast<uint64_t>(static_cast<unsigned char>(q[1])) << 7));
    *p = q + 2;
    return true;
  }
  uint64_t result = 0;
  for (int shift = 0; shift < 70 && q < end; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*q++);
    if (shift == 63 && byte > 1) return false;  // overflows 64 bits
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *out = UnZigZag(result);
      *p = q;
      return true;
    }
  }
  return false;
}

// As GetVarint, also failing when the value does not fit in int32.
[[gnu::always_inline]] inline bool GetVarint32(const char** p, const char* end, int32_t* out) {
  const char* q = *p;
  if (q < end && static_cast<unsigned char>(*q) < 0x80) {
    *out = static_cast<int32_t>(UnZigZag(static_cast<unsigned char>(*q)));
    *p = q + 1;
    return true;
  }
  int64_t v;
  if (!GetVarint(&q, end, &v) || v < INT32_MIN || v > INT32_MAX) [[unlikely]] return false;
  *out = static_cast<int32_t>(v);
  *p = q;
  return true;
}

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
  // `header` is the batch's parsed header (record_batch.h). For a
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
    out->offset = static_cast<int64_t>(static_cast<uint64_t>(base_offset_) + static_cast<uint64_t>(off_delta));
    out->timestamp = log_append_time_ ? max_timestamp_
                                      : static_cast<int64_t>(static_cast<uint64_t>(first_timestamp_) +
                                                             static_cast<uint64_t>(ts_delta));
    c.p = rend;
    --c.remaining;
  }

  // Of the batch header: what Finish needs.
  int64_t base_offset_;
  int64_t first_timestamp_;
  int64_t max_timestamp_;
  const char* p_;
  const char* end_;
  int32_t remaining_;
  bool log_append_time_;
  Status status_;
};

}  // namespace rivulet::log

// Zigzag varints (as in Kafka RecordBatch v2 records and protobuf) and
// big-endian fixed-width helpers for batch headers. Header-only: these sit
// on the per-record hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace rivulet::log {

inline constexpr size_t kMaxVarint64Bytes = 10;

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Bytes of the zigzag varint of v.
inline size_t VarintSize(int64_t v) {
  uint64_t u = ZigZag(v);
  // 1 + floor(bits/7), bits = index of the highest set bit.
  const int bits = 64 - __builtin_clzll(u | 1);
  return static_cast<size_t>((bits + 6) / 7);
}

// Writes the zigzag varint of v at dst; returns the end.
inline char* PutVarint(char* dst, int64_t v) {
  uint64_t u = ZigZag(v);
  if (u < 0x80) {
    *dst = static_cast<char>(u);
    return dst + 1;
  }
  while (u >= 0x80) {
    *dst++ = static_cast<char>(u | 0x80);
    u >>= 7;
  }
  *dst++ = static_cast<char>(u);
  return dst;
}

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

inline void PutBigEndian16(char* dst, uint16_t v) {
  v = __builtin_bswap16(v);
  std::memcpy(dst, &v, 2);
}
inline void PutBigEndian32(char* dst, uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(dst, &v, 4);
}
inline void PutBigEndian64(char* dst, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(dst, &v, 8);
}
inline uint16_t GetBigEndian16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return __builtin_bswap16(v);
}
inline uint32_t GetBigEndian32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t GetBigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

}  // namespace rivulet::log

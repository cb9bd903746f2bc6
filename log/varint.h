// Zigzag varints (as in Kafka RecordBatch v2 records and protobuf) and
// big-endian fixed-width helpers for batch headers. Header-only: these sit
// on the per-record hot path. The decoders (UnZigZag, GetVarint,
// GetVarint32) are in the public log/record_reader.h, whose inline
// RecordReader needs them; this header includes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "log/record_reader.h"  // UnZigZag, GetVarint, GetVarint32

namespace rivulet::log {

inline constexpr size_t kMaxVarint64Bytes = 10;

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

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

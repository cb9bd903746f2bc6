// CRC-32C: SSE4.2 path with three interleaved streams, slice-by-8 fallback.
#include "log/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace rivulet::log {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

struct Tables {
  uint32_t t[8][256];
  constexpr Tables() : t{} {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};
constexpr Tables kTables;

#if defined(__x86_64__)
// Multiplies a CRC value by x^(8*len) mod P, i.e. shifts it over `len`
// zero bytes, via a 32x32 "shift table" built per stream length.
struct ShiftTable {
  uint32_t t[4][256];
};

// CRC of `crc` extended by n zero bytes, computed with the software table
// (used only to build the shift tables at startup).
uint32_t ShiftSlow(uint32_t crc, size_t n) {
  static const char zeros[4096] = {};
  while (n > 0) {
    size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
    // Raw (non-inverted) update over zeros.
    const auto* p = reinterpret_cast<const unsigned char*>(zeros);
    for (size_t i = 0; i < k; ++i) crc = kTables.t[0][(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    n -= k;
  }
  return crc;
}

ShiftTable MakeShiftTable(size_t len) {
  ShiftTable st;
  for (int byte = 0; byte < 4; ++byte) {
    for (uint32_t v = 0; v < 256; ++v) st.t[byte][v] = ShiftSlow(v << (8 * byte), len);
  }
  return st;
}

uint32_t Shift(const ShiftTable& st, uint32_t crc) {
  return st.t[0][crc & 0xff] ^ st.t[1][(crc >> 8) & 0xff] ^ st.t[2][(crc >> 16) & 0xff] ^
         st.t[3][crc >> 24];
}

constexpr size_t kStripe = 4096;  // bytes per stream per round
constexpr size_t kPrefetchAhead = 9 * kStripe;

const ShiftTable& StripeShift() {
  static const ShiftTable t = MakeShiftTable(kStripe);
  return t;
}

__attribute__((target("sse4.2"))) uint32_t RawHardware(uint32_t crc, const unsigned char* p, size_t n) {
  uint64_t c = crc;
  // Three streams over consecutive stripes hide the instruction's latency.
  if (n >= 3 * kStripe) {
    const ShiftTable& shift = StripeShift();
    while (n >= 3 * kStripe) {
      uint64_t c1 = 0, c2 = 0;
      const unsigned char* a = p;
      const unsigned char* b = p + kStripe;
      const unsigned char* d = p + 2 * kStripe;
      for (size_t i = 0; i < kStripe; i += 8) {
        if ((i & 63) == 0) {
          // Three rounds ahead: the hardware prefetcher stops at 4 KiB page
          // boundaries, and page-cache pages are scattered (+25% over a
          // mapped segment). Prefetches past the end do not fault.
          __builtin_prefetch(a + i + kPrefetchAhead);
          __builtin_prefetch(b + i + kPrefetchAhead);
          __builtin_prefetch(d + i + kPrefetchAhead);
        }
        uint64_t x, y, z;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        std::memcpy(&z, d + i, 8);
        c = _mm_crc32_u64(c, x);
        c1 = _mm_crc32_u64(c1, y);
        c2 = _mm_crc32_u64(c2, z);
      }
      // crc(A|B|C) = shift(shift(cA) ^ cB) ^ cC, with raw CRCs.
      uint32_t r = Shift(shift, static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1);
      r = Shift(shift, r) ^ static_cast<uint32_t>(c2);
      c = r;
      p += 3 * kStripe;
      n -= 3 * kStripe;
    }
  }
  while (n >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    c = _mm_crc32_u64(c, x);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return c32;
}

const bool kHasSse42 = __builtin_cpu_supports("sse4.2");
#else
const bool kHasSse42 = false;
#endif

uint32_t RawSoftware(uint32_t crc, const unsigned char* p, size_t n) {
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = kTables.t[7][lo & 0xff] ^ kTables.t[6][(lo >> 8) & 0xff] ^ kTables.t[5][(lo >> 16) & 0xff] ^
          kTables.t[4][lo >> 24] ^ kTables.t[3][hi & 0xff] ^ kTables.t[2][(hi >> 8) & 0xff] ^
          kTables.t[1][(hi >> 16) & 0xff] ^ kTables.t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = kTables.t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    --n;
  }
  return crc;
}

}  // namespace

namespace internal {
uint32_t Crc32cSoftware(uint32_t crc, const void* data, size_t n) {
  return ~RawSoftware(~crc, static_cast<const unsigned char*>(data), n);
}
}  // namespace internal

bool Crc32cHardware() { return kHasSse42; }

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (kHasSse42) return ~RawHardware(~crc, p, n);
#endif
  return ~RawSoftware(~crc, p, n);
}

uint32_t Crc32c(const void* data, size_t n) { return Crc32cExtend(0, data, n); }

}  // namespace rivulet::log

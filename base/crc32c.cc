// CRC-32C through ISA-L; see crc32c.h.
#include "base/crc32c.h"

#include <climits>

#include <isa-l/crc.h>

namespace rivulet {

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
  // crc32_iscsi neither inverts its start value nor its result (the
  // standard CRC-32C does both), and takes an int length.
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));  // read only
  uint32_t c = ~crc;
  while (n > 0) {
    const size_t chunk = n < INT_MAX ? n : size_t{1} << 30;
    c = crc32_iscsi(p, static_cast<int>(chunk), c);
    p += chunk;
    n -= chunk;
  }
  return ~c;
}

uint32_t Crc32c(const void* data, size_t n) { return Crc32cExtend(0, data, n); }

}  // namespace rivulet

// CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2, computed by
// Intel ISA-L (libisal), which picks the fastest code for the CPU when the
// program starts: carry-less multiplication folding over 64-byte blocks
// (VPCLMULQDQ) on AVX-512 machines, the SSE4.2 crc32 instruction on three
// streams on older x86-64, a table elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rivulet {

// Returns the CRC-32C of data[0,n).
uint32_t Crc32c(const void* data, size_t n);
// Continues a CRC-32C: Crc32cExtend(Crc32c(a), b) == Crc32c(a+b).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view bytes) { return Crc32c(bytes.data(), bytes.size()); }

}  // namespace rivulet

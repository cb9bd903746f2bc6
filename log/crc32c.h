// CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2. Uses the
// SSE4.2 crc32 instruction when the CPU has it (chosen once at startup),
// a slice-by-8 table otherwise.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rivulet::log {

// Returns the CRC-32C of data[0,n).
uint32_t Crc32c(const void* data, size_t n);
// Continues a CRC-32C: Crc32cExtend(Crc32c(a), b) == Crc32c(a+b).
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
// True when the SSE4.2 crc32 instruction is used.
bool Crc32cHardware();

namespace internal {
// The table-driven implementation (for tests and non-x86 machines).
uint32_t Crc32cSoftware(uint32_t crc, const void* data, size_t n);
}  // namespace internal

}  // namespace rivulet::log

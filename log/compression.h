// The compression codecs of Kafka RecordBatch v2: the records section of a
// batch (everything after the 61-byte header) compressed whole, the codec
// named by the low three attribute bits. Framing as Kafka's clients write it:
// gzip (RFC 1952, zlib), snappy (xerial's framing from the Java client, or a
// raw snappy block from librdkafka), lz4 (the LZ4 frame format), zstd (one
// or more zstd frames, with or without the content size).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "log/record_batch.h"
#include "log/types.h"  // kDefaultMaxDecompressedBytes

namespace rivulet::log {

// "none", "gzip", "snappy", "lz4", "zstd"; "unknown" for ids 5 to 7.
std::string_view CompressionName(Compression c);
// Parses a codec name as Kafka's compression.type spells it (kInvalidArgument
// for another).
Result<Compression> ParseCompression(std::string_view name);

// Decompresses a records section compressed with `codec`. Returns
// kCorruption, naming the codec and what was wrong, for bytes that do not
// decode (truncated, garbage, trailing bytes), for a codec id outside 1..4,
// and when the output would exceed `max_out` bytes (checked while decoding,
// so at most about max_out bytes are ever allocated). kNone returns a copy.
Result<std::string> DecompressRecords(Compression codec, std::string_view in,
                                      size_t max_out = kDefaultMaxDecompressedBytes);

// Compresses a records section as a Kafka producer would: gzip with a gzip
// header, snappy in xerial's framing (which Java clients and librdkafka
// read), an LZ4 frame of independent 64 KiB blocks, a zstd frame at level 3.
// kNone returns a copy; kInvalidArgument for an unknown codec.
Result<std::string> CompressRecords(Compression codec, std::string_view in);

// Builds the compressed form of a valid, uncompressed batch: the same
// header with the codec in its attributes, the records section compressed,
// the batch length and CRC recomputed. kInvalidArgument for a batch that is
// already compressed; the errors of ValidateBatch for a bad one.
Result<std::string> CompressBatch(std::span<const char> batch, Compression codec);

}  // namespace rivulet::log

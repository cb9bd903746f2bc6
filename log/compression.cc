// Record batch compression with Debian's zlib, snappy, liblz4 (LZ4F frame
// API) and libzstd; see compression.h. Every decoder writes into a buffer
// that grows by doubling up to one byte past the caller's bound: a decoder
// that fills that byte has exceeded the bound, and stops there.
#include "log/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "base/crc32c.h"
#include "log/varint.h"

namespace rivulet::log {
namespace {

// xerial snappy-java's stream header, as Kafka's Java client writes it:
// magic, then int32 version and int32 compatible version (both 1), then
// blocks of [int32 big-endian length][raw snappy block].
constexpr char kXerialMagic[8] = {'\x82', 'S', 'N', 'A', 'P', 'P', 'Y', '\0'};
constexpr size_t kXerialHeaderSize = 16;
constexpr size_t kXerialBlockSize = 32 * 1024;  // snappy-java's default

// Inputs larger than this are refused by the compressors, so that every
// length fits the libraries' 32-bit counts (batches are at most 256 MiB).
constexpr size_t kMaxCompressInput = size_t{1} << 30;

// The smallest output buffer (then doubled as needed).
constexpr size_t kMinOutput = 4 * 1024;

Status Corrupt(Compression codec, const std::string& why) {
  return Status(Errc::kCorruption, std::string(CompressionName(codec)) + ": " + why);
}

Status OverBound(Compression codec, size_t max_out) {
  return Corrupt(codec, "decompressed records exceed the bound of " + std::to_string(max_out) + " bytes");
}

// The decompressed bytes: out[0, used) written, out[used, size) room for
// the decoder. Limit is one past the bound.
struct Output {
  std::string out;
  size_t used = 0;
  size_t limit;

  // The first buffer holds `declared` bytes when the stream says how many
  // it holds, else four times the input; never more than the limit.
  Output(size_t max_out, size_t in_size, size_t declared = 0)
      : limit(max_out == std::numeric_limits<size_t>::max() ? max_out : max_out + 1) {
    size_t guess = declared;
    if (guess == 0) guess = in_size > limit / 4 ? limit : std::max(in_size * 4, kMinOutput);
    out.resize(std::min(guess, limit));
  }
  // Ensures room after `used`, doubling the buffer up to the limit. False
  // when the buffer is full at the limit: the bound is exceeded.
  bool Room() {
    if (used < out.size()) return true;
    if (out.size() >= limit) return false;
    out.resize(out.size() > limit / 2 ? limit : std::min(limit, std::max(out.size() * 2, kMinOutput)));
    return true;
  }
  char* next() { return out.data() + used; }
  size_t room() const { return out.size() - used; }
  // The result, or the bound error when more than max_out bytes came out.
  Result<std::string> Finish(Compression codec) {
    if (used >= limit) return OverBound(codec, limit - 1);
    out.resize(used);
    // The consumer keeps the buffer while records point into it.
    if (out.capacity() / 2 > used) out.shrink_to_fit();
    return std::move(out);
  }
};

// --- gzip -------------------------------------------------------------------

Result<std::string> InflateGzip(std::string_view in, size_t max_out) {
  constexpr Compression kCodec = Compression::kGzip;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {  // 16: gzip framing only
    return Status(Errc::kIoError, "gzip: cannot initialise zlib");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  // zlib counts in uInt: feed the input and offer output in pieces.
  constexpr size_t kStep = size_t{1} << 30;
  Output out(max_out, in.size());
  size_t in_pos = 0;
  for (;;) {
    if (z.avail_in == 0 && in_pos < in.size()) {
      const size_t n = std::min(in.size() - in_pos, kStep);
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      z.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (!out.Room()) return OverBound(kCodec, max_out);
    const size_t room = std::min(out.room(), kStep);
    z.next_out = reinterpret_cast<Bytef*>(out.next());
    z.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.used += room - z.avail_out;
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && in_pos == in.size()) break;
      // Another gzip member follows (Java's GZIPInputStream reads them too).
      if (inflateReset(&z) != Z_OK) return Corrupt(kCodec, "cannot reset zlib");
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      // No progress: with room left, the input ran out before the end.
      if (z.avail_out != 0) return Corrupt(kCodec, "truncated stream");
      continue;
    }
    if (rc != Z_OK) {
      return Corrupt(kCodec, z.msg != nullptr ? z.msg : "bad data (zlib error " + std::to_string(rc) + ")");
    }
  }
  return out.Finish(kCodec);
}

Result<std::string> DeflateGzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status(Errc::kIoError, "gzip: cannot initialise zlib");
  }
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, deflateEnd);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) return Status(Errc::kIoError, "gzip: deflate did not finish");
  out.resize(z.total_out);
  return out;
}

// --- snappy -----------------------------------------------------------------

// Appends one raw snappy block to out, whose size stays within max_out.
Status AppendSnappyBlock(std::string_view block, size_t max_out, std::string* out) {
  constexpr Compression kCodec = Compression::kSnappy;
  size_t n = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &n)) {
    return Corrupt(kCodec, "bad block header");
  }
  if (n > max_out - out->size()) return OverBound(kCodec, max_out);
  const size_t old = out->size();
  out->resize(old + n);
  if (!snappy::RawUncompress(block.data(), block.size(), out->data() + old)) {
    return Corrupt(kCodec, "malformed block");
  }
  return Status::Ok();
}

Result<std::string> UncompressSnappy(std::string_view in, size_t max_out) {
  constexpr Compression kCodec = Compression::kSnappy;
  std::string out;
  if (in.size() < sizeof(kXerialMagic) || std::memcmp(in.data(), kXerialMagic, sizeof(kXerialMagic)) != 0) {
    // librdkafka writes one raw snappy block.
    RIVULET_RETURN_IF_ERROR(AppendSnappyBlock(in, max_out, &out));
    return out;
  }
  if (in.size() < kXerialHeaderSize) return Corrupt(kCodec, "truncated xerial header");
  size_t pos = kXerialHeaderSize;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return Corrupt(kCodec, "truncated xerial block length");
    const uint32_t len = GetBigEndian32(in.data() + pos);
    pos += 4;
    if (len > in.size() - pos) {
      return Corrupt(kCodec, "xerial block of " + std::to_string(len) + " bytes truncated at " +
                                 std::to_string(in.size() - pos));
    }
    RIVULET_RETURN_IF_ERROR(AppendSnappyBlock(in.substr(pos, len), max_out, &out));
    pos += len;
  }
  return out;
}

std::string CompressSnappyXerial(std::string_view in) {
  std::string out(kXerialMagic, sizeof(kXerialMagic));
  out.resize(kXerialHeaderSize);
  PutBigEndian32(out.data() + 8, 1);   // version
  PutBigEndian32(out.data() + 12, 1);  // compatible version
  for (size_t pos = 0; pos < in.size(); pos += kXerialBlockSize) {
    const size_t n = std::min(kXerialBlockSize, in.size() - pos);
    const size_t at = out.size();
    out.resize(at + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(in.data() + pos, n, out.data() + at + 4, &written);
    PutBigEndian32(out.data() + at, static_cast<uint32_t>(written));
    out.resize(at + 4 + written);
  }
  return out;
}

// --- lz4 --------------------------------------------------------------------

Result<std::string> DecompressLz4(std::string_view in, size_t max_out) {
  constexpr Compression kCodec = Compression::kLz4;
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) {
    return Status(Errc::kIoError, "lz4: cannot create a decompression context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> ctx(raw,
                                                                           LZ4F_freeDecompressionContext);
  Output out(max_out, in.size());
  size_t pos = 0;
  for (;;) {
    if (!out.Room()) return OverBound(kCodec, max_out);
    size_t dst = out.room();
    size_t src = in.size() - pos;
    const size_t hint = LZ4F_decompress(ctx.get(), out.next(), &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) return Corrupt(kCodec, LZ4F_getErrorName(hint));
    pos += src;
    out.used += dst;
    if (hint == 0) {
      if (pos == in.size()) break;
      continue;  // another frame follows
    }
    if (src == 0 && dst == 0) {
      // Room was offered and nothing moved: the frame needs more input.
      return Corrupt(kCodec, pos == in.size() ? "truncated frame" : "decoder made no progress");
    }
  }
  return out.Finish(kCodec);
}

Result<std::string> CompressLz4(std::string_view in) {
  // As Kafka's KafkaLZ4BlockOutputStream: independent 64 KiB blocks, no
  // checksums, no content size.
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  std::string out(LZ4F_compressFrameBound(in.size(), &prefs), '\0');
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) return Status(Errc::kIoError, std::string("lz4: ") + LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

// --- zstd -------------------------------------------------------------------

// The largest window a frame may ask for: enough for any output within the
// bound, at least 8 MiB (frames streamed without a size at levels up to 19
// use at most that), at most zstd's own default limit of 128 MiB.
int WindowLogMax(size_t max_out) {
  int log = 23;
  while (log < 27 && (size_t{1} << log) < max_out) ++log;
  return log;
}

Result<std::string> DecompressZstd(std::string_view in, size_t max_out) {
  constexpr Compression kCodec = Compression::kZstd;
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return Status(Errc::kIoError, "zstd: cannot create a decompression context");
  const size_t set = ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, WindowLogMax(max_out));
  if (ZSTD_isError(set)) return Status(Errc::kIoError, std::string("zstd: ") + ZSTD_getErrorName(set));
  // A frame that declares its size is checked against the bound up front.
  const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  const bool known = declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR;
  if (known && declared > max_out) return OverBound(kCodec, max_out);
  Output out(max_out, in.size(), known ? static_cast<size_t>(declared) : 0);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  for (;;) {
    if (!out.Room()) return OverBound(kCodec, max_out);
    ZSTD_outBuffer dst{out.next(), out.room(), 0};
    const size_t before = src.pos;
    const size_t rc = ZSTD_decompressStream(ctx.get(), &dst, &src);
    if (ZSTD_isError(rc)) return Corrupt(kCodec, ZSTD_getErrorName(rc));
    out.used += dst.pos;
    if (rc == 0 && src.pos == src.size) break;  // a frame ended with the input
    if (dst.pos == 0 && src.pos == before) {
      return Corrupt(kCodec, src.pos == src.size ? "truncated frame" : "decoder made no progress");
    }
  }
  return out.Finish(kCodec);
}

Result<std::string> CompressZstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) return Status(Errc::kIoError, std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kSnappy: return "snappy";
    case Compression::kLz4: return "lz4";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

Result<Compression> ParseCompression(std::string_view name) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                        Compression::kZstd}) {
    if (name == CompressionName(c)) return c;
  }
  return Status(Errc::kInvalidArgument,
                "unknown compression codec '" + std::string(name) + "': use none, gzip, snappy, lz4 or zstd");
}

Result<std::string> DecompressRecords(Compression codec, std::string_view in, size_t max_out) {
  switch (codec) {
    case Compression::kNone:
      if (in.size() > max_out) return OverBound(codec, max_out);
      return std::string(in);
    case Compression::kGzip: return InflateGzip(in, max_out);
    case Compression::kSnappy: return UncompressSnappy(in, max_out);
    case Compression::kLz4: return DecompressLz4(in, max_out);
    case Compression::kZstd: return DecompressZstd(in, max_out);
  }
  return Status(Errc::kCorruption, "unknown compression codec id " + std::to_string(static_cast<int>(codec)));
}

Result<std::string> CompressRecords(Compression codec, std::string_view in) {
  if (in.size() > kMaxCompressInput) {
    return Status(Errc::kInvalidArgument, "compress " + std::to_string(in.size()) + " bytes: over the " +
                                              std::to_string(kMaxCompressInput) + " byte limit");
  }
  switch (codec) {
    case Compression::kNone: return std::string(in);
    case Compression::kGzip: return DeflateGzip(in);
    case Compression::kSnappy: return CompressSnappyXerial(in);
    case Compression::kLz4: return CompressLz4(in);
    case Compression::kZstd: return CompressZstd(in);
  }
  return Status(Errc::kInvalidArgument,
                "unknown compression codec id " + std::to_string(static_cast<int>(codec)));
}

Result<std::string> CompressBatch(std::span<const char> batch, Compression codec) {
  RIVULET_ASSIGN_OR_RETURN(BatchHeader h, ValidateBatch(batch));
  if (h.compression() != Compression::kNone) {
    return Status(Errc::kInvalidArgument, "batch at offset " + std::to_string(h.base_offset) +
                                              " is already compressed (" +
                                              std::string(CompressionName(h.compression())) + ")");
  }
  const std::string_view records(batch.data() + kBatchHeaderSize, h.total_size() - kBatchHeaderSize);
  RIVULET_ASSIGN_OR_RETURN(std::string packed, CompressRecords(codec, records));
  if (packed.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()) - kBatchHeaderSize) {
    return Status(Errc::kInvalidArgument, "compressed batch too large");
  }
  std::string out;
  out.reserve(kBatchHeaderSize + packed.size());
  out.append(batch.data(), kBatchHeaderSize);
  out.append(packed);
  char* b = out.data();
  PutBigEndian32(b + kBatchLengthPos, static_cast<uint32_t>(out.size() - kLogOverhead));
  const auto attrs = static_cast<uint16_t>((h.attributes & ~kCompressionMask) | static_cast<int16_t>(codec));
  PutBigEndian16(b + kAttributesPos, attrs);
  PutBigEndian32(b + kCrcPos, Crc32c(b + kAttributesPos, out.size() - kAttributesPos));
  return out;
}

}  // namespace rivulet::log

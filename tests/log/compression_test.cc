// Record batch compression: round trips through every codec, the framings
// Kafka's clients write (xerial and raw snappy, zstd frames without a
// content size, several frames or gzip members), every way the bytes go bad
// (truncated, garbage, trailing bytes, the wrong codec, an unknown codec id,
// output over the bound), each a kCorruption naming the codec; then the
// embedded consumer reading compressed batches appended to a partition.
#include "log/compression.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <zstd.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "log/consumer.h"
#include "base/crc32c.h"
#include "log/log_manager.h"
#include "log/varint.h"
#include "tests/test_util.h"

// GCC 12 warns that the value of a RecordView filled by Next may be used
// uninitialized after Next returned true: its known false positive for
// std::optional (GCC bug 80635); every path that returns true sets it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace rivulet::log {
namespace {

using testing::TempDir;

constexpr Compression kCodecs[] = {Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                                   Compression::kZstd};

std::string Name(Compression c) { return std::string(CompressionName(c)); }

// Bytes that compress somewhat: repeated words with a counter and a few
// pseudo-random bytes, `n` bytes long.
std::string Text(size_t n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::string s;
  s.reserve(n + 64);
  for (int i = 0; s.size() < n; ++i) {
    s += "record-" + std::to_string(i) + " value ";
    s.push_back(static_cast<char>(rng()));
  }
  s.resize(n);
  return s;
}

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Compress(Compression c, std::string_view in) {
  auto r = CompressRecords(c, in);
  EXPECT_TRUE(r.ok()) << Name(c) << ": " << r.status().ToString();
  return r.ok() ? *r : std::string();
}

// Expects kCorruption whose message names the codec.
void ExpectCorrupt(const Result<std::string>& r, Compression c, const std::string& what) {
  ASSERT_FALSE(r.ok()) << Name(c) << " " << what << ": decoded " << r->size() << " bytes";
  EXPECT_EQ(r.status().code(), Errc::kCorruption) << what << ": " << r.status().ToString();
  EXPECT_NE(r.status().message().find(Name(c)), std::string::npos) << what << ": " << r.status().message();
}

TEST(CompressionTest, NamesParseBack) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kSnappy, Compression::kLz4,
                        Compression::kZstd}) {
    auto p = ParseCompression(CompressionName(c));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, c);
  }
  EXPECT_EQ(ParseCompression("brotli").status().code(), Errc::kInvalidArgument);
  EXPECT_EQ(CompressionName(static_cast<Compression>(6)), "unknown");
}

TEST(CompressionTest, RoundTripEveryCodec) {
  // Sizes around the codecs' block sizes (xerial 32 KiB, LZ4 64 KiB).
  const std::vector<std::string> inputs = {"",          "x",        Text(100),        Text(32 * 1024),
                                           Text(32 * 1024 + 1), Text(200 * 1024), Random(70 * 1024, 7)};
  for (Compression c : kCodecs) {
    for (const std::string& in : inputs) {
      const std::string z = Compress(c, in);
      auto out = DecompressRecords(c, z);
      ASSERT_TRUE(out.ok()) << Name(c) << " " << in.size() << ": " << out.status().ToString();
      EXPECT_EQ(*out, in) << Name(c) << " " << in.size();
    }
  }
  auto same = DecompressRecords(Compression::kNone, "abc");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, "abc");
}

TEST(CompressionTest, FramingsAsKafkaClientsWriteThem) {
  const std::string in = Text(100 * 1024, 3);
  // The Java client's snappy: xerial's header, then length-prefixed blocks.
  const std::string xerial = Compress(Compression::kSnappy, in);
  ASSERT_GT(xerial.size(), 16u);
  EXPECT_EQ(xerial.substr(0, 8), std::string("\x82SNAPPY\0", 8));
  EXPECT_EQ(GetBigEndian32(xerial.data() + 8), 1u);
  EXPECT_EQ(GetBigEndian32(xerial.data() + 12), 1u);
  // librdkafka's snappy: one raw block.
  std::string raw;
  snappy::Compress(in.data(), in.size(), &raw);
  auto out = DecompressRecords(Compression::kSnappy, raw);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, in);

  // gzip as RFC 1952 (the magic 1f 8b).
  const std::string gz = Compress(Compression::kGzip, in);
  EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
  // LZ4 frame magic 0x184D2204, little-endian.
  const std::string lz = Compress(Compression::kLz4, in);
  EXPECT_EQ(lz.substr(0, 4), std::string("\x04\x22\x4d\x18", 4));

  // A zstd frame streamed without its content size.
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ASSERT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0)));
  std::string zs(ZSTD_compressBound(in.size()), '\0');
  const size_t n = ZSTD_compress2(cctx.get(), zs.data(), zs.size(), in.data(), in.size());
  ASSERT_FALSE(ZSTD_isError(n));
  zs.resize(n);
  ASSERT_EQ(ZSTD_getFrameContentSize(zs.data(), zs.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  out = DecompressRecords(Compression::kZstd, zs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, in);
}

TEST(CompressionTest, ConcatenatedFramesAndMembers) {
  const std::string a = Text(5000, 1), b = Text(7000, 2);
  for (Compression c : {Compression::kGzip, Compression::kLz4, Compression::kZstd}) {
    auto out = DecompressRecords(c, Compress(c, a) + Compress(c, b));
    ASSERT_TRUE(out.ok()) << Name(c) << ": " << out.status().ToString();
    EXPECT_EQ(*out, a + b) << Name(c);
  }
}

TEST(CompressionTest, TruncatedAnywhereIsCorruption) {
  const std::string in = Text(3000, 5);
  for (Compression c : kCodecs) {
    const std::string z = Compress(c, in);
    for (size_t cut = 0; cut < z.size(); ++cut) {
      auto out = DecompressRecords(c, std::string_view(z.data(), cut));
      // xerial's framing has no end mark: a cut at a block boundary decodes
      // to fewer blocks (the batch's record count then catches it). 3000
      // bytes are one block, so only the bare header decodes.
      if (c == Compression::kSnappy && cut == 16) {
        ASSERT_TRUE(out.ok());
        EXPECT_TRUE(out->empty());
        continue;
      }
      ExpectCorrupt(out, c, "cut at " + std::to_string(cut) + " of " + std::to_string(z.size()));
    }
  }
}

TEST(CompressionTest, GarbageIsCorruption) {
  for (Compression c : kCodecs) {
    for (uint32_t seed = 1; seed <= 20; ++seed) {
      ExpectCorrupt(DecompressRecords(c, Random(10 + seed * 37, seed)), c, "garbage " + std::to_string(seed));
    }
    // A valid stream with bytes after it.
    if (c != Compression::kSnappy) {
      ExpectCorrupt(DecompressRecords(c, Compress(c, Text(1000)) + "junk!"), c, "trailing bytes");
    }
  }
  // xerial: a header, then a block length past the end.
  ExpectCorrupt(DecompressRecords(Compression::kSnappy, Compress(Compression::kSnappy, Text(1000)) + "junk!"),
                Compression::kSnappy, "trailing bytes");
  ExpectCorrupt(DecompressRecords(Compression::kSnappy, std::string("\x82SNAPPY\0\0\0\0\1", 12)),
                Compression::kSnappy, "short xerial header");
}

TEST(CompressionTest, WrongCodecIsCorruption) {
  const std::string in = Text(4000, 9);
  for (Compression c : kCodecs) {
    const std::string z = Compress(c, in);
    for (Compression d : kCodecs) {
      if (d == c) continue;
      ExpectCorrupt(DecompressRecords(d, z), d, Name(c) + " read as " + Name(d));
    }
  }
  for (int id = 5; id <= 7; ++id) {
    auto r = DecompressRecords(static_cast<Compression>(id), Compress(Compression::kGzip, in));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Errc::kCorruption);
    EXPECT_NE(r.status().message().find("codec id " + std::to_string(id)), std::string::npos)
        << r.status().message();
  }
  EXPECT_EQ(CompressRecords(static_cast<Compression>(5), in).status().code(), Errc::kInvalidArgument);
}

TEST(CompressionTest, OutputOverTheBoundIsCorruption) {
  const std::string zeros(1 << 20, '\0');
  for (Compression c : kCodecs) {
    const std::string z = Compress(c, zeros);
    ASSERT_LT(z.size(), 64u * 1024) << Name(c);
    auto out = DecompressRecords(c, z, 64 * 1024);
    ExpectCorrupt(out, c, "1 MiB of zeros within 64 KiB");
    EXPECT_NE(out.status().message().find("bound of 65536 bytes"), std::string::npos)
        << out.status().message();
    // Exactly at the bound is fine; a byte less is not.
    out = DecompressRecords(c, z, zeros.size());
    ASSERT_TRUE(out.ok()) << Name(c) << ": " << out.status().ToString();
    EXPECT_EQ(*out, zeros);
    ExpectCorrupt(DecompressRecords(c, z, zeros.size() - 1), c, "one byte over");
    ExpectCorrupt(DecompressRecords(c, z, 0), c, "bound 0");
  }
  ExpectCorrupt(DecompressRecords(Compression::kNone, "abc", 2), Compression::kNone, "uncompressed");
}

// A zip bomb against the default bound, streamed (no declared size), so the
// bound is enforced while decoding rather than from the frame header.
TEST(CompressionTest, ZstdBombWithoutContentSizeHitsTheDefaultBound) {
  const std::string zeros(kDefaultMaxDecompressedBytes + 1, '\0');
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ASSERT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0)));
  std::string zs(ZSTD_compressBound(zeros.size()), '\0');
  const size_t n = ZSTD_compress2(cctx.get(), zs.data(), zs.size(), zeros.data(), zeros.size());
  ASSERT_FALSE(ZSTD_isError(n));
  zs.resize(n);
  ASSERT_LT(zs.size(), 64u * 1024);
  ExpectCorrupt(DecompressRecords(Compression::kZstd, zs), Compression::kZstd, "64 MiB + 1 of zeros");
}

// A batch of `n` records: keys "key-<i>" (null every 10th), values of a few
// dozen bytes (null every 17th), a header every 5th, timestamps ts0 + 3i.
std::string MakeRecords(int n, int64_t ts0, int tag) {
  RecordBatchBuilder b;
  for (int i = 0; i < n; ++i) {
    const std::string key = "key-" + std::to_string(tag) + "-" + std::to_string(i);
    const std::string value =
        "value " + std::to_string(tag) + "/" + std::to_string(i) + " " + std::string(i % 40, 'v');
    std::vector<Header> hs;
    if (i % 5 == 0) hs.push_back({"h", std::to_string(i)});
    b.Append(ts0 + 3 * i, i % 10 == 0 ? std::nullopt : std::optional<std::string_view>(key),
             i % 17 == 0 ? std::nullopt : std::optional<std::string_view>(value), hs);
  }
  return b.Finish();
}

TEST(CompressionTest, CompressBatchKeepsTheHeaderAndValidates) {
  const std::string plain = MakeRecords(50, 1000, 0);
  const auto ph = ValidateBatch(std::span<const char>(plain.data(), plain.size()));
  ASSERT_TRUE(ph.ok());
  for (Compression c : kCodecs) {
    auto z = CompressBatch(std::span<const char>(plain.data(), plain.size()), c);
    ASSERT_TRUE(z.ok()) << Name(c) << ": " << z.status().ToString();
    auto h = ValidateBatch(std::span<const char>(z->data(), z->size()));
    ASSERT_TRUE(h.ok()) << Name(c) << ": " << h.status().ToString();
    EXPECT_EQ(h->compression(), c);
    EXPECT_EQ(h->total_size(), z->size());
    EXPECT_EQ(h->record_count, ph->record_count);
    EXPECT_EQ(h->last_offset_delta, ph->last_offset_delta);
    EXPECT_EQ(h->first_timestamp, ph->first_timestamp);
    EXPECT_EQ(h->max_timestamp, ph->max_timestamp);
    EXPECT_EQ(h->attributes & ~kCompressionMask, ph->attributes & ~kCompressionMask);
    auto records =
        DecompressRecords(c, std::string_view(z->data() + kBatchHeaderSize, z->size() - kBatchHeaderSize));
    ASSERT_TRUE(records.ok());
    EXPECT_EQ(*records, plain.substr(kBatchHeaderSize));
    // Compressing twice is refused.
    EXPECT_EQ(CompressBatch(std::span<const char>(z->data(), z->size()), c).status().code(),
              Errc::kInvalidArgument);
  }
  std::string bad = plain;
  bad[kBatchHeaderSize + 3] ^= 1;
  EXPECT_EQ(CompressBatch(std::span<const char>(bad.data(), bad.size()), Compression::kLz4).status().code(),
            Errc::kCorruption);
}

// --- the embedded consumer over compressed batches ---------------------------

struct Expected {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key, value;
  int32_t header_count;
};

// What the records of `batch` (uncompressed) should read as at `base`.
void AddExpected(const std::string& batch, int64_t base, std::vector<Expected>* out) {
  auto h = ValidateBatch(std::span<const char>(batch.data(), batch.size()));
  ASSERT_TRUE(h.ok());
  h->base_offset = base;
  auto reader = RecordReader::ForBatch(*h, std::span<const char>(batch.data(), batch.size()));
  RecordView r;
  while (reader.NextGeneral(&r)) {
    out->push_back({r.offset, r.timestamp, r.key ? std::optional<std::string>(*r.key) : std::nullopt,
                    r.value ? std::optional<std::string>(*r.value) : std::nullopt, r.header_count});
  }
  ASSERT_TRUE(reader.status().ok());
}

struct ConsumeFixture {
  TempDir dir;
  std::unique_ptr<LogManager> lm;
  std::vector<Expected> expected;
  ConsumeFixture() {
    lm = std::move(LogManager::Open(dir.path())).value();
    EXPECT_TRUE(lm->CreateTopic("t", 1).ok());
  }
  // Appends `plain` compressed with `c` (as it is for kNone), validated.
  void Append(const std::string& plain, Compression c) {
    std::string batch = plain;
    if (c != Compression::kNone) {
      auto z = CompressBatch(std::span<const char>(plain.data(), plain.size()), c);
      ASSERT_TRUE(z.ok()) << z.status().ToString();
      batch = std::move(z).value();
    }
    auto info = lm->Append({"t", 0}, std::span<char>(batch.data(), batch.size()), /*validate=*/true);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    AddExpected(plain, info->base_offset, &expected);
  }
  ConsumerConfig Config(int32_t max_poll_records) {
    ConsumerConfig cc;
    cc.auto_offset_reset = OffsetReset::kEarliest;
    cc.enable_auto_commit = false;
    cc.max_poll_records = max_poll_records;
    return cc;
  }
};

void ExpectRecord(const ConsumerRecord& r, const Expected& e) {
  EXPECT_EQ(r.offset, e.offset);
  EXPECT_EQ(r.timestamp, e.timestamp) << "offset " << e.offset;
  EXPECT_EQ(r.key ? std::optional<std::string>(*r.key) : std::nullopt, e.key) << "offset " << e.offset;
  EXPECT_EQ(r.value ? std::optional<std::string>(*r.value) : std::nullopt, e.value) << "offset " << e.offset;
  EXPECT_EQ(r.header_count, e.header_count) << "offset " << e.offset;
  EXPECT_EQ(r.topic, "t");
}

TEST(CompressedConsumeTest, ReadsEveryCodecAcrossPollsThatStopMidBatch) {
  ConsumeFixture f;
  f.Append(MakeRecords(3, 500, 100), Compression::kNone);
  int tag = 0;
  for (Compression c : kCodecs) {
    f.Append(MakeRecords(120, 1000 + tag * 1000, tag), c);
    ++tag;
  }
  f.Append(MakeRecords(4, 9000, 101), Compression::kNone);
  f.Append(MakeRecords(60, 9500, 102), Compression::kZstd);
  ASSERT_EQ(f.expected.size(), 3u + 4 * 120 + 4 + 60);

  // 7 records a poll: most polls stop inside a batch and resume there.
  Consumer c(f.lm.get(), f.Config(7));
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  std::vector<ConsumerRecords> held;  // every poll kept: its views must stay valid
  size_t n = 0;
  for (int i = 0; i < 500 && n < f.expected.size(); ++i) {
    auto recs = c.Poll(std::chrono::milliseconds(20));
    ASSERT_TRUE(recs.ok()) << recs.status().ToString();
    EXPECT_LE(recs->size(), 7u);
    n += recs->size();
    held.push_back(std::move(recs).value());
  }
  ASSERT_EQ(n, f.expected.size());
  size_t k = 0;
  for (const auto& recs : held) {
    for (const auto& r : recs) ExpectRecord(r, f.expected[k++]);
  }
  auto pos = c.Position({"t", 0});
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(*pos, f.expected.back().offset + 1);
  auto more = c.Poll(std::chrono::milliseconds(10));
  ASSERT_TRUE(more.ok());
  EXPECT_TRUE(more->empty());
}

TEST(CompressedConsumeTest, PollEachAndSeekIntoACompressedBatch) {
  for (Compression codec : kCodecs) {
    ConsumeFixture f;
    f.Append(MakeRecords(50, 1000, 1), codec);
    f.Append(MakeRecords(50, 2000, 2), codec);
    Consumer c(f.lm.get(), f.Config(30));
    ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
    ASSERT_TRUE(c.Seek({"t", 0}, 37).ok());  // inside the first batch
    size_t k = 37;
    for (int i = 0; i < 20 && k < f.expected.size(); ++i) {
      auto n = c.PollEach(std::chrono::milliseconds(20), [&](const ConsumerRecord& r) {
        ASSERT_LT(k, f.expected.size());
        ExpectRecord(r, f.expected[k++]);
      });
      ASSERT_TRUE(n.ok()) << Name(codec) << ": " << n.status().ToString();
      EXPECT_LE(*n, 30u);
    }
    EXPECT_EQ(k, f.expected.size()) << Name(codec);
  }
}

// A compressed batch whose CRC is right but whose records do not decode: the
// poll fails with kCorruption naming the codec and offset, and a seek past
// it goes on.
TEST(CompressedConsumeTest, UndecodableBatchIsCorruptionAndCanBeSkipped) {
  for (Compression codec : kCodecs) {
    ConsumeFixture f;
    f.Append(MakeRecords(5, 1000, 1), codec);
    // Garbage in place of the records, framed and checksummed as valid.
    std::string bad = MakeRecords(5, 2000, 2);
    auto z = CompressBatch(std::span<const char>(bad.data(), bad.size()), codec);
    ASSERT_TRUE(z.ok());
    bad = std::move(z).value();
    for (size_t i = kBatchHeaderSize + 4; i < bad.size(); ++i) bad[i] = static_cast<char>(i * 131 + 7);
    PutBigEndian32(bad.data() + kCrcPos, Crc32c(bad.data() + kAttributesPos, bad.size() - kAttributesPos));
    ASSERT_TRUE(f.lm->Append({"t", 0}, std::span<char>(bad.data(), bad.size()), true).ok());
    const size_t good = f.expected.size();
    f.Append(MakeRecords(5, 3000, 3), codec);

    // Five a poll: the first poll ends with the good batch (a poll that
    // meets a bad batch returns only the error).
    Consumer c(f.lm.get(), f.Config(5));
    ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
    auto first = c.Poll(std::chrono::milliseconds(20));
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->size(), good);
    auto r = c.Poll(std::chrono::milliseconds(20));
    ASSERT_FALSE(r.ok()) << Name(codec);
    EXPECT_EQ(r.status().code(), Errc::kCorruption);
    EXPECT_NE(r.status().message().find(Name(codec)), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("offset 5"), std::string::npos) << r.status().message();
    ASSERT_TRUE(c.Seek({"t", 0}, 10).ok());
    auto rest = c.Poll(std::chrono::milliseconds(20));
    ASSERT_TRUE(rest.ok()) << rest.status().ToString();
    ASSERT_EQ(rest->size(), 5u);
    for (size_t i = 0; i < 5; ++i) ExpectRecord((*rest)[i], f.expected[good + i]);
  }
}

// Fewer records inside than the header counts (xerial's framing cut at a
// block boundary decodes cleanly): the reader reports the batch malformed.
TEST(CompressedConsumeTest, RecordsShortOfTheCountAreCorruption) {
  ConsumeFixture f;
  std::string batch = MakeRecords(5, 1000, 1);
  std::string z(batch, 0, kBatchHeaderSize);
  z += std::string("\x82SNAPPY\0\0\0\0\1\0\0\0\1", 16);  // header only: no blocks
  PutBigEndian32(z.data() + kBatchLengthPos, static_cast<uint32_t>(z.size() - kLogOverhead));
  PutBigEndian16(z.data() + kAttributesPos, static_cast<uint16_t>(Compression::kSnappy));
  PutBigEndian32(z.data() + kCrcPos, Crc32c(z.data() + kAttributesPos, z.size() - kAttributesPos));
  ASSERT_TRUE(f.lm->Append({"t", 0}, std::span<char>(z.data(), z.size()), true).ok());
  Consumer c(f.lm.get(), f.Config(100));
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  auto r = c.Poll(std::chrono::milliseconds(20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Errc::kCorruption);
}

TEST(CompressedConsumeTest, BatchOverTheConfiguredBoundIsCorruption) {
  ConsumeFixture f;
  f.Append(MakeRecords(200, 1000, 1), Compression::kLz4);
  auto cfg = f.Config(500);
  cfg.max_decompressed_batch_bytes = 1024;
  Consumer c(f.lm.get(), cfg);
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  auto r = c.Poll(std::chrono::milliseconds(20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Errc::kCorruption);
  EXPECT_NE(r.status().message().find("bound of 1024 bytes"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace rivulet::log

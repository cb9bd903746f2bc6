// RecordBatch v2: round trips, the Kafka byte layout, and every way the
// bytes can go bad (truncated, bad length, wrong magic, bad CRC, malformed
// records), each reported as kCorruption.
#include "log/record_batch.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "base/crc32c.h"
#include "log/varint.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

std::string Sample() {
  RecordBatchBuilder b;
  std::vector<Header> hs = {{"h1", std::string("v1")}, {"h2", std::nullopt}};
  b.Append(1000, std::string_view("key-a"), std::string_view("value-a"), hs);
  b.Append(990, std::nullopt, std::string_view(""));
  b.Append(1500, std::string_view(""), std::nullopt);
  return b.Finish();
}

TEST(RecordBatchTest, RoundTrip) {
  std::string batch = Sample();
  SetBaseOffset(batch.data(), 42);
  auto h = ValidateBatch(std::span<const char>(batch.data(), batch.size()));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->base_offset, 42);
  EXPECT_EQ(h->record_count, 3);
  EXPECT_EQ(h->last_offset_delta, 2);
  EXPECT_EQ(h->first_timestamp, 1000);
  EXPECT_EQ(h->max_timestamp, 1500);
  EXPECT_EQ(h->total_size(), batch.size());
  auto reader = RecordReader::ForBatch(*h, std::span<const char>(batch.data(), batch.size()));
  RecordView r;
  ASSERT_TRUE(reader.Next(&r));
  EXPECT_EQ(r.offset, 42);
  EXPECT_EQ(r.timestamp, 1000);
  EXPECT_EQ(r.key, "key-a");
  EXPECT_EQ(r.value, "value-a");
  auto headers = DecodeHeaders(r);
  ASSERT_TRUE(headers.ok());
  ASSERT_EQ(headers->size(), 2u);
  EXPECT_EQ((*headers)[0].key, "h1");
  EXPECT_EQ((*headers)[0].value, "v1");
  EXPECT_FALSE((*headers)[1].value.has_value());
  ASSERT_TRUE(reader.Next(&r));
  EXPECT_EQ(r.offset, 43);
  EXPECT_EQ(r.timestamp, 990);  // negative delta
  EXPECT_FALSE(r.key.has_value());
  EXPECT_EQ(r.value, "");
  ASSERT_TRUE(reader.Next(&r));
  EXPECT_EQ(r.key, "");
  EXPECT_FALSE(r.value.has_value());
  EXPECT_FALSE(reader.Next(&r));
  EXPECT_TRUE(reader.status().ok());
}

TEST(RecordBatchTest, KafkaLayout) {
  const std::string b = Sample();
  EXPECT_EQ(b[16], 2);  // magic
  EXPECT_EQ(static_cast<int32_t>(GetBigEndian32(b.data() + 8)), static_cast<int32_t>(b.size() - 12));
  EXPECT_EQ(GetBigEndian32(b.data() + 17), Crc32c(b.data() + 21, b.size() - 21));
  EXPECT_EQ(GetBigEndian32(b.data() + 57), 3u);                     // record count
  EXPECT_EQ(static_cast<int64_t>(GetBigEndian64(b.data() + 43)), -1);  // producer id
  EXPECT_EQ(kBatchHeaderSize, 61u);
}

TEST(RecordBatchTest, LogAppendTimeRewritesCrcAndTimestamps) {
  std::string b = Sample();
  SetLogAppendTime(b.data(), b.size(), 777);
  auto h = ValidateBatch(std::span<const char>(b.data(), b.size()));
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto reader = RecordReader::ForBatch(*h, std::span<const char>(b.data(), b.size()));
  RecordView r;
  while (reader.Next(&r)) EXPECT_EQ(r.timestamp, 777);
}

TEST(RecordBatchTest, TruncatedAnywhereIsCorruption) {
  const std::string b = Sample();
  for (size_t n = 0; n < b.size(); ++n) {
    auto h = ValidateBatch(std::span<const char>(b.data(), n));
    ASSERT_FALSE(h.ok()) << n;
    EXPECT_EQ(h.status().code(), Errc::kCorruption);
  }
}

TEST(RecordBatchTest, BadLengthAndMagic) {
  for (int32_t len : {-1, 0, 48, 256 * 1024 * 1024 + 1}) {
    std::string b = Sample();
    PutBigEndian32(b.data() + 8, static_cast<uint32_t>(len));
    EXPECT_EQ(ValidateBatch(std::span<const char>(b.data(), b.size())).status().code(), Errc::kCorruption) << len;
  }
  for (char magic : {0, 1, 3, 127}) {
    std::string b = Sample();
    b[16] = magic;
    auto h = ParseBatchHeader(std::span<const char>(b.data(), b.size()));
    ASSERT_FALSE(h.ok());
    EXPECT_NE(h.status().message().find("magic"), std::string::npos);
  }
}

TEST(RecordBatchTest, EveryBitFlipUnderTheCrcIsCaught) {
  const std::string good = Sample();
  for (size_t i = 21; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string b = good;
      b[i] = static_cast<char>(b[i] ^ (1 << bit));
      auto h = ValidateBatch(std::span<const char>(b.data(), b.size()));
      ASSERT_FALSE(h.ok()) << "flip at byte " << i;
      EXPECT_EQ(h.status().code(), Errc::kCorruption);
    }
  }
  // The base offset is outside the CRC by design: the log assigns it.
  std::string b = good;
  SetBaseOffset(b.data(), 123456);
  EXPECT_TRUE(ValidateBatch(std::span<const char>(b.data(), b.size())).ok());
}

TEST(RecordBatchTest, MalformedRecordsStopTheReader) {
  // A header claiming more records than the body holds.
  std::string b = Sample();
  PutBigEndian32(b.data() + kRecordCountPos, 5);
  auto h = ParseBatchHeader(std::span<const char>(b.data(), b.size()));
  ASSERT_TRUE(h.ok());
  auto reader = RecordReader::ForBatch(*h, std::span<const char>(b.data(), b.size()));
  RecordView r;
  int n = 0;
  while (reader.Next(&r)) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_EQ(reader.status().code(), Errc::kCorruption);
  // A record length running past the end.
  std::string body(1, '\0');
  char* p = body.data();
  PutVarint(p, 100);
  BatchHeader fake;
  fake.record_count = 1;
  RecordReader bad(fake, body);
  EXPECT_FALSE(bad.Next(&r));
  EXPECT_EQ(bad.status().code(), Errc::kCorruption);
}

// The last record of a batch whose key ends one byte before the record
// does, that byte the first of a two-byte value length: the fast path must
// not read the second byte, which lies past the batch (the buffer is sized
// exactly, so the ASan run of the suite catches a read past it).
TEST(RecordBatchTest, ValueLengthCutAtTheBatchEndIsNotReadPast) {
  const std::string key(12, 'k');
  // length 17 (zigzag 34), attributes, ts delta 0, offset delta 0, key
  // length 12 (zigzag 24), the key, then 0x80: a value length cut short.
  const std::string record = std::string("\x22\x00\x00\x00\x18", 5) + key + "\x80";
  auto body = std::make_unique<char[]>(record.size());
  std::memcpy(body.get(), record.data(), record.size());
  BatchHeader h;
  h.record_count = 1;
  RecordReader reader(h, std::string_view(body.get(), record.size()));
  RecordView r;
  EXPECT_FALSE(reader.Next(&r));
  EXPECT_EQ(reader.status().code(), Errc::kCorruption);
  EXPECT_NE(reader.status().message().find("(value)"), std::string::npos) << reader.status().ToString();
}

// Next takes a fast path for small records without headers; NextGeneral is
// the field-by-field decoder. Over random records (keys, values and headers
// of many sizes, deltas of one to five bytes) and the same records with
// their length and count bytes overwritten at random, both must give the
// same records and stop at the same place with the same error.
// Found by libFuzzer: base + delta overflowed int64 (UB under UBSan).
TEST(RecordBatchTest, Issue12FuzzTimestampAndOffsetSumsWrapInsteadOfOverflowing) {
  RecordBatchBuilder b;
  b.Append(0, "k", "a");
  b.Append(5, "k", "b");
  std::string batch = b.Finish();
  char* p = batch.data();
  PutBigEndian64(p + kBaseOffsetPos, static_cast<uint64_t>(INT64_MAX));
  PutBigEndian64(p + kFirstTimestampPos, static_cast<uint64_t>(INT64_MAX - 1));
  PutBigEndian32(p + kCrcPos, Crc32c(p + kAttributesPos, batch.size() - kAttributesPos));
  auto h = ValidateBatch(std::span<const char>(batch.data(), batch.size()));
  ASSERT_TRUE(h.ok());
  for (int general = 0; general < 2; ++general) {
    auto reader = RecordReader::ForBatch(*h, std::span<const char>(batch.data(), batch.size()));
    RecordView r;
    ASSERT_TRUE(general ? reader.NextGeneral(&r) : reader.Next(&r));
    EXPECT_EQ(r.offset, INT64_MAX);
    ASSERT_TRUE(general ? reader.NextGeneral(&r) : reader.Next(&r));
    EXPECT_EQ(r.offset, INT64_MIN);  // wrapped
    EXPECT_EQ(r.timestamp, static_cast<int64_t>(static_cast<uint64_t>(INT64_MAX - 1) + 5));
  }
}

TEST(RecordBatchTest, FastPathDecodesExactlyAsTheGeneralDecoder) {
  std::mt19937_64 rng(7);
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  auto same = [](const RecordView& a, const RecordView& b) {
    return a.offset == b.offset && a.timestamp == b.timestamp && a.key == b.key && a.value == b.value &&
           a.headers_raw == b.headers_raw && a.header_count == b.header_count;
  };
  int fast_records = 0;
  for (int round = 0; round < 6000; ++round) {
    RecordBatchBuilder builder;
    const int n = 1 + static_cast<int>(pick(300));
    const int64_t spread = int64_t{1} << pick(30);  // deltas of one to five varint bytes
    for (int i = 0; i < n; ++i) {
      std::optional<std::string> key, value;
      if (pick(3) != 0) key = std::string(pick(4) == 0 ? pick(300) : pick(20), 'k');
      if (pick(8) != 0) value = std::string(pick(4) == 0 ? pick(9000) : pick(60), 'v');
      std::vector<Header> headers;
      if (pick(5) == 0) headers.push_back({"h", std::string(pick(10), 'h')});
      builder.Append(1'000'000 + static_cast<int64_t>(rng() % static_cast<uint64_t>(spread)) - spread / 2,
                     key ? std::optional<std::string_view>(*key) : std::nullopt,
                     value ? std::optional<std::string_view>(*value) : std::nullopt, headers);
    }
    std::string batch = builder.Finish();
    SetBaseOffset(batch.data(), 1000);
    auto h = ParseBatchHeader(std::span<const char>(batch.data(), batch.size()));
    ASSERT_TRUE(h.ok());
    if (round % 2 == 1) {
      // Overwrite bytes where the varints are: a record's first 10 bytes,
      // the two before its value, its last one.
      std::vector<size_t> targets;
      auto clean = RecordReader::ForBatch(*h, std::span<const char>(batch.data(), batch.size()));
      RecordView r;
      size_t start = kBatchHeaderSize;
      while (clean.NextGeneral(&r)) {
        const size_t end = static_cast<size_t>(r.headers_raw.data() + r.headers_raw.size() - batch.data());
        for (size_t i = start; i < std::min(end, start + 10); ++i) targets.push_back(i);
        if (r.value) {
          const size_t v = static_cast<size_t>(r.value->data() - batch.data());
          targets.push_back(v - 1);
          if (v - 2 >= start) targets.push_back(v - 2);
        }
        targets.push_back(end - 1);
        start = end;
      }
      const int flips = 1 + static_cast<int>(pick(3));
      // Varint edges (null -1, -2, zero, one and two bytes, a third) or any byte.
      const unsigned char values[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff};
      for (int f = 0; f < flips; ++f) {
        batch[targets[pick(targets.size())]] =
            static_cast<char>(pick(4) == 0 ? pick(256) : values[pick(sizeof(values))]);
      }
    }
    auto fast = RecordReader::ForBatch(*h, std::span<const char>(batch.data(), batch.size()));
    auto general = RecordReader::ForBatch(*h, std::span<const char>(batch.data(), batch.size()));
    RecordView a, b;
    for (;;) {
      const bool more_a = fast.Next(&a);
      const bool more_b = general.NextGeneral(&b);
      ASSERT_EQ(more_a, more_b) << "round " << round;
      if (!more_a) break;
      ASSERT_TRUE(same(a, b)) << "round " << round << " offset " << b.offset;
      ++fast_records;
    }
    EXPECT_EQ(fast.status().ToString(), general.status().ToString()) << "round " << round;
    if (round % 2 == 0) {
      EXPECT_TRUE(fast.status().ok());
    }
  }
  EXPECT_GT(fast_records, 10000);
}

TEST(RecordBatchTest, BuilderIsReusable) {
  RecordBatchBuilder b;
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(b.empty());
    for (int i = 0; i < 100; ++i) b.Append(i, std::nullopt, std::to_string(i));
    EXPECT_EQ(b.count(), 100);
    std::string out = b.Finish();
    auto recs = testing::DecodeAll(out);
    ASSERT_TRUE(recs.ok());
    ASSERT_EQ(recs->size(), 100u);
    EXPECT_EQ((*recs)[99].value, "99");
  }
}

}  // namespace
}  // namespace rivulet::log

// Zigzag varints and big-endian helpers: round trips at the boundaries,
// exact encodings, sizes, and rejection of truncated or overlong input.
#include "log/varint.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace rivulet::log {
namespace {

std::string Encode(int64_t v) {
  char buf[kMaxVarint64Bytes];
  char* end = PutVarint(buf, v);
  return std::string(buf, static_cast<size_t>(end - buf));
}

TEST(VarintTest, RoundTripsAndSizes) {
  const int64_t values[] = {0, -1, 1, 63, -64, 64, -65, 300, -300, 8191, 8192,
                            std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                            std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (int64_t v : values) {
    const std::string e = Encode(v);
    EXPECT_EQ(e.size(), VarintSize(v)) << v;
    const char* p = e.data();
    int64_t out = 0;
    ASSERT_TRUE(GetVarint(&p, e.data() + e.size(), &out)) << v;
    EXPECT_EQ(out, v);
    EXPECT_EQ(p, e.data() + e.size());
  }
  EXPECT_EQ(VarintSize(std::numeric_limits<int64_t>::min()), 10u);
}

TEST(VarintTest, KnownEncodings) {
  EXPECT_EQ(Encode(0), std::string("\x00", 1));
  EXPECT_EQ(Encode(1), "\x02");
  EXPECT_EQ(Encode(-1), "\x01");
  EXPECT_EQ(Encode(63), "\x7e");
  EXPECT_EQ(Encode(-64), "\x7f");
  EXPECT_EQ(Encode(64), "\x80\x01");
  EXPECT_EQ(Encode(300), "\xd8\x04");  // zigzag 600
}

TEST(VarintTest, RejectsTruncatedAndOverlong) {
  const std::string e = Encode(1LL << 40);
  for (size_t n = 0; n < e.size(); ++n) {
    const char* p = e.data();
    int64_t out;
    EXPECT_FALSE(GetVarint(&p, e.data() + n, &out)) << n;
    EXPECT_EQ(p, e.data()) << "pointer moved on failure";
  }
  const std::string overlong(11, '\x80');
  const char* p = overlong.data();
  int64_t out;
  EXPECT_FALSE(GetVarint(&p, overlong.data() + overlong.size(), &out));
  const std::string ten = std::string(9, '\xff') + "\x7f";  // > 64 bits
  p = ten.data();
  EXPECT_FALSE(GetVarint(&p, ten.data() + ten.size(), &out));
}

TEST(VarintTest, Varint32RejectsValuesOutsideInt32) {
  for (int64_t v : {int64_t{1} << 31, -(int64_t{1} << 31) - 1, std::numeric_limits<int64_t>::max()}) {
    const std::string e = Encode(v);
    const char* p = e.data();
    int32_t out;
    EXPECT_FALSE(GetVarint32(&p, e.data() + e.size(), &out)) << v;
  }
  const std::string e = Encode(std::numeric_limits<int32_t>::min());
  const char* p = e.data();
  int32_t out;
  ASSERT_TRUE(GetVarint32(&p, e.data() + e.size(), &out));
  EXPECT_EQ(out, std::numeric_limits<int32_t>::min());
}

TEST(VarintTest, BigEndianHelpers) {
  char b[8];
  PutBigEndian32(b, 0x01020304u);
  EXPECT_EQ(std::string(b, 4), "\x01\x02\x03\x04");
  EXPECT_EQ(GetBigEndian32(b), 0x01020304u);
  PutBigEndian64(b, 0x0102030405060708ull);
  EXPECT_EQ(std::string(b, 8), "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(GetBigEndian64(b), 0x0102030405060708ull);
  PutBigEndian16(b, 0xA1B2);
  EXPECT_EQ(GetBigEndian16(b), 0xA1B2);
  EXPECT_EQ(static_cast<unsigned char>(b[0]), 0xA1);
}

}  // namespace
}  // namespace rivulet::log

// The flexible (KIP-482) encodings of log/wire.h: exact bytes of unsigned
// varints, compact strings, bytes, arrays and tagged-field sections; and
// every way they go bad (truncated, overlong, lengths or counts past the
// end) as a sticky error, never a read past the input.
#include "log/wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace rivulet::log {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

std::string Varint(uint32_t v) {
  Writer w;
  w.UnsignedVarint(v);
  return w.Take();
}

TEST(WireFlexibleTest, UnsignedVarintBytes) {
  EXPECT_EQ(Varint(0), "\x00"s);
  EXPECT_EQ(Varint(1), "\x01"s);
  EXPECT_EQ(Varint(127), "\x7f"s);
  EXPECT_EQ(Varint(128), "\x80\x01"s);
  EXPECT_EQ(Varint(300), "\xac\x02"s);
  EXPECT_EQ(Varint(16384), "\x80\x80\x01"s);
  EXPECT_EQ(Varint(UINT32_MAX), "\xff\xff\xff\xff\x0f"s);
}

TEST(WireFlexibleTest, UnsignedVarintRoundTrips) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 255u, 300u, 16383u, 16384u, (1u << 21) - 1, 1u << 21, 1u << 28,
                     0x7fffffffu, UINT32_MAX}) {
    const std::string b = Varint(v);
    Reader r(b);
    EXPECT_EQ(r.UnsignedVarint(), v);
    EXPECT_TRUE(r.ok()) << v;
    EXPECT_EQ(r.remaining(), 0u) << v;
  }
}

TEST(WireFlexibleTest, UnsignedVarintRejectsTruncatedAndOverlong) {
  for (const std::string& bad : {""s, "\x80"s, "\xff\xff"s, "\xff\xff\xff\xff"s,
                                 "\xff\xff\xff\xff\x10"s,        // 33 bits
                                 "\xff\xff\xff\xff\xff\x01"s}) {  // six bytes
    Reader r(bad);
    EXPECT_EQ(r.UnsignedVarint(), 0u);
    EXPECT_FALSE(r.ok()) << bad.size();
    EXPECT_EQ(r.Int8(), 0);  // sticky
  }
}

TEST(WireFlexibleTest, CompactStringBytes) {
  Writer w;
  w.CompactString("abc");
  w.CompactString("");
  w.CompactNullableString(std::nullopt);
  w.CompactNullableString("x");
  w.CompactBytes("\x01\x02"s);
  w.CompactNullableBytes(std::nullopt);
  EXPECT_EQ(w.Take(), "\x04" "abc" "\x01" "\x00" "\x02x" "\x03\x01\x02" "\x00"s);

  Writer w2;
  w2.CompactString(std::string(200, 'a'));
  const std::string b = w2.Take();
  EXPECT_EQ(b.substr(0, 2), "\xc9\x01"s);  // 201
  EXPECT_EQ(b.size(), 202u);
}

TEST(WireFlexibleTest, CompactStringRoundTrips) {
  const std::string in = "\x04" "abc" "\x01" "\x00" "\x02x" "\x03\x01\x02" "\x00" "\x00"s;
  Reader r(in);
  EXPECT_EQ(r.CompactString(), "abc");
  EXPECT_EQ(r.CompactNullableString(), std::optional<std::string>(""));
  EXPECT_EQ(r.CompactNullableString(), std::nullopt);
  EXPECT_EQ(r.CompactString(), "x");
  EXPECT_EQ(r.CompactBytes(), "\x01\x02"s);
  EXPECT_EQ(r.CompactNullableBytes(), std::nullopt);
  EXPECT_EQ(r.CompactString(), "");  // null reads as empty
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireFlexibleTest, CompactLengthPastEndFails) {
  for (const std::string& bad : {"\x05" "abc"s, "\xff\xff\xff\xff\x0f"s, "\x80"s, ""s}) {
    Reader r(bad);
    EXPECT_EQ(r.CompactString(), "");
    EXPECT_FALSE(r.ok());
    Reader r2(bad);
    EXPECT_EQ(r2.CompactNullableBytes(), std::nullopt);
    EXPECT_FALSE(r2.ok());
  }
}

TEST(WireFlexibleTest, CompactArrayCount) {
  Writer w;
  w.CompactArrayCount(0);
  w.CompactArrayCount(3);
  w.Raw("abc");
  EXPECT_EQ(w.buffer(), "\x01\x04" "abc"s);
  Reader r(w.buffer());
  EXPECT_EQ(r.CompactArrayCount(), 0);
  EXPECT_EQ(r.CompactArrayCount(1), 3);
  EXPECT_TRUE(r.ok());

  Reader null_array("\x00"sv);  // null reads as empty
  EXPECT_EQ(null_array.CompactArrayCount(), 0);
  EXPECT_TRUE(null_array.ok());
}

TEST(WireFlexibleTest, AbsurdCompactArrayCountsFail) {
  // More elements than bytes left, for the element size given.
  Reader few("\x04" "abcdef"sv);
  EXPECT_EQ(few.CompactArrayCount(4), 0);
  EXPECT_FALSE(few.ok());
  // Over kMaxArrayCount whatever the bytes.
  Writer w;
  w.UnsignedVarint(static_cast<uint32_t>(kMaxArrayCount) + 2);
  w.Raw(std::string(16, 'x'));
  Reader huge(w.buffer());
  EXPECT_EQ(huge.CompactArrayCount(0), 0);
  EXPECT_FALSE(huge.ok());
  // The largest encodable count.
  Reader max("\xff\xff\xff\xff\x0f"sv);
  EXPECT_EQ(max.CompactArrayCount(0), 0);
  EXPECT_FALSE(max.ok());
}

TEST(WireFlexibleTest, EmptyTaggedFields) {
  Writer w;
  w.EmptyTaggedFields();
  EXPECT_EQ(w.buffer(), "\x00"s);
  Reader r(w.buffer());
  r.SkipTaggedFields();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireFlexibleTest, SkipsTaggedFields) {
  // Two fields: tag 0 with 3 bytes, tag 300 with 0 bytes; then an int16.
  const std::string in = "\x02" "\x00\x03" "abc" "\xac\x02\x00" "\x12\x34"s;
  Reader r(in);
  r.SkipTaggedFields();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.Int16(), 0x1234);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireFlexibleTest, BadTaggedFieldsFail) {
  for (const std::string& bad : {""s,
                                 "\x01"s,                         // count, no field
                                 "\x01\x00"s,                     // tag, no size
                                 "\x01\x00\x04" "abc"s,           // size past end
                                 "\x05\x00\x00"s,                 // count past end
                                 "\xff\xff\xff\xff\x0f"s,         // absurd count
                                 "\x01\x00\xff\xff\xff\xff\x0f"s}) {  // absurd size
    Reader r(bad);
    r.SkipTaggedFields();
    EXPECT_FALSE(r.ok()) << bad.size();
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(WireFlexibleTest, ClassicEncodingsUnchanged) {
  Writer w;
  w.String("ab");
  w.NullableString(std::nullopt);
  w.ArrayCount(2);
  EXPECT_EQ(w.buffer(), "\x00\x02" "ab" "\xff\xff" "\x00\x00\x00\x02"s);
}

}  // namespace
}  // namespace rivulet::log

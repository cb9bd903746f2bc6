// CRC-32C: standard check values, ISA-L's code against a bit-at-a-time
// reference on random data of many lengths and alignments (the lengths
// where its block paths start and end), and incremental extension.
#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace rivulet::log {
namespace {

// The definition: reflected Castagnoli polynomial, one bit at a time.
uint32_t ReferenceCrc32c(const unsigned char* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
  }
  return ~c;
}

TEST(Crc32cTest, StandardVectors) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  std::vector<unsigned char> zeros(32, 0), ones(32, 0xff), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<unsigned char>(i);
    dec[i] = static_cast<unsigned char>(31 - i);
  }
  // RFC 3720 (iSCSI) B.4 test vectors.
  EXPECT_EQ(Crc32c(zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(inc.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(dec.data(), 32), 0x113FDB5Cu);
  EXPECT_EQ(Crc32c("", 0), 0u);
  EXPECT_EQ(ReferenceCrc32c(reinterpret_cast<const unsigned char*>("123456789"), 9), 0xE3069283u);
}

TEST(Crc32cTest, MatchesTheReferenceForAllLengthsAndAlignments) {
  std::mt19937 rng(7);
  std::vector<unsigned char> buf(64 * 1024 + 64);
  for (auto& b : buf) b = static_cast<unsigned char>(rng());
  for (size_t len = 0; len <= 1024; ++len) {
    const size_t align = rng() % 16;
    ASSERT_EQ(Crc32c(buf.data() + align, len), ReferenceCrc32c(buf.data() + align, len))
        << "len " << len << " align " << align;
  }
  // Long inputs: whole and partial blocks of every size ISA-L folds by.
  for (size_t len : {4095u, 4096u, 12288u, 12289u, 24576u, 40000u, 65536u}) {
    ASSERT_EQ(Crc32c(buf.data() + 3, len), ReferenceCrc32c(buf.data() + 3, len)) << len;
  }
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s(50000, '\0');
  std::mt19937 rng(9);
  for (auto& c : s) c = static_cast<char>(rng());
  for (size_t cut : {0u, 1u, 7u, 4096u, 12288u, 30001u, 50000u}) {
    EXPECT_EQ(Crc32cExtend(Crc32c(s.data(), cut), s.data() + cut, s.size() - cut), Crc32c(s.data(), s.size()))
        << cut;
  }
}

TEST(Crc32cTest, DetectsEverySingleBitFlip) {
  std::string s = "a RecordBatch body of modest size, to flip bits in";
  const uint32_t good = Crc32c(s.data(), s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      s[i] = static_cast<char>(s[i] ^ (1 << bit));
      EXPECT_NE(Crc32c(s.data(), s.size()), good);
      s[i] = static_cast<char>(s[i] ^ (1 << bit));
    }
  }
}

}  // namespace
}  // namespace rivulet::log

// murmur2 and the default partitioner must match Kafka's Java client
// exactly, so that keys land in the partitions Kafka users expect.
#include "log/murmur2.h"

#include <gtest/gtest.h>

#include <string>

namespace rivulet::log {
namespace {

TEST(Murmur2Test, MatchesKafkaJavaClientVectors) {
  // From Kafka's UtilsTest.testMurmur2.
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2(std::string("abc")), 479470107);
}

TEST(Murmur2Test, HandlesBytesAbove127AsUnsigned) {
  // Java bytes are signed; the algorithm masks them. A high byte in the
  // tail and in a block must not sign-extend.
  const std::string tail("\xff", 1);
  const std::string block("\x80\x81\x82\x83", 4);
  EXPECT_NE(Murmur2(tail), Murmur2(std::string("\x7f", 1)));
  EXPECT_NE(Murmur2(block), Murmur2(std::string("\x00\x01\x02\x03", 4)));
}

TEST(Murmur2Test, PartitionForKey) {
  EXPECT_EQ(ToPositive(-1), 0x7fffffff);
  EXPECT_EQ(ToPositive(-973932308), -973932308 & 0x7fffffff);
  // toPositive(-973932308) = 1173551340; % 3 = 0, % 7 = 0, % 10 = 0.
  EXPECT_EQ(PartitionForKey("21", 3), 1173551340 % 3);
  EXPECT_EQ(PartitionForKey("foobar", 6), (-790332482 & 0x7fffffff) % 6);
  for (int n = 1; n <= 64; ++n) {
    for (int k = 0; k < 200; ++k) {
      const int p = PartitionForKey("key-" + std::to_string(k), n);
      ASSERT_GE(p, 0);
      ASSERT_LT(p, n);
    }
  }
}

}  // namespace
}  // namespace rivulet::log

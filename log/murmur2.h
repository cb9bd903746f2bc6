// Kafka's default partitioner hash: murmur2 (seed 0x9747b28c) exactly as the
// Java client computes it, so keys land in the partitions Kafka users expect.
#pragma once

#include <cstdint>
#include <string_view>

namespace rivulet::log {

int32_t Murmur2(std::string_view data);
// n & 0x7fffffff, as Kafka's Utils.toPositive.
inline int32_t ToPositive(int32_t n) { return n & 0x7fffffff; }
// The partition of a non-null key among num_partitions (> 0).
inline int32_t PartitionForKey(std::string_view key, int32_t num_partitions) {
  return ToPositive(Murmur2(key)) % num_partitions;
}

}  // namespace rivulet::log

// Source lag per partition; see source_lag.h.
#include "engine/source_lag.h"

#include <algorithm>
#include <map>
#include <utility>

namespace rivulet::engine {

SourceLag::SourceLag(int parallelism, std::chrono::milliseconds interval)
    : interval_(interval), by_instance_(static_cast<size_t>(std::max(parallelism, 1))) {}

void SourceLag::Report(int index, std::vector<PartitionLag> lags) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index < 0 || static_cast<size_t>(index) >= by_instance_.size()) return;
  by_instance_[static_cast<size_t>(index)] = std::move(lags);
}

std::vector<PartitionLag> SourceLag::Snapshot() const {
  std::map<std::pair<std::string, int32_t>, int64_t> merged;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& instance : by_instance_) {
      for (const PartitionLag& l : instance) {
        auto [it, fresh] = merged.try_emplace({l.topic, l.partition}, l.records);
        if (!fresh) it->second = std::min(it->second, l.records);
      }
    }
  }
  std::vector<PartitionLag> out;
  out.reserve(merged.size());
  for (const auto& [key, records] : merged) out.push_back(PartitionLag{key.first, key.second, records});
  return out;
}

}  // namespace rivulet::engine

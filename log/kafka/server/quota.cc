// Byte-rate quotas; see quota.h.
#include "log/kafka/server/quota.h"

#include <algorithm>

namespace rivulet::log::kafka {

int64_t ByteRateQuotas::Limit(Kind kind, const std::string& user) const {
  const auto& per_user = kind == Kind::kProduce ? options_.producer_user : options_.consumer_user;
  // A principal "User:alice" matches quota.*.user.alice.
  const std::string name = user.starts_with("User:") ? user.substr(5) : user;
  if (auto it = per_user.find(name); it != per_user.end()) return it->second;
  return kind == Kind::kProduce ? options_.producer_byte_rate : options_.consumer_byte_rate;
}

int32_t ByteRateQuotas::Record(Kind kind, const std::string& user, int64_t bytes, Clock::time_point now) {
  const int64_t limit = Limit(kind, user);
  if (limit <= 0) return 0;
  const auto window = std::chrono::seconds(options_.window_size_seconds);
  std::lock_guard<std::mutex> lock(mu_);
  if (samples_.size() > 10'000 && now - last_sweep_ > window * options_.window_num) {
    // Clients that came and went (anonymous ones may vary their client
    // id): forget those whose windows have all passed.
    last_sweep_ = now;
    std::erase_if(samples_, [&](const auto& kv) {
      return kv.second.empty() || kv.second.back().start + window * (options_.window_num + 1) <= now;
    });
  }
  auto& samples = samples_[{kind, user}];
  if (samples.empty() || now - samples.back().start >= window) samples.push_back(Sample{now, 0});
  samples.back().bytes += bytes;
  // Keep the last window_num windows.
  const auto horizon = now - window * options_.window_num;
  std::erase_if(samples, [&](const Sample& s) { return s.start + window <= horizon; });
  int64_t total = 0;
  for (const Sample& s : samples) total += s.bytes;
  // The rate over the time the samples span, but never less than all but
  // one of the windows (a first burst is not divided by a few
  // milliseconds), as Kafka measures it.
  const auto elapsed = std::max<Clock::duration>(now - samples.front().start, window * (options_.window_num - 1));
  const double seconds = std::chrono::duration<double>(elapsed).count();
  const double rate = static_cast<double>(total) / seconds;
  if (rate <= static_cast<double>(limit)) return 0;
  const double throttle_ms = (rate - static_cast<double>(limit)) / static_cast<double>(limit) * seconds * 1000.0;
  return static_cast<int32_t>(std::min(throttle_ms, 3'600'000.0));
}

}  // namespace rivulet::log::kafka

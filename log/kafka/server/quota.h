// Byte-rate quotas per user, as Kafka's: each user (the authenticated
// principal; an unauthenticated client by its client id) has a produce and
// a fetch budget in bytes per second, measured over the last
// quota.window.num windows of quota.window.size.seconds. A request that
// takes the rate over the budget is answered at once, with the time the
// client must wait (throttle_time_ms, which Kafka's clients honour), and
// the broker reads nothing more from that connection for as long (KIP-219),
// so that a client that ignores it gains nothing.
//
// Threading: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rivulet::log::kafka {

struct QuotaOptions {
  int64_t producer_byte_rate = 0;  // quota.producer.default; 0: no quota
  int64_t consumer_byte_rate = 0;  // quota.consumer.default; 0: no quota
  // Rivulet's own keys for one user: quota.producer.user.<name> and
  // quota.consumer.user.<name> (0: none for that user).
  std::map<std::string, int64_t> producer_user, consumer_user;
  int32_t window_num = 11;          // quota.window.num
  int32_t window_size_seconds = 1;  // quota.window.size.seconds
};

class ByteRateQuotas {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ByteRateQuotas(QuotaOptions options) : options_(std::move(options)) {}

  enum class Kind { kProduce, kFetch };
  // Counts `bytes` for `user` and returns how long (ms) it must wait for
  // its rate to come back to its quota; 0 without a quota.
  int32_t Record(Kind kind, const std::string& user, int64_t bytes, Clock::time_point now = Clock::now());
  // The quota of `user` (bytes/s), 0 for none.
  int64_t Limit(Kind kind, const std::string& user) const;
  // Whether any quota is set: without one, requests skip Record (and the
  // naming of their user) altogether.
  bool enabled() const {
    return options_.producer_byte_rate > 0 || options_.consumer_byte_rate > 0 || !options_.producer_user.empty() ||
           !options_.consumer_user.empty();
  }

 private:
  struct Sample {
    Clock::time_point start;
    int64_t bytes = 0;
  };
  const QuotaOptions options_;
  std::mutex mu_;
  std::map<std::pair<Kind, std::string>, std::vector<Sample>> samples_;  // guarded by mu_
  Clock::time_point last_sweep_;                                          // guarded by mu_
};

}  // namespace rivulet::log::kafka

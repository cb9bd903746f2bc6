// Micro benchmarks: event-time timers of KeyedStateBackend (engine/
// keyed_state.h) -- register then fire, and the per-record "delete the
// old timer, register a new one" pattern -- beside the queue it replaced
// (a std::map of time -> std::deque of keys beside a set of live timers,
// where a deleted timer stayed queued until the watermark passed it),
// kept here as the baseline.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "engine/keyed_state.h"

namespace rivulet::engine {
namespace {

using Key = std::string;

// The replaced timer queue, same interface as the backend's timers.
class OldTimerQueue {
 public:
  void SetCurrentKey(const Key& k) { current_ = k; }
  void RegisterTimer(Timestamp t) {
    if (timers_.insert(std::pair<Key, Timestamp>(current_, t)).second) queue_[t].push_back(current_);
  }
  void DeleteTimer(Timestamp t) { timers_.erase(std::pair<Key, Timestamp>(current_, t)); }
  size_t timer_queue_size() const {
    size_t n = 0;
    for (const auto& [t, keys] : queue_) n += keys.size();
    return n;
  }
  std::optional<std::pair<Timestamp, Key>> PopTimer(Timestamp watermark) {
    while (!queue_.empty() && queue_.begin()->first <= watermark) {
      auto it = queue_.begin();
      const Timestamp t = it->first;
      Key key = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) queue_.erase(it);
      if (timers_.erase(std::pair<Key, Timestamp>(key, t)) == 1) return std::pair<Timestamp, Key>(t, std::move(key));
    }
    return std::nullopt;
  }

 private:
  Key current_;
  absl::flat_hash_set<std::pair<Key, Timestamp>> timers_;
  std::map<Timestamp, std::deque<Key>> queue_;
};

using NewTimers = KeyedStateBackend<Key>;

std::vector<Key> Keys(int n) {
  std::vector<Key> keys;
  keys.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) keys.push_back("user" + std::to_string(i));
  return keys;
}

// range(0) timers, one per key, at 1000 distinct times; then all fire.
template <typename Q>
void BM_TimerRegisterFire(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<Key> keys = Keys(n);
  for (auto _ : state) {
    Q q;
    for (int i = 0; i < n; ++i) {
      q.SetCurrentKey(keys[static_cast<size_t>(i)]);
      q.RegisterTimer(static_cast<Timestamp>((i * 7919) % 1000));
    }
    size_t fired = 0;
    while (auto t = q.PopTimer(kMaxTimestamp)) ++fired;
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(state.iterations() * n);
}

// range(0) records over 1000 keys, time advancing by 1 per record: each
// deletes its key's timer and registers one 10000 later (a session gap);
// then the watermark passes them all. queue_entries: entries queued after
// the records (live timers: 1000).
template <typename Q>
void BM_TimerDeleteRegisterPerRecord(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  constexpr int kKeys = 1000;
  constexpr Timestamp kGap = 10000;
  const std::vector<Key> keys = Keys(kKeys);
  size_t queued = 0;
  for (auto _ : state) {
    Q q;
    std::vector<Timestamp> last(kKeys, -1);
    for (int i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>((i * 7919) % kKeys);
      q.SetCurrentKey(keys[k]);
      if (last[k] >= 0) q.DeleteTimer(last[k]);
      last[k] = i + kGap;
      q.RegisterTimer(last[k]);
    }
    state.PauseTiming();
    queued = q.timer_queue_size();
    state.ResumeTiming();
    size_t fired = 0;
    while (auto t = q.PopTimer(kMaxTimestamp)) ++fired;
    benchmark::DoNotOptimize(fired);
  }
  state.counters["queue_entries"] = static_cast<double>(queued);
  state.SetItemsProcessed(state.iterations() * n);
}

BENCHMARK_TEMPLATE(BM_TimerRegisterFire, OldTimerQueue)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_TimerRegisterFire, NewTimers)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_TimerDeleteRegisterPerRecord, OldTimerQueue)->Arg(1000000)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_TimerDeleteRegisterPerRecord, NewTimers)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rivulet::engine

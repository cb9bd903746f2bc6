// Event-time watermarks of a source instance, one implementation for every
// source (the in-memory ones in sources.h and the log, Kafka and file
// connectors): a WatermarkStrategy says how far out of order records may
// come and when a quiet split stops holding time back; SplitWatermarks
// applies it to the splits an instance reads (partitions, a file, or the
// one split of an in-memory source).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "engine/time.h"

namespace rivulet::operators {

// Where sources read the time that idleness is measured in. The steady
// clock unless a test hands its own (ManualSourceClock).
class SourceClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~SourceClock() = default;
  virtual TimePoint Now() const = 0;
  // The steady clock (one instance for the process, never destroyed).
  static const SourceClock& Steady();
};

// A clock that moves only when told to; safe to advance from one thread
// while a running job reads it from others.
class ManualSourceClock final : public SourceClock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(ns_.load(std::memory_order_relaxed))); }
  void Advance(std::chrono::milliseconds d) {
    ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(), std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t> ns_{0};
};

inline const SourceClock& SourceClock::Steady() {
  class SteadyClock final : public SourceClock {
   public:
    TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  };
  static const SteadyClock* const clock = new SteadyClock;
  return *clock;
}

// How a source assigns watermarks (Flink's WatermarkStrategy). Bounded
// out-of-orderness: a split's watermark is its largest timestamp - bound
// - 1. Idleness: a split the source has caught up on (no data waiting on
// it) and without records for idle_timeout_ms holds the instance's
// watermark back no longer (until it has records again), and an instance
// all of whose splits are idle is marked idle, so it does not hold back
// the job's watermark either. Records that then come on an idle split may
// be late. A negative bound or an idle timeout of 0 is refused
// (std::invalid_argument from SplitWatermarks).
struct WatermarkStrategy {
  int64_t max_out_of_orderness_ms = 0;
  int64_t idle_timeout_ms = -1;  // < 0: never idle; 0 is refused
  // Idleness is measured on this clock; nullptr: the steady clock. Not
  // owned; must outlive the sources that use the strategy (tests).
  const SourceClock* clock = nullptr;

  static WatermarkStrategy BoundedOutOfOrderness(int64_t bound_ms) { return {bound_ms, -1, nullptr}; }
  WatermarkStrategy WithIdleness(int64_t timeout_ms) const {
    WatermarkStrategy s = *this;
    s.idle_timeout_ms = timeout_ms;
    return s;
  }
  WatermarkStrategy WithClock(const SourceClock* c) const {
    WatermarkStrategy s = *this;
    s.clock = c;
    return s;
  }
};

// The watermark of one source instance over its splits. Per split: the
// largest timestamp read and when a record last came. The instance's
// watermark is the smallest over active splits of (largest timestamp -
// bound - 1), and only ever moves forward. A split holds nothing back
// once finished (bounded and read to its end) or while idle; a split with
// no record yet holds the watermark back (nothing is known of its time)
// unless it is idle. When every split not finished is idle, the watermark
// is the smallest over those that have records: what they read is known,
// and a busy split that went quiet with the others still gets its last
// windows fired.
//
// A split ages toward idleness only while the source is caught up: a poll
// that came back full (data still waiting somewhere) tells Advance so, and
// then every split counts as having had a record just now (and again at
// the first poll that ran dry after it). Otherwise a
// pause in polling (backpressure) followed by a poll full of one split's
// backlog would make the others look idle and the watermark would pass
// over their backlog.
//
// Not thread-safe: one source instance's thread uses it.
class SplitWatermarks {
 public:
  using SplitId = int64_t;
  using Timestamp = engine::Timestamp;

  // What a source updates per record (the hot path: no clock, no lookup).
  class Split {
   public:
    void Record(Timestamp ts) {
      if (ts > max_ts_) max_ts_ = ts;
      fresh_ = true;
    }
    // The largest timestamp read (kMinTimestamp: none): checkpointed by
    // the sources.
    Timestamp max_ts() const { return max_ts_; }
    bool finished() const { return finished_; }

   private:
    friend class SplitWatermarks;
    Timestamp max_ts_ = engine::kMinTimestamp;
    SourceClock::TimePoint last_record_;
    bool fresh_ = false;  // records since the last Advance
    bool finished_ = false;
  };

  // Throws std::invalid_argument for a strategy with a negative bound or
  // an idle timeout of 0.
  explicit SplitWatermarks(WatermarkStrategy strategy)
      : strategy_(Validated(strategy)), clock_(strategy.clock ? strategy.clock : &SourceClock::Steady()),
        last_split_(clock_->Now()) {}
  // Splits are handed out by reference.
  SplitWatermarks(const SplitWatermarks&) = delete;
  SplitWatermarks& operator=(const SplitWatermarks&) = delete;

  // Split `id`, added unless present, with a largest timestamp of at least
  // `max_ts` (a restored one; kMinTimestamp: none). A new split's idle
  // time counts from now. The reference lives until Remove(id).
  Split& Add(SplitId id, Timestamp max_ts = engine::kMinTimestamp) {
    auto [it, added] = splits_.try_emplace(id);
    if (added) it->second.last_record_ = clock_->Now();
    if (max_ts > it->second.max_ts_) it->second.max_ts_ = max_ts;
    return it->second;
  }
  // A split this instance no longer reads (e.g. a partition revoked).
  // With none left, the instance's idle time counts from now.
  void Remove(SplitId id) {
    if (splits_.erase(id) && splits_.empty()) last_split_ = clock_->Now();
  }
  // nullptr when not there.
  Split* Find(SplitId id) {
    auto it = splits_.find(id);
    return it == splits_.end() ? nullptr : &it->second;
  }
  // A bounded split read to its end: it holds nothing back any more.
  void Finish(SplitId id) {
    if (Split* s = Find(id)) s->finished_ = true;
  }
  bool empty() const { return splits_.empty(); }
  size_t size() const { return splits_.size(); }
  // Calls f(id, const Split&) for each split, in id order.
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [id, s] : splits_) f(id, s);
  }

  // Takes the records since the last call into account (their splits are
  // active as of now) and returns the instance's watermark if it moved
  // forward; nullopt if it did not, including when a split without
  // records holds it back or every split is finished. `caught_up`: the
  // poll before ran dry (no data known to be waiting). False (the poll
  // was full: a backlog) counts as a record just now on every split not
  // finished, so that none ages toward idleness while data may wait on it;
  // so does the first caught-up call after such a one (splits age from
  // when the source is known to have caught up, not from before a pause).
  std::optional<Timestamp> Advance(bool caught_up) {
    const SourceClock::TimePoint now = clock_->Now();
    const bool hold_all = !caught_up || !caught_up_;
    caught_up_ = caught_up;
    Timestamp active = engine::kMaxTimestamp;  // over active splits
    Timestamp idle = engine::kMaxTimestamp;    // over idle splits with records
    bool any_active = false;
    bool held = false;
    for (auto& [id, s] : splits_) {
      if (s.fresh_ || (hold_all && !s.finished_)) {
        s.fresh_ = false;
        s.last_record_ = now;
      }
      if (s.finished_) continue;
      const bool is_idle = Idle(s, now);
      any_active = any_active || !is_idle;
      if (s.max_ts_ == engine::kMinTimestamp) {
        held = held || !is_idle;
        continue;
      }
      const Timestamp w = s.max_ts_ - strategy_.max_out_of_orderness_ms - 1;
      Timestamp& into = is_idle ? idle : active;
      if (w < into) into = w;
    }
    const Timestamp wm = any_active ? active : idle;
    if (held || wm == engine::kMaxTimestamp || wm <= watermark_) return std::nullopt;
    watermark_ = wm;
    return wm;
  }
  // The last watermark Advance returned (kMinTimestamp: none yet).
  Timestamp watermark() const { return watermark_; }

  // Whether the instance holds no watermark back: the strategy has an idle
  // timeout, the last Advance was caught up, and every split not finished
  // has had no record for the timeout (with no split at all: the timeout
  // has passed since the instance last had one, or since it was made). A
  // backlog seen by the last Advance means not idle, however long ago that
  // was: time without polls (backpressure) does not make a source idle.
  bool idle() const {
    if (strategy_.idle_timeout_ms < 0 || !caught_up_) return false;
    const SourceClock::TimePoint now = clock_->Now();
    if (splits_.empty()) return now - last_split_ >= std::chrono::milliseconds(strategy_.idle_timeout_ms);
    for (const auto& [id, s] : splits_) {
      if (!s.finished_ && (s.fresh_ || !Idle(s, now))) return false;
    }
    return true;
  }

  const WatermarkStrategy& strategy() const { return strategy_; }

 private:
  static WatermarkStrategy Validated(WatermarkStrategy s) {
    if (s.max_out_of_orderness_ms < 0) {
      throw std::invalid_argument("watermark strategy: max_out_of_orderness_ms must not be negative, got " +
                                  std::to_string(s.max_out_of_orderness_ms));
    }
    if (s.idle_timeout_ms == 0) {
      throw std::invalid_argument(
          "watermark strategy: idle_timeout_ms of 0 would make every split idle at once; give a positive timeout, "
          "or a negative one for never idle");
    }
    return s;
  }
  bool Idle(const Split& s, SourceClock::TimePoint now) const {
    return strategy_.idle_timeout_ms >= 0 && !s.fresh_ &&
           now - s.last_record_ >= std::chrono::milliseconds(strategy_.idle_timeout_ms);
  }

  const WatermarkStrategy strategy_;
  const SourceClock* const clock_;
  std::map<SplitId, Split> splits_;
  SourceClock::TimePoint last_split_;  // made, or the last split removed
  bool caught_up_ = true;              // as of the last Advance
  Timestamp watermark_ = engine::kMinTimestamp;
};

}  // namespace rivulet::operators

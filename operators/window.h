// Keyed event-time windows. Tumbling and sliding windows are cut into panes
// of gcd(size, slide) (Li et al., "No pane, no gain", SIGMOD Record 2005):
// each record is added to one pane's accumulator; a sliding window's result
// comes from a per-key Two-Stacks queue of panes, one merge per window, so
// the work per record does not grow with size/slide. A window [start, end) fires when the watermark reaches
// end - 1; a record for a window that fired within the allowed lateness
// updates it and the result is emitted again; a record later than that is
// counted and handed to the late-record handler, never dropped silently.
// Session windows: session.h.
// Checkpointed: the panes per key group (each key's accumulators, encoded
// by StateCodec<K> and StateCodec<Acc>) and the watermark; the sliding
// windows' queues are rebuilt from the panes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <ostream>
#include <type_traits>
#include <absl/container/flat_hash_map.h>
#include <utility>
#include <vector>

#include "engine/state_codec.h"
#include "operators/operator_base.h"

namespace rivulet::operators {

template <typename K, typename R>
struct WindowResult {
  K key;
  Timestamp start = 0;
  Timestamp end = 0;  // exclusive
  R value;
  bool operator==(const WindowResult&) const = default;
  auto operator<=>(const WindowResult&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const WindowResult& r) {
    return os << "{" << r.key << " [" << r.start << "," << r.end << ") " << r.value << "}";
  }
};

// Checkpointed as its fields (a window result kept in state: a second
// phase of aggregation, a top-N over windows).
template <typename K, typename R>
constexpr auto RivuletStateFields(const WindowResult<K, R>*) {
  using W = WindowResult<K, R>;
  return engine::detail::Fields<W>::Of(&W::key, &W::start, &W::end, &W::value);
}

struct WindowSpec {
  enum class Kind { kTumbling, kSliding, kSession };
  Kind kind = Kind::kTumbling;
  int64_t size_ms = 0;
  int64_t slide_ms = 0;
  int64_t gap_ms = 0;
  int64_t allowed_lateness_ms = 0;

  WindowSpec AllowedLateness(int64_t ms) const {
    WindowSpec s = *this;
    s.allowed_lateness_ms = ms;
    return s;
  }
};
inline WindowSpec Tumbling(int64_t size_ms) { return {WindowSpec::Kind::kTumbling, size_ms, size_ms, 0, 0}; }
inline WindowSpec Sliding(int64_t size_ms, int64_t slide_ms) {
  return {WindowSpec::Kind::kSliding, size_ms, slide_ms, 0, 0};
}
inline WindowSpec Session(int64_t gap_ms) { return {WindowSpec::Kind::kSession, 0, 0, gap_ms, 0}; }

// Why `spec` cannot be run (sizes, slides and gaps must be positive, the
// lateness not negative), or ok.
inline Status Validate(const WindowSpec& spec) {
  switch (spec.kind) {
    case WindowSpec::Kind::kTumbling:
      if (spec.size_ms <= 0) return Status(Errc::kInvalidArgument, "tumbling window size must be positive");
      break;
    case WindowSpec::Kind::kSliding:
      if (spec.size_ms <= 0 || spec.slide_ms <= 0) {
        return Status(Errc::kInvalidArgument, "sliding window size and slide must be positive");
      }
      break;
    case WindowSpec::Kind::kSession:
      if (spec.gap_ms <= 0) return Status(Errc::kInvalidArgument, "session gap must be positive");
      break;
  }
  if (spec.allowed_lateness_ms < 0) return Status(Errc::kInvalidArgument, "allowed lateness must not be negative");
  return Status::Ok();
}

// floor(a / b) for b > 0, also for negative a.
inline int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && (a < 0)); }

// Of windows of `size` every `slide`: the end of the earliest and of the
// latest window that may contain time t (with slide > size, t may lie in
// none of them: InWindowGap).
inline int64_t FirstWindowEnd(int64_t t, int64_t size, int64_t slide) {
  return FloorDiv(t - size, slide) * slide + slide + size;
}
inline int64_t LatestWindowEnd(int64_t t, int64_t size, int64_t slide) { return FloorDiv(t, slide) * slide + size; }
// Whether t lies in no window (between two, when slide > size).
inline bool InWindowGap(int64_t t, int64_t size, int64_t slide) { return t - FloorDiv(t, slide) * slide >= size; }

// How many input records a value stands for in the late-records count: one,
// except a local-global partial (local_global.h), which counts its records.
template <typename T>
struct RecordWeight {
  static uint64_t Of(const T&) { return 1; }
};

// Counts late records of a window operator and hands each to a handler.
template <typename T>
struct LateRecords {
  std::function<void(const T&, Timestamp)> handler;  // may be empty
};

// What keyed window operators share: the result type, counting late
// records and handing them over, and advancing on each watermark and at
// the end of input (every window fires).
template <typename T, typename KeyFn, typename Agg>
class KeyedWindowOperator
    : public UnaryOperator<T, WindowResult<std::decay_t<std::invoke_result_t<KeyFn, const T&>>, typename Agg::Out>> {
 public:
  using K = std::decay_t<std::invoke_result_t<KeyFn, const T&>>;
  using Out = WindowResult<K, typename Agg::Out>;
  using Acc = typename Agg::Acc;

  KeyedWindowOperator(engine::Port out, KeyFn key, Agg agg, WindowSpec spec, LateRecords<T> late)
      : UnaryOperator<T, Out>(out), key_(std::move(key)), agg_(std::move(agg)), lateness_(spec.allowed_lateness_ms),
        late_(std::move(late)) {}

  void BindLateCounter(std::atomic<uint64_t>* late) override { late_metric_ = late; }

  static constexpr bool kCheckpointable = engine::HasStateCodec<K> && engine::HasStateCodec<Acc>;
  bool CanCheckpoint() const override { return kCheckpointable; }
  static int GroupOf(const K& k) { return engine::KeyGroupOf(std::hash<K>{}(k)); }
  void OnWatermark(Timestamp w) override {
    Advance(w);
    this->out_->OnWatermark(w);
  }
  void OnEnd() override {
    Advance(engine::kMaxTimestamp);
    this->out_->OnEnd();
  }

 protected:
  // Fires what the watermark `w` completes (kMaxTimestamp: everything).
  virtual void Advance(Timestamp w) = 0;
  [[noreturn]] static void NoCodec() {
    throw std::runtime_error(
        "window state cannot be checkpointed: its key or accumulator type has no StateCodec (see engine/state_codec.h)");
  }
  // A record later than the allowed lateness: counted and handed over.
  void Late(const T& value, Timestamp ts) {
    if (late_metric_) late_metric_->fetch_add(RecordWeight<T>::Of(value), std::memory_order_relaxed);
    if (late_.handler) late_.handler(value, ts);
  }
  void Output(const K& k, Timestamp start, Timestamp end, const Acc& acc) {
    this->buffer_.push_back(Event<Out>{end - 1, Out{k, start, end, agg_.Result(acc)}});
  }

  KeyFn key_;
  Agg agg_;
  const int64_t lateness_;

 private:
  LateRecords<T> late_;
  std::atomic<uint64_t>* late_metric_ = nullptr;  // the job's count (rivulet_operator_late_records_total)
};

template <typename T, typename KeyFn, typename Agg>
class PaneWindowOperator final : public KeyedWindowOperator<T, KeyFn, Agg> {
  using Base = KeyedWindowOperator<T, KeyFn, Agg>;

 public:
  using typename Base::Acc;
  using typename Base::K;
  using typename Base::Out;

  PaneWindowOperator(engine::Port out, KeyFn key, Agg agg, WindowSpec spec, LateRecords<T> late)
      : Base(out, std::move(key), std::move(agg), spec, std::move(late)), size_(spec.size_ms),
        slide_(spec.slide_ms), pane_(std::gcd(spec.size_ms, spec.slide_ms)) {}

  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    if constexpr (Base::kCheckpointable) {
      out.Add(engine::kNoGroup, engine::EncodeState(std::pair<Timestamp, Timestamp>(watermark_, next_end_)));
      engine::KeyGroupedWriter groups;  // per key group: (pane start, key, accumulator)...
      for (const auto& [start, pane] : panes_) {
        for (const auto& [k, acc] : pane) {
          std::string& b = groups.For(Base::GroupOf(k));
          engine::EncodeState(start, &b);
          engine::EncodeState(k, &b);
          engine::EncodeState(acc, &b);
        }
      }
      groups.WriteTo(out);
    } else {
      Base::NoCodec();
    }
  }
  void Restore(const engine::RestoreContext& ctx) override {
    if constexpr (Base::kCheckpointable) {
      ctx.ForEach(
          [&](uint32_t group, std::string_view in) {
            while (!in.empty()) {
              Timestamp start = 0;
              K k{};
              Acc acc{};
              if (!engine::StateCodec<Timestamp>::Decode(&in, &start) || !engine::StateCodec<K>::Decode(&in, &k) ||
                  !engine::StateCodec<Acc>::Decode(&in, &acc)) {
                throw std::runtime_error("window state: a pane entry of key group " + std::to_string(group) +
                                         " is malformed");
              }
              panes_[start].insert_or_assign(std::move(k), std::move(acc));
            }
          },
          [&](std::string_view bytes) {
            // Every instance saw the same control messages before the barrier: one watermark.
            auto v = engine::DecodeState<std::pair<Timestamp, Timestamp>>(bytes);
            if (!v.ok()) throw std::runtime_error("window state: " + v.status().ToString());
            watermark_ = std::max(watermark_, v->first);
            next_end_ = std::max(next_end_, v->second);
          });
      rebuild_ = true;  // the sliding queues are built again from the panes
      cached_pane_ = nullptr;
    } else {
      (void)ctx;
      Base::NoCodec();
    }
  }

  void OnBatch(Batch<T>& batch) override {
    for (auto& e : batch) {
      // Every window of a record ends after it, so a record newer than the
      // watermark is neither late nor in a fired window: the common case
      // needs no window arithmetic.
      const bool fresh = e.ts > watermark_;
      if (!fresh && watermark_ != engine::kMinTimestamp && LatestEnd(e.ts) - 1 + lateness_ <= watermark_) {
        this->Late(e.value, e.ts);
        continue;
      }
      // Records mostly arrive in time order: the last pane is a good guess.
      if (!cached_pane_ || e.ts < cached_start_ || e.ts - cached_start_ >= pane_) {
        cached_start_ = FloorDiv(e.ts, pane_) * pane_;
        cached_pane_ = &panes_[cached_start_];
      }
      auto& pane = *cached_pane_;
      K k = key_(e.value);
      auto it = pane.find(k);
      if (it == pane.end()) it = pane.emplace(k, agg_.Create()).first;
      agg_.Add(it->second, e.value);
      if (!fresh && cached_start_ < pushed_until_) rebuild_ = true;  // a queued pane changed
      // Within the allowed lateness: windows of this record that fired
      // already are emitted again, updated.
      if (!fresh && FirstEnd(e.ts) - 1 <= watermark_) Refire(k, e.ts);
    }
    this->Emit();
  }

 private:
  using Base::agg_;
  using Base::key_;
  using Base::lateness_;
  using Base::Output;

  // End of the earliest / latest window containing time t.
  Timestamp FirstEnd(Timestamp t) const { return FirstWindowEnd(t, size_, slide_); }
  Timestamp LatestEnd(Timestamp t) const { return LatestWindowEnd(t, size_, slide_); }

  void Advance(Timestamp w) override {
    if (w <= watermark_) return;
    watermark_ = w;
    while (!panes_.empty()) {
      // Skip windows without panes, but remember only windows that fired.
      const Timestamp end = std::max(next_end_, FirstEnd(panes_.begin()->first));
      if (end - 1 > w) break;
      next_end_ = end;
      Fire(next_end_);
      next_end_ += slide_;
      Purge();
    }
    Purge();
    this->Emit();
  }

  // Drops panes whose every window fired and is past the allowed lateness.
  void Purge() {
    while (!panes_.empty()) {
      const Timestamp last = LatestEnd(panes_.begin()->first);
      if (last >= next_end_ || (watermark_ != engine::kMaxTimestamp && last - 1 + lateness_ > watermark_)) break;
      if (cached_pane_ == &panes_.begin()->second) cached_pane_ = nullptr;
      panes_.erase(panes_.begin());
    }
  }

  void Fire(Timestamp end) {
    const Timestamp start = end - size_;
    if (pane_ == size_) {  // tumbling: one pane per window
      auto it = panes_.find(start);
      if (it == panes_.end()) return;
      for (const auto& [k, acc] : it->second) Output(k, start, end, acc);
      return;
    }
    // Sliding: panes enter each key's two-stack queue once (when the first
    // window containing them fires) and leave it once, and a window's
    // result is one merge: O(1) amortized per pane and key, whatever
    // size/slide is.
    if (rebuild_) {  // a pane already queued changed (late record): start over
      queues_.clear();
      pushed_until_ = start;
      rebuild_ = false;
    }
    for (auto it = panes_.lower_bound(std::max(pushed_until_, start)); it != panes_.end() && it->first < end; ++it) {
      for (const auto& [k, acc] : it->second) queues_[k].Push(it->first, acc, agg_);
    }
    pushed_until_ = end;
    for (auto it = queues_.begin(); it != queues_.end();) {
      it->second.EvictBefore(start, agg_);
      if (it->second.empty()) {
        queues_.erase(it++);
        continue;
      }
      Output(it->first, start, end, it->second.Query(agg_));
      ++it;
    }
  }

  // Emits again the fired windows of key k containing time t that are
  // still within the allowed lateness.
  void Refire(const K& k, Timestamp t) {
    for (Timestamp end = FirstEnd(t); end <= LatestEnd(t) && end - 1 <= watermark_ && end < next_end_;
         end += slide_) {
      if (end - 1 + lateness_ <= watermark_) continue;  // past lateness: stays as fired
      Acc acc = agg_.Create();
      for (auto it = panes_.lower_bound(end - size_); it != panes_.end() && it->first < end; ++it) {
        auto found = it->second.find(k);
        if (found != it->second.end()) agg_.Merge(acc, found->second);
      }
      Output(k, end - size_, end, acc);
    }
  }

  const int64_t size_;
  const int64_t slide_;
  const int64_t pane_;
  std::map<Timestamp, absl::flat_hash_map<K, Acc>> panes_;  // pane start -> key -> accumulator
  // Two-Stacks (Tangwongsan et al., "General incremental sliding-window
  // aggregation", PVLDB 2015): a FIFO of (pane, accumulator) whose
  // aggregate is one merge. `front` holds the oldest panes with suffix
  // aggregates (oldest on top); `back` the newest with a running aggregate.
  class PaneQueue {
   public:
    bool empty() const { return front_.empty() && back_.empty(); }
    void Push(Timestamp pane, const Acc& acc, const Agg& agg) {
      if (back_.empty()) {
        back_agg_ = acc;
      } else {
        agg.Merge(back_agg_, acc);
      }
      back_.emplace_back(pane, acc);
    }
    void EvictBefore(Timestamp t, const Agg& agg) {
      while (!empty()) {
        if (front_.empty()) Flip(agg);
        if (front_.back().first >= t) return;
        front_.pop_back();
      }
    }
    Acc Query(const Agg& agg) const {
      if (front_.empty()) return back_agg_;
      Acc a = front_.back().second;
      if (!back_.empty()) agg.Merge(a, back_agg_);
      return a;
    }

   private:
    void Flip(const Agg& agg) {
      for (size_t i = back_.size(); i-- > 0;) {
        Acc a = back_[i].second;
        if (!front_.empty()) agg.Merge(a, front_.back().second);
        front_.emplace_back(back_[i].first, std::move(a));
      }
      back_.clear();
    }
    std::vector<std::pair<Timestamp, Acc>> front_;  // oldest last; aggregate of itself and all newer in front_
    std::vector<std::pair<Timestamp, Acc>> back_;   // oldest first; raw pane accumulators
    Acc back_agg_{};
  };
  absl::flat_hash_map<K, PaneQueue> queues_;  // sliding: per key, the panes of the last fired window
  Timestamp pushed_until_ = engine::kMinTimestamp;  // panes before this are in queues_
  bool rebuild_ = false;
  absl::flat_hash_map<K, Acc>* cached_pane_ = nullptr;       // panes_[cached_start_]
  Timestamp cached_start_ = 0;
  Timestamp watermark_ = engine::kMinTimestamp;
  Timestamp next_end_ = engine::kMinTimestamp;  // end of the next window to fire
};

}  // namespace rivulet::operators

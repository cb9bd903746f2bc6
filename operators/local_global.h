// Two-phase (local-global) window aggregation, as Flink's table planner
// splits an aggregation: where records would cross a hash exchange to a
// keyed window aggregate, each instance of the input folds its records
// into one partial accumulator per key and pane (LocalWindowAggregate),
// and the exchange carries the partials, which the window operator merges
// (MergePartialsOf). With few keys per pane the exchange carries a few
// partials instead of every record.
//
// The results, the order of records per key and window, the late-record
// counts and the state in checkpoints are those of the one-phase operator,
// because a local instance
//   - folds only records newer than its own watermark, and hands a pane's
//     partials on before it forwards a watermark that completes a window
//     of the pane. While the window operator's watermark is not ahead of
//     the local one's, no window a partial touches has fired when the
//     partial arrives: it lands as its records would have, on time;
//   - sends a record at or behind its watermark, or in no window (a sliding
//     window's gap), on at once as a partial of one record, after the
//     partial its key and pane hold so far, so that the window operator
//     judges it (late, or an update within the allowed lateness) as it
//     would the record, in the same order;
//   - hands everything on before its task goes idle (the window operator
//     then stops waiting for its watermark), before a checkpoint barrier
//     (it keeps nothing in checkpoints) and at the end of input.
// The window operator's watermark can be ahead of a local one's: after its
// task was idle (the others moved event time on), and after a restore (the
// window restores its watermark, the source does not). Records the local
// instance folded then reach the window late together: they are counted
// as that many late records (RecordWeight), and within the allowed
// lateness the window emits one update for them instead of one per record,
// with the same final value. Sums of doubles may differ in the last bits
// (added in another grouping).
// The global phase is the window operator over partials with the same key
// and accumulator types, so a checkpoint taken in one form restores in the
// other, at any parallelism. Not split (stream.h decides): session windows,
// windows with a late-record handler (it wants the records), and
// aggregates that opt out (kLocalPhase = false: CollectAll, whose partial
// would be the records themselves).
#pragma once

#include <cstddef>
#include <map>
#include <numeric>
#include <type_traits>
#include <utility>
#include <absl/container/flat_hash_map.h>

#include "operators/operator_base.h"
#include "operators/window.h"

namespace rivulet::operators {

// The accumulator of key `key` over records of one pane (the event's
// timestamp lies in that pane: the newest record's).
template <typename K, typename Acc>
struct Partial {
  K key;
  Acc acc;
  uint64_t records = 1;  // folded into acc
};

template <typename K, typename Acc>
struct RecordWeight<Partial<K, Acc>> {
  static uint64_t Of(const Partial<K, Acc>& p) { return p.records; }
};

// Whether Agg may be split (default yes; `static constexpr bool kLocalPhase = false` opts out).
template <typename Agg, typename = void>
struct AllowsLocalPhase : std::true_type {};
template <typename Agg>
struct AllowsLocalPhase<Agg, std::void_t<decltype(Agg::kLocalPhase)>> : std::bool_constant<Agg::kLocalPhase> {};

// The global phase's aggregate: folds partials with Agg::Merge.
template <typename K, typename Agg>
struct MergePartialsOf {
  Agg agg;
  using Acc = typename Agg::Acc;
  using Out = typename Agg::Out;
  Acc Create() const { return agg.Create(); }
  void Add(Acc& a, const Partial<K, Acc>& p) const { agg.Merge(a, p.acc); }
  void Merge(Acc& a, const Acc& b) const { agg.Merge(a, b); }
  Out Result(const Acc& a) const { return agg.Result(a); }
};

template <typename K, typename Acc>
struct PartialKey {
  const K& operator()(const Partial<K, Acc>& p) const { return p.key; }
};

// The local phase: records of T in, partials out (see the top of the file).
// Holds at most `max_held` partials; beyond that it hands them all on.
template <typename T, typename KeyFn, typename Agg>
class LocalWindowAggregate final
    : public UnaryOperator<T, Partial<std::decay_t<std::invoke_result_t<KeyFn, const T&>>, typename Agg::Acc>> {
 public:
  using K = std::decay_t<std::invoke_result_t<KeyFn, const T&>>;
  using Acc = typename Agg::Acc;
  using Out = Partial<K, Acc>;
  static constexpr size_t kDefaultMaxHeld = 1 << 16;

  LocalWindowAggregate(engine::Port out, KeyFn key, Agg agg, WindowSpec spec, size_t max_held = kDefaultMaxHeld)
      : UnaryOperator<T, Out>(out), key_(std::move(key)), agg_(std::move(agg)), size_(spec.size_ms),
        slide_(spec.slide_ms), pane_(std::gcd(spec.size_ms, spec.slide_ms)), max_held_(max_held) {}

  void OnBatch(Batch<T>& batch) override {
    for (auto& e : batch) {
      // The window operator judges these alone: behind the watermark, or
      // in no window (slide > size).
      if (e.ts <= watermark_ || InWindowGap(e.ts, size_, slide_)) {
        K k = key_(e.value);
        HandOnHeld(k, FloorDiv(e.ts, pane_) * pane_);  // what came before it goes first
        Acc acc = agg_.Create();
        agg_.Add(acc, e.value);
        this->buffer_.push_back(Event<Out>{e.ts, Out{std::move(k), std::move(acc), 1}});
        continue;
      }
      if (!cached_ || e.ts < cached_start_ || e.ts - cached_start_ >= pane_) {
        cached_start_ = FloorDiv(e.ts, pane_) * pane_;
        cached_ = &panes_[cached_start_];
      }
      auto [it, fresh] = cached_->try_emplace(key_(e.value));
      if (fresh) {
        it->second.acc = agg_.Create();
        ++held_;
      }
      agg_.Add(it->second.acc, e.value);
      it->second.ts = std::max(it->second.ts, e.ts);
      ++it->second.records;
      if (held_ >= max_held_) HandOn(engine::kMaxTimestamp);
    }
    this->Emit();
  }
  void OnWatermark(Timestamp w) override {
    watermark_ = std::max(watermark_, w);
    HandOn(w);
    this->Emit();
    this->out_->OnWatermark(w);
  }
  void OnEnd() override {
    HandOn(engine::kMaxTimestamp);
    this->Emit();
    this->out_->OnEnd();
  }
  void Flush() override {
    HandOn(engine::kMaxTimestamp);
    this->Emit();
  }

 private:
  struct Held {
    Acc acc{};
    Timestamp ts = engine::kMinTimestamp;
    uint64_t records = 0;
  };

  // Buffers the partial key k holds in the pane starting at `pane`, if any.
  void HandOnHeld(const K& k, Timestamp pane) {
    auto p = panes_.find(pane);
    if (p == panes_.end()) return;
    auto it = p->second.find(k);
    if (it == p->second.end()) return;
    this->buffer_.push_back(Event<Out>{it->second.ts, Out{k, std::move(it->second.acc), it->second.records}});
    p->second.erase(it);
    --held_;
    if (p->second.empty()) {
      if (cached_ == &p->second) cached_ = nullptr;
      panes_.erase(p);
    }
  }

  // Buffers the partials of every pane whose first window ends by w + 1
  // (kMaxTimestamp: of every pane).
  void HandOn(Timestamp w) {
    while (!panes_.empty()) {
      auto first = panes_.begin();
      if (w != engine::kMaxTimestamp && FirstWindowEnd(first->first, size_, slide_) - 1 > w) break;
      for (auto& [k, h] : first->second) this->buffer_.push_back(Event<Out>{h.ts, Out{k, std::move(h.acc), h.records}});
      held_ -= first->second.size();
      if (cached_ == &first->second) cached_ = nullptr;
      panes_.erase(first);
    }
  }

  KeyFn key_;
  Agg agg_;
  const int64_t size_;
  const int64_t slide_;
  const int64_t pane_;
  const size_t max_held_;
  std::map<Timestamp, absl::flat_hash_map<K, Held>> panes_;  // pane start -> key -> partial
  absl::flat_hash_map<K, Held>* cached_ = nullptr;           // panes_[cached_start_]
  Timestamp cached_start_ = 0;
  size_t held_ = 0;
  Timestamp watermark_ = engine::kMinTimestamp;
};

}  // namespace rivulet::operators

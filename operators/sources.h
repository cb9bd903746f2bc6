// In-memory sources: a collection (bounded) and a generator (bounded or
// not, at a target rate or as fast as possible). Both split their records
// between parallel instances (a collection in blocks of 4096 records
// round robin, a generator's sequence numbers round robin),
// assign timestamps, and emit watermarks by their WatermarkStrategy
// (operators/watermarks.h).
// Checkpointed: each instance's next position. Restored at another
// parallelism, an instance skips every record an old instance had emitted
// (EmittedBefore), so no record is lost or repeated.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>
#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "engine/operator.h"
#include "engine/state_codec.h"
#include "operators/operator_base.h"
#include "operators/watermarks.h"

namespace rivulet::operators {

// Timestamps and watermarks for a source instance of T: one split, its
// watermark and idleness by SplitWatermarks. TsFn: T -> ms (inlined), or
// std::nullptr_t for processing time (the wall clock when read; the bound
// is then 0).
template <typename T, typename TsFn>
class SourceBase : public engine::SourceInstance {
 public:
  using Poll = engine::SourceInstance::Poll;
  static constexpr bool kEventTime = !std::is_same_v<TsFn, std::nullptr_t>;
  SourceBase(engine::Port out, TsFn ts, WatermarkStrategy wm)
      : out_(out.template As<T>()), ts_(std::move(ts)),
        watermarks_(kEventTime ? wm : WatermarkStrategy{0, wm.idle_timeout_ms, wm.clock}),
        split_(&watermarks_.Add(0)) {}

  void End() override { out_->OnEnd(); }
  bool idle() const override { return watermarks_.idle(); }

 protected:
  // Appends a record to batch_, stamped with its event time (processing
  // time is stamped per batch, in Send).
  template <typename V>
  void Append(V&& value) {
    Timestamp t = 0;
    if constexpr (kEventTime) {
      t = ts_(value);
      split_->Record(t);
    }
    batch_.push_back(Event<T>{t, std::forward<V>(value)});
  }

  // Appends [first, last), stamped, written in place when T allows;
  // moved from when P is T* (a drained collection), else copied.
  template <typename P>
  void AppendRange(P first, P last) {
    constexpr bool kMove = !std::is_const_v<std::remove_pointer_t<P>>;
    if constexpr (std::is_default_constructible_v<T>) {
      const size_t base = batch_.size();
      batch_.resize(base + static_cast<size_t>(last - first));
      Event<T>* out = batch_.data() + base;
      Timestamp m = engine::kMinTimestamp;
      for (P p = first; p != last; ++p, ++out) {
        if constexpr (kEventTime) {
          out->ts = ts_(*p);
          m = std::max(m, out->ts);
        } else {
          out->ts = 0;
        }
        if constexpr (kMove) {
          out->value = std::move(*p);
        } else {
          out->value = *p;
        }
      }
      if (kEventTime && first != last) split_->Record(m);
    } else {
      for (P p = first; p != last; ++p) {
        if constexpr (kMove) {
          Append(std::move(*p));
        } else {
          Append(*p);
        }
      }
    }
  }

  // Sends `batch_` (filled by Append) and then the watermark.
  void Send() {
    if (batch_.empty()) return;
    if constexpr (!kEventTime) {
      const Timestamp now = engine::WallClockMs();
      for (auto& e : batch_) e.ts = now;
      split_->Record(now);
    }
    out_->OnBatch(batch_);
    batch_.clear();
    // Its one split has a record in every batch sent: it never ages while
    // records come, so backlog or not makes no difference here.
    if (auto wm = watermarks_.Advance(/*caught_up=*/true)) out_->OnWatermark(*wm);
  }

  Receiver<T>* out_;
  Batch<T> batch_;

 private:
  TsFn ts_;
  SplitWatermarks watermarks_;
  SplitWatermarks::Split* split_;  // the one split, in watermarks_
};

// What a split-by-position source emitted before a checkpoint, as claims
// (parallelism q, instance j, next x): of the positions that instance j of
// q owns (owner(n, q) == j), those below x were emitted. Each instance
// checkpoints its own claim and the claims it restored that may still
// cover positions at or after its own (x > its next): a position another
// instance emitted ahead of this one's order stays claimed across any
// number of restores at other parallelisms, and is never emitted twice.
// (Keeping only each instance's own next lost that after a second
// rescaled restore: the positions an instance had skipped came again.)
class EmittedBefore {
 public:
  struct Claim {
    int64_t parallelism = 0;
    int64_t instance = 0;
    int64_t next = 0;
    bool operator==(const Claim&) const = default;
  };

  // Reads every entry's claims; throws when the checkpoint has none, or one
  // is malformed. `old_parallelism` entries of the (index, next) form of
  // earlier checkpoints are read as claims of that parallelism.
  void Restore(const engine::RestoreContext& ctx, const char* what) {
    if (ctx.old_parallelism <= 0) throw std::runtime_error(std::string(what) + ": the checkpoint has no position");
    claims_.clear();
    for (const auto& e : *ctx.entries) {
      auto current = engine::DecodeState<std::pair<int64_t, std::vector<std::tuple<int64_t, int64_t, int64_t>>>>(e.bytes);
      if (current.ok() && current->first == kFormat) {
        for (const auto& [q, j, x] : current->second) Add(Claim{q, j, x}, what);
        continue;
      }
      auto old = engine::DecodeState<std::pair<int64_t, int64_t>>(e.bytes);
      if (!old.ok() || old->first < 0) throw std::runtime_error(std::string(what) + ": bad position entry in the checkpoint");
      Add(Claim{ctx.old_parallelism, old->first, old->second}, what);
    }
    // Every old instance's own claim is there (they cover every position
    // below the smallest of them).
    std::vector<bool> seen(static_cast<size_t>(ctx.old_parallelism), false);
    min_ = -1;
    for (const Claim& c : claims_) {
      if (c.parallelism != ctx.old_parallelism) continue;
      seen[static_cast<size_t>(c.instance)] = true;
      min_ = min_ < 0 ? c.next : std::min(min_, c.next);
    }
    if (std::find(seen.begin(), seen.end(), false) != seen.end()) {
      throw std::runtime_error(std::string(what) + ": the checkpoint lacks an instance's position");
    }
    max_ = 0;
    for (const Claim& c : claims_) max_ = std::max(max_, c.next);
  }
  bool restored() const { return !claims_.empty(); }
  // Every position below min() was emitted; none at or after max().
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  // Whether position n was emitted; owner(n, q) is the instance of q that
  // owns n.
  template <typename Owner>
  bool Emitted(int64_t n, Owner owner) const {
    if (n >= max_) return false;
    for (const Claim& c : claims_) {
      if (n < c.next && owner(n, c.parallelism) == c.instance) return true;
    }
    return false;
  }
  // The entry of instance `index` of `parallelism` at position `next`.
  std::string Encode(int64_t parallelism, int64_t index, int64_t next) const {
    std::vector<std::tuple<int64_t, int64_t, int64_t>> out{{parallelism, index, next}};
    for (const Claim& c : claims_) {
      if (c.next > next) out.emplace_back(c.parallelism, c.instance, c.next);
    }
    return engine::EncodeState(std::pair<int64_t, decltype(out)>(kFormat, out));
  }

 private:
  static constexpr int64_t kFormat = -2;  // not an instance index: tells claims from (index, next)
  void Add(const Claim& c, const char* what) {
    if (c.parallelism <= 0 || c.instance < 0 || c.instance >= c.parallelism) {
      throw std::runtime_error(std::string(what) + ": bad position entry in the checkpoint");
    }
    if (std::find(claims_.begin(), claims_.end(), c) == claims_.end()) claims_.push_back(c);
  }
  std::vector<Claim> claims_;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

// Instance i of p reads blocks i, i + p, i + 2p, ... of kBlock records:
// contiguous memory for each instance, and instances that progress through
// the data (and its event time) side by side. A drained collection
// (kDrain) is moved from as it is read: each record once, not copied; its
// records are gone afterwards, so a job restoring a checkpoint cannot
// read it again (Restore throws).
// How many instances of a drained collection's source were made (a second
// run's instances find the records gone).
struct DrainCount {
  std::atomic<int64_t> instances{0};
};

template <typename T, typename TsFn, bool kDrain = false>
class CollectionSource final : public SourceBase<T, TsFn> {
 public:
  static constexpr size_t kBlock = 4096;
  using Data = std::conditional_t<kDrain, std::vector<T>, const std::vector<T>>;

  CollectionSource(engine::Port out, std::shared_ptr<Data> data, int index, int parallelism, TsFn ts,
                   WatermarkStrategy wm, DrainCount* drains = nullptr)
      : SourceBase<T, TsFn>(out, std::move(ts), wm), data_(std::move(data)), index_(index),
        parallelism_(parallelism), next_(static_cast<size_t>(index) * kBlock),
        stride_(static_cast<size_t>(parallelism) * kBlock),
        spent_(drains && drains->instances.fetch_add(1) >= parallelism) {}

  engine::SourceInstance::Poll PollRecords(size_t max_records) override {
    using Poll = engine::SourceInstance::Poll;
    if (spent_) throw std::runtime_error("a drained collection source runs once: its records were moved out");
    const size_t n = data_->size();
    if (next_ < n) {
      const size_t block_end = std::min(n, next_ - next_ % kBlock + kBlock);
      const size_t stop = std::min(block_end, next_ + max_records);
      this->AppendRange(data_->data() + next_, data_->data() + stop);
      next_ = stop == block_end ? block_end - kBlock + stride_ : stop;
      if (stop == block_end && emitted_.restored()) SkipEmitted();
      this->Send();
    }
    return next_ < n ? Poll::kMore : Poll::kEnd;
  }

  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    out.Add(engine::kNoGroup, emitted_.Encode(parallelism_, index_, static_cast<int64_t>(next_)));
  }
  void Restore(const engine::RestoreContext& ctx) override {
    if constexpr (kDrain) {
      (void)ctx;
      throw std::runtime_error("a drained collection source cannot restart from a checkpoint: its records were moved out");
    }
    emitted_.Restore(ctx, "collection source");
    SkipEmitted();
  }

 private:
  static int64_t Owner(int64_t n, int64_t p) { return (n / static_cast<int64_t>(kBlock)) % p; }
  // Moves past what was emitted: of each block, a prefix (every claim
  // covers a prefix of a block: blocks have one owner at any parallelism).
  void SkipEmitted() {
    const size_t n = data_->size();
    while (next_ < n && static_cast<int64_t>(next_) < emitted_.max()) {
      const size_t block_end = std::min(n, next_ - next_ % kBlock + kBlock);
      while (next_ < block_end && emitted_.Emitted(static_cast<int64_t>(next_), Owner)) ++next_;
      if (next_ < block_end) return;
      next_ = block_end - kBlock + stride_;
    }
  }

  std::shared_ptr<Data> data_;
  const int index_;
  const int parallelism_;
  size_t next_;
  const size_t stride_;
  EmittedBefore emitted_;
  const bool spent_;  // a second run over a drained collection
};

// Generates record n = gen(n) for n in [0, count) (count < 0: unbounded),
// at about `rate` records/s over all instances (0: as fast as possible).
template <typename T, typename Gen, typename TsFn>
class GeneratorSource final : public SourceBase<T, TsFn> {
 public:
  GeneratorSource(engine::Port out, Gen gen, int64_t count, double rate, int index, int parallelism, TsFn ts,
                  WatermarkStrategy wm)
      : SourceBase<T, TsFn>(out, std::move(ts), wm), gen_(std::move(gen)), count_(count),
        rate_(rate / parallelism), index_(index), next_(index), step_(parallelism) {}

  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    out.Add(engine::kNoGroup, emitted_.Encode(step_, index_, next_));
  }
  void Restore(const engine::RestoreContext& ctx) override {
    emitted_.Restore(ctx, "generator source");
    // Below the smallest old position everything was emitted.
    const int64_t lo = emitted_.min();
    next_ = lo <= index_ ? index_ : lo + ((index_ - lo) % step_ + step_) % step_;
    SkipEmitted();
  }

  engine::SourceInstance::Poll PollRecords(size_t max_records) override {
    using Poll = engine::SourceInstance::Poll;
    size_t allowed = max_records;
    if (rate_ > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (emitted_count_ == 0) start_ = now;
      const double due = std::chrono::duration<double>(now - start_).count() * rate_ + 1;
      if (static_cast<double>(emitted_count_) >= due) {
        wait_ = std::chrono::milliseconds(std::max<int64_t>(
            1, static_cast<int64_t>((static_cast<double>(emitted_count_) - due + 1) / rate_ * 1000)));
        return Poll::kIdle;
      }
      allowed = std::min<size_t>(max_records, static_cast<size_t>(due - static_cast<double>(emitted_count_)) + 1);
    }
    for (size_t n = 0; n < allowed && (count_ < 0 || next_ < count_); ++n) {
      this->Append(gen_(static_cast<uint64_t>(next_)));
      ++emitted_count_;
      next_ += step_;
      if (next_ < emitted_.max()) [[unlikely]] SkipEmitted();
    }
    this->Send();
    return count_ >= 0 && next_ >= count_ ? Poll::kEnd : Poll::kMore;
  }
  std::chrono::milliseconds retry_after() const override { return wait_; }

 private:
  // Moves past the sequence numbers emitted before the checkpoint.
  void SkipEmitted() {
    while (next_ < emitted_.max() && emitted_.Emitted(next_, [](int64_t n, int64_t p) { return n % p; })) {
      next_ += step_;
    }
  }

  Gen gen_;
  const int64_t count_;
  const double rate_;
  const int64_t index_;
  int64_t next_;
  const int64_t step_;
  EmittedBefore emitted_;
  int64_t emitted_count_ = 0;  // this run: for the rate
  std::chrono::steady_clock::time_point start_;
  std::chrono::milliseconds wait_{1};
};

}  // namespace rivulet::operators

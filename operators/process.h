// Keyed process functions: a user function called per record with the
// record's key set, keyed state (engine/keyed_state.h) and event-time
// timers, as Flink's KeyedProcessFunction. The function is an object with
//   void ProcessElement(const T& record, ProcessContext<K, Out>& ctx);
// and optionally
//   void Open(engine::KeyedStateBackend<K>& states);   // declare states
//   void OnTimer(Timestamp t, ProcessContext<K, Out>& ctx);
// (a callable f(record, ctx) serves as ProcessElement alone). Each
// instance gets its own copy of the function, opened on its own backend.
// A timer at t fires once the watermark reaches t, in time order; timers
// are kept per (key, t), once. The end of input fires every timer pending
// then, and those they register up to the latest of them; timers
// registered beyond it never fire (unlike Flink, so that a periodic timer
// cannot keep the input from ending): they are counted and logged once.
// Checkpointed: states and timers per key group, and the watermark.
#pragma once

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "base/logging.h"
#include "engine/keyed_state.h"
#include "operators/operator_base.h"

namespace rivulet::operators {

using engine::KeyedStateBackend;
using engine::ListState;
using engine::MapState;
using engine::ValueState;

// What a process function sees during one call: the current key, the time,
// the watermark, timers for the key, and where to emit.
template <typename K, typename Out>
class ProcessContext {
 public:
  ProcessContext(KeyedStateBackend<K>* states, Batch<Out>* out) : states_(states), out_(out) {}
  ProcessContext(const ProcessContext&) = delete;
  ProcessContext& operator=(const ProcessContext&) = delete;

  const K& key() const { return states_->current_key(); }
  // The record's event time; in OnTimer, the timer's.
  Timestamp timestamp() const { return ts_; }
  // The operator's watermark (kMinTimestamp before the first).
  Timestamp watermark() const { return watermark_; }
  // Sends `v` downstream with timestamp().
  void Emit(Out v) { out_->push_back(Event<Out>{ts_, std::move(v)}); }
  // Sends `v` downstream with timestamp `ts` (not behind the watermark, or
  // the next operator sees it late).
  void EmitAt(Timestamp ts, Out v) { out_->push_back(Event<Out>{ts, std::move(v)}); }
  // A timer for key() at event time `t` (again at the same t: still one).
  void RegisterTimer(Timestamp t) { states_->RegisterTimer(t); }
  void DeleteTimer(Timestamp t) { states_->DeleteTimer(t); }
  // A record the function could not place because it came after the
  // watermark had passed its time (a join's partners are gone): counted
  // in the job's late records, as the windows count theirs.
  void CountLate() {
    if (late_) late_->fetch_add(1, std::memory_order_relaxed);
  }

 private:
  template <typename, typename, typename, typename>
  friend class KeyedProcessOperator;
  KeyedStateBackend<K>* states_;
  Batch<Out>* out_;
  Timestamp ts_ = 0;
  Timestamp watermark_ = engine::kMinTimestamp;
  std::atomic<uint64_t>* late_ = nullptr;
};

template <typename T, typename KeyFn, typename Out, typename F>
class KeyedProcessOperator final : public UnaryOperator<T, Out> {
 public:
  using K = std::decay_t<std::invoke_result_t<KeyFn, const T&>>;
  using Context = ProcessContext<K, Out>;

  static_assert(requires(F f, const T& v, Context& c) { f.ProcessElement(v, c); } ||
                    std::is_invocable_v<F&, const T&, Context&>,
                "a process function has ProcessElement(const T&, ProcessContext<K, Out>&) or is callable so");

  KeyedProcessOperator(engine::Port out, KeyFn key, F fn, std::string name = "process", int index = 0)
      : UnaryOperator<T, Out>(out),
        key_(std::move(key)),
        fn_(std::move(fn)),
        ctx_(&states_, &this->buffer_),
        name_(std::move(name)),
        index_(index) {
    if constexpr (requires { fn_.Open(states_); }) fn_.Open(states_);
  }

  void OnBatch(Batch<T>& batch) override {
    for (auto& e : batch) {
      states_.SetCurrentKey(key_(e.value));
      ctx_.ts_ = e.ts;
      if constexpr (requires { fn_.ProcessElement(e.value, ctx_); }) {
        fn_.ProcessElement(e.value, ctx_);
      } else {
        fn_(e.value, ctx_);
      }
    }
    this->Emit();
  }
  void OnWatermark(Timestamp w) override {
    Advance(w);
    this->out_->OnWatermark(w);
  }
  void OnEnd() override {
    Advance(engine::kMaxTimestamp);
    this->out_->OnEnd();
  }

  void BindLateCounter(std::atomic<uint64_t>* late) override { ctx_.late_ = late; }
  bool CanCheckpoint() const override { return states_.CanCheckpoint(); }
  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    states_.Snapshot(out);  // throws when it cannot encode
    out.Add(engine::kNoGroup, engine::EncodeState(ctx_.watermark_));
  }
  void Restore(const engine::RestoreContext& ctx) override {
    states_.Restore(ctx);
    ctx.ForEach([](uint32_t, std::string_view) {},
                [&](std::string_view bytes) {
                  // Every instance saw the same watermarks before the barrier.
                  auto w = engine::DecodeState<Timestamp>(bytes);
                  if (!w.ok()) throw std::runtime_error("process state: " + w.status().ToString());
                  ctx_.watermark_ = std::max(ctx_.watermark_, *w);
                });
  }

  const KeyedStateBackend<K>& states() const { return states_; }
  // Timers still pending after the end of input (they never fire).
  size_t timers_dropped_at_end() const { return dropped_at_end_; }

 private:
  // Fires the timers the watermark `w` reached, those they register at or
  // before `w` included. At the end of input (w = kMaxTimestamp) up to the
  // latest timer then pending: a timer that registers a later one each
  // time (a periodic timer) would otherwise never let the input end.
  void Advance(Timestamp w) {
    if (w <= ctx_.watermark_) return;
    ctx_.watermark_ = w;
    const Timestamp until = w == engine::kMaxTimestamp ? states_.LatestTimer().value_or(engine::kMinTimestamp) : w;
    if constexpr (requires(Context& c) { fn_.OnTimer(Timestamp{}, c); }) {
      while (auto timer = states_.PopTimer(until)) {
        states_.SetCurrentKey(timer->second);
        ctx_.ts_ = timer->first;
        fn_.OnTimer(timer->first, ctx_);
      }
    } else {
      while (states_.PopTimer(until)) {
      }
    }
    this->Emit();
    if (w == engine::kMaxTimestamp && states_.timer_count() > 0) {
      dropped_at_end_ = states_.timer_count();
      GetLogger("operators")
          ->warn("process '{}' (instance {}): end of input: {} timer(s) registered after the latest pending one ({}) "
                 "do not fire",
                 name_, index_, dropped_at_end_, until);
    }
  }

  KeyFn key_;
  KeyedStateBackend<K> states_;
  F fn_;
  Context ctx_;
  std::string name_;
  int index_;
  size_t dropped_at_end_ = 0;
};

}  // namespace rivulet::operators

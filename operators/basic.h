// Stateless record-at-a-time operators: map, filter, flat_map, and the
// identity a union uses. The user's function is a template parameter, so
// the per-record call is inlined: no virtual call or allocation per record.
#pragma once

#include <algorithm>
#include <type_traits>
#include <utility>

#include "engine/time.h"
#include "operators/operator_base.h"

namespace rivulet::operators {

// Calls f with the record as an rvalue when f takes one (the batch is the
// operator's own: a fan-out copies it for every consumer but the last), so
// a function taking T&& or by value moves it instead of copying; else as
// an lvalue.
template <typename F, typename T>
decltype(auto) CallWithRecord(F& f, T& v) {
  if constexpr (std::is_invocable_v<F&, T&&>) {
    return f(std::move(v));
  } else {
    return f(v);
  }
}
template <typename F, typename T>
using RecordResult =
    std::conditional_t<std::is_invocable_v<F&, T&&>, std::invoke_result<F&, T&&>, std::invoke_result<F&, T&>>;

template <typename In, typename Out, typename F>
class MapOperator final : public UnaryOperator<In, Out> {
 public:
  MapOperator(engine::Port out, F f) : UnaryOperator<In, Out>(out), f_(std::move(f)) {}
  void OnBatch(Batch<In>& batch) override {
    auto& buf = this->buffer_;
    if constexpr (std::is_default_constructible_v<Out>) {  // written in place: no per-record capacity check
      buf.resize(batch.size());
      for (size_t i = 0; i < batch.size(); ++i) buf[i] = Event<Out>{batch[i].ts, CallWithRecord(f_, batch[i].value)};
    } else {
      buf.reserve(batch.size());
      for (auto& e : batch) buf.push_back(Event<Out>{e.ts, CallWithRecord(f_, e.value)});
    }
    this->Emit();
  }

 private:
  F f_;
};

template <typename T, typename F>
class FilterOperator final : public UnaryOperator<T, T> {
 public:
  FilterOperator(engine::Port out, F f) : UnaryOperator<T, T>(out), f_(std::move(f)) {}
  void OnBatch(Batch<T>& batch) override {
    // Compacts the batch in place and passes it on: no copy.
    auto end = std::remove_if(batch.begin(), batch.end(), [this](const Event<T>& e) { return !f_(e.value); });
    batch.erase(end, batch.end());
    if (!batch.empty()) this->out_->OnBatch(batch);
  }

 private:
  F f_;
};

// The function is called as f(value, emit) and calls emit(out) for each
// record it produces.
template <typename In, typename Out, typename F>
class FlatMapOperator final : public UnaryOperator<In, Out> {
 public:
  FlatMapOperator(engine::Port out, F f) : UnaryOperator<In, Out>(out), f_(std::move(f)) {}
  void OnBatch(Batch<In>& batch) override {
    for (auto& e : batch) {
      const Timestamp ts = e.ts;
      auto emit = [&](Out v) { this->buffer_.push_back(Event<Out>{ts, std::move(v)}); };
      if constexpr (std::is_invocable_v<F&, In&&, decltype(emit)>) {
        f_(std::move(e.value), emit);
      } else {
        f_(e.value, emit);
      }
    }
    this->Emit();
  }

 private:
  F f_;
};

// Processing time from here on: each record's timestamp becomes the wall
// clock (ms) when it passes, and the watermark the clock less 1 ms, sent
// after each batch; the event-time watermarks from upstream are dropped.
// A processing-time window downstream therefore fires with the first batch
// after its end (or at the end of input), not on a timer of its own.
template <typename T>
class ProcessingTimeOperator final : public UnaryOperator<T, T> {
 public:
  explicit ProcessingTimeOperator(engine::Port out) : UnaryOperator<T, T>(out) {}
  void OnBatch(Batch<T>& batch) override {
    const Timestamp now = engine::WallClockMs();
    for (auto& e : batch) e.ts = now;
    this->out_->OnBatch(batch);
    if (now - 1 > watermark_) {
      watermark_ = now - 1;
      this->out_->OnWatermark(watermark_);
    }
  }
  void OnWatermark(Timestamp) override {}

 private:
  Timestamp watermark_ = engine::kMinTimestamp;
};

// Passes records through unchanged (the head of a union's task).
template <typename T>
class IdentityOperator final : public UnaryOperator<T, T> {
 public:
  explicit IdentityOperator(engine::Port out) : UnaryOperator<T, T>(out) {}
  void OnBatch(Batch<T>& batch) override { this->out_->OnBatch(batch); }
};

}  // namespace rivulet::operators

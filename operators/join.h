// Joins of two keyed streams, and the keyed operators that keep a result
// per key: deduplication, top-N and running aggregates. Each is a process
// function (operators/process.h) run by Keyed::Process, so its state is
// keyed state: checkpointed per key group, restored at any parallelism,
// with event-time timers that expire what can no longer match.
//
// Two streams meet as one stream of Either<L, R> (Connect: a map per side
// and a union), partitioned by EitherKey, so both sides of a key reach
// the same instance:
//
//   auto both = Connect("person-auction", persons, auctions);
//   both.KeyBy(EitherKey{person_id, seller})
//       .Process<Out>("join", IntervalJoin<Person, Auction, int64_t, Out>(-ttl, ttl, f));
//
// Time: a record at time t is behind when t <= the operator's watermark. It
// is late, counted in the job's late records
// (rivulet_operator_late_records_total) and dropped as windows drop records
// past their allowed lateness, where what it needs may be gone: its
// partners in an interval join with a finite bound on their side, its
// windows in a window join once all have fired, its key's first in a
// deduplication. A regular join and KeepGreatest take it in full. Each
// class says which.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <absl/container/flat_hash_set.h>

#include "operators/stream.h"

namespace rivulet::operators {

template <typename L, typename R>
using Either = std::variant<L, R>;

// `left` and `right` as one stream of Either<L, R>.
template <typename L, typename R>
Stream<Either<L, R>> Connect(std::string name, Stream<L> left, Stream<R> right) {
  auto l = left.Map(name + " (left)", [](L&& v) { return Either<L, R>(std::in_place_index<0>, std::move(v)); });
  auto r = right.Map(name + " (right)", [](R&& v) { return Either<L, R>(std::in_place_index<1>, std::move(v)); });
  return l.Union(std::move(name), {r});
}

// The key of an Either: left(l) or right(r), of the same type.
template <typename LK, typename RK>
struct EitherKey {
  LK left;
  RK right;
  template <typename L, typename R>
  auto operator()(const std::variant<L, R>& v) const {
    using K = std::decay_t<std::invoke_result_t<const LK&, const L&>>;
    static_assert(std::is_same_v<K, std::decay_t<std::invoke_result_t<const RK&, const R&>>>,
                  "both sides of a join have keys of one type");
    return v.index() == 0 ? K(left(std::get<0>(v))) : K(right(std::get<1>(v)));
  }
};
template <typename LK, typename RK>
EitherKey(LK, RK) -> EitherKey<LK, RK>;

namespace detail {

inline Timestamp SaturatingAdd(Timestamp t, int64_t d) {
  if (d > 0 && t > std::numeric_limits<Timestamp>::max() - d) return std::numeric_limits<Timestamp>::max();
  if (d < 0 && t < std::numeric_limits<Timestamp>::min() - d) return std::numeric_limits<Timestamp>::min();
  return t + d;
}

// Calls f(args...) and emits its result: an Out, or an optional<Out>
// emitted when set.
template <typename Out, typename Ctx, typename F, typename... A>
void EmitResult(Ctx& ctx, Timestamp ts, F& f, const A&... args) {
  using Res = std::decay_t<std::invoke_result_t<F&, const A&...>>;
  if constexpr (std::is_same_v<Res, std::optional<Out>>) {
    if (auto v = f(args...)) ctx.EmitAt(ts, std::move(*v));
  } else {
    ctx.EmitAt(ts, f(args...));
  }
}

}  // namespace detail

// Interval join: a left record at time t meets every right record of its
// key with a time in [t + lower, t + upper] (lower <= upper; either may be
// negative), once per pair, emitted as f(left, right) (an Out, or an
// optional<Out> to keep or drop the pair) at the later of the two times
// (or just after the watermark, for a late record a regular join takes).
// Each side is kept until the watermark passes the last time a partner
// could have: a left at t until t + upper, a right at r until r - lower.
// A keyed stream-stream join whose state lives `ttl` of event time is
// IntervalJoin(-ttl, ttl, f); with kUnbounded on both sides nothing
// expires (a regular join: state grows with the input), and a record
// behind the watermark is still joined in full, not late.
template <typename L, typename R, typename K, typename Out, typename F>
class IntervalJoin {
 public:
  static constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();

  IntervalJoin(int64_t lower, int64_t upper, F f) : lower_(lower), upper_(upper), f_(std::move(f)) {
    if (lower > upper) throw std::invalid_argument("interval join: lower bound after upper bound");
  }

  void Open(engine::KeyedStateBackend<K>& states) {
    lefts_ = states.template Map<Timestamp, std::vector<L>>("left");
    rights_ = states.template Map<Timestamp, std::vector<R>>("right");
  }

  void ProcessElement(const Either<L, R>& e, ProcessContext<K, Out>& ctx) {
    const Timestamp t = ctx.timestamp();
    const Timestamp w = ctx.watermark();
    // Behind the watermark, partners may have expired: late, unless the
    // other side never expires (a regular join joins the record in full).
    const bool partners_expire = e.index() == 0 ? lower_ != -kUnbounded : upper_ != kUnbounded;
    if (t <= w && partners_expire) {
      ctx.CountLate();
      return;
    }
    // Emitted not behind the watermark, so not late downstream.
    const Timestamp floor = t <= w ? detail::SaturatingAdd(w, 1) : engine::kMinTimestamp;
    if (e.index() == 0) {
      const L& l = std::get<0>(e);
      const auto& rs = rights_.Entries();
      const Timestamp hi = Add(t, upper_);
      for (auto it = rs.lower_bound(Add(t, lower_)); it != rs.end() && it->first <= hi; ++it) {
        for (const R& r : it->second) detail::EmitResult<Out>(ctx, std::max({t, it->first, floor}), f_, l, r);
      }
      if (upper_ == kUnbounded) {
        lefts_.At(t).push_back(l);
      } else if (hi > w) {  // else no right still to come can meet it
        lefts_.At(t).push_back(l);
        ctx.RegisterTimer(hi);
      }
    } else {
      const R& r = std::get<1>(e);
      const auto& ls = lefts_.Entries();
      const Timestamp hi = Sub(t, lower_);
      for (auto it = ls.lower_bound(Sub(t, upper_)); it != ls.end() && it->first <= hi; ++it) {
        for (const L& l : it->second) detail::EmitResult<Out>(ctx, std::max({t, it->first, floor}), f_, l, r);
      }
      if (lower_ == -kUnbounded) {
        rights_.At(t).push_back(r);
      } else if (hi > w) {
        rights_.At(t).push_back(r);
        ctx.RegisterTimer(hi);
      }
    }
  }

  // The watermark reached `now`: lefts at or before now - upper and rights
  // at or before now + lower can meet no record still to come.
  void OnTimer(Timestamp now, ProcessContext<K, Out>&) {
    if (upper_ != kUnbounded) lefts_.RemoveUpTo(Sub(now, upper_));
    if (lower_ != -kUnbounded) rights_.RemoveUpTo(Add(now, lower_));
  }

 private:
  static Timestamp Add(Timestamp t, int64_t d) {
    if (d == kUnbounded) return std::numeric_limits<Timestamp>::max();
    if (d == -kUnbounded) return std::numeric_limits<Timestamp>::min();
    return detail::SaturatingAdd(t, d);
  }
  static Timestamp Sub(Timestamp t, int64_t d) { return Add(t, d == -kUnbounded ? kUnbounded : -d); }

  int64_t lower_;
  int64_t upper_;
  F f_;
  engine::MapState<K, Timestamp, std::vector<L>> lefts_;
  engine::MapState<K, Timestamp, std::vector<R>> rights_;
};

// A regular inner join where each key has one right record (an auction
// per auction id; a row per primary key): the right record is kept, a
// left record joins it at once or waits for it, and is not kept once
// joined, so the state is the right records plus the lefts still waiting
// (Flink plans joins on a unique key the same way). A second right record
// for a key replaces the first for the lefts after it. Lefts of a key
// whose right record never comes wait to the end of the input. Nothing is
// late: nothing expires. Emitted at the later of the two times (or just
// after the watermark).
template <typename L, typename R, typename K, typename Out, typename F>
class UniqueKeyJoin {
 public:
  explicit UniqueKeyJoin(F f) : f_(std::move(f)) {}

  void Open(engine::KeyedStateBackend<K>& states) {
    right_ = states.template Value<std::pair<Timestamp, R>>("right");
    waiting_ = states.template List<std::pair<Timestamp, L>>("waiting");
  }

  void ProcessElement(const Either<L, R>& e, ProcessContext<K, Out>& ctx) {
    const Timestamp t = ctx.timestamp();
    const Timestamp floor = detail::SaturatingAdd(ctx.watermark(), 1);
    if (e.index() == 0) {
      if (const auto* r = right_.Get()) {
        detail::EmitResult<Out>(ctx, std::max({t, r->first, floor}), f_, std::get<0>(e), r->second);
      } else {
        waiting_.Add({t, std::get<0>(e)});
      }
      return;
    }
    const R& r = std::get<1>(e);
    for (const auto& [lt, l] : waiting_.Get()) detail::EmitResult<Out>(ctx, std::max({t, lt, floor}), f_, l, r);
    waiting_.Clear();
    right_.Update({t, r});
  }

 private:
  F f_;
  engine::ValueState<K, std::pair<Timestamp, R>> right_;
  engine::ListState<K, std::pair<Timestamp, L>> waiting_;
};

// Window join: left and right records of one key in the same event-time
// window (tumbling or sliding) meet, every pair once per window they
// share, emitted as f(left, right) (Out or optional<Out>) when the window
// fires (the watermark reaches its end - 1), at time end - 1. A record
// whose every window has fired is late.
template <typename L, typename R, typename K, typename Out, typename F>
class WindowJoin {
 public:
  WindowJoin(WindowSpec spec, F f) : size_(spec.size_ms), slide_(spec.slide_ms), f_(std::move(f)) {
    if (spec.kind == WindowSpec::Kind::kSession || !Validate(spec).ok() || spec.slide_ms > spec.size_ms) {
      throw std::invalid_argument(
          "window join: a tumbling or sliding window with a positive size and a slide no greater than it");
    }
    if (spec.allowed_lateness_ms != 0) {
      throw std::invalid_argument("window join: no allowed lateness (a record after its windows fired is late)");
    }
  }

  void Open(engine::KeyedStateBackend<K>& states) {
    windows_ = states.template Map<Timestamp, std::pair<std::vector<L>, std::vector<R>>>("windows");
  }

  void ProcessElement(const Either<L, R>& e, ProcessContext<K, Out>& ctx) {
    const Timestamp t = ctx.timestamp();
    bool placed = false;
    // Windows [s, s + size) with s <= t < s + size, s a multiple of slide.
    for (Timestamp s = FloorDiv(t, slide_) * slide_; s > t - size_; s -= slide_) {
      const Timestamp end = s + size_;
      if (end - 1 <= ctx.watermark()) break;  // fired, and so have all earlier
      auto& w = windows_.At(end);
      if (e.index() == 0) {
        w.first.push_back(std::get<0>(e));
      } else {
        w.second.push_back(std::get<1>(e));
      }
      ctx.RegisterTimer(end - 1);
      placed = true;
    }
    if (!placed) ctx.CountLate();
  }

  void OnTimer(Timestamp now, ProcessContext<K, Out>& ctx) {
    const auto* w = windows_.Get(now + 1);
    if (w) {
      for (const L& l : w->first) {
        for (const R& r : w->second) detail::EmitResult<Out>(ctx, now, f_, l, r);
      }
    }
    windows_.RemoveUpTo(now + 1);
  }

 private:
  int64_t size_;
  int64_t slide_;
  F f_;
  engine::MapState<K, Timestamp, std::pair<std::vector<L>, std::vector<R>>> windows_;
};

// Deduplication: the first record of each key in event time is emitted
// (when the watermark passes it, so that an earlier record still on its
// way wins); a later record of the key within `ttl` of the emitted one is
// a duplicate and dropped; from ttl on, the key's next record is a first
// again (ttl = kForever: never). Of records at the same time the first
// to arrive wins. A late record is counted and dropped.
template <typename T, typename K>
class Deduplicate {
 public:
  static constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

  explicit Deduplicate(int64_t ttl = kForever) : ttl_(ttl) {
    if (ttl <= 0) throw std::invalid_argument("deduplicate: the time to live must be positive");
  }

  void Open(engine::KeyedStateBackend<K>& states) {
    pending_ = states.template Map<Timestamp, T>("pending");
    emitted_ = states.template Value<Timestamp>("emitted");  // time of the last first emitted
  }

  void ProcessElement(const T& v, ProcessContext<K, T>& ctx) {
    const Timestamp t = ctx.timestamp();
    if (t <= ctx.watermark()) {
      ctx.CountLate();
      return;
    }
    // Emitted firsts are at or before the watermark, so before t.
    if (const Timestamp* e = emitted_.Get(); e && t - *e < ttl_) return;
    if (pending_.Contains(t)) return;
    pending_.Put(t, v);
    ctx.RegisterTimer(t);
  }

  void OnTimer(Timestamp now, ProcessContext<K, T>& ctx) {
    if (const T* v = pending_.Get(now)) {
      const Timestamp* e = emitted_.Get();
      if (!e || now - *e >= ttl_) {
        ctx.EmitAt(now, *v);
        emitted_.Update(now);
        // The expiry; none at the end of input, when nothing follows.
        if (ttl_ != kForever && ctx.watermark() != engine::kMaxTimestamp) {
          ctx.RegisterTimer(detail::SaturatingAdd(now, ttl_));
        }
      }
      pending_.RemoveUpTo(now);
    } else if (const Timestamp* e = emitted_.Get(); e && ttl_ != kForever && now - *e >= ttl_) {
      emitted_.Clear();  // the expiry timer
    }
  }

 private:
  int64_t ttl_;
  engine::MapState<K, Timestamp, T> pending_;
  engine::ValueState<K, Timestamp> emitted_;
};

// The greatest record of each key so far by `less` (a strict weak order;
// make it total for a result that does not depend on arrival order),
// emitted each time it changes: an updating result, one row per key
// (Flink's deduplication keeping the last row, by event time when `less`
// compares times). Every record counts, late or not.
template <typename T, typename K, typename Less>
class KeepGreatest {
 public:
  explicit KeepGreatest(Less less) : less_(std::move(less)) {}
  void Open(engine::KeyedStateBackend<K>& states) { best_ = states.template Value<T>("greatest"); }
  void ProcessElement(const T& v, ProcessContext<K, T>& ctx) {
    const T* b = best_.Get();
    if (b && !less_(*b, v)) return;
    best_.Update(v);
    ctx.EmitAt(std::max(ctx.timestamp(), detail::SaturatingAdd(ctx.watermark(), 1)), v);
  }

 private:
  Less less_;
  engine::ValueState<K, T> best_;
};

// A row of a top-N result: the key's rank-th record (0 = the best).
template <typename K, typename T>
struct Ranked {
  K key{};
  int32_t rank = 0;
  T value{};
  bool operator==(const Ranked&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Ranked& r) {
    return H::combine(std::move(h), r.key, r.rank, r.value);
  }
};

// Top N per key, updating: the key's N best records so far by `better`
// (a strict weak order, "a before b"; make it total for a result that does
// not depend on arrival order). A record that enters the top N emits the
// rows of every rank it changed (its own and those pushed down), keyed by
// (key, rank); one that does not enter emits nothing.
template <typename T, typename K, typename Better>
class TopN {
 public:
  TopN(int32_t n, Better better) : n_(n), better_(std::move(better)) {
    if (n <= 0) throw std::invalid_argument("top-n: n must be positive");
  }
  void Open(engine::KeyedStateBackend<K>& states) { top_ = states.template Value<std::vector<T>>("top"); }
  void ProcessElement(const T& v, ProcessContext<K, Ranked<K, T>>& ctx) {
    std::vector<T>& top = top_.Mutable();
    auto pos = std::upper_bound(top.begin(), top.end(), v, better_);
    if (pos - top.begin() >= n_) {
      if (top.empty()) top_.Clear();
      return;
    }
    const auto rank = static_cast<int32_t>(pos - top.begin());
    const Timestamp at = std::max(ctx.timestamp(), detail::SaturatingAdd(ctx.watermark(), 1));
    top.insert(pos, v);
    if (static_cast<int32_t>(top.size()) > n_) top.pop_back();
    for (auto r = static_cast<size_t>(rank); r < top.size(); ++r) {
      ctx.EmitAt(at, Ranked<K, T>{ctx.key(), static_cast<int32_t>(r), top[r]});
    }
  }

 private:
  int32_t n_;
  Better better_;
  engine::ValueState<K, std::vector<T>> top_;
};

// A running aggregate per key (no window; Flink's GROUP BY without a
// window), updating: each record is added to its key's accumulator, and a
// key whose accumulator changed emits result(key, agg.Result(acc)) once
// per `emit_every_ms` of event time, when the watermark passes the end of
// that interval (and at the end of input) — Flink's mini-batch, timed by
// the watermark. The final row per key is the aggregate of all its records.
template <typename T, typename K, typename Agg, typename ResultFn>
class RunningAggregate {
 public:
  using Out = std::decay_t<std::invoke_result_t<const ResultFn&, const K&, const typename Agg::Out&>>;
  RunningAggregate(Agg agg, int64_t emit_every_ms, ResultFn result)
      : agg_(std::move(agg)), every_(emit_every_ms), result_(std::move(result)) {
    if (emit_every_ms <= 0) throw std::invalid_argument("running aggregate: the emit interval must be positive");
  }
  void Open(engine::KeyedStateBackend<K>& states) {
    acc_ = states.template Value<typename Agg::Acc>("acc");
  }
  void ProcessElement(const T& v, ProcessContext<K, Out>& ctx) {
    if (!acc_.Has()) acc_.Update(agg_.Create());
    agg_.Add(acc_.Mutable(), v);
    // Not before the watermark: a late record's update goes out with the next tick.
    const Timestamp t = std::max(ctx.timestamp(), detail::SaturatingAdd(ctx.watermark(), 1));
    ctx.RegisterTimer(FloorDiv(t, every_) * every_ + every_ - 1);
  }
  void OnTimer(Timestamp, ProcessContext<K, Out>& ctx) {
    if (const auto* acc = acc_.Get()) ctx.Emit(result_(ctx.key(), agg_.Result(*acc)));
  }

 private:
  Agg agg_;
  int64_t every_;
  ResultFn result_;
  engine::ValueState<K, typename Agg::Acc> acc_;
};

// ---- aggregates (operators/aggregate.h's shape) ----

// The number of distinct field(record) values (of type V).
template <typename V, typename F>
struct CountDistinctOf {
  F field;
  using Acc = absl::flat_hash_set<V>;
  using Out = int64_t;
  Acc Create() const { return {}; }
  template <typename T>
  void Add(Acc& a, const T& v) const {
    a.insert(field(v));
  }
  void Merge(Acc& a, const Acc& b) const { a.insert(b.begin(), b.end()); }
  Out Result(const Acc& a) const { return static_cast<int64_t>(a.size()); }
};
template <typename V, typename F>
CountDistinctOf<V, F> CountDistinctBy(F f) {
  return CountDistinctOf<V, F>{std::move(f)};
}

// The N best records by `better` (a strict weak order), best first.
template <typename T, typename Better>
struct TopNOf {
  int32_t n;
  Better better;
  using Acc = std::vector<T>;
  using Out = std::vector<T>;
  Acc Create() const { return {}; }
  void Add(Acc& a, const T& v) const {
    auto pos = std::upper_bound(a.begin(), a.end(), v, better);
    if (pos - a.begin() >= n) return;
    a.insert(pos, v);
    if (static_cast<int32_t>(a.size()) > n) a.pop_back();
  }
  void Merge(Acc& a, const Acc& b) const {
    for (const T& v : b) Add(a, v);
  }
  Out Result(const Acc& a) const { return a; }
};

// Max-then-join-back in one pass: the greatest value of field(record) and
// every record that has it (ties kept, in arrival order).
template <typename T, typename F>
struct MaxWithRecords {
  F field;
  using V = std::decay_t<std::invoke_result_t<const F&, const T&>>;
  using Acc = std::pair<std::optional<V>, std::vector<T>>;
  using Out = Acc;
  Acc Create() const { return {}; }
  void Add(Acc& a, const T& v) const {
    const V x = field(v);
    if (!a.first || *a.first < x) {
      a.first = x;
      a.second.clear();
      a.second.push_back(v);
    } else if (*a.first == x) {
      a.second.push_back(v);
    }
  }
  void Merge(Acc& a, const Acc& b) const {
    if (!b.first) return;
    if (!a.first || *a.first < *b.first) {
      a = b;
    } else if (*a.first == *b.first) {
      a.second.insert(a.second.end(), b.second.begin(), b.second.end());
    }
  }
  Out Result(const Acc& a) const { return a; }
};
template <typename T, typename F>
MaxWithRecords<T, F> MaxWithRecordsOf(F f) {
  return MaxWithRecords<T, F>{std::move(f)};
}

}  // namespace rivulet::operators

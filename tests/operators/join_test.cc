// Joins and keyed result operators (operators/join.h), each against a
// plain single-threaded reference on randomized input at parallelism 1, 2
// and 4: interval join (and its time-to-live and unbounded forms), window
// join (tumbling and sliding), deduplication with a time to live, keep
// the greatest, top-N, running aggregates with distinct counts, and
// max-then-join-back in one and in two phases. Then late records counted,
// and, from one source in a fixed order at parallelism 1 and 2, exactly
// what each operator does with a record at or behind its watermark
// (deduplication and its ties, window joins, keep the greatest, interval
// joins with finite, half and no bounds); an interval join restored from a
// checkpoint at another parallelism, and bad arguments refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "operators/join.h"
#include "tests/job_test_util.h"

namespace rivulet::operators {
namespace {

struct Rec {
  int64_t key = 0;
  int64_t ts = 0;
  int64_t id = 0;
  int64_t value = 0;
  bool operator==(const Rec&) const = default;
  auto operator<=>(const Rec&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Rec& r) {
    return H::combine(std::move(h), r.key, r.ts, r.id, r.value);
  }
};
RIVULET_STATE_FIELDS(Rec, key, ts, id, value)

struct Pair {
  int64_t key = 0;
  int64_t left = 0;   // ids
  int64_t right = 0;
  int64_t ts = 0;     // emitted at
  auto operator<=>(const Pair&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Pair& p) {
    return os << "{k" << p.key << " " << p.left << "x" << p.right << " @" << p.ts << "}";
  }
};

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr int64_t kDisorder = 40;  // event times run up to this far behind

// n records, times rising about `step` per record with up to kDisorder of
// disorder, keys in [0, keys), ids from `first_id`.
std::vector<Rec> MakeRecs(int64_t n, uint64_t seed, int64_t keys, int64_t step, int64_t first_id) {
  std::vector<Rec> v;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = Mix(seed * 1'000'003 + static_cast<uint64_t>(i));
    v.push_back(Rec{static_cast<int64_t>(r % static_cast<uint64_t>(keys)),
                    1000 + i * step - static_cast<int64_t>((r >> 20) % kDisorder), first_id + i,
                    static_cast<int64_t>((r >> 40) % 1000)});
  }
  return v;
}

auto RecTime = [](const Rec& r) { return r.ts; };
auto RecKey = [](const Rec& r) { return r.key; };

template <typename T>
std::vector<T> Sorted(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v;
}

JobRunOptions Options(int parallelism) {
  JobRunOptions o = testing::CheckpointedOptions(parallelism, 0);
  return o;
}

// Runs the join `make` adds between `left` and `right`, collecting pairs.
template <typename MakeFn>
std::vector<Pair> RunJoin(const std::vector<Rec>& left, const std::vector<Rec>& right, int parallelism,
                          MakeFn make, uint64_t* late = nullptr) {
  JobBuilder job;
  auto wm = WatermarkStrategy::BoundedOutOfOrderness(kDisorder);
  auto l = job.FromCollection<Rec>("left", left, RecTime, wm);
  auto r = job.FromCollection<Rec>("right", right, RecTime, wm);
  auto out = std::make_shared<Collected<Pair>>();
  make(Connect("both", l, r).KeyBy(EitherKey{RecKey, RecKey})).CollectInto("out", out);
  engine::JobMetrics metrics;
  JobRunOptions o = Options(parallelism);
  o.runtime.metrics = &metrics;
  Status st = job.Run(o);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (late) {
    *late = 0;
    for (const auto& m : metrics.operators) *late += m->late_records.load();
  }
  std::vector<Pair> v;
  for (const auto& e : out->events) {
    Pair p = e.value;
    p.ts = e.ts;
    v.push_back(p);
  }
  return Sorted(v);
}

auto MakePair = [](const Rec& l, const Rec& r) { return Pair{l.key, l.id, r.id, 0}; };

std::vector<Pair> ReferenceInterval(const std::vector<Rec>& left, const std::vector<Rec>& right, int64_t lower,
                                    int64_t upper) {
  std::vector<Pair> v;
  for (const auto& l : left) {
    for (const auto& r : right) {
      if (l.key != r.key) continue;
      const __int128 d = static_cast<__int128>(r.ts) - l.ts;
      if (d >= lower && d <= upper) v.push_back(Pair{l.key, l.id, r.id, std::max(l.ts, r.ts)});
    }
  }
  return Sorted(v);
}

using IJ = IntervalJoin<Rec, Rec, int64_t, Pair, decltype(MakePair)>;

TEST(JoinTest, IntervalJoinGivesEveryPairWithinTheBoundsOnceAtParallelism1_2_4) {
  const auto left = MakeRecs(3000, 1, 50, 3, 0);
  const auto right = MakeRecs(3000, 2, 50, 3, 100'000);
  for (auto [lower, upper] : {std::pair<int64_t, int64_t>{-30, 80}, {5, 200}, {-200, -10}, {0, 0}}) {
    const auto want = ReferenceInterval(left, right, lower, upper);
    ASSERT_GT(want.size(), 10u) << lower << ".." << upper;
    for (int p : {1, 2, 4}) {
      uint64_t late = 99;
      auto got = RunJoin(left, right, p, [&](auto keyed) {
        return keyed.template Process<Pair>("join", IJ(lower, upper, MakePair));
      }, &late);
      EXPECT_EQ(got, want) << "bounds [" << lower << ", " << upper << "] at parallelism " << p;
      EXPECT_EQ(late, 0u);
    }
  }
}

TEST(JoinTest, ATimeToLiveJoinAndAnUnboundedJoinMatchTheirReferences) {
  const auto left = MakeRecs(2000, 3, 40, 5, 0);
  const auto right = MakeRecs(2000, 4, 40, 5, 100'000);
  const int64_t ttl = 150;
  const auto want_ttl = ReferenceInterval(left, right, -ttl, ttl);
  const auto want_all = ReferenceInterval(left, right, std::numeric_limits<int64_t>::min() / 2,
                                          std::numeric_limits<int64_t>::max() / 2);
  ASSERT_GT(want_all.size(), want_ttl.size());
  for (int p : {1, 2, 4}) {
    EXPECT_EQ(RunJoin(left, right, p, [&](auto keyed) {
                return keyed.template Process<Pair>("ttl join", IJ(-ttl, ttl, MakePair));
              }),
              want_ttl)
        << "parallelism " << p;
    EXPECT_EQ(RunJoin(left, right, p, [&](auto keyed) {
                return keyed.template Process<Pair>("join", IJ(-IJ::kUnbounded, IJ::kUnbounded, MakePair));
              }),
              want_all)
        << "parallelism " << p;
  }
}

std::vector<Pair> ReferenceWindow(const std::vector<Rec>& left, const std::vector<Rec>& right, int64_t size,
                                  int64_t slide) {
  std::vector<Pair> v;
  for (const auto& l : left) {
    for (const auto& r : right) {
      if (l.key != r.key) continue;
      // Windows [s, s + size), s a multiple of slide, holding both.
      for (int64_t s = FloorDiv(std::min(l.ts, r.ts), slide) * slide; s > std::max(l.ts, r.ts) - size; s -= slide) {
        v.push_back(Pair{l.key, l.id, r.id, s + size - 1});
      }
    }
  }
  return Sorted(v);
}

TEST(JoinTest, WindowJoinPairsRecordsOfAKeyInEachWindowTheyShareAtParallelism1_2_4) {
  const auto left = MakeRecs(2500, 5, 30, 4, 0);
  const auto right = MakeRecs(2500, 6, 30, 4, 100'000);
  for (auto spec : {Tumbling(100), Sliding(100, 25)}) {
    const auto want = ReferenceWindow(left, right, spec.size_ms, spec.slide_ms);
    ASSERT_GT(want.size(), 100u);
    for (int p : {1, 2, 4}) {
      uint64_t late = 99;
      auto got = RunJoin(left, right, p, [&](auto keyed) {
        return keyed.template Process<Pair>("window join",
                                            WindowJoin<Rec, Rec, int64_t, Pair, decltype(MakePair)>(spec, MakePair));
      }, &late);
      EXPECT_EQ(got, want) << "slide " << spec.slide_ms << " at parallelism " << p;
      EXPECT_EQ(late, 0u);
    }
  }
}

// One source, in this order, watermarks without slack: the right record
// at 1000 comes after the watermark passed 5000.
struct LateRun {
  std::vector<Pair> pairs;
  uint64_t late = 0;
};
LateRun RunLate(int64_t lower, int64_t upper) {
  using E = Either<Rec, Rec>;
  std::vector<E> in = {E(std::in_place_index<0>, Rec{1, 1000, 1, 0}), E(std::in_place_index<0>, Rec{1, 5000, 2, 0}),
                       E(std::in_place_index<1>, Rec{1, 6000, 11, 0}), E(std::in_place_index<1>, Rec{1, 1000, 12, 0})};
  JobBuilder job;
  auto out = std::make_shared<Collected<Pair>>();
  job.FromCollection<E>("in", in, [](const E& e) { return e.index() == 0 ? std::get<0>(e).ts : std::get<1>(e).ts; },
                        WatermarkStrategy::BoundedOutOfOrderness(0))
      .KeyBy(EitherKey{RecKey, RecKey})
      .Process<Pair>("join", IJ(lower, upper, MakePair))
      .CollectInto("out", out);
  engine::JobMetrics metrics;
  JobRunOptions o = Options(1);
  o.runtime.batch_size = 1;
  o.runtime.metrics = &metrics;
  EXPECT_TRUE(job.Run(o).ok());
  return LateRun{Sorted(out->values()), metrics.operators[1]->late_records.load()};
}

TEST(JoinTest, ARecordBehindTheWatermarkIsLateWhereItsPartnersExpire) {
  // Bounded: rights at 1000 meet lefts in [-9000, 11000]; the left at 1000
  // may have expired, so the late right is counted and joins nothing.
  LateRun bounded = RunLate(-10'000, 10'000);
  EXPECT_EQ(bounded.late, 1u);
  EXPECT_EQ(bounded.pairs, (std::vector<Pair>{{1, 1, 11, 0}, {1, 2, 11, 0}}));
}

TEST(JoinTest, ARegularJoinTakesARecordBehindTheWatermarkInFull) {
  // Unbounded: nothing ever expires, so the late right meets both lefts.
  LateRun regular = RunLate(-IJ::kUnbounded, IJ::kUnbounded);
  EXPECT_EQ(regular.late, 0u);
  EXPECT_EQ(regular.pairs, (std::vector<Pair>{{1, 1, 11, 0}, {1, 1, 12, 0}, {1, 2, 11, 0}, {1, 2, 12, 0}}));
}

TEST(JoinTest, AUniqueKeyJoinGivesTheRegularJoinsPairsAndKeepsNoJoinedLeft) {
  // Each key's right record comes once, somewhere among its lefts.
  auto left = MakeRecs(4000, 11, 300, 2, 0);
  std::vector<Rec> right;
  for (int64_t k = 0; k < 300; k += 2) right.push_back(Rec{k, 1000 + k * 25, 100'000 + k, 0});  // half the keys
  std::vector<Pair> want;
  for (const auto& l : left) {
    if (l.key % 2 == 0) want.push_back(Pair{l.key, l.id, 100'000 + l.key, 0});
  }
  want = Sorted(want);
  auto join = [](const Rec& l, const Rec& r) { return Pair{l.key, l.id, r.id, 0}; };
  using UJ = UniqueKeyJoin<Rec, Rec, int64_t, Pair, decltype(join)>;
  for (int p : {1, 2, 4}) {
    auto got = RunJoin(left, right, p, [&](auto keyed) { return keyed.template Process<Pair>("join", UJ(join)); });
    for (auto& g : got) g.ts = 0;
    EXPECT_EQ(Sorted(got), want) << "parallelism " << p;
  }
  // State, driven by hand: a left waits; its right joins it and stays;
  // a later left joins at once and is not kept.
  using E = Either<Rec, Rec>;
  auto into = std::make_shared<Collected<Pair>>();
  CollectSink<Pair> sink(into);
  auto key = EitherKey{RecKey, RecKey};
  KeyedProcessOperator<E, decltype(key), Pair, UJ> op(sink.input(0), key, UJ(join));
  Batch<E> first{{10, E(std::in_place_index<0>, Rec{7, 10, 1, 0})}};
  op.OnBatch(first);
  EXPECT_EQ(into->values().size(), 0u);
  EXPECT_EQ(op.states().KeyCount(), 1u);  // the waiting left
  Batch<E> second{{20, E(std::in_place_index<1>, Rec{7, 20, 2, 0})}, {30, E(std::in_place_index<0>, Rec{7, 30, 3, 0})}};
  op.OnBatch(second);
  EXPECT_EQ(into->values(), (std::vector<Pair>{{7, 1, 2, 0}, {7, 3, 2, 0}}));
  EXPECT_EQ(into->events[0].ts, 20);  // at the later time
  EXPECT_EQ(into->events[1].ts, 30);
  // A thousand more lefts of key 7 join and leave nothing behind: the
  // checkpoint holds the right record (and the watermark), not the lefts.
  Batch<E> many;
  for (int64_t i = 0; i < 1000; ++i) many.push_back({31 + i, E(std::in_place_index<0>, Rec{7, 31 + i, 100 + i, 0})});
  op.OnBatch(many);
  EXPECT_EQ(into->values().size(), 1002u);
  size_t bytes = 0;
  for (const auto& entry : testing::SnapshotEntries(op, 1)) bytes += entry.bytes.size();
  EXPECT_LT(bytes, 200u);
  Batch<E> other{{40, E(std::in_place_index<0>, Rec{8, 40, 4, 0})}};
  op.OnBatch(other);
  EXPECT_EQ(op.states().KeyCount(), 2u);  // key 8 waits
}

TEST(JoinTest, DeduplicateKeepsTheFirstOfEachKeyPerTimeToLive) {
  // Distinct times per key (ids as times, shuffled within the disorder).
  std::vector<Rec> in = MakeRecs(6000, 7, 60, 2, 0);
  // Records a few apart share a time; these times are unique (ids of
  // records at one time differ by less than 64).
  for (auto& r : in) r.ts = r.ts * 64 + r.id % 64;
  for (int64_t ttl : {int64_t{10'000}, int64_t{40'000}, Deduplicate<Rec, int64_t>::kForever}) {
    std::map<int64_t, std::vector<Rec>> by_key;
    for (const auto& r : in) by_key[r.key].push_back(r);
    std::vector<Rec> want;
    for (auto& [k, v] : by_key) {
      std::sort(v.begin(), v.end(), [](const Rec& a, const Rec& b) { return a.ts < b.ts; });
      std::optional<int64_t> last;
      for (const auto& r : v) {
        if (!last || (ttl != Deduplicate<Rec, int64_t>::kForever && r.ts - *last >= ttl)) {
          want.push_back(r);
          last = r.ts;
        }
      }
    }
    want = Sorted(want);
    for (int p : {1, 2, 4}) {
      JobBuilder job;
      auto out = std::make_shared<Collected<Rec>>();
      job.FromCollection<Rec>("in", in, RecTime, WatermarkStrategy::BoundedOutOfOrderness(kDisorder * 64 + 64))
          .KeyBy(RecKey)
          .Process<Rec>("dedup", Deduplicate<Rec, int64_t>(ttl))
          .CollectInto("out", out);
      ASSERT_TRUE(job.Run(Options(p)).ok());
      EXPECT_EQ(Sorted(out->values()), want) << "ttl " << ttl << " at parallelism " << p;
    }
  }
}

// The last row per key of an updating result, as an upsert sink keeps it.
template <typename T, typename KeyFn>
std::vector<T> FinalRows(const std::vector<T>& updates, KeyFn key) {
  std::map<decltype(key(updates[0])), T> rows;
  for (const auto& u : updates) rows.insert_or_assign(key(u), u);
  std::vector<T> v;
  for (auto& [k, r] : rows) v.push_back(r);
  return Sorted(v);
}

TEST(JoinTest, KeepGreatestAndTopNEndWithThePlainLoopsTables) {
  const auto in = MakeRecs(8000, 8, 80, 1, 0);
  auto less = [](const Rec& a, const Rec& b) { return std::tie(a.value, a.id) < std::tie(b.value, b.id); };
  auto better = [](const Rec& a, const Rec& b) { return std::tie(b.value, b.id) < std::tie(a.value, a.id); };
  std::map<int64_t, std::vector<Rec>> by_key;
  for (const auto& r : in) by_key[r.key].push_back(r);
  std::vector<Rec> want_greatest;
  std::vector<Ranked<int64_t, Rec>> want_top;
  for (auto& [k, v] : by_key) {
    std::sort(v.begin(), v.end(), better);
    want_greatest.push_back(v[0]);
    for (size_t i = 0; i < std::min<size_t>(5, v.size()); ++i) {
      want_top.push_back(Ranked<int64_t, Rec>{k, static_cast<int32_t>(i), v[i]});
    }
  }
  want_greatest = Sorted(want_greatest);
  auto rank_less = [](const auto& a, const auto& b) { return std::tie(a.key, a.rank, a.value) < std::tie(b.key, b.rank, b.value); };
  std::sort(want_top.begin(), want_top.end(), rank_less);
  for (int p : {1, 2, 4}) {
    JobBuilder job;
    auto greatest = std::make_shared<Collected<Rec>>();
    auto top = std::make_shared<Collected<Ranked<int64_t, Rec>>>();
    auto keyed = job.FromCollection<Rec>("in", in, RecTime, WatermarkStrategy::BoundedOutOfOrderness(kDisorder))
                     .KeyBy(RecKey);
    keyed.Process<Rec>("greatest", KeepGreatest<Rec, int64_t, decltype(less)>(less)).CollectInto("g", greatest);
    keyed.Process<Ranked<int64_t, Rec>>("top", TopN<Rec, int64_t, decltype(better)>(5, better)).CollectInto("t", top);
    ASSERT_TRUE(job.Run(Options(p)).ok());
    EXPECT_EQ(FinalRows(greatest->values(), RecKey), want_greatest) << "parallelism " << p;
    auto rows = top->values();
    std::map<std::pair<int64_t, int32_t>, Ranked<int64_t, Rec>> table;
    for (const auto& r : rows) table.insert_or_assign({r.key, r.rank}, r);
    std::vector<Ranked<int64_t, Rec>> got;
    for (auto& [k, r] : table) got.push_back(r);
    std::sort(got.begin(), got.end(), rank_less);
    EXPECT_EQ(got, want_top) << "parallelism " << p;
    EXPECT_LT(rows.size(), in.size()) << "a record outside the top emitted a row";
  }
}

struct KeyStats {
  int64_t key = 0;
  int64_t count = 0;
  int64_t distinct = 0;
  auto operator<=>(const KeyStats&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const KeyStats& s) {
    return os << "{" << s.key << " " << s.count << " " << s.distinct << "}";
  }
};

struct CountAndDistinct {
  CountDistinctOf<int64_t, int64_t (*)(const Rec&)> distinct{[](const Rec& r) { return r.value % 97; }};
  using Acc = std::pair<int64_t, absl::flat_hash_set<int64_t>>;
  using Out = std::pair<int64_t, int64_t>;
  Acc Create() const { return {}; }
  void Add(Acc& a, const Rec& r) const {
    ++a.first;
    distinct.Add(a.second, r);
  }
  void Merge(Acc& a, const Acc& b) const {
    a.first += b.first;
    distinct.Merge(a.second, b.second);
  }
  Out Result(const Acc& a) const { return {a.first, distinct.Result(a.second)}; }
};

TEST(JoinTest, ARunningAggregateEndsWithEachKeysCountAndDistinctCount) {
  const auto in = MakeRecs(10'000, 9, 25, 1, 0);
  std::map<int64_t, std::pair<int64_t, std::set<int64_t>>> ref;
  for (const auto& r : in) {
    ++ref[r.key].first;
    ref[r.key].second.insert(r.value % 97);
  }
  std::vector<KeyStats> want;
  for (const auto& [k, s] : ref) want.push_back(KeyStats{k, s.first, static_cast<int64_t>(s.second.size())});
  auto result = [](const int64_t& k, const std::pair<int64_t, int64_t>& v) { return KeyStats{k, v.first, v.second}; };
  for (int p : {1, 2, 4}) {
    JobBuilder job;
    auto out = std::make_shared<Collected<KeyStats>>();
    job.FromCollection<Rec>("in", in, RecTime, WatermarkStrategy::BoundedOutOfOrderness(kDisorder))
        .KeyBy(RecKey)
        .Process<KeyStats>("stats", RunningAggregate<Rec, int64_t, CountAndDistinct, decltype(result)>(
                                        CountAndDistinct{}, 500, result))
        .CollectInto("out", out);
    ASSERT_TRUE(job.Run(Options(p)).ok());
    const auto updates = out->values();
    EXPECT_EQ(FinalRows(updates, [](const KeyStats& s) { return s.key; }), want) << "parallelism " << p;
    // Emitted once per key and interval of event time, not per record.
    EXPECT_LT(updates.size(), in.size() / 4);
  }
}

struct Winners {
  int64_t start = 0;
  int64_t max = 0;
  std::vector<int64_t> ids;  // sorted
  auto operator<=>(const Winners&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Winners& w) {
    os << "{" << w.start << " max " << w.max << ":";
    for (auto id : w.ids) os << " " << id;
    return os << "}";
  }
};

TEST(JoinTest, MaxThenJoinBackGivesEachWindowsTopRecordsSplitOrNot) {
  auto in = MakeRecs(20'000, 10, 400, 1, 0);
  for (auto& r : in) r.value %= 50;  // ties at the top
  constexpr int64_t kWindow = 1000;
  std::map<int64_t, Winners> ref;
  for (const auto& r : in) {
    const int64_t s = FloorDiv(r.ts, kWindow) * kWindow;
    auto& w = ref[s];
    w.start = s;
    if (w.ids.empty() || r.value > w.max) {
      w.max = r.value;
      w.ids = {r.id};
    } else if (r.value == w.max) {
      w.ids.push_back(r.id);
    }
  }
  std::vector<Winners> want;
  for (auto& [s, w] : ref) {
    std::sort(w.ids.begin(), w.ids.end());
    want.push_back(w);
  }
  auto value = [](const Rec& r) { return r.value; };
  auto agg = MaxWithRecordsOf<Rec>(value);
  using Acc = decltype(agg)::Acc;
  auto to_winners = [](int64_t start, const Acc& a) {
    Winners w{start, a.first.value_or(-1), {}};
    for (const auto& r : a.second) w.ids.push_back(r.id);
    std::sort(w.ids.begin(), w.ids.end());
    return w;
  };
  // One key: at parallelism 2 and 4 the runtime splits the aggregate in
  // two phases (operators/local_global.h).
  for (int p : {1, 2, 4}) {
    JobBuilder job;
    auto out = std::make_shared<Collected<Winners>>();
    job.FromCollection<Rec>("in", in, RecTime, WatermarkStrategy::BoundedOutOfOrderness(kDisorder))
        .KeyBy([](const Rec&) { return 0; })
        .Window(Tumbling(kWindow))
        .Aggregate("max", agg)
        .Map("winners", [to_winners](const WindowResult<int, Acc>& r) { return to_winners(r.start, r.value); })
        .CollectInto("out", out);
    ASSERT_TRUE(job.Run(Options(p)).ok());
    EXPECT_EQ(Sorted(out->values()), want) << "parallelism " << p;
  }
}

TEST(JoinTest, TopNAndDistinctCountPerWindowAndKeyGiveThePlainLoopsResults) {
  const auto in = MakeRecs(12'000, 12, 20, 1, 0);
  constexpr int64_t kWindow = 500;
  auto better = [](const Rec& a, const Rec& b) { return std::tie(b.value, b.id) < std::tie(a.value, a.id); };
  auto distinct_of = [](const Rec& r) { return r.value % 13; };
  using TopKey = std::pair<int64_t, int64_t>;  // (key, window start)
  std::map<TopKey, std::vector<Rec>> by_window;
  for (const auto& r : in) by_window[{r.key, FloorDiv(r.ts, kWindow) * kWindow}].push_back(r);
  std::map<TopKey, std::vector<int64_t>> want_top;
  std::map<TopKey, int64_t> want_distinct;
  for (auto& [k, v] : by_window) {
    std::sort(v.begin(), v.end(), better);
    for (size_t i = 0; i < std::min<size_t>(3, v.size()); ++i) want_top[k].push_back(v[i].id);
    std::set<int64_t> d;
    for (const auto& r : v) d.insert(distinct_of(r));
    want_distinct[k] = static_cast<int64_t>(d.size());
  }
  for (int p : {1, 2, 4}) {
    JobBuilder job;
    auto top = std::make_shared<Collected<WindowResult<int64_t, std::vector<Rec>>>>();
    auto distinct = std::make_shared<Collected<WindowResult<int64_t, int64_t>>>();
    auto windowed = job.FromCollection<Rec>("in", in, RecTime, WatermarkStrategy::BoundedOutOfOrderness(kDisorder))
                        .KeyBy(RecKey)
                        .Window(Tumbling(kWindow));
    windowed.Aggregate("top 3", TopNOf<Rec, decltype(better)>{3, better}).CollectInto("top", top);
    windowed.Aggregate("distinct", CountDistinctBy<int64_t>(distinct_of)).CollectInto("distinct", distinct);
    ASSERT_TRUE(job.Run(Options(p)).ok());
    std::map<TopKey, std::vector<int64_t>> got_top;
    for (const auto& r : top->values()) {
      for (const Rec& x : r.value) got_top[{r.key, r.start}].push_back(x.id);
    }
    std::map<TopKey, int64_t> got_distinct;
    for (const auto& r : distinct->values()) got_distinct[{r.key, r.start}] = r.value;
    EXPECT_EQ(got_top, want_top) << "parallelism " << p;
    EXPECT_EQ(got_distinct, want_distinct) << "parallelism " << p;
  }
}

// ---- Late records, exactly ----
// One source instance in a fixed order, a batch (and so a watermark) per
// record, watermarks kLateBound behind the largest time so far: after a
// record at t the watermark is t - kLateBound - 1 (sources.h, Send;
// watermarks.h). Which records are at or behind the watermark when they
// arrive is then exact, and the same for the keyed operator at
// parallelism 1 and 2 (one input channel per instance, records and
// watermarks in order on it).
constexpr int64_t kLateBound = 10;

template <typename Out>
struct Ordered {
  std::vector<Event<Out>> events;  // in arrival order per sink instance
  uint64_t late = 0;               // counted by the keyed operator
};

template <typename Out, typename In, typename TsFn, typename KeyFn, typename Fn>
Ordered<Out> RunOrdered(const std::vector<In>& in, TsFn ts, KeyFn key, Fn fn, int parallelism) {
  JobBuilder job;
  auto out = std::make_shared<Collected<Out>>();
  job.FromCollection<In>("in", in, ts, WatermarkStrategy::BoundedOutOfOrderness(kLateBound))
      .SetParallelism(1)
      .KeyBy(key)
      .template Process<Out>("keyed", std::move(fn))
      .CollectInto("out", out);
  engine::JobMetrics metrics;
  JobRunOptions o = Options(parallelism);
  o.runtime.batch_size = 1;
  o.runtime.metrics = &metrics;
  const Status st = job.Run(o);
  EXPECT_TRUE(st.ok()) << st.ToString();
  Ordered<Out> r;
  int found = 0;
  for (const auto& m : metrics.operators) {
    if (m->name != "keyed") continue;
    ++found;
    r.late += m->late_records.load();
  }
  EXPECT_EQ(found, 1) << "the keyed operator's metrics";
  r.events = std::move(out->events);
  return r;
}

// (id, emitted at) of each record emitted, sorted.
using IdAt = std::pair<int64_t, int64_t>;
std::vector<IdAt> IdsAt(const std::vector<Event<Rec>>& events) {
  std::vector<IdAt> v;
  for (const auto& e : events) v.push_back({e.value.id, e.ts});
  return Sorted(v);
}

// Pairs with the time each was emitted at, sorted.
std::vector<Pair> PairsAt(const std::vector<Event<Pair>>& events) {
  std::vector<Pair> v;
  for (const auto& e : events) {
    Pair p = e.value;
    p.ts = e.ts;
    v.push_back(p);
  }
  return Sorted(v);
}

using LR = Either<Rec, Rec>;
LR Left(int64_t key, int64_t ts, int64_t id) { return LR(std::in_place_index<0>, Rec{key, ts, id, 0}); }
LR Right(int64_t key, int64_t ts, int64_t id) { return LR(std::in_place_index<1>, Rec{key, ts, id, 0}); }
auto LRTime = [](const LR& e) { return e.index() == 0 ? std::get<0>(e).ts : std::get<1>(e).ts; };

TEST(JoinTest, DeduplicateDropsAndCountsRecordsAtOrBehindTheWatermarkAndKeepsTheFirstToArriveOfATie) {
  // ttl 50; the watermark after each record in the comments.
  const std::vector<Rec> in = {
      {1, 100, 1, 0},   // wm 89; pending
      {1, 95, 2, 0},    // earlier and still in time (95 > 89): the first in event time, not id 1
      {2, 120, 3, 0},   // wm 109: key 1's first (id 2) emitted at 95
      {3, 109, 4, 0},   // at the watermark: late, though key 3 has no first yet
      {3, 105, 5, 0},   // behind it: late
      {3, 110, 6, 0},   // just ahead: key 3's first, at 110
      {1, 140, 7, 0},   // wm 129 (key 2's first, id 3, at 120); 140 - 95 < ttl: a duplicate
      {1, 145, 8, 0},   // wm 134; 145 - 95 = ttl: a first again, at 145
      {4, 300, 9, 0},   // wm 289; key 2's first expired at 170
      {4, 300, 10, 0},  // the same time: the first to arrive (id 9) wins
      {5, 295, 12, 0},  // (ids reversed: not the smaller id, the first to arrive)
      {5, 295, 11, 0},
      {2, 190, 13, 0},  // late (190 <= 289): dropped, though key 2 has no first now
  };
  const std::vector<IdAt> want = {{2, 95}, {3, 120}, {6, 110}, {8, 145}, {9, 300}, {12, 295}};
  for (int p : {1, 2}) {
    auto got = RunOrdered<Rec>(in, RecTime, RecKey, Deduplicate<Rec, int64_t>(50), p);
    EXPECT_EQ(IdsAt(got.events), want) << "parallelism " << p;
    EXPECT_EQ(got.late, 3u) << "parallelism " << p;
  }
}

TEST(JoinTest, WindowJoinDropsAndCountsARecordWhoseWindowFiredAndJoinsOneWhoseWindowIsOpen) {
  // Tumbling 100: [0, 100) fires when the watermark reaches 99.
  const std::vector<LR> in = {
      Left(1, 50, 1),     // wm 39
      Right(1, 60, 101),  // wm 49
      Left(1, 110, 2),    // wm 99: [0, 100) fires, 1x101 at 99
      Right(1, 99, 102),  // in [0, 100), fired: late, not joined with 1
      Right(1, 100, 103),
      Left(1, 150, 3),     // wm 139
      Right(1, 120, 104),  // behind the watermark, but [100, 200) is open: joins 2 and 3, not late
      Left(2, 250, 4),     // wm 239: [100, 200) fires
      Right(2, 210, 105),  // behind the watermark, [200, 300) open: joins 4
      Left(1, 180, 5),     // [100, 200) fired: late
  };
  const std::vector<Pair> want = Sorted(std::vector<Pair>{
      {1, 1, 101, 99}, {1, 2, 103, 199}, {1, 2, 104, 199}, {1, 3, 103, 199}, {1, 3, 104, 199}, {2, 4, 105, 299}});
  using WJ = WindowJoin<Rec, Rec, int64_t, Pair, decltype(MakePair)>;
  for (int p : {1, 2}) {
    auto got = RunOrdered<Pair>(in, LRTime, EitherKey{RecKey, RecKey}, WJ(Tumbling(100), MakePair), p);
    EXPECT_EQ(PairsAt(got.events), want) << "parallelism " << p;
    EXPECT_EQ(got.late, 2u) << "parallelism " << p;
  }
}

TEST(JoinTest, SlidingWindowJoinIsLateOnlyWhenEveryWindowOfTheRecordFired) {
  // Sliding 100 every 50: a record at t is in [s, s + 100) for the two
  // multiples s of 50 in (t - 100, t].
  const std::vector<LR> in = {
      Left(1, 120, 1),     // [50, 150) and [100, 200); wm 109
      Left(1, 160, 2),     // [100, 200) and [150, 250); wm 149: [50, 150) fires (no right: nothing)
      Right(1, 120, 101),  // [50, 150) fired, [100, 200) open: joins 1 and 2 there, not late
      Left(1, 260, 3),     // wm 249: [100, 200) and [150, 250) fire
      Right(1, 199, 102),  // both its windows fired: late (it would meet 1 and 2)
      Right(1, 250, 103),  // [200, 300) and [250, 350): joins 3 in both
  };
  const std::vector<Pair> want =
      Sorted(std::vector<Pair>{{1, 1, 101, 199}, {1, 2, 101, 199}, {1, 3, 103, 299}, {1, 3, 103, 349}});
  using WJ = WindowJoin<Rec, Rec, int64_t, Pair, decltype(MakePair)>;
  for (int p : {1, 2}) {
    auto got = RunOrdered<Pair>(in, LRTime, EitherKey{RecKey, RecKey}, WJ(Sliding(100, 50), MakePair), p);
    EXPECT_EQ(PairsAt(got.events), want) << "parallelism " << p;
    EXPECT_EQ(got.late, 1u) << "parallelism " << p;
  }
}

TEST(JoinTest, KeepGreatestTakesARecordBehindTheWatermarkInFullAndEmitsItAfterTheWatermark) {
  // Greatest by value; "Every record counts, late or not" (join.h): none
  // is counted late, and a late one that is greater replaces the row,
  // emitted just after the watermark (not behind it, or it would be late
  // downstream).
  auto less = [](const Rec& a, const Rec& b) { return std::tie(a.value, a.id) < std::tie(b.value, b.id); };
  const std::vector<Rec> in = {
      {1, 100, 1, 5},  // wm 89: emitted at 100
      {1, 200, 2, 3},  // wm 189: smaller, nothing
      {1, 150, 3, 9},  // behind the watermark, greater: emitted at 190
      {1, 189, 4, 7},  // at the watermark, smaller: nothing
      {2, 50, 5, 1},   // behind it, key 2's first: emitted at 190
      {2, 189, 6, 4},  // at it, greater: emitted at 190
      {2, 195, 7, 2},  // ahead of it, smaller: nothing
  };
  const std::vector<IdAt> want = {{1, 100}, {3, 190}, {5, 190}, {6, 190}};
  for (int p : {1, 2}) {
    auto got = RunOrdered<Rec>(in, RecTime, RecKey, KeepGreatest<Rec, int64_t, decltype(less)>(less), p);
    EXPECT_EQ(IdsAt(got.events), want) << "parallelism " << p;
    EXPECT_EQ(got.late, 0u) << "parallelism " << p;
  }
}

// The same input into an interval join with three kinds of bounds.
const std::vector<LR>& IntervalLateInput() {
  static const std::vector<LR> in = {
      Left(1, 100, 1),     // wm 89
      Right(1, 130, 101),  // wm 119
      Right(1, 290, 102),  // wm 279
      Left(1, 300, 2),     // wm 289
      Right(1, 140, 103),  // behind the watermark
      Right(1, 289, 104),  // at it
      Left(1, 280, 3),     // behind it
      Left(1, 290, 4),     // just ahead of it
  };
  return in;
}

TEST(JoinTest, AnIntervalJoinWithFiniteBoundsDropsAndCountsRecordsAtOrBehindTheWatermark) {
  // [-50, 50]: by watermark 289 the left at 100 and the right at 130 are
  // gone. The late right at 140 has no partner left; the late right at
  // 289 and left at 280 have one in state (the left at 300, the right at
  // 290) and are dropped all the same.
  const std::vector<Pair> want = Sorted(std::vector<Pair>{{1, 1, 101, 130}, {1, 2, 102, 300}, {1, 4, 102, 290}});
  for (int p : {1, 2}) {
    auto got = RunOrdered<Pair>(IntervalLateInput(), LRTime, EitherKey{RecKey, RecKey}, IJ(-50, 50, MakePair), p);
    EXPECT_EQ(PairsAt(got.events), want) << "parallelism " << p;
    EXPECT_EQ(got.late, 3u) << "parallelism " << p;
  }
}

TEST(JoinTest, AnIntervalJoinTakesALateRecordInFullWhereItsPartnersNeverExpire) {
  // Regular join: every pair, none late; a pair made by a record behind
  // the watermark (289) is emitted just after it, at 290 at the earliest.
  const std::vector<Pair> regular = Sorted(std::vector<Pair>{
      {1, 1, 101, 130}, {1, 1, 102, 290},                                      // right 130, 290
      {1, 2, 101, 300}, {1, 2, 102, 300},                                      // left 300
      {1, 1, 103, 290}, {1, 2, 103, 300}, {1, 1, 104, 290}, {1, 2, 104, 300},  // late rights 140, 289
      {1, 3, 101, 290}, {1, 3, 102, 290}, {1, 3, 103, 290}, {1, 3, 104, 290},  // late left 280
      {1, 4, 101, 290}, {1, 4, 102, 290}, {1, 4, 103, 290}, {1, 4, 104, 290},  // left 290
  });
  // (-inf, 50]: rights never expire, lefts do. A late left is joined in
  // full (every right it can meet is still there); a late right is
  // counted and dropped (the left at 100 is gone).
  const std::vector<Pair> half = Sorted(std::vector<Pair>{
      {1, 1, 101, 130}, {1, 2, 101, 300}, {1, 2, 102, 300},
      {1, 3, 101, 290}, {1, 3, 102, 290},  // late left 280
      {1, 4, 101, 290}, {1, 4, 102, 290},
  });
  for (int p : {1, 2}) {
    auto all = RunOrdered<Pair>(IntervalLateInput(), LRTime, EitherKey{RecKey, RecKey},
                                IJ(-IJ::kUnbounded, IJ::kUnbounded, MakePair), p);
    EXPECT_EQ(PairsAt(all.events), regular) << "parallelism " << p;
    EXPECT_EQ(all.late, 0u) << "parallelism " << p;
    auto got = RunOrdered<Pair>(IntervalLateInput(), LRTime, EitherKey{RecKey, RecKey}, IJ(-IJ::kUnbounded, 50, MakePair), p);
    EXPECT_EQ(PairsAt(got.events), half) << "parallelism " << p;
    EXPECT_EQ(got.late, 2u) << "parallelism " << p;
  }
}

// Cancelled after checkpoints at parallelism 2 (as if killed) and
// restored at 1 and 4: both sides' buffered records follow their keys.
class JoinRestoreTest : public ::testing::TestWithParam<int> {};

TEST_P(JoinRestoreTest, AnIntervalJoinRestoresItsBufferedSidesAtAnotherParallelism) {
  constexpr int64_t kCount = 30'000;
  auto make = [](uint64_t n) {
    const uint64_t r = Mix(n);
    Rec rec{static_cast<int64_t>(r % 100), 1000 + static_cast<int64_t>(n / 2) * 2, static_cast<int64_t>(n),
            static_cast<int64_t>(r >> 50)};
    return Either<Rec, Rec>(std::in_place_index_t<0>{}, rec);
  };
  auto gen = [make](uint64_t n) {
    Either<Rec, Rec> e = make(n);
    if (n % 2 == 1) e = Either<Rec, Rec>(std::in_place_index<1>, std::get<0>(e));
    return e;
  };
  auto ts = [](const Either<Rec, Rec>& e) { return e.index() == 0 ? std::get<0>(e).ts : std::get<1>(e).ts; };
  std::vector<Rec> left, right;
  for (int64_t n = 0; n < kCount; ++n) {
    auto e = gen(static_cast<uint64_t>(n));
    (e.index() == 0 ? left : right).push_back(e.index() == 0 ? std::get<0>(e) : std::get<1>(e));
  }
  std::vector<Pair> want = ReferenceInterval(left, right, -100, 100);
  for (auto& p : want) p.ts = 0;
  want = Sorted(want);
  auto build = [&](JobBuilder& job, std::shared_ptr<Collected<Pair>> out, double rate) {
    job.FromGenerator("gen", gen, kCount, rate, ts, WatermarkStrategy::BoundedOutOfOrderness(0))
        .KeyBy(EitherKey{RecKey, RecKey})
        .Process<Pair>("join", IJ(-100, 100, MakePair))
        .CollectCommitted("out", out);
  };
  JobBuilder job;
  auto out = std::make_shared<Collected<Pair>>();
  build(job, out, 60'000);  // about 0.5 s
  auto last = testing::CancelAfterCheckpoints(job, testing::CheckpointedOptions(2, 10), 3);
  ASSERT_NE(last, nullptr);
  EXPECT_LT(out->values().size(), want.size()) << "the job was cancelled too late to test anything";
  auto again = job.Start(testing::CheckpointedOptions(GetParam(), 10, last));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE((*again)->Wait().ok());
  EXPECT_EQ(Sorted(out->values()), want);
}

INSTANTIATE_TEST_SUITE_P(Rescale, JoinRestoreTest, ::testing::Values(1, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "p2_to_p" + std::to_string(info.param);
                         });

TEST(JoinTest, BadArgumentsAreRefused) {
  EXPECT_THROW(IJ(10, 5, MakePair), std::invalid_argument);
  EXPECT_THROW((WindowJoin<Rec, Rec, int64_t, Pair, decltype(MakePair)>(Session(10), MakePair)), std::invalid_argument);
  EXPECT_THROW((WindowJoin<Rec, Rec, int64_t, Pair, decltype(MakePair)>(Tumbling(0), MakePair)), std::invalid_argument);
  EXPECT_THROW((Deduplicate<Rec, int64_t>(0)), std::invalid_argument);
  auto better = [](const Rec& a, const Rec& b) { return a.value > b.value; };
  EXPECT_THROW((TopN<Rec, int64_t, decltype(better)>(0, better)), std::invalid_argument);
}

}  // namespace
}  // namespace rivulet::operators

// The NEXMark queries that keep state: joins, windows, top-N and updating
// aggregates (queries.h). Each query's job and its reference sit side by
// side; where a query departs from Flink's SQL of the suite, its comment
// says how.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "jobs/nexmark/queries.h"
#include "operators/join.h"

namespace rivulet::jobs::nexmark {
namespace {

using operators::Either;
using operators::EitherKey;
using operators::FloorDiv;
using operators::ProcessContext;
using operators::Stream;
using operators::WindowResult;

constexpr int64_t kEmitEveryMs = 1'000;  // updating queries: one row per changed key per second of event time

std::string Num(int64_t v) { return std::to_string(v); }

template <typename T>
std::vector<const T*> All(const std::vector<Event>& events) {
  std::vector<const T*> v;
  for (const auto& e : events) {
    if (const T* x = std::get_if<T>(&e)) v.push_back(x);
  }
  return v;
}

// The bid that wins an auction: the highest price, then the earliest, then
// the rest of the bid (a total order, so no run depends on arrival order).
bool BetterBid(const Bid& a, const Bid& b) {
  return std::tie(b.price, a.date_time, a.bidder, a.channel, a.url, a.extra) <
         std::tie(a.price, b.date_time, b.bidder, b.channel, b.url, b.extra);
}

}  // namespace

// ---- q3: local item suggestion (a regular join, state kept forever) ----
// Persons in OR, ID or CA selling in category 10.

struct Q3Row {
  std::string name;
  std::string city;
  std::string state;
  int64_t id = 0;
  bool operator==(const Q3Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q3Row& r) {
    return H::combine(std::move(h), r.name, r.city, r.state, r.id);
  }
};
std::string ToLine(const Q3Row& r) { return r.name + " " + r.city + " " + r.state + " " + Num(r.id); }

namespace {

bool Q3State(const std::string& s) { return s == "OR" || s == "ID" || s == "CA"; }

void BuildQ3(Stream<Event> events, std::shared_ptr<Checked> out) {
  using PA = Either<Person, Auction>;
  auto join = [](const Person& p, const Auction& a) { return Q3Row{p.name, p.city, p.state, a.id}; };
  using Join = operators::IntervalJoin<Person, Auction, int64_t, Q3Row, decltype(join)>;
  auto both = events.FlatMap<PA>("q3 persons and auctions", [](Event&& e, auto emit) {
    if (auto* p = std::get_if<Person>(&e); p && Q3State(p->state)) emit(PA(std::in_place_index<0>, std::move(*p)));
    if (auto* a = std::get_if<Auction>(&e); a && a->category == 10) emit(PA(std::in_place_index<1>, std::move(*a)));
  });
  auto rows = both.KeyBy(EitherKey{[](const Person& p) { return p.id; }, [](const Auction& a) { return a.seller; }})
                  .Process<Q3Row>("q3 join", Join(-Join::kUnbounded, Join::kUnbounded, join));
  SinkAppend(rows, out);
}

Checked ReferenceQ3(const std::vector<Event>& events, bool lines) {
  absl::flat_hash_map<int64_t, const Person*> persons;
  for (const Person* p : All<Person>(events)) {
    if (Q3State(p->state)) persons[p->id] = p;
  }
  std::vector<Q3Row> rows;
  for (const Auction* a : All<Auction>(events)) {
    if (a->category != 10) continue;
    if (auto it = persons.find(a->seller); it != persons.end()) {
      rows.push_back(Q3Row{it->second->name, it->second->city, it->second->state, a->id});
    }
  }
  return Reduce(rows, lines);
}

}  // namespace

// ---- q4 and q9: the winning bid of each auction ----
// An auction's bids are those in [its time, its expiry]; the winner is
// BetterBid's first, emitted once when the watermark passes the expiry
// (Flink's q9 keeps the top row updated as bids come; the final rows are
// the same). A bid that comes before its auction waits until the
// watermark passes it: by then every auction at or before its time has
// come, so a bid still alone then can match none.

struct AuctionWinner {
  Auction auction;
  Bid bid;
  bool operator==(const AuctionWinner&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const AuctionWinner& w) {
    return H::combine(std::move(h), w.auction, w.bid);
  }
};
std::string ToLine(const AuctionWinner& w) { return ToLine(w.auction) + " | " + ToLine(w.bid); }

namespace {

using AB = Either<Auction, Bid>;

struct WinningBid {
  operators::ValueState<int64_t, Auction> auction;
  operators::ValueState<int64_t, Bid> best;
  operators::ListState<int64_t, Bid> early;  // bids before their auction

  void Open(operators::KeyedStateBackend<int64_t>& s) {
    auction = s.Value<Auction>("auction");
    best = s.Value<Bid>("best");
    early = s.List<Bid>("early");
  }
  void Consider(const Auction& a, const Bid& b) {
    if (b.date_time < a.date_time || b.date_time > a.expires) return;
    const Bid* cur = best.Get();
    if (!cur || BetterBid(b, *cur)) best.Update(b);
  }
  void ProcessElement(const AB& e, ProcessContext<int64_t, AuctionWinner>& ctx) {
    if (ctx.timestamp() <= ctx.watermark()) {
      ctx.CountLate();
      return;
    }
    if (e.index() == 0) {
      const Auction& a = std::get<0>(e);
      auction.Update(a);
      for (const Bid& b : early.Get()) Consider(a, b);
      early.Clear();
      ctx.RegisterTimer(std::max(a.expires, a.date_time));
    } else if (const Auction* a = auction.Get()) {
      Consider(*a, std::get<1>(e));
    } else {
      early.Add(std::get<1>(e));
      ctx.RegisterTimer(ctx.timestamp());
    }
  }
  void OnTimer(operators::Timestamp now, ProcessContext<int64_t, AuctionWinner>& ctx) {
    const Auction* a = auction.Get();
    if (!a) {  // bids whose auction did not come by their time
      std::vector<Bid> keep;
      for (const Bid& b : early.Get()) {
        if (b.date_time > now) keep.push_back(b);
      }
      early.Update(std::move(keep));
      return;
    }
    if (now < std::max(a->expires, a->date_time)) return;
    if (const Bid* b = best.Get()) ctx.Emit(AuctionWinner{*a, *b});
    auction.Clear();
    best.Clear();
  }
};

Stream<AuctionWinner> Winners(Stream<Event> events, const char* name) {
  auto both = events.FlatMap<AB>(std::string(name) + " auctions and bids", [](Event&& e, auto emit) {
    if (auto* a = std::get_if<Auction>(&e)) emit(AB(std::in_place_index<0>, std::move(*a)));
    if (auto* b = std::get_if<Bid>(&e)) emit(AB(std::in_place_index<1>, std::move(*b)));
  });
  return both.KeyBy(EitherKey{[](const Auction& a) { return a.id; }, [](const Bid& b) { return b.auction; }})
      .Process<AuctionWinner>(std::string(name) + " winning bids", WinningBid{});
}

std::vector<AuctionWinner> ReferenceWinners(const std::vector<Event>& events) {
  absl::flat_hash_map<int64_t, std::optional<Bid>> best;
  absl::flat_hash_map<int64_t, const Auction*> auctions;
  for (const Auction* a : All<Auction>(events)) auctions[a->id] = a;
  for (const Bid* b : All<Bid>(events)) {
    auto it = auctions.find(b->auction);
    if (it == auctions.end() || b->date_time < it->second->date_time || b->date_time > it->second->expires) continue;
    auto& cur = best[b->auction];
    if (!cur || BetterBid(*b, *cur)) cur = *b;
  }
  std::vector<AuctionWinner> v;
  for (const auto& [id, b] : best) v.push_back(AuctionWinner{*auctions.at(id), *b});
  return v;
}

}  // namespace

// q4: the average winning price per category (updating). AVG is a
// double here; Flink's AVG of a BIGINT is a BIGINT (truncated).
struct Q4Row {
  int64_t category = 0;
  double avg = 0;
  bool operator==(const Q4Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q4Row& r) {
    return H::combine(std::move(h), r.category, r.avg);
  }
};
std::string ToLine(const Q4Row& r) { return Num(r.category) + " " + std::to_string(r.avg); }

namespace {

// Sum and count as integers: the average is the same whatever the order.
struct ExactAvg {
  using Acc = std::pair<int64_t, int64_t>;
  using Out = double;
  Acc Create() const { return {0, 0}; }
  void Add(Acc& a, const AuctionWinner& w) const {
    a.first += w.bid.price;
    ++a.second;
  }
  void Merge(Acc& a, const Acc& b) const {
    a.first += b.first;
    a.second += b.second;
  }
  Out Result(const Acc& a) const { return static_cast<double>(a.first) / static_cast<double>(a.second); }
};

void BuildQ4(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto result = [](const int64_t& category, const double& avg) { return Q4Row{category, avg}; };
  auto rows = Winners(events, "q4")
                  .KeyBy([](const AuctionWinner& w) { return w.auction.category; })
                  .Process<Q4Row>("q4 average per category",
                                  operators::RunningAggregate<AuctionWinner, int64_t, ExactAvg, decltype(result)>(
                                      ExactAvg{}, kEmitEveryMs, result));
  SinkUpsert(rows, [](const Q4Row& r) { return r.category; }, out);
}

Checked ReferenceQ4(const std::vector<Event>& events, bool lines) {
  std::map<int64_t, ExactAvg::Acc> by_category;
  for (const auto& w : ReferenceWinners(events)) ExactAvg{}.Add(by_category[w.auction.category], w);
  std::vector<Q4Row> rows;
  for (const auto& [c, acc] : by_category) rows.push_back(Q4Row{c, ExactAvg{}.Result(acc)});
  return Reduce(rows, lines);
}

void BuildQ9(Stream<Event> events, std::shared_ptr<Checked> out) { SinkAppend(Winners(events, "q9"), out); }

Checked ReferenceQ9(const std::vector<Event>& events, bool lines) { return Reduce(ReferenceWinners(events), lines); }

}  // namespace

// ---- q5: hot items ----
// Per sliding window (10 s every 2 s), the auctions with the most bids.
// Rows carry the window's start beside Flink's (auction, num).

struct Q5Row {
  int64_t auction = 0;
  int64_t num = 0;
  int64_t start = 0;
  bool operator==(const Q5Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q5Row& r) {
    return H::combine(std::move(h), r.auction, r.num, r.start);
  }
};
std::string ToLine(const Q5Row& r) { return Num(r.start) + " " + Num(r.auction) + " " + Num(r.num); }

namespace {

constexpr int64_t kQ5Size = 10'000;
constexpr int64_t kQ5Slide = 2'000;

void BuildQ5(Stream<Event> events, std::shared_ptr<Checked> out) {
  using Counted = WindowResult<int64_t, int64_t>;
  auto hottest = operators::MaxWithRecordsOf<Counted>([](const Counted& c) { return c.value; });
  using Acc = decltype(hottest)::Acc;
  // Counts per auction and window, then per window (the results of one
  // window all carry its end - 1, so a tumbling window of the slide
  // gathers them) the counts that are the greatest.
  auto rows = Bids(events)
                  .KeyBy([](const Bid& b) { return b.auction; })
                  .Window(operators::Sliding(kQ5Size, kQ5Slide))
                  .Aggregate("q5 bids per auction", operators::Count{})
                  .KeyBy([](const Counted& c) { return c.start; })
                  .Window(operators::Tumbling(kQ5Slide))
                  .Aggregate("q5 hottest", hottest)
                  .FlatMap<Q5Row>("q5 rows", [](const WindowResult<int64_t, Acc>& r, auto emit) {
                    for (const Counted& c : r.value.second) emit(Q5Row{c.key, c.value, c.start});
                  });
  SinkAppend(rows, out);
}

Checked ReferenceQ5(const std::vector<Event>& events, bool lines) {
  std::map<int64_t, absl::flat_hash_map<int64_t, int64_t>> counts;  // start -> auction -> bids
  for (const Bid* b : All<Bid>(events)) {
    for (int64_t s = FloorDiv(b->date_time, kQ5Slide) * kQ5Slide; s > b->date_time - kQ5Size; s -= kQ5Slide) {
      ++counts[s][b->auction];
    }
  }
  std::vector<Q5Row> rows;
  for (const auto& [s, by_auction] : counts) {
    int64_t max = 0;
    for (const auto& [a, n] : by_auction) max = std::max(max, n);
    for (const auto& [a, n] : by_auction) {
      if (n == max) rows.push_back(Q5Row{a, n, s});
    }
  }
  return Reduce(rows, lines);
}

}  // namespace

// ---- q7: highest bid ----
// Per tumbling 10 s window, the bids at the window's greatest price
// (Flink's SQL also takes a bid at exactly the window's end, which belongs
// to the next window; here a bid counts in its own window only). One key:
// at parallelism above 1 the runtime splits the aggregate (a greatest per
// input instance, merged after the exchange; operators/local_global.h),
// so one instance merging a few partials per window is no bottleneck.

struct Q7Row {
  int64_t auction = 0;
  int64_t price = 0;
  int64_t bidder = 0;
  int64_t date_time = 0;
  std::string extra;
  bool operator==(const Q7Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q7Row& r) {
    return H::combine(std::move(h), r.auction, r.price, r.bidder, r.date_time, r.extra);
  }
};
std::string ToLine(const Q7Row& r) {
  return Num(r.auction) + " " + Num(r.price) + " " + Num(r.bidder) + " " + Num(r.date_time) + " " + r.extra;
}

namespace {

constexpr int64_t kQ7Window = 10'000;

void BuildQ7(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto top = operators::MaxWithRecordsOf<Bid>([](const Bid& b) { return b.price; });
  using Acc = decltype(top)::Acc;
  auto rows = Bids(events)
                  .KeyBy([](const Bid&) { return 0; })
                  .Window(operators::Tumbling(kQ7Window))
                  .Aggregate("q7 max", top)
                  .FlatMap<Q7Row>("q7 rows", [](const WindowResult<int, Acc>& r, auto emit) {
                    for (const Bid& b : r.value.second) emit(Q7Row{b.auction, b.price, b.bidder, b.date_time, b.extra});
                  });
  SinkAppend(rows, out);
}

Checked ReferenceQ7(const std::vector<Event>& events, bool lines) {
  std::map<int64_t, std::vector<const Bid*>> top;  // window start -> bids at its max
  for (const Bid* b : All<Bid>(events)) {
    auto& v = top[FloorDiv(b->date_time, kQ7Window)];
    if (v.empty() || b->price > v[0]->price) {
      v.assign(1, b);
    } else if (b->price == v[0]->price) {
      v.push_back(b);
    }
  }
  std::vector<Q7Row> rows;
  for (const auto& [w, bids] : top) {
    for (const Bid* b : bids) rows.push_back(Q7Row{b->auction, b->price, b->bidder, b->date_time, b->extra});
  }
  return Reduce(rows, lines);
}

}  // namespace

// ---- q8: monitor new users ----
// People who opened an auction in the tumbling 10 s window they registered
// in: a window join of persons and auctions on id = seller. Both of
// Flink's sides are grouped (one row per person and window), so the join
// is a co-group: one window aggregate over both kinds of records keeps
// the person's name and whether an auction came.

struct Q8Row {
  int64_t id = 0;
  std::string name;
  int64_t start = 0;
  bool operator==(const Q8Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q8Row& r) {
    return H::combine(std::move(h), r.id, r.name, r.start);
  }
};
std::string ToLine(const Q8Row& r) { return Num(r.id) + " " + r.name + " " + Num(r.start); }

namespace {

constexpr int64_t kQ8Window = 10'000;

struct Q8In {
  int64_t id = 0;
  std::optional<std::string> name;  // a person's; none: an auction of seller id
};

struct PersonWithAuction {
  using Acc = std::pair<std::optional<std::string>, bool>;
  using Out = Acc;
  Acc Create() const { return {std::nullopt, false}; }
  void Add(Acc& a, const Q8In& r) const {
    if (r.name) {
      a.first = r.name;
    } else {
      a.second = true;
    }
  }
  void Merge(Acc& a, const Acc& b) const {
    if (b.first) a.first = b.first;
    a.second = a.second || b.second;
  }
  Out Result(const Acc& a) const { return a; }
};

void BuildQ8(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto rows = events
                  .FlatMap<Q8In>("q8 persons and sellers",
                                 [](Event&& e, auto emit) {
                                   if (auto* p = std::get_if<Person>(&e)) emit(Q8In{p->id, std::move(p->name)});
                                   if (auto* a = std::get_if<Auction>(&e)) emit(Q8In{a->seller, std::nullopt});
                                 })
                  .KeyBy([](const Q8In& r) { return r.id; })
                  .Window(operators::Tumbling(kQ8Window))
                  .Aggregate("q8 window join", PersonWithAuction{})
                  .FlatMap<Q8Row>("q8 rows", [](const WindowResult<int64_t, PersonWithAuction::Acc>& r, auto emit) {
                    if (r.value.first && r.value.second) emit(Q8Row{r.key, *r.value.first, r.start});
                  });
  SinkAppend(rows, out);
}

Checked ReferenceQ8(const std::vector<Event>& events, bool lines) {
  std::map<std::pair<int64_t, int64_t>, const Person*> persons;  // (window, id)
  std::set<std::pair<int64_t, int64_t>> sellers;
  for (const Person* p : All<Person>(events)) persons[{FloorDiv(p->date_time, kQ8Window), p->id}] = p;
  for (const Auction* a : All<Auction>(events)) sellers.insert({FloorDiv(a->date_time, kQ8Window), a->seller});
  std::vector<Q8Row> rows;
  for (const auto& [k, p] : persons) {
    if (sellers.contains(k)) rows.push_back(Q8Row{p->id, p->name, k.first * kQ8Window});
  }
  return Reduce(rows, lines);
}

}  // namespace

// ---- q11: user sessions ----
// Bids per bidder in session windows with a 10 s gap. A session here is
// [first, last + gap) and two merge when they overlap; Flink also merges
// sessions that only touch (bids exactly 10 s apart are one session there,
// two here).

struct Q11Row {
  int64_t bidder = 0;
  int64_t bid_count = 0;
  int64_t start = 0;
  int64_t end = 0;
  bool operator==(const Q11Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q11Row& r) {
    return H::combine(std::move(h), r.bidder, r.bid_count, r.start, r.end);
  }
};
std::string ToLine(const Q11Row& r) {
  return Num(r.bidder) + " " + Num(r.bid_count) + " " + Num(r.start) + " " + Num(r.end);
}

namespace {

constexpr int64_t kQ11Gap = 10'000;

void BuildQ11(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto rows = Bids(events)
                  .KeyBy([](const Bid& b) { return b.bidder; })
                  .Window(operators::Session(kQ11Gap))
                  .Aggregate("q11 sessions", operators::Count{})
                  .Map("q11 rows", [](const WindowResult<int64_t, int64_t>& r) {
                    return Q11Row{r.key, r.value, r.start, r.end};
                  });
  SinkAppend(rows, out);
}

Checked ReferenceQ11(const std::vector<Event>& events, bool lines) {
  std::map<int64_t, std::vector<int64_t>> times;
  for (const Bid* b : All<Bid>(events)) times[b->bidder].push_back(b->date_time);
  std::vector<Q11Row> rows;
  for (auto& [bidder, ts] : times) {
    std::sort(ts.begin(), ts.end());
    Q11Row cur{bidder, 0, ts[0], ts[0] + kQ11Gap};
    for (int64_t t : ts) {
      if (t >= cur.end) {
        rows.push_back(cur);
        cur = Q11Row{bidder, 0, t, t + kQ11Gap};
      }
      ++cur.bid_count;
      cur.end = std::max(cur.end, t + kQ11Gap);
    }
    rows.push_back(cur);
  }
  return Reduce(rows, lines);
}

}  // namespace

// ---- q12: bids per bidder in processing-time windows ----
// Tumbling 10 s windows of processing time (Flink: TUMBLE(PROCTIME(), ...)).
// Which window a bid falls in depends on when it passes, so no reference
// can know the rows; the check is on each bidder's total over its windows
// (a running sum after the windows), which every correct run has.

struct Q12Total {
  int64_t bidder = 0;
  int64_t bid_count = 0;
  bool operator==(const Q12Total&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q12Total& r) {
    return H::combine(std::move(h), r.bidder, r.bid_count);
  }
};
std::string ToLine(const Q12Total& r) { return Num(r.bidder) + " " + Num(r.bid_count); }

namespace {

constexpr int64_t kQ12Window = 10'000;

struct SumWindowCounts {
  using Acc = int64_t;
  using Out = int64_t;
  Acc Create() const { return 0; }
  void Add(Acc& a, const WindowResult<int64_t, int64_t>& r) const { a += r.value; }
  void Merge(Acc& a, const Acc& b) const { a += b; }
  Out Result(const Acc& a) const { return a; }
};

void BuildQ12(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto total = [](const int64_t& bidder, const int64_t& n) { return Q12Total{bidder, n}; };
  auto rows = Bids(events)
                  .ProcessingTime("q12 processing time")
                  .KeyBy([](const Bid& b) { return b.bidder; })
                  .Window(operators::Tumbling(kQ12Window))
                  .Aggregate("q12 bids per bidder and window", operators::Count{})
                  .KeyBy([](const WindowResult<int64_t, int64_t>& r) { return r.key; })
                  .Process<Q12Total>("q12 check: total per bidder",
                                     operators::RunningAggregate<WindowResult<int64_t, int64_t>, int64_t,
                                                                 SumWindowCounts, decltype(total)>(
                                         SumWindowCounts{}, kEmitEveryMs, total));
  SinkUpsert(rows, [](const Q12Total& r) { return r.bidder; }, out);
}

Checked ReferenceQ12(const std::vector<Event>& events, bool lines) {
  std::map<int64_t, int64_t> totals;
  for (const Bid* b : All<Bid>(events)) ++totals[b->bidder];
  std::vector<Q12Total> rows;
  for (const auto& [bidder, n] : totals) rows.push_back(Q12Total{bidder, n});
  return Reduce(rows, lines);
}

}  // namespace

// ---- q15, q16, q17: bidding statistics (updating GROUP BY) ----
// Counts of bids by price range (under 10,000; under 1,000,000; more),
// distinct bidders and auctions in each, per day (q15), per channel and
// day (q16, with the latest minute); per auction and day (q17: counts and
// min, max, average (a double; Flink's is a BIGINT) and sum of prices).

namespace {

int Rank(int64_t price) { return price < 10'000 ? 1 : price < 1'000'000 ? 2 : 3; }

struct BidStats {
  std::array<int64_t, 4> bids{};  // [0] all, [1..3] by rank
  std::array<absl::flat_hash_set<int64_t>, 4> bidders;
  std::array<absl::flat_hash_set<int64_t>, 4> auctions;
  int64_t max_minute_ms = -1;  // of the day, q16's max(HH:mm)
  void Add(const Bid& b) {
    const int r = Rank(b.price);
    for (int i : {0, r}) {
      ++bids[i];
      bidders[i].insert(b.bidder);
      auctions[i].insert(b.auction);
    }
    max_minute_ms = std::max(max_minute_ms, MsOfDay(b.date_time));
  }
};
RIVULET_STATE_FIELDS(BidStats, bids, bidders, auctions, max_minute_ms)

struct BidStatsAgg {
  using Acc = BidStats;
  using Out = BidStats;
  Acc Create() const { return {}; }
  void Add(Acc& a, const Bid& b) const { a.Add(b); }
  void Merge(Acc& a, const Acc& b) const {
    for (int i = 0; i < 4; ++i) {
      a.bids[i] += b.bids[i];
      a.bidders[i].insert(b.bidders[i].begin(), b.bidders[i].end());
      a.auctions[i].insert(b.auctions[i].begin(), b.auctions[i].end());
    }
    a.max_minute_ms = std::max(a.max_minute_ms, b.max_minute_ms);
  }
  const Out& Result(const Acc& a) const { return a; }
};

}  // namespace

struct StatsRow {
  std::string group;  // q15: the day; q16: channel and day
  std::array<int64_t, 4> bids{};
  std::array<int64_t, 4> bidders{};
  std::array<int64_t, 4> auctions{};
  std::string minute;  // q16
  bool operator==(const StatsRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const StatsRow& r) {
    return H::combine(std::move(h), r.group, r.bids, r.bidders, r.auctions, r.minute);
  }
};
std::string ToLine(const StatsRow& r) {
  std::string s = r.group;
  for (const auto* a : {&r.bids, &r.bidders, &r.auctions}) {
    for (int64_t v : *a) s += " " + Num(v);
  }
  return s + (r.minute.empty() ? "" : " " + r.minute);
}

namespace {

StatsRow ToStatsRow(std::string group, const BidStats& s, bool minute) {
  StatsRow r;
  r.group = std::move(group);
  for (int i = 0; i < 4; ++i) {
    r.bids[i] = s.bids[i];
    r.bidders[i] = static_cast<int64_t>(s.bidders[i].size());
    r.auctions[i] = static_cast<int64_t>(s.auctions[i].size());
  }
  if (minute) r.minute = FormatMinute(s.max_minute_ms);
  return r;
}

// q15's key: the day; q16's: "channel day".
std::string Q16Key(const Bid& b) { return b.channel + " " + FormatDay(b.date_time); }

template <typename KeyFn>
void BuildStats(Stream<Event> events, std::shared_ptr<Checked> out, const char* name, KeyFn key, bool minute) {
  using K = std::decay_t<std::invoke_result_t<KeyFn, const Bid&>>;
  auto result = [minute](const K& k, const BidStats& s) {
    if constexpr (std::is_same_v<K, std::string>) {
      return ToStatsRow(k, s, minute);
    } else {
      return ToStatsRow(FormatDay(k * kDayMs), s, minute);
    }
  };
  auto rows = Bids(events).KeyBy(key).template Process<StatsRow>(
      name, operators::RunningAggregate<Bid, K, BidStatsAgg, decltype(result)>(BidStatsAgg{}, kEmitEveryMs, result));
  SinkUpsert(rows, [](const StatsRow& r) { return r.group; }, out);
}

int64_t DayOf(const Bid& b) { return FloorDiv(b.date_time, kDayMs); }

void BuildQ15(Stream<Event> events, std::shared_ptr<Checked> out) {
  BuildStats(events, out, "q15 statistics per day", DayOf, false);
}
void BuildQ16(Stream<Event> events, std::shared_ptr<Checked> out) {
  BuildStats(events, out, "q16 statistics per channel and day", Q16Key, true);
}

template <typename KeyFn>
Checked ReferenceStats(const std::vector<Event>& events, bool lines, KeyFn key, bool minute) {
  std::map<std::string, BidStats> stats;
  for (const Bid* b : All<Bid>(events)) stats[key(*b)].Add(*b);
  std::vector<StatsRow> rows;
  for (const auto& [k, s] : stats) rows.push_back(ToStatsRow(k, s, minute));
  return Reduce(rows, lines);
}
Checked ReferenceQ15(const std::vector<Event>& events, bool lines) {
  return ReferenceStats(events, lines, [](const Bid& b) { return FormatDay(b.date_time); }, false);
}
Checked ReferenceQ16(const std::vector<Event>& events, bool lines) {
  return ReferenceStats(events, lines, Q16Key, true);
}

}  // namespace

struct Q17Row {
  int64_t auction = 0;
  std::string day;
  std::array<int64_t, 4> bids{};
  int64_t min_price = 0;
  int64_t max_price = 0;
  double avg_price = 0;
  int64_t sum_price = 0;
  bool operator==(const Q17Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q17Row& r) {
    return H::combine(std::move(h), r.auction, r.day, r.bids, r.min_price, r.max_price, r.avg_price, r.sum_price);
  }
};
std::string ToLine(const Q17Row& r) {
  std::string s = Num(r.auction) + " " + r.day;
  for (int64_t v : r.bids) s += " " + Num(v);
  return s + " " + Num(r.min_price) + " " + Num(r.max_price) + " " + std::to_string(r.avg_price) + " " +
         Num(r.sum_price);
}

namespace {

struct AuctionStats {
  std::array<int64_t, 4> bids{};
  int64_t min = 0;
  int64_t max = 0;
  int64_t sum = 0;
  void Add(const Bid& b) {
    min = bids[0] ? std::min(min, b.price) : b.price;
    max = bids[0] ? std::max(max, b.price) : b.price;
    ++bids[0];
    ++bids[Rank(b.price)];
    sum += b.price;
  }
};
RIVULET_STATE_FIELDS(AuctionStats, bids, min, max, sum)

struct AuctionStatsAgg {
  using Acc = AuctionStats;
  using Out = AuctionStats;
  Acc Create() const { return {}; }
  void Add(Acc& a, const Bid& b) const { a.Add(b); }
  void Merge(Acc& a, const Acc& b) const {
    if (!b.bids[0]) return;
    a.min = a.bids[0] ? std::min(a.min, b.min) : b.min;
    a.max = a.bids[0] ? std::max(a.max, b.max) : b.max;
    for (int i = 0; i < 4; ++i) a.bids[i] += b.bids[i];
    a.sum += b.sum;
  }
  const Out& Result(const Acc& a) const { return a; }
};

// (auction, day) in one integer: days since 1970 fit in 20 bits until 4840.
int64_t Q17Key(const Bid& b) { return (b.auction << 20) | FloorDiv(b.date_time, kDayMs); }

Q17Row ToQ17Row(int64_t key, const AuctionStats& s) {
  return Q17Row{key >> 20,   FormatDay((key & ((1 << 20) - 1)) * kDayMs),
                s.bids,      s.min,
                s.max,       static_cast<double>(s.sum) / static_cast<double>(s.bids[0]),
                s.sum};
}

void BuildQ17(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto result = [](const int64_t& k, const AuctionStats& s) { return ToQ17Row(k, s); };
  auto rows = Bids(events).KeyBy(Q17Key).Process<Q17Row>(
      "q17 statistics per auction and day",
      operators::RunningAggregate<Bid, int64_t, AuctionStatsAgg, decltype(result)>(AuctionStatsAgg{}, kEmitEveryMs,
                                                                                   result));
  SinkUpsert(rows, [](const Q17Row& r) { return std::make_pair(r.auction, r.day); }, out);
}

Checked ReferenceQ17(const std::vector<Event>& events, bool lines) {
  absl::flat_hash_map<int64_t, AuctionStats> stats;
  for (const Bid* b : All<Bid>(events)) stats[Q17Key(*b)].Add(*b);
  std::vector<Q17Row> rows;
  for (const auto& [k, s] : stats) rows.push_back(ToQ17Row(k, s));
  return Reduce(rows, lines);
}

// ---- q18: the last bid of each bidder on each auction (updating) ----
// Flink's deduplication keeping the last row by time; ties between bids
// at one time go to the greatest by the rest of the bid, so the final row
// does not depend on arrival order.

bool EarlierBid(const Bid& a, const Bid& b) {
  return std::tie(a.date_time, a.price, a.channel, a.url, a.extra) <
         std::tie(b.date_time, b.price, b.channel, b.url, b.extra);
}

void BuildQ18(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto less = [](const Bid& a, const Bid& b) { return EarlierBid(a, b); };
  auto key = [](const Bid& b) { return std::to_string(b.bidder) + " " + std::to_string(b.auction); };
  auto rows = Bids(events).KeyBy(key).Process<Bid>("q18 last bid",
                                                   operators::KeepGreatest<Bid, std::string, decltype(less)>(less));
  SinkUpsert(rows, key, out);
}

Checked ReferenceQ18(const std::vector<Event>& events, bool lines) {
  std::map<std::pair<int64_t, int64_t>, const Bid*> last;
  for (const Bid* b : All<Bid>(events)) {
    auto& cur = last[{b->bidder, b->auction}];
    if (!cur || EarlierBid(*cur, *b)) cur = b;
  }
  std::vector<Bid> rows;
  for (const auto& [k, b] : last) rows.push_back(*b);
  return Reduce(rows, lines);
}

}  // namespace

// ---- q19: the ten highest bids of each auction (updating top-N) ----

using Q19Row = operators::Ranked<int64_t, Bid>;
std::string ToLine(const Q19Row& r) { return Num(r.key) + " #" + Num(r.rank) + " " + ToLine(r.value); }

namespace {

constexpr int32_t kQ19Top = 10;

void BuildQ19(Stream<Event> events, std::shared_ptr<Checked> out) {
  auto better = [](const Bid& a, const Bid& b) { return BetterBid(a, b); };
  auto rows = Bids(events)
                  .KeyBy([](const Bid& b) { return b.auction; })
                  .Process<Q19Row>("q19 top bids", operators::TopN<Bid, int64_t, decltype(better)>(kQ19Top, better));
  SinkUpsert(rows, [](const Q19Row& r) { return std::make_pair(r.key, r.rank); }, out);
}

Checked ReferenceQ19(const std::vector<Event>& events, bool lines) {
  std::map<int64_t, std::vector<Bid>> by_auction;
  for (const Bid* b : All<Bid>(events)) by_auction[b->auction].push_back(*b);
  std::vector<Q19Row> rows;
  for (auto& [a, bids] : by_auction) {
    std::sort(bids.begin(), bids.end(), BetterBid);
    for (size_t i = 0; i < std::min<size_t>(kQ19Top, bids.size()); ++i) {
      rows.push_back(Q19Row{a, static_cast<int32_t>(i), bids[i]});
    }
  }
  return Reduce(rows, lines);
}

}  // namespace

// ---- q20: bids with their auction, in category 10 ----
// Flink's regular join of bids and auctions on the auction id, which
// keeps every bid and auction; an auction id is unique, so the join keeps
// the auctions and only the bids still waiting for theirs
// (UniqueKeyJoin). Every auction joins, so that no bid waits forever for
// one the filter dropped; the category is tested on the joined pair.

struct Q20Row {
  Bid bid;
  Auction auction;
  bool operator==(const Q20Row&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Q20Row& r) {
    return H::combine(std::move(h), r.bid, r.auction);
  }
};
std::string ToLine(const Q20Row& r) { return ToLine(r.bid) + " | " + ToLine(r.auction); }

namespace {

void BuildQ20(Stream<Event> events, std::shared_ptr<Checked> out) {
  using BA = Either<Bid, Auction>;
  auto join = [](const Bid& b, const Auction& a) -> std::optional<Q20Row> {
    if (a.category != 10) return std::nullopt;
    return Q20Row{b, a};
  };
  auto rows = events
                  .FlatMap<BA>("q20 bids and auctions",
                               [](Event&& e, auto emit) {
                                 if (auto* b = std::get_if<Bid>(&e)) emit(BA(std::in_place_index<0>, std::move(*b)));
                                 if (auto* a = std::get_if<Auction>(&e)) emit(BA(std::in_place_index<1>, std::move(*a)));
                               })
                  .KeyBy(EitherKey{[](const Bid& b) { return b.auction; }, [](const Auction& a) { return a.id; }})
                  .Process<Q20Row>("q20 join",
                                   operators::UniqueKeyJoin<Bid, Auction, int64_t, Q20Row, decltype(join)>(join));
  SinkAppend(rows, out);
}

Checked ReferenceQ20(const std::vector<Event>& events, bool lines) {
  absl::flat_hash_map<int64_t, const Auction*> auctions;
  for (const Auction* a : All<Auction>(events)) {
    if (a->category == 10) auctions[a->id] = a;
  }
  std::vector<Q20Row> rows;
  for (const Bid* b : All<Bid>(events)) {
    if (auto it = auctions.find(b->auction); it != auctions.end()) rows.push_back(Q20Row{*b, *it->second});
  }
  return Reduce(rows, lines);
}

}  // namespace

std::vector<Query> StatefulQueries() {
  using K = QueryKind;
  return {
      {"q3", "local item suggestion: a regular join of persons and auctions", K::kJoin, BuildQ3, ReferenceQ3},
      {"q4", "average winning price per category: auctions joined with their bids, then averaged", K::kUpdating,
       BuildQ4, ReferenceQ4},
      {"q5", "hot items: the auctions with the most bids per sliding window", K::kWindowed, BuildQ5, ReferenceQ5},
      {"q7", "highest bid per tumbling window, joined back to its bids", K::kWindowed, BuildQ7, ReferenceQ7},
      {"q8", "monitor new users: a window join of persons and auctions", K::kWindowed, BuildQ8, ReferenceQ8},
      {"q9", "winning bids: each auction's best bid within its lifetime", K::kWindowed, BuildQ9, ReferenceQ9},
      {"q11", "user sessions: bids per bidder in session windows", K::kWindowed, BuildQ11, ReferenceQ11},
      {"q12", "bids per bidder in processing-time windows (checked on each bidder's total)", K::kUpdating, BuildQ12,
       ReferenceQ12},
      {"q15", "bidding statistics per day, with distinct counts", K::kUpdating, BuildQ15, ReferenceQ15},
      {"q16", "channel statistics per channel and day", K::kUpdating, BuildQ16, ReferenceQ16},
      {"q17", "auction statistics per auction and day", K::kUpdating, BuildQ17, ReferenceQ17},
      {"q18", "the last bid of each bidder on each auction", K::kUpdatingPerRecord, BuildQ18, ReferenceQ18},
      {"q19", "the ten highest bids of each auction", K::kUpdatingPerRecord, BuildQ19, ReferenceQ19},
      {"q20", "bids joined with their auction in category 10 (a regular join on a unique key)", K::kJoin, BuildQ20,
       ReferenceQ20},
  };
}

}  // namespace rivulet::jobs::nexmark

// The NEXMark queries that keep no state (queries.h): each looks at one
// bid at a time. Each is a filter (`Keep`) and a map (`Make`) of bids,
// shared by the job (filter, then map, then the sink) and by the reference
// loop, so the two differ only in what runs them. Rows are the columns of
// Flink's SQL for the query (nexmark-flink's queries/qN.sql).
//
// Decimals: Flink's 0.908 * price is a DECIMAL(23, 3); here the same
// number exactly, in thousandths (price * 908), printed with three
// decimals.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "jobs/nexmark/queries.h"

namespace rivulet::jobs::nexmark {

// ---- rows ----

// q1: the price in euros.
struct CurrencyRow {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price_milli = 0;  // 0.908 * price, in thousandths
  int64_t date_time = 0;
  std::string extra;
  bool operator==(const CurrencyRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const CurrencyRow& r) {
    return H::combine(std::move(h), r.auction, r.bidder, r.price_milli, r.date_time, r.extra);
  }
};

// q2: auction and price.
struct SelectionRow {
  int64_t auction = 0;
  int64_t price = 0;
  bool operator==(const SelectionRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const SelectionRow& r) {
    return H::combine(std::move(h), r.auction, r.price);
  }
};

// q10: the bid with its UTC date ("yyyy-MM-dd") and time ("HH:mm").
struct PartitionedRow {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  int64_t date_time = 0;
  std::string extra;
  std::string dt;
  std::string hm;
  bool operator==(const PartitionedRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const PartitionedRow& r) {
    return H::combine(std::move(h), r.auction, r.bidder, r.price, r.date_time, r.extra, r.dt, r.hm);
  }
};

// q13: the bid with the side input's value for its auction.
struct SideInputRow {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  int64_t date_time = 0;
  std::string value;
  bool operator==(const SideInputRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const SideInputRow& r) {
    return H::combine(std::move(h), r.auction, r.bidder, r.price, r.date_time, r.value);
  }
};

// q14: expensive bids, when in the day they came, and the c's in extra.
struct CalculationRow {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price_milli = 0;  // 0.908 * price, in thousandths
  std::string_view bid_time_type;  // a literal: "dayTime", "nightTime" or "otherTime"
  int64_t date_time = 0;
  std::string extra;
  int64_t c_counts = 0;
  bool operator==(const CalculationRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const CalculationRow& r) {
    return H::combine(std::move(h), r.auction, r.bidder, r.price_milli, r.bid_time_type, r.date_time, r.extra,
                      r.c_counts);
  }
};

// q21: the channel's id.
struct ChannelIdRow {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  std::string channel;
  std::string channel_id;
  bool operator==(const ChannelIdRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const ChannelIdRow& r) {
    return H::combine(std::move(h), r.auction, r.bidder, r.price, r.channel, r.channel_id);
  }
};

// q22: the url's directories 3, 4 and 5 (SPLIT_INDEX; null past the end).
struct UrlDirsRow {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  std::string channel;
  std::optional<std::string> dir1;
  std::optional<std::string> dir2;
  std::optional<std::string> dir3;
  bool operator==(const UrlDirsRow&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const UrlDirsRow& r) {
    return H::combine(std::move(h), r.auction, r.bidder, r.price, r.channel, r.dir1, r.dir2, r.dir3);
  }
};

namespace {

std::string Milli(int64_t v) { return fmt::format("{}.{:03}", v / 1000, v % 1000); }
std::string_view OrNull(const std::optional<std::string>& s) { return s ? std::string_view(*s) : "null"; }

}  // namespace

std::string ToLine(const CurrencyRow& r) {
  return fmt::format("{},{},{},{},{}", r.auction, r.bidder, Milli(r.price_milli), r.date_time, r.extra);
}
std::string ToLine(const SelectionRow& r) { return fmt::format("{},{}", r.auction, r.price); }
std::string ToLine(const PartitionedRow& r) {
  return fmt::format("{},{},{},{},{},{},{}", r.auction, r.bidder, r.price, r.date_time, r.extra, r.dt, r.hm);
}
std::string ToLine(const SideInputRow& r) {
  return fmt::format("{},{},{},{},{}", r.auction, r.bidder, r.price, r.date_time, r.value);
}
std::string ToLine(const CalculationRow& r) {
  return fmt::format("{},{},{},{},{},{},{}", r.auction, r.bidder, Milli(r.price_milli), r.bid_time_type, r.date_time,
                     r.extra, r.c_counts);
}
std::string ToLine(const ChannelIdRow& r) {
  return fmt::format("{},{},{},{},{}", r.auction, r.bidder, r.price, r.channel, r.channel_id);
}
std::string ToLine(const UrlDirsRow& r) {
  return fmt::format("{},{},{},{},{},{},{}", r.auction, r.bidder, r.price, r.channel, OrNull(r.dir1), OrNull(r.dir2),
                     OrNull(r.dir3));
}

namespace {

constexpr int64_t kEuroPerDollarMilli = 908;  // 0.908, in thousandths

int HourOf(int64_t ms) { return static_cast<int>(MsOfDay(ms) / 3'600'000); }

// REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2): the value of the
// first channel_id parameter at the start of `url` or after a '&'.
std::optional<std::string_view> ChannelIdParam(std::string_view url) {
  static constexpr std::string_view kKey = "channel_id=";
  for (size_t at = url.find(kKey); at != std::string_view::npos; at = url.find(kKey, at + 1)) {
    if (at != 0 && url[at - 1] != '&') continue;
    const size_t begin = at + kKey.size();
    const size_t end = url.find('&', begin);
    return url.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
  }
  return std::nullopt;
}

// q21's channel id: the hot channels' fixed ids (case-insensitive, as
// lower(channel)), else the url's channel_id; none: the bid is dropped.
std::optional<std::string_view> ChannelId(const Bid& b) {
  static constexpr std::pair<std::string_view, std::string_view> kHot[] = {
      {"apple", "0"}, {"google", "1"}, {"facebook", "2"}, {"baidu", "3"}};
  for (const auto& [name, id] : kHot) {
    if (b.channel.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < name.size(); ++i) {
      const char ch = b.channel[i];
      same = (ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch) == name[i];
    }
    if (same) return id;
  }
  return ChannelIdParam(b.url);
}

// SPLIT_INDEX(s, '/', i): field i (from 0) of s split at '/', null past the end.
std::optional<std::string> SplitIndex(std::string_view s, int index) {
  size_t begin = 0;
  for (int i = 0; i < index; ++i) {
    const size_t slash = s.find('/', begin);
    if (slash == std::string_view::npos) return std::nullopt;
    begin = slash + 1;
  }
  const size_t end = s.find('/', begin);
  return std::string(s.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
}

// Flink's side_input.txt for q13: lines "i,i" for i in [0, 10000).
using SideInput = absl::flat_hash_map<int64_t, std::string>;
constexpr int64_t kSideInputRows = 10'000;
std::shared_ptr<const SideInput> MakeSideInput() {
  static const std::shared_ptr<const SideInput> table = [] {
    auto t = std::make_shared<SideInput>();
    t->reserve(kSideInputRows);
    for (int64_t i = 0; i < kSideInputRows; ++i) t->emplace(i, std::to_string(i));
    return t;
  }();
  return table;
}
// SQL's MOD: the sign of the dividend.
int64_t SideInputKey(const Bid& b) { return b.auction % kSideInputRows; }
SideInputRow JoinSideInput(const Bid& b, const std::string& value) {
  return SideInputRow{b.auction, b.bidder, b.price, b.date_time, value};
}

const Bid& BidOf(const Event& e) { return *std::get_if<Bid>(&e); }

// A query of bids: keep(bid) selects, make(bid) -> Row.
template <typename Keep, typename Make>
Query BidQuery(std::string name, std::string title, Keep keep, Make make) {
  using Row = std::decay_t<std::invoke_result_t<Make, Bid&&>>;
  Query q;
  q.name = name;
  q.title = std::move(title);
  q.kind = QueryKind::kStateless;
  q.build = [name, keep, make](operators::Stream<Event> events, std::shared_ptr<Checked> out) {
    auto kept = events.Filter(name + " bids", [keep](const Event& e) {
      const Bid* b = std::get_if<Bid>(&e);
      return b && keep(*b);
    });
    // The event is the map's own: its bid moves into make (q0's row is the bid itself).
    SinkAppend(kept.Map(name, [make](Event&& e) -> Row { return make(std::get<Bid>(std::move(e))); }),
               std::move(out));
  };
  q.reference = [keep, make](const std::vector<Event>& events, bool collect_lines) {
    Checked c;
    c.collect_lines = collect_lines;
    for (const Event& e : events) {
      const Bid* b = std::get_if<Bid>(&e);
      if (b && keep(*b)) c.Add(make(*b));
    }
    c.Finish();
    return c;
  };
  return q;
}

constexpr auto kAll = [](const Bid&) { return true; };

Query SideInputQuery() {
  Query q;
  q.name = "q13";
  q.title = "bounded side input join (auction % 10000 -> a table of 10,000 rows)";
  q.kind = QueryKind::kStateless;
  q.build = [](operators::Stream<Event> events, std::shared_ptr<Checked> out) {
    auto bids = events.Filter("q13 bids", [](const Event& e) { return std::holds_alternative<Bid>(e); });
    SinkAppend(bids.Enrich("q13", MakeSideInput(), [](const Event& e) { return SideInputKey(BidOf(e)); },
                           [](const Event& e, const std::string* value) -> std::optional<SideInputRow> {
                             if (!value) return std::nullopt;
                             return JoinSideInput(BidOf(e), *value);
                           }),
               std::move(out));
  };
  q.reference = [](const std::vector<Event>& events, bool collect_lines) {
    const auto table = MakeSideInput();
    Checked c;
    c.collect_lines = collect_lines;
    for (const Event& e : events) {
      const Bid* b = std::get_if<Bid>(&e);
      if (!b) continue;
      auto it = table->find(SideInputKey(*b));
      if (it != table->end()) c.Add(JoinSideInput(*b, it->second));
    }
    c.Finish();
    return c;
  };
  return q;
}

}  // namespace

std::vector<Query> StatelessQueries() {
  std::vector<Query> v;
  v.push_back(BidQuery("q0", "pass through (the bids)", kAll, [](Bid b) { return b; }));
  v.push_back(BidQuery("q1", "currency conversion (0.908 * price)", kAll, [](const Bid& b) {
    return CurrencyRow{b.auction, b.bidder, b.price * kEuroPerDollarMilli, b.date_time, b.extra};
  }));
  v.push_back(BidQuery("q2", "selection (auction % 123 == 0)", [](const Bid& b) { return b.auction % 123 == 0; },
                       [](const Bid& b) { return SelectionRow{b.auction, b.price}; }));
  v.push_back(BidQuery("q10", "the bids with their UTC date and hh:mm (Flink writes them to partitioned files)",
                       kAll, [](const Bid& b) {
                         return PartitionedRow{b.auction, b.bidder,          b.price, b.date_time,
                                               b.extra,   FormatDay(b.date_time), FormatMinute(b.date_time)};
                       }));
  v.push_back(SideInputQuery());
  v.push_back(BidQuery(
      "q14", "calculation (a UDF: expensive bids, day/night, the c's in extra)",
      [](const Bid& b) {
        const int64_t euro_milli = b.price * kEuroPerDollarMilli;
        return euro_milli > 1'000'000 * int64_t{1000} && euro_milli < 50'000'000 * int64_t{1000};
      },
      [](const Bid& b) {
        const int hour = HourOf(b.date_time);
        const std::string_view type = hour >= 8 && hour <= 18  ? "dayTime"
                                      : hour <= 6 || hour >= 20 ? "nightTime"
                                                                : "otherTime";
        int64_t cs = 0;
        for (char ch : b.extra) cs += ch == 'c';
        return CalculationRow{b.auction, b.bidder, b.price * kEuroPerDollarMilli, type, b.date_time, b.extra, cs};
      }));
  v.push_back(BidQuery("q21", "the channel's id (hot channels by name, others from the url)",
                       [](const Bid& b) { return ChannelId(b).has_value(); },
                       [](const Bid& b) {
                         return ChannelIdRow{b.auction, b.bidder, b.price, b.channel, std::string(*ChannelId(b))};
                       }));
  v.push_back(BidQuery("q22", "the url's directories (SPLIT_INDEX 3, 4, 5)", kAll, [](const Bid& b) {
    return UrlDirsRow{b.auction, b.bidder, b.price, b.channel, SplitIndex(b.url, 3), SplitIndex(b.url, 4),
                      SplitIndex(b.url, 5)};
  }));
  return v;
}

}  // namespace rivulet::jobs::nexmark

// The NEXMark event generator (model.h), re-expressed from the reference
// Flink's suite runs (github.com/nexmark/nexmark, nexmark-flink's
// generator/): event ids pick the kind of event and bound the person and
// auction ids an event may name; each event draws its fields from its own
// random sequence, seeded by its id, so MakeEvent(c, n) is pure.
//
// Where we differ from the reference, and why:
// - the reference draws from one unseeded generator shared by all events,
//   and builds its hot urls and channel table from unseeded draws too; here
//   every draw is seeded (per event, or a fixed seed for the tables), so two
//   runs produce the same events;
// - the reference adds FIRST_PERSON_ID to a bid's bidder twice (bidders land
//   1000 ids above the people they mean); here once, so bidders are people.
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "jobs/nexmark/model.h"

namespace rivulet::jobs::nexmark {

namespace {

constexpr int64_t kFirstPersonId = 1000;
constexpr int64_t kFirstAuctionId = 1000;
constexpr int64_t kFirstCategoryId = 10;
constexpr int64_t kNumCategories = 5;
constexpr int64_t kPersonIdLead = 10;   // ids of people not yet created a bid or auction may name
constexpr int64_t kAuctionIdLead = 10;  // the same for auctions
constexpr int64_t kHotBatch = 100;      // a hot auction/seller/bidder is the first (second) of a batch of 100 ids
constexpr int32_t kHotChannelsRatio = 2;
constexpr int32_t kChannels = 10'000;
constexpr int kMinStringLength = 3;
constexpr size_t kExtraPoolBytes = 1 << 20;

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014), the generator behind Java's SplittableRandom.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(Mix64(seed ^ 0x6a09e667f3bcc909ULL)) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // Uniform in [0, bound), bound > 0 (multiply-shift: bias below 2^-32).
  int32_t Int(int32_t bound) {
    return static_cast<int32_t>(((Next() >> 32) * static_cast<uint64_t>(bound)) >> 32);
  }
  int64_t Long(int64_t bound) {
    if (bound < (int64_t{1} << 31)) return Int(static_cast<int32_t>(bound));
    return static_cast<int64_t>(Next() % static_cast<uint64_t>(bound));
  }
  double Double() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

const std::array<const char*, 6> kStates = {"AZ", "CA", "ID", "OR", "WA", "WY"};
const std::array<const char*, 10> kCities = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
                                             "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
const std::array<const char*, 11> kFirstNames = {"Peter", "Paul",  "Luke",  "John",   "Saul",  "Vicky",
                                                 "Kate",  "Julie", "Sarah", "Deiter", "Walter"};
const std::array<const char*, 9> kLastNames = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                               "Walton", "Smith",  "Jones",   "Noris"};
const std::array<const char*, 4> kHotChannels = {"Google", "Facebook", "Baidu", "Apple"};

// kMinStringLength to max_length - 1 letters, about one in 13 `special`,
// without leading or trailing blanks (as Java's trim()).
std::string NextString(Rng& rng, int max_length, char special = ' ') {
  int len = kMinStringLength + rng.Int(max_length - kMinStringLength);
  std::string s;
  s.reserve(static_cast<size_t>(len));
  while (len-- > 0) s.push_back(rng.Int(13) == 0 ? special : static_cast<char>('a' + rng.Int(26)));
  const size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

// 1 MiB of random letters, from a fixed seed: extras are slices of it.
const std::string& ExtraPool() {
  static const std::string pool = [] {
    Rng rng(0x4e45584d41524bULL);  // "NEXMARK"
    std::string s(kExtraPoolBytes, 'a');
    for (char& ch : s) ch = static_cast<char>('a' + rng.Int(26));
    return s;
  }();
  return pool;
}

// A string that brings an event of `current` bytes to `average` bytes on
// average (uniform within +-20%), or "" when it is already larger.
std::string NextExtra(Rng& rng, int current, int average) {
  if (current > average) return {};
  const int want = average - current;
  const int delta = static_cast<int>(std::lround(want * 0.2));
  const int size = want - delta + (delta == 0 ? 0 : rng.Int(2 * delta));
  const std::string& pool = ExtraPool();
  if (static_cast<size_t>(size) >= pool.size() / 2) {
    std::string s(static_cast<size_t>(size), 'a');
    for (char& ch : s) ch = static_cast<char>('a' + rng.Int(26));
    return s;
  }
  const auto offset = static_cast<size_t>(rng.Int(static_cast<int32_t>(pool.size() - static_cast<size_t>(size))));
  return pool.substr(offset, static_cast<size_t>(size));
}

// 10^(u*6) * 100 rounded: cents from 1 to 100,000,000, log-uniform.
int64_t NextPrice(Rng& rng) { return std::llround(std::pow(10.0, rng.Double() * 6.0) * 100.0); }

std::string BaseUrl(Rng& rng) {
  return "https://www.nexmark.com/" + NextString(rng, 5, '_') + '/' + NextString(rng, 5, '_') + '/' +
         NextString(rng, 5, '_') + '/' + "item.htm?query=1";
}

struct Channel {
  std::string name;
  std::string url;
};

// The hot channels' urls and the 10,000 other channels ("channel-N"; nine
// in ten urls carry a channel_id, N's 32 bits reversed, as the reference
// writes it: Java's Math.abs of an int, so bit 31 alone stays negative).
struct Channels {
  std::array<std::string, 4> hot_urls;
  std::vector<Channel> others;
};
const Channels& ChannelTable() {
  static const Channels table = [] {
    Channels t;
    Rng rng(0x6368616e6e656cULL);  // "channel"
    for (auto& u : t.hot_urls) u = BaseUrl(rng);
    t.others.reserve(kChannels);
    for (int32_t i = 0; i < kChannels; ++i) {
      std::string url = BaseUrl(rng);
      if (rng.Int(10) > 0) {
        uint32_t r = static_cast<uint32_t>(i);
        r = ((r >> 1) & 0x55555555u) | ((r & 0x55555555u) << 1);
        r = ((r >> 2) & 0x33333333u) | ((r & 0x33333333u) << 2);
        r = ((r >> 4) & 0x0f0f0f0fu) | ((r & 0x0f0f0f0fu) << 4);
        r = ((r >> 8) & 0x00ff00ffu) | ((r & 0x00ff00ffu) << 8);
        r = (r >> 16) | (r << 16);
        const auto v = static_cast<int32_t>(r);
        const int64_t abs = v == INT32_MIN ? v : (v < 0 ? -int64_t{v} : v);
        url += "&channel_id=" + std::to_string(abs);
      }
      t.others.push_back(Channel{"channel-" + std::to_string(i), std::move(url)});
    }
    return t;
  }();
  return table;
}

int64_t TotalProportion(const GeneratorConfig& c) {
  return int64_t{c.person_proportion} + c.auction_proportion + c.bid_proportion;
}

// The last person id (base 0) created at or before event `id`.
int64_t LastBase0PersonId(const GeneratorConfig& c, int64_t id) {
  const int64_t epoch = id / TotalProportion(c);
  int64_t offset = id % TotalProportion(c);
  if (offset >= c.person_proportion) offset = c.person_proportion - 1;
  return epoch * c.person_proportion + offset;
}

// The last auction id (base 0) created at or before event `id` (-1 before the first).
int64_t LastBase0AuctionId(const GeneratorConfig& c, int64_t id) {
  int64_t epoch = id / TotalProportion(c);
  int64_t offset = id % TotalProportion(c);
  if (offset < c.person_proportion) {
    --epoch;
    offset = c.auction_proportion - 1;
  } else if (offset >= c.person_proportion + c.auction_proportion) {
    offset = c.auction_proportion - 1;
  } else {
    offset -= c.person_proportion;
  }
  return epoch * c.auction_proportion + offset;
}

// One of the active people, or a few ids ahead of the last one (the
// reference's lead: a person may appear in a bid just before its creation).
int64_t NextBase0PersonId(const GeneratorConfig& c, int64_t id, Rng& rng) {
  const int64_t people = LastBase0PersonId(c, id) + 1;
  const int64_t active = std::min<int64_t>(people, c.num_active_people);
  return people - active + rng.Long(active + kPersonIdLead);
}

// One of the auctions likely in flight, or a few ids ahead.
int64_t NextBase0AuctionId(const GeneratorConfig& c, int64_t id, Rng& rng) {
  const int64_t max_auction = LastBase0AuctionId(c, id);
  const int64_t min_auction = std::max<int64_t>(max_auction - c.num_in_flight_auctions, 0);
  return min_auction + rng.Long(max_auction - min_auction + 1 + kAuctionIdLead);
}

int64_t TimestampOf(const GeneratorConfig& c, int64_t n) {
  const double inter_event_delay_us = 1'000'000.0 / c.events_per_second;
  return c.base_time_ms + static_cast<int64_t>(static_cast<double>(n) * inter_event_delay_us) / 1000;
}

Person MakePerson(const GeneratorConfig& c, int64_t id, int64_t ts, Rng& rng) {
  Person p;
  p.id = LastBase0PersonId(c, id) + kFirstPersonId;
  p.name = std::string(kFirstNames[static_cast<size_t>(rng.Int(kFirstNames.size()))]) + ' ' +
           kLastNames[static_cast<size_t>(rng.Int(kLastNames.size()))];
  p.email_address = NextString(rng, 7) + '@' + NextString(rng, 5) + ".com";
  char card[24];
  std::snprintf(card, sizeof(card), "%04d %04d %04d %04d", rng.Int(10'000), rng.Int(10'000), rng.Int(10'000),
                rng.Int(10'000));
  p.credit_card = card;
  p.city = kCities[static_cast<size_t>(rng.Int(kCities.size()))];
  p.state = kStates[static_cast<size_t>(rng.Int(kStates.size()))];
  p.date_time = ts;
  const size_t current =
      8 + p.name.size() + p.email_address.size() + p.credit_card.size() + p.city.size() + p.state.size();
  p.extra = NextExtra(rng, static_cast<int>(current), c.avg_person_bytes);
  return p;
}

Auction MakeAuction(const GeneratorConfig& c, int64_t n, int64_t id, int64_t ts, Rng& rng) {
  Auction a;
  a.id = LastBase0AuctionId(c, id) + kFirstAuctionId;
  // A hot seller (the first of the last batch of 100 people) but for one in hot_sellers_ratio.
  if (rng.Int(c.hot_sellers_ratio) > 0) {
    a.seller = LastBase0PersonId(c, id) / kHotBatch * kHotBatch;
  } else {
    a.seller = NextBase0PersonId(c, id, rng);
  }
  a.seller += kFirstPersonId;
  a.category = kFirstCategoryId + rng.Int(kNumCategories);
  a.initial_bid = NextPrice(rng);
  // Lasts on average until num_in_flight_auctions more auctions were created.
  const int64_t events_for_auctions =
      int64_t{c.num_in_flight_auctions} * TotalProportion(c) / c.auction_proportion;
  const int64_t horizon_ms = TimestampOf(c, n + events_for_auctions) - ts;
  a.expires = ts + 1 + rng.Long(std::max<int64_t>(horizon_ms * 2, 1));
  a.item_name = NextString(rng, 20);
  a.description = NextString(rng, 100);
  a.reserve = a.initial_bid + NextPrice(rng);
  a.date_time = ts;
  const size_t current = 8 + a.item_name.size() + a.description.size() + 8 + 8 + 8 + 8 + 8;
  a.extra = NextExtra(rng, static_cast<int>(current), c.avg_auction_bytes);
  return a;
}

Bid MakeBid(const GeneratorConfig& c, int64_t id, int64_t ts, Rng& rng) {
  Bid b;
  // A hot auction (the first of the last batch of 100) but for one in hot_auction_ratio.
  if (rng.Int(c.hot_auction_ratio) > 0) {
    b.auction = LastBase0AuctionId(c, id) / kHotBatch * kHotBatch;
  } else {
    b.auction = NextBase0AuctionId(c, id, rng);
  }
  b.auction += kFirstAuctionId;
  // A hot bidder (the second of the last batch of 100 people, apart from
  // the hot sellers) but for one in hot_bidders_ratio.
  if (rng.Int(c.hot_bidders_ratio) > 0) {
    b.bidder = LastBase0PersonId(c, id) / kHotBatch * kHotBatch + 1;
  } else {
    b.bidder = NextBase0PersonId(c, id, rng);
  }
  b.bidder += kFirstPersonId;
  b.price = NextPrice(rng);
  const Channels& channels = ChannelTable();
  if (rng.Int(kHotChannelsRatio) > 0) {
    const auto i = static_cast<size_t>(rng.Int(kHotChannels.size()));
    b.channel = kHotChannels[i];
    b.url = channels.hot_urls[i];
  } else {
    const Channel& ch = channels.others[static_cast<size_t>(rng.Int(kChannels))];
    b.channel = ch.name;
    b.url = ch.url;
  }
  b.date_time = ts;
  b.extra = NextExtra(rng, 8 + 8 + 8 + 8, c.avg_bid_bytes);
  return b;
}

}  // namespace

Status Validate(const GeneratorConfig& c) {
  if (c.events < 0) return Status(Errc::kInvalidArgument, "events must not be negative");
  if (c.first_event_id < 0) return Status(Errc::kInvalidArgument, "first_event_id must not be negative");
  if (!(c.events_per_second > 0)) return Status(Errc::kInvalidArgument, "events_per_second must be positive");
  if (c.person_proportion <= 0 || c.auction_proportion <= 0 || c.bid_proportion <= 0) {
    return Status(Errc::kInvalidArgument, "the person, auction and bid proportions must be positive");
  }
  if (c.hot_auction_ratio <= 0 || c.hot_sellers_ratio <= 0 || c.hot_bidders_ratio <= 0) {
    return Status(Errc::kInvalidArgument, "the hot auction, seller and bidder ratios must be positive");
  }
  if (c.num_in_flight_auctions <= 0 || c.num_active_people <= 0) {
    return Status(Errc::kInvalidArgument, "num_in_flight_auctions and num_active_people must be positive");
  }
  if (c.avg_person_bytes < 0 || c.avg_auction_bytes < 0 || c.avg_bid_bytes < 0) {
    return Status(Errc::kInvalidArgument, "the average sizes must not be negative");
  }
  return Status::Ok();
}

Event MakeEvent(const GeneratorConfig& c, int64_t n) {
  const int64_t id = c.first_event_id + n;
  const int64_t ts = TimestampOf(c, n);
  Rng rng(static_cast<uint64_t>(id));
  const int64_t rem = id % TotalProportion(c);
  if (rem < c.person_proportion) return MakePerson(c, id, ts, rng);
  if (rem < c.person_proportion + c.auction_proportion) return MakeAuction(c, n, id, ts, rng);
  return MakeBid(c, id, ts, rng);
}

std::vector<Event> MakeEvents(const GeneratorConfig& c) {
  std::vector<Event> v;
  v.reserve(static_cast<size_t>(std::max<int64_t>(c.events, 0)));
  for (int64_t n = 0; n < c.events; ++n) v.push_back(MakeEvent(c, n));
  return v;
}

}  // namespace rivulet::jobs::nexmark

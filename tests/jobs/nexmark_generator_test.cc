// The NEXMark generator (jobs/nexmark/generator.cc): the mix of events,
// their times, ids that refer back to what was generated, the hot shares,
// the sizes, and that an event depends on its number alone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jobs/nexmark/model.h"

namespace rivulet::jobs::nexmark {
namespace {

constexpr int64_t kFirstId = 1000;  // the reference's first person and auction id
constexpr int64_t kLead = 10;       // ids a little ahead of the last created one may be named

GeneratorConfig Config(int64_t events) {
  GeneratorConfig c;
  c.events = events;
  return c;
}

TEST(NexmarkGeneratorTest, OnePersonThreeAuctionsFortySixBidsInEveryFiftyEvents) {
  const auto events = MakeEvents(Config(50 * 200));
  for (size_t block = 0; block < events.size(); block += 50) {
    int persons = 0, auctions = 0, bids = 0;
    for (size_t i = block; i < block + 50; ++i) {
      persons += std::holds_alternative<Person>(events[i]);
      auctions += std::holds_alternative<Auction>(events[i]);
      bids += std::holds_alternative<Bid>(events[i]);
    }
    ASSERT_EQ(persons, 1) << "block at " << block;
    ASSERT_EQ(auctions, 3) << "block at " << block;
    ASSERT_EQ(bids, 46) << "block at " << block;
  }
  // In the reference's order: the person first, then the auctions.
  EXPECT_TRUE(std::holds_alternative<Person>(events[0]));
  EXPECT_TRUE(std::holds_alternative<Auction>(events[1]));
  EXPECT_TRUE(std::holds_alternative<Auction>(events[3]));
  EXPECT_TRUE(std::holds_alternative<Bid>(events[4]));
}

TEST(NexmarkGeneratorTest, EventTimeAdvancesAtTheConfiguredRate) {
  GeneratorConfig c = Config(5000);
  c.events_per_second = 1000;  // one per ms
  const auto events = MakeEvents(c);
  for (int64_t n = 0; n < c.events; ++n) ASSERT_EQ(EventTime(events[static_cast<size_t>(n)]), c.base_time_ms + n);
  c.events_per_second = 4000;  // four per ms
  EXPECT_EQ(EventTime(MakeEvent(c, 7)), c.base_time_ms + 1);
  EXPECT_EQ(EventTime(MakeEvent(c, 8)), c.base_time_ms + 2);
  c.events_per_second = 10;  // 100 ms apart
  EXPECT_EQ(EventTime(MakeEvent(c, 3)), c.base_time_ms + 300);
}

TEST(NexmarkGeneratorTest, IdsReferToPeopleAndAuctionsGeneratedBefore) {
  const auto events = MakeEvents(Config(100'000));
  int64_t last_person = kFirstId - 1, last_auction = kFirstId - 1;
  int64_t bids = 0, ahead = 0;
  for (const Event& e : events) {
    if (const auto* p = std::get_if<Person>(&e)) {
      ASSERT_EQ(p->id, last_person + 1) << "people are numbered in order";
      last_person = p->id;
    } else if (const auto* a = std::get_if<Auction>(&e)) {
      ASSERT_EQ(a->id, last_auction + 1) << "auctions are numbered in order";
      last_auction = a->id;
      ASSERT_GE(a->seller, kFirstId);
      ASSERT_LE(a->seller, last_person + kLead) << ToLine(*a);
      ASSERT_GT(a->expires, a->date_time);
    } else {
      const Bid& b = std::get<Bid>(e);
      ++bids;
      ASSERT_GE(b.auction, kFirstId);
      ASSERT_LE(b.auction, last_auction + kLead) << ToLine(b);
      ASSERT_GE(b.bidder, kFirstId);
      ASSERT_LE(b.bidder, last_person + kLead) << ToLine(b);
      ahead += b.auction > last_auction || b.bidder > last_person;
    }
  }
  // The lead is used, but rarely: a random auction (half the bids) is one
  // of the last 101 or the 10 ahead, a random bidder (a quarter) one of the
  // last 1000 people or the 10 ahead: about 5% in all.
  EXPECT_GT(ahead, bids / 50);
  EXPECT_LT(ahead, bids / 10);
}

TEST(NexmarkGeneratorTest, HotAuctionsSellersAndBiddersTakeTheirShares) {
  const GeneratorConfig c = Config(200'000);
  const auto events = MakeEvents(c);
  int64_t last_person = kFirstId - 1, last_auction = kFirstId - 1;
  int64_t bids = 0, hot_auction = 0, hot_bidder = 0, auctions = 0, hot_seller = 0;
  for (const Event& e : events) {
    if (const auto* p = std::get_if<Person>(&e)) {
      last_person = p->id;
    } else if (const auto* a = std::get_if<Auction>(&e)) {
      ++auctions;
      // The hot seller: the first of the last batch of 100 people.
      hot_seller += a->seller == (last_person - kFirstId) / 100 * 100 + kFirstId;
      last_auction = a->id;
    } else {
      const Bid& b = std::get<Bid>(e);
      ++bids;
      hot_auction += b.auction == (last_auction - kFirstId) / 100 * 100 + kFirstId;
      hot_bidder += b.bidder == (last_person - kFirstId) / 100 * 100 + 1 + kFirstId;
    }
  }
  // 1 - 1/ratio hot, plus the random picks that land on the hot one.
  const auto share = [](int64_t part, int64_t whole) { return static_cast<double>(part) / static_cast<double>(whole); };
  EXPECT_NEAR(share(hot_auction, bids), 1.0 - 1.0 / c.hot_auction_ratio, 0.03);
  EXPECT_NEAR(share(hot_bidder, bids), 1.0 - 1.0 / c.hot_bidders_ratio, 0.03);
  EXPECT_NEAR(share(hot_seller, auctions), 1.0 - 1.0 / c.hot_sellers_ratio, 0.03);
}

TEST(NexmarkGeneratorTest, AnEventDependsOnItsNumberAlone) {
  const GeneratorConfig c = Config(3000);
  const auto events = MakeEvents(c);
  for (int64_t n : {0, 1, 4, 49, 50, 1234, 2999}) EXPECT_EQ(MakeEvent(c, n), events[static_cast<size_t>(n)]) << n;
  EXPECT_EQ(MakeEvents(c), events);
  EXPECT_NE(MakeEvent(c, 5), MakeEvent(c, 6));
  // Another first id is another sequence.
  GeneratorConfig shifted = c;
  shifted.first_event_id = 50;
  EXPECT_NE(MakeEvent(shifted, 4), events[4]);
  EXPECT_EQ(std::get<Person>(MakeEvent(shifted, 0)).id, kFirstId + 1);
}

TEST(NexmarkGeneratorTest, SizesAverageTheConfiguredBytes) {
  const GeneratorConfig c = Config(100'000);
  double person = 0, auction = 0, bid = 0;
  int64_t persons = 0, auctions = 0, bids = 0;
  for (const Event& e : MakeEvents(c)) {
    // Counted as the reference counts them: 8 bytes a number.
    if (const auto* p = std::get_if<Person>(&e)) {
      ++persons;
      person += static_cast<double>(8 + p->name.size() + p->email_address.size() + p->credit_card.size() +
                                    p->city.size() + p->state.size() + p->extra.size());
    } else if (const auto* a = std::get_if<Auction>(&e)) {
      ++auctions;
      auction += static_cast<double>(40 + 8 + a->item_name.size() + a->description.size() + a->extra.size());
    } else {
      ++bids;
      bid += static_cast<double>(32 + std::get<Bid>(e).extra.size());
    }
  }
  EXPECT_NEAR(person / static_cast<double>(persons), c.avg_person_bytes, c.avg_person_bytes * 0.05);
  EXPECT_NEAR(auction / static_cast<double>(auctions), c.avg_auction_bytes, c.avg_auction_bytes * 0.05);
  EXPECT_NEAR(bid / static_cast<double>(bids), c.avg_bid_bytes, c.avg_bid_bytes * 0.05);
}

TEST(NexmarkGeneratorTest, BidsComeFromHotChannelsHalfTheTime) {
  int64_t bids = 0, hot = 0, with_id = 0;
  for (const Event& e : MakeEvents(Config(50'000))) {
    const auto* b = std::get_if<Bid>(&e);
    if (!b) continue;
    ++bids;
    ASSERT_EQ(b->url.rfind("https://www.nexmark.com/", 0), 0u) << b->url;
    ASSERT_GE(b->price, 1);
    ASSERT_LE(b->price, 100'000'000);
    if (b->channel == "Google" || b->channel == "Facebook" || b->channel == "Baidu" || b->channel == "Apple") {
      ++hot;
      ASSERT_EQ(b->url.find("channel_id="), std::string::npos) << b->url;
    } else {
      ASSERT_EQ(b->channel.rfind("channel-", 0), 0u) << b->channel;
      with_id += b->url.find("&channel_id=") != std::string::npos;
    }
  }
  EXPECT_NEAR(static_cast<double>(hot) / static_cast<double>(bids), 0.5, 0.02);
  EXPECT_NEAR(static_cast<double>(with_id) / static_cast<double>(bids - hot), 0.9, 0.02);
}

TEST(NexmarkGeneratorTest, BadSettingsAreRefused) {
  EXPECT_TRUE(Validate(GeneratorConfig{}).ok());
  GeneratorConfig c;
  c.bid_proportion = 0;
  EXPECT_FALSE(Validate(c).ok());
  c = GeneratorConfig{};
  c.events_per_second = 0;
  EXPECT_FALSE(Validate(c).ok());
  c = GeneratorConfig{};
  c.hot_auction_ratio = -1;
  EXPECT_FALSE(Validate(c).ok());
}

}  // namespace
}  // namespace rivulet::jobs::nexmark

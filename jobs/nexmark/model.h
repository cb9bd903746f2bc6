// NEXMark's online auction (Tucker et al., "NEXMark: a benchmark for
// queries over data streams", 2008; the generator follows the reference
// implementation Flink's suite runs, github.com/nexmark/nexmark): people
// register, open auctions and bid on them. Events are generated in the
// proportion persons : auctions : bids = 1 : 3 : 46, with event time
// advancing at a configured rate, hot auctions, hot sellers and hot
// bidders.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"
#include "engine/state_codec.h"
#include "operators/stream.h"

namespace rivulet::log {
class LogManager;
}

namespace rivulet::jobs::nexmark {

struct Person {
  int64_t id = 0;
  std::string name;
  std::string email_address;
  std::string credit_card;
  std::string city;
  std::string state;
  int64_t date_time = 0;  // ms since the epoch (event time)
  std::string extra;
  bool operator==(const Person&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Person& p) {
    return H::combine(std::move(h), p.id, p.name, p.email_address, p.credit_card, p.city, p.state, p.date_time,
                      p.extra);
  }
};

struct Auction {
  int64_t id = 0;
  std::string item_name;
  std::string description;
  int64_t initial_bid = 0;
  int64_t reserve = 0;
  int64_t date_time = 0;
  int64_t expires = 0;
  int64_t seller = 0;
  int64_t category = 0;
  std::string extra;
  bool operator==(const Auction&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Auction& a) {
    return H::combine(std::move(h), a.id, a.item_name, a.description, a.initial_bid, a.reserve, a.date_time,
                      a.expires, a.seller, a.category, a.extra);
  }
};

struct Bid {
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price = 0;
  std::string channel;
  std::string url;
  int64_t date_time = 0;
  std::string extra;
  bool operator==(const Bid&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const Bid& b) {
    return H::combine(std::move(h), b.auction, b.bidder, b.price, b.channel, b.url, b.date_time, b.extra);
  }
};

// Checkpointed in keyed state (engine/state_codec.h).
RIVULET_STATE_FIELDS(Person, id, name, email_address, credit_card, city, state, date_time, extra)
RIVULET_STATE_FIELDS(Auction, id, item_name, description, initial_bid, reserve, date_time, expires, seller, category,
                     extra)
RIVULET_STATE_FIELDS(Bid, auction, bidder, price, channel, url, date_time, extra)

// One event of the auction: exactly one of the three.
using Event = std::variant<Person, Auction, Bid>;

// One line per record, for test failures and `lines` (queries.h): the
// fields in declaration order, comma-separated.
std::string ToLine(const Person& p);
std::string ToLine(const Auction& a);
std::string ToLine(const Bid& b);

inline int64_t EventTime(const Event& e) {
  return std::visit([](const auto& v) { return v.date_time; }, e);
}

// The generator's settings; the defaults are the reference's
// (NexmarkConfiguration / GeneratorConfig) except where noted.
struct GeneratorConfig {
  int64_t events = 1'000'000;        // how many events
  int64_t first_event_id = 0;        // the id of event 0 (ids drive everything else)
  double events_per_second = 1'000'000;  // event-time rate (reference suite: 10 M/s)
  int64_t base_time_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z: event 0's time (reference: now)
  int32_t person_proportion = 1;
  int32_t auction_proportion = 3;
  int32_t bid_proportion = 46;
  int32_t hot_auction_ratio = 2;  // 1 in N bids is on a random auction, the rest on a hot one
  int32_t hot_sellers_ratio = 4;
  int32_t hot_bidders_ratio = 4;
  int32_t num_in_flight_auctions = 100;
  int32_t num_active_people = 1000;
  int32_t avg_person_bytes = 200;
  int32_t avg_auction_bytes = 500;
  int32_t avg_bid_bytes = 100;
};

// Why `c` cannot generate events (a proportion, ratio or rate not
// positive, ...), or Ok.
Status Validate(const GeneratorConfig& c);

// Event number n (0-based) of the sequence `c` describes: a pure
// function of (c, n), so any split of [0, events) between threads or
// processes generates the same events.
Event MakeEvent(const GeneratorConfig& c, int64_t n);
std::vector<Event> MakeEvents(const GeneratorConfig& c);

// Flink's nexmark DDL: WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND.
inline constexpr int64_t kWatermarkDelayMs = 4'000;

// A bounded source of `events` (shared, not copied; must not change while
// the job runs), event time from the events, watermarks bounded by
// kWatermarkDelayMs.
inline operators::Stream<Event> FromEvents(operators::JobBuilder& job,
                                           std::shared_ptr<const std::vector<Event>> events) {
  return job.FromShared<Event>("nexmark events", std::move(events), [](const Event& e) { return EventTime(e); },
                               operators::WatermarkStrategy::BoundedOutOfOrderness(kWatermarkDelayMs));
}

// The same, moving the events out of `events` as it emits them (no copy
// per event; `events` is spent afterwards, and the job cannot restart
// from a checkpoint): what the throughput runs of the bench read.
inline operators::Stream<Event> FromEventsDrained(operators::JobBuilder& job,
                                                  std::shared_ptr<std::vector<Event>> events) {
  return job.FromDrained<Event>("nexmark events", std::move(events), [](const Event& e) { return EventTime(e); },
                                operators::WatermarkStrategy::BoundedOutOfOrderness(kWatermarkDelayMs));
}

// The events in the embedded log: written to `topic` (created with
// `partitions`) round robin as Protobuf values (rivulet.events.NexmarkEvent),
// the event time as the record's timestamp, then flushed.
Status WriteEventsToLog(log::LogManager* log, const std::string& topic, int32_t partitions,
                        const std::vector<Event>& events);
// A bounded log source of events: every partition from the earliest offset
// to the end seen at the start, watermarks per partition bounded by
// kWatermarkDelayMs.
operators::Stream<Event> FromLog(operators::JobBuilder& job, log::LogManager* log, const std::string& topic);

}  // namespace rivulet::jobs::nexmark

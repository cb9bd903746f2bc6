// NEXMark events in the embedded log (model.h): each event one record, its
// value a rivulet.events.NexmarkEvent (proto/rivulet_events.proto), its
// timestamp the event time.
#include <algorithm>
#include <optional>
#include <string_view>

#include "connectors/log/log_connector.h"
#include "jobs/nexmark/model.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "rivulet_events.pb.h"

namespace rivulet::jobs::nexmark {

namespace {

using Message = events::NexmarkEvent;

void ToMessage(const Event& e, Message* m) {
  if (const auto* p = std::get_if<Person>(&e)) {
    auto* o = m->mutable_person();
    o->set_id(p->id);
    o->set_name(p->name);
    o->set_email_address(p->email_address);
    o->set_credit_card(p->credit_card);
    o->set_city(p->city);
    o->set_state(p->state);
    o->set_date_time(p->date_time);
    o->set_extra(p->extra);
  } else if (const auto* a = std::get_if<Auction>(&e)) {
    auto* o = m->mutable_auction();
    o->set_id(a->id);
    o->set_item_name(a->item_name);
    o->set_description(a->description);
    o->set_initial_bid(a->initial_bid);
    o->set_reserve(a->reserve);
    o->set_date_time(a->date_time);
    o->set_expires(a->expires);
    o->set_seller(a->seller);
    o->set_category(a->category);
    o->set_extra(a->extra);
  } else {
    const Bid& b = std::get<Bid>(e);
    auto* o = m->mutable_bid();
    o->set_auction(b.auction);
    o->set_bidder(b.bidder);
    o->set_price(b.price);
    o->set_channel(b.channel);
    o->set_url(b.url);
    o->set_date_time(b.date_time);
    o->set_extra(b.extra);
  }
}

// The event a record's value holds; an error for a value that is not a
// NexmarkEvent or holds none of the three (the source's bad-record policy
// decides what happens to it).
Result<Event> FromMessage(std::optional<std::string_view> value) {
  if (!value) return Status(Errc::kInvalidArgument, "null value, not a NexmarkEvent");
  Message m;
  if (!m.ParseFromArray(value->data(), static_cast<int>(value->size()))) {
    return Status(Errc::kInvalidArgument, "not a valid rivulet.events.NexmarkEvent");
  }
  switch (m.event_case()) {
    case Message::kPerson: {
      auto* o = m.mutable_person();
      return Event(Person{o->id(), std::move(*o->mutable_name()), std::move(*o->mutable_email_address()),
                          std::move(*o->mutable_credit_card()), std::move(*o->mutable_city()),
                          std::move(*o->mutable_state()), o->date_time(), std::move(*o->mutable_extra())});
    }
    case Message::kAuction: {
      auto* o = m.mutable_auction();
      return Event(Auction{o->id(), std::move(*o->mutable_item_name()), std::move(*o->mutable_description()),
                           o->initial_bid(), o->reserve(), o->date_time(), o->expires(), o->seller(),
                           o->category(), std::move(*o->mutable_extra())});
    }
    case Message::kBid: {
      auto* o = m.mutable_bid();
      return Event(Bid{o->auction(), o->bidder(), o->price(), std::move(*o->mutable_channel()),
                       std::move(*o->mutable_url()), o->date_time(), std::move(*o->mutable_extra())});
    }
    case Message::EVENT_NOT_SET:
      break;
  }
  return Status(Errc::kInvalidArgument, "a NexmarkEvent with no person, auction or bid");
}

}  // namespace

Status WriteEventsToLog(log::LogManager* lm, const std::string& topic, int32_t partitions,
                        const std::vector<Event>& events) {
  if (partitions <= 0) return Status(Errc::kInvalidArgument, "partitions must be positive");
  RIVULET_RETURN_IF_ERROR(lm->CreateTopic(topic, partitions));
  log::ProducerConfig pc;
  pc.batch_size = 256 * 1024;
  log::Producer producer(lm, pc);
  Message m;
  std::string value;
  for (size_t n = 0; n < events.size(); ++n) {
    m.Clear();
    ToMessage(events[n], &m);
    value.clear();
    m.SerializeToString(&value);
    // The log's timestamps are not negative.
    RIVULET_RETURN_IF_ERROR(producer.Send(topic, std::nullopt, std::string_view(value), nullptr,
                                          static_cast<int32_t>(n % static_cast<size_t>(partitions)),
                                          std::max<int64_t>(0, EventTime(events[n]))));
  }
  return producer.Flush();
}

operators::Stream<Event> FromLog(operators::JobBuilder& job, log::LogManager* lm, const std::string& topic) {
  connectors::LogSourceOptions o;
  o.topic = topic;
  o.start = connectors::LogSourceOptions::Start::kEarliest;
  o.bounded = true;
  o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(kWatermarkDelayMs);
  return connectors::FromLog<Event>(
      job, "nexmark events", lm, o, [](const log::ConsumerRecord& r) { return FromMessage(r.value); },
      [](const Event& e) { return EventTime(e); });
}

}  // namespace rivulet::jobs::nexmark

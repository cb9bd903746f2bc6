// Lines of the NEXMark model's records (model.h).
#include "jobs/nexmark/model.h"

#include <fmt/format.h>

namespace rivulet::jobs::nexmark {

std::string ToLine(const Person& p) {
  return fmt::format("person {},{},{},{},{},{},{},{}", p.id, p.name, p.email_address, p.credit_card, p.city, p.state,
                     p.date_time, p.extra);
}

std::string ToLine(const Auction& a) {
  return fmt::format("auction {},{},{},{},{},{},{},{},{},{}", a.id, a.item_name, a.description, a.initial_bid,
                     a.reserve, a.date_time, a.expires, a.seller, a.category, a.extra);
}

std::string ToLine(const Bid& b) {
  return fmt::format("bid {},{},{},{},{},{},{}", b.auction, b.bidder, b.price, b.channel, b.url, b.date_time, b.extra);
}

}  // namespace rivulet::jobs::nexmark

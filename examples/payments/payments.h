// payments: the logic — spend per user in tumbling event-time windows —
// and the record format of the `payments` topic (key: user, value: the
// amount in cents as text, timestamp: when it was paid).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include "rivulet/rivulet.h"

namespace payments {

struct Payment {
  std::string user;
  int64_t cents = 0;
  int64_t ts = 0;  // event time, ms
};

using Spend = rivulet::operators::WindowResult<std::string, int64_t>;

// A record of the topic as a Payment, or why it is not one (a bad record:
// the reason is in the job's error, or the dead letter's rivulet.error):
// no key, or a value that is not a whole number of cents.
inline rivulet::Result<Payment> Decode(const rivulet::log::ConsumerRecord& r) {
  using rivulet::connectors::DecodeFailure;
  if (!r.key) return DecodeFailure("no key (the user)");
  if (!r.value || r.value->empty()) return DecodeFailure("no value (the amount in cents)");
  Payment p{std::string(*r.key), 0, r.timestamp};
  auto [end, ec] = std::from_chars(r.value->data(), r.value->data() + r.value->size(), p.cents);
  if (ec != std::errc() || end != r.value->data() + r.value->size()) {
    return DecodeFailure("value '" + std::string(*r.value) + "' is not a whole number of cents");
  }
  return p;
}

// An aggregate of our own (the shape of operators/aggregate.h): the exact
// sum of cents, where the built-in SumOf adds doubles.
struct SumCents {
  using Acc = int64_t;
  using Out = int64_t;
  Acc Create() const { return 0; }
  void Add(Acc& a, const Payment& p) const { a += p.cents; }
  void Merge(Acc& a, const Acc& b) const { a += b; }
  Out Result(const Acc& a) const { return a; }
};

// Cents spent per user in each window of `window_ms`.
inline rivulet::operators::Stream<Spend> SpendPerUser(rivulet::operators::Stream<Payment> payments, int64_t window_ms) {
  return payments.KeyBy([](const Payment& p) { return p.user; })
      .Window(rivulet::operators::Tumbling(window_ms))
      .Aggregate("spend per user", SumCents{});
}

}  // namespace payments

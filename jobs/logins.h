// The logic of the logins job (jobs/logins.cc), apart so that it can be
// tested without the launcher (tests/jobs/logins_test.cc, with the test
// harness): per user, a keyed process function counting failed logins in
// a row (map and value state; timers put the attempts in event-time order
// and forget the count a second after the last failure), and an alert on
// the third.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "operators/stream.h"

namespace rivulet::jobs::logins {

using operators::KeyedStateBackend;
using operators::MapState;
using operators::ProcessContext;
using operators::Stream;
using operators::Timestamp;
using operators::ValueState;

struct Login {
  int64_t ts = 0;  // event time, ms
  uint32_t user = 0;
  bool ok = true;
};

struct Alert {
  uint32_t user = 0;
  int64_t ts = 0;
  auto operator<=>(const Alert&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Alert& a) {
    return os << "{user " << a.user << " " << a.ts << "}";
  }
};

// The third failed login of a user in a row, each within a second of the
// one before, raises an alert. A user's attempts come from several source
// instances, so not in event-time order: they wait in map state (by time)
// until the watermark passes them, then the rule sees them in order.
struct FailedLogins {
  MapState<uint32_t, int64_t, std::vector<bool>> pending;  // time -> ok of each attempt then
  ValueState<uint32_t, int64_t> failures;                  // in a row
  ValueState<uint32_t, int64_t> last_failure;              // its time

  void Open(KeyedStateBackend<uint32_t>& states) {
    pending = states.Map<int64_t, std::vector<bool>>("pending");
    failures = states.Value<int64_t>("failures");
    last_failure = states.Value<int64_t>("last failure");
  }
  void ProcessElement(const Login& l, ProcessContext<uint32_t, Alert>& ctx) {
    std::vector<bool> at = pending.Contains(l.ts) ? *pending.Get(l.ts) : std::vector<bool>{};
    at.push_back(l.ok);
    pending.Put(l.ts, std::move(at));
    ctx.RegisterTimer(l.ts);
  }
  void OnTimer(Timestamp t, ProcessContext<uint32_t, Alert>& ctx) {
    while (!pending.Empty() && pending.Entries().begin()->first <= t) {
      const auto [ts, oks] = *pending.Entries().begin();
      pending.Remove(ts);
      for (bool ok : oks) Attempt(ts, ok, ctx);
    }
    // A second after the last failure the count is over: idle users hold no state.
    if (const int64_t* last = last_failure.Get(); last && *last + 1000 <= t) Forget();
  }

 private:
  void Attempt(int64_t ts, bool ok, ProcessContext<uint32_t, Alert>& ctx) {
    const int64_t* last = last_failure.Get();
    if (ok || (last && ts - *last >= 1000)) Forget();
    if (ok) return;
    const int64_t n = failures.GetOr(0) + 1;
    failures.Update(n);
    last_failure.Update(ts);
    if (n == 3) ctx.Emit(Alert{ctx.key(), ts});
    ctx.RegisterTimer(ts + 1000);
  }
  void Forget() {
    failures.Clear();
    last_failure.Clear();
  }
};

// Alerts of `logins` (any order within the watermark's bound).
inline Stream<Alert> FailedLoginAlerts(Stream<Login> logins) {
  return logins.KeyBy([](const Login& l) { return l.user; }).Process<Alert>("failed logins", FailedLogins{});
}

}  // namespace rivulet::jobs::logins

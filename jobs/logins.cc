// logins: generated login attempts -> per user, a keyed process function
// counting failed logins in a row (map and value state; timers put the
// attempts in event-time order and forget the count a second after the
// last failure) -> an alert on the third.
// Users log in every users x interval_ms of event time and fail one login
// in five, never twice in a row; users 7 and 42 fail every login in the
// second minute (a password-guessing run), so each is flagged once.
#include <cstdio>
#include <string>
#include <vector>

#include "jobs/job.h"
#include "jobs/logins.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

using namespace rivulet::operators;

using logins::Alert;
using logins::Login;

Login MakeLogin(uint64_t n, uint64_t users, int64_t interval_ms) {
  const uint32_t user = static_cast<uint32_t>(n % users);
  const int64_t ts = static_cast<int64_t>(n) * interval_ms;
  const bool guessing = (user == 7 || user == 42) && ts >= 60'000 && ts < 120'000;
  return Login{ts, user, !guessing && (n / users) % 5 != 0};
}

Status RunLogins(JobContext& ctx) {
  RIVULET_ASSIGN_OR_RETURN(int64_t count, ctx.GetInt("logins"));
  RIVULET_ASSIGN_OR_RETURN(int64_t users, ctx.GetInt("users"));
  RIVULET_ASSIGN_OR_RETURN(int64_t interval_ms, ctx.GetInt("interval_ms"));
  RIVULET_ASSIGN_OR_RETURN(double rate, ctx.GetDouble("rate"));
  if (count < 0 || users < 43 || interval_ms <= 0 || rate < 0) {
    return Status(Errc::kInvalidArgument, "logins must not be negative, users at least 43, interval_ms positive");
  }
  JobBuilder job;
  auto attempts = job.FromGenerator(
      "logins",
      [users, interval_ms](uint64_t n) { return MakeLogin(n, static_cast<uint64_t>(users), interval_ms); }, count,
      rate, [](const Login& l) { return l.ts; }, WatermarkStrategy::BoundedOutOfOrderness(100));
  logins::FailedLoginAlerts(attempts).Print("print", ctx.out, [](const Alert& a) {
    char b[96];
    std::snprintf(b, sizeof(b), "alert: user %u failed 3 logins in a row, the third at %lld ms", a.user,
                  static_cast<long long>(a.ts));
    return std::string(b);
  });
  return ctx.Execute(job);
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(logins, {"logins",
                              "login attempts -> failed logins in a row per user (keyed state and timers) -> an "
                              "alert on the third",
                              {{"logins", Type::kInt, "30000", "login attempts to generate"},
                               {"users", Type::kInt, "100", "users (at least 43)"},
                               {"interval_ms", Type::kInt, "5", "event time between attempts"},
                               {"rate", Type::kDouble, "0", "attempts per second (0: as fast as possible)"}},
                              RunLogins, JobNeeds::kSelfContained});

}  // namespace
}  // namespace rivulet::jobs

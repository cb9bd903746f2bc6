// payments: topic `payments` of the embedded log -> spend per user in
// one-minute windows -> topic `spend` (key user, value "START CENTS") and
// stdout. Bounded: it reads what the topic holds when it starts.
#include <string>

#include "payments.h"
#include "rivulet/rivulet.h"

namespace payments {
namespace {

using rivulet::Status;
using rivulet::jobs::JobContext;
using rivulet::jobs::JobParam;

std::string Line(const Spend& s) { return std::to_string(s.start) + " " + std::to_string(s.value); }

Status Run(JobContext& ctx) {
  RIVULET_ASSIGN_OR_RETURN(int64_t window_ms, ctx.GetInt("window_ms"));
  const std::string in = ctx.Get("in"), out = ctx.Get("out");
  RIVULET_ASSIGN_OR_RETURN(auto log, ctx.OpenLog({{in, 3}, {out, 3}}));
  rivulet::connectors::LogSourceOptions source;
  source.topic = in;
  source.group = "payments-job";
  source.watermarks = rivulet::operators::WatermarkStrategy::BoundedOutOfOrderness(1000);
  rivulet::operators::JobBuilder job;
  auto spend = SpendPerUser(rivulet::connectors::FromLog<Payment>(job, in, log.get(), source, Decode), window_ms);
  rivulet::connectors::ToLog(spend, out, log.get(), out, [](const Spend& s) {
    return std::make_pair(std::optional<std::string>(s.key), Line(s));
  });
  spend.Print("print", ctx.out, [](const Spend& s) { return s.key + " " + Line(s); });
  return ctx.Execute(job);
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(payments, {"payments",
                                "spend per user in tumbling windows, from topic payments (key user, value cents) to "
                                "topic spend",
                                {{"in", Type::kString, "payments", "input topic"},
                                 {"out", Type::kString, "spend", "output topic"},
                                 {"window_ms", Type::kInt, "60000", "window size (event time)"}},
                                Run, rivulet::jobs::JobNeeds::kDataDir});

}  // namespace
}  // namespace payments

// kafka_errors: a topic of a Kafka-protocol cluster (--bootstrap-server:
// `rivulet broker` or Kafka) -> ERROR lines per service in ten-second
// windows -> stdout. Several processes with one group split the partitions.
#include <string>

#include "kafka_errors.h"
#include "rivulet/rivulet.h"

namespace kafka_errors {
namespace {

using rivulet::Errc;
using rivulet::Status;
using rivulet::jobs::JobContext;
using rivulet::jobs::JobParam;

Status Run(JobContext& ctx) {
  if (ctx.bootstrap.empty() && !ctx.explain) return Status(Errc::kInvalidArgument, "--bootstrap-server is required");
  RIVULET_ASSIGN_OR_RETURN(int64_t window_ms, ctx.GetInt("window_ms"));
  RIVULET_ASSIGN_OR_RETURN(int64_t idle_end_ms, ctx.GetInt("idle_end_ms"));
  rivulet::connectors::KafkaSourceOptions source;
  source.bootstrap = ctx.bootstrap;
  source.topic = ctx.Get("topic");
  source.group = ctx.Get("group");
  source.idle_end_ms = idle_end_ms;
  source.watermarks = rivulet::operators::WatermarkStrategy::BoundedOutOfOrderness(1000).WithIdleness(2000);
  rivulet::operators::JobBuilder job;
  auto lines = rivulet::connectors::FromKafka<LogLine>(job, source.topic, source, Decode,
                                                       [](const LogLine& l) { return l.ts; });
  ErrorsPerService(lines, window_ms).Print("print", ctx.out, [](const ErrorCount& c) {
    return c.key + " " + std::to_string(c.start) + " " + std::to_string(c.value);
  });
  return ctx.Execute(job);
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(kafka_errors, {"kafka_errors",
                                    "ERROR lines per service (the record key) in tumbling windows, from a topic of a "
                                    "Kafka-protocol cluster",
                                    {{"topic", Type::kString, "logs", "input topic"},
                                     {"group", Type::kString, "kafka-errors", "consumer group"},
                                     {"window_ms", Type::kInt, "10000", "window size (event time)"},
                                     {"idle_end_ms", Type::kInt, "-1",
                                      "end after this long without records (-1: run until Ctrl-C)"}},
                                    Run, rivulet::jobs::JobNeeds::kBootstrapServer});

}  // namespace
}  // namespace kafka_errors

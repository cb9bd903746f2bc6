// relay: a stateless job between two topics of a Kafka-protocol cluster
// (--bootstrap-server): every record of `in` is written to `out` with its
// key, its value transformed (upper-cased by default). Several `rivulet run
// relay` processes with the same group split the input's partitions; when
// one stops, the others take over its partitions from the committed
// offsets (scale-out). That is without checkpoints (no data directory);
// with them (RIVULET_DATA_DIR set, or --data-dir) the job's instances
// split the partitions among themselves and the output is exactly once for
// read_committed readers: scale with --parallelism instead
// (docs/connectors/kafka.md).
#include <cctype>
#include <ostream>

#include "connectors/kafka/kafka_connector.h"
#include "jobs/job.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

using connectors::kafka::Message;

Status RunRelay(JobContext& ctx) {
  if (ctx.bootstrap.empty() && !ctx.explain) return Status(Errc::kInvalidArgument, "--bootstrap-server is required");
  RIVULET_ASSIGN_OR_RETURN(int64_t idle_end_ms, ctx.GetInt("idle_end_ms"));
  const std::string transform = ctx.Get("transform");
  if (transform != "upper" && transform != "none") {
    return Status(Errc::kInvalidArgument, "transform must be upper or none");
  }
  connectors::KafkaSourceOptions o;
  o.bootstrap = ctx.bootstrap;
  o.topic = ctx.Get("in");
  o.group = ctx.Get("group");
  o.idle_end_ms = idle_end_ms;
  operators::JobBuilder job;
  const bool upper = transform == "upper";
  auto in = connectors::FromKafka<Message>(job, o.topic, o, [](Message& m) { return std::optional<Message>(std::move(m)); });
  auto out = in.Map("transform", [upper](const Message& m) {
    Message r = m;
    if (upper && r.value) {
      for (char& c : *r.value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return r;
  });
  connectors::ToKafka(out, ctx.Get("out"), ctx.bootstrap, ctx.Get("out"),
                      [](const Message& m) { return std::make_pair(m.key, m.value.value_or("")); });
  return ctx.Execute(job);
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(relay, {"relay",
                             "records from one topic of a Kafka-protocol cluster to another, values upper-cased "
                             "(run it several times with one group to scale out)",
                             {{"in", Type::kString, "relay-in", "input topic"},
                              {"out", Type::kString, "relay-out", "output topic"},
                              {"group", Type::kString, "relay", "consumer group"},
                              {"transform", Type::kString, "upper", "upper or none"},
                              {"idle_end_ms", Type::kInt, "-1", "end after this long without records (-1: run until Ctrl-C)"}},
                             RunRelay, JobNeeds::kBootstrapServer});

}  // namespace
}  // namespace rivulet::jobs

// The `nexmark-qN` jobs: one per query of the registry (queries.h), so a
// query added there is a job too. Each generates its events (or reads them
// from a topic of the data directory), runs the query, and prints its row
// count beside the reference's, failing when the two disagree.
#include <memory>
#include <ostream>

#include "jobs/job.h"
#include "jobs/nexmark/queries.h"
#include "log/log_manager.h"

namespace rivulet::jobs::nexmark {
namespace {

Status RunNexmark(const Query& q, JobContext& ctx) {
  GeneratorConfig c;
  RIVULET_ASSIGN_OR_RETURN(c.events, ctx.GetInt("events"));
  RIVULET_ASSIGN_OR_RETURN(c.events_per_second, ctx.GetDouble("events_per_second"));
  RIVULET_RETURN_IF_ERROR(Validate(c));
  const std::string source = ctx.Get("source");
  if (source != "memory" && source != "log") return Status(Errc::kInvalidArgument, "source must be memory or log");
  // The reference needs the events in memory either way.
  auto events = std::make_shared<const std::vector<Event>>(MakeEvents(c));
  operators::JobBuilder job;
  std::unique_ptr<log::LogManager> lm;
  operators::Stream<Event> in(nullptr, -1);
  if (source == "log") {
    const std::string topic = ctx.Get("topic");
    RIVULET_ASSIGN_OR_RETURN(lm, ctx.OpenLog());
    if (lm && !lm->PartitionCount(topic).ok()) {
      RIVULET_ASSIGN_OR_RETURN(int64_t partitions, ctx.GetInt("partitions"));
      if (partitions <= 0) return Status(Errc::kInvalidArgument, "partitions must be positive");
      RIVULET_RETURN_IF_ERROR(WriteEventsToLog(lm.get(), topic, static_cast<int32_t>(partitions), *events));
      *ctx.out << "wrote " << c.events << " events to topic " << topic << "\n";
    }
    in = FromLog(job, lm.get(), topic);
  } else {
    in = FromEvents(job, events);
  }
  auto out = std::make_shared<Checked>();
  q.build(in, out);
  RIVULET_RETURN_IF_ERROR(ctx.Execute(job));
  if (lm) RIVULET_RETURN_IF_ERROR(lm->Close());
  if (ctx.explain) return Status::Ok();
  out->Finish();
  const Checked want = q.reference(*events, false);
  const bool same = *out == want;
  *ctx.out << "nexmark " << q.name << " (" << q.title << "): " << out->rows << " rows; reference " << want.rows
           << " rows: " << (same ? "same output" : "DIFFERENT output") << "\n";
  if (!same) {
    return Status(Errc::kCorruption, "nexmark " + q.name + ": the output differs from the reference's" +
                                       (out->error.empty() ? "" : " (" + out->error + ")"));
  }
  return Status::Ok();
}

bool RegisterAll() {
  using Type = JobParam::Type;
  for (const Query& q : AllQueries()) {
    const Query* query = &q;  // AllQueries() lives as long as the process
    RegisterJob(JobInfo{
        "nexmark-" + q.name,
        "NEXMark " + q.name + ": " + q.title + "; checked against a single-threaded reference",
        {{"events", Type::kInt, "1000000", "events generated (persons : auctions : bids = 1 : 3 : 46)"},
         {"events_per_second", Type::kDouble, "1000000", "event-time rate of the generated events"},
         {"source", Type::kString, "memory",
          "memory (generated in memory) or log (the topic, written first if missing)"},
         {"topic", Type::kString, "nexmark-events", "source=log: the events' topic"},
         {"partitions", Type::kInt, "4", "source=log: partitions of a new topic"}},
        [query](JobContext& ctx) { return RunNexmark(*query, ctx); }, JobNeeds::kSelfContained,
        "with --set source=log: needs --data-dir"});
  }
  return true;
}

[[maybe_unused]] const bool registered = RegisterAll();

}  // namespace
}  // namespace rivulet::jobs::nexmark

// The tutorial flow; see tutorial.h.
#include "jobs/tutorial.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <ostream>
#include <thread>

#include "connectors/sqlite/sqlite_sink.h"
#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/producer.h"

namespace rivulet::jobs {
namespace {

std::string DbPath(const JobContext& ctx) {
  const std::string db = ctx.Get("db");
  return db.empty() ? ctx.data_dir + "/tutorial.db" : db;
}

Status Produce(log::LogManager& lm, const std::string& topic, int64_t count, std::ostream& out) {
  log::Producer producer(&lm);
  std::atomic<int64_t> acked{0};
  for (int64_t n = 0; n < count; ++n) {
    const std::string value = nlohmann::json{{"number", n}}.dump();
    RIVULET_RETURN_IF_ERROR(producer.Send(topic, std::nullopt, value,
                                          [&acked](const log::RecordMetadata&, const Status& st) {
                                            if (st.ok()) acked.fetch_add(1);
                                          }));
  }
  RIVULET_RETURN_IF_ERROR(producer.Flush());
  out << "produced " << acked.load() << " records to " << topic << "\n";
  return Status::Ok();
}

Status Consume(log::LogManager& lm, JobContext& ctx, const std::string& topic, std::ostream& out) {
  const std::string db = DbPath(ctx);
  RIVULET_ASSIGN_OR_RETURN(int64_t idle_ms, ctx.GetInt("idle_ms"));
  RIVULET_ASSIGN_OR_RETURN(int64_t delay_ms, ctx.GetInt("batch_delay_ms"));
  RIVULET_ASSIGN_OR_RETURN(int64_t max_poll, ctx.GetInt("max_poll_records"));
  RIVULET_ASSIGN_OR_RETURN(int64_t commit_ms, ctx.GetInt("auto_commit_ms"));
  RIVULET_ASSIGN_OR_RETURN(
      auto sink, connectors::SqliteSink::Open(
                     db,
                     "CREATE TABLE IF NOT EXISTS numbers (number INTEGER, part INTEGER, "
                     "off INTEGER)",
                     "INSERT INTO numbers (number, part, off) VALUES (?, ?, ?)"));

  log::ConsumerConfig cc;
  cc.group_id = ctx.Get("group");
  cc.client_id = "tutorial";
  cc.auto_offset_reset = log::OffsetReset::kEarliest;
  cc.enable_auto_commit = true;
  cc.auto_commit_interval_ms = commit_ms;
  cc.max_poll_records = static_cast<int32_t>(max_poll);
  log::Consumer consumer(&lm, cc);
  RIVULET_RETURN_IF_ERROR(consumer.Subscribe({topic}));

  int64_t consumed = 0;
  int64_t bad = 0;
  auto idle_since = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - idle_since < std::chrono::milliseconds(idle_ms)) {
    RIVULET_ASSIGN_OR_RETURN(auto records, consumer.Poll(std::chrono::milliseconds(100)));
    if (records.empty()) continue;
    idle_since = std::chrono::steady_clock::now();
    RIVULET_RETURN_IF_ERROR(sink->Begin());
    for (const auto& r : records) {
      auto j = nlohmann::json::parse(r.value.value_or(""), nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.contains("number") || !j["number"].is_number_integer()) {
        ++bad;  // counted, not lost silently
        continue;
      }
      RIVULET_RETURN_IF_ERROR(sink->Insert({std::to_string(j["number"].get<int64_t>()),
                                            std::to_string(r.partition), std::to_string(r.offset)}));
      ++consumed;
    }
    RIVULET_RETURN_IF_ERROR(sink->Commit());
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
  consumer.Close();
  RIVULET_ASSIGN_OR_RETURN(int64_t rows, sink->QueryInt("SELECT COUNT(*) FROM numbers"));
  RIVULET_ASSIGN_OR_RETURN(int64_t distinct, sink->QueryInt("SELECT COUNT(DISTINCT number) FROM numbers"));
  out << "consumed " << consumed << " records in group " << cc.group_id << " into " << db << "\n";
  if (bad > 0) out << "skipped " << bad << " records that were not {\"number\": n}\n";
  out << "table numbers: " << rows << " rows, " << distinct << " distinct numbers, "
      << rows - distinct << " duplicates\n";
  return Status::Ok();
}

}  // namespace

Status RunTutorial(JobContext& ctx) {
  std::ostream& out = *ctx.out;
  const std::string topic = ctx.Get("topic");
  const std::string phase = ctx.Get("phase");
  RIVULET_ASSIGN_OR_RETURN(int64_t count, ctx.GetInt("count"));
  RIVULET_ASSIGN_OR_RETURN(int64_t partitions, ctx.GetInt("partitions"));
  if (phase != "all" && phase != "produce" && phase != "consume") {
    return Status(Errc::kInvalidArgument, "phase must be all, produce or consume, not '" + phase + "'");
  }
  if (ctx.explain) {
    out << "tutorial: producer -> " << topic << " (" << partitions << " partitions) -> consumer group "
        << ctx.Get("group") << " -> sqlite " << DbPath(ctx)
        << "\n";
    return Status::Ok();
  }
  RIVULET_ASSIGN_OR_RETURN(auto lm, ctx.OpenLog({{topic, static_cast<int32_t>(partitions)}}));
  if (phase == "all" || phase == "produce") RIVULET_RETURN_IF_ERROR(Produce(*lm, topic, count, out));
  if (phase == "all" || phase == "consume") RIVULET_RETURN_IF_ERROR(Consume(*lm, ctx, topic, out));
  return lm->Close();
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(tutorial,
                     {"tutorial",
                      "produce {\"number\": n} for n in 0..count-1 to numtest, consume them in group my-group "
                      "into SQLite, print a summary",
                      {{"topic", Type::kString, "numtest", "topic to produce to and consume from"},
                       {"partitions", Type::kInt, "1", "partitions when the topic is created"},
                       {"count", Type::kInt, "1000", "numbers to produce"},
                       {"group", Type::kString, "my-group", "consumer group"},
                       {"db", Type::kString, "", "SQLite file (default DATA_DIR/tutorial.db)"},
                       {"phase", Type::kString, "all", "all, produce or consume"},
                       {"idle_ms", Type::kInt, "2000", "stop consuming when idle this long"},
                       {"batch_delay_ms", Type::kInt, "0", "pause after each polled batch"},
                       {"max_poll_records", Type::kInt, "100", "records per poll"},
                       {"auto_commit_ms", Type::kInt, "1000", "auto-commit interval"}},
                      RunTutorial, JobNeeds::kDataDir});

}  // namespace rivulet::jobs

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
  const std::string db = ctx.Get("db", ctx.data_dir + "/tutorial.db");
  RIVULET_ASSIGN_OR_RETURN(int64_t idle_ms, ctx.GetInt("idle_ms", 2000));
  RIVULET_ASSIGN_OR_RETURN(int64_t delay_ms, ctx.GetInt("batch_delay_ms", 0));
  RIVULET_ASSIGN_OR_RETURN(int64_t max_poll, ctx.GetInt("max_poll_records", 100));
  RIVULET_ASSIGN_OR_RETURN(int64_t commit_ms, ctx.GetInt("auto_commit_ms", 1000));
  RIVULET_ASSIGN_OR_RETURN(
      auto sink, connectors::SqliteSink::Open(
                     db,
                     "CREATE TABLE IF NOT EXISTS numbers (number INTEGER, part INTEGER, "
                     "off INTEGER)",
                     "INSERT INTO numbers (number, part, off) VALUES (?, ?, ?)"));

  log::ConsumerConfig cc;
  cc.group_id = ctx.Get("group", "my-group");
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
  const std::string topic = ctx.Get("topic", "numtest");
  const std::string phase = ctx.Get("phase", "all");
  RIVULET_ASSIGN_OR_RETURN(int64_t count, ctx.GetInt("count", 1000));
  RIVULET_ASSIGN_OR_RETURN(int64_t partitions, ctx.GetInt("partitions", 1));
  if (phase != "all" && phase != "produce" && phase != "consume") {
    return Status(Errc::kInvalidArgument, "phase must be all, produce or consume, not '" + phase + "'");
  }
  if (ctx.explain) {
    out << "tutorial: producer -> " << topic << " (" << partitions << " partitions) -> consumer group "
        << ctx.Get("group", "my-group") << " -> sqlite " << ctx.Get("db", ctx.data_dir + "/tutorial.db")
        << "\n";
    return Status::Ok();
  }
  log::LogOptions opts;
  RIVULET_ASSIGN_OR_RETURN(auto lm, log::LogManager::Open(ctx.data_dir, opts));
  if (!lm->PartitionCount(topic).ok()) {
    RIVULET_RETURN_IF_ERROR(lm->CreateTopic(topic, static_cast<int32_t>(partitions)));
  }
  if (phase == "all" || phase == "produce") RIVULET_RETURN_IF_ERROR(Produce(*lm, topic, count, out));
  if (phase == "all" || phase == "consume") RIVULET_RETURN_IF_ERROR(Consume(*lm, ctx, topic, out));
  return lm->Close();
}

}  // namespace rivulet::jobs

// numtest: the tutorial's consumer on the runtime — numbers ({"number": n}
// as JSON) from the `numtest` topic into a database table, resuming where
// the consumer group left off. SQLite by default.
#include <nlohmann/json.hpp>

#include <ostream>

#include "connectors/log/log_connector.h"
#include "connectors/sqlite/sqlite_job_sink.h"
#include "jobs/job.h"
#include "log/log_manager.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

struct Number {
  int64_t number;
  int32_t partition;
  int64_t offset;
};

std::optional<Number> DecodeNumber(const log::ConsumerRecord& r) {
  if (!r.value) return std::nullopt;
  auto j = nlohmann::json::parse(*r.value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("number") || !j["number"].is_number_integer()) return std::nullopt;
  return Number{j["number"].get<int64_t>(), r.partition, r.offset};
}

Status RunNumtest(JobContext& ctx) {
  const std::string topic = ctx.Get("topic");
  const std::string db = ctx.Get("db").empty() ? ctx.data_dir + "/numtest.db" : ctx.Get("db");
  RIVULET_ASSIGN_OR_RETURN(bool follow, ctx.GetBool("follow"));
  const std::string bad = ctx.Get("bad_records");
  if (bad != "fail" && bad != "skip" && bad != "dead-letter") {
    return Status(Errc::kInvalidArgument, "bad_records must be fail, skip or dead-letter");
  }
  if (ctx.data_dir.empty() && !ctx.explain) return Status(Errc::kInvalidArgument, "--data-dir is required");
  std::unique_ptr<log::LogManager> lm;
  if (!ctx.explain) {
    RIVULET_ASSIGN_OR_RETURN(lm, log::LogManager::Open(ctx.data_dir, {}));
    RIVULET_RETURN_IF_ERROR(lm->PartitionCount(topic).status());
  }
  operators::JobBuilder job;
  connectors::LogSourceOptions source;
  source.topic = topic;
  source.group = ctx.Get("group");
  source.start = connectors::LogSourceOptions::Start::kCommitted;
  source.bounded = !follow;
  using Bad = connectors::LogSourceOptions::OnBadRecord;
  source.on_bad_record = bad == "skip" ? Bad::kSkip : bad == "dead-letter" ? Bad::kDeadLetter : Bad::kFail;
  source.dead_letter_topic = topic + "-dead-letters";
  auto numbers = connectors::FromLog<Number>(job, topic, lm.get(), source, DecodeNumber);
  connectors::ToSqlite(numbers, "sqlite",
                       {db, "CREATE TABLE IF NOT EXISTS numbers (number INTEGER, part INTEGER, off INTEGER)",
                        "INSERT INTO numbers (number, part, off) VALUES (?, ?, ?)"},
                       [](const Number& n) {
                         return std::vector<std::string>{std::to_string(n.number), std::to_string(n.partition),
                                                         std::to_string(n.offset)};
                       });
  RIVULET_RETURN_IF_ERROR(ctx.Execute(job));
  if (ctx.explain) return Status::Ok();
  RIVULET_RETURN_IF_ERROR(lm->Close());
  RIVULET_ASSIGN_OR_RETURN(auto sql, connectors::SqliteSink::Open(db, "SELECT 1", "SELECT 1"));
  RIVULET_ASSIGN_OR_RETURN(int64_t rows, sql->QueryInt("SELECT COUNT(*) FROM numbers"));
  RIVULET_ASSIGN_OR_RETURN(int64_t distinct, sql->QueryInt("SELECT COUNT(DISTINCT number) FROM numbers"));
  *ctx.out << "table numbers: " << rows << " rows, " << distinct << " distinct numbers, " << rows - distinct
           << " duplicates\n";
  return Status::Ok();
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(numtest, {"numtest",
                               "numbers ({\"number\": n}) from a topic into SQLite, resuming where the group left off",
                               {{"topic", Type::kString, "numtest", "topic to read"},
                                {"group", Type::kString, "my-group", "consumer group (committed offsets)"},
                                {"db", Type::kString, "", "SQLite file (default DATA_DIR/numtest.db)"},
                                {"follow", Type::kBool, "false", "keep reading new records until Ctrl-C"},
                                {"bad_records", Type::kString, "fail",
                                 "records that are not numbers: fail, skip, or dead-letter (to TOPIC-dead-letters)"}},
                               RunNumtest});

}  // namespace
}  // namespace rivulet::jobs

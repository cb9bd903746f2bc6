// numtest: the tutorial's consumer on the runtime — numbers ({"number": n}
// as JSON) from the `numtest` topic into a database table, resuming where
// the consumer group left off. SQLite by default; PostgreSQL when `db` is a
// postgresql:// URI.
#include <nlohmann/json.hpp>

#include <ostream>

#include "connectors/log/log_connector.h"
#include "connectors/serde/serde.h"
#include "connectors/postgres/postgres_job_sink.h"
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

// A record as a Number, or why it is not one (the bad-record policy
// names the reason).
Result<Number> DecodeNumber(const log::ConsumerRecord& r) {
  if (!r.value) return connectors::DecodeFailure("null value");
  auto j = nlohmann::json::parse(*r.value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return connectors::DecodeFailure("not valid JSON");
  if (!j.is_object()) return connectors::DecodeFailure("not a JSON object");
  auto n = j.find("number");
  if (n == j.end()) return connectors::DecodeFailure("no field \"number\"");
  if (!n->is_number_integer()) return connectors::DecodeFailure("field \"number\" is not an integer");
  return Number{n->get<int64_t>(), r.partition, r.offset};
}

Status RunNumtest(JobContext& ctx) {
  const std::string topic = ctx.Get("topic");
  const std::string db = ctx.Get("db").empty() ? ctx.data_dir + "/numtest.db" : ctx.Get("db");
  RIVULET_ASSIGN_OR_RETURN(bool follow, ctx.GetBool("follow"));
  const std::string bad = ctx.Get("bad_records");
  if (bad != "fail" && bad != "skip" && bad != "dead-letter") {
    return Status(Errc::kInvalidArgument, "bad_records must be fail, skip or dead-letter");
  }
  RIVULET_ASSIGN_OR_RETURN(auto lm, ctx.OpenLog());
  if (lm) RIVULET_RETURN_IF_ERROR(lm->PartitionCount(topic).status());
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
  auto row = [](const Number& n) {
    return std::vector<std::string>{std::to_string(n.number), std::to_string(n.partition), std::to_string(n.offset)};
  };
  const bool postgres = connectors::IsPostgresUri(db);
  if (postgres) {
    connectors::ToPostgres(numbers, "postgresql",
                           {db, "CREATE TABLE IF NOT EXISTS numbers (number BIGINT, part INTEGER, off BIGINT)",
                            "numbers", {"number", "part", "off"}, {}},
                           row);
  } else {
    connectors::ToSqlite(numbers, "sqlite",
                         {db, "CREATE TABLE IF NOT EXISTS numbers (number INTEGER, part INTEGER, off INTEGER)",
                          "INSERT INTO numbers (number, part, off) VALUES (?, ?, ?)"},
                         row);
  }
  RIVULET_RETURN_IF_ERROR(ctx.Execute(job));
  if (ctx.explain) return Status::Ok();
  RIVULET_RETURN_IF_ERROR(lm->Close());
  const std::string count = "SELECT COUNT(*) FROM numbers", distinct = "SELECT COUNT(DISTINCT number) FROM numbers";
  int64_t rows = 0, unique = 0;
  if (postgres) {
    RIVULET_ASSIGN_OR_RETURN(auto sql, connectors::PostgresSink::Open({db, "", "numbers", {"number"}, {}}));
    RIVULET_ASSIGN_OR_RETURN(rows, sql->QueryInt(count));
    RIVULET_ASSIGN_OR_RETURN(unique, sql->QueryInt(distinct));
  } else {
    RIVULET_ASSIGN_OR_RETURN(auto sql, connectors::SqliteSink::Open(db, "SELECT 1", "SELECT 1"));
    RIVULET_ASSIGN_OR_RETURN(rows, sql->QueryInt(count));
    RIVULET_ASSIGN_OR_RETURN(unique, sql->QueryInt(distinct));
  }
  *ctx.out << "table numbers: " << rows << " rows, " << unique << " distinct numbers, " << rows - unique
           << " duplicates\n";
  return Status::Ok();
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(numtest, {"numtest",
                               "numbers ({\"number\": n}) from a topic into SQLite or PostgreSQL, resuming where the group left off",
                               {{"topic", Type::kString, "numtest", "topic to read"},
                                {"group", Type::kString, "my-group", "consumer group (committed offsets)"},
                                {"db", Type::kString, "", "SQLite file (default DATA_DIR/numtest.db), or a postgresql://user@host:port/db URI"},
                                {"follow", Type::kBool, "false", "keep reading new records until Ctrl-C"},
                                {"bad_records", Type::kString, "fail",
                                 "records that are not numbers: fail, skip, or dead-letter (to TOPIC-dead-letters)"}},
                               RunNumtest, JobNeeds::kDataDir});

}  // namespace
}  // namespace rivulet::jobs

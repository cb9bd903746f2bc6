// The SQLite job sink: rows from several instances in one table, upserts by
// key, and a database that cannot be opened failing the job.
#include <gtest/gtest.h>

#include "connectors/sqlite/sqlite_job_sink.h"
#include "tests/test_util.h"

namespace rivulet::connectors {
namespace {

using operators::JobBuilder;
using operators::JobRunOptions;
using testing::TempDir;

SqliteSinkOptions Options(const std::string& path) {
  return {path, "CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v INTEGER)",
          "INSERT INTO t VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"};
}

TEST(SqliteJobSinkTest, InstancesWriteOneTableAndUpsertByKey) {
  TempDir dir;
  std::vector<int64_t> in(2000);
  for (int64_t i = 0; i < 2000; ++i) in[static_cast<size_t>(i)] = i;
  JobBuilder job;
  ToSqlite(job.FromCollection<int64_t>("n", in), "sqlite", Options(dir / "t.db"), [](const int64_t& x) {
    return std::vector<std::string>{std::to_string(x % 500), std::to_string(x)};
  });
  JobRunOptions o;
  o.parallelism = 2;
  ASSERT_TRUE(job.Run(o).ok());
  auto db = SqliteSink::Open(dir / "t.db", "SELECT 1", "SELECT 1");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM t"), 500);  // upserted: one row per key
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM t WHERE v % 500 != k"), 0);
}

TEST(SqliteJobSinkTest, DatabaseThatCannotBeOpenedFailsTheJob) {
  TempDir dir;
  JobBuilder job;
  ToSqlite(job.FromCollection<int64_t>("n", {1}), "sqlite", Options(dir / "missing-dir/t.db"),
           [](const int64_t& x) { return std::vector<std::string>{std::to_string(x), "1"}; });
  Status st = job.Run({});
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("operator 'sqlite'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("missing-dir/t.db"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace rivulet::connectors

// The SQLite job sink: rows from several instances in one table, upserts by
// key, a database that cannot be opened failing the job, and with
// checkpoints a restore that rivulet_sink_progress says is written.
#include <gtest/gtest.h>

#include "connectors/sqlite/sqlite_job_sink.h"
#include "engine/checkpoint_store.h"
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

// With checkpoints (a store, no periodic ones: the final checkpoint holds
// every row) the rows go in at the final commit; restored from that
// checkpoint, at 2 and at 1, the job writes nothing again; with the sink's
// rivulet_sink_progress rows deleted, the restore at 1 writes every row of
// both old instances again (1 % 1 and 0 % 1 are 0).
TEST(SqliteJobSinkTest, ExactlyOnceTheProgressTableDecidesWhatARestoreWrites) {
  constexpr int64_t kCount = 3000;
  TempDir dir;
  auto store = engine::CheckpointStore::Open(dir / "data", "final");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const SqliteSinkOptions options{dir / "t.db", "CREATE TABLE IF NOT EXISTS t (k INTEGER NOT NULL)",
                                  "INSERT INTO t VALUES (?)"};
  std::shared_ptr<const engine::LoadedCheckpoint> last;
  auto run = [&](int parallelism) {
    std::vector<int64_t> in(kCount);
    for (int64_t i = 0; i < kCount; ++i) in[static_cast<size_t>(i)] = i;
    JobBuilder job;
    ToSqlite(job.FromCollection<int64_t>("n", in), "sqlite", options,
             [](const int64_t& x) { return std::vector<std::string>{std::to_string(x)}; });
    JobRunOptions o;
    o.parallelism = parallelism;
    o.runtime.checkpoints.store = store->get();
    o.runtime.checkpoints.job = "final";
    o.runtime.checkpoints.first_id = *(*store)->NextId();
    o.runtime.checkpoints.restore = last;
    auto started = job.Start(o);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    Status st = (*started)->Wait();
    ASSERT_TRUE(st.ok()) << st.ToString();
    if (!last) last = (*started)->last_checkpoint();
  };
  auto count = [&](const std::string& sql) {
    auto db = SqliteSink::Open(dir / "t.db", "SELECT 1", "SELECT 1");
    EXPECT_TRUE(db.ok());
    return db.ok() ? *(*db)->QueryInt(sql) : -1;
  };
  run(2);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(count("SELECT COUNT(*) FROM t"), kCount);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT k) FROM t"), kCount);
  run(2);
  run(1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM t"), kCount);
  {
    auto db = SqliteSink::Open(dir / "t.db", "SELECT 1", "SELECT 1");
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Execute("DELETE FROM rivulet_sink_progress WHERE sink LIKE 'final/sqlite/%'").ok());
  }
  run(1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM t"), 2 * kCount);
  EXPECT_EQ(count("SELECT COUNT(DISTINCT k) FROM t"), kCount);
}

}  // namespace
}  // namespace rivulet::connectors

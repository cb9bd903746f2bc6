// The PostgreSQL job sink against a real server (Debian's postgresql,
// started privately per test by tests/postgres_server.sh): COPY from
// several instances, text that needs escaping, upserts by key with the
// last row winning, replays leaving an upserted table unchanged, and
// failures (no server, a row the table rejects) failing the job with
// nothing half-written; and, with checkpoints, every row exactly once
// across a cancel and a restore (also at another parallelism), a commit
// that failed, and a restore that rivulet_sink_progress says is written.
#include <gtest/gtest.h>

#include <utility>

#include "connectors/postgres/postgres_job_sink.h"
#include "engine/checkpoint_store.h"
#include "tests/test_util.h"

namespace rivulet::connectors {
namespace {

using operators::JobBuilder;
using operators::JobRunOptions;
using testing::PostgresServer;
using testing::TempDir;

std::unique_ptr<PostgresSink> Connect(const std::string& uri) {
  auto db = PostgresSink::Open({uri, "", "t", {"k"}, {}});
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

TEST(PostgresSinkTest, InstancesCopyEveryRowWithTextAsItWas) {
  PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  std::vector<int64_t> in(20000);
  for (int64_t i = 0; i < 20000; ++i) in[static_cast<size_t>(i)] = i;
  JobBuilder job;
  ToPostgres(job.FromCollection<int64_t>("n", in), "postgresql",
             {pg.uri(), "CREATE TABLE IF NOT EXISTS t (k BIGINT, s TEXT)", "t", {"k", "s"}, {}},
             [](const int64_t& x) {
               return std::vector<std::string>{std::to_string(x), "a\tb\\c\nd\r'\"é" + std::to_string(x)};
             });
  JobRunOptions o;
  o.parallelism = 2;
  o.runtime.batch_size = 512;
  Status st = job.Run(o);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto db = Connect(pg.uri());
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM t"), 20000);
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(DISTINCT k) FROM t"), 20000);
  EXPECT_EQ(*db->QueryInt("SELECT SUM(k) FROM t"), 19999LL * 20000 / 2);
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM t WHERE s = E'a\\tb\\\\c\\nd\\r''\"é' || k"), 20000);
}

TEST(PostgresSinkTest, UpsertsByKeyLastRowWinsAndReplaysChangeNothing) {
  PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  std::vector<int64_t> in(5000);
  for (int64_t i = 0; i < 5000; ++i) in[static_cast<size_t>(i)] = i;
  const PostgresSinkOptions options{pg.uri(), "CREATE TABLE IF NOT EXISTS t (k BIGINT PRIMARY KEY, v BIGINT, w TEXT)",
                                    "t", {"k", "v", "w"}, {"k"}};
  for (int run = 0; run < 2; ++run) {
    JobBuilder job;
    ToPostgres(job.FromCollection<int64_t>("n", in), "postgresql", options, [](const int64_t& x) {
      return std::vector<std::string>{std::to_string(x % 300), std::to_string(x), "w" + std::to_string(x)};
    });
    JobRunOptions o;
    o.parallelism = 1;  // one instance: the order of rows per key is the input's
    o.runtime.batch_size = 1000;  // several rows of a key in each batch, and keys in every batch
    Status st = job.Run(o);
    ASSERT_TRUE(st.ok()) << st.ToString();
    auto db = Connect(pg.uri());
    ASSERT_TRUE(db);
    EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM t"), 300);
    // The last row of each key: the largest x with x % 300 == k.
    EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM t WHERE v = k + 300 * ((4999 - k) / 300) AND w = 'w' || v"), 300)
        << "run " << run;
  }
}

TEST(PostgresSinkTest, ServerThatCannotBeReachedFailsTheJob) {
  JobBuilder job;
  ToPostgres(job.FromCollection<int64_t>("n", {1}), "postgresql",
             {"postgresql://rivulet@127.0.0.1:1/postgres?connect_timeout=5", "", "t", {"k"}, {}},
             [](const int64_t& x) { return std::vector<std::string>{std::to_string(x)}; });
  Status st = job.Run({});
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("operator 'postgresql'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("127.0.0.1:1/postgres: connect: "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Connection refused"), std::string::npos) << st.message();  // libpq's own words
}

TEST(PostgresSinkTest, RowTheTableRejectsFailsTheJobAndItsBatchIsNotWritten) {
  PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  for (bool upsert : {false, true}) {
    const std::string table = upsert ? "u" : "i";
    JobBuilder job;
    ToPostgres(job.FromCollection<std::string>("n", {"1", "2", "three", "4"}), "postgresql",
               {pg.uri(), "CREATE TABLE IF NOT EXISTS " + table + " (k BIGINT PRIMARY KEY)", table, {"k"},
                upsert ? std::vector<std::string>{"k"} : std::vector<std::string>{}},
               [](const std::string& x) { return std::vector<std::string>{x}; });
    Status st = job.Run({});
    EXPECT_EQ(st.code(), Errc::kJobFailed);
    EXPECT_NE(st.message().find("three"), std::string::npos) << st.message();  // PostgreSQL names the value
    auto db = PostgresSink::Open({pg.uri(), "", table, {"k"}, {}});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(*) FROM " + table), 0);  // the batch's transaction rolled back
  }
}

TEST(PostgresSinkTest, OptionsAreChecked) {
  EXPECT_EQ(PostgresSink::Open({"", "", "t; DROP TABLE x", {"k"}, {}}).status().code(), Errc::kInvalidArgument);
  EXPECT_EQ(PostgresSink::Open({"", "", "t", {}, {}}).status().code(), Errc::kInvalidArgument);
  EXPECT_EQ(PostgresSink::Open({"", "", "t", {"k"}, {"v"}}).status().code(), Errc::kInvalidArgument);
  EXPECT_TRUE(IsPostgresUri("postgresql://u@h:1/d"));
  EXPECT_TRUE(IsPostgresUri("postgres://h/d"));
  EXPECT_FALSE(IsPostgresUri("/tmp/x.db"));
}

// With checkpoints: generator (rate-limited, so that checkpoints fall
// inside the run) -> plain inserts into eos (no key: a row written twice
// shows), checkpoints every 10 ms, as job "eos".
struct EosJob {
  JobBuilder job;
  EosJob(const std::string& uri, int64_t count) {
    auto gen = job.FromGenerator("numbers", [](uint64_t n) { return static_cast<int64_t>(n); }, count, 100'000);
    ToPostgres(gen, "postgresql", {uri, "CREATE TABLE IF NOT EXISTS eos (k BIGINT NOT NULL)", "eos", {"k"}, {}},
               [](const int64_t& x) { return std::vector<std::string>{std::to_string(x)}; });
  }
  static JobRunOptions Options(int parallelism, std::shared_ptr<const engine::LoadedCheckpoint> restore) {
    JobRunOptions r;
    r.parallelism = parallelism;
    r.runtime.checkpoints.interval_ms = 10;
    r.runtime.checkpoints.job = "eos";
    r.runtime.checkpoints.restore = std::move(restore);
    return r;
  }
};

// Every k in [0, count) exactly once in `table`.
void ExpectEachOnce(PostgresSink& db, const std::string& table, int64_t count) {
  EXPECT_EQ(*db.QueryInt("SELECT COUNT(*) FROM " + table), count);
  EXPECT_EQ(*db.QueryInt("SELECT COUNT(DISTINCT k) FROM " + table), count);
  EXPECT_EQ(*db.QueryInt("SELECT COALESCE(MIN(k), -1) FROM " + table), 0);
  EXPECT_EQ(*db.QueryInt("SELECT COALESCE(MAX(k), -1) FROM " + table), count - 1);
}

class PostgresExactlyOnceTest : public ::testing::TestWithParam<std::pair<int, int>> {};

// The job is cancelled after a few checkpoints (rows of the open epochs
// never reach the table) and restarts from its last checkpoint, maybe at
// another parallelism: the table holds every row once. The last
// checkpoint's own epoch was committed at the cancel (its completion is
// delivered before the job stops), so the restore must also skip what
// rivulet_sink_progress says is written.
TEST_P(PostgresExactlyOnceTest, EveryRowOnceAcrossACancelAndARestore) {
  const auto [before, after] = GetParam();
  constexpr int64_t kCount = 30'000;
  PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  std::shared_ptr<const engine::LoadedCheckpoint> last;
  {
    EosJob eos(pg.uri(), kCount);
    auto job = eos.job.Start(EosJob::Options(before, nullptr));
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    ASSERT_TRUE((*job)->AwaitCheckpoint(3, std::chrono::seconds(20)).ok());
    (*job)->Cancel();
    (void)(*job)->Wait();
    last = (*job)->last_checkpoint();
    ASSERT_NE(last, nullptr);
  }
  auto db = Connect(pg.uri());
  ASSERT_TRUE(db);
  const int64_t written = *db->QueryInt("SELECT COUNT(*) FROM eos");
  EXPECT_LT(written, kCount) << "the job ended before the cancel: nothing to test";
  EXPECT_GT(written, 0) << "no checkpoint was committed before the cancel";
  // Every instance that wrote recorded a checkpoint up to the last one.
  EXPECT_EQ(*db->QueryInt("SELECT MAX(checkpoint) FROM rivulet_sink_progress WHERE sink LIKE 'eos/postgresql/%'"),
            last->info.id);
  EosJob eos(pg.uri(), kCount);
  auto job = eos.job.Start(EosJob::Options(after, last));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  Status st = (*job)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  ExpectEachOnce(*db, "eos", kCount);
}

INSTANTIATE_TEST_SUITE_P(Parallelism, PostgresExactlyOnceTest,
                         ::testing::Values(std::pair{1, 1}, std::pair{2, 2}, std::pair{2, 1}, std::pair{1, 3}));

// A bounded job with a checkpoint store and no periodic checkpoints: its
// final checkpoint holds every row (one epoch per instance), so whether the
// rows are in the table depends on that one commit alone.
struct FinalOnlyJob {
  JobBuilder job;
  FinalOnlyJob(const std::string& uri, int64_t count) {
    std::vector<int64_t> in(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) in[static_cast<size_t>(i)] = i;
    ToPostgres(job.FromCollection<int64_t>("numbers", in), "postgresql",
               {uri, "CREATE TABLE IF NOT EXISTS eos (k BIGINT NOT NULL)", "eos", {"k"}, {}},
               [](const int64_t& x) { return std::vector<std::string>{std::to_string(x)}; });
  }
  static JobRunOptions Options(int parallelism, engine::CheckpointStore* store,
                               std::shared_ptr<const engine::LoadedCheckpoint> restore) {
    JobRunOptions r;
    r.parallelism = parallelism;
    r.runtime.checkpoints.store = store;
    r.runtime.checkpoints.job = "final";
    r.runtime.checkpoints.first_id = *store->NextId();
    r.runtime.checkpoints.restore = std::move(restore);
    return r;
  }
};

// The final checkpoint completes, but the commit of instance 1 fails (a
// trigger on rivulet_sink_progress raises once: a sequence counts, and a
// sequence is not rolled back); instance 0 commits or not, as the job's
// failure allows. The job fails with instance 1's rows not in the table.
// Restored from that checkpoint at parallelism 1 (which takes over old
// instance 1: 1 % 1 == 0) the job writes what is missing and nothing
// twice; restored from it once more, at 3, it writes nothing.
TEST(PostgresCheckpointTest, ACommitThatFailedIsWrittenOnceByTheRestoredJob) {
  constexpr int64_t kCount = 5000;
  PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  TempDir dir;
  auto store = engine::CheckpointStore::Open(dir / "data", "final");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto db = Connect(pg.uri());
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE rivulet_sink_progress (sink TEXT PRIMARY KEY, checkpoint BIGINT NOT NULL);"
                       "CREATE SEQUENCE fail_once;"
                       "CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       "IF NEW.sink LIKE '%/1' THEN "
                       "IF nextval('fail_once') = 1 THEN RAISE EXCEPTION 'injected commit failure'; END IF; "
                       "END IF; RETURN NEW; END $$;"
                       "CREATE TRIGGER fail_once BEFORE INSERT OR UPDATE ON rivulet_sink_progress "
                       "FOR EACH ROW EXECUTE FUNCTION fail_once()")
                  .ok());
  std::shared_ptr<const engine::LoadedCheckpoint> final_checkpoint;
  {
    FinalOnlyJob j(pg.uri(), kCount);
    auto job = j.job.Start(FinalOnlyJob::Options(2, store->get(), nullptr));
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    Status st = (*job)->Wait();
    EXPECT_EQ(st.code(), Errc::kJobFailed);
    EXPECT_NE(st.message().find("injected commit failure"), std::string::npos) << st.message();
    final_checkpoint = (*job)->last_checkpoint();
    ASSERT_NE(final_checkpoint, nullptr);
    ASSERT_TRUE(final_checkpoint->info.final);
  }
  EXPECT_LT(*db->QueryInt("SELECT COUNT(*) FROM eos"), kCount);
  for (int parallelism : {1, 3}) {
    FinalOnlyJob j(pg.uri(), kCount);
    auto job = j.job.Start(FinalOnlyJob::Options(parallelism, store->get(), final_checkpoint));
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    Status st = (*job)->Wait();
    ASSERT_TRUE(st.ok()) << st.ToString();
    ExpectEachOnce(*db, "eos", kCount);
  }
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM rivulet_sink_progress WHERE checkpoint = " +
                          std::to_string(final_checkpoint->info.id)),
            2);  // both old instances: final/postgresql/0 and /1
}

// rivulet_sink_progress decides what a restore writes: a job that finished
// (every row committed with its final checkpoint), restored from that
// checkpoint, writes nothing; with the table's rows of the sink deleted,
// the same restore writes every row again.
TEST(PostgresCheckpointTest, TheProgressTableDecidesWhatARestoreWrites) {
  constexpr int64_t kCount = 3000;
  PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  TempDir dir;
  auto store = engine::CheckpointStore::Open(dir / "data", "final");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::shared_ptr<const engine::LoadedCheckpoint> final_checkpoint;
  {
    FinalOnlyJob j(pg.uri(), kCount);
    auto job = j.job.Start(FinalOnlyJob::Options(2, store->get(), nullptr));
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    Status st = (*job)->Wait();
    ASSERT_TRUE(st.ok()) << st.ToString();
    final_checkpoint = (*job)->last_checkpoint();
    ASSERT_NE(final_checkpoint, nullptr);
  }
  auto db = Connect(pg.uri());
  ASSERT_TRUE(db);
  ExpectEachOnce(*db, "eos", kCount);
  auto restore = [&](int parallelism) {
    FinalOnlyJob j(pg.uri(), kCount);
    auto job = j.job.Start(FinalOnlyJob::Options(parallelism, store->get(), final_checkpoint));
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    Status st = (*job)->Wait();
    ASSERT_TRUE(st.ok()) << st.ToString();
  };
  restore(2);
  ExpectEachOnce(*db, "eos", kCount);
  ASSERT_TRUE(db->Exec("DELETE FROM rivulet_sink_progress WHERE sink LIKE 'final/postgresql/%'").ok());
  restore(1);
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM eos"), 2 * kCount);
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(DISTINCT k) FROM eos"), kCount);
}

// Upserts with checkpoints: the epochs of a commit are merged once, the
// last row of a key winning across epochs and instances' batches.
TEST(PostgresCheckpointTest, UpsertsWithCheckpointsKeepTheLastRowOfEachKey) {
  PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  constexpr int64_t kCount = 20'000;
  JobBuilder job;
  ToPostgres(job.FromGenerator("numbers", [](uint64_t n) { return static_cast<int64_t>(n); }, kCount, 200'000),
             "postgresql",
             {pg.uri(), "CREATE TABLE IF NOT EXISTS t (k BIGINT PRIMARY KEY, v BIGINT)", "t", {"k", "v"}, {"k"}},
             [](const int64_t& x) { return std::vector<std::string>{std::to_string(x % 300), std::to_string(x)}; });
  JobRunOptions o;
  o.parallelism = 1;  // one instance: the order of rows per key is the input's
  o.runtime.batch_size = 256;
  o.runtime.checkpoints.interval_ms = 10;
  o.runtime.checkpoints.job = "upsert";
  Status st = job.Run(o);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto db = Connect(pg.uri());
  ASSERT_TRUE(db);
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM t"), 300);
  EXPECT_EQ(*db->QueryInt("SELECT COUNT(*) FROM t WHERE v = k + 300 * ((19999 - k) / 300)"), 300);
  EXPECT_GT(*db->QueryInt("SELECT checkpoint FROM rivulet_sink_progress WHERE sink = 'upsert/postgresql/0'"), 1)
      << "written at one checkpoint only: the epochs were not tested";
}

}  // namespace
}  // namespace rivulet::connectors

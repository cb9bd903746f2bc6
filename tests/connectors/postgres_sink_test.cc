// The PostgreSQL job sink against a real server (Debian's postgresql,
// started privately per test by tests/postgres_server.sh): COPY from
// several instances, text that needs escaping, upserts by key with the
// last row winning, replays leaving an upserted table unchanged, and
// failures (no server, a row the table rejects) failing the job with
// nothing half-written.
#include <gtest/gtest.h>

#include "connectors/postgres/postgres_job_sink.h"
#include "tests/test_util.h"

namespace rivulet::connectors {
namespace {

using operators::JobBuilder;
using operators::JobRunOptions;
using testing::PostgresServer;

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

}  // namespace
}  // namespace rivulet::connectors

// The tutorial flow of issue "embedded log": 1000 JSON numbers produced to
// numtest; a consumer in group my-group (earliest, auto-commit every second)
// writes them into SQLite; it is killed (SIGKILL) half-way and restarted:
// every number is in the table, none missing, duplicates only from the
// uncommitted tail.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "jobs/job.h"
#include "connectors/sqlite/sqlite_sink.h"
#include "log/group_coordinator.h"
#include "log/log_manager.h"
#include "tests/test_util.h"

extern char** environ;

namespace rivulet::jobs {
namespace {

using testing::RunProcess;
using testing::TempDir;

pid_t Spawn(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

TEST(TutorialTest, KilledConsumerResumesWithNothingMissing) {
  TempDir dir;
  const std::string data = dir / "data";
  const std::string db = dir / "numbers.db";
  const std::string bin = RIVULET_BINARY;

  auto r = RunProcess({bin, "run", "tutorial", "--data-dir", data, "--set", "phase=produce"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "produced 1000 records to numtest\n");

  // A slow consumer (20 records per poll, 100 ms per batch), killed once
  // half of the numbers are in the table.
  pid_t pid = Spawn({bin, "run", "tutorial", "--data-dir", data, "--set", "phase=consume", "--set",
                     "db=" + db, "--set", "batch_delay_ms=100", "--set", "max_poll_records=20"});
  ASSERT_GT(pid, 0);
  int64_t rows_at_kill = 0;
  {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto sink = connectors::SqliteSink::Open(
          db, "CREATE TABLE IF NOT EXISTS numbers (number INTEGER, part INTEGER, off INTEGER)",
          "INSERT INTO numbers VALUES (?, ?, ?)");
      if (sink.ok()) {
        auto n = (*sink)->QueryInt("SELECT COUNT(*) FROM numbers");
        if (n.ok() && *n >= 500) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the consumer finished before it could be killed";

  // What the group had committed when it died.
  int64_t committed = 0;
  {
    auto lm = log::LogManager::Open(data);
    ASSERT_TRUE(lm.ok()) << lm.status().ToString();
    auto offsets = (*lm)->groups().FetchOffsets("my-group");
    ASSERT_EQ(offsets.size(), 1u) << "auto-commit never ran";
    committed = offsets.begin()->second.offset;
  }
  {
    auto sink = connectors::SqliteSink::Open(db, "SELECT 1", "SELECT ?");
    ASSERT_TRUE(sink.ok());
    rows_at_kill = *(*sink)->QueryInt("SELECT COUNT(*) FROM numbers");
  }
  EXPECT_GE(rows_at_kill, 500);
  EXPECT_LT(rows_at_kill, 1000);
  EXPECT_GT(committed, 0);
  EXPECT_LE(committed, rows_at_kill);

  // Restart: it resumes from the committed offset.
  r = RunProcess({bin, "run", "tutorial", "--data-dir", data, "--set", "phase=consume", "--set", "db=" + db,
                  "--set", "idle_ms=1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("consumed " + std::to_string(1000 - committed) + " records"), std::string::npos)
      << r.out << " committed=" << committed;

  auto sink = connectors::SqliteSink::Open(db, "SELECT 1", "SELECT ?");
  ASSERT_TRUE(sink.ok());
  EXPECT_EQ(*(*sink)->QueryInt("SELECT COUNT(DISTINCT number) FROM numbers"), 1000) << "numbers missing";
  EXPECT_EQ(*(*sink)->QueryInt("SELECT MIN(number) FROM numbers"), 0);
  EXPECT_EQ(*(*sink)->QueryInt("SELECT MAX(number) FROM numbers"), 999);
  // Each number is stored with its offset; duplicates only at or after the
  // committed offset (the uncommitted tail), and at most twice.
  EXPECT_EQ(*(*sink)->QueryInt("SELECT COUNT(*) FROM numbers WHERE number <> off"), 0);
  EXPECT_EQ(*(*sink)->QueryInt("SELECT COUNT(*) FROM (SELECT number FROM numbers GROUP BY number "
                               "HAVING COUNT(*) > 1 AND number < " + std::to_string(committed) + ")"),
            0);
  EXPECT_EQ(*(*sink)->QueryInt("SELECT COUNT(*) FROM (SELECT number FROM numbers GROUP BY number "
                               "HAVING COUNT(*) > 2)"),
            0);
  EXPECT_EQ(*(*sink)->QueryInt("SELECT COUNT(*) FROM numbers"), 1000 + (rows_at_kill - committed));
}

}  // namespace
}  // namespace rivulet::jobs

namespace rivulet::jobs {
namespace {

// The progress line's watermark (jobs/job.h): a time, and how far behind.
TEST(FormatWatermarkTest, UtcToTheMillisecondAndTheLag) {
  // 2026-12-03T05:36:08.123Z
  const int64_t wm = 1796276168123;
  EXPECT_EQ(FormatWatermark(wm, wm + 5'200), "2026-12-03T05:36:08.123Z (5.2 s behind)");
  EXPECT_EQ(FormatWatermark(wm, wm + 180'000), "2026-12-03T05:36:08.123Z (3 min behind)");
  EXPECT_EQ(FormatWatermark(wm, wm + 9'000'000), "2026-12-03T05:36:08.123Z (2.5 h behind)");
  EXPECT_EQ(FormatWatermark(wm, wm + 12 * 86'400'000LL), "2026-12-03T05:36:08.123Z (12 days behind)");
  EXPECT_EQ(FormatWatermark(wm, wm - 2'000), "2026-12-03T05:36:08.123Z (2.0 s ahead)");
  EXPECT_EQ(FormatWatermark(0, 0), "1970-01-01T00:00:00.000Z (0.0 s behind)");
  EXPECT_EQ(FormatWatermark(-1, 0), "1969-12-31T23:59:59.999Z (0.0 s behind)");
}

}  // namespace
}  // namespace rivulet::jobs

// Jobs killed with SIGKILL at random moments — while generating their
// input, while processing it, while a checkpoint is being written — and
// started again with the same command each time, alternating parallelism
// 1 and 2: the final output equals that of a run without failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/sqlite/sqlite_sink.h"
#include "log/consumer.h"
#include "log/log_manager.h"
#include "tests/test_util.h"
#include "tests/tools/rivulet_process.h"

extern char** environ;

namespace rivulet {
namespace {

using testing::Rivulet;
using testing::Spawn;
using testing::TempDir;



std::vector<std::string> SortedLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Records of `topic` a read_committed consumer reads from the beginning.
size_t CountCommitted(const std::string& data_dir, const std::string& topic) {
  auto lm = log::LogManager::Open(data_dir, {});
  EXPECT_TRUE(lm.ok()) << lm.status().ToString();
  if (!lm.ok()) return 0;
  log::ConsumerConfig cc;
  cc.group_id = "count";
  cc.enable_auto_commit = false;
  cc.isolation_level = log::IsolationLevel::kReadCommitted;
  log::Consumer c(lm->get(), cc);
  auto n = (*lm)->PartitionCount(topic);
  EXPECT_TRUE(n.ok());
  std::vector<log::TopicPartition> tps;
  for (int32_t p = 0; p < *n; ++p) tps.push_back({topic, p});
  EXPECT_TRUE(c.Assign(tps).ok());
  EXPECT_TRUE(c.SeekToBeginning(tps).ok());
  auto ends = c.EndOffsets(tps);
  EXPECT_TRUE(ends.ok());
  size_t count = 0;
  for (int polls = 0; polls < 10000; ++polls) {
    auto recs = c.Poll(std::chrono::milliseconds(10));
    EXPECT_TRUE(recs.ok());
    if (!recs.ok()) break;
    for (const auto& r : *recs) {
      (void)r;
      ++count;
    }
    bool done = true;
    for (const auto& tp : tps) done = done && *c.Position(tp) >= ends->at(tp);
    if (done) break;
  }
  return count;
}

// The rows only one side has, as "+ row" (got) and "- row" (want).
std::string RowDiff(std::vector<std::vector<std::string>> got, std::vector<std::vector<std::string>> want) {
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  std::vector<std::vector<std::string>> only_got, only_want;
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(only_got));
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(only_want));
  std::string out;
  auto add = [&](char sign, const std::vector<std::vector<std::string>>& rows) {
    for (size_t i = 0; i < rows.size() && i < 20; ++i) {
      out += sign;
      for (const auto& f : rows[i]) out += " " + f;
      out += "\n";
    }
    if (rows.size() > 20) out += sign + std::string(" ... ") + std::to_string(rows.size() - 20) + " more\n";
  };
  add('+', only_got);
  add('-', only_want);
  return out;
}

// Rounds of kills per test: 1 (fraud: 2) in the suite; more under
// scripts/soak.sh, which sets RIVULET_KILL_ROUNDS. Each round has its own
// seed and data directory.
uint64_t Rounds(uint64_t in_suite) {
  const char* env = std::getenv("RIVULET_KILL_ROUNDS");
  const uint64_t n = env ? std::strtoull(env, nullptr, 10) : 0;
  return n > 0 ? n : in_suite;
}

struct KillStats {
  int kills = 0;
  int completed_on_its_own = 0;
};

// Runs `args` (plus --data-dir and --parallelism) as children killed after
// a random 50..700 ms, `kills` times, alternating parallelism; stops
// killing once a run completed (one ended on its own, or the job's run
// marker came and went: killing a finished job and running it again would
// start a new run); then runs it to completion.
// Once the main pipeline has started (its checkpoint directory exists),
// the kills come sooner (100..400 ms), so that more land while it runs.
KillStats KillAndRerun(const std::string& data_dir, const std::string& job, std::vector<std::string> args,
                       int kills, uint64_t seed) {
  std::mt19937_64 rng(seed);
  KillStats stats;
  const std::string marker = data_dir + "/checkpoints/" + job + ".run";
  bool marker_seen = false;
  for (int i = 0; i < kills; ++i) {
    std::vector<std::string> a = {"run", job, "--data-dir", data_dir, "--parallelism", std::to_string(i % 2 + 1),
                                  "--no-progress", "--checkpoint-interval-ms", "100"};
    a.insert(a.end(), args.begin(), args.end());
    const pid_t pid = Spawn(a);
    EXPECT_GT(pid, 0);
    if (pid <= 0) break;
    const bool main_started = std::filesystem::exists(data_dir + "/checkpoints/" + job);
    std::this_thread::sleep_for(std::chrono::milliseconds(main_started ? 100 + rng() % 300 : 50 + rng() % 650));
    int status = 0;
    const bool exited = waitpid(pid, &status, WNOHANG) == pid;
    if (!exited) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++stats.kills;
    } else {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "run " << i << " failed on its own";
      ++stats.completed_on_its_own;
    }
    // Finished: a run ended on its own, or the run marker was there and is
    // gone. (A run killed before it wrote the marker — a slow start under
    // ASan — has not finished anything.)
    if (std::filesystem::exists(marker)) {
      marker_seen = true;
    } else if (exited || marker_seen) {
      break;
    }
  }
  if (std::filesystem::exists(marker) || !std::filesystem::exists(data_dir)) {
    std::vector<std::string> a = {"run", job, "--data-dir", data_dir, "--parallelism", "2", "--no-progress",
                                  "--checkpoint-interval-ms", "100"};
    a.insert(a.end(), args.begin(), args.end());
    auto r = Rivulet(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  return stats;
}

TEST(KillTest, FraudAlertsReadCommittedAreThoseOfARunWithoutFailure) {
  TempDir dir;
  const std::vector<std::string> args = {"--set", "transactions=60000", "--set", "rate=15000", "--set",
                                         "start_ms=1700000000000"};
  auto alerts = [](const std::string& d) {
    auto r = Rivulet({"consume", "--topic", "alerts", "--from-beginning", "--timeout-ms", "300", "--isolation-level",
                      "read_committed", "--data-dir", d});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return SortedLines(r.out);
  };
  // The reference: one run, no failure.
  std::vector<std::string> ref_args = {"run", "fraud", "--data-dir", dir / "ref", "--no-progress"};
  ref_args.insert(ref_args.end(), args.begin(), args.end());
  auto r = Rivulet(ref_args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto want = alerts(dir / "ref");
  ASSERT_EQ(want.size(), 33u);

  for (uint64_t round = 0; round < Rounds(2); ++round) {
    const std::string d = dir / ("killed" + std::to_string(round));
    const KillStats stats = KillAndRerun(d, "fraud", args, 12, 20261202 + round);
    EXPECT_GE(stats.kills, 10) << "the job ended before it could be killed often enough";
    EXPECT_EQ(alerts(d), want) << "round " << round << " after " << stats.kills << " kills";
    // The input was generated once too.
    EXPECT_EQ(CountCommitted(d, "transactions"), 60000u) << "round " << round;
  }
}

// clickstream's table page_views in DATA_DIR/clickstream.db, ordered.
std::vector<std::vector<std::string>> PageViews(const std::string& data_dir) {
  auto db = connectors::SqliteSink::Open(data_dir + "/clickstream.db", "SELECT 1", "SELECT 1");
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  if (!db.ok()) return {};
  auto rows = (*db)->QueryRows("SELECT window_start, page, views FROM page_views ORDER BY window_start, page");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? *rows : std::vector<std::vector<std::string>>{};
}

TEST(KillTest, ClickstreamTableInSqliteIsThatOfARunWithoutFailure) {
  TempDir dir;
  const std::vector<std::string> args = {"--set", "views=2000000", "--set", "rate=600000", "--set", "window_ms=1000",
                                         "--set", "start_ms=1700000000000"};
  const auto table = PageViews;
  std::vector<std::string> ref_args = {"run", "clickstream", "--data-dir", dir / "ref", "--no-progress"};
  ref_args.insert(ref_args.end(), args.begin(), args.end());
  auto r = Rivulet(ref_args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto want = table(dir / "ref");
  ASSERT_GT(want.size(), 400u);
  int64_t total = 0;
  for (const auto& row : want) total += std::stoll(row[2]);
  ASSERT_EQ(total, 2000000);

  for (uint64_t round = 0; round < Rounds(1); ++round) {
    const std::string d = dir / ("killed" + std::to_string(round));
    const KillStats stats = KillAndRerun(d, "clickstream", args, 16, 20261203 + round);
    EXPECT_GE(stats.kills, 10) << "the job ended before it could be killed often enough";
    const auto got = table(d);
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want) << "round " << round << " after " << stats.kills << " kills, "
                             << stats.completed_on_its_own << " runs ended on their own; rows that differ:\n"
                             << RowDiff(got, want);
    EXPECT_EQ(CountCommitted(d, "pageviews"), 2000000u);
  }
}

// numtest reads JSON numbers from a topic into SQLite (an exactly-once
// sink with checkpoints), killed while it reads: every number once.
TEST(KillTest, NumtestTableHoldsEveryNumberOnce) {
  TempDir dir;
  constexpr int kNumbers = 2'000'000;
  std::string input;
  for (int i = 0; i < kNumbers; ++i) input += "{\"number\": " + std::to_string(i) + "}\n";
  for (uint64_t round = 0; round < Rounds(1); ++round) {
    const std::string d = dir / ("data" + std::to_string(round));
    ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "numtest", "--partitions", "3", "--data-dir", d}).exit_code,
              0);
    auto r = Rivulet({"produce", "--topic", "numtest", "--data-dir", d}, input);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const KillStats stats = KillAndRerun(d, "numtest", {}, 12, 20261204 + round);
    EXPECT_GE(stats.kills, 6) << "the job ended before it could be killed often enough";
    // One more run: nothing new to read; it prints what the table holds.
    r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "table numbers: 2000000 rows, 2000000 distinct numbers, 0 duplicates\n")
        << "round " << round << " after " << stats.kills << " kills, " << stats.completed_on_its_own
        << " runs ended on their own";
  }
}

// A run that wrote its final checkpoint but died before its sink committed
// it (here the database refuses the commit; a kill between the two does
// the same) leaves the run unfinished: the next run restores that final
// checkpoint and makes the commit, so the table is complete, once.
TEST(KillTest, AFinalCheckpointsCommitThatDidNotHappenIsMadeByTheNextRun) {
  TempDir dir;
  const std::vector<std::string> args = {"run", "clickstream", "--no-progress", "--set", "views=50000", "--set",
                                         "window_ms=1000", "--set", "start_ms=1700000000000"};
  auto with = [&](const std::string& d, std::vector<std::string> more) {
    std::vector<std::string> a = args;
    a.insert(a.end(), {"--data-dir", d});
    a.insert(a.end(), more.begin(), more.end());
    return Rivulet(a);
  };
  auto r = with(dir / "ref", {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto want = PageViews(dir / "ref");
  ASSERT_GT(want.size(), 10u);

  const std::string d = dir / "refused";
  std::filesystem::create_directories(d);
  {
    auto db = connectors::SqliteSink::Open(
        d + "/clickstream.db",
        "CREATE TABLE page_views (window_start INTEGER, page INTEGER, title TEXT, section TEXT, views INTEGER, "
        "PRIMARY KEY (window_start, page)); CREATE TRIGGER refuse BEFORE INSERT ON page_views BEGIN SELECT "
        "RAISE(ABORT, 'refused by the test'); END",
        "SELECT 1");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
  }
  // No checkpoint but the final one: every row waits for its commit.
  r = with(d, {"--checkpoint-interval-ms", "3600000", "--restarts", "0"});
  ASSERT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("refused by the test"), std::string::npos) << r.err;
  EXPECT_TRUE(PageViews(d).empty());
  {
    auto db = connectors::SqliteSink::Open(d + "/clickstream.db", "DROP TRIGGER refuse", "SELECT 1");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
  }
  r = with(d, {"--checkpoint-interval-ms", "3600000", "--restarts", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("taken at the end of its input: completing its commits"), std::string::npos) << r.err;
  EXPECT_EQ(PageViews(d), want);
  EXPECT_FALSE(std::filesystem::exists(d + "/checkpoints/clickstream.run")) << "the run is complete";
}

}  // namespace
}  // namespace rivulet

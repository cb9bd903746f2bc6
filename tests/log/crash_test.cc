// Crash safety: a child appends and flushes numbered records; the parent
// kills it with SIGKILL at random moments. After every kill the log must
// open, and every record reported flushed must be there, in order, with no
// gap and no garbage.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <map>
#include <set>
#include <string>

#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "tests/test_util.h"

extern char** environ;

namespace rivulet::log {
namespace {

using testing::TempDir;

// Starts the child (`mode` DIR [extra]); returns its pid and the read end of its stdout.
pid_t SpawnChild(const std::string& dir, int* out_fd, const char* mode = "append", std::string extra = "") {
  int fds[2];
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  std::string bin = RIVULET_CRASH_CHILD;
  std::vector<char*> args = {bin.data(), const_cast<char*>(mode), const_cast<char*>(dir.c_str())};
  if (!extra.empty()) args.push_back(extra.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, bin.c_str(), &fa, nullptr, args.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  *out_fd = fds[0];
  return pid;
}

// Reads whatever the child printed; returns the largest flushed offset.
int64_t DrainReported(int fd, std::string* pending, int timeout_ms) {
  int64_t best = -1;
  char buf[4096];
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int rc = ::poll(&p, 1, timeout_ms);
    if (rc <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    pending->append(buf, static_cast<size_t>(n));
    timeout_ms = 0;
  }
  size_t pos;
  while ((pos = pending->find('\n')) != std::string::npos) {
    best = std::max<int64_t>(best, std::stoll(pending->substr(0, pos)));
    pending->erase(0, pos + 1);
  }
  return best;
}

TEST(CrashTest, KillNineLosesNothingFlushed) {
  TempDir dir;
  const std::string data = dir / "data";
  std::mt19937 rng(20261125);
  int64_t flushed = -1;  // largest offset any child reported flushed
  const int kKills = 50;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < kKills; ++round) {
    int fd;
    pid_t pid = SpawnChild(data, &fd);
    ASSERT_GT(pid, 0);
    std::string pending;
    // Let it run for a random while, collecting reports.
    const int run_ms = 5 + static_cast<int>(rng() % 120);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
    while (std::chrono::steady_clock::now() < until) {
      flushed = std::max(flushed, DrainReported(fd, &pending, 5));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own, status " << status;
    flushed = std::max(flushed, DrainReported(fd, &pending, 0));
    ::close(fd);

    // The log opens and holds exactly seq-0 .. seq-(n-1), n > flushed.
    auto lm = LogManager::Open(data);
    ASSERT_TRUE(lm.ok()) << lm.status().ToString();
    if (flushed < 0 && !(*lm)->PartitionCount("crash").ok()) continue;  // killed before it made the topic
    auto records = testing::ReadAll(**lm, {"crash", 0});
    ASSERT_TRUE(records.ok()) << "round " << round << ": " << records.status().ToString();
    ASSERT_GE(static_cast<int64_t>(records->size()), flushed + 1)
        << "round " << round << ": lost flushed records";
    for (size_t i = 0; i < records->size(); ++i) {
      const auto& r = (*records)[i];
      ASSERT_EQ(r.offset, static_cast<int64_t>(i)) << "gap at round " << round;
      ASSERT_EQ(r.value, "seq-" + std::to_string(i)) << "garbage at round " << round;
    }
    auto part = (*lm)->GetPartition({"crash", 0});
    ASSERT_EQ((*part)->log_end_offset(), static_cast<int64_t>(records->size()));
    ASSERT_TRUE((*part)->corrupt_ranges().empty());
  }
  EXPECT_GT(flushed, 100) << "the child made too little progress to test anything";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(120));
}

// Reads what the transactional child printed: "c <k>" and "a <k>" lines.
void DrainTransactions(int fd, std::string* pending, int timeout_ms, std::set<long>* committed,
                       std::set<long>* aborted) {
  char buf[4096];
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    pending->append(buf, static_cast<size_t>(n));
    timeout_ms = 0;
  }
  size_t pos;
  while ((pos = pending->find('\n')) != std::string::npos) {
    const std::string line = pending->substr(0, pos);
    pending->erase(0, pos + 1);
    (line[0] == 'c' ? committed : aborted)->insert(std::stol(line.substr(2)));
  }
}

// kill -9 in the middle of transactions (and of their markers, and of the
// transaction log's writes): after each, read_committed sees every
// transaction reported committed, whole, and nothing of any other.
TEST(CrashTest, KillNineMidTransactionKeepsCommittedAndAbortsTheRest) {
  TempDir dir;
  const std::string data = dir / "data";
  std::mt19937 rng(20261201);
  std::set<long> committed, aborted;
  for (int round = 0; round < 12; ++round) {
    int fd;
    pid_t pid = SpawnChild(data, &fd, "txn", std::to_string(round * 1000000L));
    ASSERT_GT(pid, 0);
    std::string pending;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(20 + rng() % 150);
    while (std::chrono::steady_clock::now() < until) DrainTransactions(fd, &pending, 5, &committed, &aborted);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own, status " << status;
    DrainTransactions(fd, &pending, 0, &committed, &aborted);
    ::close(fd);

    auto lm = LogManager::Open(data);
    ASSERT_TRUE(lm.ok()) << lm.status().ToString();
    std::map<long, std::pair<int, int>> seen;  // k -> (records seen, n)
    for (int32_t p = 0; p < 2; ++p) {
      auto part = (*lm)->GetPartition({"txn", p});
      if (!part.ok()) continue;  // the child died before creating the topic
      ASSERT_EQ((*part)->last_stable_offset(), (*part)->log_end_offset()) << "round " << round;
      ConsumerConfig cc;
      cc.isolation_level = IsolationLevel::kReadCommitted;
      cc.enable_auto_commit = false;
      Consumer c(lm->get(), cc);
      ASSERT_TRUE(c.Assign({{"txn", p}}).ok());
      ASSERT_TRUE(c.SeekToBeginning({{"txn", p}}).ok());
      for (;;) {
        auto recs = c.Poll(std::chrono::milliseconds(20));
        ASSERT_TRUE(recs.ok()) << recs.status().ToString();
        if (recs->empty()) break;
        for (const auto& r : *recs) {
          long k;
          int i, n;
          ASSERT_EQ(std::sscanf(std::string(*r.value).c_str(), "t%ld-%d-of-%d", &k, &i, &n), 3);
          auto& [count, total] = seen[k];
          ++count;
          total = n;
        }
      }
    }
    for (const auto& [k, v] : seen) {
      EXPECT_EQ(v.first, v.second) << "transaction " << k << " seen in part, round " << round;
      EXPECT_EQ(aborted.count(k), 0u) << "aborted transaction " << k << " visible, round " << round;
      EXPECT_NE(k % 3, 2) << "transaction " << k << " was to abort";
    }
    for (long k : committed) EXPECT_EQ(seen.count(k), 1u) << "committed transaction " << k << " lost";
  }
  EXPECT_GT(committed.size(), 20u) << "the child made too little progress to test anything";
}

}  // namespace
}  // namespace rivulet::log

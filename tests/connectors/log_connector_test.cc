// The embedded log as a job's source and sink: partitions split between
// instances, start positions (earliest, latest, committed, timestamp),
// commits, bad records, timestamps and watermarks, and writing back.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <map>
#include <set>
#include <string>

#include "connectors/log/log_connector.h"
#include "engine/metrics.h"
#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "log/txn_coordinator.h"
#include "tests/test_util.h"

namespace rivulet::connectors {
namespace {

using operators::Collected;
using operators::JobBuilder;
using operators::JobRunOptions;
using testing::TempDir;

struct Num {
  int64_t n;
  int32_t partition;
};

// Decodes "n" values; anything else is a bad record.
std::optional<Num> DecodeNum(const log::ConsumerRecord& r) {
  if (!r.value || r.value->empty()) return std::nullopt;
  try {
    size_t used = 0;
    const std::string s(*r.value);
    const int64_t n = std::stoll(s, &used);
    if (used != s.size()) return std::nullopt;
    return Num{n, r.partition};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void Produce(log::LogManager& lm, const std::string& topic, int64_t from, int64_t to, int32_t partitions) {
  log::Producer p(&lm);
  for (int64_t n = from; n < to; ++n) {
    const std::string v = std::to_string(n);
    ASSERT_TRUE(p.Send(topic, std::nullopt, std::string_view(v), nullptr, static_cast<int32_t>(n % partitions),
                       /*timestamp=*/1000 + n)
                    .ok());
  }
  ASSERT_TRUE(p.Flush().ok());
}

std::vector<Num> ReadJob(log::LogManager* lm, LogSourceOptions o, int parallelism, Status* status = nullptr) {
  JobBuilder job;
  auto out = std::make_shared<Collected<Num>>();
  FromLog<Num>(job, "numbers", lm, o, DecodeNum).CollectInto("out", out);
  JobRunOptions r;
  r.parallelism = parallelism;
  Status st = job.Run(r);
  if (status) {
    *status = st;
  } else {
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return out->values();
}

TEST(LogConnectorTest, EveryRecordOnceWithPartitionsSplitBetweenInstances) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 3).ok());
  Produce(**lm, "numbers", 0, 3000, 3);
  for (int p : {1, 2, 4}) {
    LogSourceOptions o;
    o.topic = "numbers";
    auto v = ReadJob(lm->get(), o, p);
    ASSERT_EQ(v.size(), 3000u) << "parallelism " << p;
    std::set<int64_t> seen;
    for (const auto& x : v) {
      seen.insert(x.n);
      EXPECT_EQ(x.n % 3, x.partition);
    }
    EXPECT_EQ(seen.size(), 3000u);
  }
}

TEST(LogConnectorTest, StartPositions) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 2).ok());
  Produce(**lm, "numbers", 0, 100, 2);
  LogSourceOptions o;
  o.topic = "numbers";
  o.start = LogSourceOptions::Start::kLatest;
  EXPECT_TRUE(ReadJob(lm->get(), o, 2).empty());  // bounded: nothing after the end
  o.start = LogSourceOptions::Start::kTimestamp;
  o.start_timestamp_ms = 1000 + 90;  // records 90..99
  auto v = ReadJob(lm->get(), o, 2);
  EXPECT_EQ(v.size(), 10u);
  for (const auto& x : v) EXPECT_GE(x.n, 90);
  // A group commits what it read; the next run from its committed offsets
  // reads only what came after.
  o.start = LogSourceOptions::Start::kCommitted;
  o.group = "readers";
  EXPECT_EQ(ReadJob(lm->get(), o, 2).size(), 100u);  // nothing committed yet: from the beginning
  Produce(**lm, "numbers", 100, 130, 2);
  v = ReadJob(lm->get(), o, 2);
  EXPECT_EQ(v.size(), 30u);
  for (const auto& x : v) EXPECT_GE(x.n, 100);
}

TEST(LogConnectorTest, BadRecordsFailTheJobOrAreSkippedAsConfigured) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("mixed", 1).ok());
  {
    log::Producer p(lm->get());
    for (const char* v : {"1", "2", "not a number", "4"}) {
      ASSERT_TRUE(p.Send("mixed", std::nullopt, std::string_view(v)).ok());
    }
    ASSERT_TRUE(p.Flush().ok());
  }
  LogSourceOptions o;
  o.topic = "mixed";
  Status st;
  ReadJob(lm->get(), o, 1, &st);
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  // A decoder returning std::optional gives no reason: the error says so,
  // and how to give one.
  EXPECT_NE(st.message().find("mixed/0@2 could not be decoded (the job's decoder gives no reason: one returning "
                              "Result<T> can)"),
            std::string::npos)
      << st.message();
  o.on_bad_record = LogSourceOptions::OnBadRecord::kSkip;
  auto v = ReadJob(lm->get(), o, 1);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[2].n, 4);
}

// A decoder returning Result<T> names why a record is bad: the reason is in
// the job's error and in the dead letter's rivulet.error header (issue 16).
TEST(LogConnectorTest, ADecodersReasonReachesTheErrorAndTheDeadLetter) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("mixed", 1).ok());
  {
    log::Producer p(lm->get());
    for (const char* v : {"1", "two", "3"}) ASSERT_TRUE(p.Send("mixed", std::nullopt, std::string_view(v)).ok());
    ASSERT_TRUE(p.Flush().ok());
  }
  auto decode = [](const log::ConsumerRecord& r) -> Result<Num> {
    auto n = DecodeNum(r);
    if (!n) return DecodeFailure("'" + std::string(r.value.value_or("")) + "' is not a number");
    return *n;
  };
  auto run = [&](LogSourceOptions o) {
    JobBuilder job;
    auto out = std::make_shared<Collected<Num>>();
    FromLog<Num>(job, "numbers", lm->get(), o, decode).CollectInto("out", out);
    return job.Run(JobRunOptions{});
  };
  LogSourceOptions o;
  o.topic = "mixed";
  Status st = run(o);
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("record mixed/0@1 could not be decoded: 'two' is not a number"), std::string::npos)
      << st.message();
  o.on_bad_record = LogSourceOptions::OnBadRecord::kDeadLetter;
  o.dead_letter_topic = "mixed-dlq";
  ASSERT_TRUE(run(o).ok());
  log::ConsumerConfig cc;
  cc.group_id = "check";
  cc.auto_offset_reset = log::OffsetReset::kEarliest;
  log::Consumer c(lm->get(), cc);
  ASSERT_TRUE(c.Assign({{"mixed-dlq", 0}}).ok());
  auto polled = c.Poll(std::chrono::milliseconds(1000));
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->size(), 1u);
  auto headers = (*polled)[0].headers();
  ASSERT_TRUE(headers.ok());
  ASSERT_EQ(headers->size(), 2u);
  EXPECT_EQ((*headers)[0].key, "rivulet.error");
  EXPECT_EQ((*headers)[0].value, std::optional<std::string>("could not be decoded: 'two' is not a number"));
}

TEST(LogConnectorTest, BadRecordsGoToADeadLetterTopicWithTheirSource) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("mixed", 2).ok());
  {
    log::Producer p(lm->get());
    for (const char* v : {"1", "2", "oops", "4", "", "6"}) {
      ASSERT_TRUE(p.Send("mixed", std::string_view("k"), std::string_view(v), nullptr, 0).ok());
    }
    ASSERT_TRUE(p.Flush().ok());
  }
  LogSourceOptions o;
  o.topic = "mixed";
  o.group = "g";
  o.on_bad_record = LogSourceOptions::OnBadRecord::kDeadLetter;
  o.dead_letter_topic = "mixed-dlq";
  auto v = ReadJob(lm->get(), o, 2);
  EXPECT_EQ(v.size(), 4u);
  auto dlq = testing::ReadAll(**lm, {"mixed-dlq", 0});
  ASSERT_TRUE(dlq.ok()) << dlq.status().ToString();
  ASSERT_EQ(dlq->size(), 2u);
  EXPECT_EQ((*dlq)[0].value, "oops");
  EXPECT_EQ((*dlq)[0].key, "k");
  EXPECT_EQ((*dlq)[1].value, "");
  // The headers name the error and where the record came from.
  // ReadAll has no headers: read them with a consumer.
  log::ConsumerConfig cc;
  cc.group_id = "check";
  cc.auto_offset_reset = log::OffsetReset::kEarliest;
  log::Consumer c(lm->get(), cc);
  ASSERT_TRUE(c.Assign({{"mixed-dlq", 0}}).ok());
  auto polled = c.Poll(std::chrono::milliseconds(1000));
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->size(), 2u);
  auto headers = (*polled)[0].headers();
  ASSERT_TRUE(headers.ok());
  ASSERT_EQ(headers->size(), 2u);
  EXPECT_EQ((*headers)[0].key, "rivulet.error");
  EXPECT_EQ((*headers)[1].key, "rivulet.source");
  EXPECT_EQ((*headers)[1].value, std::optional<std::string>("mixed/0@2"));
}

TEST(LogConnectorTest, UnknownTopicFailsWithAClearError) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  LogSourceOptions o;
  o.topic = "nope";
  Status st;
  ReadJob(lm->get(), o, 1, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("topic nope"), std::string::npos) << st.message();
}

// Record timestamps drive event-time windows; watermarks per partition
// let every window fire with its full count.
TEST(LogConnectorTest, RecordTimestampsDriveWindowsAcrossPartitions) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 4).ok());
  Produce(**lm, "numbers", 0, 4000, 4);  // timestamps 1000..4999
  JobBuilder job;
  LogSourceOptions o;
  o.topic = "numbers";
  auto out = std::make_shared<Collected<operators::WindowResult<int, int64_t>>>();
  FromLog<Num>(job, "numbers", lm->get(), o, DecodeNum)
      .KeyBy([](const Num&) { return 0; })
      .Window(operators::Tumbling(1000))
      .Aggregate("count", operators::Count{})
      .CollectInto("out", out);
  JobRunOptions r;
  r.parallelism = 2;
  ASSERT_TRUE(job.Run(r).ok());
  auto v = out->values();
  std::sort(v.begin(), v.end());
  ASSERT_EQ(v.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(v[i].start, 1000 * static_cast<int64_t>(i + 1));
    EXPECT_EQ(v[i].value, 1000);
  }
}

// What a source instance driven by hand emitted: records and watermarks.
template <typename T>
class Probe final : public operators::SinkOperator<T> {
 public:
  void OnBatch(operators::Batch<T>& batch) override {
    records += batch.size();
    for (const auto& e : batch) late += e.ts <= watermark;
  }
  void OnWatermark(engine::Timestamp w) override {
    EXPECT_GT(w, watermark) << "a watermark went back";
    watermark = w;
  }
  void OnEnd() override {}
  size_t records = 0;
  size_t late = 0;  // at or behind a watermark already emitted
  engine::Timestamp watermark = engine::kMinTimestamp;
};

// An unbounded source over 2 partitions, one of them empty, polled by
// hand with a manual clock. Without idleness the empty partition holds
// the watermark back for good; with it, the watermark follows partition 0
// once partition 1 has been quiet for the timeout, the instance is idle
// when both are, and partition 1's late records do not move it back.
TEST(LogConnectorTest, AnEmptyPartitionHoldsTheWatermarkBackUnlessIdle) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 2).ok());
  log::Producer producer(lm->get());
  auto send = [&](int32_t partition, int64_t ts) {
    ASSERT_TRUE(producer.Send("numbers", std::nullopt, std::string_view(std::to_string(ts)), nullptr, partition, ts)
                    .ok());
    ASSERT_TRUE(producer.Flush().ok());
  };
  for (int64_t ts = 1000; ts < 1100; ++ts) send(0, ts);
  using Source = LogSource<Num, decltype(&DecodeNum), std::nullptr_t>;
  auto make = [&](Probe<Num>& probe, const operators::SourceClock* clock, int64_t idle_ms) {
    LogSourceOptions o;
    o.topic = "numbers";
    o.bounded = false;
    o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(10).WithIdleness(idle_ms).WithClock(clock);
    return std::make_unique<Source>(probe.input(0), lm->get(), o, &DecodeNum, nullptr, 0, 1);
  };
  {
    operators::ManualSourceClock clock;
    Probe<Num> probe;
    auto source = make(probe, &clock, -1);
    for (int i = 0; i < 20; ++i) {
      source->PollRecords(1024);
      clock.Advance(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(probe.records, 100u);
    EXPECT_EQ(probe.watermark, engine::kMinTimestamp);
    EXPECT_FALSE(source->idle());
  }
  operators::ManualSourceClock clock;
  Probe<Num> probe;
  auto source = make(probe, &clock, 100);
  while (probe.records < 100) ASSERT_NE(source->PollRecords(1024), engine::SourceInstance::Poll::kEnd);
  EXPECT_EQ(probe.watermark, engine::kMinTimestamp);  // partition 1 not idle yet
  clock.Advance(std::chrono::milliseconds(99));
  send(0, 1100);
  source->PollRecords(1024);
  EXPECT_EQ(probe.watermark, engine::kMinTimestamp);
  EXPECT_FALSE(source->idle());
  clock.Advance(std::chrono::milliseconds(1));
  source->PollRecords(1024);
  EXPECT_EQ(probe.watermark, 1100 - 10 - 1);  // partition 0's: partition 1 idle
  EXPECT_FALSE(source->idle());               // partition 0 had a record 1 ms ago
  clock.Advance(std::chrono::milliseconds(100));
  source->PollRecords(1024);
  EXPECT_TRUE(source->idle());  // both quiet
  send(0, 2000);
  source->PollRecords(1024);
  EXPECT_EQ(probe.watermark, 2000 - 10 - 1);
  EXPECT_FALSE(source->idle());
  send(1, 1500);  // partition 1 active again, behind: the watermark stays
  source->PollRecords(1024);
  EXPECT_EQ(probe.watermark, 2000 - 10 - 1);
  send(1, 3000);
  send(0, 2500);
  source->PollRecords(1024);
  EXPECT_EQ(probe.watermark, 2500 - 10 - 1);  // the smaller of the two again
  EXPECT_EQ(probe.records, 105u);
}

// A log source with an invalid watermark strategy: the job does not start,
// and says why.
TEST(LogConnectorTest, AnInvalidWatermarkStrategyFailsTheJob) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 1).ok());
  LogSourceOptions o;
  o.topic = "numbers";
  o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(10).WithIdleness(0);
  Status st;
  ReadJob(lm->get(), o, 1, &st);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("idle_timeout_ms"), std::string::npos) << st.ToString();
}

// Backpressure: the source is not polled for longer than the idle timeout
// while both partitions have a backlog. The next (full) poll brings records
// of one partition only; the other must not count as idle, or the watermark
// jumps past its backlog and those records come late. A partition ages
// toward idleness only once the source has caught up.
TEST(LogConnectorTest, APauseInPollingDoesNotMakeAPartitionWithABacklogIdle) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 2).ok());
  log::Producer producer(lm->get());
  constexpr int64_t kPerPartition = 20000;
  for (int32_t partition = 0; partition < 2; ++partition) {
    for (int64_t ts = 0; ts < kPerPartition; ++ts) {
      ASSERT_TRUE(
          producer.Send("numbers", std::nullopt, std::string_view(std::to_string(ts)), nullptr, partition, ts).ok());
    }
  }
  ASSERT_TRUE(producer.Flush().ok());
  using Source = LogSource<Num, decltype(&DecodeNum), std::nullptr_t>;
  operators::ManualSourceClock clock;
  Probe<Num> probe;
  LogSourceOptions o;
  o.topic = "numbers";
  o.bounded = false;
  o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(0).WithIdleness(1000).WithClock(&clock);
  Source source(probe.input(0), lm->get(), o, &DecodeNum, nullptr, 0, 1);
  source.PollRecords(1024);
  clock.Advance(std::chrono::milliseconds(2000));  // backpressure: no polls
  for (int i = 0; i < 100 && probe.records < 2 * kPerPartition; ++i) {
    source.PollRecords(1024);
    EXPECT_FALSE(source.idle());
    if (i % 3 == 0) clock.Advance(std::chrono::milliseconds(2000));  // more pauses
  }
  ASSERT_EQ(probe.records, static_cast<size_t>(2 * kPerPartition));
  EXPECT_EQ(probe.late, 0u) << "records emitted behind the watermark";
  // Caught up on both: idle after the timeout, with every window fired.
  source.PollRecords(1024);
  clock.Advance(std::chrono::milliseconds(1000));
  source.PollRecords(1024);
  EXPECT_TRUE(source.idle());
  EXPECT_EQ(probe.watermark, kPerPartition - 1 - 1);
  EXPECT_EQ(probe.late, 0u);
}

// The same in a running job: windows over the busy partition fire while
// the other partition stays empty (bounded by a deadline, not a sleep).
TEST(LogConnectorTest, WindowsFireWithAnIdleEmptyPartition) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 2).ok());
  {  // partition 0 only: 0..999, timestamps 1000..1999
    log::Producer p(lm->get());
    for (int64_t n = 0; n < 1000; ++n) {
      ASSERT_TRUE(p.Send("numbers", std::nullopt, std::string_view(std::to_string(n)), nullptr, 0, 1000 + n).ok());
    }
    ASSERT_TRUE(p.Flush().ok());
  }
  JobBuilder job;
  LogSourceOptions o;
  o.topic = "numbers";
  o.bounded = false;
  o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(0).WithIdleness(50);
  std::atomic<int64_t> fired{0};
  FromLog<Num>(job, "numbers", lm->get(), o, DecodeNum)
      .KeyBy([](const Num&) { return 0; })
      .Window(operators::Tumbling(100))
      .Aggregate("count", operators::Count{})
      .Sink("fired", [&fired](operators::Batch<operators::WindowResult<int, int64_t>>& b) {
        fired.fetch_add(static_cast<int64_t>(b.size()));
      });
  JobRunOptions r;
  r.parallelism = 1;
  auto running = job.Start(r);
  ASSERT_TRUE(running.ok()) << running.status().ToString();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (fired.load() < 9 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int64_t before_end = fired.load();
  (*running)->Cancel();
  (void)(*running)->Wait();
  EXPECT_GE(before_end, 9);  // windows [1000, 1100) .. [1800, 1900) at least
}

TEST(LogConnectorTest, SinkWritesRecordsWithKeysAndTimestamps) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("out", 3).ok());
  JobBuilder job;
  std::vector<int64_t> in(500);
  for (int64_t i = 0; i < 500; ++i) in[static_cast<size_t>(i)] = i;
  auto stream = job.FromCollection<int64_t>("in", in, [](const int64_t& x) { return 5000 + x; });
  ToLog(stream, "to log", lm->get(), "out", [](const int64_t& x) {
    return std::make_pair(std::optional<std::string>("k" + std::to_string(x % 7)), std::to_string(x));
  });
  JobRunOptions r;
  r.parallelism = 2;
  ASSERT_TRUE(job.Run(r).ok());
  std::map<std::string, int32_t> partition_of_key;
  int64_t total = 0;
  for (int32_t p = 0; p < 3; ++p) {
    auto recs = testing::ReadAll(**lm, {"out", p});
    ASSERT_TRUE(recs.ok());
    for (const auto& rec : *recs) {
      ++total;
      EXPECT_EQ(rec.timestamp, 5000 + std::stoll(rec.value));
      EXPECT_EQ(rec.key, "k" + std::to_string(std::stoll(rec.value) % 7));
      auto [it, fresh] = partition_of_key.emplace(rec.key, p);
      EXPECT_EQ(it->second, p) << "a key in two partitions";
    }
  }
  EXPECT_EQ(total, 500);
}

// Every value of `topic` a read_committed reader sees (and how many records
// a read_uncommitted one sees), from the beginning to the end.
std::pair<std::vector<int64_t>, size_t> ReadTopic(log::LogManager* lm, const std::string& topic, int32_t partitions) {
  std::pair<std::vector<int64_t>, size_t> out;
  for (bool committed : {true, false}) {
    LogSourceOptions o;
    o.topic = topic;
    o.read_committed = committed;
    auto nums = ReadJob(lm, o, 1);
    if (committed) {
      for (const auto& n : nums) out.first.push_back(n.n);
    } else {
      out.second = nums.size();
    }
  }
  (void)partitions;
  std::sort(out.first.begin(), out.first.end());
  return out;
}

// generator (rate-limited: checkpoints fall inside the run) -> log sink
// with checkpoints every 10 ms, as job "eos".
struct EosJob {
  JobBuilder job;
  EosJob(log::LogManager* lm, int64_t count) {
    auto gen = job.FromGenerator("numbers", [](uint64_t n) { return static_cast<int64_t>(n); }, count, 100'000);
    ToLog(gen, "to log", lm, "out", [](const int64_t& x) {
      return std::make_pair(std::optional<std::string>("k" + std::to_string(x % 11)), std::to_string(x));
    });
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

class ExactlyOnceSinkTest : public ::testing::TestWithParam<std::pair<int, int>> {};

// The job is cancelled after a few checkpoints (its open and prepared
// transactions stay as a crash leaves them), the log is closed and opened
// again (recovery), and the job restarts from its last checkpoint, maybe
// at another parallelism: a read_committed reader sees every record once,
// while the log holds the aborted duplicates.
TEST_P(ExactlyOnceSinkTest, LogSinkWritesEveryRecordOnceAcrossACrashAndRestore) {
  const auto [before, after] = GetParam();
  constexpr int64_t kCount = 30'000;
  TempDir dir;
  std::shared_ptr<const engine::LoadedCheckpoint> last;
  {
    auto lm = log::LogManager::Open(dir / "data", {});
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("out", 3).ok());
    EosJob eos(lm->get(), kCount);
    auto job = eos.job.Start(EosJob::Options(before, nullptr));
    ASSERT_TRUE(job.ok()) << job.status().ToString();
    ASSERT_TRUE((*job)->AwaitCheckpoint(3, std::chrono::seconds(20)).ok());
    (*job)->Cancel();
    (void)(*job)->Wait();
    last = (*job)->last_checkpoint();
    ASSERT_NE(last, nullptr);
  }
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  {
    // Before the restart nothing after the last checkpoint is visible.
    auto [committed, all] = ReadTopic(lm->get(), "out", 3);
    EXPECT_LT(committed.size(), static_cast<size_t>(kCount));
  }
  EosJob eos(lm->get(), kCount);
  auto job = eos.job.Start(EosJob::Options(after, last));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  Status st = (*job)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto [committed, all] = ReadTopic(lm->get(), "out", 3);
  ASSERT_EQ(committed.size(), static_cast<size_t>(kCount));
  for (int64_t i = 0; i < kCount; ++i) ASSERT_EQ(committed[static_cast<size_t>(i)], i);
  EXPECT_GT(all, static_cast<size_t>(kCount)) << "nothing was written twice: the cancel came too early to test it";
  // Nothing is left open: no transaction of the sink holds the topic back.
  for (const auto& d : (*lm)->transactions().List()) {
    EXPECT_TRUE(d.state == log::TxnState::kEmpty || d.state == log::TxnState::kCompleteCommit ||
                d.state == log::TxnState::kCompleteAbort)
        << d.transactional_id << " " << log::TxnStateName(d.state);
  }
}

// The source's lag per partition (rivulet_source_lag_records): the records
// between its position and the partition's end, reported here at every
// poll (interval 0). Following the log, the end is the log's; bounded, the
// end it stops at, so a bounded source ends with no lag even when records
// came after its start.
TEST(LogConnectorTest, TheSourceReportsItsLagPerPartition) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  using Source = LogSource<Num, decltype(&DecodeNum), std::nullptr_t>;
  for (const bool bounded : {false, true}) {
    const std::string topic = bounded ? "bounded" : "following";
    SCOPED_TRACE(topic);
    ASSERT_TRUE((*lm)->CreateTopic(topic, 2).ok());
    Produce(**lm, topic, 0, 10000, 1);  // all to partition 0; partition 1 empty
    engine::SourceLag lag(1, std::chrono::milliseconds(0));
    Probe<Num> probe;
    LogSourceOptions o;
    o.topic = topic;
    o.bounded = bounded;
    Source source(probe.input(0), lm->get(), o, &DecodeNum, nullptr, 0, 1);
    source.BindSourceLag(&lag, 0);
    EXPECT_TRUE(lag.Snapshot().empty());
    source.PollRecords(1024);  // one poll reads at most 4096 records
    ASSERT_GT(probe.records, 0u);
    ASSERT_LT(probe.records, 10000u);
    EXPECT_EQ(lag.Snapshot(), (std::vector<engine::PartitionLag>{
                                  {topic, 0, 10000 - static_cast<int64_t>(probe.records)}, {topic, 1, 0}}));
    // After the start: past a bounded source's end (its last poll may
    // still emit some of them; it ends at its end all the same).
    Produce(**lm, topic, 10000, 10010, 1);
    auto done = [&](engine::SourceInstance::Poll polled) {
      return bounded ? polled == engine::SourceInstance::Poll::kEnd : probe.records == 10010;
    };
    bool ended = false;
    for (int i = 0; i < 10 && !ended; ++i) ended = done(source.PollRecords(1024));
    ASSERT_TRUE(ended);
    ASSERT_GE(probe.records, 10000u);
    EXPECT_EQ(lag.Snapshot(), (std::vector<engine::PartitionLag>{{topic, 0, 0}, {topic, 1, 0}}));
  }
}

// In a job, the runtime binds each source instance to its operator's lag
// in the job's metrics: the endpoint shows every partition, labelled.
TEST(LogConnectorTest, AJobsMetricsShowItsSourcesLag) {
  TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("numbers", 3).ok());
  Produce(**lm, "numbers", 0, 300, 3);
  LogSourceOptions o;
  o.topic = "numbers";
  JobBuilder job;
  auto out = std::make_shared<Collected<Num>>();
  FromLog<Num>(job, "read numbers", lm->get(), o, DecodeNum).CollectInto("out", out);
  engine::JobMetrics metrics;
  metrics.job = "lagging";
  JobRunOptions r;
  r.parallelism = 2;
  r.runtime.metrics = &metrics;
  ASSERT_TRUE(job.Run(r).ok());
  EXPECT_EQ(out->values().size(), 300u);
  const std::string text = metrics.PrometheusText();
  for (int p = 0; p < 3; ++p) {
    EXPECT_NE(text.find("rivulet_source_lag_records{job=\"lagging\",operator=\"read numbers\",topic=\"numbers\","
                        "partition=\"" +
                        std::to_string(p) + "\"} 0\n"),
              std::string::npos)
        << text;
  }
}

INSTANTIATE_TEST_SUITE_P(Parallelism, ExactlyOnceSinkTest,
                         ::testing::Values(std::pair{1, 1}, std::pair{2, 2}, std::pair{2, 1}, std::pair{1, 3}));

}  // namespace
}  // namespace rivulet::connectors

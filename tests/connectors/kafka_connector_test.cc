// The Kafka connector against a real `rivulet broker` process on loopback:
// bad records through the source (the job fails naming the record and the
// reason, or skips it, counted either way), a delivery the broker
// refuses failing the sink's job, and checkpoints: a source restored at
// the same and other parallelisms reads every record once, the
// exactly-once sink's output read read_committed holds every record once
// across cancellations and restores (and nothing of a transaction it could
// not finish, which it aborts), and the source commits the offsets of
// completed checkpoints to its group.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <thread>

#include "connectors/kafka/kafka_connector.h"
#include "connectors/serde/serde.h"
#include "engine/metrics.h"
#include "tests/test_util.h"
#include "tests/job_test_util.h"

namespace rivulet::connectors {
namespace {

using testing::CheckpointedOptions;
using testing::RestoreInstance;

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// `rivulet broker` with a server.properties, for the life of the object.
class BrokerProcess {
 public:
  explicit BrokerProcess(const std::string& extra_properties) {
    const int port = FreePort();
    bootstrap_ = "127.0.0.1:" + std::to_string(port);
    const std::string props = dir_ / "server.properties";
    std::ofstream(props) << "listeners=PLAINTEXT://" << bootstrap_ << "\nlog.dirs=" << (dir_ / "data") << "\n"
                         << extra_properties;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl(RIVULET_BINARY, RIVULET_BINARY, "broker", "--config", props.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 300 && !Accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~BrokerProcess() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  const std::string& bootstrap() const { return bootstrap_; }

 private:
  static bool Accepts(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    ::close(fd);
    return ok;
  }
  testing::TempDir dir_;
  std::string bootstrap_;
  pid_t pid_ = -1;
};

struct Point {
  int64_t x;
};
void from_json(const nlohmann::json& j, Point& p) { j.at("x").get_to(p.x); }

// Reads `topic` as JSON Points in group `group` until 1.5 s without records.
std::vector<int64_t> ReadPoints(const std::string& bootstrap, const std::string& group,
                                KafkaSourceOptions::OnBadRecord policy, Status* st, uint64_t* bad) {
  KafkaSourceOptions o;
  o.bootstrap = bootstrap;
  o.topic = "points";
  o.group = group;
  o.idle_end_ms = 1500;
  o.on_bad_record = policy;
  operators::JobBuilder job;
  auto out = std::make_shared<operators::Collected<Point>>();
  FromKafka<Point>(job, "points", o, Decoder(JsonSerde<Point>())).CollectInto("out", out);
  engine::JobMetrics metrics;
  operators::JobRunOptions r;
  r.parallelism = 1;
  r.runtime.metrics = &metrics;
  *st = job.Run(r);
  *bad = metrics.operators.empty() ? 0 : metrics.operators[0]->bad_records.load();
  std::vector<int64_t> xs;
  for (const auto& p : out->values()) xs.push_back(p.x);
  return xs;
}

TEST(KafkaConnectorTest, BadRecordsFailTheJobOrAreSkippedAndCounted) {
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("points", 1, {}).ok());
  auto producer = kafka::Producer::Open(broker.bootstrap());
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  for (const char* v : {"{\"x\": 1}", "oops", "{\"x\": 3}", "{\"y\": 4}", "{\"x\": 5}"}) {
    ASSERT_TRUE((*producer)->Send("points", std::nullopt, v, 0).ok());
  }
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(10)).ok());

  Status st;
  uint64_t bad = 0;
  ReadPoints(broker.bootstrap(), "strict", KafkaSourceOptions::OnBadRecord::kFail, &st, &bad);
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("record points/0@1 could not be decoded: not valid JSON"), std::string::npos)
      << st.message();
  EXPECT_EQ(bad, 1u);

  auto xs = ReadPoints(broker.bootstrap(), "lenient", KafkaSourceOptions::OnBadRecord::kSkip, &st, &bad);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(xs, (std::vector<int64_t>{1, 3, 5}));
  EXPECT_EQ(bad, 2u);  // "oops", and {"y": 4} without x
  // The group committed past the skipped records: a second run reads nothing.
  xs = ReadPoints(broker.bootstrap(), "lenient", KafkaSourceOptions::OnBadRecord::kSkip, &st, &bad);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(xs.empty());
}

TEST(KafkaConnectorTest, DeliveryTheBrokerRefusesFailsTheJob) {
  BrokerProcess broker("message.max.bytes=2000\n");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("out", 1, {}).ok());
  operators::JobBuilder job;
  ToKafka(job.FromCollection<int>("n", {1, 2}), "to out", broker.bootstrap(), "out", [](const int& n) {
    return std::make_pair(std::optional<std::string>(), std::string(n == 2 ? 10000 : 10, 'v'));
  });
  Status st = job.Run({});
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_NE(st.message().find("operator 'to out'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("too large"), std::string::npos) << st.message();
}


// ---------------------------------------------------------------- checkpoints

using engine::LoadedCheckpoint;

// Writes "0" .. "n-1" to `topic` (keyed, so spread over its partitions).
void ProduceNumbers(const std::string& bootstrap, const std::string& topic, int n) {
  auto producer = kafka::Producer::Open(bootstrap);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE((*producer)->Send(topic, "k" + std::to_string(i), std::to_string(i)).ok());
  }
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(10)).ok());
}

// Every value of `topic` (all partitions from the beginning), read
// read_committed or not, until 1.5 s pass without one (at most 30 s).
std::vector<int64_t> ReadNumbers(const std::string& bootstrap, const std::string& topic, int32_t partitions,
                                 bool read_committed) {
  auto c = kafka::Consumer::Open(bootstrap, "", "earliest",
                                 {{"isolation.level", read_committed ? "read_committed" : "read_uncommitted"}});
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  std::vector<int32_t> all(partitions);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_TRUE((*c)->Assign(topic, all, -2).ok());
  std::vector<int64_t> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto quiet = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < std::min(deadline, quiet)) {
    auto m = (*c)->Poll(std::chrono::milliseconds(100));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok() || !m->has_value()) continue;
    out.push_back(std::stoll((*m)->value.value_or("-1")));
    quiet = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  }
  (*c)->Close();
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int64_t> Iota(int n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// "" when `got` is 0 .. n-1 each once; else what is missing and repeated.
std::string OnceEach(const std::vector<int64_t>& got, int n) {
  std::map<int64_t, int> seen;
  for (int64_t v : got) ++seen[v];
  int missing = 0, repeated = 0;
  for (int64_t v = 0; v < n; ++v) {
    auto it = seen.find(v);
    if (it == seen.end()) {
      ++missing;
    } else {
      repeated += it->second - 1;
    }
  }
  if (missing == 0 && repeated == 0 && got.size() == static_cast<size_t>(n)) return "";
  return std::to_string(got.size()) + " records: " + std::to_string(missing) + " missing, " + std::to_string(repeated) +
         " repeated";
}

std::optional<int64_t> DecodeNumber(kafka::Message& m) {
  if (!m.value) return std::nullopt;
  return std::stoll(*m.value);
}

// Kafka topic "in" -> a map that takes 0.5 ms a record (so that a run can
// be cancelled half-way) -> CollectCommitted (exactly once into memory).
struct KafkaToCollect {
  operators::JobBuilder job;
  std::shared_ptr<operators::Collected<int64_t>> out = std::make_shared<operators::Collected<int64_t>>();
  KafkaToCollect(const std::string& bootstrap, const std::string& group) {
    KafkaSourceOptions o;
    o.bootstrap = bootstrap;
    o.topic = "in";
    o.group = group;
    o.idle_end_ms = 1000;
    FromKafka<int64_t>(job, "in", o, DecodeNumber)
        .Map("slow",
             [](const int64_t& v) {
               std::this_thread::sleep_for(std::chrono::microseconds(500));
               return v;
             })
        .CollectCommitted("out", out);
  }
  std::vector<int64_t> Sorted() {
    auto v = out->values();
    std::sort(v.begin(), v.end());
    return v;
  }
};

struct Rescale {
  int before;
  int after;
};
class KafkaSourceRestoreTest : public ::testing::TestWithParam<Rescale> {};

// A job reading Kafka, cancelled after a few checkpoints and restored (at
// the same or another parallelism, with the group's offsets moved back to
// 0 meanwhile: the checkpoint is the truth): every record exactly once.
TEST_P(KafkaSourceRestoreTest, CancelledAndRestoredReadsEveryRecordOnce) {
  const Rescale r = GetParam();
  constexpr int kCount = 2000;
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("in", 4, {}).ok());
  ProduceNumbers(broker.bootstrap(), "in", kCount);

  KafkaToCollect p(broker.bootstrap(), "readers");
  auto job = p.job.Start(CheckpointedOptions(r.before, 50));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE((*job)->AwaitCheckpoint(3, std::chrono::seconds(20)).ok());
  (*job)->Cancel();
  auto last = (*job)->last_checkpoint();
  ASSERT_NE(last, nullptr);
  ASSERT_FALSE(last->info.final) << "the job ended before it was cancelled: the test tests nothing";
  EXPECT_LT(p.Sorted().size(), static_cast<size_t>(kCount));

  auto rewind = kafka::Consumer::Open(broker.bootstrap(), "readers", "earliest");
  ASSERT_TRUE(rewind.ok());
  ASSERT_TRUE((*rewind)->Commit("in", {{0, 0}, {1, 0}, {2, 0}, {3, 0}}, /*async=*/false).ok());
  (*rewind)->Close();

  auto again = p.job.Start(CheckpointedOptions(r.after, 50, last));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Status st = (*again)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ((*again)->metrics().checkpoints.restored_id.load(), last->info.id);
  EXPECT_EQ(OnceEach(p.Sorted(), kCount), "");
}

INSTANTIATE_TEST_SUITE_P(Parallelisms, KafkaSourceRestoreTest,
                         ::testing::Values(Rescale{2, 2}, Rescale{2, 3}, Rescale{3, 1}),
                         [](const ::testing::TestParamInfo<Rescale>& i) {
                           return "p" + std::to_string(i.param.before) + "_to_p" + std::to_string(i.param.after);
                         });

// What a source instance driven by hand emitted: records and watermarks.
class Probe final : public operators::SinkOperator<int64_t> {
 public:
  void OnBatch(operators::Batch<int64_t>& batch) override { records += batch.size(); }
  void OnWatermark(engine::Timestamp w) override { watermark = w; }
  void OnEnd() override {}
  size_t records = 0;
  engine::Timestamp watermark = engine::kMinTimestamp;
};

// A source over 2 partitions, one empty, polled by hand (partitions
// assigned by hand, as with checkpoints) with a manual idleness clock:
// the empty partition holds the watermark back unless idleness lets it go.
TEST(KafkaConnectorTest, AnEmptyPartitionHoldsTheWatermarkBackUnlessIdle) {
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("quiet", 2, {}).ok());
  auto producer = kafka::Producer::Open(broker.bootstrap());
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  int64_t next = 1000;  // values sent: [1000, next)
  auto send = [&] {  // to partition 0 only; the value is the event time
    ASSERT_TRUE((*producer)->Send("quiet", std::nullopt, std::to_string(next++), 0).ok());
    ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(10)).ok());
  };
  for (int i = 0; i < 10; ++i) send();
  using Ts = engine::Timestamp (*)(const int64_t&);
  using Source = KafkaSource<int64_t, decltype(&DecodeNumber), Ts>;
  for (const int64_t idle_ms : {int64_t{-1}, int64_t{100}}) {
    operators::ManualSourceClock clock;
    Probe probe;
    KafkaSourceOptions o;
    o.bootstrap = broker.bootstrap();
    o.topic = "quiet";
    o.group = "quiet-" + std::to_string(idle_ms);
    o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(0).WithIdleness(idle_ms).WithClock(&clock);
    Source source(probe.input(0), o, &DecodeNumber, +[](const int64_t& v) { return engine::Timestamp{v}; });
    source.EnableCheckpoints(engine::CheckpointScope{"quiet", "in", 0, 1});
    // Polls (real time passes for the fetches, not for idleness) until
    // every record sent came (each run reads from the beginning), at most 20 s.
    auto poll_all = [&] {
      const auto n = static_cast<size_t>(next - 1000);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (probe.records < n && std::chrono::steady_clock::now() < deadline) {
        if (source.PollRecords(100) != engine::SourceInstance::Poll::kMore) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
      ASSERT_EQ(probe.records, n);
    };
    poll_all();
    EXPECT_EQ(probe.watermark, engine::kMinTimestamp) << idle_ms;  // partition 1 has nothing yet
    clock.Advance(std::chrono::milliseconds(100));
    send();
    poll_all();
    if (idle_ms < 0) {
      EXPECT_EQ(probe.watermark, engine::kMinTimestamp);
      EXPECT_FALSE(source.idle());
      continue;
    }
    EXPECT_EQ(probe.watermark, next - 1 - 1);  // partition 1 idle: partition 0's
    EXPECT_FALSE(source.idle());
    clock.Advance(std::chrono::milliseconds(100));
    EXPECT_TRUE(source.idle());  // both quiet
  }
}

// The source's lag per partition: the partition's end as the client last
// fetched it minus the source's position, reported here at every poll
// (interval 0). A partition with nothing read yet counts from its start
// offset (partitions assigned by hand, as with checkpoints).
TEST(KafkaConnectorTest, TheSourceReportsItsLagPerPartition) {
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("lagging", 2, {}).ok());
  auto producer = kafka::Producer::Open(broker.bootstrap());
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE((*producer)->Send("lagging", std::nullopt, std::to_string(i), 0).ok());
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(10)).ok());
  using Ts = engine::Timestamp (*)(const int64_t&);
  using Source = KafkaSource<int64_t, decltype(&DecodeNumber), Ts>;
  Probe probe;
  KafkaSourceOptions o;
  o.bootstrap = broker.bootstrap();
  o.topic = "lagging";
  o.group = "lagging";
  Source source(probe.input(0), o, &DecodeNumber, +[](const int64_t& v) { return engine::Timestamp{v}; });
  source.EnableCheckpoints(engine::CheckpointScope{"lagging", "in", 0, 1});
  engine::SourceLag lag(1, std::chrono::milliseconds(0));
  source.BindSourceLag(&lag, 0);
  // Exactly 300 records read (a poll takes at most the count it is given),
  // then polls that read none until both partitions' ends were fetched.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (probe.records < 300 && std::chrono::steady_clock::now() < deadline) {
    if (source.PollRecords(300 - probe.records) != engine::SourceInstance::Poll::kMore) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ASSERT_EQ(probe.records, 300u);
  const std::vector<engine::PartitionLag> behind = {{"lagging", 0, 700}, {"lagging", 1, 0}};
  while (lag.Snapshot() != behind && std::chrono::steady_clock::now() < deadline) {
    source.PollRecords(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(lag.Snapshot(), behind);
  while (probe.records < 1000 && std::chrono::steady_clock::now() < deadline) {
    if (source.PollRecords(100) != engine::SourceInstance::Poll::kMore) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ASSERT_EQ(probe.records, 1000u);
  EXPECT_EQ(lag.Snapshot(), (std::vector<engine::PartitionLag>{{"lagging", 0, 0}, {"lagging", 1, 0}}));
}

// Completed checkpoints commit their offsets to the group while the job
// runs, and the final one the end of every partition.
TEST(KafkaConnectorTest, CheckpointCompletionCommitsOffsetsToTheGroup) {
  constexpr int kCount = 2000;
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("in", 3, {}).ok());
  ProduceNumbers(broker.bootstrap(), "in", kCount);

  KafkaToCollect p(broker.bootstrap(), "watched");
  auto job = p.job.Start(CheckpointedOptions(1, 50));
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE((*job)->AwaitCheckpoint(2, std::chrono::seconds(20)).ok());
  int64_t during = 0;
  for (int i = 0; i < 100 && during == 0; ++i) {
    auto committed = (*admin)->CommittedOffsets("watched");
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    for (const auto& [tp, offset] : *committed) during += offset;
    if (during == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(during, 0) << "no offsets committed while the job ran";
  ASSERT_TRUE((*job)->Wait().ok());
  EXPECT_LT(during, kCount) << "the job was done before its offsets were looked at";
  auto committed = (*admin)->CommittedOffsets("watched");
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  auto ends = (*admin)->DescribeTopic("in");
  ASSERT_TRUE(ends.ok());
  for (const auto& part : *ends) {
    EXPECT_EQ((*committed)[std::make_pair(std::string("in"), part.partition)], part.high) << "partition " << part.partition;
  }
  EXPECT_EQ(OnceEach(p.Sorted(), kCount), "");
}

auto EncodeNumber = [](const int64_t& v) {
  return std::make_pair(std::optional<std::string>("k" + std::to_string(v % 13)), std::to_string(v));
};

// A generator writing 0 .. n-1 through the exactly-once sink, cancelled
// twice (each time after some checkpoints) and restored at other
// parallelisms, then run to its end: a read_committed reader sees every
// record once.
TEST(KafkaConnectorTest, ExactlyOnceSinkCancelledAndRestoredWritesEveryRecordOnce) {
  constexpr int kCount = 3000;
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("out", 3, {}).ok());
  operators::JobBuilder job;
  ToKafka(job.FromGenerator("gen", [](uint64_t n) { return static_cast<int64_t>(n); }, kCount, 1500),
          "to out", broker.bootstrap(), "out", EncodeNumber);

  auto first = job.Start(CheckpointedOptions(2, 30));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE((*first)->AwaitCheckpoint(3, std::chrono::seconds(20)).ok());
  (*first)->Cancel();
  auto c1 = (*first)->last_checkpoint();
  ASSERT_NE(c1, nullptr);
  ASSERT_FALSE(c1->info.final);

  auto second = job.Start(CheckpointedOptions(3, 30, c1));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE((*second)->AwaitCheckpoint(c1->info.id + 3, std::chrono::seconds(20)).ok())
      << "the second run: " << (*second)->Wait().ToString();
  (*second)->Cancel();
  auto c2 = (*second)->last_checkpoint();
  ASSERT_NE(c2, nullptr);
  ASSERT_FALSE(c2->info.final) << "the second run ended before it was cancelled: the test tests less";

  auto third = job.Start(CheckpointedOptions(1, 30, c2));
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  Status st = (*third)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(OnceEach(ReadNumbers(broker.bootstrap(), "out", 3, /*read_committed=*/true), kCount), "");
}

// The values from .. to-1 as a batch.
operators::Batch<int64_t> Numbers(int64_t from, int64_t to) {
  operators::Batch<int64_t> b;
  for (int64_t v = from; v < to; ++v) b.push_back(operators::Event<int64_t>{0, v});
  return b;
}

// The sink alone: an epoch recorded in a checkpoint but not committed
// (the job died between the checkpoint and its completion) is written by
// the restored instance; restoring the same checkpoint again, or one whose
// epochs were committed, writes nothing more.
TEST(KafkaConnectorTest, ExactlyOnceSinkWritesRecordedEpochsOnceOnRestore) {
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("out", 2, {}).ok());
  using Sink = KafkaSink<int64_t, decltype(EncodeNumber)>;
  auto make = [&](int index, int parallelism) {
    auto s = std::make_unique<Sink>(broker.bootstrap(), "out", EncodeNumber, kafka::Config{});
    s->EnableCheckpoints(engine::CheckpointScope{"job", "to out", index, parallelism});
    return s;
  };

  // Instances 0 and 1 of 2: checkpoint 1 completes (0..99 and 100..199
  // committed); checkpoint 2 records 200..299 and 300..399, and both die
  // before it completes.
  std::vector<engine::StateEntry> chk1, chk2;
  {
    auto a = make(0, 2);
    auto b = make(1, 2);
    auto b1 = Numbers(0, 100), b2 = Numbers(100, 200), b3 = Numbers(200, 300), b4 = Numbers(300, 400);
    a->OnBatch(b1);
    b->OnBatch(b2);
    engine::SnapshotWriter wa, wb;
    a->Snapshot(1, wa);
    b->Snapshot(1, wb);
    for (auto* w : {&wa, &wb}) chk1.insert(chk1.end(), w->entries().begin(), w->entries().end());
    a->CheckpointComplete(1);
    b->CheckpointComplete(1);
    a->OnBatch(b3);
    b->OnBatch(b4);
    engine::SnapshotWriter wa2, wb2;
    a->Snapshot(2, wa2);
    b->Snapshot(2, wb2);
    for (auto* w : {&wa2, &wb2}) chk2.insert(chk2.end(), w->entries().begin(), w->entries().end());
  }
  EXPECT_EQ(OnceEach(ReadNumbers(broker.bootstrap(), "out", 2, true), 200), "");

  // Restored from checkpoint 1 at parallelism 1: its epochs were committed.
  {
    auto s = make(0, 1);
    RestoreInstance(*s, chk1, 2, 0, 1);
    s->OnEnd();
  }
  EXPECT_EQ(OnceEach(ReadNumbers(broker.bootstrap(), "out", 2, true), 200), "");
  // Restored from checkpoint 2 at parallelism 1: the one instance writes
  // what both recorded; then the same checkpoint once more: nothing.
  for (int round = 0; round < 2; ++round) {
    auto s = make(0, 1);
    RestoreInstance(*s, chk2, 2, 0, 1);
    engine::SnapshotWriter w;
    s->Snapshot(3, w);  // the restored epochs are written before a new checkpoint forgets them
    EXPECT_TRUE(w.entries().empty());
    EXPECT_EQ(OnceEach(ReadNumbers(broker.bootstrap(), "out", 2, true), 400), "") << "round " << round;
  }
}

// A transaction the sink cannot finish is aborted: a record its producer
// refuses (larger than the producer's message.max.bytes) fails the commit
// of an epoch part of which has reached the topic. A read_committed
// reader sees nothing of that epoch and is not held up by it (a record
// produced after it is visible; an open transaction would hide it until
// the transaction timed out). Restored from the checkpoint by a producer
// that takes the record, the sink writes the epoch once.
TEST(KafkaConnectorTest, ExactlyOnceSinkAbortsATransactionItCannotFinish) {
  BrokerProcess broker("");
  auto admin = kafka::Admin::Open(broker.bootstrap());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic("out", 1, {}).ok());
  constexpr int64_t kBig = 125;
  auto encode = [](const int64_t& v) {
    std::string value = std::to_string(v);
    if (v == kBig) value.insert(0, 5000, '0');  // still the number, 5000 bytes longer
    return std::make_pair(std::optional<std::string>(), value);
  };
  using Sink = KafkaSink<int64_t, decltype(encode)>;
  auto make = [&](const kafka::Config& config) {
    auto s = std::make_unique<Sink>(broker.bootstrap(), "out", encode, config);
    s->EnableCheckpoints(engine::CheckpointScope{"job", "to out", 0, 1});
    return s;
  };
  // At most one record queued: those before the big one have reached the
  // topic (inside the transaction) when the big one is refused.
  auto s = make({{"message.max.bytes", "2000"}, {"queue.buffering.max.messages", "1"}, {"linger.ms", "0"}});
  auto b1 = Numbers(0, 100), b2 = Numbers(100, 150);
  s->OnBatch(b1);
  engine::SnapshotWriter w1;
  s->Snapshot(1, w1);
  s->CheckpointComplete(1);
  s->OnBatch(b2);
  engine::SnapshotWriter w2;
  s->Snapshot(2, w2);
  const std::vector<engine::StateEntry> chk2 = w2.entries();
  try {
    s->CheckpointComplete(2);
    ADD_FAILURE() << "the epoch with a record too large was committed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
  }
  // (The failed sink stays open meanwhile: its producer's end does not
  // settle the transaction.)
  auto uncommitted = ReadNumbers(broker.bootstrap(), "out", 1, /*read_committed=*/false);
  ASSERT_TRUE(std::find(uncommitted.begin(), uncommitted.end(), 100) != uncommitted.end())
      << "nothing of the failed epoch reached the topic: the test tests nothing";
  auto plain = kafka::Producer::Open(broker.bootstrap());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ASSERT_TRUE((*plain)->Send("out", std::nullopt, "1000").ok());
  ASSERT_TRUE((*plain)->Flush(std::chrono::seconds(10)).ok());
  auto expected = Iota(100);
  expected.push_back(1000);
  EXPECT_EQ(ReadNumbers(broker.bootstrap(), "out", 1, /*read_committed=*/true), expected)
      << "want epoch 1 and the record after the failed transaction (1000), nothing of epoch 2";
  s.reset();

  expected = Iota(150);
  expected.push_back(1000);
  for (int round = 0; round < 2; ++round) {
    auto again = make({});
    RestoreInstance(*again, chk2, 1, 0, 1);
    again->OnEnd();
    EXPECT_EQ(ReadNumbers(broker.bootstrap(), "out", 1, /*read_committed=*/true), expected) << "round " << round;
  }
}

}  // namespace
}  // namespace rivulet::connectors

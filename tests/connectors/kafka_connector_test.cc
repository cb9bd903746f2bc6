// The Kafka connector against a real `rivulet broker` process on loopback:
// bad records through the source (the job fails naming the record and the
// reason, or skips it, counted either way) and a delivery the broker
// refuses failing the sink's job.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "connectors/kafka/kafka_connector.h"
#include "connectors/serde/serde.h"
#include "engine/metrics.h"
#include "tests/test_util.h"

namespace rivulet::connectors {
namespace {

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

}  // namespace
}  // namespace rivulet::connectors

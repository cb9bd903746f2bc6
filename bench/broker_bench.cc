// broker-produce and broker-consume: a `rivulet broker` (in this process,
// on a free loopback port) driven by librdkafka, against Redis Streams
// measured in the same run: Debian's redis-server, started here on a free
// loopback port without persistence, fed the same keys and values by XADD
// in pipelined batches and read back by XREAD.
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>
#include <ostream>
#include <thread>

#include "bench/harness.h"
#include "log/kafka/server/broker.h"

#include "bench/broker_clients.h"

namespace rivulet::bench {
namespace {

constexpr int kRedisBatch = 1000;

// ---- The Redis Streams baseline ----

class Redis {
 public:
  static Result<std::unique_ptr<Redis>> Start() {
    RIVULET_ASSIGN_OR_RETURN(uint16_t port, FreePort());
    auto r = std::unique_ptr<Redis>(new Redis());
    const std::string p = std::to_string(port);
    r->pid_ = ::fork();
    if (r->pid_ < 0) return ErrnoStatus("fork", "redis-server", errno);
    if (r->pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {  // up to 5 s for it to listen
      int status = 0;
      if (::waitpid(r->pid_, &status, WNOHANG) == r->pid_) {
        r->pid_ = -1;
        return Status(Errc::kNotFound, "redis-server did not start (install it: scripts/install-deps.sh)");
      }
      r->c_ = redisConnect("127.0.0.1", port);
      if (r->c_ && !r->c_->err) return r;
      if (r->c_) redisFree(r->c_);
      r->c_ = nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return Status(Errc::kTimeout, "redis-server did not listen on port " + p);
  }
  ~Redis() {
    if (c_) redisFree(c_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  Status Command(const char* cmd) {
    auto* reply = static_cast<redisReply*>(redisCommand(c_, cmd));
    return Check(reply, cmd);
  }

  // XADD of every record, pipelined in batches; returns the seconds taken.
  Result<double> Add(const BenchOptions& o, const std::vector<std::string>& keys, const std::string& value) {
    const auto start = Clock::now();
    for (int64_t i = 0; i < o.records;) {
      const int64_t end = std::min<int64_t>(o.records, i + kRedisBatch);
      for (int64_t j = i; j < end; ++j) {
        const std::string& key = keys[static_cast<size_t>(j) & 1023];
        const char* argv[] = {"XADD", kTopic, "*", "k", key.data(), "v", value.data()};
        const size_t lens[] = {4, std::strlen(kTopic), 1, 1, key.size(), 1, value.size()};
        if (redisAppendCommandArgv(c_, 7, argv, lens) != REDIS_OK) return Status(Errc::kIoError, c_->errstr);
      }
      for (; i < end; ++i) {
        void* reply = nullptr;
        if (redisGetReply(c_, &reply) != REDIS_OK) return Status(Errc::kIoError, c_->errstr);
        RIVULET_RETURN_IF_ERROR(Check(static_cast<redisReply*>(reply), "XADD"));
      }
    }
    return Seconds(start, Clock::now());
  }

  // XREAD of the whole stream in pages of 10,000 entries, touching each
  // value; returns the seconds taken.
  Result<double> ReadAll(int64_t count) {
    std::string last = "0-0";
    int64_t seen = 0;
    uint64_t checksum = 0;
    const auto start = Clock::now();
    while (seen < count) {
      auto* reply = static_cast<redisReply*>(redisCommand(c_, "XREAD COUNT 10000 STREAMS %s %s", kTopic, last.c_str()));
      if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 1) {
        if (reply) freeReplyObject(reply);
        return Status(Errc::kIoError, "XREAD: unexpected reply");
      }
      const redisReply* entries = reply->element[0]->element[1];
      for (size_t e = 0; e < entries->elements; ++e) {
        const redisReply* entry = entries->element[e];
        const redisReply* fields = entry->element[1];
        checksum += fields->element[3]->len;
        if (e + 1 == entries->elements) last.assign(entry->element[0]->str, entry->element[0]->len);
      }
      seen += static_cast<int64_t>(entries->elements);
      freeReplyObject(reply);
    }
    if (checksum == 0) return Status(Errc::kCorruption, "XREAD returned empty values");
    return Seconds(start, Clock::now());
  }

 private:
  Redis() = default;
  Status Check(redisReply* reply, const char* what) {
    if (!reply) return Status(Errc::kIoError, std::string(what) + ": " + c_->errstr);
    Status st = reply->type == REDIS_REPLY_ERROR ? Status(Errc::kIoError, std::string(what) + ": " + reply->str)
                                                 : Status::Ok();
    freeReplyObject(reply);
    return st;
  }

  pid_t pid_ = -1;
  redisContext* c_ = nullptr;
};

// Produce-to-consume latency at `rate` records/s for about two seconds:
// each value starts with its send time; the consumer, reading from the log
// end, subtracts it on arrival. Returns the latencies in microseconds.
Result<std::vector<double>> EndToEndLatency(BrokerUnderTest& broker, const BenchOptions& o, double rate,
                                            const std::string& value) {
  const int64_t count = std::max<int64_t>(1000, static_cast<int64_t>(rate * 2.0));
  RIVULET_ASSIGN_OR_RETURN(int64_t from, broker.LogEnd());
  RIVULET_ASSIGN_OR_RETURN(RdKafka consumer, OpenConsumer(broker.bootstrap(), from));
  // Warm the consumer up: its first fetch goes out before the clock starts.
  rd_kafka_message_t* warm = rd_kafka_consumer_poll(consumer.get(), 200);
  if (warm) rd_kafka_message_destroy(warm);
  RIVULET_ASSIGN_OR_RETURN(auto producer, BenchProducer::Open(broker.bootstrap(), "0", count));
  const std::vector<std::string> keys = MakeKeys(o);

  std::vector<double> latency;
  latency.reserve(static_cast<size_t>(count));
  Status consumed;
  std::thread reader([&] {
    consumed = ConsumeN(consumer.get(), count, [&](std::string_view v) {
      int64_t sent = 0;
      std::memcpy(&sent, v.data(), sizeof(sent));
      latency.push_back(static_cast<double>(NowNs() - sent) / 1e3);
    });
  });
  std::string stamped = value;
  stamped.resize(std::max(stamped.size(), sizeof(int64_t)));
  const auto start = Clock::now();
  Status sent;
  for (int64_t i = 0; i < count && sent.ok();) {
    const int64_t due = std::min<int64_t>(count, static_cast<int64_t>(Seconds(start, Clock::now()) * rate) + 1);
    for (; i < due && sent.ok(); ++i) {
      const int64_t now = NowNs();
      std::memcpy(stamped.data(), &now, sizeof(now));
      sent = producer->Send(i, keys[static_cast<size_t>(i) & 1023], stamped);
    }
    producer->Poll();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (sent.ok()) sent = producer->Flush();
  reader.join();
  RIVULET_RETURN_IF_ERROR(sent);
  RIVULET_RETURN_IF_ERROR(consumed);
  return latency;
}

}  // namespace

Status BrokerProduceBench(const BenchOptions& o, std::ostream& out) {
  const std::vector<std::string> keys = MakeKeys(o);
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  Figures f;
  f.bench = "broker-produce";
  f.baseline = "Redis Streams XADD, pipelined batches of 1000";
  RIVULET_ASSIGN_OR_RETURN(auto redis, Redis::Start());
  std::vector<double> p50, p99;
  for (int r = 0; r < o.repeats; ++r) {
    {
      RIVULET_ASSIGN_OR_RETURN(auto broker, BrokerUnderTest::Start(o));
      RIVULET_ASSIGN_OR_RETURN(auto producer, BenchProducer::Open(broker->bootstrap(), "5", o.records));
      RIVULET_ASSIGN_OR_RETURN(double secs, ProduceAll(*producer, o, keys, value));
      RIVULET_ASSIGN_OR_RETURN(int64_t end, broker->LogEnd());
      if (end != o.records) return Status(Errc::kCorruption, "broker holds " + std::to_string(end) + " records");
      RIVULET_ASSIGN_OR_RETURN(f.bytes, broker->Bytes());
      f.rates.push_back(static_cast<double>(o.records) / secs);
      p50.push_back(Percentile(producer->latency_us(), 50));
      p99.push_back(Percentile(producer->latency_us(), 99));
    }
    RIVULET_RETURN_IF_ERROR(redis->Command("FLUSHALL"));
    RIVULET_ASSIGN_OR_RETURN(double base_secs, redis->Add(o, keys, value));
    f.baseline_rates.push_back(static_cast<double>(o.records) / base_secs);
  }
  f.extra = {{"p50_us", Median(p50)}, {"p99_us", Median(p99)}, {"acks", 1}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

Status BrokerConsumeBench(const BenchOptions& o, std::ostream& out) {
  const std::vector<std::string> keys = MakeKeys(o);
  const std::string value(static_cast<size_t>(o.value_bytes), 'v');
  Figures f;
  f.bench = "broker-consume";
  f.baseline = "Redis Streams XREAD, pages of 10000";
  RIVULET_ASSIGN_OR_RETURN(auto broker, BrokerUnderTest::Start(o));
  double peak_produce = 0;
  {
    RIVULET_ASSIGN_OR_RETURN(auto producer, BenchProducer::Open(broker->bootstrap(), "5", o.records));
    RIVULET_ASSIGN_OR_RETURN(double secs, ProduceAll(*producer, o, keys, value));
    peak_produce = static_cast<double>(o.records) / secs;
  }
  RIVULET_ASSIGN_OR_RETURN(f.bytes, broker->Bytes());
  RIVULET_ASSIGN_OR_RETURN(auto redis, Redis::Start());
  RIVULET_RETURN_IF_ERROR(redis->Add(o, keys, value).status());
  for (int r = 0; r < o.repeats; ++r) {
    RIVULET_ASSIGN_OR_RETURN(RdKafka consumer, OpenConsumer(broker->bootstrap(), RD_KAFKA_OFFSET_BEGINNING));
    uint64_t checksum = 0;
    const auto start = Clock::now();
    RIVULET_RETURN_IF_ERROR(ConsumeN(consumer.get(), o.records, [&](std::string_view v) { checksum += v.size(); }));
    const double secs = Seconds(start, Clock::now());
    if (checksum != static_cast<uint64_t>(o.records) * value.size()) {
      return Status(Errc::kCorruption, "consumed values differ from those produced");
    }
    f.rates.push_back(static_cast<double>(o.records) / secs);
    RIVULET_ASSIGN_OR_RETURN(double base_secs, redis->ReadAll(o.records));
    f.baseline_rates.push_back(static_cast<double>(o.records) / base_secs);
  }
  redis.reset();
  // Half the peak of the produce-to-consume pipeline: the slower of the
  // peak produce rate and the median consume rate bounds it.
  const double rate = std::min(peak_produce, Median(f.rates)) / 2;
  RIVULET_ASSIGN_OR_RETURN(auto latency, EndToEndLatency(*broker, o, rate, value));
  f.extra = {{"p50_us", Percentile(latency, 50)},
             {"p99_us", Percentile(latency, 99)},
             {"p999_us", Percentile(latency, 99.9)},
             {"latency_records_per_s", rate},
             {"peak_produce_records_per_s", peak_produce}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

}  // namespace rivulet::bench

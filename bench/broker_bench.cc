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

namespace rivulet::bench {
namespace {

constexpr const char* kTopic = "bench";
constexpr int kRedisBatch = 1000;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// A free loopback TCP port (bound, read and released).
Result<uint16_t> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", "", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int e = errno;
    ::close(fd);
    return ErrnoStatus("bind", "127.0.0.1:0", e);
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// ---- The broker under test ----

class BrokerUnderTest {
 public:
  static Result<std::unique_ptr<BrokerUnderTest>> Start(const BenchOptions& o) {
    auto b = std::unique_ptr<BrokerUnderTest>(new BrokerUnderTest());
    b->dir_ = MakeDir(o, "broker");
    log::kafka::BrokerOptions bo;
    bo.data_dir = b->dir_ + "/data";
    bo.listen_port = 0;
    bo.log.default_topic_config.segment_bytes = 1LL << 30;
    RIVULET_ASSIGN_OR_RETURN(b->broker_, log::kafka::Broker::Start(bo));
    RIVULET_RETURN_IF_ERROR(b->broker_->log().CreateTopic(kTopic, 1));
    b->runner_ = std::thread([p = b.get()] { (void)p->broker_->Run(); });
    return b;
  }
  ~BrokerUnderTest() {
    if (broker_) broker_->Stop();
    if (runner_.joinable()) runner_.join();
    broker_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(broker_->port()); }
  Result<int64_t> LogEnd() {
    RIVULET_ASSIGN_OR_RETURN(auto part, broker_->log().GetPartition({kTopic, 0}));
    return part->log_end_offset();
  }
  Result<uint64_t> Bytes() {
    RIVULET_ASSIGN_OR_RETURN(auto d, broker_->log().DescribeTopic(kTopic));
    return d.partitions[0].size_bytes;
  }

 private:
  BrokerUnderTest() = default;
  std::string dir_;
  std::unique_ptr<log::kafka::Broker> broker_;
  std::thread runner_;
};

// ---- librdkafka clients ----

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafka = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

Result<rd_kafka_conf_t*> MakeConf(const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status(Errc::kInvalidArgument, "librdkafka " + k + "=" + v + ": " + err);
    }
  }
  return conf;
}

// A producer whose delivery reports record ack latency: the send time of
// every record with an index is kept, and delivery subtracts it.
class BenchProducer {
 public:
  static Result<std::unique_ptr<BenchProducer>> Open(const std::string& bootstrap, const std::string& linger_ms,
                                                     int64_t records) {
    auto p = std::unique_ptr<BenchProducer>(new BenchProducer());
    RIVULET_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf,
                             MakeConf({{"bootstrap.servers", bootstrap},
                                       {"acks", "1"},
                                       {"linger.ms", linger_ms},
                                       {"batch.size", "1000000"},
                                       {"batch.num.messages", "100000"},
                                       {"queue.buffering.max.messages", "2000000"},
                                       {"queue.buffering.max.kbytes", "1048576"},
                                       {"compression.codec", "none"},
                                       {"enable.idempotence", "false"}}));
    rd_kafka_conf_set_opaque(conf, p.get());
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
      static_cast<BenchProducer*>(opaque)->Delivered(m);
    });
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
      rd_kafka_conf_destroy(conf);
      return Status(Errc::kIoError, std::string("librdkafka producer: ") + err);
    }
    p->rk_.reset(rk);
    p->rkt_ = rd_kafka_topic_new(rk, kTopic, nullptr);
    p->sent_ns_.assign(static_cast<size_t>(records), 0);
    p->latency_us_.reserve(static_cast<size_t>(records));
    return p;
  }
  ~BenchProducer() {
    if (rkt_) rd_kafka_topic_destroy(rkt_);
  }

  // Queues record `i` (its send time kept for the ack latency); waits for
  // room when librdkafka's queue is full.
  Status Send(int64_t i, std::string_view key, std::string_view value) {
    sent_ns_[static_cast<size_t>(i)] = NowNs();
    for (;;) {
      if (rd_kafka_produce(rkt_, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, const_cast<char*>(value.data()),
                           value.size(), key.data(), key.size(), reinterpret_cast<void*>(i)) == 0) {
        break;
      }
      const rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) return Status(Errc::kIoError, rd_kafka_err2str(e));
      rd_kafka_poll(rk_.get(), 1);
    }
    if ((++queued_ & 1023) == 0) rd_kafka_poll(rk_.get(), 0);
    return Status::Ok();
  }
  void Poll() { rd_kafka_poll(rk_.get(), 0); }
  Status Flush() {
    if (rd_kafka_flush(rk_.get(), 120000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status(Errc::kTimeout, "librdkafka flush timed out");
    }
    if (failed_ > 0) return Status(Errc::kIoError, std::to_string(failed_) + " deliveries failed: " + first_error_);
    return Status::Ok();
  }
  const std::vector<double>& latency_us() const { return latency_us_; }

 private:
  BenchProducer() = default;
  void Delivered(const rd_kafka_message_t* m) {
    if (m->err) {
      if (failed_++ == 0) first_error_ = rd_kafka_err2str(m->err);
      return;
    }
    const auto i = reinterpret_cast<intptr_t>(m->_private);
    latency_us_.push_back(static_cast<double>(NowNs() - sent_ns_[static_cast<size_t>(i)]) / 1e3);
  }

  RdKafka rk_;
  rd_kafka_topic_t* rkt_ = nullptr;
  int64_t queued_ = 0;
  std::vector<int64_t> sent_ns_;
  std::vector<double> latency_us_;
  int64_t failed_ = 0;
  std::string first_error_;
};

// A consumer of partition 0 from `offset` (no group: assign).
Result<RdKafka> OpenConsumer(const std::string& bootstrap, int64_t offset) {
  RIVULET_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConf({{"bootstrap.servers", bootstrap},
                                                             {"group.id", "rivulet-bench"},
                                                             {"enable.auto.commit", "false"},
                                                             {"enable.partition.eof", "false"},
                                                             {"fetch.message.max.bytes", "4194304"},
                                                             {"fetch.wait.max.ms", "100"},
                                                             {"queued.max.messages.kbytes", "262144"}}));
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Status(Errc::kIoError, std::string("librdkafka consumer: ") + err);
  }
  RdKafka consumer(rk);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, kTopic, 0)->offset = offset;
  const rd_kafka_resp_err_t e = rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e) return Status(Errc::kIoError, std::string("assign: ") + rd_kafka_err2str(e));
  return consumer;
}

// Calls on_message(value) for each message until `count` were seen, taking
// them from the consumer's queue in batches of what is ready.
template <typename F>
Status ConsumeN(rd_kafka_t* rk, int64_t count, F on_message) {
  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(rk);
  std::vector<rd_kafka_message_t*> batch(4096);
  int64_t seen = 0;
  Status st;
  while (seen < count && st.ok()) {
    // What is ready, without waiting (a batch call with a timeout waits
    // for a full batch); when nothing is, wait for one message.
    ssize_t n = rd_kafka_consume_batch_queue(queue, 0, batch.data(), batch.size());
    if (n == 0) {
      batch[0] = rd_kafka_consumer_poll(rk, 5000);
      n = batch[0] ? 1 : 0;
    }
    if (n <= 0) {
      st = Status(Errc::kTimeout, "consumer stalled at " + std::to_string(seen) + " records");
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      if (m->err && st.ok()) {
        st = Status(Errc::kIoError, std::string("consume: ") + rd_kafka_message_errstr(m));
      } else if (!m->err) {
        on_message(std::string_view(static_cast<const char*>(m->payload), m->len));
        ++seen;
      }
      rd_kafka_message_destroy(m);
    }
  }
  rd_kafka_queue_destroy(queue);
  return st;
}

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

// Produces every record through `producer`; returns the seconds until all
// were acknowledged.
Result<double> ProduceAll(BenchProducer& producer, const BenchOptions& o, const std::vector<std::string>& keys,
                          const std::string& value) {
  const auto start = Clock::now();
  for (int64_t i = 0; i < o.records; ++i) {
    RIVULET_RETURN_IF_ERROR(producer.Send(i, keys[static_cast<size_t>(i) & 1023], value));
  }
  RIVULET_RETURN_IF_ERROR(producer.Flush());
  return Seconds(start, Clock::now());
}

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

// Shared by the broker benchmarks (broker_bench.cc, broker_txn_bench.cc,
// broker_tls_bench.cc): a `rivulet broker` in this process on free loopback
// ports, and librdkafka producers and consumers driving it.
#pragma once

#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/file.h"
#include "bench/harness.h"
#include "log/credentials.h"
#include "log/kafka/auth/sasl.h"
#include "log/kafka/server/broker.h"
#include "log/partition.h"

namespace rivulet::bench {

inline constexpr const char* kTopic = "bench";

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// A free loopback TCP port (bound, read and released).
inline Result<uint16_t> FreePort() {
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

// A second listener, SASL_SSL (SCRAM-SHA-512 over TLS), beside the
// PLAINTEXT one (broker_tls_bench.cc).
struct SaslSslListener {
  std::string keystore;                 // ssl.keystore.location: PEM, the key and the certificate chain
  std::set<std::string> tls_protocols;  // ssl.enabled.protocols; empty: TLSv1.2 and TLSv1.3
  std::string user;                     // a SCRAM-SHA-512 user added once the broker is up
  std::string password;
};

class BrokerUnderTest {
 public:
  // One PLAINTEXT listener; with `sasl_ssl`, a SASL_SSL one too
  // (sasl_ssl_bootstrap()).
  static Result<std::unique_ptr<BrokerUnderTest>> Start(const BenchOptions& o,
                                                        const SaslSslListener* sasl_ssl = nullptr) {
    auto b = std::unique_ptr<BrokerUnderTest>(new BrokerUnderTest());
    b->dir_ = MakeDir(o, "broker");
    log::kafka::BrokerOptions bo;
    bo.data_dir = b->dir_ + "/data";
    bo.listen_port = 0;
    bo.log.default_topic_config.segment_bytes = 1LL << 30;
    if (sasl_ssl) {
      log::kafka::ListenerOptions plain;
      plain.name = "PLAINTEXT";
      plain.protocol = log::kafka::SecurityProtocol::kPlaintext;
      plain.port = 0;
      log::kafka::ListenerOptions secure;
      secure.name = "SASL_SSL";
      secure.protocol = log::kafka::SecurityProtocol::kSaslSsl;
      secure.port = 0;
      bo.listeners = {plain, secure};
      bo.tls.keystore_location = sasl_ssl->keystore;
      bo.tls.protocols = sasl_ssl->tls_protocols;
      bo.sasl.enabled_mechanisms = {"SCRAM-SHA-512"};
      b->sasl_ssl_ = true;
    }
    RIVULET_ASSIGN_OR_RETURN(b->broker_, log::kafka::Broker::Start(bo));
    if (sasl_ssl) {
      RIVULET_RETURN_IF_ERROR(b->broker_->log().credentials().Upsert(
          sasl_ssl->user, log::kafka::MakeScramCredential(log::ScramMechanism::kSha512, sasl_ssl->password)));
    }
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
  // The SASL_SSL listener (started with one).
  std::string sasl_ssl_bootstrap() const { return "127.0.0.1:" + std::to_string(broker_->port(sasl_ssl_ ? 1 : 0)); }
  uint16_t sasl_ssl_port() const { return broker_->port(sasl_ssl_ ? 1 : 0); }
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
  bool sasl_ssl_ = false;
};

// ---- librdkafka clients ----

struct RdKafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafka = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

inline Result<rd_kafka_conf_t*> MakeConf(const std::vector<std::pair<std::string, std::string>>& settings) {
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
  // `extra` settings override the defaults below.
  static Result<std::unique_ptr<BenchProducer>> Open(const std::string& bootstrap, const std::string& linger_ms,
                                                     int64_t records,
                                                     const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    auto p = std::unique_ptr<BenchProducer>(new BenchProducer());
    std::vector<std::pair<std::string, std::string>> settings = {{"bootstrap.servers", bootstrap},
                                       {"acks", "1"},
                                       {"linger.ms", linger_ms},
                                       {"batch.size", "1000000"},
                                       {"batch.num.messages", "100000"},
                                       {"queue.buffering.max.messages", "2000000"},
                                       {"queue.buffering.max.kbytes", "1048576"},
                                       {"compression.codec", "none"},
                                       {"enable.idempotence", "false"}};
    settings.insert(settings.end(), extra.begin(), extra.end());
    RIVULET_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConf(settings));
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
  rd_kafka_t* handle() { return rk_.get(); }
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

// Produces every record through `producer`; returns the seconds until all
// were acknowledged.
inline Result<double> ProduceAll(BenchProducer& producer, const BenchOptions& o, const std::vector<std::string>& keys,
                                 const std::string& value) {
  const auto start = Clock::now();
  for (int64_t i = 0; i < o.records; ++i) {
    RIVULET_RETURN_IF_ERROR(producer.Send(i, keys[static_cast<size_t>(i) & 1023], value));
  }
  RIVULET_RETURN_IF_ERROR(producer.Flush());
  return Seconds(start, Clock::now());
}

// A consumer of partition 0 from `offset` (no group: assign).
inline Result<RdKafka> OpenConsumer(const std::string& bootstrap, int64_t offset,
                                    const std::vector<std::pair<std::string, std::string>>& extra = {}) {
  std::vector<std::pair<std::string, std::string>> settings = {{"bootstrap.servers", bootstrap},
                                                             {"group.id", "rivulet-bench"},
                                                             {"enable.auto.commit", "false"},
                                                             {"enable.partition.eof", "false"},
                                                             {"fetch.message.max.bytes", "4194304"},
                                                             {"fetch.wait.max.ms", "100"},
                                                             {"queued.max.messages.kbytes", "262144"}};
  settings.insert(settings.end(), extra.begin(), extra.end());
  RIVULET_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConf(settings));
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

}  // namespace rivulet::bench

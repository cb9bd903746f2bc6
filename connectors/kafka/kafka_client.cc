// librdkafka-backed producer, consumer and admin; see kafka_client.h.
#include "connectors/kafka/kafka_client.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "base/logging.h"

namespace rivulet::connectors::kafka {
namespace {

constexpr std::chrono::milliseconds kAdminTimeout{10000};

Status KafkaError(const std::string& what, rd_kafka_resp_err_t err, const char* msg = nullptr) {
  Errc code = Errc::kIoError;
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
      code = Errc::kNotFound;
      break;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: code = Errc::kAlreadyExists; break;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      code = Errc::kTimeout;
      break;
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
      code = Errc::kInvalidArgument;
      break;
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE: code = Errc::kOutOfRange; break;
    default: break;
  }
  return Status(code, what + ": " + (msg && *msg ? msg : rd_kafka_err2str(err)));
}

// Builds a conf, applying `base` then `extra`.
Result<rd_kafka_conf_t*> MakeConf(const std::string& bootstrap, const Config& base, const Config& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      return Status(Errc::kInvalidArgument, std::string("kafka setting ") + k + ": " + err);
    }
    return Status::Ok();
  };
  Status st = set("bootstrap.servers", bootstrap);
  for (const auto& [k, v] : base) {
    if (st.ok()) st = set(k, v);
  }
  for (const auto& [k, v] : extra) {
    if (st.ok()) st = set(k, v);
  }
  if (!st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  return conf;
}

Result<rd_kafka_t*> MakeHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status(Errc::kInvalidArgument, std::string("kafka client: ") + err);
  }
  return rk;
}

// Quiet by default: connection errors surface as Status, not log lines.
const Config kQuiet = {{"log_level", "0"}};

}  // namespace

// ---------------------------------------------------------------- producer

struct Producer::Impl {
  rd_kafka_t* rk = nullptr;
  std::mutex mu;
  Status first_error;
  ~Impl() {
    if (rk) rd_kafka_destroy(rk);
  }
};

Result<std::unique_ptr<Producer>> Producer::Open(const std::string& bootstrap, Config config) {
  Config base = kQuiet;
  base["partitioner"] = "murmur2_random";  // Kafka's Java client's default
  base["enable.idempotence"] = "false";
  base["acks"] = "all";
  RIVULET_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConf(bootstrap, base, config));
  auto p = std::unique_ptr<Producer>(new Producer());
  p->impl_ = std::make_unique<Impl>();
  rd_kafka_conf_set_opaque(conf, p->impl_.get());
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* impl = static_cast<Impl*>(opaque);
    std::lock_guard<std::mutex> lock(impl->mu);
    if (impl->first_error.ok()) impl->first_error = KafkaError("delivery", m->err);
  });
  RIVULET_ASSIGN_OR_RETURN(p->impl_->rk, MakeHandle(RD_KAFKA_PRODUCER, conf));
  return p;
}

Producer::~Producer() = default;

Status Producer::Send(const std::string& topic, const std::optional<std::string>& key, const std::string& value,
                      int32_t partition) {
  return Send(topic, key, value, partition, -1, {});
}

Status Producer::Send(const std::string& topic, const std::optional<std::string>& key, const std::string& value,
                      int32_t partition, int64_t timestamp, const std::vector<Header>& headers) {
  // librdkafka takes the headers on success and leaves them to us on failure.
  rd_kafka_headers_t* hdrs = nullptr;
  if (!headers.empty()) {
    hdrs = rd_kafka_headers_new(headers.size());
    for (const Header& h : headers) {
      rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()),
                          h.value ? h.value->data() : nullptr, h.value ? static_cast<ssize_t>(h.value->size()) : 0);
    }
  }
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        impl_->rk, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY((key ? key->data() : nullptr), (key ? key->size() : 0)),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_TIMESTAMP(timestamp < 0 ? 0 : timestamp),  // 0: now
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(impl_->rk, 100);  // wait for deliveries to make room
      continue;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (hdrs) rd_kafka_headers_destroy(hdrs);
      return KafkaError("produce to " + topic, err);
    }
    rd_kafka_poll(impl_->rk, 0);
    return Status::Ok();
  }
}

Status Producer::Flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(impl_->rk, static_cast<int>(timeout.count()));
  std::lock_guard<std::mutex> lock(impl_->mu);
  Status st = impl_->first_error;
  impl_->first_error = Status::Ok();
  if (!st.ok()) return st;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError("flush", err);
  return Status::Ok();
}

Status Producer::LoadMetadata(const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(impl_->rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err) return KafkaError("metadata of " + topic, err);
  rd_kafka_metadata_destroy(md);
  return Status::Ok();
}

namespace {

// A transactional call's error as a Status (nullptr: ok); frees `e`.
Status TxnStatus(const std::string& what, rd_kafka_error_t* e) {
  if (e == nullptr) return Status::Ok();
  Errc code = Errc::kIoError;
  if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__FENCED ||
      rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
      rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH) {
    code = Errc::kProducerFenced;
  } else if (rd_kafka_error_txn_requires_abort(e)) {
    code = Errc::kInvalidTxnState;
  } else if (rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    code = Errc::kTimeout;
  }
  Status st(code, what + ": " + rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
  return st;
}

// Runs a transactional call until it succeeds, fails for good, or
// `timeout` has passed (retriable errors are retried, as librdkafka's
// documentation asks).
template <typename Call>
Status RetryTxn(const std::string& what, std::chrono::milliseconds timeout, Call call) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    rd_kafka_error_t* e = call(static_cast<int>(timeout.count()));
    if (e == nullptr) return Status::Ok();
    if (!rd_kafka_error_is_retriable(e) || std::chrono::steady_clock::now() >= deadline) return TxnStatus(what, e);
    rd_kafka_error_destroy(e);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

Status Producer::InitTransactions(std::chrono::milliseconds timeout) {
  return RetryTxn("init transactions", timeout,
                  [&](int ms) { return rd_kafka_init_transactions(impl_->rk, ms); });
}

Status Producer::BeginTransaction() { return TxnStatus("begin transaction", rd_kafka_begin_transaction(impl_->rk)); }

Status Producer::SendOffsetsToTransaction(const std::string& group, const std::string& topic, int32_t partition,
                                          int64_t offset, const std::string& metadata,
                                          std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  tp->offset = offset;
  tp->metadata = rd_kafka_mem_malloc(impl_->rk, metadata.size());
  std::copy(metadata.begin(), metadata.end(), static_cast<char*>(tp->metadata));
  tp->metadata_size = metadata.size();
  rd_kafka_consumer_group_metadata_t* md = rd_kafka_consumer_group_metadata_new(group.c_str());
  Status st = RetryTxn("send offsets to transaction (group " + group + ")", timeout, [&](int ms) {
    return rd_kafka_send_offsets_to_transaction(impl_->rk, list, md, ms);
  });
  rd_kafka_consumer_group_metadata_destroy(md);
  rd_kafka_topic_partition_list_destroy(list);
  return st;
}

Status Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  Status st = RetryTxn("commit transaction", timeout,
                       [&](int ms) { return rd_kafka_commit_transaction(impl_->rk, ms); });
  if (st.code() == Errc::kInvalidTxnState) {
    Status aborted = AbortTransaction(timeout);
    if (!aborted.ok()) return aborted;
  }
  // A delivery that failed made the commit fail: name it.
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!st.ok() && !impl_->first_error.ok()) st = Status(st.code(), st.message() + " (" + impl_->first_error.message() + ")");
  impl_->first_error = Status::Ok();
  return st;
}

Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  return RetryTxn("abort transaction", timeout, [&](int ms) { return rd_kafka_abort_transaction(impl_->rk, ms); });
}

// ---------------------------------------------------------------- consumer

struct Consumer::Impl {
  rd_kafka_t* rk = nullptr;
  bool closed = false;
  std::string group;
  std::atomic<bool> explicit_commits{false};  // Commit was called
  ~Impl() {
    if (rk) {
      if (!closed) rd_kafka_consumer_close(rk);
      rd_kafka_destroy(rk);
    }
  }
};

Result<std::unique_ptr<Consumer>> Consumer::Open(const std::string& bootstrap, const std::string& group,
                                                 const std::string& reset, Config config) {
  Config base = kQuiet;
  base["group.id"] = group.empty() ? "rivulet-no-group" : group;
  base["auto.offset.reset"] = reset;
  base["enable.auto.commit"] = group.empty() ? "false" : "true";
  base["enable.auto.offset.store"] = "false";  // only what the caller processed
  base["enable.partition.eof"] = "false";
  RIVULET_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConf(bootstrap, base, config));
  auto c = std::unique_ptr<Consumer>(new Consumer());
  c->impl_ = std::make_unique<Impl>();
  c->impl_->group = base["group.id"];
  rd_kafka_conf_set_opaque(conf, c->impl_.get());
  // Called (from Poll) for commits: only the failures of asynchronous ones
  // made through Commit are news (auto-commit's are retried by librdkafka).
  rd_kafka_conf_set_offset_commit_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*, void* opaque) {
        auto* impl = static_cast<Impl*>(opaque);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET || !impl->explicit_commits) return;
        GetLogger("connectors")->warn("committing offsets of group {}: {}", impl->group, rd_kafka_err2str(err));
      });
  RIVULET_ASSIGN_OR_RETURN(c->impl_->rk, MakeHandle(RD_KAFKA_CONSUMER, conf));
  rd_kafka_poll_set_consumer(c->impl_->rk);
  return c;
}

Consumer::~Consumer() = default;

Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return KafkaError("subscribe", err);
  return Status::Ok();
}

std::vector<int32_t> Consumer::AssignedPartitions() {
  rd_kafka_topic_partition_list_t* list = nullptr;
  std::vector<int32_t> out;
  if (rd_kafka_assignment(impl_->rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR || !list) return out;
  for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].partition);
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

std::vector<Consumer::PartitionProgress> Consumer::Progress(const std::string& topic) {
  std::vector<PartitionProgress> out;
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(impl_->rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR || !list) return out;
  // rd_kafka_position: per partition, the offset after the last message
  // the application consumed (RD_KAFKA_OFFSET_INVALID before one).
  if (rd_kafka_position(impl_->rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& tp = list->elems[i];
      if (topic != tp.topic) continue;
      PartitionProgress p;
      p.partition = tp.partition;
      p.position = tp.offset >= 0 ? tp.offset : -1;
      int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
      if (rd_kafka_get_watermark_offsets(impl_->rk, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          high >= 0) {
        p.end = high;
      }
      out.push_back(p);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

Status Consumer::Assign(const std::string& topic, const std::vector<int32_t>& partitions, int64_t offset) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset =
        offset == -2 ? RD_KAFKA_OFFSET_BEGINNING : offset == -1 ? RD_KAFKA_OFFSET_END : offset;
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(impl_->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return KafkaError("assign", err);
  return Status::Ok();
}

Status Consumer::Assign(const std::string& topic, const std::map<int32_t, int64_t>& offsets) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [p, offset] : offsets) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_assign(impl_->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return KafkaError("assign", err);
  return Status::Ok();
}

Result<int32_t> Consumer::PartitionCount(const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(impl_->rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err) return KafkaError("metadata of " + topic, err);
  rd_kafka_resp_err_t topic_err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  const int32_t n = topic_err ? 0 : md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  if (topic_err) return KafkaError("topic '" + topic + "'", topic_err);
  if (n == 0) return Status(Errc::kNotFound, "topic '" + topic + "' has no partitions");
  return n;
}

Result<std::pair<int64_t, int64_t>> Consumer::Watermarks(const std::string& topic, int32_t partition,
                                                         std::chrono::milliseconds timeout) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(impl_->rk, topic.c_str(), partition, &low, &high,
                                                             static_cast<int>(timeout.count()));
  if (err) return KafkaError("offsets of " + topic + "/" + std::to_string(partition), err);
  return std::make_pair(low, high);
}

Status Consumer::Commit(const std::string& topic, const std::map<int32_t, int64_t>& next, bool async) {
  if (next.empty()) return Status::Ok();
  impl_->explicit_commits = true;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
  for (const auto& [p, offset] : next) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_commit(impl_->rk, list, async ? 1 : 0);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return KafkaError("commit offsets of group " + impl_->group, err);
  return Status::Ok();
}

Result<std::optional<Message>> Consumer::Poll(std::chrono::milliseconds timeout) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(impl_->rk, static_cast<int>(timeout.count()));
  if (m == nullptr) return std::optional<Message>();
  std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> guard(m, rd_kafka_message_destroy);
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return std::optional<Message>();
  if (m->err) {
    std::string what = "consume";
    if (m->rkt) what += std::string(" ") + rd_kafka_topic_name(m->rkt);
    return KafkaError(what, m->err, rd_kafka_message_errstr(m));
  }
  Message out;
  out.topic = rd_kafka_topic_name(m->rkt);
  out.partition = m->partition;
  out.offset = m->offset;
  out.timestamp = rd_kafka_message_timestamp(m, nullptr);
  if (m->key) out.key = std::string(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) out.value = std::string(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* hdrs = nullptr;  // owned by `m`
  const rd_kafka_resp_err_t herr = rd_kafka_message_headers(m, &hdrs);
  if (herr != RD_KAFKA_RESP_ERR_NO_ERROR && herr != RD_KAFKA_RESP_ERR__NOENT) {
    return Status(Errc::kCorruption, "headers of " + out.topic + "/" + std::to_string(out.partition) + " at offset " +
                                         std::to_string(out.offset) + ": " + rd_kafka_err2str(herr));
  }
  if (herr == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      Header& h = out.headers.emplace_back();
      h.key = name;
      if (value) h.value = std::string(static_cast<const char*>(value), size);
    }
  }
  return std::optional<Message>(std::move(out));
}

Status Consumer::StoreOffset(const Message& m) { return StoreOffsets(m.topic, {{m.partition, m.offset + 1}}); }

Status Consumer::StoreOffsets(const std::string& topic, const std::map<int32_t, int64_t>& next) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
  for (const auto& [p, offset] : next) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(impl_->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return KafkaError("store offsets", err);
  return Status::Ok();
}

Result<std::map<int32_t, int64_t>> Consumer::Committed(const std::string& topic, int32_t partitions,
                                                       std::chrono::milliseconds timeout) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  rd_kafka_resp_err_t err = rd_kafka_committed(impl_->rk, list, static_cast<int>(timeout.count()));
  std::map<int32_t, int64_t> out;
  if (!err) {
    for (int i = 0; i < list->cnt; ++i) out[list->elems[i].partition] = list->elems[i].offset;
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return KafkaError("committed offsets", err);
  return out;
}

void Consumer::Close() {
  if (impl_->closed) return;
  rd_kafka_consumer_close(impl_->rk);
  impl_->closed = true;
}

// ---------------------------------------------------------------- admin

struct Admin::Impl {
  rd_kafka_t* rk = nullptr;
  ~Impl() {
    if (rk) rd_kafka_destroy(rk);
  }
};

Result<std::unique_ptr<Admin>> Admin::Open(const std::string& bootstrap, Config config) {
  RIVULET_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConf(bootstrap, kQuiet, config));
  auto a = std::unique_ptr<Admin>(new Admin());
  a->impl_ = std::make_unique<Impl>();
  RIVULET_ASSIGN_OR_RETURN(a->impl_->rk, MakeHandle(RD_KAFKA_PRODUCER, conf));
  return a;
}

Admin::~Admin() = default;

namespace {

// Runs an admin request and waits for its result event.
template <typename Call>
Result<rd_kafka_event_t*> RunAdmin(rd_kafka_t* rk, Call call) {
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(opts, static_cast<int>(kAdminTimeout.count()), err, sizeof(err));
  call(opts, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, static_cast<int>(kAdminTimeout.count()) + 2000);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  if (ev == nullptr) return Status(Errc::kTimeout, "no answer from the cluster");
  if (rd_kafka_event_error(ev)) {
    Status st = KafkaError("admin request", rd_kafka_event_error(ev), rd_kafka_event_error_string(ev));
    rd_kafka_event_destroy(ev);
    return st;
  }
  return ev;
}

Status TopicResultStatus(const rd_kafka_topic_result_t* r, const std::string& what) {
  rd_kafka_resp_err_t err = rd_kafka_topic_result_error(r);
  if (!err) return Status::Ok();
  return KafkaError(what, err, rd_kafka_topic_result_error_string(r));
}

}  // namespace

Status Admin::CreateTopic(const std::string& name, int32_t partitions,
                          const std::map<std::string, std::string>& configs) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(name.c_str(), partitions, -1, err, sizeof(err));
  if (nt == nullptr) return Status(Errc::kInvalidArgument, std::string("create topic ") + name + ": " + err);
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_CreateTopics(impl_->rk, &nt, 1, o, q);
  });
  rd_kafka_NewTopic_destroy(nt);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(*ev), &n);
  Status st = n == 1 ? TopicResultStatus(res[0], "create topic " + name) : Status::Ok();
  rd_kafka_event_destroy(*ev);
  return st;
}

Status Admin::DeleteTopic(const std::string& name) {
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(name.c_str());
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_DeleteTopics(impl_->rk, &dt, 1, o, q);
  });
  rd_kafka_DeleteTopic_destroy(dt);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_topic_result_t** res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(*ev), &n);
  Status st = n == 1 ? TopicResultStatus(res[0], "delete topic " + name) : Status::Ok();
  rd_kafka_event_destroy(*ev);
  return st;
}

Result<std::vector<std::string>> Admin::ListTopics() {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->rk, 1, nullptr, &md, static_cast<int>(kAdminTimeout.count()));
  if (err) return KafkaError("metadata", err);
  std::vector<std::string> out;
  for (int i = 0; i < md->topic_cnt; ++i) out.emplace_back(md->topics[i].topic);
  rd_kafka_metadata_destroy(md);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<PartitionInfo>> Admin::DescribeTopic(const std::string& name) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(impl_->rk, name.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(impl_->rk, 0, rkt, &md, static_cast<int>(kAdminTimeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err) return KafkaError("metadata of " + name, err);
  std::vector<PartitionInfo> out;
  rd_kafka_resp_err_t topic_err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (!topic_err) {
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) out.push_back({md->topics[0].partitions[i].id, 0, 0});
  }
  rd_kafka_metadata_destroy(md);
  if (topic_err) return KafkaError("topic '" + name + "'", topic_err);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.partition < b.partition; });
  for (auto& p : out) {
    err = rd_kafka_query_watermark_offsets(impl_->rk, name.c_str(), p.partition, &p.low, &p.high,
                                           static_cast<int>(kAdminTimeout.count()));
    if (err) return KafkaError("offsets of " + name, err);
  }
  return out;
}

namespace {
GroupInfo ToGroupInfo(const rd_kafka_group_info& g) {
  GroupInfo out;
  out.group = g.group;
  out.state = g.state ? g.state : "";
  out.protocol_type = g.protocol_type ? g.protocol_type : "";
  out.protocol = g.protocol ? g.protocol : "";
  for (int i = 0; i < g.member_cnt; ++i) {
    const auto& m = g.members[i];
    out.members.push_back({m.member_id, m.client_id ? m.client_id : "", m.client_host ? m.client_host : "",
                           std::string(static_cast<const char*>(m.member_assignment), m.member_assignment_size)});
  }
  return out;
}
}  // namespace

Result<std::vector<GroupInfo>> Admin::ListGroups() {
  const rd_kafka_group_list* list = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_list_groups(impl_->rk, nullptr, &list, static_cast<int>(kAdminTimeout.count()));
  if (err) return KafkaError("list groups", err);
  std::vector<GroupInfo> out;
  for (int i = 0; i < list->group_cnt; ++i) out.push_back(ToGroupInfo(list->groups[i]));
  rd_kafka_group_list_destroy(list);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.group < b.group; });
  return out;
}

Result<GroupInfo> Admin::DescribeGroup(const std::string& group) {
  const rd_kafka_group_list* list = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_list_groups(impl_->rk, group.c_str(), &list, static_cast<int>(kAdminTimeout.count()));
  if (err) return KafkaError("describe group " + group, err);
  Result<GroupInfo> out = Status(Errc::kNotFound, "unknown group '" + group + "'");
  if (list->group_cnt == 1 && list->groups[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
      std::string(list->groups[0].state ? list->groups[0].state : "") != "Dead") {
    out = ToGroupInfo(list->groups[0]);
  }
  rd_kafka_group_list_destroy(list);
  return out;
}

Result<std::map<std::pair<std::string, int32_t>, int64_t>> Admin::CommittedOffsets(const std::string& group) {
  // Ask for every partition of every topic explicitly: librdkafka 2.0 sends
  // an empty (not null) topic array for "all", which brokers answer with
  // nothing.
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t merr = rd_kafka_metadata(impl_->rk, 1, nullptr, &md, static_cast<int>(kAdminTimeout.count()));
  if (merr) return KafkaError("metadata", merr);
  rd_kafka_topic_partition_list_t* all = rd_kafka_topic_partition_list_new(0);
  for (int i = 0; i < md->topic_cnt; ++i) {
    for (int j = 0; j < md->topics[i].partition_cnt; ++j) {
      rd_kafka_topic_partition_list_add(all, md->topics[i].topic, md->topics[i].partitions[j].id);
    }
  }
  rd_kafka_metadata_destroy(md);
  if (all->cnt == 0) {
    rd_kafka_topic_partition_list_destroy(all);
    return std::map<std::pair<std::string, int32_t>, int64_t>{};
  }
  rd_kafka_ListConsumerGroupOffsets_t* req = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), all);
  rd_kafka_topic_partition_list_destroy(all);
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_ListConsumerGroupOffsets(impl_->rk, &req, 1, o, q);
  });
  rd_kafka_ListConsumerGroupOffsets_destroy(req);
  if (!ev.ok()) return ev.status();
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  size_t n = 0;
  const rd_kafka_group_result_t** groups =
      rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(*ev), &n);
  Status st;
  for (size_t i = 0; i < n; ++i) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[i])) {
      st = KafkaError("offsets of group " + group, rd_kafka_error_code(e), rd_kafka_error_string(e));
      break;
    }
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(groups[i]);
    for (int j = 0; parts && j < parts->cnt; ++j) {
      if (parts->elems[j].offset >= 0) out[{parts->elems[j].topic, parts->elems[j].partition}] = parts->elems[j].offset;
    }
  }
  rd_kafka_event_destroy(*ev);
  if (!st.ok()) return st;
  return out;
}

namespace {

// The first error of a group result: the group's own, then its partitions'.
Status GroupResultStatus(const rd_kafka_group_result_t* g, const std::string& what) {
  if (const rd_kafka_error_t* e = rd_kafka_group_result_error(g)) {
    return KafkaError(what, rd_kafka_error_code(e), rd_kafka_error_string(e));
  }
  const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(g);
  for (int j = 0; parts && j < parts->cnt; ++j) {
    if (parts->elems[j].err) {
      return KafkaError(what + " (" + parts->elems[j].topic + "-" + std::to_string(parts->elems[j].partition) + ")",
                        parts->elems[j].err);
    }
  }
  return Status::Ok();
}

}  // namespace

Status Admin::AlterGroupOffsets(const std::string& group,
                                const std::map<std::pair<std::string, int32_t>, int64_t>& offsets) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [tp, off] : offsets) rd_kafka_topic_partition_list_add(list, tp.first.c_str(), tp.second)->offset = off;
  rd_kafka_AlterConsumerGroupOffsets_t* req = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list);
  rd_kafka_topic_partition_list_destroy(list);
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_AlterConsumerGroupOffsets(impl_->rk, &req, 1, o, q);
  });
  rd_kafka_AlterConsumerGroupOffsets_destroy(req);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_group_result_t** groups =
      rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(*ev), &n);
  Status st = n == 1 ? GroupResultStatus(groups[0], "reset offsets of group " + group) : Status::Ok();
  rd_kafka_event_destroy(*ev);
  return st;
}

Status Admin::DeleteGroup(const std::string& group) {
  rd_kafka_DeleteGroup_t* dg = rd_kafka_DeleteGroup_new(group.c_str());
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_DeleteGroups(impl_->rk, &dg, 1, o, q);
  });
  rd_kafka_DeleteGroup_destroy(dg);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(*ev), &n);
  Status st = n == 1 ? GroupResultStatus(groups[0], "delete group " + group) : Status::Ok();
  rd_kafka_event_destroy(*ev);
  return st;
}

Status Admin::CreatePartitions(const std::string& topic, int32_t total) {
  char err[512];
  rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), err, sizeof(err));
  if (np == nullptr) return Status(Errc::kInvalidArgument, err);
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_CreatePartitions(impl_->rk, &np, 1, o, q);
  });
  rd_kafka_NewPartitions_destroy(np);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(*ev), &n);
  Status st = n == 1 ? TopicResultStatus(res[0], "alter partitions of " + topic) : Status::Ok();
  rd_kafka_event_destroy(*ev);
  return st;
}

Result<std::map<std::string, std::string>> Admin::TopicOverrides(const std::string& topic) {
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_DescribeConfigs(impl_->rk, &res, 1, o, q);
  });
  rd_kafka_ConfigResource_destroy(res);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_ConfigResource_t** rs =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(*ev), &n);
  Result<std::map<std::string, std::string>> out = std::map<std::string, std::string>{};
  if (n == 1 && rd_kafka_ConfigResource_error(rs[0])) {
    out = KafkaError("configs of topic '" + topic + "'", rd_kafka_ConfigResource_error(rs[0]),
                     rd_kafka_ConfigResource_error_string(rs[0]));
  } else if (n == 1) {
    size_t m = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(rs[0], &m);
    for (size_t i = 0; i < m; ++i) {
      if (rd_kafka_ConfigEntry_source(entries[i]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG) continue;
      const char* v = rd_kafka_ConfigEntry_value(entries[i]);
      (*out)[rd_kafka_ConfigEntry_name(entries[i])] = v ? v : "";
    }
  }
  rd_kafka_event_destroy(*ev);
  return out;
}

Status Admin::SetTopicOverrides(const std::string& topic, const std::map<std::string, std::string>& overrides) {
  rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  for (const auto& [k, v] : overrides) rd_kafka_ConfigResource_set_config(res, k.c_str(), v.c_str());
  auto ev = RunAdmin(impl_->rk, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    rd_kafka_AlterConfigs(impl_->rk, &res, 1, o, q);
  });
  rd_kafka_ConfigResource_destroy(res);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_ConfigResource_t** rs = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(*ev), &n);
  Status st;
  if (n == 1 && rd_kafka_ConfigResource_error(rs[0])) {
    st = KafkaError("alter configs of topic '" + topic + "'", rd_kafka_ConfigResource_error(rs[0]),
                    rd_kafka_ConfigResource_error_string(rs[0]));
  }
  rd_kafka_event_destroy(*ev);
  return st;
}

Result<std::map<int32_t, int64_t>> Admin::OffsetsForTime(const std::string& topic, const std::vector<int32_t>& partitions,
                                                         int64_t timestamp_ms) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (int32_t p : partitions) rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = timestamp_ms;
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(impl_->rk, list, static_cast<int>(kAdminTimeout.count()));
  std::map<int32_t, int64_t> out;
  Status st;
  for (int i = 0; !err && i < list->cnt; ++i) {
    if (list->elems[i].err) {
      st = KafkaError("offsets of " + topic + " by time", list->elems[i].err);
      break;
    }
    out[list->elems[i].partition] = list->elems[i].offset;
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return KafkaError("offsets of " + topic + " by time", err);
  if (!st.ok()) return st;
  return out;
}

}  // namespace rivulet::connectors::kafka

// Kafka clusters (Apache Kafka, Redpanda, or `rivulet broker`) as a job's
// source and sink, over librdkafka (kafka_client.h).
//
// FromKafka: every source instance is a member of one consumer group, so
// the group splits the topic's partitions between the instances — and
// between the processes running the same job (`rivulet run` several times:
// scale-out); when a member leaves, the others take over its partitions
// from the group's committed offsets. decode(message) -> Result<T> or
// std::optional<T> (e.g. Decoder(serde)); rejected records fail the job or are skipped, as configured. An
// instance stores a record's offset once it has emitted it; librdkafka
// commits stored offsets every auto-commit interval and when the source
// ends (at-least-once: a crash replays what was not yet committed).
// Event time is the record timestamp (or a field); the watermark is the
// smallest over the partitions the instance has read, minus the bound.
// With idle_end_ms >= 0 the source ends after that long without records,
// counted from when the group first assigned it partitions.
//
// ToKafka: a producer per instance; encode(record) -> {optional key,
// value}; keys pick partitions as the Java client does; the end of input
// flushes, a failed delivery fails the job.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "base/logging.h"
#include "connectors/kafka/kafka_client.h"
#include "connectors/serde/serde.h"
#include "engine/operator.h"
#include "operators/operator_base.h"
#include "operators/stream.h"

namespace rivulet::connectors {

struct KafkaSourceOptions {
  std::string bootstrap;  // HOST:PORT,...
  std::string topic;
  std::string group;                       // required: the consumer group
  std::string auto_offset_reset = "earliest";  // where a group without offsets starts
  int64_t idle_end_ms = -1;                // >= 0: end after this long without records (once assigned)
  int64_t max_out_of_orderness_ms = 0;
  using OnBadRecord = connectors::OnBadRecord;  // kFail or kSkip
  OnBadRecord on_bad_record = OnBadRecord::kFail;
  kafka::Config config;  // extra librdkafka settings
};

template <typename T, typename Decode, typename TsFn>
class KafkaSource final : public engine::SourceInstance {
 public:
  using Poll = engine::SourceInstance::Poll;
  KafkaSource(void* out, KafkaSourceOptions options, Decode decode, TsFn ts)
      : out_(static_cast<operators::Receiver<T>*>(out)), options_(std::move(options)), decode_(std::move(decode)),
        ts_(std::move(ts)) {}
  ~KafkaSource() override {
    if (consumer_) consumer_->Close();
  }

  void End() override {
    out_->OnEnd();                      // chained sinks finish first
    if (consumer_) consumer_->Close();  // commits the stored offsets, leaves the group
  }

  Poll PollRecords(size_t max_records) override {
    if (!consumer_) Start();
    batch_.clear();
    while (batch_.size() < max_records) {
      auto m = consumer_->Poll(std::chrono::milliseconds(0));
      if (!m.ok()) throw std::runtime_error(m.status().ToString());
      if (!m->has_value()) break;
      kafka::Message& msg = **m;
      const int32_t partition = msg.partition;
      const int64_t offset = msg.offset;
      const engine::Timestamp record_ts = msg.timestamp;
      auto decoded = decode_(msg);  // may move from msg
      if (DecodedOk(decoded)) {
        T v = TakeDecoded(decoded);
        engine::Timestamp t = record_ts;
        if constexpr (!std::is_same_v<TsFn, std::nullptr_t>) t = ts_(v);
        auto& max = max_ts_[partition];
        max = std::max(max, t);
        batch_.push_back(operators::Event<T>{t, std::move(v)});
      } else {
        this->CountBadRecord();
        HandleBadRecord(options_.on_bad_record,
                        "record " + options_.topic + "/" + std::to_string(partition) + "@" + std::to_string(offset),
                        DecodeError(decoded));
      }
      next_offsets_[partition] = offset + 1;
    }
    if (!batch_.empty()) {
      out_->OnBatch(batch_);
      EmitWatermark();
    }
    // Emitted (or skipped): their offsets may be committed now, one call
    // per poll.
    if (!next_offsets_.empty()) {
      Status st = consumer_->StoreOffsets(options_.topic, next_offsets_);
      if (!st.ok()) GetLogger("connectors")->warn("{}", st.ToString());  // e.g. a partition just revoked
      next_offsets_.clear();
    }
    const auto now = std::chrono::steady_clock::now();
    if (!batch_.empty()) {
      last_record_ = now;
      return Poll::kMore;
    }
    // Idleness counts from the group's assignment: not while the group
    // (e.g. group.initial.rebalance.delay.ms) has given this process nothing.
    if (options_.idle_end_ms >= 0 && !assigned_) {
      assigned_ = !consumer_->AssignedPartitions().empty();
      last_record_ = now;
    }
    if (options_.idle_end_ms >= 0 && now - last_record_ >= std::chrono::milliseconds(options_.idle_end_ms)) {
      return Poll::kEnd;
    }
    return Poll::kIdle;
  }
  std::chrono::milliseconds retry_after() const override { return std::chrono::milliseconds(10); }

 private:
  void Start() {
    if (options_.group.empty()) throw std::runtime_error("a kafka source needs a consumer group");
    auto c = kafka::Consumer::Open(options_.bootstrap, options_.group, options_.auto_offset_reset, options_.config);
    if (!c.ok()) throw std::runtime_error(c.status().ToString());
    consumer_ = std::move(c).value();
    Status st = consumer_->Subscribe({options_.topic});
    if (!st.ok()) throw std::runtime_error(st.ToString());
    last_record_ = std::chrono::steady_clock::now();
  }
  void EmitWatermark() {
    // Partitions the group has moved to another member no longer hold the
    // watermark back (checked every 200 ms, not per poll).
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_assignment_check_) {
      next_assignment_check_ = now + std::chrono::milliseconds(200);
      const auto mine = consumer_->AssignedPartitions();
      std::erase_if(max_ts_, [&](const auto& e) { return std::find(mine.begin(), mine.end(), e.first) == mine.end(); });
    }
    engine::Timestamp wm = engine::kMaxTimestamp;
    for (const auto& [p, t] : max_ts_) wm = std::min(wm, t - options_.max_out_of_orderness_ms - 1);
    if (!max_ts_.empty() && wm > watermark_) {
      watermark_ = wm;
      out_->OnWatermark(wm);
    }
  }

  operators::Receiver<T>* out_;
  KafkaSourceOptions options_;
  Decode decode_;
  TsFn ts_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::map<int32_t, int64_t> next_offsets_;  // per partition: the offset after the last record handled
  operators::Batch<T> batch_;
  std::map<int32_t, engine::Timestamp> max_ts_;  // per partition this instance has (had) records of
  std::chrono::steady_clock::time_point next_assignment_check_;
  engine::Timestamp watermark_ = engine::kMinTimestamp;
  std::chrono::steady_clock::time_point last_record_;
  bool assigned_ = false;
};

template <typename T, typename Encode>
class KafkaSink final : public operators::SinkOperator<T> {
 public:
  KafkaSink(std::string bootstrap, std::string topic, Encode encode, kafka::Config config)
      : bootstrap_(std::move(bootstrap)), topic_(std::move(topic)), encode_(std::move(encode)),
        config_(std::move(config)) {}
  void OnBatch(operators::Batch<T>& batch) override {
    if (!producer_) {
      auto p = kafka::Producer::Open(bootstrap_, config_);
      if (!p.ok()) throw std::runtime_error(p.status().ToString());
      producer_ = std::move(p).value();
    }
    for (const auto& e : batch) {
      auto [key, value] = encode_(e.value);
      Status st = producer_->Send(topic_, key, value);
      if (!st.ok()) throw std::runtime_error("kafka topic " + topic_ + ": " + st.ToString());
    }
  }
  void OnEnd() override {
    if (!producer_) return;
    Status st = producer_->Flush(std::chrono::milliseconds(30000));
    if (!st.ok()) throw std::runtime_error("kafka topic " + topic_ + ": " + st.ToString());
  }

 private:
  std::string bootstrap_;
  std::string topic_;
  Encode encode_;
  kafka::Config config_;
  std::unique_ptr<kafka::Producer> producer_;
};

template <typename T, typename Decode, typename TsFn = std::nullptr_t>
operators::Stream<T> FromKafka(operators::JobBuilder& job, std::string name, KafkaSourceOptions options, Decode decode,
                               TsFn ts = nullptr) {
  if (options.on_bad_record == OnBadRecord::kDeadLetter) {
    job.Fail(Status(Errc::kInvalidArgument, "'" + name + "': dead letters need a log source; a kafka source fails or skips"));
  }
  return operators::Stream<T>(
      &job, job.template AddNode<T>(std::move(name), "kafka source", {},
                                    [options, decode, ts](int, int, void* out) {
                                      return std::make_unique<KafkaSource<T, Decode, TsFn>>(out, options, decode, ts);
                                    },
                                    /*source=*/true));
}

template <typename T, typename Encode>
void ToKafka(operators::Stream<T> stream, std::string name, std::string bootstrap, std::string topic, Encode encode,
             kafka::Config config = {}) {
  stream.job()->template AddNode<void>(std::move(name), "kafka sink", {stream.Forward()},
                                       [bootstrap, topic, encode, config](int, int, void*) {
                                         return std::make_unique<KafkaSink<T, Encode>>(bootstrap, topic, encode,
                                                                                       config);
                                       });
}

}  // namespace rivulet::connectors

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
// Its lag (rivulet_source_lag_records, per partition) is the partition's
// end as the client last fetched it minus the source's position, reported
// about twice a second from the poll, never per record.
// Event time is the record timestamp (or a field); watermarks by the
// options' strategy (operators/watermarks.h), per partition assigned to the
// instance: the smallest over them of (largest timestamp - bound - 1); a
// partition without records yet holds it back, one without records for
// the idle timeout does not (until it has records again), and an instance
// all of whose partitions are idle is marked idle.
// With idle_end_ms >= 0 the source ends after that long without records,
// counted from its start and again from when the group first assigned it
// partitions. A cluster that does not answer within 10 s fails the source
// with the address it was given.
// With checkpoints the source does not join the group: instance i of p
// reads partitions q with q % p == i (assigned by hand, as the log source
// does), from the checkpoint's offsets when restored, else from the
// group's committed offsets, else from auto_offset_reset. A checkpoint
// holds one entry per partition (split id = the partition: next offset,
// largest timestamp), so it restores at any parallelism; when a checkpoint
// completes its offsets are committed to the group asynchronously (for
// tools and monitoring; the truth is the checkpoint).
//
// ToKafka: a producer per instance; encode(record) -> {optional key,
// value}; keys pick partitions as the Java client does; the end of input
// flushes, a failed delivery fails the job (at-least-once).
// With checkpoints it is exactly once for read_committed readers, an
// EpochSink as the database sinks are (connectors/epoch_buffer.h): an
// epoch's records (between two barriers) are kept, and recorded in the
// checkpoint, until the checkpoint completes; then they are written in
// one transaction of the instance's transactional producer
// (rivulet/JOB/SINK/INSTANCE), which also commits the epoch's checkpoint
// id as the offset of partition 0 of the topic for the group
// rivulet/JOB/SINK/INSTANCE (the sink's progress). A restored instance
// first fences the ids of the old instances it answers for (old % p),
// reads their progress and writes only the recorded epochs after it. A
// transaction that fails is aborted, and fails the job.
// See docs/connectors/kafka.md.
#pragma once

#include <chrono>
#include <iterator>
#include <map>
#include <memory>
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/logging.h"
#include "connectors/epoch_buffer.h"
#include "connectors/kafka/kafka_client.h"
#include "connectors/serde/serde.h"
#include "engine/operator.h"
#include "engine/state.h"
#include "engine/state_codec.h"
#include "operators/operator_base.h"
#include "operators/stream.h"
#include "operators/watermarks.h"

namespace rivulet::connectors {

struct KafkaSourceOptions {
  std::string bootstrap;  // HOST:PORT,...
  std::string topic;
  std::string group;                       // required: the consumer group
  std::string auto_offset_reset = "earliest";  // where a group without offsets starts
  int64_t idle_end_ms = -1;                // >= 0: end after this long without records
  operators::WatermarkStrategy watermarks;  // per partition: bound on out-of-orderness, idle timeout
  using OnBadRecord = connectors::OnBadRecord;  // kFail or kSkip
  OnBadRecord on_bad_record = OnBadRecord::kFail;
  kafka::Config config;  // extra librdkafka settings
};

template <typename T, typename Decode, typename TsFn>
class KafkaSource final : public engine::SourceInstance {
 public:
  using Poll = engine::SourceInstance::Poll;
  KafkaSource(engine::Port out, KafkaSourceOptions options, Decode decode, TsFn ts)
      : out_(out.template As<T>()), options_(std::move(options)), decode_(std::move(decode)),
        ts_(std::move(ts)), watermarks_(options_.watermarks) {}
  ~KafkaSource() override {
    if (consumer_) consumer_->Close();
  }

  void End() override {
    out_->OnEnd();  // chained sinks finish first
    ended_ = true;
    // Without checkpoints: commits the stored offsets, leaves the group.
    // With them the final checkpoint's completion (after End) commits.
    if (consumer_ && !checkpointing_) consumer_->Close();
  }

  void EnableCheckpoints(const engine::CheckpointScope& scope) override {
    checkpointing_ = true;
    index_ = scope.index;
    parallelism_ = scope.parallelism;
  }
  // Keeps the entries of the partitions this instance reads (q % p == i).
  void Restore(const engine::RestoreContext& ctx) override {
    for (const auto& e : *ctx.entries) {
      if (e.group == engine::kNoGroup || static_cast<int>(e.group % static_cast<uint32_t>(parallelism_)) != index_) {
        continue;
      }
      auto v = engine::DecodeState<std::tuple<int64_t, engine::Timestamp>>(e.bytes);
      if (!v.ok()) {
        throw std::runtime_error("kafka source state of " + options_.topic + "/" + std::to_string(e.group) + ": " +
                                 v.status().ToString());
      }
      const auto p = static_cast<int32_t>(e.group);
      next_[p] = std::get<0>(*v);
      watermarks_.Add(p, std::get<1>(*v));
    }
  }
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    if (!checkpointing_) return;
    if (!started_) Start();  // a barrier before the first poll: the start positions (when the topic exists)
    for (const auto& [p, next] : next_) {
      const auto* split = watermarks_.Find(p);
      out.Add(static_cast<uint32_t>(p),
              engine::EncodeState(std::make_tuple(next, split ? split->max_ts() : engine::kMinTimestamp)));
    }
    if (!next_.empty()) pending_commits_[id] = next_;
  }
  // Commits the newest completed checkpoint's offsets to the group: without
  // waiting while the source runs (librdkafka sends it; a failure is
  // logged), waiting after End (the consumer closes soon after).
  void CheckpointComplete(int64_t id) override {
    auto last = pending_commits_.end();
    for (auto it = pending_commits_.begin(); it != pending_commits_.end() && it->first <= id; ++it) last = it;
    if (last == pending_commits_.end()) return;
    Status st = consumer_->Commit(options_.topic, last->second, /*async=*/!ended_);
    if (!st.ok()) GetLogger("connectors")->warn("kafka source {}: {}", options_.topic, st.ToString());
    pending_commits_.erase(pending_commits_.begin(), std::next(last));
  }
  // An instance with no partition to read (more instances than
  // partitions) holds no watermark back, nor one all of whose partitions
  // are idle (the strategy's idle timeout).
  bool idle() const override { return started_ && ((checkpointing_ && next_.empty()) || watermarks_.idle()); }

  Poll PollRecords(size_t max_records) override {
    if (!started_ && !Start()) return Poll::kIdle;  // the topic does not exist yet
    batch_.clear();
    bool caught_up = false;  // the loop ran dry rather than stopping at max_records
    while (batch_.size() < max_records) {
      auto m = consumer_->Poll(std::chrono::milliseconds(0));
      if (!m.ok()) throw std::runtime_error(m.status().ToString());
      if (!m->has_value()) {
        caught_up = true;
        break;
      }
      kafka::Message& msg = **m;
      const int32_t partition = msg.partition;
      const int64_t offset = msg.offset;
      const engine::Timestamp record_ts = msg.timestamp;
      auto decoded = decode_(msg);  // may move from msg
      if (DecodedOk(decoded)) {
        T v = TakeDecoded(decoded);
        engine::Timestamp t = record_ts;
        if constexpr (!std::is_same_v<TsFn, std::nullptr_t>) t = ts_(v);
        watermarks_.Add(partition).Record(t);
        batch_.push_back(operators::Event<T>{t, std::move(v)});
      } else {
        this->CountBadRecord();
        HandleBadRecord(options_.on_bad_record,
                        "record " + options_.topic + "/" + std::to_string(partition) + "@" + std::to_string(offset),
                        DecodeError(decoded));
      }
      next_offsets_[partition] = offset + 1;
    }
    if (!batch_.empty()) out_->OnBatch(batch_);
    EmitWatermark(caught_up);  // also without records: a partition may have gone idle
    if (checkpointing_) {
      for (const auto& [p, next] : next_offsets_) next_[p] = next;  // for the next barrier
      next_offsets_.clear();
    }
    // Emitted (or skipped): their offsets may be committed now, one call
    // per poll.
    if (!next_offsets_.empty()) {
      Status st = consumer_->StoreOffsets(options_.topic, next_offsets_);
      if (!st.ok()) GetLogger("connectors")->warn("{}", st.ToString());  // e.g. a partition just revoked
      next_offsets_.clear();
    }
    if (this->LagDue()) this->ReportLag(Lag());
    const auto now = std::chrono::steady_clock::now();
    if (!batch_.empty()) {
      last_record_ = now;
      return Poll::kMore;
    }
    // Idleness counts from the start, and again from the group's
    // assignment (group.initial.rebalance.delay.ms is not counted as idle
    // time); a process the group never gives anything ends all the same.
    if (options_.idle_end_ms >= 0 && !assigned_) {
      assigned_ = !consumer_->AssignedPartitions().empty();
      if (assigned_) last_record_ = now;
    }
    if (options_.idle_end_ms >= 0 && now - last_record_ >= std::chrono::milliseconds(options_.idle_end_ms)) {
      return Poll::kEnd;
    }
    return Poll::kIdle;
  }
  std::chrono::milliseconds retry_after() const override { return std::chrono::milliseconds(10); }

 private:
  static constexpr std::chrono::milliseconds kMetadataTimeout{10000};

  // Opens the consumer: joins the group, or with checkpoints assigns this
  // instance's partitions. False when the topic does not exist yet (tried
  // again after 500 ms).
  bool Start() {
    if (options_.group.empty()) throw std::runtime_error("a kafka source needs a consumer group");
    const auto now = std::chrono::steady_clock::now();
    if (!consumer_) {
      kafka::Config config = options_.config;
      if (checkpointing_) config["enable.auto.commit"] = "false";  // checkpoint completions commit
      auto c = kafka::Consumer::Open(options_.bootstrap, options_.group, options_.auto_offset_reset, config);
      if (!c.ok()) throw std::runtime_error(c.status().ToString());
      consumer_ = std::move(c).value();
    } else if (now < next_start_) {
      return false;
    }
    if (checkpointing_) {
      if (!AssignMine()) {
        next_start_ = now + std::chrono::milliseconds(500);
        return false;
      }
    } else {
      // The cluster must answer within the metadata timeout: a wrong
      // address fails the job, naming it, instead of polling nothing.
      auto reach = consumer_->PartitionCount(options_.topic, kMetadataTimeout);
      if (!reach.ok() && reach.status().code() == Errc::kTimeout) {
        throw std::runtime_error("cannot reach the Kafka cluster at " + options_.bootstrap + " within " +
                                 std::to_string(kMetadataTimeout.count() / 1000) +
                                 " s (bootstrap.servers; is a broker listening there?): " + reach.status().message());
      }
      Check(consumer_->Subscribe({options_.topic}));
    }
    started_ = true;
    last_record_ = std::chrono::steady_clock::now();
    return true;
  }

  // Assigns partitions q % parallelism == index, each at its restored
  // offset, else the group's committed one, else auto_offset_reset's.
  bool AssignMine() {
    auto count = consumer_->PartitionCount(options_.topic, kMetadataTimeout);
    if (!count.ok() && count.status().code() == Errc::kNotFound) return false;
    Check(count.status());
    std::erase_if(next_, [&](const auto& e) { return e.first >= *count; });  // partitions gone (topic re-created)
    std::vector<int32_t> unknown;
    for (int32_t q = index_; q < *count; q += parallelism_) {
      if (!next_.count(q)) unknown.push_back(q);
    }
    if (!unknown.empty()) {
      auto committed = consumer_->Committed(options_.topic, *count, kMetadataTimeout);
      Check(committed.status());
      for (int32_t q : unknown) {
        auto c = committed->find(q);
        if (c != committed->end() && c->second >= 0) {
          next_[q] = c->second;
          continue;
        }
        auto w = consumer_->Watermarks(options_.topic, q, kMetadataTimeout);
        Check(w.status());
        next_[q] = options_.auto_offset_reset == "latest" ? w->second : w->first;
      }
    }
    Check(consumer_->Assign(options_.topic, next_));
    for (const auto& [q, next] : next_) watermarks_.Add(q);  // each holds the watermark back from now
    assigned_ = true;  // idleness counts from now
    return true;
  }
  // Per partition read now, the records between the position and the
  // partition's end as last fetched (librdkafka's cached high watermark:
  // no request). A partition is left out until both are known: its first
  // record read (or, with checkpoints, its start offset) and its first
  // fetch.
  std::vector<engine::PartitionLag> Lag() {
    std::vector<engine::PartitionLag> out;
    for (const auto& p : consumer_->Progress(options_.topic)) {
      int64_t position = p.position;
      if (auto it = next_.find(p.partition); position < 0 && it != next_.end()) position = it->second;
      if (position < 0 || p.end < 0) continue;
      out.push_back({options_.topic, p.partition, std::max<int64_t>(0, p.end - position)});
    }
    return out;
  }
  void Check(const Status& st) {
    if (st.ok()) return;
    if (st.code() == Errc::kTimeout) {
      throw std::runtime_error("cannot reach the Kafka cluster at " + options_.bootstrap + " (topic " +
                               options_.topic + "): " + st.ToString());
    }
    throw std::runtime_error("kafka topic " + options_.topic + ": " + st.ToString());
  }
  // `caught_up`: the poll ran dry. A full one (records waiting) keeps every
  // partition from aging toward idleness.
  void EmitWatermark(bool caught_up) {
    // The partitions assigned to this instance are its splits (checked
    // every 200 ms, not per poll): those the group has moved to another
    // member no longer hold the watermark back; those it gave this one
    // do, from now (until they have records, or are idle).
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_assignment_check_) {
      next_assignment_check_ = now + std::chrono::milliseconds(200);
      const auto mine = consumer_->AssignedPartitions();
      std::vector<operators::SplitWatermarks::SplitId> gone;
      watermarks_.ForEach([&](operators::SplitWatermarks::SplitId p, const auto&) {
        if (std::find(mine.begin(), mine.end(), p) == mine.end()) gone.push_back(p);
      });
      for (const auto p : gone) watermarks_.Remove(p);
      for (const int32_t p : mine) watermarks_.Add(p);
    }
    if (auto wm = watermarks_.Advance(caught_up)) out_->OnWatermark(*wm);
  }

  operators::Receiver<T>* out_;
  KafkaSourceOptions options_;
  Decode decode_;
  TsFn ts_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::map<int32_t, int64_t> next_offsets_;  // per partition: the offset after the last record handled
  operators::Batch<T> batch_;
  operators::SplitWatermarks watermarks_;  // a split per partition assigned
  std::chrono::steady_clock::time_point next_assignment_check_;
  std::chrono::steady_clock::time_point last_record_;
  bool assigned_ = false;
  bool started_ = false;
  bool ended_ = false;
  std::chrono::steady_clock::time_point next_start_;  // when to look for a missing topic again
  // With checkpoints:
  bool checkpointing_ = false;
  int index_ = 0;
  int parallelism_ = 1;
  std::map<int32_t, int64_t> next_;  // per partition read: the offset of the next record to emit
  std::map<int64_t, std::map<int32_t, int64_t>> pending_commits_;  // checkpoint -> its offsets
};

// A record of the Kafka sink: key (or none), value. Checkpoints hold the
// sink's epochs as lists of these.
using KafkaRecord = std::pair<std::optional<std::string>, std::string>;

// With checkpoints an EpochSink (connectors/epoch_buffer.h) whose store is
// the cluster: a transaction of the transactional producer of the
// instance whose epochs are written (rivulet/JOB/SINK/INSTANCE), with the
// progress committed as an offset of the group of that name.
template <typename T, typename Encode>
class KafkaSink final : public EpochSink<T, KafkaRecord> {
 public:
  KafkaSink(std::string bootstrap, std::string topic, Encode encode, kafka::Config config)
      : EpochSink<T, KafkaRecord>("kafka sink of topic " + topic), bootstrap_(std::move(bootstrap)),
        topic_(std::move(topic)), encode_(std::move(encode)), config_(std::move(config)) {}

  void OnBatch(operators::Batch<T>& batch) override {
    if (this->epochs_.enabled()) {  // kept until the epoch's checkpoint completes
      for (const auto& e : batch) {
        auto kv = encode_(e.value);
        this->epochs_.Add(KafkaRecord(std::optional<std::string>(std::move(kv.first)), std::string(std::move(kv.second))));
      }
      return;
    }
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
    if (this->epochs_.enabled()) {
      OpenOnce();  // restored epochs are written even when no record came
      return;
    }
    if (!producer_) return;
    Status st = producer_->Flush(std::chrono::milliseconds(30000));
    if (!st.ok()) throw std::runtime_error("kafka topic " + topic_ + ": " + st.ToString());
  }

 private:
  static constexpr std::chrono::milliseconds kTxnTimeout{30000};

  // The transactional id, and the progress group, of `sink` (JOB/SINK/INSTANCE).
  static std::string IdOf(const std::string& sink) { return "rivulet/" + sink; }

  // Once, before anything is written: fences this instance's id, then
  // recovers (which fences the id of each old instance it writes for).
  void OpenOnce() override {
    if (own_ || !this->epochs_.enabled()) return;
    own_ = OpenTransactional(this->epochs_.SinkName(this->epochs_.index()));
    this->epochs_.Recover(*this);
  }

  std::unique_ptr<kafka::Producer> OpenTransactional(const std::string& sink) {
    kafka::Config c = config_;
    c["transactional.id"] = IdOf(sink);
    c["enable.idempotence"] = "true";
    auto p = kafka::Producer::Open(bootstrap_, c);
    Check(p.status(), "transactional producer " + IdOf(sink));
    Check((*p)->InitTransactions(kTxnTimeout), "registering transactional id " + IdOf(sink));  // fences
    Check((*p)->LoadMetadata(topic_, kTxnTimeout), "looking up the topic");
    return std::move(p).value();
  }

  // EpochDatabase. Begin picks the producer of `sink`: this instance's, or
  // an old instance's opened now, which fences that instance's zombies and
  // aborts what it left open; the Kafka transaction itself begins with the
  // first write, so that a recovery with nothing to write sends none.
  void Begin(const std::string& sink) override {
    if (sink == this->epochs_.SinkName(this->epochs_.index())) {
      txn_ = own_.get();
    } else {
      other_ = OpenTransactional(sink);
      txn_ = other_.get();
    }
  }
  // The last checkpoint id `sink` committed (0: none): the offset of
  // partition 0 of the topic in its group, read after Begin fenced its
  // id, so no transaction of it is open.
  int64_t Progress(const std::string& sink) override {
    auto c = kafka::Consumer::Open(bootstrap_, IdOf(sink), "earliest",
                                   {{"isolation.level", "read_committed"}, {"enable.auto.commit", "false"}});
    Check(c.status(), "reading the progress of " + IdOf(sink));
    auto committed = (*c)->Committed(topic_, 1, kTxnTimeout);
    (*c)->Close();
    Check(committed.status(), "reading the progress of " + IdOf(sink));
    auto it = committed->find(0);
    return it == committed->end() || it->second < 0 ? 0 : it->second;
  }
  void Write(const std::vector<KafkaRecord>& records) override {
    Started();
    for (const auto& [key, value] : records) Check(txn_->Send(topic_, key, value), "writing");
  }
  void SetProgress(const std::string& sink, int64_t checkpoint) override {
    Started();
    Check(txn_->SendOffsetsToTransaction(IdOf(sink), topic_, 0, checkpoint, "rivulet sink progress", kTxnTimeout),
          "recording the progress of " + IdOf(sink));
  }
  void Commit() override {
    if (in_txn_) Check(txn_->CommitTransaction(kTxnTimeout), "committing a transaction");
    Finished();
  }
  // A failed transaction is aborted (the job restarts from its checkpoint,
  // which still holds its epochs): read_committed readers never see it,
  // and they are not held up by it until the transaction times out.
  void Rollback() noexcept override {
    if (in_txn_) (void)txn_->AbortTransaction(kTxnTimeout);  // best effort: a restart fences the id anyway
    Finished();
  }
  void Started() {
    if (in_txn_) return;
    Check(txn_->BeginTransaction(), "beginning a transaction");
    in_txn_ = true;
  }
  void Finished() noexcept {
    in_txn_ = false;
    txn_ = nullptr;
    other_.reset();
  }

  void Check(const Status& st, const std::string& what) {
    if (!st.ok()) throw std::runtime_error("kafka topic " + topic_ + ": " + what + ": " + st.ToString());
  }

  std::string bootstrap_;
  std::string topic_;
  Encode encode_;
  kafka::Config config_;
  std::unique_ptr<kafka::Producer> producer_;  // without checkpoints
  // With checkpoints:
  std::unique_ptr<kafka::Producer> own_;    // transactional, rivulet/JOB/SINK/INDEX; set once OpenOnce ran
  std::unique_ptr<kafka::Producer> other_;  // an old instance's, while its epochs are recovered
  kafka::Producer* txn_ = nullptr;          // the producer of the transaction Begin opened
  bool in_txn_ = false;                     // BeginTransaction was called on txn_
};

template <typename T, typename Decode, typename TsFn = std::nullptr_t>
operators::Stream<T> FromKafka(operators::JobBuilder& job, std::string name, KafkaSourceOptions options, Decode decode,
                               TsFn ts = nullptr) {
  if (options.on_bad_record == OnBadRecord::kDeadLetter) {
    job.Fail(Status(Errc::kInvalidArgument, "'" + name + "': dead letters need a log source; a kafka source fails or skips"));
  }
  return operators::Stream<T>(
      &job, job.template AddNode<T>(std::move(name), "kafka source", {},
                                    [options, decode, ts](int, int, engine::Port out) {
                                      return std::make_unique<KafkaSource<T, Decode, TsFn>>(out, options, decode, ts);
                                    },
                                    /*source=*/true));
}

template <typename T, typename Encode>
void ToKafka(operators::Stream<T> stream, std::string name, std::string bootstrap, std::string topic, Encode encode,
             kafka::Config config = {}) {
  stream.job()->template AddNode<void>(std::move(name), "kafka sink", {stream.Forward()},
                                       [bootstrap, topic, encode, config](int, int, engine::Port) {
                                         return std::make_unique<KafkaSink<T, Encode>>(bootstrap, topic, encode,
                                                                                       config);
                                       });
}

}  // namespace rivulet::connectors

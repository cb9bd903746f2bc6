// The embedded log as a source and a sink of dataflow jobs.
//
// LogSource reads a topic's partitions, split between the source's
// instances (partition p goes to instance p % parallelism), from the
// earliest or latest offset, the group's committed offsets, or a
// timestamp; bounded (up to the log end seen when the job starts) or
// following the log. Event time is the record's timestamp (or a field,
// through the job's extractor). Watermarks by the options' strategy
// (operators/watermarks.h), per partition: the instance's is the smallest
// over partitions still being read (bounded: not yet at their end) and not
// idle; a partition the source has caught up on and without records for
// the idle timeout (an empty one, say) holds nothing back until it has
// records again, and an instance all of whose partitions are idle is
// marked idle. While polls come back full no partition ages toward
// idleness: records may be waiting on any of them. A record the decoder rejects is
// counted and fails the job, is skipped with a log line, or is copied to a
// dead-letter topic, as configured.
// Its lag (rivulet_source_lag_records, per partition) is reported about
// twice a second from the poll, never per record: the records between the
// instance's position and the partition's end (bounded: the end it stops
// at; following: the log's end then).
// With a group, the instance commits the positions it has emitted every
// commit interval and at the end (at-least-once). In a job that takes
// checkpoints the positions are part of each checkpoint (one entry per
// partition: next offset, end, largest timestamp), a restored instance
// goes on from them, and the group's offsets are committed when a
// checkpoint completes (for tools and monitoring: the truth is the
// checkpoint).
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "base/logging.h"
#include "connectors/serde/serde.h"
#include "engine/operator.h"
#include "engine/state_codec.h"
#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "operators/operator_base.h"
#include "operators/watermarks.h"

namespace rivulet::connectors {

struct LogSourceOptions {
  std::string topic;
  std::string group;  // commit positions to this group (empty: no commits)
  enum class Start { kEarliest, kLatest, kCommitted, kTimestamp };
  Start start = Start::kEarliest;
  int64_t start_timestamp_ms = 0;  // for kTimestamp
  bool bounded = true;             // stop at the log end seen at the start
  // Bound on out-of-orderness and idle timeout, per partition.
  operators::WatermarkStrategy watermarks;
  int64_t commit_interval_ms = 1000;
  // Read only committed transactions (as Kafka's isolation.level): what an
  // exactly-once writer (a job's log sink with checkpoints) has committed.
  bool read_committed = false;
  using OnBadRecord = connectors::OnBadRecord;
  OnBadRecord on_bad_record = OnBadRecord::kFail;
  // kDeadLetter: bad records are copied, as they are, to this topic (with
  // headers rivulet.error, rivulet.source naming topic/partition@offset).
  std::string dead_letter_topic;
};

// Decode: Result<T> or std::optional<T> (const log::ConsumerRecord&),
// e.g. Decoder(serde); an error or nullopt is a bad record. A decoder with
// Into (Decoder of a serde with DecodeInto) decodes into the batch in place.
// TsFn: Timestamp(const T&), or std::nullptr_t for the record's own
// timestamp.
template <typename T, typename Decode, typename TsFn = std::nullptr_t>
class LogSource final : public engine::SourceInstance {
 public:
  using Poll = engine::SourceInstance::Poll;

  LogSource(engine::Port out, log::LogManager* log, LogSourceOptions options, Decode decode, TsFn ts, int index,
            int parallelism)
      : out_(out.template As<T>()), log_(log), options_(std::move(options)),
        decode_(std::move(decode)), ts_(std::move(ts)), index_(index), parallelism_(parallelism),
        watermarks_(options_.watermarks) {}

  void End() override {
    out_->OnEnd();  // chained sinks finish first: a failure there commits nothing
    if (!checkpointing_) Commit();
  }

  void EnableCheckpoints(const engine::CheckpointScope&) override { checkpointing_ = true; }
  void Restore(const engine::RestoreContext& ctx) override {
    for (const auto& e : *ctx.entries) {
      if (e.group == engine::kNoGroup || static_cast<int>(e.group) % parallelism_ != index_) continue;
      auto v = engine::DecodeState<std::tuple<int64_t, int64_t, Timestamp>>(e.bytes);
      if (!v.ok()) throw std::runtime_error("log source state of partition " + std::to_string(e.group) + ": " +
                                            v.status().ToString());
      restored_[static_cast<int32_t>(e.group)] = *v;
    }
  }
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    if (!consumer_) Start();  // a barrier before the first poll: the start positions
    if (dead_letters_) Check(dead_letters_->Flush());  // before positions past them are recorded
    std::map<log::TopicPartition, int64_t> offsets;
    for (const auto& [p, st] : partitions_) {
      out.Add(static_cast<uint32_t>(p), engine::EncodeState(std::make_tuple(st.next, st.end, st.split->max_ts())));
      offsets[{options_.topic, p}] = st.next;
    }
    if (!options_.group.empty()) pending_commits_[id] = std::move(offsets);
  }
  void CheckpointComplete(int64_t id) override {
    auto last = pending_commits_.end();
    for (auto it = pending_commits_.begin(); it != pending_commits_.end() && it->first <= id; ++it) last = it;
    if (last == pending_commits_.end()) return;
    if (!last->second.empty()) Check(consumer_->CommitSync(last->second));
    pending_commits_.erase(pending_commits_.begin(), std::next(last));
  }

  Poll PollRecords(size_t max_records) override {
    if (!consumer_) Start();
    if (partitions_.empty()) return Poll::kEnd;
    batch_.clear();
    batch_.reserve(kMaxPollRecords);  // the batch may have been handed on (moved) last time
    PartitionState* current = nullptr;  // records come grouped by partition
    int32_t current_partition = -1;
    // Records are decoded straight from the log's mapped segments.
    // Flattened: an out-of-line push_back reloaded the just-decoded value
    // from the stack with wider loads than it was stored with (a
    // store-forwarding stall per record).
    auto polled = consumer_->PollEach(std::chrono::milliseconds(0), [&](const log::ConsumerRecord& r)
                                                                        __attribute__((always_inline, flatten)) {
      if (r.partition != current_partition) {
        current_partition = r.partition;
        current = &partitions_[r.partition];
      }
      PartitionState& p = *current;
      p.next = r.offset + 1;
      operators::Event<T>* e;
      if constexpr (kDecodesInPlace) {  // straight into the batch
        e = &batch_.emplace_back();
        if (!decode_.Into(r, &e->value, &why_)) [[unlikely]] {
          batch_.pop_back();
          OnBadRecord(r, "could not be decoded: " + why_);
          return;
        }
      } else {
        auto decoded = decode_(r);
        if (!DecodedOk(decoded)) [[unlikely]] {
          OnBadRecord(r, DecodeError(decoded));
          return;
        }
        e = &batch_.emplace_back(operators::Event<T>{0, TakeDecoded(decoded)});
      }
      Timestamp t = r.timestamp;
      if constexpr (!std::is_same_v<TsFn, std::nullptr_t>) t = ts_(e->value);
      e->ts = t;
      p.split->Record(t);
    });
    if (!polled.ok()) throw std::runtime_error("reading topic " + options_.topic + ": " + polled.status().ToString());
    (void)max_records;  // a poll returns at most max_poll_records
    // Transaction markers (and, read_committed, aborted records) take
    // offsets no record shows: the consumer's position is past them. Only
    // a short poll (caught up) needs it — a bounded source ends on it;
    // elsewhere a position behind them only re-reads what is skipped.
    // A full poll (bad records count: they took a place in it) leaves
    // records waiting: no partition ages toward idleness then.
    const bool caught_up = *polled < static_cast<size_t>(kMaxPollRecords);
    if (caught_up) {
      for (auto& [p, st] : partitions_) {
        if (st.next >= st.end && options_.bounded) continue;
        auto pos = consumer_->Position({options_.topic, p});
        if (pos.ok()) st.next = std::max(st.next, *pos);
      }
    }
    if (!batch_.empty()) out_->OnBatch(batch_);
    EmitWatermark(caught_up);
    MaybeCommit();
    const bool ended = options_.bounded && AllDone();
    if (this->LagDue(/*force=*/ended)) PublishLag();
    if (ended) return Poll::kEnd;
    return batch_.empty() ? Poll::kIdle : Poll::kMore;
  }

  std::chrono::milliseconds retry_after() const override { return std::chrono::milliseconds(10); }
  // Every partition idle (the strategy's idle timeout): see watermarks.h.
  bool idle() const override { return consumer_ && watermarks_.idle(); }

 private:
  using Timestamp = engine::Timestamp;
  static constexpr int32_t kMaxPollRecords = 4096;
  static constexpr bool kDecodesInPlace =
      std::is_default_constructible_v<T> &&
      requires(const Decode& d, const log::ConsumerRecord& r, T* out, std::string* why) { d.Into(r, out, why); };
  struct PartitionState {
    int64_t next = 0;
    int64_t end = 0;  // bounded: stop here
    operators::SplitWatermarks::Split* split = nullptr;  // in watermarks_
  };

  void Start() {
    log::ConsumerConfig cc;
    cc.group_id = options_.group.empty() ? "rivulet-log-source" : options_.group;
    cc.enable_auto_commit = false;
    cc.auto_offset_reset = log::OffsetReset::kEarliest;
    cc.max_poll_records = kMaxPollRecords;
    if (options_.read_committed) cc.isolation_level = log::IsolationLevel::kReadCommitted;
    consumer_ = std::make_unique<log::Consumer>(log_, cc);
    auto count = log_->PartitionCount(options_.topic);
    if (!count.ok()) throw std::runtime_error("topic " + options_.topic + ": " + count.status().ToString());
    std::vector<log::TopicPartition> mine;
    for (int32_t p = 0; p < *count; ++p) {
      if (p % parallelism_ == index_) mine.push_back({options_.topic, p});
    }
    Check(consumer_->Assign(mine));
    if (mine.empty()) return;
    auto ends = consumer_->EndOffsets(mine);
    auto begins = consumer_->BeginningOffsets(mine);
    if (!ends.ok() || !begins.ok()) throw std::runtime_error("offsets of " + options_.topic);
    std::map<log::TopicPartition, std::optional<int64_t>> by_time;
    if (options_.start == LogSourceOptions::Start::kTimestamp) {
      std::map<log::TopicPartition, int64_t> query;
      for (const auto& tp : mine) query[tp] = options_.start_timestamp_ms;
      auto r = consumer_->OffsetsForTimes(query);
      if (!r.ok()) throw std::runtime_error("offsets for times: " + r.status().ToString());
      by_time = *r;
    }
    for (const auto& tp : mine) {
      int64_t from = begins->at(tp);
      switch (options_.start) {
        case LogSourceOptions::Start::kEarliest: break;
        case LogSourceOptions::Start::kLatest: from = ends->at(tp); break;
        case LogSourceOptions::Start::kTimestamp: from = by_time[tp].value_or(ends->at(tp)); break;
        case LogSourceOptions::Start::kCommitted: {
          auto c = consumer_->Committed(tp);
          if (c.ok() && c->has_value()) from = **c;
          break;
        }
      }
      PartitionState st;
      st.next = from;
      st.end = ends->at(tp);
      Timestamp max_ts = engine::kMinTimestamp;
      if (auto r = restored_.find(tp.partition); r != restored_.end()) {
        // From the checkpoint: its position, and (bounded) the end it had.
        std::tie(st.next, st.end, max_ts) = r->second;
        if (!options_.bounded) st.end = ends->at(tp);
      }
      st.split = &watermarks_.Add(tp.partition, max_ts);
      Check(consumer_->Seek(tp, st.next));
      partitions_[tp.partition] = st;
    }
    last_commit_ = std::chrono::steady_clock::now();
  }

  // Per partition of this instance, the records between its position and
  // the end: bounded, the end it stops at; following, the log's end now
  // (the last stable offset when read_committed). Called about twice a
  // second, not per poll: EndOffsets looks every partition up.
  [[gnu::noinline, gnu::cold]] void PublishLag() {
    std::map<log::TopicPartition, int64_t> ends;
    if (!options_.bounded) {
      std::vector<log::TopicPartition> mine;
      for (const auto& [p, st] : partitions_) mine.push_back({options_.topic, p});
      auto e = consumer_->EndOffsets(mine);
      if (!e.ok()) return;  // the last report stands
      ends = std::move(*e);
    }
    std::vector<engine::PartitionLag> lags;
    lags.reserve(partitions_.size());
    for (const auto& [p, st] : partitions_) {
      const int64_t end = options_.bounded ? st.end : ends[{options_.topic, p}];
      lags.push_back({options_.topic, p, std::max<int64_t>(0, end - st.next)});
    }
    this->ReportLag(std::move(lags));
  }

  bool AllDone() const {
    for (const auto& [p, st] : partitions_) {
      if (st.next < st.end) return false;
    }
    return true;
  }

  // The watermark over partitions still being read (bounded: those at
  // their end hold nothing back, marked once), when it moved.
  void EmitWatermark(bool caught_up) {
    if (options_.bounded) {
      for (const auto& [p, st] : partitions_) {
        if (st.next >= st.end && !st.split->finished()) watermarks_.Finish(p);
      }
    }
    if (auto wm = watermarks_.Advance(caught_up)) out_->OnWatermark(*wm);
  }

  void MaybeCommit() {
    if (options_.group.empty() || checkpointing_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_commit_ < std::chrono::milliseconds(options_.commit_interval_ms)) return;
    Commit();
    last_commit_ = now;
  }
  void OnBadRecord(const log::ConsumerRecord& r, const std::string& why) {
    this->CountBadRecord();
    const std::string where =
        "record " + options_.topic + "/" + std::to_string(r.partition) + "@" + std::to_string(r.offset);
    if (HandleBadRecord(options_.on_bad_record, where, why)) DeadLetter(r, why);
  }
  void DeadLetter(const log::ConsumerRecord& r, const std::string& why) {
    if (!dead_letters_) {
      if (!log_->PartitionCount(options_.dead_letter_topic).ok()) {  // created on first use
        Status st = log_->CreateTopic(options_.dead_letter_topic, 1);
        if (!st.ok() && st.code() != Errc::kAlreadyExists) Check(st);
      }
      dead_letters_ = std::make_unique<log::Producer>(log_);
    }
    const std::string source = options_.topic + "/" + std::to_string(r.partition) + "@" + std::to_string(r.offset);
    const log::Header headers[] = {{"rivulet.error", why},
                                   {"rivulet.source", source}};
    Check(dead_letters_->Send(options_.dead_letter_topic, r.key, r.value, nullptr, -1, r.timestamp, headers));
  }

  void Commit() {
    if (dead_letters_) Check(dead_letters_->Flush());  // before the offsets that skip them are committed
    if (options_.group.empty() || !consumer_) return;
    std::map<log::TopicPartition, int64_t> offsets;
    for (const auto& [p, st] : partitions_) offsets[{options_.topic, p}] = st.next;
    if (!offsets.empty()) Check(consumer_->CommitSync(offsets));
  }
  void Check(const Status& st) {
    if (!st.ok()) throw std::runtime_error(options_.topic + ": " + st.ToString());
  }

  operators::Receiver<T>* out_;
  log::LogManager* log_;
  LogSourceOptions options_;
  Decode decode_;
  TsFn ts_;
  const int index_;
  const int parallelism_;
  std::unique_ptr<log::Consumer> consumer_;
  std::map<int32_t, PartitionState> partitions_;
  operators::Batch<T> batch_;
  operators::SplitWatermarks watermarks_;  // a split per partition
  std::chrono::steady_clock::time_point last_commit_;
  std::unique_ptr<log::Producer> dead_letters_;
  std::string why_;  // a decoder's reason, reused
  bool checkpointing_ = false;
  std::map<int32_t, std::tuple<int64_t, int64_t, Timestamp>> restored_;  // partition -> (next, end, max ts)
  std::map<int64_t, std::map<log::TopicPartition, int64_t>> pending_commits_;  // checkpoint -> offsets
};

}  // namespace rivulet::connectors

// LogSink writes a job's records to a topic of the embedded log: encode(record)
// gives the key (or nullopt) and the value; the record's timestamp is kept.
//
// Without checkpoints: one idempotent producer per instance; the end of
// input flushes; at-least-once across restarts.
//
// With checkpoints: exactly once for read_committed readers, by two-phase
// commit over the log's transactions (TwoPhaseCommitSinkFunction in Flink,
// KIP-939 in Kafka). The records between two barriers go into one
// transaction of a two-phase transactional id; at barrier N it is
// prepared (flushed, durable, undecided) and recorded in checkpoint N;
// when checkpoint N completes it is committed. A restarted job commits the
// transactions its checkpoint recorded (if still open) and aborts every
// other open one of the sink, so what a crash left undecided is decided as
// the checkpoint says. Transactional ids are
// rivulet/JOB/SINK/INSTANCE/SLOT; a slot is reused once its transaction
// committed, so an instance uses one or two unless checkpoints keep
// failing.
#pragma once

#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "connectors/sink_scope.h"
#include "engine/state_codec.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "operators/operator_base.h"

namespace rivulet::connectors {

namespace log_sink_internal {
// The transactional ids starting with `prefix` whose transaction is open
// (Ongoing, PrepareCommit or PrepareAbort), in the coordinator's order.
// In log_sink.cc, so that this header needs only the log's public API.
std::vector<std::string> OpenTransactionalIds(log::LogManager& log, const std::string& prefix);
}  // namespace log_sink_internal

template <typename T, typename Encode>
class LogSink final : public operators::SinkOperator<T> {
 public:
  LogSink(log::LogManager* log, std::string topic, Encode encode, log::ProducerConfig config = {})
      : log_(log), config_(std::move(config)), topic_(std::move(topic)), encode_(std::move(encode)) {}

  void EnableCheckpoints(const engine::CheckpointScope& scope) override {
    scope_.Enable(scope);
    prefix_ = "rivulet/" + scope_.prefix();
  }
  // Keeps the transactions recorded by the old instances this one answers for.
  void Restore(const engine::RestoreContext& ctx) override { recorded_ = SinkScope::Restore<Recorded>(ctx, "log sink"); }

  void OnBatch(operators::Batch<T>& batch) override {
    log::Producer& p = Current();
    for (const auto& e : batch) {
      std::pair<std::optional<std::string>, std::string> kv = encode_(e.value);
      std::optional<std::string_view> key;
      if (kv.first) key = *kv.first;
      Check(p.Send(topic_, key, std::string_view(kv.second), nullptr, -1, e.ts), "writing to topic ");
    }
    if (!prefix_.empty()) current_->written = true;
  }
  void OnEnd() override {
    if (prefix_.empty() && current_) Check(current_->producer->Flush(), "flushing topic ");
  }

  // Pre-commit: the open transaction is prepared and recorded with every
  // other one waiting for its checkpoint.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    if (prefix_.empty()) return;
    Recover();
    if (current_ && current_->written) {
      auto prepared = current_->producer->PrepareTransaction();
      Check(prepared.status(), "preparing a transaction of topic ");
      current_->prepared = *prepared;
      pending_.emplace(id, std::move(*current_));
      current_.reset();
    }
    for (const auto& [checkpoint, slot] : pending_) {
      const log::PreparedTxn& t = *slot.prepared;
      out.Add(engine::kNoGroup,
              engine::EncodeState(Recorded{scope_.index(), slot.id, t.producer_id, t.epoch, t.txn_seq}));
    }
  }
  void CheckpointComplete(int64_t id) override {
    if (prefix_.empty()) return;
    for (auto it = pending_.begin(); it != pending_.end() && it->first <= id;) {
      Check(it->second.producer->CommitTransaction(), "committing a transaction of topic ");
      it->second.prepared.reset();
      it->second.written = false;
      free_.push_back(std::move(it->second));
      it = pending_.erase(it);
    }
  }

 private:
  // (old instance, transactional id, producer id, epoch, transaction number)
  using Recorded = std::tuple<int, std::string, int64_t, int16_t, int64_t>;

  struct Slot {
    std::string id;
    std::unique_ptr<log::Producer> producer;
    bool written = false;
    std::optional<log::PreparedTxn> prepared;
  };

  // The producer of the current transaction (opened when missing).
  log::Producer& Current() {
    if (prefix_.empty()) {
      if (!current_) {
        current_.emplace();
        current_->producer = std::make_unique<log::Producer>(log_, config_);
      }
      return *current_->producer;
    }
    Recover();
    if (!current_) {
      if (!free_.empty()) {
        current_ = std::move(free_.back());
        free_.pop_back();
      } else {
        current_ = Open(prefix_ + std::to_string(scope_.index()) + "/" + std::to_string(next_slot_++), false);
      }
      Check(current_->producer->BeginTransaction(), "beginning a transaction of topic ");
    }
    return *current_->producer;
  }

  Slot Open(const std::string& id, bool keep_prepared) {
    Slot s;
    s.id = id;
    log::ProducerConfig c = config_;
    c.transactional_id = id;
    c.two_phase_commit = true;
    s.producer = std::make_unique<log::Producer>(log_, c);
    Check(s.producer->InitTransactions(keep_prepared), "registering transactional id " + id + " for topic ");
    return s;
  }

  // Once, before the first transaction: commits what the restored
  // checkpoint recorded, then aborts every other open transaction of this
  // sink that this instance now answers for (its own ids, and those of old
  // instances no longer running).
  void Recover() {
    if (recovered_) return;
    recovered_ = true;
    std::map<std::string, log::PreparedTxn> commit;
    for (const auto& [old, id, pid, epoch, seq] : recorded_) commit[id] = log::PreparedTxn{pid, epoch, seq};
    for (const auto& [id, txn] : commit) {
      Slot s = Open(id, /*keep_prepared=*/true);
      Check(s.producer->CompletePreparedTransaction(txn), "completing transaction " + id + " of topic ");
    }
    for (const std::string& id : log_sink_internal::OpenTransactionalIds(*log_, prefix_)) {
      if (commit.count(id)) continue;
      int old = -1;
      const char* first = id.data() + prefix_.size();
      auto [end, ec] = std::from_chars(first, id.data() + id.size(), old);
      if (ec != std::errc() || end == first || *end != '/' || !scope_.AnswersFor(old)) continue;
      Open(id, /*keep_prepared=*/false);  // fencing aborts the open transaction
    }
    recorded_.clear();
  }

  void Check(const Status& st, const std::string& what) {
    if (!st.ok()) throw std::runtime_error(what + topic_ + ": " + st.ToString());
  }

  log::LogManager* log_;
  log::ProducerConfig config_;
  std::string topic_;
  Encode encode_;
  SinkScope scope_;
  std::string prefix_;  // rivulet/JOB/SINK/ once checkpoints are on (empty: at-least-once)
  bool recovered_ = false;
  std::vector<Recorded> recorded_;     // from the restored checkpoint, for this instance
  std::optional<Slot> current_;        // the open transaction (or the plain producer)
  std::map<int64_t, Slot> pending_;    // checkpoint -> its prepared transaction
  std::vector<Slot> free_;             // committed, ready for another transaction
  int next_slot_ = 0;
};

}  // namespace rivulet::connectors

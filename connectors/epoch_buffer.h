// Exactly-once writes of a job sink with checkpoints, whatever it writes
// to (SqliteJobSink, PostgresJobSink, KafkaSink): the records of each
// checkpoint epoch are held, and recorded in the checkpoint, until the
// checkpoint completes; then they are written in one transaction together
// with the checkpoint's id as the progress of the sink instance
// (JOB/SINK/INSTANCE: a row of rivulet_sink_progress in a database, a
// committed offset of a consumer group in Kafka). A restored instance
// writes the epochs its checkpoint recorded above that progress.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "connectors/sink_scope.h"
#include "engine/operator.h"
#include "engine/state.h"
#include "engine/state_codec.h"
#include "operators/operator_base.h"

namespace rivulet::connectors {

// `s` as an SQL string literal ('...' with quotes doubled: standard SQL,
// as SQLite and PostgreSQL with standard_conforming_strings read it).
inline std::string SqlStringLiteral(const std::string& s) {
  std::string quoted = "'";
  for (char c : s) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

// The sink's store as EpochBuffer drives it: Begin, then Progress /
// Write / SetProgress, then Commit, all in one transaction. Every method
// but Rollback throws on failure (which fails the job); the buffer then
// calls Rollback (not after a Begin that threw). Record is what one epoch
// holds a list of: a database row's values (SqlRow), a Kafka record.
// (No member types: the sinks derive from it, and a base's names would hide
// their template parameters.)
template <typename Record>
class EpochDatabase {
 public:
  virtual ~EpochDatabase() = default;
  // Opens the transaction that writes epochs of `sink` (JOB/SINK/INSTANCE:
  // this instance's, or an old instance's being recovered); a store whose
  // transactions belong to a writer per instance (Kafka's transactional
  // ids) picks that instance's here.
  virtual void Begin(const std::string& sink) = 0;
  // The last checkpoint recorded for `sink` (0 if none), read inside the
  // transaction.
  virtual int64_t Progress(const std::string& sink) = 0;
  // Writes (or queues for the commit) records in order: a later row of a
  // key wins over an earlier one.
  virtual void Write(const std::vector<Record>& records) = 0;
  // Records `checkpoint` as the progress of `sink` (an upsert).
  virtual void SetProgress(const std::string& sink, int64_t checkpoint) = 0;
  virtual void Commit() = 0;
  // Ends a transaction a failure left open, if any. Never throws.
  virtual void Rollback() noexcept = 0;
};

// A database row: the values of the sink's statement, as text.
using SqlRow = std::vector<std::string>;

// The epoch bookkeeping of one sink instance. Not thread-safe: used from
// the instance's task thread, as its operator hooks are. A checkpoint
// holds one entry per epoch not yet written: (instance, checkpoint id,
// records), encoded with engine/state_codec.h.
template <typename Record>
class EpochBuffer {
 public:
  using Records = std::vector<Record>;

  // `what` names the sink in errors ("postgresql sink").
  explicit EpochBuffer(std::string what) : what_(std::move(what)) {}

  // From EnableCheckpoints: from now on records are held for their checkpoint.
  void Enable(const engine::CheckpointScope& scope) { scope_.Enable(scope); }
  // Whether checkpoints are on (else the sink writes each batch itself).
  bool enabled() const { return scope_.enabled(); }
  // The progress row's name of `instance`: JOB/SINK/INSTANCE.
  std::string SinkName(int instance) const { return scope_.Name(instance); }
  // This instance's index.
  int index() const { return scope_.index(); }

  // A record of the current epoch (since the last barrier).
  void Add(Record record) { open_.push_back(std::move(record)); }

  // Keeps the epochs of the old instances this instance takes over
  // (old instance % parallelism == index), to be written by Recover.
  void Restore(const engine::RestoreContext& ctx) { restored_ = SinkScope::Restore<Epoch>(ctx, what_); }

  // Pre-commit at barrier `id`: the open records become epoch `id`; every
  // epoch not yet written goes into the checkpoint as (instance, id, records).
  // Requires Recover to have run: restored epochs are not recorded again.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) {
    CheckUsable();
    if (!open_.empty()) {
      auto& p = pending_[id];
      p.insert(p.end(), std::make_move_iterator(open_.begin()), std::make_move_iterator(open_.end()));
      open_.clear();
    }
    for (const auto& [checkpoint, records] : pending_) {
      out.Add(engine::kNoGroup, engine::EncodeState(Epoch{scope_.index(), checkpoint, records}));
    }
  }

  // Checkpoint `id` completed: writes the epochs up to it in one
  // transaction with the last one's id as this instance's progress.
  // The epochs leave the buffer only once the transaction committed: a
  // failed one keeps them for the next checkpoint (and the checkpoint
  // restored after the failure has them).
  void Commit(int64_t id, EpochDatabase<Record>& db) {
    CheckUsable();
    if (pending_.empty() || pending_.begin()->first > id) return;
    const std::string sink = SinkName(scope_.index());
    const auto end = pending_.upper_bound(id);
    Transaction(db, sink, [&] {
      for (auto it = pending_.begin(); it != end; ++it) db.Write(it->second);
      db.SetProgress(sink, std::prev(end)->first);
    });
    pending_.erase(pending_.begin(), end);
  }

  // Writes what the restored checkpoint recorded and the database lacks:
  // per old instance, in one transaction, the epochs after the checkpoint
  // its progress row names. Once, before the first Snapshot or Commit.
  void Recover(EpochDatabase<Record>& db) {
    CheckUsable();
    std::map<int, std::map<int64_t, const Records*>> by_instance;
    for (const auto& [instance, checkpoint, records] : restored_) by_instance[instance][checkpoint] = &records;
    for (const auto& [instance, epochs] : by_instance) {
      const std::string sink = SinkName(instance);
      Transaction(db, sink, [&, &epochs = epochs] {
        const int64_t done = db.Progress(sink);
        int64_t last = done;
        for (const auto& [checkpoint, records] : epochs) {
          if (checkpoint <= done) continue;
          db.Write(*records);
          last = checkpoint;
        }
        if (last != done) db.SetProgress(sink, last);
      });
    }
    restored_.clear();
  }

 private:
  // (instance, checkpoint id, records): what one instance pre-committed.
  using Epoch = std::tuple<int, int64_t, Records>;

  // Runs body in a transaction of `sink`: committed, or rolled back when
  // anything in it threw.
  // After a transaction failed, the buffer takes no more part: the job
  // fails and restarts from its last checkpoint, which holds every epoch
  // not committed. (Going on could record progress past epochs the failed
  // transaction did not write, or skip a recovery that did not finish.)
  template <typename Body>
  void Transaction(EpochDatabase<Record>& db, const std::string& sink, Body body) {
    try {
      db.Begin(sink);
      body();
      db.Commit();
    } catch (...) {
      failed_ = true;
      db.Rollback();
      throw;
    }
  }
  void CheckUsable() const {
    if (failed_) throw std::runtime_error(what_ + ": an earlier transaction failed; the job must restart from its last checkpoint");
  }

  std::string what_;
  SinkScope scope_;
  std::vector<Epoch> restored_;
  Records open_;                       // records since the last barrier
  std::map<int64_t, Records> pending_;  // checkpoint -> its records, until written
  bool failed_ = false;                 // a transaction failed: see Transaction
};

// A job sink of T over an EpochBuffer of Record: the operator hooks of
// checkpoints, written once for every such sink. The sink opens its
// store in OpenOnce (once; with checkpoints it then calls
// epochs_.Recover) and implements EpochDatabase; with checkpoints on,
// OnBatch adds records to epochs_ instead of writing them.
template <typename T, typename Record = SqlRow>
class EpochSink : public operators::SinkOperator<T>, protected EpochDatabase<Record> {
 public:
  void OnEnd() override { OpenOnce(); }  // the schema exists even without rows
  void EnableCheckpoints(const engine::CheckpointScope& scope) override { epochs_.Enable(scope); }
  void Restore(const engine::RestoreContext& ctx) override { epochs_.Restore(ctx); }
  // Pre-commit: the epoch's records wait for their checkpoint, and are part of it.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    if (!epochs_.enabled()) return;
    OpenOnce();  // restored records are written before the next checkpoint forgets them
    epochs_.Snapshot(id, out);
  }
  void CheckpointComplete(int64_t id) override {
    if (!epochs_.enabled()) return;
    OpenOnce();
    epochs_.Commit(id, *this);
  }

 protected:
  // `what` names the sink in errors ("postgresql sink").
  explicit EpochSink(std::string what) : epochs_(std::move(what)) {}
  virtual void OpenOnce() = 0;
  EpochBuffer<Record> epochs_;
};

}  // namespace rivulet::connectors

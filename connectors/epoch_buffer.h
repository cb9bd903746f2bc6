// Exactly-once writes of a database job sink with checkpoints, whatever the
// database (SqliteJobSink, PostgresJobSink): the rows of each checkpoint
// epoch are held, and recorded in the checkpoint, until the checkpoint
// completes; then they go into the database in one transaction together
// with the checkpoint's id as the progress of the sink instance
// (rivulet_sink_progress: one row per JOB/SINK/INSTANCE). A restored
// instance writes the epochs its checkpoint recorded above that progress.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

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

// The sink's database as EpochBuffer drives it: Begin, then Progress /
// Write / SetProgress, then Commit, all in one transaction. Every method
// but Rollback throws on failure (which fails the job); the buffer then
// calls Rollback.
// (No member types: the sinks derive from it, and a base's names would hide
// their template parameters.)
class EpochDatabase {
 public:
  virtual ~EpochDatabase() = default;
  virtual void Begin() = 0;
  // The last checkpoint recorded for `sink` (0 if none), read inside the
  // transaction.
  virtual int64_t Progress(const std::string& sink) = 0;
  // Writes (or queues for the commit) rows in order: a later row of a key
  // wins over an earlier one.
  virtual void Write(const std::vector<std::vector<std::string>>& rows) = 0;
  // Records `checkpoint` as the progress of `sink` (an upsert).
  virtual void SetProgress(const std::string& sink, int64_t checkpoint) = 0;
  virtual void Commit() = 0;
  // Ends a transaction a failure left open, if any. Never throws.
  virtual void Rollback() noexcept = 0;
};

// The epoch bookkeeping of one sink instance. Not thread-safe: used from
// the instance's task thread, as its operator hooks are.
class EpochBuffer {
 public:
  using Row = std::vector<std::string>;
  using Rows = std::vector<Row>;

  // `what` names the sink in errors ("postgresql sink").
  explicit EpochBuffer(std::string what) : what_(std::move(what)) {}

  // From EnableCheckpoints: from now on rows are held for their checkpoint.
  void Enable(const engine::CheckpointScope& scope) {
    prefix_ = scope.job + "/" + scope.operator_name + "/";
    index_ = scope.index;
  }
  // Whether checkpoints are on (else the sink writes each batch itself).
  bool enabled() const { return !prefix_.empty(); }
  // The progress row's name of `instance`: JOB/SINK/INSTANCE.
  std::string SinkName(int instance) const { return prefix_ + std::to_string(instance); }

  // A row of the current epoch (since the last barrier).
  void Add(Row row) { open_.push_back(std::move(row)); }

  // Keeps the epochs of the old instances this instance takes over
  // (old instance % parallelism == index), to be written by Recover.
  void Restore(const engine::RestoreContext& ctx) {
    for (const auto& e : *ctx.entries) {
      auto v = engine::DecodeState<Epoch>(e.bytes);
      if (!v.ok()) throw std::runtime_error(what_ + " state: " + v.status().ToString());
      if (std::get<0>(*v) % ctx.parallelism == ctx.index) restored_.push_back(std::move(*v));
    }
  }

  // Pre-commit at barrier `id`: the open rows become epoch `id`; every
  // epoch not yet written goes into the checkpoint as (instance, id, rows).
  // Requires Recover to have run: restored epochs are not recorded again.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) {
    if (!open_.empty()) {
      auto& p = pending_[id];
      p.insert(p.end(), std::make_move_iterator(open_.begin()), std::make_move_iterator(open_.end()));
      open_.clear();
    }
    for (const auto& [checkpoint, rows] : pending_) {
      out.Add(engine::kNoGroup, engine::EncodeState(Epoch{index_, checkpoint, rows}));
    }
  }

  // Checkpoint `id` completed: writes the epochs up to it in one
  // transaction with the last one's id as this instance's progress.
  void Commit(int64_t id, EpochDatabase& db) {
    if (pending_.empty() || pending_.begin()->first > id) return;
    Transaction(db, [&] {
      int64_t last = 0;
      for (auto it = pending_.begin(); it != pending_.end() && it->first <= id; it = pending_.erase(it)) {
        db.Write(it->second);
        last = it->first;
      }
      db.SetProgress(SinkName(index_), last);
    });
  }

  // Writes what the restored checkpoint recorded and the database lacks:
  // per old instance, in one transaction, the epochs after the checkpoint
  // its progress row names. Once, before the first Snapshot or Commit.
  void Recover(EpochDatabase& db) {
    std::map<int, std::map<int64_t, const Rows*>> by_instance;
    for (const auto& [instance, checkpoint, rows] : restored_) by_instance[instance][checkpoint] = &rows;
    for (const auto& [instance, epochs] : by_instance) {
      Transaction(db, [&, instance = instance, &epochs = epochs] {
        const std::string sink = SinkName(instance);
        const int64_t done = db.Progress(sink);
        int64_t last = done;
        for (const auto& [checkpoint, rows] : epochs) {
          if (checkpoint <= done) continue;
          db.Write(*rows);
          last = checkpoint;
        }
        if (last != done) db.SetProgress(sink, last);
      });
    }
    restored_.clear();
  }

 private:
  // (instance, checkpoint id, rows): what one instance pre-committed.
  using Epoch = std::tuple<int, int64_t, Rows>;

  template <typename Body>
  static void Transaction(EpochDatabase& db, Body body) {
    db.Begin();
    try {
      body();
      db.Commit();
    } catch (...) {
      db.Rollback();
      throw;
    }
  }

  std::string what_;
  std::string prefix_;  // JOB/SINK/ once checkpoints are on
  int index_ = 0;
  std::vector<Epoch> restored_;
  Rows open_;                       // rows since the last barrier
  std::map<int64_t, Rows> pending_;  // checkpoint -> its rows, until written
};

// A database job sink of T over an EpochBuffer: the operator hooks of
// checkpoints, written once for every such sink. The sink opens its
// database in OpenOnce (once; with checkpoints it then calls
// epochs_.Recover) and implements EpochDatabase; with checkpoints on,
// OnBatch adds rows to epochs_ instead of writing them.
template <typename T>
class EpochSink : public operators::SinkOperator<T>, protected EpochDatabase {
 public:
  void OnEnd() override { OpenOnce(); }  // the schema exists even without rows
  void EnableCheckpoints(const engine::CheckpointScope& scope) override { epochs_.Enable(scope); }
  void Restore(const engine::RestoreContext& ctx) override { epochs_.Restore(ctx); }
  // Pre-commit: the epoch's rows wait for their checkpoint, and are part of it.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    if (!epochs_.enabled()) return;
    OpenOnce();  // restored rows are written before the next checkpoint forgets them
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
  EpochBuffer epochs_;
};

}  // namespace rivulet::connectors

// How the runtime sees an operator instance, whatever its types: input
// ports it can be given (Port: a Receiver<In>* with its type), the combined watermark and
// the end of its input. Typed operators (operators/) implement these on
// top of Receiver<T>; sources also implement Poll.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include <utility>
#include <vector>

#include "engine/batch.h"
#include "engine/source_lag.h"
#include "engine/state.h"
#include "engine/time.h"

namespace rivulet::engine {

// Where an operator instance stands in a job that takes checkpoints (for
// names that must stay the same across restarts, such as a sink's
// transactional ids).
struct CheckpointScope {
  std::string job;            // the job's name (CheckpointOptions::job)
  std::string operator_name;  // the operator's name in the graph
  int index = 0;
  int parallelism = 1;
};

class OperatorInstance {
 public:
  virtual ~OperatorInstance() = default;
  // The Receiver<In> of input `port` (empty for a source); the runtime
  // hands it to the upstream stream's type, which checks In.
  virtual Port input(int port) = 0;
  // The watermark of all inputs of the task advanced (called on the head
  // operator of a chain; chained operators get it through Receiver).
  virtual void Watermark(Timestamp watermark) = 0;
  // Every input ended.
  virtual void End() = 0;
  // Hands on what the instance holds back to batch its output (the
  // partials of a local aggregation). The task calls it, head first,
  // before it goes idle and before a checkpoint barrier; End implies it.
  virtual void Flush() {}
  // Where the instance counts records it could not place (late records);
  // called once before the job starts. The counter outlives the instance.
  virtual void BindLateCounter(std::atomic<uint64_t>* late) { (void)late; }
  // Where a source counts records it could not decode; as above.
  virtual void BindBadRecordCounter(std::atomic<uint64_t>* bad) { (void)bad; }
  // Where a source that reads partitions reports its lag, as instance
  // `index` of the operator; as above.
  virtual void BindSourceLag(SourceLag* lag, int index) {
    (void)lag;
    (void)index;
  }

  // Checkpoints (all called on the task's thread, between records).
  // The job takes checkpoints: sources commit their positions when one
  // completes rather than on their own schedule. Called before the start.
  virtual void EnableCheckpoints(const CheckpointScope& scope) { (void)scope; }
  // Before the first record, when the job starts from a checkpoint: the
  // state it holds for this operator (state.h says how to pick entries).
  virtual void Restore(const RestoreContext& context) { (void)context; }
  // Whether Snapshot can write this instance's state (false: a key,
  // accumulator or row type without a StateCodec). A job that takes
  // checkpoints refuses to start with such an operator.
  virtual bool CanCheckpoint() const { return true; }
  // At barrier `checkpoint_id` (every earlier record processed, no later
  // one): writes the instance's state; a sink pre-commits here. Throwing
  // fails the job, which restarts from its last checkpoint. Stateless operators write nothing. Ids grow across the
  // runs of a job that share a checkpoint store, the final checkpoint's
  // included (taken after End), so a sink may record them as progress.
  virtual void Snapshot(int64_t checkpoint_id, SnapshotWriter& out) {
    (void)checkpoint_id;
    (void)out;
  }
  // Checkpoint `checkpoint_id` and all before it are complete (every task
  // acknowledged, and it is on disk): a sink commits what it pre-committed.
  // May come after End (the job's final checkpoint).
  virtual void CheckpointComplete(int64_t checkpoint_id) { (void)checkpoint_id; }
};

class SourceInstance : public OperatorInstance {
 public:
  enum class Poll {
    kMore,  // emitted records; call again
    kIdle,  // nothing now: call again after retry_after()
    kEnd,   // bounded source done (End() follows)
  };
  Port input(int) override { return {}; }
  void Watermark(Timestamp) override {}
  // Emits up to about `max_records` records (and watermarks) downstream.
  virtual Poll PollRecords(size_t max_records) = 0;
  // After kIdle: when to poll again.
  virtual std::chrono::milliseconds retry_after() const { return std::chrono::milliseconds(5); }
  // Whether this instance has been idle long enough that its watermark
  // must not hold back the job (idleness of the watermark strategy).
  virtual bool idle() const { return false; }

  void BindBadRecordCounter(std::atomic<uint64_t>* bad) override { bad_records_ = bad; }
  void BindSourceLag(SourceLag* lag, int index) override {
    lag_ = lag;
    lag_index_ = index;
  }

 protected:
  // A record that could not be decoded, whatever the source then does with
  // it (fail, skip, dead letter): counted in the job's metrics.
  void CountBadRecord() {
    if (bad_records_) bad_records_->fetch_add(1, std::memory_order_relaxed);
  }
  // Whether to report the lag now (then ReportLag): a lag is bound and its
  // interval has passed since the last report, or (`force`: the source
  // just ended, say) whenever one is bound. One clock read: call it once
  // per poll, not per record.
  bool LagDue(bool force = false) {
    if (lag_ == nullptr) return false;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now < next_lag_report_) return false;
    next_lag_report_ = now + lag_->interval();
    return true;
  }
  // The partitions this instance reads now, each with its lag (replacing
  // the last report). Requires a bound lag (LagDue was true).
  void ReportLag(std::vector<PartitionLag> lags) { lag_->Report(lag_index_, std::move(lags)); }

 private:
  std::atomic<uint64_t>* bad_records_ = nullptr;
  SourceLag* lag_ = nullptr;  // in the job's metrics, which outlive the instance
  int lag_index_ = 0;
  std::chrono::steady_clock::time_point next_lag_report_{};
};

}  // namespace rivulet::engine

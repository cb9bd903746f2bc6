// Runs a planned job. Job::Start builds the execution graph (task
// instances: chains of operator instances, the channels between them,
// readers and writers), starts it on an Executor and returns a handle:
// cancel it, stop it at a checkpoint, trigger a checkpoint, wait for it,
// read its metrics.
//
// Checkpoints are asynchronous barrier snapshots (Carbone et al.,
// "Lightweight Asynchronous Snapshots for Distributed Dataflows", 2015):
// the coordinator injects barrier N into every source task; barriers
// travel in the channels behind the records; a task with several inputs
// holds back each input that delivered barrier N until all have
// (alignment), then snapshots its chained operators (sinks pre-commit) and
// forwards the barrier. When every task has acknowledged, the checkpoint
// is written (CheckpointStore) by the coordinator's thread while the tasks
// go on, and then every operator is told it completed (sinks commit).
// When the input ends, each task snapshots its operators after the end,
// and the job's last act is a final checkpoint of that state, so a rerun
// of a finished job finds it finished.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"
#include "engine/checkpoint_store.h"
#include "engine/graph.h"
#include "engine/metrics.h"
#include "engine/plan.h"

namespace rivulet::engine {

struct CheckpointOptions {
  // Between the start of one checkpoint and the trigger of the next; 0:
  // no periodic checkpoints (TriggerCheckpoint still works).
  int64_t interval_ms = 0;
  // A checkpoint not complete after this long fails (and the next one is
  // triggered).
  int64_t timeout_ms = 60'000;
  // Where checkpoints are written (may be null: they are then kept in
  // memory only, for restarts within the process).
  CheckpointStore* store = nullptr;
  std::string job;                // the job's name, recorded in each checkpoint
  int64_t first_id = 1;           // the id of the first checkpoint this run takes
  // Start from this checkpoint's state (may be null: from nothing).
  std::shared_ptr<const LoadedCheckpoint> restore;
};

struct RunOptions {
  int threads = 0;              // TBB arena concurrency; 0 = one per core
  size_t batch_size = 1024;     // records per batch between tasks
  size_t channel_capacity = 32; // batches per channel
  // When set (SIGINT), the job stops: with checkpoints, at a checkpoint
  // (Job::StopWithCheckpoint, nothing flushed); without, sources stop as if
  // their input ended (windows flush, sinks close). Either way Run returns ok.
  const std::atomic<bool>* stop = nullptr;
  // Filled when the job starts and updated while it runs (may be null).
  JobMetrics* metrics = nullptr;
  CheckpointOptions checkpoints;
};

class Job {
 public:
  // Builds the job's tasks and starts them. Fails on a checkpoint that does
  // not fit the graph (an operator's parallelism above its max).
  static Result<std::unique_ptr<Job>> Start(const Graph& graph, const PhysicalPlan& plan, const RunOptions& options);
  // Cancels the job if it still runs and waits for it.
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // Waits until the job finished (its input ended and every task drained),
  // failed, or was cancelled or stopped; returns the first failure, ok when
  // it finished or stopped, kClosed when cancelled. Once.
  Status Wait();
  // Stops every task at once: nothing is flushed or committed (as a crash
  // would, but in order); Wait returns kClosed.
  void Cancel();
  // Takes a checkpoint and stops the job right after it completed (Flink's
  // stop with savepoint): windows are not flushed; a rerun from that
  // checkpoint goes on exactly where this one stopped. Falls back to
  // ending the input (flushing) when the checkpoint fails. Any thread.
  void StopWithCheckpoint();

  // Triggers a checkpoint now; returns its id. kInvalidTxnState-like
  // refusals (one is running, a source ended) come back as
  // kInvalidArgument.
  Result<int64_t> TriggerCheckpoint();
  // Waits until checkpoint `id` completed (ok), failed, or `timeout` ran out.
  Status AwaitCheckpoint(int64_t id, std::chrono::milliseconds timeout);
  // Waits until no task runs or is queued: each waits for input, output
  // room or a timer. Once every source has emitted all it has, the job
  // has then processed all of it (the test harness, testing/harness.h,
  // settles on this). Ok; kTimeout; kClosed when the job stopped (Wait
  // says why).
  Status AwaitIdle(std::chrono::milliseconds timeout);
  // The last completed checkpoint's state (null before the first).
  std::shared_ptr<const LoadedCheckpoint> last_checkpoint() const;

  JobMetrics& metrics();

 private:
  struct Impl;
  explicit Job(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Starts `graph` as planned by `plan` and waits for it.
Status Run(const Graph& graph, const PhysicalPlan& plan, const RunOptions& options);

// A fingerprint of the graph's shape (operator names, kinds, edges and
// their partitioning; not parallelism): a checkpoint restores only into
// the graph it was taken of.
uint64_t GraphFingerprint(const Graph& graph);

}  // namespace rivulet::engine

// Helpers for tests that run jobs with checkpoints (engine, operator and
// connector tests): run options with small batches and channels, an
// operator snapshotted and restored by hand, and a job started, cancelled
// after a few checkpoints (as if killed) and its last one handed back for
// a restore. Apart from test_util.h so that the log's tests do
// not pull in the job API.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "operators/stream.h"

namespace rivulet::testing {

// `parallelism` instances, a checkpoint every `interval_ms` (0: none),
// started from `restore` when given; small batches and channels, so that
// barriers travel between records.
inline operators::JobRunOptions CheckpointedOptions(int parallelism, int64_t interval_ms,
                                                    std::shared_ptr<const engine::LoadedCheckpoint> restore = {}) {
  operators::JobRunOptions o;
  o.parallelism = parallelism;
  o.runtime.channel_capacity = 4;
  o.runtime.batch_size = 64;
  o.runtime.checkpoints.interval_ms = interval_ms;
  o.runtime.checkpoints.restore = std::move(restore);
  return o;
}

// The entries `op` writes at barrier `id` (an operator driven by hand).
inline std::vector<engine::StateEntry> SnapshotEntries(engine::OperatorInstance& op, int64_t id) {
  engine::SnapshotWriter w;
  op.Snapshot(id, w);
  return std::move(w.entries());
}

// Restores `op` as instance `index` of `parallelism` from `entries`
// taken at `old_parallelism`.
inline void RestoreInstance(engine::OperatorInstance& op, const std::vector<engine::StateEntry>& entries,
                            int old_parallelism = 1, int index = 0, int parallelism = 1) {
  engine::RestoreContext ctx;
  ctx.entries = &entries;
  ctx.old_parallelism = old_parallelism;
  ctx.index = index;
  ctx.parallelism = parallelism;
  op.Restore(ctx);
}

// Starts `job`, waits until checkpoint `checkpoints` completed, cancels the
// job and returns its last checkpoint (a non-final one); null, with the
// failure recorded, when any of that went wrong.
inline std::shared_ptr<const engine::LoadedCheckpoint> CancelAfterCheckpoints(operators::JobBuilder& job,
                                                                              const operators::JobRunOptions& options,
                                                                              int64_t checkpoints) {
  auto started = job.Start(options);
  EXPECT_TRUE(started.ok()) << started.status().ToString();
  if (!started.ok()) return nullptr;
  engine::Job& j = **started;
  Status awaited = j.AwaitCheckpoint(checkpoints, std::chrono::seconds(20));
  EXPECT_TRUE(awaited.ok()) << awaited.ToString();
  j.Cancel();
  EXPECT_EQ(j.Wait().code(), Errc::kClosed);
  auto last = j.last_checkpoint();
  EXPECT_NE(last, nullptr);
  if (!last) return nullptr;
  EXPECT_GE(last->info.id, checkpoints);
  EXPECT_FALSE(last->info.final);
  return last;
}

}  // namespace rivulet::testing

// Helpers for tests that run jobs with checkpoints (engine and operator
// tests): run options with small batches and channels, and a job started,
// cancelled after a few checkpoints (as if killed) and its last one handed
// back for a restore. Apart from test_util.h so that the log's tests do
// not pull in the job API.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

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

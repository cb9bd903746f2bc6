// Runs a planned job: instantiates every task (chains of operator
// instances, the channels between them, readers and writers), runs them on
// an Executor until every source ended and every task drained, and reports
// the first failure.
#pragma once

#include <atomic>
#include <cstddef>

#include "base/status.h"
#include "engine/graph.h"
#include "engine/metrics.h"
#include "engine/plan.h"

namespace rivulet::engine {

struct RunOptions {
  int threads = 0;              // TBB arena concurrency; 0 = one per core
  size_t batch_size = 1024;     // records per batch between tasks
  size_t channel_capacity = 32; // batches per channel
  // When set (SIGINT), sources stop as if their input ended: windows
  // flush, sinks close, and Run returns ok.
  const std::atomic<bool>* stop = nullptr;
  // Filled when the job starts and updated while it runs (may be null).
  JobMetrics* metrics = nullptr;
};

// Runs `graph` as planned by `plan` until it finishes.
Status Run(const Graph& graph, const PhysicalPlan& plan, const RunOptions& options);

}  // namespace rivulet::engine

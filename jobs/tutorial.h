// The tutorial flow (the main job until the dataflow runtime exists): a
// producer writes {"number": n} for n in 0..count-1 to `numtest`; a
// consumer in group `my-group` (earliest, auto-commit every second) writes
// each number with its partition and offset into a SQLite table; then it
// prints a summary. Phases can run separately (phase=produce|consume) so
// that a test can kill the consumer half-way and restart it.
//
// Settings: topic (numtest), partitions (1), count (1000), group
// (my-group), db (DATA_DIR/tutorial.db), phase (all), idle_ms (2000: stop
// consuming when idle this long), batch_delay_ms (0: pause per batch),
// max_poll_records (100), auto_commit_ms (1000).
#pragma once

#include "base/status.h"
#include "jobs/job.h"

namespace rivulet::jobs {

Status RunTutorial(JobContext& ctx);

}  // namespace rivulet::jobs

// Where a job's checkpoints live: DATA_DIR/checkpoints/JOB/chk-N/, one
// file per task instance (the state entries of its chained operators,
// CRC-checked) and a manifest written last (write, fsync, rename, fsync
// the directory): a checkpoint without a readable manifest does not exist.
// The last `retain` complete checkpoints are kept. The format is described
// in docs/guide/checkpoints.md ("On disk").
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/state.h"

namespace rivulet::engine {

// The state of one operator instance at a checkpoint.
struct OperatorSnapshot {
  int node = -1;      // the operator's id in the job graph
  int instance = 0;
  std::vector<StateEntry> entries;
};

// The state of one task instance (its chained operators).
struct TaskSnapshot {
  int chain = -1;
  int instance = 0;
  std::vector<OperatorSnapshot> operators;
};

struct CheckpointInfo {
  int64_t id = 0;
  std::string job;
  uint64_t graph_fingerprint = 0;  // GraphFingerprint of the job it was taken of
  int64_t time_ms = 0;             // wall clock when triggered
  int64_t duration_ms = 0;         // trigger to manifest written
  int64_t alignment_ms = 0;        // longest barrier alignment of a task
  int64_t bytes = 0;               // total size of its files
  bool final = false;              // taken at the end of the input (the job finished)
  std::map<int, int> parallelism;  // node id -> parallelism it was taken at
  std::string path;                // its directory (filled when listed or loaded)
  // When the checkpoint was triggered (not stored; for Write's duration).
  std::chrono::steady_clock::time_point started{};
};

// A checkpoint read back: per node, the entries of all its instances.
struct LoadedCheckpoint {
  CheckpointInfo info;
  std::map<int, std::vector<StateEntry>> state;
};

class CheckpointStore {
 public:
  // The store of `job` under `data_dir` (DATA_DIR/checkpoints/JOB/),
  // created when missing.
  static Result<std::unique_ptr<CheckpointStore>> Open(const std::string& data_dir, const std::string& job,
                                                       int retain = 3);

  const std::string& dir() const { return dir_; }

  // Writes checkpoint `info.id`: the task files, then the manifest; then
  // deletes complete checkpoints older than the last `retain`, and
  // incomplete directories older than this one. Fills info.bytes, and
  // info.duration_ms (up to the task files written) when info.started is set.
  Status Write(CheckpointInfo& info, const std::vector<TaskSnapshot>& tasks);

  // Complete checkpoints (readable manifest), newest first.
  Result<std::vector<CheckpointInfo>> List() const;

  // The newest complete checkpoint whose files all verify; a torn or
  // corrupt one is skipped with a warning naming it (nothing is deleted).
  // nullopt when there is none. A checkpoint of another graph
  // (fingerprint) is an error naming both, not skipped.
  Result<std::optional<LoadedCheckpoint>> LoadLatest(uint64_t graph_fingerprint) const;

  // The checkpoint in directory `path` (any store); errors name what is wrong.
  static Result<LoadedCheckpoint> Load(const std::string& path);

  // The id the next checkpoint should take: one past the newest directory.
  // An error when the directory cannot be listed (guessing 1 would give
  // out ids that sinks already hold as their progress).
  Result<int64_t> NextId() const;

 private:
  explicit CheckpointStore(std::string dir, int retain) : dir_(std::move(dir)), retain_(retain) {}
  std::string dir_;
  int retain_;
};

}  // namespace rivulet::engine

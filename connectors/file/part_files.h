// The files of a file sink that takes part in checkpoints (exactly once),
// in the manner of Flink's FileSink with its in-progress and pending part
// files, but committed into one output file (docs/connectors/file.md):
//
//   DIR/.NAME.inprogress        records since the last barrier
//   DIR/.NAME.pending-<N>       the records before barrier N (20 digits):
//                               flushed and fsynced at the barrier, then
//                               renamed; waiting for checkpoint N
//   DIR/NAME                    the output: the committed parts, in order
//
// Checkpoint N records the parts still pending (checkpoint, offset in the
// output, length) and the length the output has once they are committed.
// Committing a part writes its first `length` bytes into NAME at its
// offset (pwrite: a commit done twice writes the same bytes again), fsyncs
// NAME, removes the pending file and fsyncs DIR. Restoring commits the
// recorded parts whose pending file is still there, cuts NAME to the
// recorded length, and removes every other in-progress or pending file of
// NAME. One instance owns these files (ToFile runs one).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "engine/state_codec.h"

namespace rivulet::connectors {

// A pending part as a checkpoint records it.
struct FilePart {
  int64_t checkpoint = 0;  // its pending file is .NAME.pending-<checkpoint>
  int64_t offset = 0;      // where its bytes go in the output
  int64_t length = 0;
  bool operator==(const FilePart&) const = default;
};
RIVULET_STATE_FIELDS(FilePart, checkpoint, offset, length)

// A file sink's state in a checkpoint: the output's length once `parts`
// (in checkpoint order, contiguous, ending at `end`) are committed.
struct FileSinkState {
  int64_t end = 0;
  std::vector<FilePart> parts;
  // The output's length before the parts: what was committed at the barrier.
  int64_t committed() const { return parts.empty() ? end : parts.front().offset; }
};
RIVULET_STATE_FIELDS(FileSinkState, end, parts)

// The output file `path` and its in-progress and pending files. Not
// thread-safe: one task instance uses it. Every error names the file.
class PartFiles {
 public:
  explicit PartFiles(std::string path);
  PartFiles(const PartFiles&) = delete;
  PartFiles& operator=(const PartFiles&) = delete;

  // A run from nothing: removes the in-progress and pending files of
  // `path` and empties it (created when missing).
  [[nodiscard]] Status Start();
  // A run from a checkpoint that recorded `state`: commits its parts (a
  // part already committed — its pending file removed and the output long
  // enough — is not written again), cuts the output at state.end (what
  // later checkpoints committed, or a torn write past it), and removes
  // every other in-progress or pending file. Fails, naming the file, when
  // the output is shorter than what the checkpoint saw committed or a
  // pending part is missing or short.
  [[nodiscard]] Status Recover(const FileSinkState& state);

  // Appends bytes to the in-progress file (created on first use).
  [[nodiscard]] Status Write(std::string_view bytes);
  // Barrier `checkpoint`: the in-progress file, fsynced, becomes the
  // pending part of `checkpoint` (nothing when it is empty).
  [[nodiscard]] Status Seal(int64_t checkpoint);
  // Checkpoint `checkpoint` completed: commits the pending parts of it
  // and of every checkpoint before it.
  [[nodiscard]] Status Commit(int64_t checkpoint);

  // What a checkpoint taken now records (after Seal).
  const FileSinkState& state() const { return state_; }
  const std::string& path() const { return path_; }
  std::string InProgressPath() const;
  std::string PendingPath(int64_t checkpoint) const;

 private:
  Status OpenOutput(bool truncate);
  // Writes the first part.length bytes of its pending file at its offset.
  Status CommitPart(const FilePart& part);
  // Removes every in-progress and pending file of the output.
  Status RemoveStale();

  std::string path_;
  std::string dir_;
  std::string name_;
  File output_;
  File in_progress_;
  int64_t in_progress_bytes_ = 0;
  FileSinkState state_;  // parts sealed and not yet committed
};

}  // namespace rivulet::connectors

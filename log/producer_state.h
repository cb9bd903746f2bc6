// Idempotence and transactions inside one partition: for each producer id
// that wrote to it, its epoch, its last five batches (so that a retried
// batch is recognised and answered with its original offsets) and its open
// transaction; from these the last stable offset, and the aborted
// transactions that read_committed readers skip.
//
// The state is rebuilt on open from a snapshot (written at segment roll and
// on close) plus the batch headers after it; see docs/guide/transactions.md.
//
// Threading: not thread-safe; the partition holds its lock around every call.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"
#include "log/record_batch.h"
#include "log/types.h"

namespace rivulet::log {

// A transaction that ended with an abort marker: its records, in
// [first_offset, last_offset] (last_offset is the marker's), are skipped by
// read_committed readers.
struct AbortedTxn {
  ProducerId producer_id = kNoProducerId;
  int64_t first_offset = 0;
  int64_t last_offset = 0;
  auto operator<=>(const AbortedTxn&) const = default;
};

// One batch a producer appended, as remembered for deduplication.
struct ProducerBatch {
  int32_t first_seq = 0;
  int32_t last_seq = 0;
  int64_t first_offset = 0;
  int64_t last_offset = 0;
};

struct ProducerEntry {
  ProducerEpoch epoch = kNoProducerEpoch;
  std::deque<ProducerBatch> batches;  // oldest first; at most kMaxCachedBatches
  int64_t txn_first_offset = -1;      // first offset of the open transaction; -1 when none
  int64_t last_timestamp = -1;        // max timestamp of its last batch
  int32_t coordinator_epoch = -1;     // of its last marker
};

// How an append of one batch goes, once checked.
struct BatchCheck {
  bool duplicate = false;  // already appended: answer with these offsets, write nothing
  int64_t first_offset = 0;
  int64_t last_offset = 0;
};

class ProducerStateManager {
 public:
  static constexpr size_t kMaxCachedBatches = 5;

  // Updates being checked for one append, applied only once it is written.
  class Staged {
   public:
    bool empty() const { return entries_.empty(); }

   private:
    friend class ProducerStateManager;
    std::map<ProducerId, ProducerEntry> entries_;
    std::vector<AbortedTxn> aborted_;
  };

  // Checks the batch `h` (its base offset already assigned) against the
  // state and what `staged` holds, and stages its effect. Errors:
  // kProducerFenced (an epoch older than the known one),
  // kOutOfOrderSequence (a gap, or a new producer / epoch not starting at
  // 0), kInvalidArgument (a transactional batch without a producer id).
  // A duplicate stages nothing. `control` is the type of a control batch.
  Result<BatchCheck> CheckAndStage(const BatchHeader& h, std::optional<ControlType> control,
                                   Staged* staged) const;
  // Applies what was staged (after the append was written). Returns the
  // transactions it aborted, in offset order.
  std::vector<AbortedTxn> Commit(Staged&& staged);

  // Replays an appended batch during recovery (no checks).
  void Replay(const BatchHeader& h, std::optional<ControlType> control, std::vector<AbortedTxn>* aborted);

  // First offset of the oldest open transaction; -1 when none is open.
  int64_t FirstUnstableOffset() const { return ongoing_.empty() ? -1 : *ongoing_.begin(); }
  const std::map<ProducerId, ProducerEntry>& producers() const { return producers_; }

  // The state as bytes (protobuf, CRC-32C appended), covering the log
  // below `offset`; and back.
  std::string EncodeSnapshot(int64_t offset) const;
  // The state and its offset; kCorruption for bad bytes.
  static Result<std::pair<ProducerStateManager, int64_t>> DecodeSnapshot(std::string_view bytes);

 private:
  // The entry of `id` as it would be after the staged updates (nullptr if none).
  const ProducerEntry* Find(ProducerId id, const Staged& staged) const;
  static void ApplyTo(ProducerEntry& e, const BatchHeader& h, std::optional<ControlType> control,
                      std::vector<AbortedTxn>* aborted);
  void Put(ProducerId id, ProducerEntry e);

  std::map<ProducerId, ProducerEntry> producers_;
  std::multiset<int64_t> ongoing_;  // txn_first_offset of every open transaction
};

}  // namespace rivulet::log

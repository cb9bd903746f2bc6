// The transaction coordinator (KIP-98, KIP-447): producer ids, and for each
// transactional id its producer id and epoch, its state and the partitions
// and groups of its open transaction, kept durably in the transaction log
// (DIR/transactions/, an internal partition replayed on open).
//
// States: Empty -> Ongoing (first AddPartitions / AddOffsets) ->
// PrepareCommit | PrepareAbort (EndTxn; written and fsynced before any
// marker) ->
// CompleteCommit | CompleteAbort (once every partition has its marker and
// the group offsets of a commit are stored) -> Ongoing again with the next
// transaction. After a crash, prepared transactions are completed and
// ongoing ones aborted when the log opens (so is any transaction still open
// in a partition after that, one the log lost or never knew); a transaction open longer than
// its timeout is aborted by AbortExpired, with the epoch bumped so that the
// producer that left it is fenced.
//
// Two-phase ids (InitOptions::two_phase; Kafka's KIP-939, for exactly-once
// sinks that pre-commit at a checkpoint and commit once it is durable): an
// Ongoing transaction is kept open across a restart and past its timeout,
// and only EndTxn or a fencing InitProducerId ends it. InitProducerId with
// keep_prepared fences the old producer but hands the open transaction to
// the new epoch, which then commits or aborts it. Each transaction of an id
// has a number (txn_seq) so that a sink can tell its own from a later one.
//
// Threading: thread-safe. One mutex guards the map of transactional ids;
// each id has its own, held across its log writes (never the map's).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "log/group_coordinator.h"
#include "log/options.h"  // TxnOptions
#include "log/types.h"  // ProducerIdAndEpoch, PreparedTxn

namespace rivulet::log {

class LogManager;
class Partition;

enum class TxnState : int8_t {
  kEmpty = 0,
  kOngoing = 1,
  kPrepareCommit = 2,
  kPrepareAbort = 3,
  kCompleteCommit = 4,
  kCompleteAbort = 5,
};
// "Empty", "Ongoing", ..., as Kafka's tools print them.
const char* TxnStateName(TxnState s);

// How InitProducerId registers a transactional id (kept with its state).
struct InitOptions {
  // The id's open transaction survives a restart and its timeout; only
  // EndTxn or a fencing InitProducerId ends it.
  bool two_phase = false;
  // With two_phase: the epoch is still bumped (fencing the older producer),
  // but the open transaction is kept and handed to the new epoch.
  bool keep_prepared = false;
};

struct TxnDescription {
  std::string transactional_id;
  TxnState state = TxnState::kEmpty;
  ProducerId producer_id = kNoProducerId;
  ProducerEpoch epoch = kNoProducerEpoch;
  int32_t timeout_ms = 0;
  bool two_phase = false;
  int64_t txn_seq = 0;    // of the open transaction, or else of the last one
  int64_t start_ms = -1;  // of the open transaction
  int64_t update_ms = -1;
  std::vector<TopicPartition> partitions;
  std::vector<std::string> groups;
};

class TransactionCoordinator {
 public:
  // Replays the transaction log in `dir` (created if missing), completes
  // prepared transactions and aborts ongoing ones (but those of two-phase
  // ids). `log` must outlive it; its topics and groups must be loaded.
  static Result<std::unique_ptr<TransactionCoordinator>> Open(const std::string& dir, LogManager* log,
                                                              TxnOptions options);
  ~TransactionCoordinator();
  TransactionCoordinator(const TransactionCoordinator&) = delete;
  TransactionCoordinator& operator=(const TransactionCoordinator&) = delete;

  // Without a transactional id: a new producer id, epoch 0 (an idempotent
  // producer). With one: its producer id with the epoch bumped (a new id is
  // registered at epoch 0); an open transaction of the previous producer
  // is aborted first, unless `options` keeps it (keep_prepared, for an id
  // that was two-phase when it opened). `options` is stored with the id.
  // kInvalidTransactionTimeout outside (0, max_timeout_ms];
  // kInvalidArgument for keep_prepared without two_phase; kInvalidTxnState
  // when keep_prepared cannot bump the epoch (it is at its maximum: only a
  // fencing InitProducerId, which aborts, moves the id on).
  Result<ProducerIdAndEpoch> InitProducerId(const std::optional<std::string>& transactional_id,
                                            int32_t timeout_ms, InitOptions options = {});
  // The id's open (Ongoing) transaction with the current epoch, or nullopt
  // when none is open. kNotFound for an unknown id.
  Result<std::optional<PreparedTxn>> OpenTransaction(const std::string& transactional_id) const;
  // Adds partitions to the open transaction (opening one). Errors shared by
  // the calls below: kNotFound (unknown transactional id or partition),
  // kInvalidProducerIdMapping (another producer id), kProducerFenced (an
  // older or newer epoch), kInvalidTxnState.
  Status AddPartitions(const std::string& transactional_id, ProducerIdAndEpoch producer,
                       const std::vector<TopicPartition>& partitions);
  // Makes `group`'s offsets part of the open transaction (opening one).
  Status AddOffsets(const std::string& transactional_id, ProducerIdAndEpoch producer, const std::string& group);
  // Offsets to commit to `group` when the transaction commits (AddOffsets
  // first). With a member id or a generation (the consumer's group
  // metadata, KIP-447), they must be the group's current ones:
  // kUnknownMember / kIllegalGeneration otherwise, so that a member fenced
  // by a rebalance cannot commit.
  Status TxnOffsetCommit(const std::string& transactional_id, ProducerIdAndEpoch producer, const std::string& group,
                         const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets,
                         const std::string& member_id = "", int32_t generation = -1);
  // Commits or aborts the open transaction: markers to every partition,
  // then (commit) the group offsets. A retry of a completed EndTxn with the
  // same outcome succeeds.
  Status EndTxn(const std::string& transactional_id, ProducerIdAndEpoch producer, bool commit);

  // Aborts transactions open longer than their timeout (not those of
  // two-phase ids) and retries the completion of prepared ones (called
  // periodically). Returns how many it aborted.
  int AbortExpired(int64_t now_ms);

  // Ok when `producer` (id and epoch) has an open transaction that holds
  // `tp` (KIP-890's verification); a transactional write is refused
  // otherwise, so that a late write can never open a transaction in a
  // partition that no coordinator will end. kProducerFenced for an epoch
  // older than the id's, kInvalidTxnState otherwise.
  Status VerifyTransactionalWrite(ProducerIdAndEpoch producer, const TopicPartition& tp) const;
  // Whether an open transaction holds offsets for `tp` of `group`, not yet
  // committed (KIP-447: OffsetFetch with require_stable waits for it).
  bool HasPendingOffsets(const std::string& group, const TopicPartition& tp) const;

  // Compacts the transaction log if it has grown past the slack; returns
  // whether it did.
  Result<bool> MaybeCompact();
  // Records in the transaction log (since the last compaction).
  int64_t log_records() const { return records_.load(); }

  std::vector<TxnDescription> List() const;
  Result<TxnDescription> Describe(const std::string& transactional_id) const;

 private:
  struct Txn;
  TransactionCoordinator(std::string dir, LogManager* log, TxnOptions options);
  Status Replay();
  // Aborts, in every partition, the open transactions left after recovery
  // (but those of the Ongoing transactions of two-phase ids).
  void AbortHangingTransactions();
  Result<ProducerId> AllocateProducerId();
  Status WritePidBlockLocked(ProducerId next);
  // Appends one record; fsynced when `sync` and options_.sync.
  Status AppendRecord(const std::string& key, const std::string& value, bool sync);
  Result<std::shared_ptr<Txn>> Lookup(const std::string& id) const;
  // Every entry, taken under mu_ (each then locked on its own).
  std::vector<std::shared_ptr<Txn>> AllTxns() const;
  // Writes the transaction's state to the log (kept only if the write succeeds).
  Status PersistLocked(Txn& t, TxnState state);
  Status CheckProducerLocked(const Txn& t, ProducerIdAndEpoch producer) const;
  // Prepare (if not yet), markers, offsets, complete.
  Status EndLocked(Txn& t, bool commit);
  Status CompleteLocked(Txn& t);
  Status BeginIfNeededLocked(Txn& t);
  // Aborts the open transaction of t with the epoch bumped (fencing its producer).
  Status FenceAndAbortLocked(Txn& t);
  // Bumps the epoch of t and keeps its open transaction (keep_prepared).
  Result<ProducerIdAndEpoch> FenceAndKeepLocked(Txn& t, int32_t timeout_ms);
  TxnDescription DescribeLocked(const Txn& t) const;

  const std::string dir_;
  LogManager* const log_;
  const TxnOptions options_;
  std::shared_ptr<Partition> txn_log_;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Txn>> txns_;  // guarded by mu_
  std::map<ProducerId, std::shared_ptr<Txn>> by_producer_;  // guarded by mu_

  std::mutex compact_mu_;            // one compaction at a time
  std::atomic<int64_t> records_{0};  // records in the log

  std::mutex pid_mu_;
  ProducerId next_pid_ = 0;   // guarded by pid_mu_
  ProducerId block_end_ = 0;  // ids below it are recorded as handed out; guarded by pid_mu_
};

}  // namespace rivulet::log

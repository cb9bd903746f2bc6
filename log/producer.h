// The embedded producer: asynchronous Send() with batching per partition
// (batch.size, linger.ms), Kafka's default partitioner (murmur2 of the key;
// sticky partitions for null keys) and a completion callback per record.
//
// Idempotent by default (enable.idempotence): the producer gets a producer
// id from the log and numbers its batches per partition, and the log
// refuses a batch that would leave a gap or repeat one (a retried batch is
// answered with its first append's offsets), and a batch of an older epoch.
// With a transactional_id it writes transactions: InitTransactions once,
// then BeginTransaction, sends (and SendOffsetsToTransaction), and
// CommitTransaction or AbortTransaction; read_committed consumers see a
// transaction's records only once it commits, and never an aborted one. A
// second producer with the same transactional id fences the first: its
// later calls fail with kProducerFenced and its open transaction is aborted
// (each transactional batch is checked with the coordinator before it is
// appended, as the broker checks a Kafka client's: KIP-890).
//
// With two_phase_commit (KIP-939, for exactly-once sinks) a transaction can
// be prepared: PrepareTransaction at the checkpoint barrier makes its
// records durable and returns its PreparedTxn, which the sink keeps in the
// checkpoint; CommitTransaction once the checkpoint completed. The log
// never aborts such a transaction itself (not on restart, not on timeout).
// After a crash the new instance calls InitTransactions(keep_prepared =
// true), which fences the old one but keeps its open transaction, and
// CompletePreparedTransaction with the PreparedTxn of the checkpoint it
// restored: that transaction is committed, any other aborted.
//
// When a send counts as durable: its callback fires (or its future becomes
// ready) after the record has been appended to the partition's segment
// file. From then it survives a crash of this process. It survives a
// machine crash once fsynced: right away with `acks = kAllSync`, otherwise
// under the topic's flush.messages / flush.ms. Flush() waits for every
// record sent before it to reach that point.
//
// Threading: Send, Flush and Close may be called from any thread. Callbacks
// run on the producer's sender thread; they must not block for long.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "log/types.h"

namespace rivulet::log {

class LogManager;
class RecordBatchBuilder;  // record_batch.h
enum class Compression : int8_t;  // record_batch.h

struct ProducerConfig {
  size_t batch_size = 16384;              // batch.size: bytes per partition batch
  int64_t linger_ms = 5;                  // linger.ms: wait this long to fill a batch
  size_t buffer_memory = 32 << 20;        // buffer.memory: Send blocks above this
  int64_t max_block_ms = 60000;           // max.block.ms: then fails with kTimeout
  // acks: kAll (appended, fsynced per topic policy) or kAllSync (fsync
  // before completion).
  enum class Acks { kAll, kAllSync } acks = Acks::kAll;
  // compression.type: each batch's records compressed with this codec
  // (compression.h) on the sender thread; value-initialized: none.
  Compression compression{};
  bool auto_create_topics = true;         // create unknown topics (if the log allows)
  bool enable_idempotence = true;         // enable.idempotence
  std::optional<std::string> transactional_id;  // transactional.id: turns transactions on
  int32_t transaction_timeout_ms = 60000;       // transaction.timeout.ms
  // transaction.two.phase.commit.enable (KIP-939): the id is registered as
  // two-phase (InitOptions::two_phase); PrepareTransaction and
  // CompletePreparedTransaction are allowed; the timeout does not apply.
  bool two_phase_commit = false;
};

struct RecordMetadata {
  TopicPartition tp;
  int64_t offset = -1;
  int64_t timestamp = -1;
};

using SendCallback = std::function<void(const RecordMetadata&, const Status&)>;

class Producer {
 public:
  // `log` must outlive the producer.
  Producer(LogManager* log, ProducerConfig config = {});
  ~Producer();  // Close()
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a record and returns. `partition` < 0 lets the partitioner
  // choose; `timestamp` < 0 means now. Fails at once on an unknown topic,
  // a bad partition, an oversized record or a closed producer; failures of
  // the append come through `done`.
  Status Send(const std::string& topic, std::optional<std::string_view> key,
              std::optional<std::string_view> value, SendCallback done = nullptr,
              int32_t partition = -1, int64_t timestamp = -1,
              std::span<const Header> headers = {});
  // The same, with a future of the record's metadata.
  std::future<Result<RecordMetadata>> SendWithFuture(const std::string& topic,
                                                     std::optional<std::string_view> key,
                                                     std::optional<std::string_view> value,
                                                     int32_t partition = -1);
  // Sends every queued batch now and waits until all records sent before
  // the call are appended. Returns the first append error since the last
  // Flush, if any. Once an append to a partition fails, the later batches
  // to that partition fail with the same error until Flush is called, so
  // the stored records are always a prefix of the records sent.
  Status Flush();
  // Flushes and stops the sender thread. Later sends fail with kClosed.
  void Close();

  // Transactions (config.transactional_id set). InitTransactions registers
  // the id, fencing an earlier producer with it and aborting its open
  // transaction. Sends are allowed only between BeginTransaction and
  // Commit/AbortTransaction. CommitTransaction flushes and commits; if a
  // send of the transaction failed it returns that error and the
  // transaction must be aborted. Errors: kInvalidTxnState (wrong order, or
  // no transactional id), kProducerFenced (fatal: a newer producer took
  // over the id).
  //
  // With two_phase_commit, `keep_prepared` keeps the id's open transaction
  // (still fencing the earlier producer): if there is one, the producer is
  // then in it, prepared, until CompletePreparedTransaction,
  // CommitTransaction or AbortTransaction ends it. kInvalidArgument for
  // keep_prepared without two_phase_commit.
  Status InitTransactions(bool keep_prepared = false);
  Status BeginTransaction();
  // Commits `offsets` (the next offsets to read) to `group` when, and only
  // if, the transaction commits. With a member id (Consumer::member_id())
  // and generation (Consumer::generation()), they must still be the
  // group's (kUnknownMember / kIllegalGeneration otherwise): a consumer
  // that lost its partitions in a rebalance cannot commit them (KIP-447).
  Status SendOffsetsToTransaction(const std::map<TopicPartition, int64_t>& offsets, const std::string& group,
                                  const std::string& member_id = "", int32_t generation = -1);
  // Commits or aborts the open transaction, prepared or not.
  Status CommitTransaction();
  Status AbortTransaction();
  // Two-phase: flushes every record of the open transaction and fsyncs its
  // partitions, and returns its producer id, epoch and number. No sends in
  // it afterwards, only CommitTransaction or AbortTransaction. For a
  // transaction that wrote nothing, the number is that of the id's last
  // transaction (completing it later ends nothing of this one). A send
  // failure is returned as for CommitTransaction (abort it);
  // kInvalidTxnState without two_phase_commit or outside a transaction.
  Result<PreparedTxn> PrepareTransaction();
  // Two-phase, after InitTransactions (KIP-939's completeTransaction): if
  // the id's open transaction is `prepared` (same producer id and number)
  // it is committed; another open transaction is aborted; with none open
  // (already committed or aborted) it is ok. kInvalidTxnState before
  // InitTransactions or inside a transaction begun by this producer.
  Status CompletePreparedTransaction(const PreparedTxn& prepared);
  // The producer id and epoch (kNoProducerId when not idempotent).
  ProducerIdAndEpoch producer_id() const;

 private:
  struct PendingBatch {
    TopicPartition tp;
    std::string bytes;
    std::vector<std::pair<int32_t, SendCallback>> callbacks;  // (record index, callback)
    std::vector<int64_t> timestamps;  // per callback, for RecordMetadata
    // Of a transactional batch (else kNoProducerId): checked with the
    // coordinator before the append.
    ProducerIdAndEpoch txn_producer;
  };
  struct PartitionBuffer {
    std::unique_ptr<RecordBatchBuilder> builder;
    PendingBatch pending;
    int64_t first_append_ms = 0;
  };
  struct TopicState {
    int32_t partitions = 0;
    uint64_t partitions_version = 0;  // LogManager::partitions_version() when counted
    int32_t sticky = -1;  // partition for null keys
    std::vector<PartitionBuffer> buffers;
  };

  // kPrepared: a transaction is open but takes no more sends (prepared, or
  // kept by InitTransactions(keep_prepared)).
  enum class TxnPhase { kUninitialized, kReady, kInTransaction, kPrepared, kFatal };

  Result<TopicState*> TopicFor(const std::string& topic);
  // Registers `tp` with the open transaction before its first record.
  Status AddToTransactionLocked(const TopicPartition& tp);
  // A new producer id (idempotent) or epoch (transactional); sequences restart.
  Status InitProducerIdLocked(bool keep_prepared = false);
  Status EndTransaction(bool commit);
  // After the coordinator's EndTxn answered `st` (ok when nothing was
  // asked): fatal on fencing, else ready for the next transaction.
  Status AfterEndLocked(Status st);
  // Fatal for fencing errors; returns `st`.
  Status NoteFencingLocked(Status st);
  void SealLocked(TopicState& t, int32_t partition);
  void SenderLoop();
  void Complete(PendingBatch& batch, Result<AppendInfo>& result);

  LogManager* const log_;
  const ProducerConfig config_;

  mutable std::mutex mu_;
  std::condition_variable sender_cv_;  // work for the sender
  std::condition_variable space_cv_;   // buffer space or completion for senders/flushers
  std::unordered_map<std::string, TopicState> topics_;  // guarded by mu_
  std::deque<PendingBatch> ready_;                      // guarded by mu_
  size_t queued_bytes_ = 0;                             // guarded by mu_
  uint64_t sealed_ = 0;     // batches handed to the sender; guarded by mu_
  uint64_t completed_ = 0;  // batches appended or failed; guarded by mu_
  Status first_error_;      // guarded by mu_
  std::map<TopicPartition, Status> failed_partitions_;  // since the last Flush; guarded by mu_
  bool flush_requested_ = false;  // guarded by mu_
  bool closed_ = false;           // guarded by mu_
  uint32_t rng_ = 12345;          // sticky partition choice; guarded by mu_
  ProducerIdAndEpoch pid_;        // guarded by mu_
  Status pid_error_;              // why there is no producer id; guarded by mu_
  std::map<TopicPartition, int32_t> next_sequence_;  // guarded by mu_
  TxnPhase phase_ = TxnPhase::kUninitialized;        // guarded by mu_
  Status fatal_;                                     // once kFatal; guarded by mu_
  std::vector<TopicPartition> txn_partitions_;       // of the open transaction; guarded by mu_
  bool txn_offsets_ = false;      // offsets sent in the open transaction; guarded by mu_
  bool reinit_after_failure_ = false;  // an append failed: new id/epoch at the next Flush; guarded by mu_
  std::mutex txn_mu_;             // serializes the transaction calls
  std::thread sender_;
};

}  // namespace rivulet::log

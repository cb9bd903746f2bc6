// Producer: per-partition accumulation, the sender thread and completion.
#include "log/producer.h"

#include <algorithm>
#include <chrono>

#include "log/compression.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "log/txn_coordinator.h"
#include "log/murmur2.h"

namespace rivulet::log {

Producer::Producer(LogManager* log, ProducerConfig config)
    : log_(log), config_(config) {
  if (config_.enable_idempotence && !config_.transactional_id) {
    std::lock_guard<std::mutex> lock(mu_);
    pid_error_ = InitProducerIdLocked();
  }
  sender_ = std::thread([this] { SenderLoop(); });
}

Status Producer::InitProducerIdLocked(bool keep_prepared) {
  const InitOptions options{.two_phase = config_.two_phase_commit && config_.transactional_id.has_value(),
                            .keep_prepared = keep_prepared};
  auto r = log_->transactions().InitProducerId(config_.transactional_id, config_.transaction_timeout_ms, options);
  if (!r.ok()) return r.status();
  pid_ = *r;
  next_sequence_.clear();
  return Status::Ok();
}

ProducerIdAndEpoch Producer::producer_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pid_;
}

Producer::~Producer() { Close(); }

Result<Producer::TopicState*> Producer::TopicFor(const std::string& topic) {
  // Read before counting: a topic grown after this is seen next time.
  const uint64_t version = log_->partitions_version();
  auto it = topics_.find(topic);
  if (it != topics_.end() && it->second.partitions_version == version) return &it->second;
  int32_t n = 0;
  if (it == topics_.end()) {
    RIVULET_ASSIGN_OR_RETURN(n, log_->PartitionCount(topic, config_.auto_create_topics));
  } else {
    // Some topic gained partitions (AddPartitions): keys hash over the new
    // count from now on. A count gone (a deleted topic) is left to the appends.
    auto now = log_->PartitionCount(topic, false);
    n = now.ok() ? std::max(*now, it->second.partitions) : it->second.partitions;
  }
  TopicState& t = topics_[topic];
  t.partitions_version = version;
  t.buffers.resize(static_cast<size_t>(n));
  for (int32_t p = t.partitions; p < n; ++p) {
    t.buffers[static_cast<size_t>(p)].pending.tp = TopicPartition{topic, p};
  }
  t.partitions = n;
  return &t;
}

void Producer::SealLocked(TopicState& t, int32_t partition) {
  PartitionBuffer& b = t.buffers[static_cast<size_t>(partition)];
  if (!b.builder || b.builder->empty()) return;
  ProducerFields producer;
  if (pid_.id >= 0) {
    int32_t& seq = next_sequence_[b.pending.tp];
    producer = ProducerFields{pid_.id, pid_.epoch, seq, config_.transactional_id.has_value()};
    const int64_t next = static_cast<int64_t>(seq) + b.builder->count();
    seq = static_cast<int32_t>(next > INT32_MAX ? next - INT32_MAX - 1 : next);
  }
  b.pending.bytes = b.builder->Finish(producer);
  if (producer.transactional) b.pending.txn_producer = pid_;
  queued_bytes_ += b.pending.bytes.size();
  TopicPartition tp = b.pending.tp;
  ready_.push_back(std::move(b.pending));
  b.pending = PendingBatch{};
  b.pending.tp = std::move(tp);
  ++sealed_;
  if (partition == t.sticky && t.partitions > 1) {
    rng_ = rng_ * 1103515245u + 12345u;
    int32_t next = static_cast<int32_t>((rng_ >> 8) % static_cast<uint32_t>(t.partitions - 1));
    t.sticky = next >= partition ? next + 1 : next;
  }
  sender_cv_.notify_one();
}

Status Producer::Send(const std::string& topic, std::optional<std::string_view> key,
                      std::optional<std::string_view> value, SendCallback done, int32_t partition,
                      int64_t timestamp, std::span<const Header> headers) {
  const int64_t now = NowMs();
  if (timestamp < 0) timestamp = now;
  const size_t estimate = RecordBatchBuilder::EstimateRecordSize(key, value, headers);
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return Status(Errc::kClosed, "producer is closed");
  if (phase_ == TxnPhase::kFatal) return fatal_;
  if (!pid_error_.ok()) return pid_error_;
  if (phase_ == TxnPhase::kPrepared) {
    return Status(Errc::kInvalidTxnState, "the transaction is prepared: no more sends in it");
  }
  if (config_.transactional_id && phase_ != TxnPhase::kInTransaction) {
    return Status(Errc::kInvalidTxnState, "a transactional producer sends only inside a transaction "
                                          "(InitTransactions, then BeginTransaction)");
  }
  if (queued_bytes_ > config_.buffer_memory) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.max_block_ms);
    if (!space_cv_.wait_until(lock, deadline, [&] { return queued_bytes_ <= config_.buffer_memory || closed_; })) {
      return Status(Errc::kTimeout, "producer buffer full for " + std::to_string(config_.max_block_ms) + " ms");
    }
    if (closed_) return Status(Errc::kClosed, "producer is closed");
  }
  RIVULET_ASSIGN_OR_RETURN(TopicState * t, TopicFor(topic));
  if (partition >= t->partitions) {
    return Status(Errc::kInvalidArgument, "topic '" + topic + "' has no partition " +
                                              std::to_string(partition) + " (it has " +
                                              std::to_string(t->partitions) + ")");
  }
  if (partition < 0) {
    if (key) {
      partition = PartitionForKey(*key, t->partitions);
    } else {
      if (t->sticky < 0) {
        rng_ = rng_ * 1103515245u + 12345u;
        t->sticky = static_cast<int32_t>((rng_ >> 8) % static_cast<uint32_t>(t->partitions));
      }
      partition = t->sticky;
    }
  }
  PartitionBuffer& b = t->buffers[static_cast<size_t>(partition)];
  if (config_.transactional_id) RIVULET_RETURN_IF_ERROR(AddToTransactionLocked(b.pending.tp));
  if (!b.builder) b.builder = std::make_unique<RecordBatchBuilder>(config_.batch_size + 1024);
  if (!b.builder->empty() && b.builder->size_bytes() + estimate > config_.batch_size) {
    SealLocked(*t, partition);
  }
  if (b.builder->empty()) b.first_append_ms = now;
  b.builder->Append(timestamp, key, value, headers);
  if (done) {
    b.pending.callbacks.emplace_back(b.builder->count() - 1, std::move(done));
    b.pending.timestamps.push_back(timestamp);
  }
  if (b.builder->size_bytes() >= config_.batch_size) {
    SealLocked(*t, partition);
  } else if (b.builder->count() == 1) {
    sender_cv_.notify_one();  // start the linger clock
  }
  return Status::Ok();
}

std::future<Result<RecordMetadata>> Producer::SendWithFuture(const std::string& topic,
                                                             std::optional<std::string_view> key,
                                                             std::optional<std::string_view> value,
                                                             int32_t partition) {
  auto promise = std::make_shared<std::promise<Result<RecordMetadata>>>();
  auto future = promise->get_future();
  Status st = Send(topic, key, value,
                   [promise](const RecordMetadata& md, const Status& s) {
                     if (s.ok()) {
                       promise->set_value(md);
                     } else {
                       promise->set_value(s);
                     }
                   },
                   partition);
  if (!st.ok()) promise->set_value(st);
  return future;
}

void Producer::Complete(PendingBatch& batch, Result<AppendInfo>& result) {
  for (size_t i = 0; i < batch.callbacks.size(); ++i) {
    auto& [index, cb] = batch.callbacks[i];
    RecordMetadata md;
    md.tp = batch.tp;
    if (result.ok()) {
      md.offset = result->base_offset + index;
      md.timestamp = result->log_append_time >= 0 ? result->log_append_time : batch.timestamps[i];
      cb(md, Status::Ok());
    } else {
      cb(md, result.status());
    }
  }
}

void Producer::SenderLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // Seal batches whose linger time is over (or all, on flush / close).
    const int64_t now = NowMs();
    int64_t next_due = -1;
    for (auto& [name, t] : topics_) {
      for (int32_t p = 0; p < t.partitions; ++p) {
        PartitionBuffer& b = t.buffers[static_cast<size_t>(p)];
        if (!b.builder || b.builder->empty()) continue;
        const int64_t due = b.first_append_ms + config_.linger_ms;
        if (flush_requested_ || closed_ || now >= due) {
          SealLocked(t, p);
        } else if (next_due < 0 || due < next_due) {
          next_due = due;
        }
      }
    }
    flush_requested_ = false;
    if (ready_.empty()) {
      if (closed_) break;
      if (next_due < 0) {
        sender_cv_.wait(lock);
      } else {
        sender_cv_.wait_for(lock, std::chrono::milliseconds(next_due - now));
      }
      continue;
    }
    PendingBatch batch = std::move(ready_.front());
    ready_.pop_front();
    // After a failed append to a partition, later batches to it fail too
    // (until Flush), so that a failure never leaves a gap followed by
    // newer records.
    auto failed = failed_partitions_.find(batch.tp);
    std::optional<Status> refused;
    if (failed != failed_partitions_.end()) refused = failed->second;
    lock.unlock();
    // KIP-890's verification, as the broker applies it to Kafka clients: a
    // transactional batch of an epoch the coordinator has moved past is
    // refused even where no marker has told the partition yet (a
    // keep_prepared InitProducerId writes none).
    if (!refused && batch.txn_producer.id >= 0) {
      Status st = log_->transactions().VerifyTransactionalWrite(batch.txn_producer, batch.tp);
      if (!st.ok()) refused = std::move(st);
    }
    const size_t queued = batch.bytes.size();  // as counted in queued_bytes_
    if (!refused && config_.compression != Compression::kNone) {
      auto packed = CompressBatch(std::span<const char>(batch.bytes.data(), batch.bytes.size()), config_.compression);
      if (packed.ok()) {
        batch.bytes = std::move(*packed);
      } else {
        refused = packed.status();
      }
    }
    Result<AppendInfo> result =
        refused ? Result<AppendInfo>(*refused)
                : log_->Append(batch.tp, std::span<char>(batch.bytes.data(), batch.bytes.size()),
                               /*validate=*/false, config_.acks == ProducerConfig::Acks::kAllSync);
    Complete(batch, result);
    lock.lock();
    queued_bytes_ -= queued;
    ++completed_;
    if (!result.ok()) {
      if (first_error_.ok()) first_error_ = result.status();
      failed_partitions_.emplace(batch.tp, result.status());
      if (result.status().code() == Errc::kProducerFenced) {
        phase_ = TxnPhase::kFatal;
        fatal_ = result.status();
      }
      // The partition's sequence now runs ahead of what is stored.
      if (pid_.id >= 0) reinit_after_failure_ = true;
    }
    space_cv_.notify_all();
  }
}

Status Producer::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto& [name, t] : topics_) {
    for (int32_t p = 0; p < t.partitions; ++p) SealLocked(t, p);
  }
  const uint64_t target = sealed_;
  sender_cv_.notify_one();
  space_cv_.wait(lock, [&] { return completed_ >= target; });
  Status st = first_error_;
  first_error_ = Status::Ok();
  failed_partitions_.clear();
  if (reinit_after_failure_ && !config_.transactional_id && phase_ != TxnPhase::kFatal) {
    reinit_after_failure_ = false;
    pid_error_ = InitProducerIdLocked();
  }
  return st;
}

void Producer::Close() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (closed_) return;
  }
  (void)Flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  sender_cv_.notify_all();
  space_cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

Status Producer::AddToTransactionLocked(const TopicPartition& tp) {
  if (std::find(txn_partitions_.begin(), txn_partitions_.end(), tp) != txn_partitions_.end()) {
    return Status::Ok();
  }
  Status st = NoteFencingLocked(log_->transactions().AddPartitions(*config_.transactional_id, pid_, {tp}));
  if (st.ok()) txn_partitions_.push_back(tp);
  return st;
}

Status Producer::InitTransactions(bool keep_prepared) {
  std::lock_guard<std::mutex> txn(txn_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (!config_.transactional_id) return Status(Errc::kInvalidTxnState, "InitTransactions needs a transactional_id");
  if (keep_prepared && !config_.two_phase_commit) {
    return Status(Errc::kInvalidArgument, "keep_prepared needs ProducerConfig::two_phase_commit");
  }
  if (phase_ != TxnPhase::kUninitialized) {
    return Status(Errc::kInvalidTxnState, "InitTransactions was already called");
  }
  RIVULET_RETURN_IF_ERROR(InitProducerIdLocked(keep_prepared));
  phase_ = TxnPhase::kReady;
  if (!keep_prepared) return Status::Ok();
  // The kept transaction, if any: what EndTxn will end.
  auto d = log_->transactions().Describe(*config_.transactional_id);
  if (!d.ok()) return d.status();
  if (d->producer_id != pid_.id || d->epoch != pid_.epoch) {
    return NoteFencingLocked(Status(Errc::kProducerFenced, "transactional id '" + *config_.transactional_id +
                                                               "' was taken over by epoch " +
                                                               std::to_string(d->epoch)));
  }
  if (d->state == TxnState::kOngoing) {
    txn_partitions_ = d->partitions;
    txn_offsets_ = !d->groups.empty();
    phase_ = TxnPhase::kPrepared;
  }
  return Status::Ok();
}

Status Producer::BeginTransaction() {
  std::lock_guard<std::mutex> txn(txn_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (phase_ == TxnPhase::kFatal) return fatal_;
  if (phase_ != TxnPhase::kReady) {
    const char* why = phase_ == TxnPhase::kInTransaction ? "a transaction is already open"
                      : phase_ == TxnPhase::kPrepared
                          ? "a prepared transaction is open: commit, abort or complete it first"
                          : "BeginTransaction before InitTransactions";
    return Status(Errc::kInvalidTxnState, why);
  }
  txn_partitions_.clear();
  txn_offsets_ = false;
  phase_ = TxnPhase::kInTransaction;
  return Status::Ok();
}

Status Producer::SendOffsetsToTransaction(const std::map<TopicPartition, int64_t>& offsets,
                                          const std::string& group, const std::string& member_id,
                                          int32_t generation) {
  std::lock_guard<std::mutex> txn(txn_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (phase_ == TxnPhase::kFatal) return fatal_;
  if (phase_ == TxnPhase::kPrepared) return Status(Errc::kInvalidTxnState, "the transaction is prepared");
  if (phase_ != TxnPhase::kInTransaction) return Status(Errc::kInvalidTxnState, "no open transaction");
  auto& coordinator = log_->transactions();
  Status st = coordinator.AddOffsets(*config_.transactional_id, pid_, group);
  if (st.ok()) {
    std::vector<std::pair<TopicPartition, CommittedOffset>> entries;
    for (const auto& [tp, off] : offsets) entries.emplace_back(tp, CommittedOffset{off, "", 0});
    st = coordinator.TxnOffsetCommit(*config_.transactional_id, pid_, group, entries, member_id, generation);
  }
  (void)NoteFencingLocked(st);
  if (st.ok()) txn_offsets_ = true;
  return st;
}

Status Producer::CommitTransaction() {
  std::lock_guard<std::mutex> txn(txn_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ == TxnPhase::kFatal) return fatal_;
    if (phase_ != TxnPhase::kInTransaction && phase_ != TxnPhase::kPrepared) {
      return Status(Errc::kInvalidTxnState, "no open transaction");
    }
  }
  if (Status st = Flush(); !st.ok()) {
    return Status(st.code(), "the transaction cannot commit (abort it): " + st.message());
  }
  return EndTransaction(true);
}

Status Producer::AbortTransaction() {
  std::lock_guard<std::mutex> txn(txn_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ == TxnPhase::kFatal) return fatal_;
    if (phase_ != TxnPhase::kInTransaction && phase_ != TxnPhase::kPrepared) {
      return Status(Errc::kInvalidTxnState, "no open transaction");
    }
  }
  (void)Flush();  // what was sent is appended, then aborted by the marker
  return EndTransaction(false);
}

Result<PreparedTxn> Producer::PrepareTransaction() {
  std::lock_guard<std::mutex> txn(txn_mu_);
  std::vector<TopicPartition> partitions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (phase_ == TxnPhase::kFatal) return fatal_;
    if (!config_.two_phase_commit) {
      return Status(Errc::kInvalidTxnState, "PrepareTransaction needs ProducerConfig::two_phase_commit");
    }
    if (phase_ != TxnPhase::kInTransaction) {
      return Status(Errc::kInvalidTxnState, phase_ == TxnPhase::kPrepared ? "the transaction is already prepared"
                                                                          : "no open transaction");
    }
    phase_ = TxnPhase::kPrepared;  // from here Send refuses
    partitions = txn_partitions_;
  }
  // Durable against a machine crash too, since the sink will not write
  // these records again once its checkpoint holds the PreparedTxn. (The
  // coordinator fsyncs the state of a two-phase id's transaction itself.)
  Status st = Flush();
  if (st.ok() && config_.acks != ProducerConfig::Acks::kAllSync) {
    for (const TopicPartition& tp : partitions) {
      auto part = log_->GetPartition(tp);
      st = part.ok() ? (*part)->Flush() : part.status();
      if (!st.ok()) break;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!st.ok()) {
    if (phase_ == TxnPhase::kPrepared) phase_ = TxnPhase::kInTransaction;
    return Status(st.code(), "the transaction cannot be prepared (abort it): " + st.message());
  }
  auto d = log_->transactions().Describe(*config_.transactional_id);
  if (d.ok() && (d->producer_id != pid_.id || d->epoch != pid_.epoch)) {
    return NoteFencingLocked(Status(Errc::kProducerFenced, "transactional id '" + *config_.transactional_id +
                                                               "' was taken over by epoch " +
                                                               std::to_string(d->epoch)));
  }
  if (d.ok() && (!partitions.empty() || txn_offsets_) && d->state != TxnState::kOngoing) {
    d = Status(Errc::kInvalidTxnState, "the transaction of '" + *config_.transactional_id + "' is no longer open (" +
                                           TxnStateName(d->state) + ")");
  }
  if (!d.ok()) {
    phase_ = TxnPhase::kInTransaction;
    return d.status();
  }
  return PreparedTxn{pid_.id, pid_.epoch, d->txn_seq};
}

Status Producer::CompletePreparedTransaction(const PreparedTxn& prepared) {
  std::lock_guard<std::mutex> txn(txn_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  if (phase_ == TxnPhase::kFatal) return fatal_;
  if (!config_.two_phase_commit) {
    return Status(Errc::kInvalidTxnState, "CompletePreparedTransaction needs ProducerConfig::two_phase_commit");
  }
  if (phase_ != TxnPhase::kReady && phase_ != TxnPhase::kPrepared) {
    return Status(Errc::kInvalidTxnState, phase_ == TxnPhase::kInTransaction
                                              ? "a transaction of this producer is open and not prepared"
                                              : "CompletePreparedTransaction before InitTransactions");
  }
  auto& coordinator = log_->transactions();
  RIVULET_ASSIGN_OR_RETURN(std::optional<PreparedTxn> open, coordinator.OpenTransaction(*config_.transactional_id));
  Status st;
  if (open) {
    // The epoch may differ (InitTransactions bumped it); the number does not.
    const bool commit = open->producer_id == prepared.producer_id && open->txn_seq == prepared.txn_seq;
    st = coordinator.EndTxn(*config_.transactional_id, pid_, commit);
  }
  return AfterEndLocked(st);
}

Status Producer::NoteFencingLocked(Status st) {
  if (st.code() == Errc::kProducerFenced || st.code() == Errc::kInvalidProducerIdMapping) {
    phase_ = TxnPhase::kFatal;
    fatal_ = st;
  }
  return st;
}

Status Producer::EndTransaction(bool commit) {
  std::lock_guard<std::mutex> lock(mu_);
  Status st;
  if (!txn_partitions_.empty() || txn_offsets_) {
    st = log_->transactions().EndTxn(*config_.transactional_id, pid_, commit);
  }
  return AfterEndLocked(st);
}

Status Producer::AfterEndLocked(Status st) {
  RIVULET_RETURN_IF_ERROR(NoteFencingLocked(std::move(st)));
  txn_partitions_.clear();
  txn_offsets_ = false;
  phase_ = TxnPhase::kReady;
  if (reinit_after_failure_) {
    // A failed append left a sequence gap: a new epoch starts the sequences over.
    reinit_after_failure_ = false;
    RIVULET_RETURN_IF_ERROR(InitProducerIdLocked());
  }
  return Status::Ok();
}

}  // namespace rivulet::log

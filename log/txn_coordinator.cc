// The transaction coordinator; see txn_coordinator.h.
#include "log/txn_coordinator.h"

#include <algorithm>

#include "base/logging.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "proto/rivulet_metadata.pb.h"

// GCC 12 warns that the key of a RecordView filled by NextGeneral may be
// used uninitialized after it returned true: its false positive for
// std::optional (GCC bug 80635); every path that returns true sets it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace rivulet::log {
namespace {

constexpr char kPidKey[] = "producer-ids";
constexpr char kTxnKeyPrefix[] = "txn/";
constexpr ProducerId kPidBlockSize = 1000;
// The last epoch handed out before a transactional id moves to a new
// producer id (Kafka keeps Short.MAX_VALUE for itself).
constexpr ProducerEpoch kMaxEpoch = INT16_MAX - 1;

}  // namespace

const char* TxnStateName(TxnState s) {
  switch (s) {
    case TxnState::kEmpty: return "Empty";
    case TxnState::kOngoing: return "Ongoing";
    case TxnState::kPrepareCommit: return "PrepareCommit";
    case TxnState::kPrepareAbort: return "PrepareAbort";
    case TxnState::kCompleteCommit: return "CompleteCommit";
    case TxnState::kCompleteAbort: return "CompleteAbort";
  }
  return "Unknown";
}

struct TransactionCoordinator::Txn {
  std::mutex mu;  // held across this id's log writes
  std::string id;
  ProducerId producer_id = kNoProducerId;
  ProducerEpoch epoch = kNoProducerEpoch;
  int32_t timeout_ms = 60000;
  bool two_phase = false;
  int64_t txn_seq = 0;  // of the open transaction, or else of the last one
  TxnState state = TxnState::kEmpty;
  std::vector<TopicPartition> partitions;
  std::vector<std::string> groups;
  std::vector<std::pair<std::string, std::pair<TopicPartition, CommittedOffset>>> offsets;
  int64_t start_ms = -1;
  int64_t update_ms = -1;
};

TransactionCoordinator::TransactionCoordinator(std::string dir, LogManager* log, TxnOptions options)
    : dir_(std::move(dir)), log_(log), options_(options) {}

TransactionCoordinator::~TransactionCoordinator() = default;

Result<std::unique_ptr<TransactionCoordinator>> TransactionCoordinator::Open(const std::string& dir, LogManager* log,
                                                                             TxnOptions options) {
  std::unique_ptr<TransactionCoordinator> c(new TransactionCoordinator(dir, log, options));
  TopicConfig config;
  config.segment_bytes = 64 << 20;
  RIVULET_ASSIGN_OR_RETURN(auto part, Partition::Open(dir, TopicPartition{"__transaction_state", 0}, config, nullptr));
  c->txn_log_ = std::move(part);
  RIVULET_RETURN_IF_ERROR(c->Replay());
  // Recovery: finish what was prepared, abort what was open (but the
  // transactions of two-phase ids: their producers decide).
  auto logger = GetLogger("log");
  for (auto& [id, t] : c->txns_) {
    std::lock_guard<std::mutex> lock(t->mu);
    Status st;
    if (t->state == TxnState::kPrepareCommit || t->state == TxnState::kPrepareAbort) {
      logger->info("transaction {}: completing {} after restart", id, TxnStateName(t->state));
      st = c->CompleteLocked(*t);
    } else if (t->state == TxnState::kOngoing && t->two_phase) {
      logger->info("transaction {}: two-phase transaction {} kept open after restart for its producer to end", id,
                   t->txn_seq);
    } else if (t->state == TxnState::kOngoing) {
      logger->info("transaction {}: aborting the transaction left open before restart", id);
      st = c->FenceAndAbortLocked(*t);
    }
    if (!st.ok()) logger->error("transaction {}: recovery: {} (retried later)", id, st.ToString());
  }
  c->AbortHangingTransactions();
  if (auto compacted = c->MaybeCompact(); !compacted.ok()) {
    logger->warn("transaction log compaction: {} (retried later)", compacted.status().ToString());
  }
  return c;
}

void TransactionCoordinator::AbortHangingTransactions() {
  // After the recovery above only the transactions of two-phase ids are
  // Ongoing, so any other transaction still open in a partition is one the
  // transaction log lost (a machine crash before its Ongoing record reached
  // the disk) or never knew: abort it there, or it would hold that
  // partition's last stable offset forever. (The Ongoing records of
  // two-phase ids are fsynced, so none of theirs is lost.)
  std::map<ProducerId, std::vector<TopicPartition>> kept;
  for (const auto& t : AllTxns()) {
    std::lock_guard<std::mutex> lock(t->mu);
    if (t->state == TxnState::kOngoing && t->two_phase) kept[t->producer_id] = t->partitions;
  }
  auto logger = GetLogger("log");
  for (const std::string& topic : log_->ListTopics()) {
    auto n = log_->PartitionCount(topic);
    if (!n.ok()) continue;
    for (int32_t p = 0; p < *n; ++p) {
      auto part = log_->GetPartition({topic, p});
      if (!part.ok()) continue;
      for (const ProducerDescription& d : (*part)->DescribeProducers()) {
        if (d.current_txn_start_offset < 0) continue;
        if (auto k = kept.find(d.producer_id); k != kept.end()) {
          const TopicPartition tp{topic, p};
          if (std::find(k->second.begin(), k->second.end(), tp) != k->second.end()) continue;
        }
        logger->warn("{}: aborting a transaction of producer {} open since offset {} that no transactional id holds",
                     (*part)->topic_partition().ToString(), d.producer_id, d.current_txn_start_offset);
        auto r = (*part)->AppendMarker(ProducerFields{d.producer_id, d.epoch, kNoSequence, true}, ControlType::kAbort, 0);
        if (!r.ok()) logger->error("{}: {}", (*part)->topic_partition().ToString(), r.status().ToString());
      }
    }
  }
}

Status TransactionCoordinator::Replay() {
  int64_t offset = txn_log_->log_start_offset();
  const int64_t end = txn_log_->log_end_offset();
  while (offset < end) {
    RIVULET_ASSIGN_OR_RETURN(ReadResult r, txn_log_->Read(offset, 1 << 20));
    if (r.bytes.empty()) break;
    std::span<const char> rest(r.bytes.data(), r.bytes.size());
    while (!rest.empty()) {
      auto h = ValidateBatch(rest);
      if (!h.ok()) {
        if (rest.size() < r.bytes.size()) break;  // a partial batch at the end of this read
        return Status(Errc::kCorruption, "transaction log at offset " + std::to_string(offset) + ": " +
                                             h.status().message());
      }
      auto reader = RecordReader::ForBatch(*h, rest);
      RecordView rec;
      while (reader.NextGeneral(&rec)) {
        ++records_;
        if (!rec.key || !rec.value) continue;
        if (*rec.key == kPidKey) {
          proto::ProducerIdBlock b;
          if (!b.ParseFromArray(rec.value->data(), static_cast<int>(rec.value->size()))) continue;
          next_pid_ = block_end_ = std::max(block_end_, b.next());
        } else if (rec.key->starts_with(kTxnKeyPrefix)) {
          proto::TransactionState s;
          if (!s.ParseFromArray(rec.value->data(), static_cast<int>(rec.value->size()))) {
            GetLogger("log")->error("transaction log offset {}: unreadable state; skipped", rec.offset);
            continue;
          }
          auto t = std::make_shared<Txn>();
          t->id = s.transactional_id();
          t->producer_id = s.producer_id();
          t->epoch = static_cast<ProducerEpoch>(s.producer_epoch());
          t->timeout_ms = s.timeout_ms();
          t->two_phase = s.two_phase();
          t->txn_seq = s.txn_seq();
          t->state = static_cast<TxnState>(s.state());
          for (const auto& p : s.partitions()) t->partitions.push_back(TopicPartition{p.topic(), p.partition()});
          for (const auto& g : s.groups()) t->groups.push_back(g);
          for (const auto& o : s.offsets()) {
            t->offsets.push_back({o.group(), {TopicPartition{o.topic(), o.partition()},
                                              CommittedOffset{o.offset(), o.metadata(), 0}}});
          }
          t->start_ms = s.start_ms();
          t->update_ms = s.update_ms();
          by_producer_[t->producer_id] = t;
          txns_[t->id] = std::move(t);
        }
      }
      RIVULET_RETURN_IF_ERROR(reader.status());
      offset = h->next_offset();
      rest = rest.subspan(h->total_size());
    }
  }
  return Status::Ok();
}

std::vector<std::shared_ptr<TransactionCoordinator::Txn>> TransactionCoordinator::AllTxns() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Txn>> all;
  all.reserve(txns_.size());
  for (const auto& [id, t] : txns_) all.push_back(t);
  return all;
}

Result<ProducerId> TransactionCoordinator::AllocateProducerId() {
  std::lock_guard<std::mutex> lock(pid_mu_);
  if (next_pid_ >= block_end_) {
    RIVULET_RETURN_IF_ERROR(WritePidBlockLocked(block_end_ + kPidBlockSize));
    block_end_ += kPidBlockSize;
  }
  return next_pid_++;
}

Status TransactionCoordinator::WritePidBlockLocked(ProducerId next) {
  proto::ProducerIdBlock b;
  b.set_next(next);
  return AppendRecord(kPidKey, b.SerializeAsString(), true);
}

Status TransactionCoordinator::AppendRecord(const std::string& key, const std::string& value, bool sync) {
  RecordBatchBuilder builder(key.size() + value.size() + 128);
  builder.Append(NowMs(), key, value);
  std::string batch = builder.Finish();
  RIVULET_RETURN_IF_ERROR(txn_log_->Append(std::span<char>(batch.data(), batch.size()), false, sync && options_.sync).status());
  ++records_;
  return Status::Ok();
}

Result<bool> TransactionCoordinator::MaybeCompact() {
  size_t live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    live = txns_.size() + 1;
  }
  if (records_.load() <= options_.compact_slack_records + 2 * static_cast<int64_t>(live)) return false;
  std::lock_guard<std::mutex> compacting(compact_mu_);
  const int64_t before = records_.load();
  // Everything below `base` is superseded by what is written after it: each
  // id's current state, written under its own lock (so no newer state of it
  // can land before), and the producer-id block.
  RIVULET_ASSIGN_OR_RETURN(int64_t base, txn_log_->Roll());
  const std::vector<std::shared_ptr<Txn>> all = AllTxns();
  records_ = 0;
  for (const auto& t : all) {
    std::lock_guard<std::mutex> lock(t->mu);
    if (t->producer_id >= 0) RIVULET_RETURN_IF_ERROR(PersistLocked(*t, t->state));
  }
  {
    std::lock_guard<std::mutex> lock(pid_mu_);
    RIVULET_RETURN_IF_ERROR(WritePidBlockLocked(block_end_));
  }
  RIVULET_RETURN_IF_ERROR(txn_log_->DeleteSegmentsBefore(base));
  GetLogger("log")->info("transaction log compacted: {} records before, {} after", before, records_.load());
  return true;
}

Status TransactionCoordinator::PersistLocked(Txn& t, TxnState state) {
  // Only the decisions are fsynced: a new epoch (Empty, from
  // InitProducerId) and PrepareCommit / PrepareAbort. Lost in a machine
  // crash, an Ongoing record leaves at worst a transaction the log does not
  // know, which Open aborts in every partition (AbortHangingTransactions);
  // a Complete* record, a prepared state completed again on open, whose
  // markers rewritten are harmless (no later transaction of the producer
  // can precede one of its own fsynced records in this one file).
  // The Ongoing records of a two-phase id are fsynced too: its transaction
  // must outlive a machine crash whole, partitions and epoch included.
  const bool sync = state == TxnState::kEmpty || state == TxnState::kPrepareCommit ||
                    state == TxnState::kPrepareAbort || (state == TxnState::kOngoing && t.two_phase);
  proto::TransactionState s;
  s.set_transactional_id(t.id);
  s.set_producer_id(t.producer_id);
  s.set_producer_epoch(t.epoch);
  s.set_timeout_ms(t.timeout_ms);
  s.set_two_phase(t.two_phase);
  s.set_txn_seq(t.txn_seq);
  s.set_state(static_cast<int32_t>(state));
  for (const auto& tp : t.partitions) {
    auto* p = s.add_partitions();
    p->set_topic(tp.topic);
    p->set_partition(tp.partition);
  }
  for (const auto& g : t.groups) s.add_groups(g);
  for (const auto& [group, o] : t.offsets) {
    auto* p = s.add_offsets();
    p->set_group(group);
    p->set_topic(o.first.topic);
    p->set_partition(o.first.partition);
    p->set_offset(o.second.offset);
    p->set_metadata(o.second.metadata);
  }
  const int64_t now = NowMs();
  s.set_start_ms(t.start_ms);
  s.set_update_ms(now);
  RIVULET_RETURN_IF_ERROR(AppendRecord(kTxnKeyPrefix + t.id, s.SerializeAsString(), sync));
  t.state = state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = txns_.find(t.id);
    if (it != txns_.end()) by_producer_[t.producer_id] = it->second;
  }
  t.update_ms = now;
  return Status::Ok();
}

Result<std::shared_ptr<TransactionCoordinator::Txn>> TransactionCoordinator::Lookup(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = txns_.find(id);
  if (it == txns_.end()) return Status(Errc::kNotFound, "unknown transactional id '" + id + "'");
  return it->second;
}

Status TransactionCoordinator::CheckProducerLocked(const Txn& t, ProducerIdAndEpoch producer) const {
  if (producer.id != t.producer_id) {
    return Status(Errc::kInvalidProducerIdMapping, "producer id " + std::to_string(producer.id) +
                                                       " is not the current one of transactional id '" + t.id + "'");
  }
  if (producer.epoch != t.epoch) {
    return Status(Errc::kProducerFenced, "producer epoch " + std::to_string(producer.epoch) + " of '" + t.id +
                                             "' is fenced by epoch " + std::to_string(t.epoch));
  }
  return Status::Ok();
}

Result<ProducerIdAndEpoch> TransactionCoordinator::InitProducerId(const std::optional<std::string>& transactional_id,
                                                                  int32_t timeout_ms, InitOptions options) {
  if (options.keep_prepared && !options.two_phase) {
    return Status(Errc::kInvalidArgument, "keep_prepared is for two-phase transactional ids only");
  }
  if (!transactional_id) {
    RIVULET_ASSIGN_OR_RETURN(ProducerId id, AllocateProducerId());
    return ProducerIdAndEpoch{id, 0};
  }
  if (transactional_id->empty()) return Status(Errc::kInvalidArgument, "empty transactional id");
  if (timeout_ms <= 0 || timeout_ms > options_.max_timeout_ms) {
    return Status(Errc::kInvalidTransactionTimeout, "transaction.timeout.ms " + std::to_string(timeout_ms) +
                                                        " is outside (0, " + std::to_string(options_.max_timeout_ms) +
                                                        "] (transaction.max.timeout.ms)");
  }
  std::shared_ptr<Txn> t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = txns_[*transactional_id];
    if (!slot) {
      slot = std::make_shared<Txn>();
      slot->id = *transactional_id;
    }
    t = slot;
  }
  std::lock_guard<std::mutex> lock(t->mu);
  if (t->producer_id < 0) {
    RIVULET_ASSIGN_OR_RETURN(t->producer_id, AllocateProducerId());
    t->epoch = 0;
    t->timeout_ms = timeout_ms;
    t->two_phase = options.two_phase;
    RIVULET_RETURN_IF_ERROR(PersistLocked(*t, TxnState::kEmpty));
    return ProducerIdAndEpoch{t->producer_id, t->epoch};
  }
  bool bumped = false;
  if (t->state == TxnState::kPrepareCommit || t->state == TxnState::kPrepareAbort) {
    RIVULET_RETURN_IF_ERROR(CompleteLocked(*t));
  } else if (t->state == TxnState::kOngoing) {
    // Only a transaction opened under two-phase is kept: any other may have
    // been left past its timeout, and was never prepared.
    if (options.keep_prepared && t->two_phase) return FenceAndKeepLocked(*t, timeout_ms);
    RIVULET_RETURN_IF_ERROR(FenceAndAbortLocked(*t));
    bumped = true;
  }
  const ProducerId old_id = t->producer_id;
  const ProducerEpoch old_epoch = t->epoch;
  const bool old_two_phase = t->two_phase;
  if (!bumped) {
    if (t->epoch >= kMaxEpoch) {
      RIVULET_ASSIGN_OR_RETURN(t->producer_id, AllocateProducerId());
      t->epoch = 0;
    } else {
      ++t->epoch;
    }
  }
  t->timeout_ms = timeout_ms;
  t->two_phase = options.two_phase;
  t->partitions.clear();
  t->groups.clear();
  t->offsets.clear();
  t->start_ms = -1;
  if (Status st = PersistLocked(*t, TxnState::kEmpty); !st.ok()) {
    if (!bumped) {
      t->producer_id = old_id;
      t->epoch = old_epoch;
    }
    t->two_phase = old_two_phase;
    return st;
  }
  return ProducerIdAndEpoch{t->producer_id, t->epoch};
}

Result<ProducerIdAndEpoch> TransactionCoordinator::FenceAndKeepLocked(Txn& t, int32_t timeout_ms) {
  // The producer id stays: the transaction's records carry it, and so must
  // its markers. The partitions accept those markers at the new epoch (a
  // marker needs an epoch no older than the producer's there). Until a
  // marker is written they know only the old epoch: it is
  // VerifyTransactionalWrite that refuses the old producer's writes.
  if (t.epoch >= kMaxEpoch) {
    return Status(Errc::kInvalidTxnState, "transactional id '" + t.id + "' is at its last epoch (" +
                                              std::to_string(t.epoch) +
                                              "): its open transaction cannot be kept (InitProducerId without "
                                              "keep_prepared aborts it)");
  }
  const ProducerEpoch old_epoch = t.epoch;
  const int32_t old_timeout = t.timeout_ms;
  ++t.epoch;
  t.timeout_ms = timeout_ms;
  if (Status st = PersistLocked(t, TxnState::kOngoing); !st.ok()) {
    t.epoch = old_epoch;
    t.timeout_ms = old_timeout;
    return st;
  }
  GetLogger("log")->info("transaction {}: two-phase transaction {} handed to epoch {}", t.id, t.txn_seq, t.epoch);
  return ProducerIdAndEpoch{t.producer_id, t.epoch};
}

Result<std::optional<PreparedTxn>> TransactionCoordinator::OpenTransaction(const std::string& transactional_id) const {
  RIVULET_ASSIGN_OR_RETURN(auto t, Lookup(transactional_id));
  std::lock_guard<std::mutex> lock(t->mu);
  if (t->producer_id < 0) return Status(Errc::kNotFound, "unknown transactional id '" + transactional_id + "'");
  if (t->state != TxnState::kOngoing) return std::optional<PreparedTxn>();
  return std::optional<PreparedTxn>(PreparedTxn{t->producer_id, t->epoch, t->txn_seq});
}

Status TransactionCoordinator::BeginIfNeededLocked(Txn& t) {
  switch (t.state) {
    case TxnState::kOngoing: return Status::Ok();
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort:
      return Status(Errc::kInvalidTxnState, "transaction of '" + t.id + "' is completing (" +
                                                TxnStateName(t.state) + ")");
    default:
      t.partitions.clear();
      t.groups.clear();
      t.offsets.clear();
      t.start_ms = NowMs();
      ++t.txn_seq;
      return Status::Ok();
  }
}

Status TransactionCoordinator::AddPartitions(const std::string& transactional_id, ProducerIdAndEpoch producer,
                                             const std::vector<TopicPartition>& partitions) {
  RIVULET_ASSIGN_OR_RETURN(auto t, Lookup(transactional_id));
  for (const auto& tp : partitions) RIVULET_RETURN_IF_ERROR(log_->GetPartition(tp).status());
  std::lock_guard<std::mutex> lock(t->mu);
  RIVULET_RETURN_IF_ERROR(CheckProducerLocked(*t, producer));
  const bool was_ongoing = t->state == TxnState::kOngoing;
  const auto saved_groups = t->groups;
  const auto saved_partitions = t->partitions;
  const auto saved_offsets = t->offsets;
  const int64_t saved_start = t->start_ms;
  const int64_t saved_seq = t->txn_seq;
  RIVULET_RETURN_IF_ERROR(BeginIfNeededLocked(*t));
  bool added = false;
  for (const auto& tp : partitions) {
    if (std::find(t->partitions.begin(), t->partitions.end(), tp) == t->partitions.end()) {
      t->partitions.push_back(tp);
      added = true;
    }
  }
  if (was_ongoing && !added) return Status::Ok();
  Status st = PersistLocked(*t, TxnState::kOngoing);
  if (!st.ok()) {
    t->groups = saved_groups;
    t->partitions = saved_partitions;
    t->offsets = saved_offsets;
    t->start_ms = saved_start;
    t->txn_seq = saved_seq;
  }
  return st;
}

Status TransactionCoordinator::AddOffsets(const std::string& transactional_id, ProducerIdAndEpoch producer,
                                          const std::string& group) {
  if (group.empty()) return Status(Errc::kInvalidArgument, "empty group id");
  RIVULET_ASSIGN_OR_RETURN(auto t, Lookup(transactional_id));
  std::lock_guard<std::mutex> lock(t->mu);
  RIVULET_RETURN_IF_ERROR(CheckProducerLocked(*t, producer));
  const bool was_ongoing = t->state == TxnState::kOngoing;
  const auto saved_groups = t->groups;
  const auto saved_partitions = t->partitions;
  const auto saved_offsets = t->offsets;
  const int64_t saved_start = t->start_ms;
  const int64_t saved_seq = t->txn_seq;
  RIVULET_RETURN_IF_ERROR(BeginIfNeededLocked(*t));
  const bool added = std::find(t->groups.begin(), t->groups.end(), group) == t->groups.end();
  if (added) t->groups.push_back(group);
  if (was_ongoing && !added) return Status::Ok();
  Status st = PersistLocked(*t, TxnState::kOngoing);
  if (!st.ok()) {
    t->groups = saved_groups;
    t->partitions = saved_partitions;
    t->offsets = saved_offsets;
    t->start_ms = saved_start;
    t->txn_seq = saved_seq;
  }
  return st;
}

Status TransactionCoordinator::TxnOffsetCommit(const std::string& transactional_id, ProducerIdAndEpoch producer,
                                               const std::string& group,
                                               const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets,
                                               const std::string& member_id, int32_t generation) {
  if (!member_id.empty() || generation >= 0) {
    const Errc e = log_->groups().ValidateMember(group, member_id, generation);
    if (e != Errc::kOk) {
      return Status(e, "member '" + member_id + "' generation " + std::to_string(generation) +
                           " is not current in group '" + group + "'");
    }
  }
  RIVULET_ASSIGN_OR_RETURN(auto t, Lookup(transactional_id));
  std::lock_guard<std::mutex> lock(t->mu);
  RIVULET_RETURN_IF_ERROR(CheckProducerLocked(*t, producer));
  if (t->state != TxnState::kOngoing ||
      std::find(t->groups.begin(), t->groups.end(), group) == t->groups.end()) {
    return Status(Errc::kInvalidTxnState, "group '" + group + "' is not part of the open transaction of '" +
                                              t->id + "' (AddOffsetsToTxn first)");
  }
  const auto saved = t->offsets;
  for (const auto& [tp, o] : offsets) {
    auto it = std::find_if(t->offsets.begin(), t->offsets.end(),
                           [&](const auto& e) { return e.first == group && e.second.first == tp; });
    if (it != t->offsets.end()) {
      it->second.second = o;
    } else {
      t->offsets.push_back({group, {tp, o}});
    }
  }
  Status st = PersistLocked(*t, TxnState::kOngoing);
  if (!st.ok()) t->offsets = saved;
  return st;
}

Status TransactionCoordinator::EndTxn(const std::string& transactional_id, ProducerIdAndEpoch producer, bool commit) {
  RIVULET_ASSIGN_OR_RETURN(auto t, Lookup(transactional_id));
  std::lock_guard<std::mutex> lock(t->mu);
  RIVULET_RETURN_IF_ERROR(CheckProducerLocked(*t, producer));
  switch (t->state) {
    case TxnState::kOngoing: return EndLocked(*t, commit);
    case TxnState::kPrepareCommit:
    case TxnState::kPrepareAbort:
      if ((t->state == TxnState::kPrepareCommit) != commit) break;
      return CompleteLocked(*t);
    case TxnState::kCompleteCommit:
    case TxnState::kCompleteAbort:
      if ((t->state == TxnState::kCompleteCommit) != commit) break;
      return Status::Ok();  // a retry
    case TxnState::kEmpty:
      // Nothing was added: there is nothing to end (Kafka answers this too).
      break;
  }
  return Status(Errc::kInvalidTxnState, std::string(commit ? "commit" : "abort") + " of '" + t->id +
                                            "' in state " + TxnStateName(t->state));
}

Status TransactionCoordinator::EndLocked(Txn& t, bool commit) {
  RIVULET_RETURN_IF_ERROR(PersistLocked(t, commit ? TxnState::kPrepareCommit : TxnState::kPrepareAbort));
  return CompleteLocked(t);
}

Status TransactionCoordinator::CompleteLocked(Txn& t) {
  const bool commit = t.state == TxnState::kPrepareCommit;
  const ProducerFields producer{t.producer_id, t.epoch, kNoSequence, true};
  for (const auto& tp : t.partitions) {
    auto part = log_->GetPartition(tp);
    if (!part.ok()) {
      GetLogger("log")->warn("transaction {}: no marker for {}: {}", t.id, tp.ToString(), part.status().ToString());
      continue;
    }
    auto r = (*part)->AppendMarker(producer, commit ? ControlType::kCommit : ControlType::kAbort, 0);
    if (!r.ok()) return Status(r.status().code(), "marker for " + tp.ToString() + ": " + r.status().message());
  }
  if (commit) {
    std::map<std::string, std::vector<std::pair<TopicPartition, CommittedOffset>>> by_group;
    for (const auto& [group, o] : t.offsets) by_group[group].push_back(o);
    for (const auto& [group, offsets] : by_group) {
      RIVULET_RETURN_IF_ERROR(log_->groups().CommitTransactionalOffsets(group, offsets));
    }
  }
  log_->NotifyData();
  return PersistLocked(t, commit ? TxnState::kCompleteCommit : TxnState::kCompleteAbort);
}

Status TransactionCoordinator::FenceAndAbortLocked(Txn& t) {
  // The markers carry the bumped epoch, so the partitions fence the old
  // producer too. At the last epoch the id stays there; InitProducerId
  // moves the transactional id to a new producer id next.
  const ProducerEpoch old = t.epoch;
  if (t.epoch < kMaxEpoch) ++t.epoch;
  if (Status st = PersistLocked(t, TxnState::kPrepareAbort); !st.ok()) {
    t.epoch = old;
    return st;
  }
  return CompleteLocked(t);
}

int TransactionCoordinator::AbortExpired(int64_t now_ms) {
  const std::vector<std::shared_ptr<Txn>> all = AllTxns();
  int aborted = 0;
  for (const auto& t : all) {
    std::unique_lock<std::mutex> lock(t->mu, std::try_to_lock);
    if (!lock.owns_lock()) continue;  // busy: not abandoned
    Status st;
    if (t->state == TxnState::kOngoing && !t->two_phase && t->start_ms >= 0 &&
        now_ms - t->start_ms > t->timeout_ms) {
      GetLogger("log")->warn("transaction {}: open for {} ms, past its timeout of {} ms; aborting", t->id,
                             now_ms - t->start_ms, t->timeout_ms);
      st = FenceAndAbortLocked(*t);
      if (st.ok()) ++aborted;
    } else if (t->state == TxnState::kPrepareCommit || t->state == TxnState::kPrepareAbort) {
      st = CompleteLocked(*t);
    }
    if (!st.ok()) GetLogger("log")->error("transaction {}: {}", t->id, st.ToString());
  }
  if (auto compacted = MaybeCompact(); !compacted.ok()) {
    GetLogger("log")->warn("transaction log compaction: {} (retried later)", compacted.status().ToString());
  }
  return aborted;
}

Status TransactionCoordinator::VerifyTransactionalWrite(ProducerIdAndEpoch producer, const TopicPartition& tp) const {
  std::shared_ptr<Txn> t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_producer_.find(producer.id);
    if (it != by_producer_.end()) t = it->second;
  }
  if (!t) {
    return Status(Errc::kInvalidProducerIdMapping,
                  "producer id " + std::to_string(producer.id) + " has no transactional id");
  }
  std::lock_guard<std::mutex> lock(t->mu);
  if (t->producer_id == producer.id && producer.epoch < t->epoch) {
    return Status(Errc::kProducerFenced, "producer epoch " + std::to_string(producer.epoch) + " of '" + t->id +
                                             "' is fenced by epoch " + std::to_string(t->epoch));
  }
  if (t->producer_id != producer.id || t->epoch != producer.epoch || t->state != TxnState::kOngoing ||
      std::find(t->partitions.begin(), t->partitions.end(), tp) == t->partitions.end()) {
    return Status(Errc::kInvalidTxnState, tp.ToString() + " is not in the open transaction of '" + t->id + "'");
  }
  return Status::Ok();
}

bool TransactionCoordinator::HasPendingOffsets(const std::string& group, const TopicPartition& tp) const {
  const std::vector<std::shared_ptr<Txn>> all = AllTxns();
  for (const auto& t : all) {
    std::lock_guard<std::mutex> lock(t->mu);
    if (t->state != TxnState::kOngoing && t->state != TxnState::kPrepareCommit) continue;
    for (const auto& [g, o] : t->offsets) {
      if (g == group && o.first == tp) return true;
    }
  }
  return false;
}

TxnDescription TransactionCoordinator::DescribeLocked(const Txn& t) const {
  TxnDescription d;
  d.transactional_id = t.id;
  d.state = t.state;
  d.producer_id = t.producer_id;
  d.epoch = t.epoch;
  d.timeout_ms = t.timeout_ms;
  d.two_phase = t.two_phase;
  d.txn_seq = t.txn_seq;
  d.start_ms = t.state == TxnState::kOngoing ? t.start_ms : -1;
  d.update_ms = t.update_ms;
  d.partitions = t.partitions;
  d.groups = t.groups;
  return d;
}

std::vector<TxnDescription> TransactionCoordinator::List() const {
  const std::vector<std::shared_ptr<Txn>> all = AllTxns();
  std::vector<TxnDescription> out;
  for (const auto& t : all) {
    std::lock_guard<std::mutex> lock(t->mu);
    if (t->producer_id >= 0) out.push_back(DescribeLocked(*t));
  }
  return out;
}

Result<TxnDescription> TransactionCoordinator::Describe(const std::string& transactional_id) const {
  RIVULET_ASSIGN_OR_RETURN(auto t, Lookup(transactional_id));
  std::lock_guard<std::mutex> lock(t->mu);
  if (t->producer_id < 0) return Status(Errc::kNotFound, "unknown transactional id '" + transactional_id + "'");
  return DescribeLocked(*t);
}

}  // namespace rivulet::log

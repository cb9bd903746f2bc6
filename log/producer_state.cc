// Producer state of a partition: sequence checks, transactions, snapshots;
// see producer_state.h. The rules follow Kafka's (KIP-98).
#include "log/producer_state.h"

#include "base/crc32c.h"
#include "log/varint.h"
#include "proto/rivulet_metadata.pb.h"

namespace rivulet::log {
namespace {

int32_t NextSequence(int32_t seq) { return seq == INT32_MAX ? 0 : seq + 1; }

std::string Describe(const BatchHeader& h) {
  return "producer " + std::to_string(h.producer_id) + " epoch " + std::to_string(h.producer_epoch) +
         " sequence " + std::to_string(h.base_sequence);
}

}  // namespace

const ProducerEntry* ProducerStateManager::Find(ProducerId id, const Staged& staged) const {
  if (auto it = staged.entries_.find(id); it != staged.entries_.end()) return &it->second;
  if (auto it = producers_.find(id); it != producers_.end()) return &it->second;
  return nullptr;
}

Result<BatchCheck> ProducerStateManager::CheckAndStage(const BatchHeader& h, std::optional<ControlType> control,
                                                       Staged* staged) const {
  BatchCheck out{false, h.base_offset, h.last_offset()};
  if (!h.has_producer_id()) {
    if (h.is_transactional() || h.is_control()) {
      return Status(Errc::kInvalidArgument, "transactional batch without a producer id");
    }
    return out;
  }
  const ProducerEntry* e = Find(h.producer_id, *staged);
  if (e && h.producer_epoch < e->epoch) {
    return Status(Errc::kProducerFenced, Describe(h) + " is older than the current epoch " +
                                             std::to_string(e->epoch));
  }
  if (!h.is_control()) {
    const bool new_epoch = !e || h.producer_epoch != e->epoch || e->batches.empty();
    if (new_epoch) {
      if (h.base_sequence != 0) {
        return Status(Errc::kOutOfOrderSequence,
                      Describe(h) + ": expected sequence 0 for a new producer or epoch");
      }
    } else {
      for (const ProducerBatch& b : e->batches) {
        if (b.first_seq == h.base_sequence && b.last_seq == h.last_sequence()) {
          return BatchCheck{true, b.first_offset, b.last_offset};
        }
      }
      const int32_t expected = NextSequence(e->batches.back().last_seq);
      if (h.base_sequence != expected) {
        return Status(Errc::kOutOfOrderSequence,
                      Describe(h) + ": expected sequence " + std::to_string(expected));
      }
    }
  }
  ProducerEntry next = e ? *e : ProducerEntry{};
  ApplyTo(next, h, control, &staged->aborted_);
  staged->entries_[h.producer_id] = std::move(next);
  return out;
}

void ProducerStateManager::ApplyTo(ProducerEntry& e, const BatchHeader& h, std::optional<ControlType> control,
                                   std::vector<AbortedTxn>* aborted) {
  if (h.producer_epoch != e.epoch) {
    e.batches.clear();
    e.epoch = h.producer_epoch;
  }
  e.last_timestamp = h.max_timestamp;
  if (h.is_control()) {
    if (e.txn_first_offset >= 0 && control == ControlType::kAbort) {
      aborted->push_back(AbortedTxn{h.producer_id, e.txn_first_offset, h.base_offset});
    }
    e.txn_first_offset = -1;
    return;
  }
  e.batches.push_back(ProducerBatch{h.base_sequence, h.last_sequence(), h.base_offset, h.last_offset()});
  while (e.batches.size() > kMaxCachedBatches) e.batches.pop_front();
  if (h.is_transactional() && e.txn_first_offset < 0) e.txn_first_offset = h.base_offset;
}

void ProducerStateManager::Put(ProducerId id, ProducerEntry e) {
  auto it = producers_.find(id);
  if (it != producers_.end() && it->second.txn_first_offset >= 0) {
    ongoing_.erase(ongoing_.find(it->second.txn_first_offset));
  }
  if (e.txn_first_offset >= 0) ongoing_.insert(e.txn_first_offset);
  if (it != producers_.end()) {
    it->second = std::move(e);
  } else {
    producers_.emplace(id, std::move(e));
  }
}

std::vector<AbortedTxn> ProducerStateManager::Commit(Staged&& staged) {
  for (auto& [id, e] : staged.entries_) Put(id, std::move(e));
  return std::move(staged.aborted_);
}

void ProducerStateManager::Replay(const BatchHeader& h, std::optional<ControlType> control,
                                  std::vector<AbortedTxn>* aborted) {
  if (!h.has_producer_id()) return;
  auto it = producers_.find(h.producer_id);
  ProducerEntry e = it != producers_.end() ? it->second : ProducerEntry{};
  ApplyTo(e, h, control, aborted);
  Put(h.producer_id, std::move(e));
}

std::string ProducerStateManager::EncodeSnapshot(int64_t offset) const {
  proto::ProducerSnapshot snap;
  snap.set_offset(offset);
  for (const auto& [id, e] : producers_) {
    auto* p = snap.add_producers();
    p->set_producer_id(id);
    p->set_epoch(e.epoch);
    p->set_txn_first_offset(e.txn_first_offset);
    p->set_last_timestamp(e.last_timestamp);
    p->set_coordinator_epoch(e.coordinator_epoch);
    for (const ProducerBatch& b : e.batches) {
      auto* pb = p->add_batches();
      pb->set_first_seq(b.first_seq);
      pb->set_last_seq(b.last_seq);
      pb->set_first_offset(b.first_offset);
      pb->set_last_offset(b.last_offset);
    }
  }
  std::string out = snap.SerializeAsString();
  char crc[4];
  PutBigEndian32(crc, Crc32c(out.data(), out.size()));
  out.append(crc, sizeof(crc));
  return out;
}

Result<std::pair<ProducerStateManager, int64_t>> ProducerStateManager::DecodeSnapshot(std::string_view bytes) {
  if (bytes.size() < 4) return Status(Errc::kCorruption, "producer snapshot shorter than its CRC");
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  if (GetBigEndian32(bytes.data() + body.size()) != Crc32c(body.data(), body.size())) {
    return Status(Errc::kCorruption, "producer snapshot fails its CRC");
  }
  proto::ProducerSnapshot snap;
  if (!snap.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status(Errc::kCorruption, "producer snapshot does not parse");
  }
  ProducerStateManager m;
  for (const auto& p : snap.producers()) {
    ProducerEntry e;
    e.epoch = static_cast<ProducerEpoch>(p.epoch());
    e.txn_first_offset = p.txn_first_offset();
    e.last_timestamp = p.last_timestamp();
    e.coordinator_epoch = p.coordinator_epoch();
    for (const auto& b : p.batches()) {
      e.batches.push_back(ProducerBatch{b.first_seq(), b.last_seq(), b.first_offset(), b.last_offset()});
    }
    m.Put(p.producer_id(), std::move(e));
  }
  return std::make_pair(std::move(m), snap.offset());
}

}  // namespace rivulet::log

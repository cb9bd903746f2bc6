// Consumer: group protocol driven from Poll, positions, fetching, commits.
#include "log/consumer.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>

#include "base/logging.h"
#include "log/compression.h"
#include "log/consumer_protocol.h"
#include "log/group_coordinator.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/producer_state.h"
#include "log/record_batch.h"
#include "log/segment.h"

namespace rivulet::log {

Result<OffsetReset> ParseOffsetReset(const std::string& s) {
  if (s == "earliest" || s == "smallest" || s == "beginning") return OffsetReset::kEarliest;
  if (s == "latest" || s == "largest" || s == "end") return OffsetReset::kLatest;
  if (s == "none" || s == "error") return OffsetReset::kNone;
  return Status(Errc::kInvalidArgument, "invalid auto.offset.reset '" + s +
                                            "': use earliest, latest or none");
}

struct Consumer::FetchedData {
  MappedBytes data;  // fetched batches, not yet returned
  // read_committed: the aborted transactions overlapping the fetched
  // data (by first offset), how many of them were reached, and the
  // producers whose batches are skipped until their abort marker.
  std::vector<AbortedTxn> aborted;
  size_t aborted_next = 0;
  std::set<ProducerId> aborting;
};

Consumer::PartitionState::PartitionState() = default;
Consumer::PartitionState::~PartitionState() = default;
Consumer::PartitionState::PartitionState(PartitionState&&) noexcept = default;
Consumer::PartitionState& Consumer::PartitionState::operator=(PartitionState&&) noexcept = default;

void Consumer::PartitionState::Drop() {
  reader.reset();
  inflated.reset();
  data_pos = 0;
  if (fetched) {
    fetched->data = MappedBytes{};
    fetched->aborted.clear();
    fetched->aborted_next = 0;
    fetched->aborting.clear();
  }
}

void Consumer::KeepBatch(const PartitionState& st, std::vector<std::shared_ptr<const void>>* keep) {
  const std::shared_ptr<const MappedFile>& mapping = st.fetched->data.keep;
  if (keep->empty() || keep->back() != mapping) keep->push_back(mapping);
  if (st.inflated) keep->push_back(st.inflated);
}

// A join or sync waiting for the coordinator's answer.
struct Consumer::PendingJoin {
  std::mutex mu;
  std::condition_variable cv;
  bool syncing = false;
  bool done = false;
  JoinGroupResponse join;
  SyncGroupResponse sync;
};

Consumer::Consumer(LogManager* log, ConsumerConfig config) : log_(log), config_(std::move(config)) {}

Consumer::~Consumer() { Close(); }

Status Consumer::Subscribe(const std::vector<std::string>& topics, RebalanceListener* listener) {
  if (closed_) return Status(Errc::kClosed, "consumer is closed");
  if (config_.group_id.empty()) {
    return Status(Errc::kInvalidArgument, "subscribe needs a group id (use assign without one)");
  }
  if (topics.empty()) return Status(Errc::kInvalidArgument, "subscribe to no topics");
  for (const auto& s : config_.assignment_strategies) {
    if (s != "range" && s != "roundrobin") {
      return Status(Errc::kInvalidArgument, "unknown partition assignment strategy '" + s + "'");
    }
  }
  if (subscribed_ && !member_id_.empty()) need_rejoin_ = true;
  subscription_ = topics;
  std::sort(subscription_.begin(), subscription_.end());
  subscribed_ = true;
  listener_ = listener;
  return Status::Ok();
}

Status Consumer::Assign(const std::vector<TopicPartition>& partitions) {
  if (closed_) return Status(Errc::kClosed, "consumer is closed");
  if (subscribed_) return Status(Errc::kInvalidArgument, "consumer is subscribed; unsubscribe first");
  for (const auto& tp : partitions) RIVULET_RETURN_IF_ERROR(log_->GetPartition(tp).status());
  SetAssignment(partitions);
  return Status::Ok();
}

Status Consumer::Unsubscribe() {
  if (subscribed_ && !member_id_.empty()) {
    if (config_.enable_auto_commit) (void)CommitSync();
    if (listener_) listener_->OnPartitionsRevoked(assignment());
    log_->groups().LeaveGroup(config_.group_id, member_id_);
  }
  subscribed_ = false;
  subscription_.clear();
  member_id_.clear();
  generation_ = -1;
  pending_.reset();
  partitions_.clear();
  return Status::Ok();
}

std::vector<TopicPartition> Consumer::assignment() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, st] : partitions_) out.push_back(tp);
  return out;
}

void Consumer::SetAssignment(const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, PartitionState> next;
  std::map<std::string, std::shared_ptr<const std::string>> names;
  for (const auto& tp : partitions) {
    auto& name = names[tp.topic];
    if (!name) name = std::make_shared<const std::string>(tp.topic);
    next[tp].topic = name;
  }
  partitions_ = std::move(next);
  next_partition_ = 0;
}

Status Consumer::ResetPosition(const TopicPartition& tp, PartitionState& st, OffsetReset how) {
  RIVULET_ASSIGN_OR_RETURN(auto p, log_->GetPartition(tp));
  st.Drop();
  switch (how) {
    case OffsetReset::kEarliest: st.position = p->log_start_offset(); break;
    case OffsetReset::kLatest: st.position = EndOffsetOf(*p); break;
    case OffsetReset::kNone:
      return Status(Errc::kOutOfRange, "no valid offset for " + tp.ToString() +
                                           " and auto.offset.reset is none");
  }
  return Status::Ok();
}

Status Consumer::EnsurePositions() {
  std::vector<TopicPartition> missing;
  for (const auto& [tp, st] : partitions_) {
    if (st.position < 0) missing.push_back(tp);
  }
  if (missing.empty()) return Status::Ok();
  std::map<TopicPartition, CommittedOffset> committed;
  if (!config_.group_id.empty()) committed = log_->groups().FetchOffsets(config_.group_id, missing);
  for (const auto& tp : missing) {
    auto& st = partitions_[tp];
    auto it = committed.find(tp);
    if (it != committed.end() && it->second.offset >= 0) {
      st.position = it->second.offset;
    } else {
      RIVULET_RETURN_IF_ERROR(ResetPosition(tp, st, config_.auto_offset_reset));
    }
  }
  return Status::Ok();
}

void Consumer::StartJoin() {
  auto p = std::make_shared<PendingJoin>();
  pending_ = p;
  JoinGroupRequest req;
  req.group_id = config_.group_id;
  req.member_id = member_id_;
  req.client_id = config_.client_id;
  req.client_host = "embedded";
  req.protocol_type = "consumer";
  req.session_timeout_ms = config_.session_timeout_ms;
  req.rebalance_timeout_ms = config_.max_poll_interval_ms;
  const std::string meta = EncodeSubscription(Subscription{subscription_, {}});
  for (const auto& s : config_.assignment_strategies) req.protocols.emplace_back(s, meta);
  log_->groups().JoinGroup(std::move(req), [p](JoinGroupResponse r) {
    std::lock_guard<std::mutex> lock(p->mu);
    p->join = std::move(r);
    p->done = true;
    p->cv.notify_all();
  });
}

void Consumer::RevokeAll() {
  if (partitions_.empty()) return;
  if (config_.enable_auto_commit && generation_ >= 0) {
    Status st = CommitSync();
    if (!st.ok()) GetLogger("consumer")->warn("commit before rebalance: {}", st.ToString());
  }
  if (listener_) listener_->OnPartitionsRevoked(assignment());
  partitions_.clear();
}

Status Consumer::OnJoined(const JoinGroupResponse& r) {
  switch (r.error) {
    case Errc::kOk: break;
    case Errc::kMemberIdRequired:
      member_id_ = r.member_id;
      need_rejoin_ = true;
      return Status::Ok();
    case Errc::kUnknownMember:
    case Errc::kIllegalGeneration:
      member_id_.clear();
      generation_ = -1;
      need_rejoin_ = true;
      return Status::Ok();
    case Errc::kRebalanceInProgress:
    case Errc::kCoordinatorLoading:
      need_rejoin_ = true;
      return Status::Ok();
    default:
      need_rejoin_ = true;
      return Status(r.error, "cannot join group " + config_.group_id);
  }
  member_id_ = r.member_id;
  generation_ = r.generation;
  SyncGroupRequest req;
  req.group_id = config_.group_id;
  req.member_id = member_id_;
  req.generation = generation_;
  assigned_counts_.clear();
  if (r.leader_id == member_id_) {
    std::map<std::string, Subscription> members;
    std::map<std::string, int32_t> counts;
    for (const auto& m : r.members) {
      auto sub = DecodeSubscription(m.metadata);
      if (!sub.ok()) {
        GetLogger("consumer")->warn("group {}: member {}: {}", config_.group_id, m.member_id,
                                    sub.status().ToString());
        members[m.member_id] = Subscription{};
        continue;
      }
      for (const auto& t : sub->topics) {
        if (auto n = log_->PartitionCount(t, false); n.ok()) counts[t] = *n;
      }
      members[m.member_id] = std::move(sub).value();
    }
    RIVULET_ASSIGN_OR_RETURN(auto plan, log::Assign(r.protocol, members, counts));
    assigned_counts_ = counts;
    for (const auto& [id, a] : plan) req.assignments.emplace_back(id, EncodeAssignment(a));
  }
  auto p = std::make_shared<PendingJoin>();
  p->syncing = true;
  pending_ = p;
  log_->groups().SyncGroup(std::move(req), [p](SyncGroupResponse resp) {
    std::lock_guard<std::mutex> lock(p->mu);
    p->sync = std::move(resp);
    p->done = true;
    p->cv.notify_all();
  });
  return Status::Ok();
}

Status Consumer::OnSynced(const SyncGroupResponse& r) {
  if (r.error != Errc::kOk) {
    if (r.error == Errc::kUnknownMember) member_id_.clear();
    need_rejoin_ = true;
    return Status::Ok();
  }
  auto a = DecodeAssignment(r.assignment);
  if (!a.ok()) {
    need_rejoin_ = true;
    return a.status();
  }
  std::vector<TopicPartition> parts;
  for (const auto& [topic, ps] : *a) {
    for (int32_t p : ps) parts.push_back(TopicPartition{topic, p});
  }
  SetAssignment(parts);
  need_rejoin_ = false;
  next_heartbeat_ms_ = NowMs() + config_.heartbeat_interval_ms;
  GetLogger("consumer")->debug("group {}: member {} generation {} assigned {} partitions",
                               config_.group_id, member_id_, generation_, parts.size());
  if (listener_) listener_->OnPartitionsAssigned(parts);
  return Status::Ok();
}

Status Consumer::DriveGroup(std::chrono::steady_clock::time_point deadline, bool* ready) {
  *ready = !subscribed_;
  if (!subscribed_) return Status::Ok();
  for (;;) {
    if (!pending_ && (need_rejoin_ || generation_ < 0 || member_id_.empty())) {
      RevokeAll();
      need_rejoin_ = false;
      StartJoin();
    }
    if (pending_) {
      auto p = pending_;
      std::unique_lock<std::mutex> lock(p->mu);
      if (!p->cv.wait_until(lock, deadline, [&] { return p->done; })) return Status::Ok();
      lock.unlock();
      pending_.reset();
      if (p->syncing) {
        RIVULET_RETURN_IF_ERROR(OnSynced(p->sync));
      } else {
        RIVULET_RETURN_IF_ERROR(OnJoined(p->join));
      }
      if (pending_ || need_rejoin_) {
        if (std::chrono::steady_clock::now() >= deadline) return Status::Ok();
        continue;
      }
    }
    const int64_t now = NowMs();
    if (now >= next_heartbeat_ms_) {
      Errc e = log_->groups().Heartbeat(config_.group_id, member_id_, generation_);
      next_heartbeat_ms_ = now + config_.heartbeat_interval_ms;
      for (const auto& [topic, count] : assigned_counts_) {
        auto n = log_->PartitionCount(topic, false);
        if (n.ok() && *n != count) {
          GetLogger("consumer")->info("group {}: topic {} has {} partitions, was {}: rebalancing", config_.group_id,
                                      topic, *n, count);
          need_rejoin_ = true;
        }
      }
      if (need_rejoin_) continue;
      if (e == Errc::kUnknownMember) {
        member_id_.clear();
        generation_ = -1;
      }
      if (e != Errc::kOk) {
        need_rejoin_ = true;
        continue;
      }
    }
    *ready = true;
    return Status::Ok();
  }
}

Status Consumer::MaybeAutoCommit(int64_t now) {
  if (!config_.enable_auto_commit || config_.group_id.empty()) return Status::Ok();
  if (now < next_auto_commit_ms_) return Status::Ok();
  next_auto_commit_ms_ = now + config_.auto_commit_interval_ms;
  Status st = CommitSync();
  if (!st.ok()) GetLogger("consumer")->warn("auto-commit: {}", st.ToString());
  return Status::Ok();
}

Status Consumer::NextBatch(const TopicPartition& tp, PartitionState& st, int* resets, bool* end) {
  if (!st.fetched) st.fetched = std::make_unique<FetchedData>();
  FetchedData& f = *st.fetched;
  if (st.data_pos >= f.data.bytes.size()) {
    st.Drop();
    auto part = log_->GetPartition(tp);
    Result<MappedRead> r = part.ok() ? (*part)->Map(st.position, config_.max_partition_fetch_bytes,
                                                    config_.isolation_level)
                                     : Result<MappedRead>(part.status());
    if (!r.ok()) {
      if (r.status().code() == Errc::kOutOfRange && (*resets)++ == 0 &&
          config_.auto_offset_reset != OffsetReset::kNone) {
        GetLogger("consumer")->warn("{}: {}; resetting", tp.ToString(), r.status().message());
        return ResetPosition(tp, st, config_.auto_offset_reset);
      }
      return r.status();
    }
    if (r->data.bytes.empty()) {
      *end = true;
      return Status::Ok();
    }
    f.data = std::move(r->data);
    if (config_.isolation_level == IsolationLevel::kReadCommitted) {
      f.aborted = (*part)->AbortedTransactions(st.position, r->last_stable_offset);
      std::sort(f.aborted.begin(), f.aborted.end(),
                [](const AbortedTxn& a, const AbortedTxn& b) { return a.first_offset < b.first_offset; });
    }
  }
  const std::span<const char> rest = f.data.bytes.subspan(st.data_pos);
  auto h = config_.check_crcs ? ValidateBatch(rest) : ParseBatchHeader(rest);
  if (!h.ok()) {
    const bool partial = h.status().code() == Errc::kCorruption && rest.size() >= kLogOverhead &&
                         st.data_pos > 0 && h.status().message().find("truncated") != std::string::npos;
    st.Drop();
    if (partial) return Status::Ok();  // a partial batch at the end of a read: read again
    return Status(Errc::kCorruption,
                  tp.ToString() + " at offset " + std::to_string(st.position) + ": " + h.status().message());
  }
  if (h->total_size() > rest.size()) {
    st.Drop();
    return Status::Ok();
  }
  bool skip = false;
  if (config_.isolation_level == IsolationLevel::kReadCommitted) {
    // As Kafka's consumer does it: an aborted transaction's producer is
    // skipped from its first offset until its abort marker.
    while (f.aborted_next < f.aborted.size() && f.aborted[f.aborted_next].first_offset <= h->last_offset()) {
      f.aborting.insert(f.aborted[f.aborted_next++].producer_id);
    }
    if (h->is_control()) {
      f.aborting.erase(h->producer_id);
    } else if (h->is_transactional() && f.aborting.count(h->producer_id) > 0) {
      skip = true;
    }
  }
  if (skip || h->next_offset() <= st.position || h->is_control() || h->record_count == 0) {
    st.position = std::max(st.position, h->next_offset());
    st.data_pos += h->total_size();
    return Status::Ok();
  }
  if (h->compression() != Compression::kNone) {
    // A new buffer per batch: records of the previous one may still be held.
    const std::string_view packed(rest.data() + kBatchHeaderSize, h->total_size() - kBatchHeaderSize);
    auto records = DecompressRecords(h->compression(), packed, config_.max_decompressed_batch_bytes);
    if (!records.ok()) {
      st.Drop();
      return Status(Errc::kCorruption, tp.ToString() + ": batch at offset " + std::to_string(h->base_offset) +
                                           ": " + records.status().message());
    }
    st.inflated = std::make_shared<const std::string>(std::move(records).value());
    st.reader.emplace(*h, *st.inflated);
  } else {
    st.inflated.reset();
    st.reader.emplace(RecordReader::ForBatch(*h, rest));
  }
  st.batch_next_offset = h->next_offset();
  st.batch_size = h->total_size();
  return Status::Ok();
}

int64_t Consumer::EndOffsetOf(const Partition& p) const {
  return config_.isolation_level == IsolationLevel::kReadCommitted ? p.last_stable_offset() : p.log_end_offset();
}

Status Consumer::BeginPoll() {
  if (closed_) return Status(Errc::kClosed, "consumer is closed");
  for (auto& [done, st] : async_done_) done(st);
  async_done_.clear();
  return Status::Ok();
}

Status Consumer::PreparePoll(std::chrono::steady_clock::time_point deadline, uint64_t* version, bool* ready) {
  *version = log_->data_version();
  RIVULET_RETURN_IF_ERROR(DriveGroup(deadline, ready));
  if (!*ready) return Status::Ok();
  RIVULET_RETURN_IF_ERROR(EnsurePositions());
  return MaybeAutoCommit(NowMs());
}

bool Consumer::WaitPoll(std::chrono::steady_clock::time_point deadline, uint64_t version, bool ready) {
  auto now = std::chrono::steady_clock::now();
  if (now >= deadline) return false;
  auto wake = deadline;
  if (subscribed_ && ready) {
    const int64_t ms = std::max<int64_t>(0, next_heartbeat_ms_ - NowMs());
    wake = std::min(wake, now + std::chrono::milliseconds(ms));
  }
  if (config_.enable_auto_commit && !config_.group_id.empty()) {
    const int64_t ms = std::max<int64_t>(0, next_auto_commit_ms_ - NowMs());
    wake = std::min(wake, now + std::chrono::milliseconds(ms));
  }
  if (ready) log_->WaitForData(version, wake);
  return true;
}

Result<ConsumerRecords> Consumer::Poll(std::chrono::milliseconds timeout) {
  ConsumerRecords out;
  out.records_.reserve(static_cast<size_t>(std::min(config_.max_poll_records, 4096)));
  auto collect = [&out](const ConsumerRecord& r) {
    // Field by field: copied whole, the optionals' flag bytes (just stored
    // by the reader) were reloaded as part of wider loads, a store-forwarding
    // stall per record.
    ConsumerRecord& c = out.records_.emplace_back();
    c.topic = r.topic;
    c.partition = r.partition;
    c.offset = r.offset;
    c.timestamp = r.timestamp;
    if (r.key) c.key.emplace(r.key->data(), r.key->size());
    if (r.value) c.value.emplace(r.value->data(), r.value->size());
    c.headers_raw = r.headers_raw;
    c.header_count = r.header_count;
  };
  Result<size_t> n = PollImpl(timeout, &out.keepalive_, collect);
  // Records collected before an error are returned (their positions have
  // moved past them); the error, at the position reached, comes back at
  // the next poll.
  if (!n.ok() && out.records_.empty()) return n.status();
  return out;
}

Status Consumer::CommitSync() {
  std::map<TopicPartition, int64_t> offsets;
  for (const auto& [tp, st] : partitions_) {
    if (st.position >= 0) offsets[tp] = st.position;
  }
  if (offsets.empty()) return Status::Ok();
  return CommitSync(offsets);
}

Status Consumer::CommitSync(const std::map<TopicPartition, int64_t>& offsets) {
  if (config_.group_id.empty()) {
    return Status(Errc::kInvalidArgument, "commit needs a group id");
  }
  std::vector<std::pair<TopicPartition, CommittedOffset>> entries;
  for (const auto& [tp, off] : offsets) entries.emplace_back(tp, CommittedOffset{off, "", 0});
  const bool member = subscribed_ && !member_id_.empty();
  Status st = log_->groups().CommitOffsets(config_.group_id, member ? member_id_ : "",
                                           member ? generation_ : -1, entries);
  if (!st.ok() && (st.code() == Errc::kRebalanceInProgress || st.code() == Errc::kIllegalGeneration ||
                   st.code() == Errc::kUnknownMember)) {
    if (subscribed_) need_rejoin_ = true;
  }
  return st;
}

void Consumer::CommitAsync(std::function<void(const Status&)> done) {
  // The embedded coordinator is in-process: the commit completes now; the
  // callback is delivered from the next Poll(), as Kafka's consumer does.
  Status st = CommitSync();
  if (!st.ok()) GetLogger("consumer")->warn("async commit: {}", st.ToString());
  if (done) async_done_.emplace_back(std::move(done), st);
}

Status Consumer::Seek(const TopicPartition& partition, int64_t offset) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) {
    return Status(Errc::kInvalidArgument, "seek on " + partition.ToString() + ", which is not assigned");
  }
  if (offset < 0) return Status(Errc::kInvalidArgument, "seek to a negative offset");
  it->second.position = offset;
  it->second.Drop();
  return Status::Ok();
}

Status Consumer::SeekToBeginning(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions.empty() ? assignment() : partitions) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) {
      return Status(Errc::kInvalidArgument, "seek on " + tp.ToString() + ", which is not assigned");
    }
    RIVULET_RETURN_IF_ERROR(ResetPosition(tp, it->second, OffsetReset::kEarliest));
  }
  return Status::Ok();
}

Status Consumer::SeekToEnd(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions.empty() ? assignment() : partitions) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) {
      return Status(Errc::kInvalidArgument, "seek on " + tp.ToString() + ", which is not assigned");
    }
    RIVULET_RETURN_IF_ERROR(ResetPosition(tp, it->second, OffsetReset::kLatest));
  }
  return Status::Ok();
}

Result<int64_t> Consumer::Position(const TopicPartition& partition) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) {
    return Status(Errc::kInvalidArgument, partition.ToString() + " is not assigned");
  }
  RIVULET_RETURN_IF_ERROR(EnsurePositions());
  return it->second.position;
}

Result<std::optional<int64_t>> Consumer::Committed(const TopicPartition& partition) const {
  if (config_.group_id.empty()) return Status(Errc::kInvalidArgument, "committed needs a group id");
  auto m = log_->groups().FetchOffsets(config_.group_id, {partition});
  auto it = m.find(partition);
  if (it == m.end()) return std::optional<int64_t>();
  return std::optional<int64_t>(it->second.offset);
}

Result<std::map<TopicPartition, std::optional<int64_t>>> Consumer::OffsetsForTimes(
    const std::map<TopicPartition, int64_t>& timestamps) const {
  std::map<TopicPartition, std::optional<int64_t>> out;
  for (const auto& [tp, ts] : timestamps) {
    RIVULET_ASSIGN_OR_RETURN(auto p, log_->GetPartition(tp));
    RIVULET_ASSIGN_OR_RETURN(int64_t off, p->OffsetForTimestamp(ts));
    out[tp] = off >= 0 ? std::optional<int64_t>(off) : std::nullopt;
  }
  return out;
}

Result<std::map<TopicPartition, int64_t>> Consumer::BeginningOffsets(
    const std::vector<TopicPartition>& ps) const {
  std::map<TopicPartition, int64_t> out;
  for (const auto& tp : ps) {
    RIVULET_ASSIGN_OR_RETURN(auto p, log_->GetPartition(tp));
    out[tp] = p->log_start_offset();
  }
  return out;
}

Result<std::map<TopicPartition, int64_t>> Consumer::EndOffsets(
    const std::vector<TopicPartition>& ps) const {
  std::map<TopicPartition, int64_t> out;
  for (const auto& tp : ps) {
    RIVULET_ASSIGN_OR_RETURN(auto p, log_->GetPartition(tp));
    out[tp] = EndOffsetOf(*p);
  }
  return out;
}

void Consumer::Close() {
  if (closed_) return;
  if (config_.enable_auto_commit && !config_.group_id.empty() && (!subscribed_ || !need_rejoin_)) {
    Status st = CommitSync();
    if (!st.ok()) GetLogger("consumer")->warn("final commit: {}", st.ToString());
  }
  if (subscribed_ && !member_id_.empty()) log_->groups().LeaveGroup(config_.group_id, member_id_);
  closed_ = true;
  pending_.reset();
}

}  // namespace rivulet::log

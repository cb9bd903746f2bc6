// Group membership state machine and committed offsets; see group_coordinator.h.
#include "log/group_coordinator.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "base/file.h"
#include "base/logging.h"
#include "log/consumer_protocol.h"
#include "proto/rivulet_metadata.pb.h"

namespace fs = std::filesystem;

namespace rivulet::log {
namespace {

enum State { kEmpty = 0, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// Group ids may hold any character; file names keep [A-Za-z0-9._-] and
// escape the rest as %XX.
std::string EscapeName(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

const char* GroupStateName(int state) {
  switch (state) {
    case kEmpty: return "Empty";
    case kPreparingRebalance: return "PreparingRebalance";
    case kCompletingRebalance: return "CompletingRebalance";
    case kStable: return "Stable";
    default: return "Dead";
  }
}

struct GroupCoordinator::Member {
  std::string id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 10000;
  int32_t rebalance_timeout_ms = 30000;
  std::vector<std::pair<std::string, std::string>> protocols;
  std::string assignment;
  int64_t last_heartbeat_ms = 0;
  JoinCallback join_cb;  // set while waiting for the join to complete
  SyncCallback sync_cb;  // set while waiting for the leader's sync

  const std::string* MetadataFor(const std::string& protocol) const {
    for (const auto& [name, meta] : protocols) {
      if (name == protocol) return &meta;
    }
    return nullptr;
  }
};

struct GroupCoordinator::Group {
  std::string id;
  State state = kEmpty;
  int32_t generation = 0;
  std::string protocol_type;
  std::string protocol;
  std::string leader;
  std::map<std::string, Member> members;  // by member id (sorted, as Kafka sorts)
  std::vector<std::string> pending_ids;   // ids handed out with kMemberIdRequired
  int64_t rebalance_deadline_ms = 0;
  int64_t initial_delay_until_ms = 0;
  std::map<TopicPartition, CommittedOffset> offsets;
};

GroupCoordinator::GroupCoordinator(std::string dir, GroupOptions options)
    : dir_(std::move(dir)), options_(options) {}

GroupCoordinator::~GroupCoordinator() { Shutdown(); }

Result<std::unique_ptr<GroupCoordinator>> GroupCoordinator::Open(const std::string& dir,
                                                                 GroupOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status(Errc::kIoError, "create " + dir + ": " + ec.message());
  std::unique_ptr<GroupCoordinator> c(new GroupCoordinator(dir, options));
  RIVULET_RETURN_IF_ERROR(c->Load());
  c->timer_ = std::thread([p = c.get()] { p->TimerLoop(); });
  return c;
}

void GroupCoordinator::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  // Answer anyone still waiting so that no caller hangs.
  Callbacks out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, g] : groups_) {
      for (auto& [mid, m] : g->members) {
        if (m.join_cb) {
          out.push_back([cb = std::move(m.join_cb)] {
            JoinGroupResponse r;
            r.error = Errc::kCoordinatorLoading;
            cb(std::move(r));
          });
          m.join_cb = nullptr;
        }
        if (m.sync_cb) {
          out.push_back([cb = std::move(m.sync_cb)] {
            SyncGroupResponse r;
            r.error = Errc::kCoordinatorLoading;
            cb(std::move(r));
          });
          m.sync_cb = nullptr;
        }
      }
    }
  }
  for (auto& f : out) f();
}

std::string GroupCoordinator::GroupPath(const std::string& group_id) const {
  return dir_ + "/" + EscapeName(group_id) + ".meta";
}

Status GroupCoordinator::Load() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string path = e.path().string();
    if (path.ends_with(".tmp")) {
      fs::remove(e.path(), ec);
      continue;
    }
    if (!path.ends_with(".meta")) continue;
    RIVULET_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
    proto::GroupMetadata pb;
    if (!pb.ParseFromString(bytes)) {
      return Status(Errc::kCorruption, "cannot parse group metadata " + path);
    }
    auto g = std::make_unique<Group>();
    g->id = pb.group();
    g->generation = pb.generation();
    g->protocol_type = pb.protocol_type();
    for (const auto& o : pb.offsets()) {
      g->offsets[TopicPartition{o.topic(), o.partition()}] =
          CommittedOffset{o.offset(), o.metadata(), o.commit_ms()};
    }
    groups_[g->id] = std::move(g);
  }
  if (ec) return Status(Errc::kIoError, "list " + dir_ + ": " + ec.message());
  return Status::Ok();
}

Status GroupCoordinator::Persist(const Group& g) {
  proto::GroupMetadata pb;
  pb.set_group(g.id);
  pb.set_generation(g.generation);
  pb.set_protocol_type(g.protocol_type);
  pb.set_protocol(g.protocol);
  for (const auto& [tp, c] : g.offsets) {
    auto* o = pb.add_offsets();
    o->set_topic(tp.topic);
    o->set_partition(tp.partition);
    o->set_offset(c.offset);
    o->set_metadata(c.metadata);
    o->set_commit_ms(c.commit_ms);
  }
  return WriteFileAtomic(GroupPath(g.id), pb.SerializeAsString());
}

GroupCoordinator::Group& GroupCoordinator::GetOrCreate(const std::string& group_id) {
  auto& slot = groups_[group_id];
  if (!slot) {
    slot = std::make_unique<Group>();
    slot->id = group_id;
  }
  return *slot;
}

void GroupCoordinator::JoinGroup(JoinGroupRequest req, JoinCallback done) {
  auto fail = [&](Errc e, std::string member_id = {}) {
    JoinGroupResponse r;
    r.error = e;
    r.member_id = std::move(member_id);
    done(std::move(r));
  };
  if (req.group_id.empty()) return fail(Errc::kInvalidArgument);
  if (req.session_timeout_ms < options_.min_session_timeout_ms ||
      req.session_timeout_ms > options_.max_session_timeout_ms) {
    return fail(Errc::kInvalidSessionTimeout);
  }
  if (req.protocols.empty() || req.protocol_type.empty()) return fail(Errc::kInconsistentProtocol);

  Callbacks out;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return lock.unlock(), fail(Errc::kCoordinatorLoading);
    const int64_t now = NowMs();
    Group& g = GetOrCreate(req.group_id);
    if (g.state != kEmpty && !g.members.empty() && g.protocol_type != req.protocol_type) {
      lock.unlock();
      return fail(Errc::kInconsistentProtocol);
    }
    // Every member must share at least one protocol with the group.
    if (!g.members.empty()) {
      bool shared = false;
      const Member& any = g.members.begin()->second;
      for (const auto& [name, meta] : req.protocols) {
        if (any.MetadataFor(name) || g.members.count(req.member_id)) shared = true;
      }
      if (!shared) {
        lock.unlock();
        return fail(Errc::kInconsistentProtocol);
      }
    }
    std::string member_id = req.member_id;
    if (member_id.empty()) {
      member_id = (req.client_id.empty() ? std::string("member") : req.client_id) + "-" +
                  std::to_string(now) + "-" + std::to_string(++next_member_seq_);
      if (req.require_known_member_id) {
        g.pending_ids.push_back(member_id);
        lock.unlock();
        return fail(Errc::kMemberIdRequired, member_id);
      }
    } else if (!g.members.count(member_id)) {
      auto it = std::find(g.pending_ids.begin(), g.pending_ids.end(), member_id);
      if (it == g.pending_ids.end()) {
        lock.unlock();
        return fail(Errc::kUnknownMember, member_id);
      }
      g.pending_ids.erase(it);
    }
    const bool is_new = !g.members.count(member_id);
    Member& m = g.members[member_id];
    m.id = member_id;
    m.client_id = req.client_id;
    m.client_host = req.client_host;
    m.session_timeout_ms = req.session_timeout_ms;
    m.rebalance_timeout_ms = req.rebalance_timeout_ms;
    m.protocols = std::move(req.protocols);
    m.last_heartbeat_ms = now;
    if (m.join_cb) {
      // A duplicate join replaces the earlier one; answer it so it is not lost.
      out.push_back([cb = std::move(m.join_cb)] {
        JoinGroupResponse r;
        r.error = Errc::kRebalanceInProgress;
        cb(std::move(r));
      });
    }
    m.join_cb = std::move(done);
    if (g.protocol_type.empty() || g.members.size() == 1) g.protocol_type = req.protocol_type;
    if (is_new || g.state != kPreparingRebalance) PrepareRebalance(g, now, &out);
    MaybeCompleteJoin(g, now, false, &out);
  }
  cv_.notify_all();
  for (auto& f : out) f();
}

void GroupCoordinator::PrepareRebalance(Group& g, int64_t now, Callbacks* out) {
  if (g.state == kCompletingRebalance) {
    // Members waiting for the old generation's assignment must rejoin.
    for (auto& [id, m] : g.members) {
      if (m.sync_cb) {
        out->push_back([cb = std::move(m.sync_cb)] {
          SyncGroupResponse r;
          r.error = Errc::kRebalanceInProgress;
          cb(std::move(r));
        });
        m.sync_cb = nullptr;
      }
    }
  }
  if (g.state == kPreparingRebalance) return;
  const bool was_empty = g.state == kEmpty;
  g.state = kPreparingRebalance;
  int32_t timeout = 0;
  for (const auto& [id, m] : g.members) timeout = std::max(timeout, m.rebalance_timeout_ms);
  g.rebalance_deadline_ms = now + timeout;
  g.initial_delay_until_ms = was_empty ? now + options_.initial_rebalance_delay_ms : 0;
  if (was_empty) {
    g.rebalance_deadline_ms = std::min<int64_t>(g.rebalance_deadline_ms,
                                                now + std::max<int64_t>(options_.initial_rebalance_delay_ms, 0));
  }
}

void GroupCoordinator::MaybeCompleteJoin(Group& g, int64_t now, bool deadline_passed,
                                         Callbacks* out) {
  if (g.state != kPreparingRebalance) return;
  if (now < g.initial_delay_until_ms && !deadline_passed) return;
  bool all_joined = true;
  for (const auto& [id, m] : g.members) {
    if (!m.join_cb) all_joined = false;
  }
  if (!all_joined && !deadline_passed) return;
  // Members that did not rejoin in time are out.
  for (auto it = g.members.begin(); it != g.members.end();) {
    if (!it->second.join_cb) {
      GetLogger("groups")->info("group {}: member {} did not rejoin in time", g.id, it->first);
      it = g.members.erase(it);
    } else {
      ++it;
    }
  }
  ++g.generation;
  if (g.members.empty()) {
    g.state = kEmpty;
    g.protocol.clear();
    g.leader.clear();
    Status st = Persist(g);
    if (!st.ok()) GetLogger("groups")->error("persist group {}: {}", g.id, st.ToString());
    return;
  }
  // Choose the protocol every member supports, by the members' preferences.
  std::map<std::string, int> votes;
  for (const auto& [id, m] : g.members) {
    for (const auto& [name, meta] : m.protocols) {
      bool everyone = std::all_of(g.members.begin(), g.members.end(),
                                  [&](const auto& kv) { return kv.second.MetadataFor(name) != nullptr; });
      if (everyone) {
        ++votes[name];
        break;
      }
    }
  }
  g.protocol.clear();
  int best = -1;
  for (const auto& [name, n] : votes) {
    if (n > best) {
      best = n;
      g.protocol = name;
    }
  }
  if (g.protocol.empty()) g.protocol = g.members.begin()->second.protocols.front().first;
  if (!g.members.count(g.leader)) g.leader = g.members.begin()->first;
  g.state = kCompletingRebalance;
  Status st = Persist(g);
  if (!st.ok()) GetLogger("groups")->error("persist group {}: {}", g.id, st.ToString());
  GetLogger("groups")->info("group {}: generation {} with {} members, protocol {}, leader {}",
                            g.id, g.generation, g.members.size(), g.protocol, g.leader);

  std::vector<GroupMemberInfo> infos;
  for (const auto& [id, m] : g.members) {
    const std::string* meta = m.MetadataFor(g.protocol);
    infos.push_back({id, m.client_id, m.client_host, meta ? *meta : std::string(), {}});
  }
  for (auto& [id, m] : g.members) {
    JoinGroupResponse r;
    r.generation = g.generation;
    r.protocol_type = g.protocol_type;
    r.protocol = g.protocol;
    r.leader_id = g.leader;
    r.member_id = id;
    if (id == g.leader) r.members = infos;
    m.last_heartbeat_ms = now;
    out->push_back([cb = std::move(m.join_cb), r = std::move(r)]() mutable { cb(std::move(r)); });
    m.join_cb = nullptr;
  }
}

void GroupCoordinator::SyncGroup(SyncGroupRequest req, SyncCallback done) {
  Callbacks out;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto fail = [&](Errc e) {
      lock.unlock();
      SyncGroupResponse r;
      r.error = e;
      done(std::move(r));
    };
    auto git = groups_.find(req.group_id);
    if (git == groups_.end()) return fail(Errc::kUnknownMember);
    Group& g = *git->second;
    auto mit = g.members.find(req.member_id);
    if (mit == g.members.end()) return fail(Errc::kUnknownMember);
    if (req.generation != g.generation) return fail(Errc::kIllegalGeneration);
    if (g.state == kPreparingRebalance) return fail(Errc::kRebalanceInProgress);
    Member& m = mit->second;
    m.last_heartbeat_ms = NowMs();
    if (g.state == kStable) {
      SyncGroupResponse r{Errc::kOk, g.protocol_type, g.protocol, m.assignment};
      lock.unlock();
      done(std::move(r));
      return;
    }
    // CompletingRebalance: wait for the leader's assignments.
    m.sync_cb = std::move(done);
    if (req.member_id == g.leader) {
      for (auto& [id, member] : g.members) member.assignment.clear();
      for (auto& [id, assignment] : req.assignments) {
        auto it = g.members.find(id);
        if (it != g.members.end()) it->second.assignment = std::move(assignment);
      }
      g.state = kStable;
      for (auto& [id, member] : g.members) {
        if (!member.sync_cb) continue;
        SyncGroupResponse r{Errc::kOk, g.protocol_type, g.protocol, member.assignment};
        out.push_back([cb = std::move(member.sync_cb), r = std::move(r)]() mutable { cb(std::move(r)); });
        member.sync_cb = nullptr;
      }
    }
  }
  for (auto& f : out) f();
}

Errc GroupCoordinator::Heartbeat(const std::string& group_id, const std::string& member_id,
                                 int32_t generation) {
  std::lock_guard<std::mutex> lock(mu_);
  auto git = groups_.find(group_id);
  if (git == groups_.end()) return Errc::kUnknownMember;
  Group& g = *git->second;
  auto mit = g.members.find(member_id);
  if (mit == g.members.end()) return Errc::kUnknownMember;
  mit->second.last_heartbeat_ms = NowMs();
  if (g.state == kPreparingRebalance) return Errc::kRebalanceInProgress;
  if (generation != g.generation) return Errc::kIllegalGeneration;
  return Errc::kOk;
}

Errc GroupCoordinator::ValidateMember(const std::string& group_id, const std::string& member_id,
                                      int32_t generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto git = groups_.find(group_id);
  if (git == groups_.end() || git->second->members.count(member_id) == 0) return Errc::kUnknownMember;
  return generation == git->second->generation ? Errc::kOk : Errc::kIllegalGeneration;
}

void GroupCoordinator::RemoveMember(Group& g, const std::string& member_id, int64_t now,
                                    Callbacks* out) {
  auto it = g.members.find(member_id);
  if (it == g.members.end()) return;
  Member& m = it->second;
  if (m.join_cb) {
    out->push_back([cb = std::move(m.join_cb)] {
      JoinGroupResponse r;
      r.error = Errc::kUnknownMember;
      cb(std::move(r));
    });
  }
  if (m.sync_cb) {
    out->push_back([cb = std::move(m.sync_cb)] {
      SyncGroupResponse r;
      r.error = Errc::kUnknownMember;
      cb(std::move(r));
    });
  }
  g.members.erase(it);
  if (g.members.empty() && g.state != kPreparingRebalance) {
    ++g.generation;
    g.state = kEmpty;
    g.protocol.clear();
    g.leader.clear();
    Status st = Persist(g);
    if (!st.ok()) GetLogger("groups")->error("persist group {}: {}", g.id, st.ToString());
    return;
  }
  PrepareRebalance(g, now, out);
  MaybeCompleteJoin(g, now, false, out);
}

Errc GroupCoordinator::LeaveGroup(const std::string& group_id, const std::string& member_id) {
  Callbacks out;
  Errc result = Errc::kOk;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto git = groups_.find(group_id);
    if (git == groups_.end() || !git->second->members.count(member_id)) {
      result = Errc::kUnknownMember;
    } else {
      GetLogger("groups")->info("group {}: member {} left", group_id, member_id);
      RemoveMember(*git->second, member_id, NowMs(), &out);
    }
  }
  for (auto& f : out) f();
  return result;
}

Status GroupCoordinator::CommitOffsets(
    const std::string& group_id, const std::string& member_id, int32_t generation,
    const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets) {
  std::lock_guard<std::mutex> lock(mu_);
  if (group_id.empty()) return Status(Errc::kInvalidArgument, "empty group id");
  Group& g = GetOrCreate(group_id);
  if (member_id.empty() && generation < 0) {
    if (!g.members.empty()) {
      return Status(Errc::kUnknownMember, "group " + group_id + " has active members; " +
                                              "a standalone commit is not allowed");
    }
  } else {
    auto mit = g.members.find(member_id);
    if (mit == g.members.end()) {
      return Status(Errc::kUnknownMember, "member " + member_id + " is not in group " + group_id);
    }
    if (generation != g.generation) {
      return Status(Errc::kIllegalGeneration, "generation " + std::to_string(generation) +
                                                  " is stale; group " + group_id + " is at " +
                                                  std::to_string(g.generation));
    }
    if (g.state == kCompletingRebalance) {
      return Status(Errc::kRebalanceInProgress, "group " + group_id + " is rebalancing");
    }
    mit->second.last_heartbeat_ms = NowMs();
  }
  return StoreOffsetsLocked(g, offsets);
}

Status GroupCoordinator::CommitTransactionalOffsets(
    const std::string& group_id, const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets) {
  std::lock_guard<std::mutex> lock(mu_);
  if (group_id.empty()) return Status(Errc::kInvalidArgument, "empty group id");
  return StoreOffsetsLocked(GetOrCreate(group_id), offsets);
}

Status GroupCoordinator::StoreOffsetsLocked(Group& g,
                                            const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets) {
  auto saved = g.offsets;
  const int64_t now = NowMs();
  for (const auto& [tp, c] : offsets) {
    CommittedOffset v = c;
    if (v.commit_ms <= 0) v.commit_ms = now;
    g.offsets[tp] = v;
  }
  Status st = Persist(g);
  if (!st.ok()) g.offsets = std::move(saved);  // not acknowledged: not kept
  return st;
}

std::map<TopicPartition, CommittedOffset> GroupCoordinator::FetchOffsets(
    const std::string& group_id, const std::vector<TopicPartition>& partitions) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<TopicPartition, CommittedOffset> out;
  auto git = groups_.find(group_id);
  if (git == groups_.end()) return out;
  const Group& g = *git->second;
  if (partitions.empty()) return g.offsets;
  for (const auto& tp : partitions) {
    auto it = g.offsets.find(tp);
    if (it != g.offsets.end()) out[tp] = it->second;
  }
  return out;
}

std::vector<GroupListing> GroupCoordinator::ListGroups() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GroupListing> out;
  for (const auto& [id, g] : groups_) {
    out.push_back({id, g->protocol_type.empty() ? std::string("consumer") : g->protocol_type,
                   GroupStateName(g->state)});
  }
  return out;
}

Result<GroupDescription> GroupCoordinator::DescribeGroup(const std::string& group_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto git = groups_.find(group_id);
  if (git == groups_.end()) {
    return Status(Errc::kNotFound, "unknown group '" + group_id + "'");
  }
  const Group& g = *git->second;
  GroupDescription d;
  d.group_id = g.id;
  d.state = GroupStateName(g.state);
  d.protocol_type = g.protocol_type;
  d.protocol = g.protocol;
  d.generation = g.generation;
  for (const auto& [id, m] : g.members) {
    const std::string* meta = m.MetadataFor(g.protocol);
    d.members.push_back({id, m.client_id, m.client_host, meta ? *meta : std::string(), m.assignment});
  }
  return d;
}

Status GroupCoordinator::DeleteGroup(const std::string& group_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = groups_.find(group_id);
    if (it == groups_.end()) return Status(Errc::kNotFound, "unknown group '" + group_id + "'");
    const Group& g = *it->second;
    // Members only: ids handed out with MEMBER_ID_REQUIRED to clients that
    // never joined with them do not hold a group (as in Kafka).
    if (!g.members.empty()) {
      return Status(Errc::kGroupNotEmpty, "group '" + group_id + "' has " + std::to_string(g.members.size()) +
                                              " active members; stop them first");
    }
    std::error_code ec;
    if (!fs::remove(GroupPath(group_id), ec) && ec) {
      return Status(Errc::kIoError, "remove " + GroupPath(group_id) + ": " + ec.message());
    }
    groups_.erase(it);
  }
  // Gone for good (not back after a power loss), fsynced outside the lock
  // every group waits on.
  RIVULET_RETURN_IF_ERROR(SyncDir(dir_));
  GetLogger("groups")->info("group {} deleted", group_id);
  return Status::Ok();
}

Result<std::map<TopicPartition, Errc>> GroupCoordinator::DeleteOffsets(
    const std::string& group_id, const std::vector<TopicPartition>& partitions) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return Status(Errc::kNotFound, "unknown group '" + group_id + "'");
  Group& g = *it->second;
  if (!g.members.empty() && g.protocol_type != "consumer") {
    return Status(Errc::kGroupNotEmpty, "group '" + group_id + "' has active members of protocol type '" +
                                            g.protocol_type + "': its subscriptions cannot be read");
  }
  // The topics the members subscribe to (a member whose subscription
  // cannot be read holds on to everything).
  std::set<std::string> subscribed;
  bool all = false;
  for (const auto& [id, m] : g.members) {
    const std::string* meta = m.MetadataFor(g.protocol);
    auto sub = meta != nullptr ? DecodeSubscription(*meta) : Result<Subscription>(Status(Errc::kCorruption, ""));
    if (!sub.ok()) {
      all = true;
      continue;
    }
    subscribed.insert(sub->topics.begin(), sub->topics.end());
  }
  std::map<TopicPartition, Errc> out;
  bool changed = false;
  for (const auto& tp : partitions) {
    if (!g.members.empty() && (all || subscribed.contains(tp.topic))) {
      out[tp] = Errc::kGroupSubscribedToTopic;
      continue;
    }
    changed |= g.offsets.erase(tp) > 0;
    out[tp] = Errc::kOk;
  }
  if (changed) RIVULET_RETURN_IF_ERROR(Persist(g));
  return out;
}

void GroupCoordinator::OnTopicDeleted(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, g] : groups_) {
    bool changed = false;
    for (auto it = g->offsets.begin(); it != g->offsets.end();) {
      if (it->first.topic == topic) {
        it = g->offsets.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
    if (changed) {
      Status st = Persist(*g);
      if (!st.ok()) GetLogger("groups")->error("persist group {}: {}", id, st.ToString());
    }
  }
}

void GroupCoordinator::Tick(int64_t now, Callbacks* out) {
  for (auto& [id, gp] : groups_) {
    Group& g = *gp;
    // Expired sessions (members waiting in a join are kept alive by it).
    std::vector<std::string> expired;
    for (const auto& [mid, m] : g.members) {
      if (!m.join_cb && now - m.last_heartbeat_ms > m.session_timeout_ms) expired.push_back(mid);
    }
    for (const auto& mid : expired) {
      GetLogger("groups")->info("group {}: member {} session timed out", g.id, mid);
      RemoveMember(g, mid, now, out);
    }
    if (g.state == kPreparingRebalance) {
      MaybeCompleteJoin(g, now, now >= g.rebalance_deadline_ms, out);
    }
  }
}

void GroupCoordinator::TimerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms));
    if (stop_) break;
    Callbacks out;
    Tick(NowMs(), &out);
    if (!out.empty()) {
      lock.unlock();
      for (auto& f : out) f();
      lock.lock();
    }
  }
}

}  // namespace rivulet::log

// The group coordinator: consumer-group membership (join, sync, heartbeat,
// leave, with generations and session / rebalance timeouts) and committed
// offsets, with Kafka's semantics so that the broker serves it unchanged.
// Assignment is computed by the group's leader member (client side), as in
// Kafka; the coordinator only relays it.
//
// States: Empty -> PreparingRebalance -> CompletingRebalance -> Stable, back
// to PreparingRebalance when a member joins, leaves or times out.
//
// Threading: thread-safe; one mutex guards all groups. Join and Sync answer
// through callbacks, invoked without the lock held, possibly later from the
// coordinator's timer thread. Committed offsets and generations are written
// atomically to DIR/groups/<group>.meta before a commit is acknowledged.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "log/options.h"  // GroupOptions
#include "log/types.h"

namespace rivulet::log {

struct JoinGroupRequest {
  std::string group_id;
  std::string member_id;  // empty on a member's first join
  std::string client_id;
  std::string client_host;
  std::string protocol_type;  // "consumer" for consumers
  int32_t session_timeout_ms = 10000;
  int32_t rebalance_timeout_ms = 30000;
  // (name, metadata) in order of preference.
  std::vector<std::pair<std::string, std::string>> protocols;
  // JoinGroup v4+: a new member first gets kMemberIdRequired and its id.
  bool require_known_member_id = false;
};

struct GroupMemberInfo {
  std::string member_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;    // of the chosen protocol
  std::string assignment;  // set once the group is stable
};

struct JoinGroupResponse {
  Errc error = Errc::kOk;
  int32_t generation = -1;
  std::string protocol_type;
  std::string protocol;
  std::string leader_id;
  std::string member_id;
  std::vector<GroupMemberInfo> members;  // only for the leader
};

struct SyncGroupRequest {
  std::string group_id;
  std::string member_id;
  int32_t generation = -1;
  // From the leader: (member id, assignment bytes).
  std::vector<std::pair<std::string, std::string>> assignments;
};

struct SyncGroupResponse {
  Errc error = Errc::kOk;
  std::string protocol_type;
  std::string protocol;
  std::string assignment;
};

struct CommittedOffset {
  int64_t offset = -1;
  std::string metadata;
  int64_t commit_ms = 0;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};

struct GroupDescription {
  std::string group_id;
  std::string state;  // Empty, PreparingRebalance, CompletingRebalance, Stable, Dead
  std::string protocol_type;
  std::string protocol;
  int32_t generation = 0;
  std::vector<GroupMemberInfo> members;
};

class GroupCoordinator {
 public:
  // Loads the groups persisted in `dir` (created if missing) and starts the
  // timer thread.
  static Result<std::unique_ptr<GroupCoordinator>> Open(const std::string& dir, GroupOptions options);
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  using JoinCallback = std::function<void(JoinGroupResponse)>;
  using SyncCallback = std::function<void(SyncGroupResponse)>;

  // Joins (or rejoins) a group. `done` is called once the rebalance this
  // join takes part in completes, or at once on an error.
  void JoinGroup(JoinGroupRequest request, JoinCallback done);
  // Completes a rebalance: the leader supplies every member's assignment;
  // each member's `done` receives its own once the leader has synced.
  void SyncGroup(SyncGroupRequest request, SyncCallback done);
  // kOk, kRebalanceInProgress (rejoin), kIllegalGeneration, kUnknownMember.
  Errc Heartbeat(const std::string& group_id, const std::string& member_id, int32_t generation);
  // kOk when `member_id` is a member of the group at `generation`;
  // kUnknownMember or kIllegalGeneration otherwise (KIP-447: offsets sent
  // with a transaction by a member of an older generation are refused).
  Errc ValidateMember(const std::string& group_id, const std::string& member_id, int32_t generation) const;
  // Removes a member; the others rebalance.
  Errc LeaveGroup(const std::string& group_id, const std::string& member_id);

  // Commits offsets durably. A member of an active group must give its
  // generation; a standalone consumer (assign mode) gives member "" and
  // generation -1, accepted while the group has no members.
  Status CommitOffsets(const std::string& group_id, const std::string& member_id,
                       int32_t generation,
                       const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets);
  // Commits the offsets of a transaction as its commit completes: the
  // membership was checked when they were sent (TxnOffsetCommit), so none is
  // checked now.
  Status CommitTransactionalOffsets(const std::string& group_id,
                                    const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets);
  // Committed offsets of `partitions` (all of the group's when empty);
  // partitions without a commit are absent.
  std::map<TopicPartition, CommittedOffset> FetchOffsets(
      const std::string& group_id, const std::vector<TopicPartition>& partitions = {}) const;

  std::vector<GroupListing> ListGroups() const;
  Result<GroupDescription> DescribeGroup(const std::string& group_id) const;
  // Deletes a group without members, its committed offsets with it
  // (DeleteGroups). kNotFound for an unknown group; kGroupNotEmpty while
  // members remain.
  Status DeleteGroup(const std::string& group_id);
  // Deletes committed offsets of `partitions` (OffsetDelete), each answered
  // on its own: kOk (deleted, or none was committed), or
  // kGroupSubscribedToTopic when a member of the group subscribes to its
  // topic. kNotFound for an unknown group; kGroupNotEmpty when members of
  // another protocol than Kafka's consumer protocol are active (as Kafka).
  Result<std::map<TopicPartition, Errc>> DeleteOffsets(const std::string& group_id,
                                                       const std::vector<TopicPartition>& partitions);
  // Drops committed offsets of a deleted topic from every group.
  void OnTopicDeleted(const std::string& topic);

  void Shutdown();

 private:
  struct Member;
  struct Group;
  using Callbacks = std::vector<std::function<void()>>;

  GroupCoordinator(std::string dir, GroupOptions options);
  Status Load();
  Group& GetOrCreate(const std::string& group_id);
  void PrepareRebalance(Group& g, int64_t now, Callbacks* out);
  void MaybeCompleteJoin(Group& g, int64_t now, bool deadline_passed, Callbacks* out);
  void RemoveMember(Group& g, const std::string& member_id, int64_t now, Callbacks* out);
  Status Persist(const Group& g);
  Status StoreOffsetsLocked(Group& g, const std::vector<std::pair<TopicPartition, CommittedOffset>>& offsets);
  void TimerLoop();
  void Tick(int64_t now, Callbacks* out);
  std::string GroupPath(const std::string& group_id) const;

  const std::string dir_;
  const GroupOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Group>> groups_;  // guarded by mu_
  uint64_t next_member_seq_ = 0;                           // guarded by mu_
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread timer_;
};

// Human names of group states.
const char* GroupStateName(int state);

}  // namespace rivulet::log

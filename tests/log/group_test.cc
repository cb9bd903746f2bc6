// Consumer groups: three consumers on a 6-partition topic split it; one
// leaves and the others take over; every record is consumed; committed
// offsets survive a restart. Plus session timeouts, coordinator rules, and
// deleting groups and their offsets (DeleteGroups, OffsetDelete).
#include <atomic>
#include <future>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "log/consumer.h"
#include "log/consumer_protocol.h"
#include "log/group_coordinator.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/producer.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;
using Clock = std::chrono::steady_clock;

LogOptions FastGroups() {
  LogOptions o;
  o.groups.tick_ms = 5;
  return o;
}

ConsumerConfig GroupConfig(const std::string& group) {
  ConsumerConfig c;
  c.group_id = group;
  c.auto_offset_reset = OffsetReset::kEarliest;
  c.enable_auto_commit = false;
  c.session_timeout_ms = 3000;
  c.heartbeat_interval_ms = 50;
  c.max_poll_interval_ms = 3000;
  c.max_poll_records = 200;
  return c;
}

void Produce(LogManager& lm, const std::string& topic, int from, int to) {
  Producer p(&lm);
  for (int i = from; i < to; ++i) {
    const std::string v = std::to_string(i);
    ASSERT_TRUE(p.Send(topic, v, v).ok());
  }
  ASSERT_TRUE(p.Flush().ok());
}

// Polls every live consumer in turn until `done` or the deadline.
template <typename Done>
bool PollAll(std::vector<Consumer*>& cs, std::map<int, int>* seen, Done done,
             std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    for (Consumer* c : cs) {
      auto recs = c->Poll(std::chrono::milliseconds(10));
      EXPECT_TRUE(recs.ok()) << recs.status().ToString();
      if (!recs.ok()) return false;
      for (const auto& r : *recs) (*seen)[std::stoi(std::string(*r.value))]++;
      if (!recs->empty()) {
        EXPECT_TRUE(c->CommitSync().ok());
      }
    }
    if (done()) return true;
  }
  return false;
}

std::set<TopicPartition> Owned(const std::vector<Consumer*>& cs, bool* overlap) {
  std::set<TopicPartition> all;
  *overlap = false;
  for (Consumer* c : cs) {
    for (const auto& tp : c->assignment()) {
      if (!all.insert(tp).second) *overlap = true;
    }
  }
  return all;
}

TEST(GroupTest, ThreeConsumersSplitSixPartitionsAndTakeOverWhenOneLeaves) {
  TempDir dir;
  {
    auto lm = LogManager::Open(dir.path(), FastGroups());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("orders", 6).ok());
    Produce(**lm, "orders", 0, 3000);

    Consumer a(lm->get(), GroupConfig("g")), b(lm->get(), GroupConfig("g")), c(lm->get(), GroupConfig("g"));
    for (Consumer* x : {&a, &b, &c}) ASSERT_TRUE(x->Subscribe({"orders"}).ok());
    std::vector<Consumer*> live = {&a, &b, &c};
    std::map<int, int> seen;
    // All three get two partitions each, no overlap.
    bool overlap = false;
    ASSERT_TRUE(PollAll(live, &seen, [&] {
      return a.assignment().size() == 2 && b.assignment().size() == 2 && c.assignment().size() == 2 &&
             a.generation() == b.generation() && b.generation() == c.generation();
    })) << "a=" << a.assignment().size() << " b=" << b.assignment().size() << " c=" << c.assignment().size();
    EXPECT_EQ(Owned(live, &overlap).size(), 6u);
    EXPECT_FALSE(overlap);
    const int32_t gen = a.generation();

    // c leaves; a and b take over all six partitions.
    c.Close();
    live = {&a, &b};
    ASSERT_TRUE(PollAll(live, &seen, [&] {
      return a.generation() > gen && a.generation() == b.generation() &&
             a.assignment().size() + b.assignment().size() == 6;
    }));
    EXPECT_EQ(Owned(live, &overlap).size(), 6u);
    EXPECT_FALSE(overlap);
    EXPECT_EQ(a.assignment().size(), 3u);

    // More records while the group is down to two; every record arrives.
    Produce(**lm, "orders", 3000, 6000);
    ASSERT_TRUE(PollAll(live, &seen, [&] { return seen.size() == 6000; }))
        << "consumed " << seen.size() << " of 6000";
    for (int i = 0; i < 6000; ++i) ASSERT_GE(seen[i], 1) << i;
    a.Close();
    b.Close();
  }
  // Restart: the committed offsets are all at the log end; nothing is
  // delivered again.
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  auto committed = (*lm)->groups().FetchOffsets("g");
  ASSERT_EQ(committed.size(), 6u);
  int64_t total = 0;
  for (const auto& [tp, c] : committed) {
    auto p = (*lm)->GetPartition(tp);
    EXPECT_EQ(c.offset, (*p)->log_end_offset()) << tp.ToString();
    total += c.offset;
  }
  EXPECT_EQ(total, 6000);
  Consumer again(lm->get(), GroupConfig("g"));
  ASSERT_TRUE(again.Subscribe({"orders"}).ok());
  std::vector<Consumer*> one = {&again};
  std::map<int, int> after;
  PollAll(one, &after, [&] { return again.assignment().size() == 6; }, std::chrono::seconds(10));
  EXPECT_EQ(again.assignment().size(), 6u);
  for (int i = 0; i < 20; ++i) {
    auto recs = again.Poll(std::chrono::milliseconds(10));
    ASSERT_TRUE(recs.ok());
    EXPECT_TRUE(recs->empty());
  }
  EXPECT_TRUE(after.empty());
}

TEST(GroupTest, SilentMemberIsRemovedAfterSessionTimeout) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 4).ok());
  ConsumerConfig cfg = GroupConfig("g");
  cfg.session_timeout_ms = 1000;
  Consumer a(lm->get(), cfg), b(lm->get(), cfg);
  ASSERT_TRUE(a.Subscribe({"t"}).ok());
  ASSERT_TRUE(b.Subscribe({"t"}).ok());
  std::vector<Consumer*> both = {&a, &b};
  std::map<int, int> seen;
  ASSERT_TRUE(PollAll(both, &seen, [&] {
    return a.assignment().size() == 2 && b.assignment().size() == 2 && a.generation() == b.generation();
  }));
  // b stops polling (as if hung); a alone gets everything after b's session expires.
  std::vector<Consumer*> only_a = {&a};
  const auto start = Clock::now();
  ASSERT_TRUE(PollAll(only_a, &seen, [&] { return a.assignment().size() == 4; }));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(800));
}

TEST(GroupTest, CoordinatorRules) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  GroupCoordinator& gc = (*lm)->groups();
  auto join = [&](JoinGroupRequest req) {
    std::promise<JoinGroupResponse> p;
    auto f = p.get_future();
    gc.JoinGroup(std::move(req), [&p](JoinGroupResponse r) { p.set_value(std::move(r)); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return f.get();
  };
  JoinGroupRequest req;
  req.group_id = "g";
  req.client_id = "c";
  req.protocol_type = "consumer";
  req.session_timeout_ms = 10000;
  req.protocols = {{"range", "meta"}};
  req.require_known_member_id = true;
  auto first = join(req);
  ASSERT_EQ(first.error, Errc::kMemberIdRequired);
  ASSERT_FALSE(first.member_id.empty());
  req.member_id = first.member_id;
  auto joined = join(req);
  ASSERT_EQ(joined.error, Errc::kOk);
  EXPECT_EQ(joined.leader_id, first.member_id);
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].metadata, "meta");

  // Session timeout out of range.
  JoinGroupRequest bad = req;
  bad.member_id.clear();
  bad.session_timeout_ms = 10;
  EXPECT_EQ(join(bad).error, Errc::kInvalidSessionTimeout);

  // Sync with the wrong generation, then the right one.
  std::promise<SyncGroupResponse> sp;
  gc.SyncGroup({"g", first.member_id, joined.generation + 5, {}}, [&](SyncGroupResponse r) { sp.set_value(r); });
  EXPECT_EQ(sp.get_future().get().error, Errc::kIllegalGeneration);
  std::promise<SyncGroupResponse> sp2;
  gc.SyncGroup({"g", first.member_id, joined.generation, {{first.member_id, "assign"}}},
               [&](SyncGroupResponse r) { sp2.set_value(r); });
  auto synced = sp2.get_future().get();
  EXPECT_EQ(synced.error, Errc::kOk);
  EXPECT_EQ(synced.assignment, "assign");
  EXPECT_EQ(gc.Heartbeat("g", first.member_id, joined.generation), Errc::kOk);
  EXPECT_EQ(gc.Heartbeat("g", "stranger", joined.generation), Errc::kUnknownMember);

  // Commits: stale generation refused; standalone refused while members exist.
  TopicPartition tp{"t", 0};
  EXPECT_EQ(gc.CommitOffsets("g", first.member_id, joined.generation - 1, {{tp, {5, "", 0}}}).code(),
            Errc::kIllegalGeneration);
  EXPECT_EQ(gc.CommitOffsets("g", "", -1, {{tp, {5, "", 0}}}).code(), Errc::kUnknownMember);
  EXPECT_TRUE(gc.CommitOffsets("g", first.member_id, joined.generation, {{tp, {7, "m", 0}}}).ok());
  auto desc = gc.DescribeGroup("g");
  ASSERT_TRUE(desc.ok());
  EXPECT_EQ(desc->state, "Stable");
  ASSERT_EQ(desc->members.size(), 1u);
  EXPECT_EQ(desc->members[0].assignment, "assign");

  // A second member joining puts the group into a rebalance.
  JoinGroupRequest second = req;
  second.member_id.clear();
  second.require_known_member_id = false;
  std::promise<JoinGroupResponse> second_done;
  gc.JoinGroup(second, [&](JoinGroupResponse r) { second_done.set_value(std::move(r)); });
  EXPECT_EQ(gc.Heartbeat("g", first.member_id, joined.generation), Errc::kRebalanceInProgress);
  // Commits with the current generation are still accepted while preparing.
  EXPECT_TRUE(gc.CommitOffsets("g", first.member_id, joined.generation, {{tp, {8, "", 0}}}).ok());
  auto rejoined = join(req);
  EXPECT_EQ(rejoined.error, Errc::kOk);
  EXPECT_EQ(rejoined.generation, joined.generation + 1);
  EXPECT_EQ(rejoined.members.size(), 2u);  // first is still the leader
  auto f2 = second_done.get_future();
  ASSERT_EQ(f2.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f2.get().generation, joined.generation + 1);

  // Leaving: both go, the group is empty; a standalone commit is then fine.
  EXPECT_EQ(gc.LeaveGroup("g", first.member_id), Errc::kOk);
  auto list = gc.ListGroups();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(gc.LeaveGroup("g", "nobody"), Errc::kUnknownMember);
}

TEST(GroupTest, OffsetsAndGenerationSurviveRestart) {
  TempDir dir;
  int32_t generation = 0;
  {
    auto lm = LogManager::Open(dir.path(), FastGroups());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("t", 1).ok());
    Produce(**lm, "t", 0, 10);
    Consumer c(lm->get(), GroupConfig("g"));
    ASSERT_TRUE(c.Subscribe({"t"}).ok());
    std::vector<Consumer*> one = {&c};
    std::map<int, int> seen;
    ASSERT_TRUE(PollAll(one, &seen, [&] { return seen.size() == 10; }));
    generation = c.generation();
    c.Close();
  }
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  auto d = (*lm)->groups().DescribeGroup("g");
  ASSERT_TRUE(d.ok());
  EXPECT_GT(d->generation, generation);  // the leave bumped it, and it was kept
  EXPECT_EQ((*lm)->groups().FetchOffsets("g").at({"t", 0}).offset, 10);
}

class RecordingListener : public RebalanceListener {
 public:
  void OnPartitionsRevoked(const std::vector<TopicPartition>& p) override { revoked += p.size(); }
  void OnPartitionsAssigned(const std::vector<TopicPartition>& p) override { assigned += p.size(); ++calls; }
  size_t revoked = 0, assigned = 0, calls = 0;
};

TEST(GroupTest, RebalanceListenerSeesRevokeAndAssign) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 2).ok());
  RecordingListener la;
  Consumer a(lm->get(), GroupConfig("g")), b(lm->get(), GroupConfig("g"));
  ASSERT_TRUE(a.Subscribe({"t"}, &la).ok());
  std::vector<Consumer*> only_a = {&a};
  std::map<int, int> seen;
  ASSERT_TRUE(PollAll(only_a, &seen, [&] { return a.assignment().size() == 2; }));
  EXPECT_EQ(la.assigned, 2u);
  ASSERT_TRUE(b.Subscribe({"t"}).ok());
  std::vector<Consumer*> both = {&a, &b};
  ASSERT_TRUE(PollAll(both, &seen, [&] {
    return a.assignment().size() == 1 && b.assignment().size() == 1 && a.generation() == b.generation();
  }));
  EXPECT_EQ(la.revoked, 2u);
  EXPECT_EQ(la.assigned, 3u);
}


// Joins `group` as a new consumer-protocol member subscribed to `topics`
// and syncs as its leader; returns the member id once the group is stable.
std::string JoinConsumer(GroupCoordinator& gc, const std::string& group, const std::vector<std::string>& topics) {
  JoinGroupRequest req;
  req.group_id = group;
  req.client_id = "c";
  req.protocol_type = "consumer";
  req.session_timeout_ms = 30000;
  req.protocols = {{"range", EncodeSubscription(Subscription{topics, {}})}};
  std::promise<JoinGroupResponse> joined;
  gc.JoinGroup(req, [&](JoinGroupResponse r) { joined.set_value(std::move(r)); });
  auto jf = joined.get_future();
  EXPECT_EQ(jf.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  JoinGroupResponse j = jf.get();
  EXPECT_EQ(j.error, Errc::kOk);
  std::promise<SyncGroupResponse> synced;
  gc.SyncGroup({group, j.member_id, j.generation, {{j.member_id, ""}}},
               [&](SyncGroupResponse r) { synced.set_value(std::move(r)); });
  auto sf = synced.get_future();
  EXPECT_EQ(sf.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(sf.get().error, Errc::kOk);
  EXPECT_EQ(gc.DescribeGroup(group)->state, "Stable");
  return j.member_id;
}

std::vector<std::string> GroupIds(const GroupCoordinator& gc) {
  std::vector<std::string> ids;
  for (const auto& g : gc.ListGroups()) ids.push_back(g.group_id);
  return ids;
}

TEST(GroupTest, DeleteGroupRemovesAnEmptyGroupForGood) {
  TempDir dir;
  const TopicPartition tp{"t", 0};
  {
    auto lm = LogManager::Open(dir.path(), FastGroups());
    ASSERT_TRUE(lm.ok());
    GroupCoordinator& gc = (*lm)->groups();
    ASSERT_TRUE(gc.CommitOffsets("g", "", -1, {{tp, {5, "", 0}}}).ok());
    ASSERT_TRUE(gc.CommitOffsets("other", "", -1, {{tp, {9, "", 0}}}).ok());
    ASSERT_TRUE(std::filesystem::exists(dir.path() + "/groups/g.meta"));

    ASSERT_TRUE(gc.DeleteGroup("g").ok());
    EXPECT_TRUE(gc.FetchOffsets("g").empty());
    EXPECT_TRUE(gc.FetchOffsets("g", {tp}).empty());
    EXPECT_EQ(GroupIds(gc), std::vector<std::string>{"other"});
    EXPECT_EQ(gc.DescribeGroup("g").status().code(), Errc::kNotFound);
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/groups/g.meta"));
    EXPECT_EQ(gc.DeleteGroup("g").code(), Errc::kNotFound);
    EXPECT_EQ(gc.FetchOffsets("other").at(tp).offset, 9);
  }
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  GroupCoordinator& gc = (*lm)->groups();
  EXPECT_EQ(GroupIds(gc), std::vector<std::string>{"other"});
  EXPECT_TRUE(gc.FetchOffsets("g").empty());
  EXPECT_EQ(gc.FetchOffsets("other").at(tp).offset, 9);
  // The name can be used again, from nothing.
  Consumer c(lm->get(), GroupConfig("g"));
  EXPECT_EQ(c.Committed(tp)->has_value(), false);
}

TEST(GroupTest, DeleteGroupRefusesAGroupWithMembers) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  GroupCoordinator& gc = (*lm)->groups();
  const TopicPartition tp{"t", 0};
  ASSERT_TRUE(gc.CommitOffsets("g", "", -1, {{tp, {5, "", 0}}}).ok());
  const std::string member = JoinConsumer(gc, "g", {"t"});
  Status st = gc.DeleteGroup("g");
  EXPECT_EQ(st.code(), Errc::kGroupNotEmpty) << st.ToString();
  EXPECT_EQ(gc.FetchOffsets("g").at(tp).offset, 5);
  EXPECT_EQ(GroupIds(gc), std::vector<std::string>{"g"});
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/groups/g.meta"));
  EXPECT_EQ(gc.Heartbeat("g", member, gc.DescribeGroup("g")->generation), Errc::kOk);
  // Once the member has left it can go.
  ASSERT_EQ(gc.LeaveGroup("g", member), Errc::kOk);
  ASSERT_TRUE(gc.DeleteGroup("g").ok());
  EXPECT_TRUE(gc.FetchOffsets("g").empty());
  EXPECT_TRUE(GroupIds(gc).empty());
  EXPECT_EQ(gc.DeleteGroup("never").code(), Errc::kNotFound);
}

TEST(GroupTest, DeleteGroupRefusesAGroupWithARunningConsumer) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 1).ok());
  Consumer c(lm->get(), GroupConfig("g"));
  ASSERT_TRUE(c.Subscribe({"t"}).ok());
  std::vector<Consumer*> one = {&c};
  std::map<int, int> seen;
  ASSERT_TRUE(PollAll(one, &seen, [&] { return c.assignment().size() == 1; }));
  EXPECT_EQ((*lm)->groups().DeleteGroup("g").code(), Errc::kGroupNotEmpty);
  c.Close();
  EXPECT_TRUE((*lm)->groups().DeleteGroup("g").ok());
}

TEST(GroupTest, DeleteOffsetsKeepsTheTopicsAMemberSubscribesTo) {
  TempDir dir;
  const TopicPartition a0{"A", 0}, a1{"A", 1}, b0{"B", 0}, c0{"C", 0};
  {
    auto lm = LogManager::Open(dir.path(), FastGroups());
    ASSERT_TRUE(lm.ok());
    GroupCoordinator& gc = (*lm)->groups();
    ASSERT_TRUE(gc.CommitOffsets("g", "", -1, {{a0, {5, "", 0}}, {a1, {6, "", 0}}, {b0, {7, "", 0}}}).ok());
    JoinConsumer(gc, "g", {"A"});

    auto r = gc.DeleteOffsets("g", {a0, a1, b0, c0});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, (std::map<TopicPartition, Errc>{{a0, Errc::kGroupSubscribedToTopic},
                                                   {a1, Errc::kGroupSubscribedToTopic},
                                                   {b0, Errc::kOk},
                                                   {c0, Errc::kOk}}));
    auto left = gc.FetchOffsets("g");
    ASSERT_EQ(left.size(), 2u);
    EXPECT_EQ(left.at(a0).offset, 5);
    EXPECT_EQ(left.at(a1).offset, 6);
    EXPECT_EQ(gc.DeleteOffsets("nope", {a0}).status().code(), Errc::kNotFound);
  }
  // Kept as answered; with the member gone (members are not persisted) A's
  // offsets can go too.
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  GroupCoordinator& gc = (*lm)->groups();
  auto left = gc.FetchOffsets("g");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left.at(a0).offset, 5);
  EXPECT_EQ(left.at(a1).offset, 6);
  auto r = gc.DeleteOffsets("g", {a0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->at(a0), Errc::kOk);
  lm->reset();
  lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  left = (*lm)->groups().FetchOffsets("g");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left.at(a1).offset, 6);
}

TEST(GroupTest, DeleteOffsetsSeesARunningConsumersSubscription) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path(), FastGroups());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("A", 2).ok());
  ASSERT_TRUE((*lm)->CreateTopic("B", 1).ok());
  const TopicPartition a0{"A", 0}, b0{"B", 0};
  GroupCoordinator& gc = (*lm)->groups();
  ASSERT_TRUE(gc.CommitOffsets("g", "", -1, {{a0, {0, "", 0}}, {b0, {0, "", 0}}}).ok());
  Consumer c(lm->get(), GroupConfig("g"));
  ASSERT_TRUE(c.Subscribe({"A"}).ok());
  std::vector<Consumer*> one = {&c};
  std::map<int, int> seen;
  ASSERT_TRUE(PollAll(one, &seen, [&] { return c.assignment().size() == 2; }));
  auto r = gc.DeleteOffsets("g", {a0, b0});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->at(a0), Errc::kGroupSubscribedToTopic);
  EXPECT_EQ(r->at(b0), Errc::kOk);
  EXPECT_EQ(gc.FetchOffsets("g").count(a0), 1u);
  EXPECT_EQ(gc.FetchOffsets("g").count(b0), 0u);
}

}  // namespace
}  // namespace rivulet::log

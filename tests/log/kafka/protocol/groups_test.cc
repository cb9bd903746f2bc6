// The group membership codecs (log/kafka/protocol/groups.h) at every
// served version, flexible ones included: FindCoordinator v3-4, JoinGroup
// v6-7, SyncGroup v4-5, Heartbeat v4, LeaveGroup v4, ListGroups v3-4,
// DescribeGroups v5, DeleteGroups v2.
#include "log/kafka/protocol/groups.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

// ---- FindCoordinator (10) ----

std::string FindCoordinatorBody(int16_t v) {
  Body b(v >= 3);
  if (v <= 3) b.Str("group-1");
  if (v >= 1) b.I8(1);
  if (v >= 4) b.Count(2).Str("k1").Str("k2");
  return b.Tags().bytes();
}

TEST(FindCoordinatorTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 4; ++v) {
    auto req = FindCoordinatorRequest::Decode(FindCoordinatorBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->key, v <= 3 ? "group-1" : "");
    EXPECT_EQ(req->key_type, v >= 1 ? 1 : 0);
    const std::vector<std::string> keys = v >= 4 ? std::vector<std::string>{"k1", "k2"} : std::vector<std::string>{};
    EXPECT_EQ(req->coordinator_keys, keys);
    ExpectTruncationsFail<FindCoordinatorRequest>(FindCoordinatorBody(v), v);
  }
}

TEST(FindCoordinatorTest, EncodesV3AndV4) {
  FindCoordinatorResponse resp;
  resp.node_id = 1;
  resp.host = "h";
  resp.port = 9092;
  resp.keys = {"k1", "k2"};
  Body b3(true);
  b3.I32(0).I16(0).NStr(std::nullopt).I32(1).Str("h").I32(9092).Tags();
  EXPECT_EQ(resp.Encode(3), b3.bytes());
  Body b4(true);
  b4.I32(0).Count(2);
  for (const char* k : {"k1", "k2"}) b4.Str(k).I32(1).Str("h").I32(9092).I16(0).NStr(std::nullopt).Tags();
  EXPECT_EQ(resp.Encode(4), b4.Tags().bytes());
}

// ---- JoinGroup (11) ----

std::string JoinGroupBody(int16_t v) {
  Body b(v >= 6);
  b.Str("g").I32(10000);
  if (v >= 1) b.I32(60000);
  b.Str("m");
  if (v >= 5) b.NStr(std::nullopt);
  b.Str("consumer").Count(2);
  b.Str("range").Bytes("meta-r").Tags();
  b.Str("roundrobin").Bytes("meta-rr").UnknownTag();
  return b.Tags().bytes();
}

TEST(JoinGroupTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 7; ++v) {
    auto req = JoinGroupRequest::Decode(JoinGroupBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->group_id, "g");
    EXPECT_EQ(req->session_timeout_ms, 10000);
    EXPECT_EQ(req->rebalance_timeout_ms, v >= 1 ? 60000 : 10000);
    EXPECT_EQ(req->member_id, "m");
    EXPECT_EQ(req->protocol_type, "consumer");
    ASSERT_EQ(req->protocols.size(), 2u);
    EXPECT_EQ(req->protocols[1].first, "roundrobin");
    EXPECT_EQ(req->protocols[1].second, "meta-rr");
  }
  for (int16_t v : {5, 6, 7}) ExpectTruncationsFail<JoinGroupRequest>(JoinGroupBody(v), v);
}

TEST(JoinGroupTest, EncodesV6AndV7) {
  JoinGroupResponse resp;
  resp.generation = 3;
  resp.protocol_type = "consumer";
  resp.protocol = "range";
  resp.leader = "m1";
  resp.member_id = "m1";
  resp.members = {{"m1", "meta"}};
  Body b6(true);
  b6.I32(0).I16(0).I32(3).Str("range").Str("m1").Str("m1");
  b6.Count(1).Str("m1").NStr(std::nullopt).Bytes("meta").Tags().Tags();
  EXPECT_EQ(resp.Encode(6), b6.bytes());
  Body b7(true);
  b7.I32(0).I16(0).I32(3).NStr("consumer").NStr("range").Str("m1").Str("m1");
  b7.Count(1).Str("m1").NStr(std::nullopt).Bytes("meta").Tags().Tags();
  EXPECT_EQ(resp.Encode(7), b7.bytes());

  JoinGroupResponse err;  // v7: protocol type and name null when unknown
  err.error = ErrorCode::kMemberIdRequired;
  err.member_id = "m2";
  Body e(true);
  e.I32(0).I16(79).I32(-1).NStr(std::nullopt).NStr(std::nullopt).Str("").Str("m2").Count(0).Tags();
  EXPECT_EQ(err.Encode(7), e.bytes());
}

// ---- SyncGroup (14) ----

std::string SyncGroupBody(int16_t v) {
  Body b(v >= 4);
  b.Str("g").I32(3).Str("m");
  if (v >= 3) b.NStr(std::nullopt);
  if (v >= 5) b.NStr("consumer").NStr("range");
  b.Count(1).Str("m").Bytes("assignment").Tags();
  return b.Tags().bytes();
}

TEST(SyncGroupTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 5; ++v) {
    auto req = SyncGroupRequest::Decode(SyncGroupBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->group_id, "g");
    EXPECT_EQ(req->generation, 3);
    ASSERT_EQ(req->assignments.size(), 1u);
    EXPECT_EQ(req->assignments[0].second, "assignment");
  }
  for (int16_t v : {3, 4, 5}) ExpectTruncationsFail<SyncGroupRequest>(SyncGroupBody(v), v);
}

TEST(SyncGroupTest, EncodesV4AndV5) {
  SyncGroupResponse resp;
  resp.protocol_type = "consumer";
  resp.protocol = "range";
  resp.assignment = "a";
  EXPECT_EQ(resp.Encode(4), Body(true).I32(0).I16(0).Bytes("a").Tags().bytes());
  EXPECT_EQ(resp.Encode(5), Body(true).I32(0).I16(0).NStr("consumer").NStr("range").Bytes("a").Tags().bytes());
}

// ---- Heartbeat (12) ----

TEST(HeartbeatTest, V4) {
  const std::string body = Body(true).Str("g").I32(3).Str("m").NStr("i").Tags().bytes();
  auto req = HeartbeatRequest::Decode(body, 4);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->group_id, "g");
  EXPECT_EQ(req->generation, 3);
  EXPECT_EQ(req->member_id, "m");
  ExpectTruncationsFail<HeartbeatRequest>(body, 4);
  EXPECT_EQ(EncodeHeartbeatResponse(ErrorCode::kRebalanceInProgress, 4), Body(true).I32(0).I16(27).Tags().bytes());
  EXPECT_EQ(EncodeHeartbeatResponse(ErrorCode::kNone, 3), Body(false).I32(0).I16(0).bytes());
}

// ---- LeaveGroup (13) ----

TEST(LeaveGroupTest, V4) {
  const std::string body = Body(true).Str("g").Count(2).Str("m1").NStr(std::nullopt).Tags().Str("m2").NStr("i").Tags().Tags().bytes();
  auto req = LeaveGroupRequest::Decode(body, 4);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->group_id, "g");
  EXPECT_EQ(req->member_ids, (std::vector<std::string>{"m1", "m2"}));
  ExpectTruncationsFail<LeaveGroupRequest>(body, 4);

  LeaveGroupResponse resp;
  resp.members = {{"m1", ErrorCode::kNone}, {"m2", ErrorCode::kUnknownMemberId}};
  Body b(true);
  b.I32(0).I16(0).Count(2).Str("m1").NStr(std::nullopt).I16(0).Tags().Str("m2").NStr(std::nullopt).I16(25).Tags();
  EXPECT_EQ(resp.Encode(4), b.Tags().bytes());
}

// ---- ListGroups (16) ----

TEST(ListGroupsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 2; ++v) EXPECT_TRUE(ListGroupsRequest::Decode("", v).ok()) << "v" << v;
  const std::string v3 = Body(true).Tags().bytes();
  EXPECT_TRUE(ListGroupsRequest::Decode(v3, 3).ok());
  ExpectTruncationsFail<ListGroupsRequest>(v3, 3);
  const std::string v4 = Body(true).Count(2).Str("Stable").Str("empty").Tags().bytes();
  auto req = ListGroupsRequest::Decode(v4, 4);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->states_filter, (std::vector<std::string>{"Stable", "empty"}));
  ExpectTruncationsFail<ListGroupsRequest>(v4, 4);
}

TEST(ListGroupsTest, EncodesV3AndV4) {
  ListGroupsResponse resp;
  resp.groups.push_back({"g", "consumer", "Stable"});
  EXPECT_EQ(resp.Encode(3), Body(true).I32(0).I16(0).Count(1).Str("g").Str("consumer").Tags().Tags().bytes());
  EXPECT_EQ(resp.Encode(4),
            Body(true).I32(0).I16(0).Count(1).Str("g").Str("consumer").Str("Stable").Tags().Tags().bytes());
  EXPECT_EQ(resp.Encode(2), Body(false).I32(0).I16(0).Count(1).Str("g").Str("consumer").bytes());
}

// ---- DescribeGroups (15) ----

TEST(DescribeGroupsTest, V5) {
  const std::string body = Body(true).Count(2).Str("g1").Str("g2").I8(1).Tags().bytes();
  auto req = DescribeGroupsRequest::Decode(body, 5);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->groups, (std::vector<std::string>{"g1", "g2"}));
  ExpectTruncationsFail<DescribeGroupsRequest>(body, 5);

  DescribeGroupsResponse resp;
  DescribeGroupsResponse::Group g;
  g.group_id = "g1";
  g.state = "Stable";
  g.protocol_type = "consumer";
  g.protocol = "range";
  g.members.push_back({"m", "c", "/h", "md", "as"});
  resp.groups.push_back(g);
  Body b(true);
  b.I32(0).Count(1).I16(0).Str("g1").Str("Stable").Str("consumer").Str("range");
  b.Count(1).Str("m").NStr(std::nullopt).Str("c").Str("/h").Bytes("md").Bytes("as").Tags();
  b.I32(INT32_MIN).Tags().Tags();
  EXPECT_EQ(resp.Encode(5), b.bytes());
}

// ---- DeleteGroups (42) ----

std::string DeleteGroupsBody(int16_t v) {
  return Body(v >= 2).Count(2).Str("g1").Str("g2").UnknownTag().bytes();
}

TEST(DeleteGroupsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 2; ++v) {
    auto req = DeleteGroupsRequest::Decode(DeleteGroupsBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->groups, (std::vector<std::string>{"g1", "g2"})) << "v" << v;
    ExpectTruncationsFail<DeleteGroupsRequest>(DeleteGroupsBody(v), v);
  }
  auto none = DeleteGroupsRequest::Decode(Body(true).Count(0).Tags().bytes(), 2);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->groups.empty());
  EXPECT_FALSE(DeleteGroupsRequest::Decode(Body(false).I32(1 << 30).bytes(), 0).ok());
}

TEST(DeleteGroupsTest, EncodesEveryVersion) {
  DeleteGroupsResponse resp;
  resp.results = {{"g1", ErrorCode::kNone}, {"g2", ErrorCode::kNonEmptyGroup}};
  for (int16_t v = 0; v <= 2; ++v) {
    Body b(v >= 2);
    b.I32(0).Count(2).Str("g1").I16(0).Tags().Str("g2").I16(68).Tags().Tags();
    EXPECT_EQ(resp.Encode(v), b.bytes()) << "v" << v;
  }
  EXPECT_EQ(DeleteGroupsResponse{}.Encode(2), Body(true).I32(0).Count(0).Tags().bytes());
}

}  // namespace
}  // namespace rivulet::log::kafka

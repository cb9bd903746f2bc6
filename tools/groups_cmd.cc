// `rivulet groups`: list groups; describe one with offsets and lag.
#include <cstdio>
#include <map>
#include <set>

#include "log/consumer_protocol.h"
#include "connectors/kafka/kafka_client.h"
#include "log/group_coordinator.h"
#include "log/partition.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct GroupsFlags {
  Target target;
  bool list = false, describe = false;
  std::string group;
};

struct Row {
  std::string current = "-", end = "-", lag = "-", owner = "-";
};

void PrintTable(const std::string& group, const std::string& state, const std::string& extra, size_t members,
                const std::map<log::TopicPartition, Row>& rows) {
  std::printf("Group %s is %s (%s%zu members)\n", group.c_str(), state.c_str(), extra.c_str(), members);
  std::printf("%-24s %-9s %-14s %-14s %-8s %s\n", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
              "LAG", "CONSUMER-ID");
  for (const auto& [tp, r] : rows) {
    std::printf("%-24s %-9d %-14s %-14s %-8s %s\n", tp.topic.c_str(), tp.partition, r.current.c_str(),
                r.end.c_str(), r.lag.c_str(), r.owner.c_str());
  }
}

Status RunGroupsKafka(const GroupsFlags& f) {
  RIVULET_ASSIGN_OR_RETURN(auto admin, connectors::kafka::Admin::Open(f.target.bootstrap, f.target.client));
  if (f.list) {
    RIVULET_ASSIGN_OR_RETURN(auto groups, admin->ListGroups());
    for (const auto& g : groups) std::printf("%s\n", g.group.c_str());
    return Status::Ok();
  }
  RIVULET_ASSIGN_OR_RETURN(auto info, admin->DescribeGroup(f.group));
  RIVULET_ASSIGN_OR_RETURN(auto committed, admin->CommittedOffsets(f.group));
  std::map<log::TopicPartition, Row> rows;
  for (const auto& m : info.members) {
    auto a = log::DecodeAssignment(m.assignment);
    if (!a.ok()) continue;
    for (const auto& [topic, parts] : *a) {
      for (int32_t p : parts) rows[{topic, p}].owner = m.member_id;
    }
  }
  for (const auto& [tp, off] : committed) rows[{tp.first, tp.second}].current = std::to_string(off);
  std::map<std::string, std::vector<connectors::kafka::PartitionInfo>> ends;
  for (auto& [tp, r] : rows) {
    if (!ends.count(tp.topic)) {
      auto parts = admin->DescribeTopic(tp.topic);
      ends[tp.topic] = parts.ok() ? *parts : std::vector<connectors::kafka::PartitionInfo>{};
    }
    for (const auto& p : ends[tp.topic]) {
      if (p.partition != tp.partition) continue;
      r.end = std::to_string(p.high);
      if (r.current != "-") r.lag = std::to_string(std::max<int64_t>(0, p.high - std::stoll(r.current)));
    }
  }
  PrintTable(f.group, info.state, "", info.members.size(), rows);
  return Status::Ok();
}

Status RunGroups(GroupsFlags& f) {
  if (f.list == f.describe) return Status(Errc::kInvalidArgument, "give one of --list or --describe");
  if (f.describe && f.group.empty()) return Status(Errc::kInvalidArgument, "--group is required");
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunGroupsKafka(f);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  auto& groups = lm->groups();
  if (f.list) {
    for (const auto& g : groups.ListGroups()) std::printf("%s\n", g.group_id.c_str());
    return lm->Close();
  }
  RIVULET_ASSIGN_OR_RETURN(auto d, groups.DescribeGroup(f.group));
  // Partitions: those with a commit, and those assigned to a member.
  std::map<log::TopicPartition, Row> rows;
  for (const auto& m : d.members) {
    auto a = log::DecodeAssignment(m.assignment);
    if (!a.ok()) continue;
    for (const auto& [topic, parts] : *a) {
      for (int32_t p : parts) rows[{topic, p}].owner = m.member_id;
    }
  }
  for (const auto& [tp, c] : groups.FetchOffsets(f.group)) rows[tp].current = std::to_string(c.offset);
  for (auto& [tp, r] : rows) {
    auto part = lm->GetPartition(tp);
    if (!part.ok()) continue;
    const int64_t leo = (*part)->log_end_offset();
    r.end = std::to_string(leo);
    if (r.current != "-") r.lag = std::to_string(std::max<int64_t>(0, leo - std::stoll(r.current)));
  }
  PrintTable(d.group_id, d.state, "generation " + std::to_string(d.generation) + ", ", d.members.size(), rows);
  return lm->Close();
}

}  // namespace

void AddGroupsCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<GroupsFlags>();
  CLI::App* cmd = app.add_subcommand("groups", "list consumer groups; describe offsets and lag");
  f->target.AddFlags(cmd);
  cmd->add_flag("--list", f->list, "list groups");
  cmd->add_flag("--describe", f->describe, "describe a group");
  cmd->add_option("--group", f->group, "group id");
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunGroups(*f), f->target); }; });
}

}  // namespace rivulet::tools

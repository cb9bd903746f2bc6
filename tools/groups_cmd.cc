// `rivulet groups`: list groups; describe one with offsets and lag.
#include <cstdio>
#include <map>
#include <set>

#include "log/consumer_protocol.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct GroupsFlags {
  Target target;
  bool list = false, describe = false;
  std::string group;
};

Status RunGroups(const GroupsFlags& f) {
  if (f.list == f.describe) return Status(Errc::kInvalidArgument, "give one of --list or --describe");
  if (f.describe && f.group.empty()) return Status(Errc::kInvalidArgument, "--group is required");
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  auto& groups = lm->groups();
  if (f.list) {
    for (const auto& g : groups.ListGroups()) std::printf("%s\n", g.group_id.c_str());
    return lm->Close();
  }
  RIVULET_ASSIGN_OR_RETURN(auto d, groups.DescribeGroup(f.group));
  // Partitions: those with a commit, and those assigned to a member.
  std::map<log::TopicPartition, std::string> owner;
  for (const auto& m : d.members) {
    auto a = log::DecodeAssignment(m.assignment);
    if (!a.ok()) continue;
    for (const auto& [topic, parts] : *a) {
      for (int32_t p : parts) owner[{topic, p}] = m.member_id;
    }
  }
  auto committed = groups.FetchOffsets(f.group);
  std::set<log::TopicPartition> all;
  for (const auto& [tp, c] : committed) all.insert(tp);
  for (const auto& [tp, m] : owner) all.insert(tp);
  std::printf("Group %s is %s (generation %d, %zu members)\n", d.group_id.c_str(), d.state.c_str(),
              d.generation, d.members.size());
  std::printf("%-24s %-9s %-14s %-14s %-8s %s\n", "TOPIC", "PARTITION", "CURRENT-OFFSET",
              "LOG-END-OFFSET", "LAG", "CONSUMER-ID");
  for (const auto& tp : all) {
    auto part = lm->GetPartition(tp);
    std::string end = "-", lag = "-", current = "-";
    int64_t leo = -1;
    if (part.ok()) {
      leo = (*part)->log_end_offset();
      end = std::to_string(leo);
    }
    auto it = committed.find(tp);
    if (it != committed.end()) {
      current = std::to_string(it->second.offset);
      if (leo >= 0) lag = std::to_string(std::max<int64_t>(0, leo - it->second.offset));
    }
    auto o = owner.find(tp);
    std::printf("%-24s %-9d %-14s %-14s %-8s %s\n", tp.topic.c_str(), tp.partition, current.c_str(),
                end.c_str(), lag.c_str(), o == owner.end() ? "-" : o->second.c_str());
  }
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
  cmd->callback([f, action] { *action = [f] { return RunGroups(*f); }; });
}

}  // namespace rivulet::tools

// `rivulet groups`: list groups; describe one (offsets and lag, its
// members, or its state); reset its offsets; delete it. The same on the
// embedded log and through a broker: both sit behind GroupsTarget.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <sstream>

#include "connectors/kafka/kafka_client.h"
#include "log/consumer_protocol.h"
#include "log/group_coordinator.h"
#include "log/partition.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

using log::TopicPartition;

struct GroupsFlags {
  Target target;
  bool list = false, describe = false, reset = false, del = false;
  bool members = false, state = false;
  std::string group;
  // --reset-offsets
  std::vector<std::string> topics;  // "T" or "T:0,1"
  bool all_topics = false;
  bool to_earliest = false, to_latest = false, to_current = false;
  std::optional<int64_t> to_offset, shift_by;
  std::string to_datetime, by_duration;
  bool execute = false, dry_run = false;
};

struct GroupView {
  std::string state = "Dead";  // as Kafka names an unknown group
  std::string protocol;
  std::optional<int32_t> generation;  // the embedded log knows it
  std::vector<log::GroupMemberInfo> members;
};

// What the subcommands need of the log, embedded or through a broker.
class GroupsTarget {
 public:
  virtual ~GroupsTarget() = default;
  virtual std::vector<std::string> List() = 0;
  // An unknown group is a Dead one without members.
  virtual Result<GroupView> Describe(const std::string& group) = 0;
  virtual Result<std::map<TopicPartition, int64_t>> Committed(const std::string& group) = 0;
  virtual Result<int32_t> PartitionCount(const std::string& topic) = 0;
  // (log start, log end)
  virtual Result<std::pair<int64_t, int64_t>> Range(const TopicPartition& tp) = 0;
  // The first offset at or after `ts`, -1 when there is none.
  virtual Result<int64_t> OffsetForTime(const TopicPartition& tp, int64_t ts) = 0;
  // Commits for a group without members.
  virtual Status Commit(const std::string& group, const std::map<TopicPartition, int64_t>& offsets) = 0;
  virtual Status Delete(const std::string& group) = 0;
  virtual Status Close() { return Status::Ok(); }
};

class EmbeddedGroups final : public GroupsTarget {
 public:
  explicit EmbeddedGroups(std::unique_ptr<log::LogManager> lm) : lm_(std::move(lm)) {}
  std::vector<std::string> List() override {
    std::vector<std::string> out;
    for (const auto& g : lm_->groups().ListGroups()) out.push_back(g.group_id);
    return out;
  }
  Result<GroupView> Describe(const std::string& group) override {
    auto d = lm_->groups().DescribeGroup(group);
    if (!d.ok() && d.status().code() == Errc::kNotFound) return GroupView{};
    RIVULET_RETURN_IF_ERROR(d.status());
    return GroupView{d->state, d->protocol, d->generation, d->members};
  }
  Result<std::map<TopicPartition, int64_t>> Committed(const std::string& group) override {
    std::map<TopicPartition, int64_t> out;
    for (const auto& [tp, c] : lm_->groups().FetchOffsets(group)) out[tp] = c.offset;
    return out;
  }
  Result<int32_t> PartitionCount(const std::string& topic) override { return lm_->PartitionCount(topic); }
  Result<std::pair<int64_t, int64_t>> Range(const TopicPartition& tp) override {
    RIVULET_ASSIGN_OR_RETURN(auto p, lm_->GetPartition(tp));
    return std::pair<int64_t, int64_t>{p->log_start_offset(), p->log_end_offset()};
  }
  Result<int64_t> OffsetForTime(const TopicPartition& tp, int64_t ts) override {
    RIVULET_ASSIGN_OR_RETURN(auto p, lm_->GetPartition(tp));
    return p->OffsetForTimestamp(ts);
  }
  Status Commit(const std::string& group, const std::map<TopicPartition, int64_t>& offsets) override {
    std::vector<std::pair<TopicPartition, log::CommittedOffset>> entries;
    for (const auto& [tp, off] : offsets) entries.push_back({tp, {off, "", 0}});
    return lm_->groups().CommitOffsets(group, "", -1, entries);
  }
  Status Delete(const std::string& group) override { return lm_->groups().DeleteGroup(group); }
  Status Close() override { return lm_->Close(); }

 private:
  std::unique_ptr<log::LogManager> lm_;
};

class RemoteGroups final : public GroupsTarget {
 public:
  explicit RemoteGroups(std::unique_ptr<connectors::kafka::Admin> admin) : admin_(std::move(admin)) {}
  std::vector<std::string> List() override {
    std::vector<std::string> out;
    auto groups = admin_->ListGroups();
    if (!groups.ok()) {
      error_ = groups.status();
      return out;
    }
    for (const auto& g : *groups) out.push_back(g.group);
    return out;
  }
  Status list_error() const { return error_; }
  Result<GroupView> Describe(const std::string& group) override {
    auto info = admin_->DescribeGroup(group);
    if (!info.ok() && info.status().code() == Errc::kNotFound) return GroupView{};
    RIVULET_RETURN_IF_ERROR(info.status());
    GroupView v;
    v.state = info->state;
    v.protocol = info->protocol;
    for (const auto& m : info->members) v.members.push_back({m.member_id, m.client_id, m.client_host, "", m.assignment});
    return v;
  }
  Result<std::map<TopicPartition, int64_t>> Committed(const std::string& group) override {
    RIVULET_ASSIGN_OR_RETURN(auto committed, admin_->CommittedOffsets(group));
    std::map<TopicPartition, int64_t> out;
    for (const auto& [tp, off] : committed) out[{tp.first, tp.second}] = off;
    return out;
  }
  Result<int32_t> PartitionCount(const std::string& topic) override {
    RIVULET_ASSIGN_OR_RETURN(auto parts, Partitions(topic));
    return static_cast<int32_t>(parts->size());
  }
  Result<std::pair<int64_t, int64_t>> Range(const TopicPartition& tp) override {
    RIVULET_ASSIGN_OR_RETURN(auto parts, Partitions(tp.topic));
    for (const auto& p : *parts) {
      if (p.partition == tp.partition) return std::pair<int64_t, int64_t>{p.low, p.high};
    }
    return Status(Errc::kNotFound, "topic '" + tp.topic + "' has no partition " + std::to_string(tp.partition));
  }
  Result<int64_t> OffsetForTime(const TopicPartition& tp, int64_t ts) override {
    RIVULET_ASSIGN_OR_RETURN(auto offs, admin_->OffsetsForTime(tp.topic, {tp.partition}, ts));
    auto it = offs.find(tp.partition);
    return it == offs.end() ? int64_t{-1} : it->second;
  }
  Status Commit(const std::string& group, const std::map<TopicPartition, int64_t>& offsets) override {
    std::map<std::pair<std::string, int32_t>, int64_t> out;
    for (const auto& [tp, off] : offsets) out[{tp.topic, tp.partition}] = off;
    return admin_->AlterGroupOffsets(group, out);
  }
  Status Delete(const std::string& group) override { return admin_->DeleteGroup(group); }

 private:
  // Partitions with their watermarks, asked once per topic.
  Result<const std::vector<connectors::kafka::PartitionInfo>*> Partitions(const std::string& topic) {
    auto it = partitions_.find(topic);
    if (it == partitions_.end()) {
      RIVULET_ASSIGN_OR_RETURN(auto parts, admin_->DescribeTopic(topic));
      it = partitions_.emplace(topic, std::move(parts)).first;
    }
    return &it->second;
  }

  std::unique_ptr<connectors::kafka::Admin> admin_;
  std::map<std::string, std::vector<connectors::kafka::PartitionInfo>> partitions_;
  Status error_;
};

// The partitions each member owns, from its assignment.
std::map<TopicPartition, std::string> Owners(const GroupView& g) {
  std::map<TopicPartition, std::string> out;
  for (const auto& m : g.members) {
    auto a = log::DecodeAssignment(m.assignment);
    if (!a.ok()) continue;
    for (const auto& [topic, parts] : *a) {
      for (int32_t p : parts) out[{topic, p}] = m.member_id;
    }
  }
  return out;
}

Status DescribeOffsets(GroupsTarget& t, const std::string& group, const GroupView& g) {
  struct Row {
    std::string current = "-", end = "-", lag = "-", owner = "-";
  };
  // Partitions: those with a commit, and those assigned to a member.
  std::map<TopicPartition, Row> rows;
  for (const auto& [tp, owner] : Owners(g)) rows[tp].owner = owner;
  RIVULET_ASSIGN_OR_RETURN(auto committed, t.Committed(group));
  for (const auto& [tp, off] : committed) rows[tp].current = std::to_string(off);
  for (auto& [tp, r] : rows) {
    auto range = t.Range(tp);
    if (!range.ok()) continue;
    r.end = std::to_string(range->second);
    if (r.current != "-") r.lag = std::to_string(std::max<int64_t>(0, range->second - std::stoll(r.current)));
  }
  const std::string extra = g.generation ? "generation " + std::to_string(*g.generation) + ", " : "";
  std::printf("Group %s is %s (%s%zu members)\n", group.c_str(), g.state.c_str(), extra.c_str(), g.members.size());
  std::printf("%-24s %-9s %-14s %-14s %-8s %s\n", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
              "CONSUMER-ID");
  for (const auto& [tp, r] : rows) {
    std::printf("%-24s %-9d %-14s %-14s %-8s %s\n", tp.topic.c_str(), tp.partition, r.current.c_str(), r.end.c_str(),
                r.lag.c_str(), r.owner.c_str());
  }
  return Status::Ok();
}

void DescribeMembers(const std::string& group, const GroupView& g) {
  std::printf("%-20s %-40s %-20s %-20s %s\n", "GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS");
  for (const auto& m : g.members) {
    size_t n = 0;
    if (auto a = log::DecodeAssignment(m.assignment); a.ok()) {
      for (const auto& [topic, parts] : *a) n += parts.size();
    }
    std::printf("%-20s %-40s %-20s %-20s %zu\n", group.c_str(), m.member_id.c_str(), m.client_host.c_str(),
                m.client_id.c_str(), n);
  }
  if (g.members.empty()) std::printf("Consumer group '%s' has no active members.\n", group.c_str());
}

void DescribeState(const std::string& group, const GroupView& g) {
  std::printf("%-20s %-20s %-20s %s\n", "GROUP", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
  std::printf("%-20s %-20s %-20s %zu\n", group.c_str(), g.protocol.empty() ? "-" : g.protocol.c_str(),
              g.state.c_str(), g.members.size());
}

// ---------------------------------------------------------------- reset

// "2026-12-03T10:15:30", with optional ".sss" and a zone ("Z", "+01:00",
// "-0130"); without a zone, local time (as kafka-consumer-groups).
Result<int64_t> ParseDateTime(const std::string& s) {
  std::tm tm{};
  int ms = 0;
  const char* p = strptime(s.c_str(), "%Y-%m-%dT%H:%M", &tm);
  if (p != nullptr && *p == ':') p = strptime(p, ":%S", &tm);
  if (p != nullptr && *p == '.') {
    ++p;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3) ms = ms * 10 + (*p++ - '0'), ++digits;
    while (digits++ < 3) ms *= 10;
  }
  auto bad = [&] {
    return Status(Errc::kInvalidArgument,
                  "--to-datetime '" + s + "' is not YYYY-MM-DDTHH:mm[:SS[.sss]][Z|+HH:MM|-HH:MM]");
  };
  if (p == nullptr) return bad();
  int64_t seconds = 0;
  if (*p == '\0') {
    tm.tm_isdst = -1;
    seconds = static_cast<int64_t>(std::mktime(&tm));
  } else if (*p == 'Z' && p[1] == '\0') {
    seconds = static_cast<int64_t>(timegm(&tm));
  } else if (*p == '+' || *p == '-') {
    const int sign = *p == '+' ? 1 : -1;
    int hh = 0, mm = 0;
    if (std::sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 && std::sscanf(p + 1, "%2d%2d", &hh, &mm) != 2) return bad();
    seconds = static_cast<int64_t>(timegm(&tm)) - sign * (hh * 3600 + mm * 60);
  } else {
    return bad();
  }
  return seconds * 1000 + ms;
}

// ISO 8601 durations as kafka-consumer-groups takes them: PnDTnHnMnS (any
// part may be left out; seconds may have a fraction).
Result<int64_t> ParseDurationMs(const std::string& s) {
  auto bad = [&] { return Status(Errc::kInvalidArgument, "--by-duration '" + s + "' is not PnDTnHnMnS (e.g. PT1H30M)"); };
  if (s.size() < 3 || (s[0] != 'P' && s[0] != 'p')) return bad();
  double total_ms = 0;
  bool in_time = false, any = false;
  size_t i = 1;
  while (i < s.size()) {
    if (s[i] == 'T' || s[i] == 't') {
      in_time = true;
      ++i;
      continue;
    }
    size_t used = 0;
    double n = 0;
    try {
      n = std::stod(s.substr(i), &used);
    } catch (...) {
      return bad();
    }
    if (used == 0 || n < 0 || i + used >= s.size()) return bad();
    i += used;
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i++])));
    if (!in_time && unit == 'D') {
      total_ms += n * 86400e3;
    } else if (in_time && unit == 'H') {
      total_ms += n * 3600e3;
    } else if (in_time && unit == 'M') {
      total_ms += n * 60e3;
    } else if (in_time && unit == 'S') {
      total_ms += n * 1e3;
    } else {
      return bad();
    }
    any = true;
  }
  if (!any) return bad();
  return static_cast<int64_t>(total_ms);
}

// The partitions a reset applies to: --topic T[:P,...], or --all-topics
// (every partition the group has committed).
Result<std::set<TopicPartition>> ResetScope(GroupsTarget& t, const GroupsFlags& f,
                                            const std::map<TopicPartition, int64_t>& committed) {
  std::set<TopicPartition> out;
  if (f.all_topics) {
    for (const auto& [tp, off] : committed) out.insert(tp);
    if (out.empty()) return Status(Errc::kNotFound, "group '" + f.group + "' has no committed offsets: name --topic");
    return out;
  }
  for (const auto& spec : f.topics) {
    const auto colon = spec.find(':');
    const std::string topic = spec.substr(0, colon);
    RIVULET_ASSIGN_OR_RETURN(int32_t count, t.PartitionCount(topic));
    if (colon == std::string::npos) {
      for (int32_t p = 0; p < count; ++p) out.insert({topic, p});
      continue;
    }
    std::stringstream parts(spec.substr(colon + 1));
    std::string item;
    while (std::getline(parts, item, ',')) {
      char* end = nullptr;
      const long p = std::strtol(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || p < 0 || p >= count) {
        return Status(Errc::kInvalidArgument, "--topic " + spec + ": '" + item + "' is not a partition of " + topic +
                                                  " (0.." + std::to_string(count - 1) + ")");
      }
      out.insert({topic, static_cast<int32_t>(p)});
    }
  }
  return out;
}

Status ResetOffsets(GroupsTarget& t, const GroupsFlags& f) {
  const int specs = f.to_earliest + f.to_latest + f.to_current + f.to_offset.has_value() + f.shift_by.has_value() +
                    !f.to_datetime.empty() + !f.by_duration.empty();
  if (specs != 1) {
    return Status(Errc::kInvalidArgument,
                  "give exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, "
                  "--to-datetime, --by-duration");
  }
  if (f.all_topics == !f.topics.empty()) return Status(Errc::kInvalidArgument, "give --topic T[:P,...] or --all-topics");
  if (f.execute && f.dry_run) return Status(Errc::kInvalidArgument, "--dry-run and --execute exclude each other");
  // The time of --to-datetime / --by-duration; before 1970 is 0 (records
  // carry no earlier time, and a negative one means something else to
  // ListOffsets).
  std::optional<int64_t> ts;
  if (!f.to_datetime.empty()) {
    RIVULET_ASSIGN_OR_RETURN(int64_t at, ParseDateTime(f.to_datetime));
    ts = std::max<int64_t>(at, 0);
  }
  if (!f.by_duration.empty()) {
    RIVULET_ASSIGN_OR_RETURN(int64_t d, ParseDurationMs(f.by_duration));
    const int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    ts = std::max<int64_t>(now - d, 0);
  }
  RIVULET_ASSIGN_OR_RETURN(GroupView g, t.Describe(f.group));
  if (!g.members.empty() || (g.state != "Empty" && g.state != "Dead")) {
    return Status(Errc::kGroupNotEmpty, "offsets can only be reset while group '" + f.group +
                                            "' is inactive, but it is " + g.state + " with " +
                                            std::to_string(g.members.size()) + " members: stop them first");
  }
  RIVULET_ASSIGN_OR_RETURN(auto committed, t.Committed(f.group));
  RIVULET_ASSIGN_OR_RETURN(auto scope, ResetScope(t, f, committed));
  std::map<TopicPartition, int64_t> plan;
  for (const auto& tp : scope) {
    RIVULET_ASSIGN_OR_RETURN(auto range, t.Range(tp));
    const auto [start, end] = range;
    auto current = committed.find(tp);
    int64_t target = 0;
    if (f.to_earliest) {
      target = start;
    } else if (f.to_latest) {
      target = end;
    } else if (f.to_offset) {
      target = *f.to_offset;
    } else if (ts) {
      RIVULET_ASSIGN_OR_RETURN(int64_t off, t.OffsetForTime(tp, *ts));
      target = off < 0 ? end : off;
    } else {  // --to-current, --shift-by: from the committed offset
      if (current == committed.end()) {
        return Status(Errc::kNotFound, "group '" + f.group + "' has no committed offset for " + tp.ToString() +
                                           ": use an absolute reset (--to-earliest, --to-offset, ...)");
      }
      target = current->second + (f.shift_by ? *f.shift_by : 0);
    }
    const int64_t clamped = std::clamp(target, start, end);
    if (clamped != target) {
      std::fprintf(stderr, "%s: %lld is outside [%lld, %lld]; using %lld\n", tp.ToString().c_str(),
                   static_cast<long long>(target), static_cast<long long>(start), static_cast<long long>(end),
                   static_cast<long long>(clamped));
    }
    plan[tp] = clamped;
  }
  std::printf("%-20s %-24s %-9s %s\n", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
  for (const auto& [tp, off] : plan) {
    std::printf("%-20s %-24s %-9d %lld\n", f.group.c_str(), tp.topic.c_str(), tp.partition, static_cast<long long>(off));
  }
  if (!f.execute) {
    std::fprintf(stderr, "dry run: nothing committed (add --execute to commit these offsets)\n");
    return Status::Ok();
  }
  return t.Commit(f.group, plan);
}

Status RunGroups(GroupsFlags& f) {
  if (f.list + f.describe + f.reset + f.del != 1) {
    return Status(Errc::kInvalidArgument, "give exactly one of --list, --describe, --reset-offsets, --delete");
  }
  if (!f.list && f.group.empty()) return Status(Errc::kInvalidArgument, "--group is required");
  if ((f.members || f.state) && !f.describe) {
    return Status(Errc::kInvalidArgument, "--members and --state go with --describe");
  }
  if (f.members && f.state) return Status(Errc::kInvalidArgument, "--members and --state exclude each other");
  const bool reset_flags = !f.topics.empty() || f.all_topics || f.execute || f.dry_run;
  if (reset_flags && !f.reset) {
    return Status(Errc::kInvalidArgument, "--topic, --all-topics, --execute and --dry-run go with --reset-offsets");
  }
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  std::unique_ptr<GroupsTarget> t;
  if (f.target.remote()) {
    RIVULET_ASSIGN_OR_RETURN(auto admin, connectors::kafka::Admin::Open(f.target.bootstrap, f.target.client));
    t = std::make_unique<RemoteGroups>(std::move(admin));
  } else {
    RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
    t = std::make_unique<EmbeddedGroups>(std::move(lm));
  }
  Status st;
  if (f.list) {
    for (const auto& g : t->List()) std::printf("%s\n", g.c_str());
    if (auto* r = dynamic_cast<RemoteGroups*>(t.get())) st = r->list_error();
  } else if (f.describe) {
    auto g = t->Describe(f.group);
    if (!g.ok()) {
      st = g.status();
    } else if (g->state == "Dead") {
      st = Status(Errc::kNotFound, "unknown group '" + f.group + "'");
    } else if (f.members) {
      DescribeMembers(f.group, *g);
    } else if (f.state) {
      DescribeState(f.group, *g);
    } else {
      st = DescribeOffsets(*t, f.group, *g);
    }
  } else if (f.reset) {
    st = ResetOffsets(*t, f);
  } else {
    st = t->Delete(f.group);
    if (st.ok()) std::printf("Deleted group %s.\n", f.group.c_str());
  }
  Status closed = t->Close();
  RIVULET_RETURN_IF_ERROR(st);
  return closed;
}

}  // namespace

void AddGroupsCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<GroupsFlags>();
  CLI::App* cmd = app.add_subcommand("groups", "list, describe, reset and delete consumer groups");
  f->target.AddFlags(cmd);
  cmd->add_flag("--list", f->list, "list groups");
  cmd->add_flag("--describe", f->describe, "describe a group: offsets and lag (or --members, --state)");
  cmd->add_flag("--reset-offsets", f->reset, "reset a group's committed offsets (a dry run without --execute)");
  cmd->add_flag("--delete", f->del, "delete a group without active members, with its offsets");
  cmd->add_option("--group", f->group, "group id");
  cmd->add_flag("--members", f->members, "with --describe: the members and how many partitions each owns");
  cmd->add_flag("--state", f->state, "with --describe: the group's state, assignor and member count");
  cmd->add_option("--topic", f->topics, "with --reset-offsets: T (every partition) or T:0,2 (repeatable)");
  cmd->add_flag("--all-topics", f->all_topics, "with --reset-offsets: every partition the group has committed");
  cmd->add_flag("--to-earliest", f->to_earliest, "reset to the log start");
  cmd->add_flag("--to-latest", f->to_latest, "reset to the log end");
  cmd->add_flag("--to-current", f->to_current, "reset to the committed offset (no change)");
  cmd->add_option("--to-offset", f->to_offset, "reset to offset N (kept within the log)");
  cmd->add_option("--shift-by", f->shift_by, "move the committed offset by N (negative: back)");
  cmd->add_option("--to-datetime", f->to_datetime,
                  "reset to the first record at or after YYYY-MM-DDTHH:mm:SS.sss[Z|+HH:MM] (local time without a zone)");
  cmd->add_option("--by-duration", f->by_duration, "reset to the first record of the last PnDTnHnMnS (e.g. PT1H)");
  cmd->add_flag("--dry-run", f->dry_run, "print the new offsets only (the default)");
  cmd->add_flag("--execute", f->execute, "commit the new offsets");
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunGroups(*f), f->target); }; });
}

}  // namespace rivulet::tools

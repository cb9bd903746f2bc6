// `rivulet topics`: create, list, describe, alter and delete topics.
#include <algorithm>
#include <cstdio>
#include <map>

#include "connectors/kafka/kafka_client.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct TopicsFlags {
  Target target;
  bool create = false, list = false, describe = false, del = false, alter = false;
  std::string topic;
  int32_t partitions = 1;
  bool partitions_given = false;
  std::vector<std::string> configs;
  std::vector<std::string> add_configs;     // --add-config k=v[,k=v]
  std::vector<std::string> delete_configs;  // --delete-config k[,k]
};

// "a=1,b=2" and repeated flags, as kafka-configs takes them; a list value
// goes in brackets: "cleanup.policy=[compact,delete]".
std::vector<std::string> SplitCommas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::string current;
    int depth = 0;
    for (char c : item) {
      depth += c == '[' ? 1 : c == ']' ? -1 : 0;
      if (c == ',' && depth == 0) {
        if (!current.empty()) out.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    if (!current.empty()) out.push_back(current);
  }
  return out;
}

// The topic's overrides after --add-config and --delete-config.
Result<std::map<std::string, std::string>> AlteredOverrides(const TopicsFlags& f,
                                                            std::map<std::string, std::string> overrides) {
  for (const auto& key : SplitCommas(f.delete_configs)) {
    if (overrides.erase(key) == 0) {
      return Status(Errc::kInvalidArgument, "--delete-config " + key + ": topic '" + f.topic +
                                                "' does not override it (it is at its default)");
    }
  }
  for (const auto& kv : SplitCommas(f.add_configs)) {
    RIVULET_ASSIGN_OR_RETURN(auto p, ParseKeyValue(kv));
    if (p.second.size() >= 2 && p.second.front() == '[' && p.second.back() == ']') {
      p.second = p.second.substr(1, p.second.size() - 2);
    }
    overrides[p.first] = p.second;
  }
  return overrides;
}

void PrintAltered(const TopicsFlags& f, int32_t was) {
  if (f.partitions_given) std::printf("Topic %s grew from %d to %d partitions.\n", f.topic.c_str(), was, f.partitions);
  if (!f.add_configs.empty() || !f.delete_configs.empty()) std::printf("Altered the settings of topic %s.\n", f.topic.c_str());
}

// The overrides, if any, after the partition count (kafka-topics' line).
void PrintConfigs(const std::map<std::string, std::string>& overrides) {
  if (overrides.empty()) {
    std::printf("\n");
    return;
  }
  std::printf("\tConfigs:");
  bool first = true;
  for (const auto& [k, v] : overrides) {
    std::printf("%s%s=%s", first ? " " : ",", k.c_str(), v.c_str());
    first = false;
  }
  std::printf("\n");
}

Status ParseConfigs(const std::vector<std::string>& kvs, std::map<std::string, std::string>* out) {
  for (const auto& kv : kvs) {
    RIVULET_ASSIGN_OR_RETURN(auto p, ParseKeyValue(kv));
    out->insert(p);
  }
  return Status::Ok();
}

Status RunTopicsKafka(const TopicsFlags& f) {
  RIVULET_ASSIGN_OR_RETURN(auto admin, connectors::kafka::Admin::Open(f.target.bootstrap, f.target.client));
  if (f.create) {
    std::map<std::string, std::string> cfg;
    RIVULET_RETURN_IF_ERROR(ParseConfigs(f.configs, &cfg));
    RIVULET_RETURN_IF_ERROR(admin->CreateTopic(f.topic, f.partitions, cfg));
    std::printf("Created topic %s with %d partitions.\n", f.topic.c_str(), f.partitions);
  } else if (f.del) {
    RIVULET_RETURN_IF_ERROR(admin->DeleteTopic(f.topic));
    std::printf("Deleted topic %s.\n", f.topic.c_str());
  } else if (f.alter) {
    RIVULET_ASSIGN_OR_RETURN(auto parts, admin->DescribeTopic(f.topic));
    if (!f.add_configs.empty() || !f.delete_configs.empty()) {
      // Read, change, replace (AlterConfigs): librdkafka 2.0 has no
      // IncrementalAlterConfigs, so a change made by another client in
      // between is overwritten (topics.md says so).
      RIVULET_ASSIGN_OR_RETURN(auto current, admin->TopicOverrides(f.topic));
      RIVULET_ASSIGN_OR_RETURN(auto next, AlteredOverrides(f, current));
      RIVULET_RETURN_IF_ERROR(admin->SetTopicOverrides(f.topic, next));
    }
    if (f.partitions_given) RIVULET_RETURN_IF_ERROR(admin->CreatePartitions(f.topic, f.partitions));
    PrintAltered(f, static_cast<int32_t>(parts.size()));
  } else if (f.list) {
    RIVULET_ASSIGN_OR_RETURN(auto names, admin->ListTopics());
    for (const auto& t : names) std::printf("%s\n", t.c_str());
  } else {
    std::vector<std::string> names;
    if (f.topic.empty()) {
      RIVULET_ASSIGN_OR_RETURN(names, admin->ListTopics());
    } else {
      names.push_back(f.topic);
    }
    for (const auto& name : names) {
      RIVULET_ASSIGN_OR_RETURN(auto parts, admin->DescribeTopic(name));
      RIVULET_ASSIGN_OR_RETURN(auto overrides, admin->TopicOverrides(name));
      std::printf("Topic: %s\tPartitionCount: %zu", name.c_str(), parts.size());
      PrintConfigs(overrides);
      for (const auto& p : parts) {
        std::printf("\tTopic: %s\tPartition: %d\tStartOffset: %lld\tEndOffset: %lld\n", name.c_str(),
                    p.partition, static_cast<long long>(p.low), static_cast<long long>(p.high));
      }
    }
  }
  return Status::Ok();
}

Status RunTopics(TopicsFlags& f) {
  const int modes = f.create + f.list + f.describe + f.del + f.alter;
  if (modes != 1) {
    return Status(Errc::kInvalidArgument, "give exactly one of --create, --list, --describe, --alter, --delete");
  }
  if ((f.create || f.del || f.alter) && f.topic.empty()) {
    return Status(Errc::kInvalidArgument, "--topic is required");
  }
  const bool alters = f.partitions_given || !f.add_configs.empty() || !f.delete_configs.empty();
  if (f.alter && !alters) {
    return Status(Errc::kInvalidArgument, "--alter needs --partitions, --add-config or --delete-config");
  }
  if ((!f.add_configs.empty() || !f.delete_configs.empty()) && !f.alter) {
    return Status(Errc::kInvalidArgument, "--add-config and --delete-config go with --alter (--create takes --config)");
  }
  if (f.partitions_given && !f.create && !f.alter) {
    return Status(Errc::kInvalidArgument, "--partitions goes with --create or --alter");
  }
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunTopicsKafka(f);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  if (f.create) {
    std::map<std::string, std::string> cfg;
    RIVULET_RETURN_IF_ERROR(ParseConfigs(f.configs, &cfg));
    RIVULET_RETURN_IF_ERROR(lm->CreateTopic(f.topic, f.partitions, cfg));
    std::printf("Created topic %s with %d partitions.\n", f.topic.c_str(), f.partitions);
  } else if (f.del) {
    RIVULET_RETURN_IF_ERROR(lm->DeleteTopic(f.topic));
    std::printf("Deleted topic %s.\n", f.topic.c_str());
  } else if (f.alter) {
    RIVULET_ASSIGN_OR_RETURN(int32_t was, lm->PartitionCount(f.topic));
    if (!f.add_configs.empty() || !f.delete_configs.empty()) {
      RIVULET_RETURN_IF_ERROR(lm->UpdateTopicConfig(
          f.topic, [&](std::map<std::string, std::string> current) { return AlteredOverrides(f, std::move(current)); }));
    }
    if (f.partitions_given) RIVULET_RETURN_IF_ERROR(lm->AddPartitions(f.topic, f.partitions));
    PrintAltered(f, was);
  } else if (f.list) {
    for (const auto& t : lm->ListTopics()) std::printf("%s\n", t.c_str());
  } else {
    std::vector<std::string> names = f.topic.empty() ? lm->ListTopics() : std::vector<std::string>{f.topic};
    for (const auto& name : names) {
      RIVULET_ASSIGN_OR_RETURN(auto d, lm->DescribeTopic(name));
      RIVULET_ASSIGN_OR_RETURN(auto overrides, lm->TopicOverrides(name));
      std::printf("Topic: %s\tPartitionCount: %zu", d.name.c_str(), d.partitions.size());
      PrintConfigs(overrides);
      for (const auto& p : d.partitions) {
        std::printf("\tTopic: %s\tPartition: %d\tStartOffset: %lld\tEndOffset: %lld\tSize: %llu\tSegments: %zu\n",
                    d.name.c_str(), p.partition, static_cast<long long>(p.log_start_offset),
                    static_cast<long long>(p.log_end_offset),
                    static_cast<unsigned long long>(p.size_bytes), p.segments);
      }
    }
  }
  return lm->Close();
}

}  // namespace

void AddTopicsCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<TopicsFlags>();
  CLI::App* cmd = app.add_subcommand("topics", "create, list, describe, alter and delete topics");
  f->target.AddFlags(cmd);
  cmd->add_flag("--create", f->create, "create a topic");
  cmd->add_flag("--list", f->list, "list topics");
  cmd->add_flag("--describe", f->describe, "describe a topic (or all)");
  cmd->add_flag("--delete", f->del, "delete a topic");
  cmd->add_flag("--alter", f->alter, "grow a topic (--partitions) or change its settings (--add-config, --delete-config)");
  cmd->add_option("--topic", f->topic, "topic name");
  CLI::Option* partitions =
      cmd->add_option("--partitions", f->partitions, "partition count for --create, or the new (larger) one for --alter")
          ->capture_default_str();
  cmd->add_option("--config", f->configs, "topic setting key=value for --create (repeatable)");
  cmd->add_option("--add-config", f->add_configs, "with --alter: set k=v[,k=v...] (repeatable)");
  cmd->add_option("--delete-config", f->delete_configs, "with --alter: return k[,k...] to its default (repeatable)");
  cmd->callback([f, action, partitions] {
    f->partitions_given = partitions->count() > 0;
    *action = [f] { return NameBroker(RunTopics(*f), f->target); };
  });
}

}  // namespace rivulet::tools

// `rivulet topics`: create, list, describe and delete topics.
#include <cstdio>
#include <map>

#include "connectors/kafka/kafka_client.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct TopicsFlags {
  Target target;
  bool create = false, list = false, describe = false, del = false;
  std::string topic;
  int32_t partitions = 1;
  std::vector<std::string> configs;
};

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
      std::printf("Topic: %s\tPartitionCount: %zu\n", name.c_str(), parts.size());
      for (const auto& p : parts) {
        std::printf("\tTopic: %s\tPartition: %d\tStartOffset: %lld\tEndOffset: %lld\n", name.c_str(),
                    p.partition, static_cast<long long>(p.low), static_cast<long long>(p.high));
      }
    }
  }
  return Status::Ok();
}

Status RunTopics(TopicsFlags& f) {
  const int modes = f.create + f.list + f.describe + f.del;
  if (modes != 1) {
    return Status(Errc::kInvalidArgument, "give exactly one of --create, --list, --describe, --delete");
  }
  if ((f.create || f.del) && f.topic.empty()) {
    return Status(Errc::kInvalidArgument, "--topic is required");
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
  } else if (f.list) {
    for (const auto& t : lm->ListTopics()) std::printf("%s\n", t.c_str());
  } else {
    std::vector<std::string> names = f.topic.empty() ? lm->ListTopics() : std::vector<std::string>{f.topic};
    for (const auto& name : names) {
      RIVULET_ASSIGN_OR_RETURN(auto d, lm->DescribeTopic(name));
      std::printf("Topic: %s\tPartitionCount: %zu\tConfigs:", d.name.c_str(), d.partitions.size());
      bool first = true;
      for (const auto& [k, v] : d.configs) {
        std::printf("%s%s=%s", first ? " " : ",", k.c_str(), v.c_str());
        first = false;
      }
      std::printf("\n");
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
  CLI::App* cmd = app.add_subcommand("topics", "create, list, describe and delete topics");
  f->target.AddFlags(cmd);
  cmd->add_flag("--create", f->create, "create a topic");
  cmd->add_flag("--list", f->list, "list topics");
  cmd->add_flag("--describe", f->describe, "describe a topic (or all)");
  cmd->add_flag("--delete", f->del, "delete a topic");
  cmd->add_option("--topic", f->topic, "topic name");
  cmd->add_option("--partitions", f->partitions, "partition count for --create")->capture_default_str();
  cmd->add_option("--config", f->configs, "topic setting key=value (repeatable)");
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunTopics(*f), f->target); }; });
}

}  // namespace rivulet::tools

// `rivulet consume`: print records, one per line.
#include <chrono>
#include <cstdio>
#include <set>
#include <string>

#include "log/consumer.h"
#include "connectors/kafka/kafka_client.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct ConsumeFlags {
  Target target;
  std::string topic;
  std::string group;
  bool from_beginning = false;
  int64_t max_messages = -1;
  int64_t timeout_ms = -1;
  bool print_key = false;
  std::string separator = "\t";
  int32_t partition = -1;
  int64_t offset = -1;
  std::string isolation = "read_uncommitted";
};

void Print(std::FILE* out, const std::optional<std::string_view>& v) {
  if (!v) {
    std::fputs("null", out);
  } else {
    std::fwrite(v->data(), 1, v->size(), out);
  }
}

void PrintRecord(const ConsumeFlags& f, const std::optional<std::string_view>& key,
                 const std::optional<std::string_view>& value) {
  if (f.print_key) {
    Print(stdout, key);
    std::fwrite(f.separator.data(), 1, f.separator.size(), stdout);
  }
  Print(stdout, value);
  std::fputc('\n', stdout);
}

std::optional<std::string_view> View(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

Status RunConsumeKafka(const ConsumeFlags& f) {
  namespace k = connectors::kafka;
  const std::string reset = f.from_beginning ? "earliest" : "latest";
  k::Config config = f.target.client;  // --command-config, -X
  config["isolation.level"] = f.isolation;
  RIVULET_ASSIGN_OR_RETURN(auto consumer, k::Consumer::Open(f.target.bootstrap, f.group, reset, config));
  if (!f.group.empty()) {
    RIVULET_RETURN_IF_ERROR(consumer->Subscribe({f.topic}));
  } else {
    RIVULET_ASSIGN_OR_RETURN(auto admin, k::Admin::Open(f.target.bootstrap, f.target.client));
    RIVULET_ASSIGN_OR_RETURN(auto parts, admin->DescribeTopic(f.topic));
    std::vector<int32_t> ps;
    for (const auto& p : parts) {
      if (f.partition < 0 || p.partition == f.partition) ps.push_back(p.partition);
    }
    if (ps.empty()) {
      return Status(Errc::kNotFound, "topic '" + f.topic + "' has no partition " + std::to_string(f.partition));
    }
    RIVULET_RETURN_IF_ERROR(consumer->Assign(f.topic, ps, f.offset >= 0 ? f.offset : f.from_beginning ? -2 : -1));
  }
  int64_t printed = 0;
  auto idle_since = std::chrono::steady_clock::now();
  Status result;
  while (!Interrupted() && (f.max_messages < 0 || printed < f.max_messages)) {
    auto m = consumer->Poll(std::chrono::milliseconds(100));
    if (!m.ok()) {
      result = m.status();
      break;
    }
    if (!m->has_value()) {
      if (f.timeout_ms >= 0 &&
          std::chrono::steady_clock::now() - idle_since >= std::chrono::milliseconds(f.timeout_ms)) {
        break;
      }
      continue;
    }
    idle_since = std::chrono::steady_clock::now();
    const auto& msg = **m;
    PrintRecord(f, View(msg.key), View(msg.value));
    std::fflush(stdout);
    ++printed;
    if (!f.group.empty()) RIVULET_RETURN_IF_ERROR(consumer->StoreOffset(msg));
  }
  consumer->Close();  // commits stored offsets
  return result;
}

Status RunConsume(ConsumeFlags& f) {
  if (f.offset >= 0 && f.partition < 0) {
    return Status(Errc::kInvalidArgument, "--offset needs --partition");
  }
  if (f.partition >= 0 && !f.group.empty()) {
    return Status(Errc::kInvalidArgument, "--partition and --group exclude each other");
  }
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunConsumeKafka(f);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  RIVULET_ASSIGN_OR_RETURN(int32_t partitions, lm->PartitionCount(f.topic));
  log::ConsumerConfig cc;
  cc.group_id = f.group;
  cc.client_id = "rivulet-consume";
  cc.auto_offset_reset = f.from_beginning ? log::OffsetReset::kEarliest : log::OffsetReset::kLatest;
  cc.enable_auto_commit = !f.group.empty();
  cc.max_poll_records = 1000;
  cc.isolation_level = f.isolation == "read_committed" ? log::IsolationLevel::kReadCommitted
                                                       : log::IsolationLevel::kReadUncommitted;
  log::Consumer consumer(lm.get(), cc);
  if (!f.group.empty()) {
    RIVULET_RETURN_IF_ERROR(consumer.Subscribe({f.topic}));
  } else {
    std::vector<log::TopicPartition> tps;
    for (int32_t p = 0; p < partitions; ++p) {
      if (f.partition < 0 || f.partition == p) tps.push_back({f.topic, p});
    }
    if (tps.empty()) {
      return Status(Errc::kNotFound, "topic '" + f.topic + "' has no partition " + std::to_string(f.partition));
    }
    RIVULET_RETURN_IF_ERROR(consumer.Assign(tps));
    if (f.offset >= 0) RIVULET_RETURN_IF_ERROR(consumer.Seek(tps[0], f.offset));
  }
  int64_t printed = 0;
  auto idle_since = std::chrono::steady_clock::now();
  Status result;
  while (!Interrupted() && (f.max_messages < 0 || printed < f.max_messages)) {
    auto records = consumer.Poll(std::chrono::milliseconds(100));
    if (!records.ok()) {
      result = records.status();
      break;
    }
    if (records->empty()) {
      if (f.timeout_ms >= 0 && std::chrono::steady_clock::now() - idle_since >=
                                   std::chrono::milliseconds(f.timeout_ms)) {
        break;
      }
      continue;
    }
    idle_since = std::chrono::steady_clock::now();
    std::set<int32_t> rewound;
    for (const auto& r : *records) {
      if (f.max_messages >= 0 && printed >= f.max_messages) {
        // Not printed: rewind to the first such record of each partition so
        // that the group does not commit past it.
        if (rewound.insert(r.partition).second) {
          RIVULET_RETURN_IF_ERROR(consumer.Seek({std::string(r.topic), r.partition}, r.offset));
        }
        continue;
      }
      PrintRecord(f, r.key, r.value);
      ++printed;
    }
    std::fflush(stdout);
  }
  consumer.Close();
  RIVULET_RETURN_IF_ERROR(result);
  return lm->Close();
}

}  // namespace

void AddConsumeCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<ConsumeFlags>();
  CLI::App* cmd = app.add_subcommand("consume", "print records of a topic, one per line");
  f->target.AddFlags(cmd);
  cmd->add_option("--topic", f->topic, "topic to read")->required();
  cmd->add_option("--group", f->group, "consumer group (commits offsets)");
  cmd->add_flag("--from-beginning", f->from_beginning, "start at the earliest offset when nothing is committed");
  cmd->add_option("--max-messages", f->max_messages, "stop after N records");
  cmd->add_option("--timeout-ms", f->timeout_ms, "stop after T ms without records");
  cmd->add_flag("--print-key", f->print_key, "print key, separator, value");
  cmd->add_option("--separator", f->separator, "key/value separator for --print-key (tab)");
  cmd->add_option("--partition", f->partition, "read only this partition");
  cmd->add_option("--offset", f->offset, "start at this offset (with --partition)");
  cmd->add_option("--isolation-level", f->isolation,
                  "read_committed: only records of committed transactions, up to the last stable offset")
      ->check(CLI::IsMember({"read_committed", "read_uncommitted"}));
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunConsume(*f), f->target); }; });
}

}  // namespace rivulet::tools

// `rivulet produce`: one record per line of stdin.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "log/producer.h"
#include "connectors/kafka/kafka_client.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct ProduceFlags {
  Target target;
  std::string topic;
  std::string key_separator;
  int32_t partition = -1;
  std::string acks = "all";
};

// Splits a line into key and value; kInvalidArgument without the separator.
Status SplitLine(const ProduceFlags& f, const std::string& line, int64_t lineno,
                 std::optional<std::string_view>* key, std::string_view* value) {
  *value = line;
  key->reset();
  if (f.key_separator.empty()) return Status::Ok();
  auto pos = line.find(f.key_separator);
  if (pos == std::string::npos) {
    return Status(Errc::kInvalidArgument, "line " + std::to_string(lineno) + " has no key separator '" +
                                              f.key_separator + "'");
  }
  *key = std::string_view(line).substr(0, pos);
  *value = std::string_view(line).substr(pos + f.key_separator.size());
  return Status::Ok();
}

Status RunProduceKafka(const ProduceFlags& f) {
  connectors::kafka::Config cfg = f.target.client;  // --command-config, -X
  if (f.acks == "1") cfg["acks"] = "1";
  RIVULET_ASSIGN_OR_RETURN(auto producer, connectors::kafka::Producer::Open(f.target.bootstrap, cfg));
  std::string line;
  int64_t lineno = 0;
  Status st;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::optional<std::string_view> key;
    std::string_view value;
    st = SplitLine(f, line, lineno, &key, &value);
    if (!st.ok()) break;
    st = producer->Send(f.topic, key ? std::optional<std::string>(std::string(*key)) : std::nullopt,
                        std::string(value), f.partition);
    if (!st.ok()) break;
  }
  Status fl = producer->Flush(std::chrono::seconds(60));
  RIVULET_RETURN_IF_ERROR(st);
  return fl;
}

Status RunProduce(ProduceFlags& f) {
  if (f.topic.empty()) return Status(Errc::kInvalidArgument, "--topic is required");
  if (f.acks != "all" && f.acks != "sync" && f.acks != "1" && f.acks != "-1") {
    return Status(Errc::kInvalidArgument, "--acks must be all, 1 or sync");
  }
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunProduceKafka(f);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  log::ProducerConfig pc;
  pc.acks = f.acks == "sync" ? log::ProducerConfig::Acks::kAllSync : log::ProducerConfig::Acks::kAll;
  log::Producer producer(lm.get(), pc);
  std::atomic<int64_t> failed{0};
  Status first_error;
  std::string line;
  int64_t lineno = 0;
  auto on_done = [&failed](const log::RecordMetadata&, const Status& st) {
    if (!st.ok()) failed.fetch_add(1);
  };
  Status st;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::optional<std::string_view> key;
    std::string_view value;
    st = SplitLine(f, line, lineno, &key, &value);
    if (!st.ok()) break;
    st = producer.Send(f.topic, key, value, on_done, f.partition);
    if (!st.ok()) break;
  }
  // Whatever was accepted before an error is still delivered.
  Status fl = producer.Flush();
  producer.Close();
  RIVULET_RETURN_IF_ERROR(st);
  RIVULET_RETURN_IF_ERROR(fl);
  if (failed.load() > 0) {
    return Status(Errc::kIoError, std::to_string(failed.load()) + " records failed");
  }
  return lm->Close();
}

}  // namespace

void AddProduceCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<ProduceFlags>();
  CLI::App* cmd = app.add_subcommand("produce", "produce lines of stdin as records");
  f->target.AddFlags(cmd);
  cmd->add_option("--topic", f->topic, "topic to write to")->required();
  cmd->add_option("--key-separator", f->key_separator, "split each line into key and value at S");
  cmd->add_option("--partition", f->partition, "write to this partition (default: by key)");
  cmd->add_option("--acks", f->acks, "all (appended) or sync (fsynced before done)")->capture_default_str();
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunProduce(*f), f->target); }; });
}

}  // namespace rivulet::tools

// `rivulet produce`: one record per line of stdin.
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "log/compression.h"
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
  std::vector<std::string> headers;  // --header k=v, as given
  std::string timestamp;             // --timestamp MS, as given ("": now)
  std::string compression;           // --compression-codec ("": none)
};

// The flags checked and parsed, before anything is opened.
struct ProduceSettings {
  std::vector<log::Header> headers;
  int64_t timestamp = -1;  // -1: now
  log::Compression codec = log::Compression::kNone;
};

Result<ProduceSettings> ParseSettings(const ProduceFlags& f) {
  ProduceSettings s;
  if (f.acks != "all" && f.acks != "-1" && f.acks != "1" && f.acks != "0" && f.acks != "sync") {
    return Status(Errc::kInvalidArgument, "--acks must be all, -1, 1, 0 or sync, got '" + f.acks + "'");
  }
  for (const std::string& h : f.headers) {
    const auto eq = h.find('=');
    if (eq == std::string::npos) return Status(Errc::kInvalidArgument, "--header '" + h + "' is not key=value");
    if (eq == 0) return Status(Errc::kInvalidArgument, "--header '" + h + "' has an empty key");
    s.headers.push_back({h.substr(0, eq), h.substr(eq + 1)});
  }
  if (!f.timestamp.empty()) {
    const char* end = f.timestamp.data() + f.timestamp.size();
    const auto [p, ec] = std::from_chars(f.timestamp.data(), end, s.timestamp);
    // From 1: librdkafka reads 0 as "now", so a broker would not store it.
    if (ec != std::errc() || p != end || s.timestamp < 1) {
      return Status(Errc::kInvalidArgument,
                    "--timestamp must be milliseconds since the epoch (a number >= 1), got '" + f.timestamp + "'");
    }
  }
  if (!f.compression.empty()) {
    auto codec = log::ParseCompression(f.compression);
    if (!codec.ok()) return Status(Errc::kInvalidArgument, "--compression-codec: " + codec.status().message());
    s.codec = *codec;
  }
  return s;
}

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

Status RunProduceKafka(const ProduceFlags& f, const ProduceSettings& s) {
  namespace k = connectors::kafka;
  if (f.acks == "sync") {
    return Status(Errc::kInvalidArgument, "--acks sync needs --data-dir: a broker fsyncs by its own flush "
                                          "settings (use --acks all)");
  }
  k::Config cfg = f.target.client;  // --command-config, -X
  if (f.acks == "1" || f.acks == "0") cfg["acks"] = f.acks;
  if (!f.compression.empty()) cfg["compression.codec"] = f.compression;
  std::vector<k::Header> headers;
  for (const log::Header& h : s.headers) headers.push_back({h.key, h.value});
  RIVULET_ASSIGN_OR_RETURN(auto producer, k::Producer::Open(f.target.bootstrap, cfg));
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
                        std::string(value), f.partition, s.timestamp, headers);
    if (!st.ok()) break;
  }
  Status fl = producer->Flush(std::chrono::seconds(60));
  RIVULET_RETURN_IF_ERROR(st);
  return fl;
}

Status RunProduce(ProduceFlags& f) {
  if (f.topic.empty()) return Status(Errc::kInvalidArgument, "--topic is required");
  RIVULET_ASSIGN_OR_RETURN(const ProduceSettings s, ParseSettings(f));
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunProduceKafka(f, s);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  log::ProducerConfig pc;
  pc.acks = f.acks == "sync" ? log::ProducerConfig::Acks::kAllSync : log::ProducerConfig::Acks::kAll;
  pc.compression = s.codec;
  // acks 0: nothing hears how the appends went (as a Kafka producer with
  // acks=0 does not); the log is in this process, so Close still appends
  // everything handed over before the command exits.
  const bool unacknowledged = f.acks == "0";
  log::Producer producer(lm.get(), pc);
  std::atomic<int64_t> failed{0};
  std::string line;
  int64_t lineno = 0;
  log::SendCallback on_done;
  if (!unacknowledged) {
    on_done = [&failed](const log::RecordMetadata&, const Status& st) {
      if (!st.ok()) failed.fetch_add(1);
    };
  }
  Status st;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::optional<std::string_view> key;
    std::string_view value;
    st = SplitLine(f, line, lineno, &key, &value);
    if (!st.ok()) break;
    st = producer.Send(f.topic, key, value, on_done, f.partition, s.timestamp, s.headers);
    if (!st.ok()) break;
  }
  // Whatever was accepted before an error is still delivered.
  Status fl = producer.Flush();
  producer.Close();
  RIVULET_RETURN_IF_ERROR(st);
  if (!unacknowledged) {
    RIVULET_RETURN_IF_ERROR(fl);
    if (failed.load() > 0) {
      return Status(Errc::kIoError, std::to_string(failed.load()) + " records failed");
    }
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
  cmd->add_option("--header", f->headers, "add header k=v to every record (repeatable; in order)");
  cmd->add_option("--timestamp", f->timestamp, "CreateTime of every record, ms since the epoch (default: now)");
  cmd->add_option("--acks", f->acks,
                  "all or -1 (stored), 1 (leader stored; with --data-dir as all), 0 (not waited for, failures "
                  "not reported), sync (fsynced before done; --data-dir only)")
      ->capture_default_str();
  cmd->add_option("--compression-codec", f->compression, "none (default), gzip, snappy, lz4 or zstd");
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunProduce(*f), f->target); }; });
}

}  // namespace rivulet::tools

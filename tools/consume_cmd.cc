// `rivulet consume`: print records, one per line.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>
#include <string>

#include "log/consumer.h"
#include "connectors/kafka/kafka_client.h"
#include "tools/command.h"
#include "tools/record_format.h"

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
  std::string offset;  // --offset as given: earliest, latest or N
  std::string format;  // --format, kcat's -f
  std::string isolation = "read_uncommitted";
};

// Where --offset starts reading.
struct StartAt {
  enum class Kind { kDefault, kEarliest, kLatest, kOffset } kind = Kind::kDefault;
  int64_t offset = -1;  // kOffset's
};

// "earliest", "latest" or a number >= 0; kInvalidArgument otherwise.
Result<StartAt> ParseOffset(const std::string& s) {
  if (s.empty()) return StartAt{};
  if (s == "earliest") return StartAt{StartAt::Kind::kEarliest};
  if (s == "latest") return StartAt{StartAt::Kind::kLatest};
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc() && end == s.data() + s.size()) {
    if (n < 0) {
      return Status(Errc::kInvalidArgument,
                    "--offset " + s + " is negative: give earliest, latest or an offset >= 0");
    }
    return StartAt{StartAt::Kind::kOffset, n};
  }
  return Status(Errc::kInvalidArgument, "--offset must be earliest, latest or an offset >= 0, got '" + s + "'");
}

void Print(std::FILE* out, const std::optional<std::string_view>& v) {
  if (!v) {
    std::fputs("null", out);
  } else {
    std::fwrite(v->data(), 1, v->size(), out);
  }
}

// With --format, as it says; else the value (key SEP value with
// --print-key) and a newline.
void PrintRecord(const ConsumeFlags& f, const RecordFormat* format, const PrintedRecord& r) {
  if (format) {
    format->Print(stdout, r);
    return;
  }
  if (f.print_key) {
    Print(stdout, r.key);
    std::fwrite(f.separator.data(), 1, f.separator.size(), stdout);
  }
  Print(stdout, r.value);
  std::fputc('\n', stdout);
}

std::optional<std::string_view> View(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

Status RunConsumeKafka(const ConsumeFlags& f, const StartAt& start, const RecordFormat* format) {
  namespace k = connectors::kafka;
  const bool earliest = f.from_beginning || start.kind == StartAt::Kind::kEarliest;
  k::Config config = f.target.client;  // --command-config, -X
  config["isolation.level"] = f.isolation;
  RIVULET_ASSIGN_OR_RETURN(auto consumer,
                           k::Consumer::Open(f.target.bootstrap, f.group, earliest ? "earliest" : "latest", config));
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
    const int64_t from = start.kind == StartAt::Kind::kOffset ? start.offset : earliest ? -2 : -1;
    RIVULET_RETURN_IF_ERROR(consumer->Assign(f.topic, ps, from));
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
    PrintedRecord r{msg.topic, msg.partition, msg.offset, msg.timestamp, View(msg.key), View(msg.value), {}};
    if (format && format->needs_headers()) {
      for (const auto& h : msg.headers) r.headers.emplace_back(h.key, View(h.value));
    }
    PrintRecord(f, format, r);
    std::fflush(stdout);
    ++printed;
    if (!f.group.empty()) RIVULET_RETURN_IF_ERROR(consumer->StoreOffset(msg));
  }
  consumer->Close();  // commits stored offsets
  return result;
}

Status RunConsume(ConsumeFlags& f) {
  RIVULET_ASSIGN_OR_RETURN(const StartAt start, ParseOffset(f.offset));
  if (start.kind != StartAt::Kind::kDefault) {
    if (!f.group.empty()) {
      return Status(Errc::kInvalidArgument, "--offset and --group exclude each other (a group starts at its "
                                            "committed offsets)");
    }
    if (f.from_beginning) return Status(Errc::kInvalidArgument, "--offset and --from-beginning exclude each other");
    if (start.kind == StartAt::Kind::kOffset && f.partition < 0) {
      return Status(Errc::kInvalidArgument, "--offset " + f.offset + " needs --partition");
    }
  }
  if (f.partition >= 0 && !f.group.empty()) {
    return Status(Errc::kInvalidArgument, "--partition and --group exclude each other");
  }
  std::optional<RecordFormat> format;
  if (!f.format.empty()) {
    if (f.print_key) return Status(Errc::kInvalidArgument, "--format and --print-key exclude each other (use %k)");
    RIVULET_ASSIGN_OR_RETURN(format, RecordFormat::Parse(f.format));
  }
  const RecordFormat* fmt = format ? &*format : nullptr;
  RIVULET_RETURN_IF_ERROR(f.target.Resolve());
  if (f.target.remote()) return RunConsumeKafka(f, start, fmt);
  RIVULET_ASSIGN_OR_RETURN(auto lm, f.target.Open());
  RIVULET_ASSIGN_OR_RETURN(int32_t partitions, lm->PartitionCount(f.topic));
  const bool earliest = f.from_beginning || start.kind == StartAt::Kind::kEarliest;
  log::ConsumerConfig cc;
  cc.group_id = f.group;
  cc.client_id = "rivulet-consume";
  cc.auto_offset_reset = earliest ? log::OffsetReset::kEarliest : log::OffsetReset::kLatest;
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
    switch (start.kind) {
      case StartAt::Kind::kEarliest: RIVULET_RETURN_IF_ERROR(consumer.SeekToBeginning(tps)); break;
      case StartAt::Kind::kLatest: RIVULET_RETURN_IF_ERROR(consumer.SeekToEnd(tps)); break;
      case StartAt::Kind::kOffset: RIVULET_RETURN_IF_ERROR(consumer.Seek(tps[0], start.offset)); break;
      case StartAt::Kind::kDefault: break;  // auto_offset_reset
    }
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
      PrintedRecord shown{r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, {}};
      std::vector<log::Header> headers;
      if (fmt && fmt->needs_headers()) {
        auto decoded = r.headers();
        if (!decoded.ok()) {
          result = Status(Errc::kCorruption, "headers of " + f.topic + "/" + std::to_string(r.partition) +
                                                 " at offset " + std::to_string(r.offset) + ": " +
                                                 decoded.status().message());
          break;
        }
        headers = std::move(*decoded);
        for (const auto& h : headers) shown.headers.emplace_back(h.key, View(h.value));
      }
      PrintRecord(f, fmt, shown);
      ++printed;
    }
    std::fflush(stdout);
    if (!result.ok()) break;
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
  cmd->add_option("--format", f->format,
                  "print each record as FMT says, as kcat -f: %t topic, %p partition, %o offset, %k key, %s value, "
                  "%K/%S their lengths (-1: null), %R value length (4 bytes, big-endian), %T timestamp (ms), "
                  "%h headers (k=v,k=v), %%; \\n \\t \\r \\xHH; no newline unless FMT has one");
  cmd->add_option("--partition", f->partition, "read only this partition");
  cmd->add_option("--offset", f->offset,
                  "start at earliest, latest, or offset N (N needs --partition; not with --group)");
  cmd->add_option("--isolation-level", f->isolation,
                  "read_committed: only records of committed transactions, up to the last stable offset")
      ->check(CLI::IsMember({"read_committed", "read_uncommitted"}));
  cmd->callback([f, action] { *action = [f] { return NameBroker(RunConsume(*f), f->target); }; });
}

}  // namespace rivulet::tools

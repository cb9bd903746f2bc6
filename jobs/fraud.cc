// fraud: card transactions from a topic -> per-card spend in a sliding
// 1-minute window every 10 seconds -> an alert when a card spends more
// than the threshold in a window, enriched with the card's owner -> the
// `alerts` topic (JSON) and stdout. With source=generator (the default)
// the job first writes generated transactions to the topic, a few cards
// spending far more than the rest.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ostream>

#include "connectors/log/log_connector.h"
#include "connectors/serde/serde.h"
#include "rivulet_events.pb.h"
#include "jobs/job.h"
#include "log/log_manager.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

struct Transaction {
  int64_t ts;
  uint32_t card;
  double amount;
};

struct Alert {
  uint32_t card;
  std::string owner;
  int64_t window_start;
  int64_t window_end;
  double spent;
};

constexpr uint32_t kCards = 1000;

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

// Transaction n: most cards spend a few dollars now and then; cards
// 7, 42 and 613 go on a spree in the second minute.
Transaction MakeTransaction(uint64_t n, int64_t start_ms, int64_t interval_ms) {
  const uint64_t r = Mix(n + 17);
  const int64_t ts = start_ms + static_cast<int64_t>(n) * interval_ms;
  const bool spree_time = ts - start_ms >= 60'000 && ts - start_ms < 120'000;
  if (spree_time && r % 10 == 0) {
    const uint32_t spree[] = {7, 42, 613};
    return Transaction{ts, spree[(r >> 8) % 3], 150.0 + static_cast<double>((r >> 16) % 300)};
  }
  return Transaction{ts, static_cast<uint32_t>((r >> 8) % kCards), 1.0 + static_cast<double>((r >> 20) % 5000) / 100.0};
}

// Transactions travel as Protobuf (proto/rivulet_events.proto); the record's
// timestamp is the event time, its key the card.
using TransactionSerde = connectors::ProtobufSerde<events::Transaction>;

Status RunFraud(JobContext& ctx) {
  RIVULET_ASSIGN_OR_RETURN(int64_t count, ctx.GetInt("transactions"));
  RIVULET_ASSIGN_OR_RETURN(double threshold, ctx.GetDouble("threshold"));
  RIVULET_ASSIGN_OR_RETURN(int64_t interval_ms, ctx.GetInt("interval_ms"));
  RIVULET_ASSIGN_OR_RETURN(double rate, ctx.GetDouble("rate"));
  if (rate < 0) return Status(Errc::kInvalidArgument, "rate must not be negative");
  const std::string source = ctx.Get("source");
  const std::string topic = ctx.Get("topic");
  const std::string alerts = ctx.Get("alerts");
  if (source != "generator" && source != "log") return Status(Errc::kInvalidArgument, "source must be generator or log");
  if (count < 0 || interval_ms <= 0) return Status(Errc::kInvalidArgument, "transactions and interval_ms must be positive");
  RIVULET_ASSIGN_OR_RETURN(auto lm, ctx.OpenLog({{topic, 4}, {alerts, 4}}));
  std::ostream& out = *ctx.out;
  if (source == "generator") {
    RIVULET_ASSIGN_OR_RETURN(const int64_t start_ms, ctx.StartMs("generate", 10'000));
    operators::JobBuilder produce;
    auto txs = produce.FromGenerator(
        "transactions", [start_ms, interval_ms](uint64_t n) { return MakeTransaction(n, start_ms, interval_ms); },
        count, rate, [](const Transaction& t) { return t.ts; });
    txs.SetParallelism(1);  // one producer: partitions in event-time order
    connectors::ToLog(txs, "to " + topic, lm.get(), topic, [serde = TransactionSerde()](const Transaction& t) {
      events::Transaction m;
      m.set_card(t.card);
      m.set_amount(t.amount);
      return std::make_pair(std::optional<std::string>(std::to_string(t.card)), serde.Encode(m));
    });
    RIVULET_RETURN_IF_ERROR(ctx.Execute(produce, "generate"));
  }
  auto owners = std::make_shared<std::map<uint32_t, std::string>>();
  const char* names[] = {"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"};
  for (uint32_t c = 0; c < kCards; ++c) (*owners)[c] = std::string(names[c % 8]) + " #" + std::to_string(c);
  operators::JobBuilder job;
  connectors::LogSourceOptions o;
  o.topic = topic;
  o.group = "fraud";
  o.read_committed = true;  // what the generating pipeline committed (exactly once)
  o.start = connectors::LogSourceOptions::Start::kCommitted;
  o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(1000);
  auto flagged =
      connectors::FromLog<events::Transaction>(job, topic, lm.get(), o, connectors::Decoder(TransactionSerde()))
          .KeyBy([](const events::Transaction& t) { return t.card(); })
          .Window(operators::Sliding(60'000, 10'000))
          .Aggregate("spend per card", operators::SumOf([](const events::Transaction& t) { return t.amount(); }))
          .Filter("over threshold",
                  [threshold](const operators::WindowResult<uint32_t, double>& r) { return r.value > threshold; })
          .Enrich("owner", std::shared_ptr<const std::map<uint32_t, std::string>>(owners),
                  [](const operators::WindowResult<uint32_t, double>& r) { return r.key; },
                  [](const operators::WindowResult<uint32_t, double>& r, const std::string* owner) -> std::optional<Alert> {
                    return Alert{r.key, owner ? *owner : "?", r.start, r.end, r.value};
                  });
  connectors::ToLog(flagged, "to " + alerts, lm.get(), alerts, [](const Alert& a) {
    return std::make_pair(std::optional<std::string>(std::to_string(a.card)),
                          nlohmann::json{{"card", a.card},
                                         {"owner", a.owner},
                                         {"window_start", a.window_start},
                                         {"window_end", a.window_end},
                                         {"spent", a.spent}}
                              .dump());
  });
  flagged.Print("print", &out, [](const Alert& a) {
    char b[160];
    std::snprintf(b, sizeof(b), "alert: card %u (%s) spent %.2f in the minute before %s UTC", a.card,
                  a.owner.c_str(), a.spent, engine::TimeOfDayUtc(a.window_end).c_str());
    return std::string(b);
  });
  RIVULET_RETURN_IF_ERROR(ctx.Execute(job));
  if (lm) RIVULET_RETURN_IF_ERROR(lm->Close());
  return Status::Ok();
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(fraud, {"fraud",
                             "card transactions -> spend per card in a sliding 1-minute window every 10 s -> alerts "
                             "over a threshold, with the owner, to the alerts topic",
                             {{"source", Type::kString, "generator", "generator (write transactions first) or log"},
                              {"transactions", Type::kInt, "200000", "transactions to generate"},
                              {"interval_ms", Type::kInt, "10", "event time between generated transactions"},
                              {"rate", Type::kDouble, "0", "transactions generated per second (0: as fast as possible)"},
                              {"start_ms", Type::kInt, "-1",
                               "event time of the first transaction (-1: now, or the interrupted run's when it "
                               "resumes)"},
                              {"threshold", Type::kDouble, "2000", "alert when a card spends more in a window"},
                              {"topic", Type::kString, "transactions", "input topic"},
                              {"alerts", Type::kString, "alerts", "output topic"}},
                             RunFraud, JobNeeds::kDataDir});

}  // namespace
}  // namespace rivulet::jobs

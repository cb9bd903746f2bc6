// The `ysb` job and the YSB query; see ysb.h.
#include "jobs/ysb.h"

#include <algorithm>
#include <span>
#include <thread>
#include <ostream>

#include "connectors/log/log_connector.h"
#include "connectors/serde/serde.h"
#include "jobs/job.h"
#include "log/log_manager.h"
#include "log/producer.h"

namespace rivulet::jobs::ysb {

namespace {
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
}  // namespace

std::shared_ptr<const CampaignTable> MakeCampaigns(const Config& c) {
  auto t = std::make_shared<CampaignTable>();
  for (int32_t camp = 0; camp < c.campaigns; ++camp) {
    for (int32_t a = 0; a < c.ads_per_campaign; ++a) {
      (*t)[static_cast<uint32_t>(camp * c.ads_per_campaign + a)] = static_cast<uint32_t>(camp);
    }
  }
  return t;
}

AdEvent MakeEvent(const Config& c, uint64_t n) {
  const uint64_t r = Mix(n ^ c.seed);
  AdEvent e;
  e.user_id = Mix(r);
  e.page_id = r >> 7;
  e.ad_id = static_cast<uint32_t>(r % static_cast<uint64_t>(c.campaigns * c.ads_per_campaign));
  e.ip = static_cast<uint32_t>(r >> 32);
  e.ad_type = static_cast<uint8_t>((r >> 20) % 5);
  e.event_type = static_cast<uint8_t>((r >> 24) % 3);
  // Increasing event time, each event up to max_delay_ms late.
  e.event_time = static_cast<int64_t>(n) / c.events_per_ms -
                 static_cast<int64_t>((r >> 40) % static_cast<uint64_t>(c.max_delay_ms + 1));
  return e;
}

std::vector<AdEvent> MakeEvents(const Config& c) {
  std::vector<AdEvent> v;
  v.reserve(static_cast<size_t>(c.events));
  for (int64_t n = 0; n < c.events; ++n) v.push_back(MakeEvent(c, static_cast<uint64_t>(n)));
  return v;
}

Status WriteEventsToLog(log::LogManager* lm, const std::string& topic, int32_t partitions,
                        const std::vector<AdEvent>& events) {
  RIVULET_RETURN_IF_ERROR(lm->CreateTopic(topic, partitions));
  log::ProducerConfig pc;
  pc.batch_size = 256 * 1024;
  log::Producer producer(lm, pc);
  const connectors::FixedSerde<AdEvent> serde;
  for (size_t n = 0; n < events.size(); ++n) {
    const std::string value = serde.Encode(events[n]);
    RIVULET_RETURN_IF_ERROR(producer.Send(topic, std::nullopt, std::string_view(value), nullptr,
                                          static_cast<int32_t>(n % static_cast<size_t>(partitions)),
                                          std::max<int64_t>(0, events[n].event_time)));
  }
  return producer.Flush();
}

operators::Stream<AdEvent> FromLog(operators::JobBuilder& job, log::LogManager* lm, const std::string& topic,
                                   const Config& c) {
  connectors::LogSourceOptions o;
  o.topic = topic;
  o.start = connectors::LogSourceOptions::Start::kEarliest;
  o.bounded = true;
  o.watermarks = operators::WatermarkStrategy::BoundedOutOfOrderness(c.max_delay_ms);
  return connectors::FromLog<AdEvent>(job, "ad events", lm, o, connectors::Decoder(connectors::FixedSerde<AdEvent>()),
                                      [](const AdEvent& e) { return e.event_time; });
}

operators::Stream<Result> AddQuery(operators::Stream<AdEvent> events, std::shared_ptr<const CampaignTable> table,
                                   const Config& c) {
  return events.Filter("views", [](const AdEvent& e) { return e.event_type == kView; })
      .Enrich("campaign", table, [](const AdEvent& e) { return e.ad_id; },
              [](const AdEvent& e, const uint32_t* campaign) -> std::optional<CampaignView> {
                if (!campaign) return std::nullopt;
                return CampaignView{*campaign, e.event_time};
              })
      .KeyBy([](const CampaignView& v) { return v.campaign_id; })
      .Window(operators::Tumbling(c.window_ms))
      .Aggregate("count", operators::Count{});
}

namespace {

// The loop both baselines share: counter(window start, campaign) is bumped
// for every view whose ad has a campaign. `Counters` finds the counters of
// a window and the slot of a campaign in them (inlined: template lambdas).
template <typename Counters, typename Init, typename Slot>
void CountViews(std::span<const AdEvent> events, const CampaignTable& table, const Config& c,
                std::map<int64_t, Counters>* windows, Init init, Slot slot) {
  int64_t last_start = INT64_MIN;
  Counters* current = nullptr;
  for (const AdEvent& e : events) {
    if (e.event_type != kView) continue;
    auto it = table.find(e.ad_id);
    if (it == table.end()) continue;
    const int64_t start = operators::FloorDiv(e.event_time, c.window_ms) * c.window_ms;
    if (start != last_start) {
      auto [w, fresh] = windows->try_emplace(start);
      if (fresh) init(w->second);
      current = &w->second;
      last_start = start;
    }
    ++slot(*current, it->second);
  }
}

}  // namespace

std::map<std::pair<int64_t, uint32_t>, int64_t> Baseline(const std::vector<AdEvent>& events,
                                                          const CampaignTable& table, const Config& c,
                                                          BaselineKind kind) {
  std::map<std::pair<int64_t, uint32_t>, int64_t> out;
  if (kind == BaselineKind::kHashMap) {
    // Per window, campaign -> count in a hash map (campaign ids are keys).
    using Counters = absl::flat_hash_map<uint32_t, int64_t>;
    std::map<int64_t, Counters> windows;
    CountViews(events, table, c, &windows, [](Counters&) {},
               [](Counters& w, uint32_t camp) -> int64_t& { return w[camp]; });
    for (const auto& [start, counts] : windows) {
      for (const auto& [camp, n] : counts) out[{start, camp}] = n;
    }
    return out;
  }
  // Per window, a dense array indexed by campaign id (ids are 0..campaigns-1).
  using Counters = std::vector<int64_t>;
  std::map<int64_t, Counters> windows;
  CountViews(
      events, table, c, &windows, [&c](Counters& w) { w.assign(static_cast<size_t>(c.campaigns), 0); },
      [](Counters& w, uint32_t camp) -> int64_t& { return w[camp]; });
  for (const auto& [start, counts] : windows) {
    for (size_t camp = 0; camp < counts.size(); ++camp) {
      if (counts[camp]) out[{start, static_cast<uint32_t>(camp)}] = counts[camp];
    }
  }
  return out;
}

std::map<std::pair<int64_t, uint32_t>, int64_t> BaselineThreads(const std::vector<AdEvent>& events,
                                                                 const CampaignTable& table, const Config& c,
                                                                 int threads) {
  using Counters = absl::flat_hash_map<uint32_t, int64_t>;
  std::vector<std::map<int64_t, Counters>> parts(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  const size_t per = (events.size() + static_cast<size_t>(threads) - 1) / static_cast<size_t>(threads);
  for (size_t t = 0; t < static_cast<size_t>(threads); ++t) {
    const size_t begin = std::min(events.size(), t * per), end = std::min(events.size(), begin + per);
    workers.emplace_back([&, t, begin, end] {
      CountViews(std::span<const AdEvent>(events.data() + begin, end - begin), table, c, &parts[t],
                 [](Counters&) {}, [](Counters& w, uint32_t camp) -> int64_t& { return w[camp]; });
    });
  }
  for (auto& w : workers) w.join();
  std::map<std::pair<int64_t, uint32_t>, int64_t> out;
  for (const auto& part : parts) {
    for (const auto& [start, counts] : part) {
      for (const auto& [camp, n] : counts) out[{start, camp}] += n;
    }
  }
  return out;
}

namespace {

Status RunYsb(JobContext& ctx) {
  Config c;
  RIVULET_ASSIGN_OR_RETURN(c.events, ctx.GetInt("events"));
  RIVULET_ASSIGN_OR_RETURN(int64_t campaigns, ctx.GetInt("campaigns"));
  RIVULET_ASSIGN_OR_RETURN(c.window_ms, ctx.GetInt("window_ms"));
  RIVULET_ASSIGN_OR_RETURN(double rate, ctx.GetDouble("rate"));
  const std::string source = ctx.Get("source");
  const std::string topic = ctx.Get("topic");
  std::unique_ptr<log::LogManager> lm;
  if (c.events < 0 || campaigns <= 0 || c.window_ms <= 0) {
    return Status(Errc::kInvalidArgument, "events, campaigns and window_ms must be positive");
  }
  c.campaigns = static_cast<int32_t>(campaigns);
  auto table = MakeCampaigns(c);
  operators::JobBuilder job;
  auto ts = [](const AdEvent& e) { return e.event_time; };
  const auto wm = operators::WatermarkStrategy::BoundedOutOfOrderness(c.max_delay_ms);
  operators::Stream<AdEvent> events(nullptr, -1);
  if (source == "generator") {
    events = job.FromGenerator("ad events", [c](uint64_t n) { return MakeEvent(c, n); }, c.events, rate, ts, wm);
  } else if (source == "memory") {
    events = job.FromCollection<AdEvent>("ad events", MakeEvents(c), ts, wm);
  } else if (source == "log") {
    // Events written once to the topic (if it is not there yet), then read.
    RIVULET_ASSIGN_OR_RETURN(lm, ctx.OpenLog());
    if (lm && !lm->PartitionCount(topic).ok()) {
      RIVULET_ASSIGN_OR_RETURN(int64_t partitions, ctx.GetInt("partitions"));
      if (partitions <= 0) return Status(Errc::kInvalidArgument, "partitions must be positive");
      RIVULET_RETURN_IF_ERROR(WriteEventsToLog(lm.get(), topic, static_cast<int32_t>(partitions), MakeEvents(c)));
      *ctx.out << "wrote " << c.events << " events to topic " << topic << "\n";
    }
    events = FromLog(job, lm.get(), topic, c);
  } else {
    return Status(Errc::kInvalidArgument, "source must be generator, memory or log");
  }
  std::ostream* out = ctx.out;
  AddQuery(events, table, c).Print("print", out, [](const Result& r) {
    return "window " + std::to_string(r.start) + " campaign " + std::to_string(r.key) + " views " +
           std::to_string(r.value);
  });
  RIVULET_RETURN_IF_ERROR(ctx.Execute(job));
  if (lm) RIVULET_RETURN_IF_ERROR(lm->Close());
  return Status::Ok();
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(ysb, {"ysb",
                           "Yahoo Streaming Benchmark: ad views -> campaign (table) -> 10 s tumbling counts per "
                           "campaign",
                           {{"source", Type::kString, "generator",
                             "generator, memory (pre-generated) or log (the topic, written first if missing)"},
                            {"topic", Type::kString, "ysb-events", "source=log: the events' topic"},
                            {"partitions", Type::kInt, "4", "source=log: partitions of a new topic"},
                            {"events", Type::kInt, "1000000", "ad events"},
                            {"campaigns", Type::kInt, "100", "campaigns (10 ads each)"},
                            {"window_ms", Type::kInt, "10000", "tumbling window size"},
                            {"rate", Type::kDouble, "0", "events per second (0: as fast as possible)"}},
                           RunYsb, JobNeeds::kSelfContained, "with --set source=log: needs --data-dir"});

}  // namespace
}  // namespace rivulet::jobs::ysb

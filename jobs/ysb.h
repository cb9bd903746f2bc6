// The Yahoo Streaming Benchmark query (Chintapalli et al., "Benchmarking
// Streaming Computation Engines", IPDPSW 2016): ad events -> keep views ->
// enrich ad -> campaign from a table -> count per campaign in 10-second
// tumbling event-time windows. Shared by the `ysb` job and the
// `rivulet bench ysb` harness, with a plain single-threaded loop of the
// same query as the baseline.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <absl/container/flat_hash_map.h>
#include <vector>

#include "base/status.h"
#include "operators/stream.h"

namespace rivulet::log {
class LogManager;
}

namespace rivulet::jobs::ysb {

enum EventType : uint8_t { kView = 0, kClick = 1, kPurchase = 2 };

struct AdEvent {
  uint64_t user_id;
  uint64_t page_id;
  uint32_t ad_id;
  uint32_t ip;
  int64_t event_time;  // ms
  uint8_t ad_type;
  uint8_t event_type;
};

struct CampaignView {
  uint32_t campaign_id;
  int64_t event_time;
};

using CampaignTable = absl::flat_hash_map<uint32_t, uint32_t>;  // ad -> campaign

struct Config {
  int64_t events = 1'000'000;
  int32_t campaigns = 100;
  int32_t ads_per_campaign = 10;
  int64_t events_per_ms = 100;  // event-time density
  int64_t window_ms = 10'000;
  int64_t max_delay_ms = 50;  // out-of-orderness of event times
  uint64_t seed = 42;
};

std::shared_ptr<const CampaignTable> MakeCampaigns(const Config& c);
// Event n (deterministic for a seed): a third are views.
AdEvent MakeEvent(const Config& c, uint64_t n);
std::vector<AdEvent> MakeEvents(const Config& c);

using Result = operators::WindowResult<uint32_t, int64_t>;

// Adds the query after `events` (timestamps assigned by the source).
operators::Stream<Result> AddQuery(operators::Stream<AdEvent> events, std::shared_ptr<const CampaignTable> table,
                                   const Config& c);

// Events in the embedded log: `events` written to `topic` (created with
// `partitions`) round robin, as fixed-layout values (FixedSerde<AdEvent>)
// with the event time as the record timestamp (the log's timestamps are
// not negative: the first events' are clamped to 0), then flushed.
Status WriteEventsToLog(log::LogManager* log, const std::string& topic, int32_t partitions,
                        const std::vector<AdEvent>& events);
// The log source of the query: every partition from the earliest offset to
// the end seen at the start, split between the source's instances, with
// per-partition watermarks bounded by c.max_delay_ms; event time from the
// event's own field.
operators::Stream<AdEvent> FromLog(operators::JobBuilder& job, log::LogManager* log, const std::string& topic,
                                   const Config& c);

// The same query as one plain loop: (window start, campaign) -> views.
// kHashMap counts per window in a hash map keyed by campaign, as the
// runtime's window does; kDenseArray indexes an array by campaign id,
// which only works because the generator's ids are 0..campaigns-1.
enum class BaselineKind { kHashMap, kDenseArray };
std::map<std::pair<int64_t, uint32_t>, int64_t> Baseline(const std::vector<AdEvent>& events,
                                                          const CampaignTable& table, const Config& c,
                                                          BaselineKind kind);
// The kHashMap loop on `threads` threads, each over a contiguous share of
// the events, their counts summed at the end: the hand-written figure the
// runtime's parallelism is measured against.
std::map<std::pair<int64_t, uint32_t>, int64_t> BaselineThreads(const std::vector<AdEvent>& events,
                                                                 const CampaignTable& table, const Config& c,
                                                                 int threads);

}  // namespace rivulet::jobs::ysb

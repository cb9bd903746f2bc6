// nexmark: the NEXMark queries (jobs/nexmark/queries.h) on the runtime,
// each against its own single-threaded reference loop over the same
// events, in the same run. `--query qN` runs one, `--query all` (the
// default) every registered query, in order.
//
// Per query, over --records pre-generated events (generated once, not
// timed; each run gets its own copy, made before its clock starts, and
// its source moves the events out of it, as a source that decodes or
// generates records hands them over):
//   records_per_s_p1, _p2          events/s at parallelism 1 and 2 (median of --repeats)
//   records_per_s_p1_checkpoints   parallelism 1 with a checkpoint every second to disk
//   loop_records_per_s             the reference loop (filter, map, reduce in one loop)
//   ratio                          records_per_s_p1 / loop_records_per_s
//   checked                        every run's output (reduced: rows, sum and xor of row
//                                  hashes) equals the reference's; a mismatch is printed
//                                  and the benchmark fails
//   latency_p50_ms, latency_p99_ms at latency_rate = half the p1 rate, one run at
//                                  parallelism 1 over latency_seconds of events (--set
//                                  latency_seconds=S; at most --records events from
//                                  ingestion, 10 x --records from the watermark), by
//                                  latency_from:
//     "ingestion"  stateless queries, joins, and the updating queries that emit each
//                  update at its record's time (q18, q19): from a record's ingestion
//                  (the source stamps the steady clock, µs, as its timestamp) to its
//                  row reaching the sink. Default 3 s.
//     "watermark"  windowed queries and the updating ones that emit when the watermark
//                  passes a timer (q4, q15-q17): from the moment the watermark passes
//                  the window's end to the result reaching the sink. Events generated
//                  at the latency rate (event time advances as the wall clock; made
//                  on a thread of their own, a few chunks ahead of the source), bound
//                  0 (in order at parallelism 1); the source notes when it emits the
//                  first event of each ms of event time. A result stamped t (a
//                  window's end - 1, an auction's expiry, the end - 1 of an emission
//                  interval) was due when the first event at t + 1 or later left the
//                  source (then the watermark reaches t). Default 12 s, so that 10 s
//                  windows close.
//   latency_rows                   rows measured; latency_excluded the rows that were not
//                                  due when emitted (windows and intervals flushed by the
//                                  end of input). No row measured: latency_note instead.
// --set local_global=0 plans window aggregates in one phase (their records
// all cross the exchange; the default splits them, operators/local_global.h).
// With --json: one JSON object per query, one per line ({"bench":"nexmark","query":...}).
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>

#include "bench/harness.h"
#include "engine/checkpoint_store.h"
#include "jobs/nexmark/queries.h"

namespace rivulet::bench {
namespace {

using jobs::nexmark::Checked;
using jobs::nexmark::Event;
using jobs::nexmark::Query;
using jobs::nexmark::QueryKind;

struct QueryFigures {
  std::vector<double> p1, p2, p1_checkpoints, loop;
  bool checked = true;
  std::string mismatch;  // the first run that differed
  uint64_t rows = 0;
  bool latency_from_watermark = false;
  double latency_rate = 0;
  double latency_seconds = 0;  // of events (event time at the rate)
  uint64_t latency_excluded = 0;
  std::vector<double> latencies_ms;
};

void Compare(const Checked& got, const Checked& want, const std::string& run, QueryFigures* f) {
  if (got == want) return;
  f->checked = false;
  if (f->mismatch.empty()) {
    f->mismatch = run + ": " + std::to_string(got.rows) + " rows against the reference's " +
                  std::to_string(want.rows) + (got.error.empty() ? "" : " (" + got.error + ")");
  }
}

// Seconds of one run at `parallelism` (checkpoints to `store` when set).
Result<double> Timed(const Query& q, const std::shared_ptr<const std::vector<Event>>& events, int parallelism,
                     engine::CheckpointStore* store, const Checked& want, const std::string& run, QueryFigures* f,
                     bool local_global) {
  operators::JobRunOptions o;
  o.parallelism = parallelism;
  o.plan.local_global = local_global;
  o.runtime.threads = parallelism;
  if (store) {
    o.runtime.checkpoints.interval_ms = 1000;
    o.runtime.checkpoints.store = store;
    o.runtime.checkpoints.job = "nexmark-" + q.name;
  }
  // A copy for this run (not timed), which the source moves out of.
  auto copy = std::make_shared<std::vector<Event>>(*events);
  const auto start = Clock::now();
  RIVULET_ASSIGN_OR_RETURN(Checked got, jobs::nexmark::RunQueryDrained(q, std::move(copy), o, false));
  const double secs = Seconds(start, Clock::now());
  Compare(got, want, run, f);
  return secs;
}

// Whether `q`'s latency runs from the watermark passing a result's time
// (windows, timers) or from the ingestion of the record a row comes from.
bool FromWatermark(const Query& q) { return q.kind == QueryKind::kWindowed || q.kind == QueryKind::kUpdating; }

// Runs `q` after `in` at parallelism 1, its sink recording when each row
// came (Checked::measure_latency).
Result<std::shared_ptr<Checked>> RunForLatency(const Query& q, operators::JobBuilder& job,
                                               operators::Stream<Event> in) {
  auto out = std::make_shared<Checked>();
  out->measure_latency = true;
  q.build(in, out);
  operators::JobRunOptions o;
  o.parallelism = 1;
  o.runtime.threads = 1;
  RIVULET_RETURN_IF_ERROR(job.Run(o));
  return out;
}

// `q` at `rate` events/s over a prefix of `events` (at most `seconds`'
// worth): each row's latency from its record's ingestion (ms).
Status MeasureIngestionLatency(const Query& q, const std::shared_ptr<const std::vector<Event>>& events, double rate,
                               double seconds, QueryFigures* f) {
  const auto count = std::clamp<int64_t>(std::llround(rate * seconds), 1, static_cast<int64_t>(events->size()));
  operators::JobBuilder job;
  // The record's timestamp is the clock (µs) when the source makes it:
  // nothing downstream waits on time, so it serves as the ingestion stamp.
  auto in = job.FromGenerator(
      "nexmark events", [events](uint64_t n) { return (*events)[n]; }, count, rate,
      [](const Event&) { return jobs::nexmark::LatencyClockUs(); }, operators::WatermarkStrategy{});
  RIVULET_ASSIGN_OR_RETURN(auto out, RunForLatency(q, job, in));
  f->latency_rate = rate;
  f->latency_seconds = static_cast<double>(count) / rate;
  f->latencies_ms.reserve(out->latency_stamps.size());
  for (const auto& s : out->latency_stamps) f->latencies_ms.push_back(static_cast<double>(s.at_us - s.ts) / 1000.0);
  return Status::Ok();
}

// When the latency run's source emitted the first event of each ms of
// event time (index: ms after event 0's; 0 = no event in that ms).
struct FirstEmitted {
  int64_t base_ms = 0;
  int64_t last = -1;
  std::vector<int64_t> at_us;
};

// The events of `c` made on a thread of their own, a few chunks ahead of
// the reader: a latency run longer than the events memory holds, without
// generating on the job's thread. Take(n) must be called for n = 0, 1, ...
// from one thread; it waits when the generator is behind.
class AheadGenerator {
 public:
  explicit AheadGenerator(jobs::nexmark::GeneratorConfig c) : c_(c), thread_([this] { Generate(); }) {}
  AheadGenerator(const AheadGenerator&) = delete;
  AheadGenerator& operator=(const AheadGenerator&) = delete;
  ~AheadGenerator() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Event Take() {
    if (pos_ == current_.size()) [[unlikely]] {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !ready_.empty(); });
      current_ = std::move(ready_.front());
      ready_.pop_front();
      pos_ = 0;
      cv_.notify_all();
    }
    return std::move(current_[pos_++]);
  }

 private:
  static constexpr int64_t kChunk = 1 << 15;
  static constexpr size_t kAhead = 8;
  void Generate() {
    for (int64_t first = 0; first < c_.events; first += kChunk) {
      std::vector<Event> chunk;
      for (int64_t n = first; n < std::min(c_.events, first + kChunk); ++n) chunk.push_back(MakeEvent(c_, n));
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || ready_.size() < kAhead; });
      if (stop_) return;
      ready_.push_back(std::move(chunk));
      cv_.notify_all();
    }
  }

  const jobs::nexmark::GeneratorConfig c_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Event>> ready_;  // guarded by mu_
  bool stop_ = false;                     // guarded by mu_
  std::vector<Event> current_;            // the reader's
  size_t pos_ = 0;
  std::thread thread_;
};

// `q` over `seconds` of events generated at `rate` events/s (at most
// `max_events`): each
// result's latency from the watermark passing its timestamp (ms).
Status MeasureWatermarkLatency(const Query& q, double rate, double seconds, int64_t max_events, QueryFigures* f) {
  jobs::nexmark::GeneratorConfig c;
  c.events = std::clamp<int64_t>(std::llround(rate * seconds), 1, std::max<int64_t>(1, max_events));
  c.events_per_second = rate;  // event time advances as fast as the source emits
  auto events = std::make_shared<AheadGenerator>(c);
  auto first = std::make_shared<FirstEmitted>();
  first->base_ms = jobs::nexmark::EventTime(jobs::nexmark::MakeEvent(c, 0));
  first->at_us.assign(
      static_cast<size_t>(jobs::nexmark::EventTime(jobs::nexmark::MakeEvent(c, c.events - 1)) - first->base_ms + 1), 0);
  operators::JobBuilder job;
  auto in = job.FromGenerator(
      "nexmark events",
      [events, first](uint64_t) {
        Event e = events->Take();
        // Events are in event-time order: a new ms is a later one.
        const int64_t i = jobs::nexmark::EventTime(e) - first->base_ms;
        if (i > first->last) [[unlikely]] {
          first->last = i;
          first->at_us[static_cast<size_t>(i)] = jobs::nexmark::LatencyClockUs();
        }
        return e;
      },
      c.events, rate, [](const Event& e) { return jobs::nexmark::EventTime(e); },
      operators::WatermarkStrategy::BoundedOutOfOrderness(0));
  RIVULET_ASSIGN_OR_RETURN(auto out, RunForLatency(q, job, in));
  // due[i]: when the first event at ms i or later left the source.
  std::vector<int64_t> due(first->at_us.size() + 1, 0);
  for (size_t i = first->at_us.size(); i-- > 0;) due[i] = first->at_us[i] != 0 ? first->at_us[i] : due[i + 1];
  f->latency_from_watermark = true;
  f->latency_rate = rate;
  f->latency_seconds = static_cast<double>(c.events) / rate;
  f->latencies_ms.reserve(out->latency_stamps.size());
  for (const auto& s : out->latency_stamps) {
    // The watermark (largest time - 1 at bound 0) reaches s.ts when an
    // event at s.ts + 1 or later comes.
    const int64_t i = std::max<int64_t>(0, s.ts + 1 - first->base_ms);
    const int64_t at = i < static_cast<int64_t>(due.size()) ? due[static_cast<size_t>(i)] : 0;
    if (at == 0 || s.at_us < at) {
      ++f->latency_excluded;  // flushed at the end of input, before the watermark got there
      continue;
    }
    f->latencies_ms.push_back(static_cast<double>(s.at_us - at) / 1000.0);
  }
  return Status::Ok();
}

const char* KindName(QueryKind k) {
  switch (k) {
    case QueryKind::kStateless:
      return "stateless";
    case QueryKind::kJoin:
      return "join";
    case QueryKind::kWindowed:
      return "windowed";
    case QueryKind::kUpdating:
      return "updating";
    case QueryKind::kUpdatingPerRecord:
      return "updating per record";
  }
  return "?";
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

const char* From(const QueryFigures& f) { return f.latency_from_watermark ? "watermark" : "ingestion"; }

std::string Note(const QueryFigures& f) {
  if (f.latency_from_watermark) {
    return "no result was due before the end of input (" + std::to_string(f.latency_excluded) +
           " flushed at the end); more events: --records, --set latency_seconds";
  }
  return "no rows";
}

void Report(std::ostream& out, const BenchOptions& o, const Query& q, const QueryFigures& f) {
  const double p1 = Median(f.p1), p2 = Median(f.p2), pc = Median(f.p1_checkpoints), loop = Median(f.loop);
  const bool latency = !f.latencies_ms.empty();
  const double l50 = Percentile(f.latencies_ms, 50), l99 = Percentile(f.latencies_ms, 99);
  char line[1024];
  if (!o.json) {
    std::snprintf(line, sizeof(line),
                  "nexmark %s (%s, %s): %lld events x %d repeats, %llu rows, %s\n"
                  "  p1: %.2f M/s  p2: %.2f M/s  p1 with checkpoints: %.2f M/s\n"
                  "  reference loop: %.2f M/s  ratio p1/loop: %.3f\n",
                  q.name.c_str(), q.title.c_str(), KindName(q.kind), static_cast<long long>(o.records), o.repeats,
                  static_cast<unsigned long long>(f.rows), f.checked ? "checked" : "MISMATCH", p1 / 1e6, p2 / 1e6,
                  pc / 1e6, loop / 1e6, loop > 0 ? p1 / loop : 0.0);
    out << line;
    std::snprintf(line, sizeof(line), "  latency from %s at %.2f M/s over %.1f s of events: ", From(f),
                  f.latency_rate / 1e6, f.latency_seconds);
    out << line;
    if (latency) {
      std::snprintf(line, sizeof(line), "p50 %.3f ms, p99 %.3f ms (%zu rows", l50, l99, f.latencies_ms.size());
      out << line;
      if (f.latency_from_watermark) out << ", " << f.latency_excluded << " flushed at the end not counted";
      out << ")\n";
    } else {
      out << Note(f) << "\n";
    }
    if (!f.checked) out << "  mismatch: " << f.mismatch << "\n";
    return;
  }
  std::snprintf(line, sizeof(line),
                "{\"bench\":\"nexmark\",\"query\":\"%s\",\"kind\":\"%s\",\"records\":%lld,\"repeats\":%d,"
                "\"rows\":%llu,\"records_per_s_p1\":%.0f,\"records_per_s_p2\":%.0f,"
                "\"records_per_s_p1_checkpoints\":%.0f,\"loop_records_per_s\":%.0f,\"ratio\":%.4f,"
                "\"checked\":%s",
                q.name.c_str(), KindName(q.kind), static_cast<long long>(o.records), o.repeats,
                static_cast<unsigned long long>(f.rows), p1, p2, pc, loop, loop > 0 ? p1 / loop : 0.0,
                f.checked ? "true" : "false");
  std::string json = line;
  std::snprintf(line, sizeof(line),
                ",\"latency_from\":\"%s\",\"latency_rate\":%.0f,\"latency_seconds\":%.2f,\"latency_rows\":%zu,"
                "\"latency_excluded\":%llu",
                From(f), f.latency_rate, f.latency_seconds, f.latencies_ms.size(),
                static_cast<unsigned long long>(f.latency_excluded));
  json += line;
  if (latency) {
    std::snprintf(line, sizeof(line), ",\"latency_p50_ms\":%.4f,\"latency_p99_ms\":%.4f", l50, l99);
    json += line;
  } else {
    json += ",\"latency_note\":\"" + Escape(Note(f)) + "\"";
  }
  if (!f.checked) json += ",\"mismatch\":\"" + Escape(f.mismatch) + "\"";
  out << json << "}\n";
}

}  // namespace

Status NexmarkBench(const BenchOptions& o, std::ostream& out) {
  std::string name = "all";
  double latency_seconds = 0;  // 0: 3 s from ingestion, 12 s from the watermark
  bool local_global = true;    // window aggregates in two phases where the plan finds an exchange
  for (const auto& [k, v] : o.settings) {
    if (k == "query") {
      name = v;
    } else if (k == "latency_seconds") {
      char* end = nullptr;
      latency_seconds = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(latency_seconds > 0) || latency_seconds > 3600) {
        return Status(Errc::kInvalidArgument, "latency_seconds must be a number of seconds in (0, 3600], not " + v);
      }
    } else if (k == "local_global" && (v == "0" || v == "1")) {
      local_global = v == "1";
    } else {
      return Status(Errc::kInvalidArgument,
                    "nexmark takes --query qN|all, --set latency_seconds=S and --set local_global=0|1, not --set " +
                        k + "=" + v);
    }
  }
  std::vector<const Query*> queries;
  if (name == "all") {
    for (const auto& q : jobs::nexmark::AllQueries()) queries.push_back(&q);
  } else if (const Query* q = jobs::nexmark::FindQuery(name)) {
    queries.push_back(q);
  } else {
    return Status(Errc::kInvalidArgument,
                  "unknown NEXMark query '" + name + "' (known: " + jobs::nexmark::QueryNames() + ", all)");
  }
  jobs::nexmark::GeneratorConfig c;
  c.events = o.records;
  auto events = std::make_shared<const std::vector<Event>>(jobs::nexmark::MakeEvents(c));
  const double n = static_cast<double>(events->size());
  const std::string dir = MakeDir(o, "nexmark");
  std::vector<std::string> failed;
  for (const Query* q : queries) {
    QueryFigures f;
    Checked want;
    for (int r = 0; r < o.repeats; ++r) {
      auto start = Clock::now();
      Checked ref = q->reference(*events, false);
      f.loop.push_back(n / Seconds(start, Clock::now()));
      if (r == 0) {
        want = std::move(ref);
        f.rows = want.rows;
      } else {
        Compare(ref, want, "reference run " + std::to_string(r), &f);
      }
      const std::string run = " run " + std::to_string(r);
      RIVULET_ASSIGN_OR_RETURN(double s1, Timed(*q, events, 1, nullptr, want, "p1" + run, &f, local_global));
      f.p1.push_back(n / s1);
      RIVULET_ASSIGN_OR_RETURN(double s2, Timed(*q, events, 2, nullptr, want, "p2" + run, &f, local_global));
      f.p2.push_back(n / s2);
      RIVULET_ASSIGN_OR_RETURN(
          auto store, engine::CheckpointStore::Open(dir + "/" + q->name + "-" + std::to_string(r), "nexmark-" + q->name));
      RIVULET_ASSIGN_OR_RETURN(double sc, Timed(*q, events, 1, store.get(), want, "p1 with checkpoints" + run, &f, local_global));
      f.p1_checkpoints.push_back(n / sc);
    }
    const double rate = Median(f.p1) / 2;
    if (FromWatermark(*q)) {
      // Generated as the run goes: not bounded by --records, but a small
      // --records (a test) keeps the run short.
      RIVULET_RETURN_IF_ERROR(MeasureWatermarkLatency(*q, rate, latency_seconds > 0 ? latency_seconds : 12,
                                                      10 * static_cast<int64_t>(events->size()), &f));
    } else {
      RIVULET_RETURN_IF_ERROR(MeasureIngestionLatency(*q, events, rate, latency_seconds > 0 ? latency_seconds : 3, &f));
    }
    Report(out, o, *q, f);
    if (!f.checked) failed.push_back(q->name);
  }
  std::filesystem::remove_all(dir);
  if (!failed.empty()) {
    std::string names;
    for (const auto& s : failed) names += (names.empty() ? "" : ", ") + s;
    return Status(Errc::kCorruption, "nexmark: output differs from the reference for " + names);
  }
  return Status::Ok();
}

}  // namespace rivulet::bench

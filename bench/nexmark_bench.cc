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
//   latency_p50_ms, latency_p99_ms stateless queries: from a record's ingestion (the
//                                  source stamps the wall clock) to its row reaching the
//                                  sink, at latency_rate = half the p1 rate, over at most
//                                  ~3 s of events. Windowed and updating queries: not
//                                  measured yet (latency_note says so); their latency is
//                                  the watermark passing a window's end to the emission.
// With --json: one JSON object per query, one per line ({"bench":"nexmark","query":...}).
#include <algorithm>
#include <filesystem>
#include <memory>
#include <ostream>

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
  double latency_rate = 0;
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
                     engine::CheckpointStore* store, const Checked& want, const std::string& run, QueryFigures* f) {
  operators::JobRunOptions o;
  o.parallelism = parallelism;
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

// A stateless query at `rate` events/s over a prefix of `events`: each
// row's latency from its record's ingestion (ms).
Status MeasureLatency(const Query& q, const std::shared_ptr<const std::vector<Event>>& events, double rate,
                      QueryFigures* f) {
  const auto count = std::min<int64_t>(static_cast<int64_t>(events->size()), std::max<int64_t>(1, rate * 3));
  operators::JobBuilder job;
  // The record's timestamp is the wall clock (µs) when the source makes it:
  // no windows downstream, so it serves as the ingestion stamp.
  auto in = job.FromGenerator(
      "nexmark events", [events](uint64_t n) { return (*events)[n]; }, count, rate,
      [](const Event&) { return jobs::nexmark::LatencyClockUs(); }, operators::WatermarkStrategy{});
  auto out = std::make_shared<Checked>();
  out->measure_latency = true;
  q.build(in, out);
  operators::JobRunOptions o;
  o.parallelism = 1;
  o.runtime.threads = 1;
  RIVULET_RETURN_IF_ERROR(job.Run(o));
  f->latency_rate = rate;
  f->latencies_ms.reserve(out->latencies_us.size());
  for (int64_t us : out->latencies_us) f->latencies_ms.push_back(static_cast<double>(us) / 1000.0);
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
    if (latency) {
      std::snprintf(line, sizeof(line), "  latency at %.2f M/s: p50 %.3f ms, p99 %.3f ms\n", f.latency_rate / 1e6,
                    l50, l99);
      out << line;
    } else {
      out << "  latency: not measured for " << KindName(q.kind) << " queries yet\n";
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
  if (latency) {
    std::snprintf(line, sizeof(line), ",\"latency_rate\":%.0f,\"latency_p50_ms\":%.4f,\"latency_p99_ms\":%.4f",
                  f.latency_rate, l50, l99);
    json += line;
  } else {
    json += std::string(",\"latency_note\":\"not measured for ") + KindName(q.kind) + " queries yet\"";
  }
  if (!f.checked) json += ",\"mismatch\":\"" + Escape(f.mismatch) + "\"";
  out << json << "}\n";
}

}  // namespace

Status NexmarkBench(const BenchOptions& o, std::ostream& out) {
  std::string name = "all";
  for (const auto& [k, v] : o.settings) {
    if (k != "query") return Status(Errc::kInvalidArgument, "nexmark takes --query qN|all, not --set " + k + "=" + v);
    name = v;
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
      RIVULET_ASSIGN_OR_RETURN(double s1, Timed(*q, events, 1, nullptr, want, "p1" + run, &f));
      f.p1.push_back(n / s1);
      RIVULET_ASSIGN_OR_RETURN(double s2, Timed(*q, events, 2, nullptr, want, "p2" + run, &f));
      f.p2.push_back(n / s2);
      RIVULET_ASSIGN_OR_RETURN(
          auto store, engine::CheckpointStore::Open(dir + "/" + q->name + "-" + std::to_string(r), "nexmark-" + q->name));
      RIVULET_ASSIGN_OR_RETURN(double sc, Timed(*q, events, 1, store.get(), want, "p1 with checkpoints" + run, &f));
      f.p1_checkpoints.push_back(n / sc);
    }
    if (q->kind == QueryKind::kStateless || q->kind == QueryKind::kJoin) RIVULET_RETURN_IF_ERROR(MeasureLatency(*q, events, Median(f.p1) / 2, &f));
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

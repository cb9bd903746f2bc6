// The NEXMark queries of the suite Flink runs (q0-q5, q7-q22; q6 needs
// retractions per seller and is left out there too), each as a job on
// the runtime and as a single-threaded reference over the same events.
// A run's output is reduced to a Checked (count and order-free hashes of
// the rows; for an updating query, of its final row per key), so the
// bench compares every run with the reference without keeping the rows.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include "jobs/nexmark/model.h"
#include "operators/operator_base.h"
#include "operators/stream.h"

namespace rivulet::jobs::nexmark {

inline constexpr int64_t kDayMs = 86'400'000;
// Milliseconds since the start of the UTC day of `ms`.
inline int64_t MsOfDay(int64_t ms) { return ms - operators::FloorDiv(ms, kDayMs) * kDayMs; }
// The day of `ms` as 'yyyy-MM-dd' and its minute as 'HH:mm' (UTC), as
// Flink's DATE_FORMAT.
std::string FormatDay(int64_t ms);
std::string FormatMinute(int64_t ms);

// The bids of the event stream, moved out of it.
operators::Stream<Bid> Bids(operators::Stream<Event> events);

// A query's output reduced: rows, the sum and xor of the rows' hashes
// (within one process), and with `lines` the rows formatted and sorted.
struct Checked {
  uint64_t rows = 0;
  uint64_t sum = 0;
  uint64_t xored = 0;
  bool collect_lines = false;
  std::vector<std::string> lines;
  std::string error;  // set when the output broke its own contract (a key updated from two instances)
  // With measure_latency (both sinks): per row, its timestamp and
  // LatencyClockUs() when it reached the sink, in arrival order per sink
  // instance. The caller turns them into latencies: a source stamping
  // LatencyClockUs() as the timestamp gives at_us - ts, an event-time run
  // looks up when the watermark passed ts. Not part of the comparison.
  struct LatencyStamp {
    int64_t ts = 0;
    int64_t at_us = 0;
  };
  bool measure_latency = false;
  std::vector<LatencyStamp> latency_stamps;

  template <typename Row>
  void Add(const Row& row) {
    const uint64_t h = absl::Hash<Row>{}(row);
    ++rows;
    sum += h;
    xored ^= h * 0x9e3779b97f4a7c15ULL;
    if (collect_lines) lines.push_back(ToLine(row));
  }
  // With measure_latency, stamps every row of `batch` (operators::Batch).
  template <typename Batch>
  void Stamp(const Batch& batch);
  void Merge(Checked&& o) {
    rows += o.rows;
    sum += o.sum;
    xored ^= o.xored;
    for (auto& l : o.lines) lines.push_back(std::move(l));
    latency_stamps.insert(latency_stamps.end(), o.latency_stamps.begin(), o.latency_stamps.end());
    if (error.empty()) error = std::move(o.error);
  }
  void Finish() { std::sort(lines.begin(), lines.end()); }
  bool operator==(const Checked& o) const {
    return rows == o.rows && sum == o.sum && xored == o.xored && lines == o.lines && error == o.error;
  }
};

// The clock of latency runs: steady, in microseconds.
inline int64_t LatencyClockUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename Batch>
void Checked::Stamp(const Batch& batch) {
  if (!measure_latency) [[likely]] return;
  const int64_t now = LatencyClockUs();
  for (const auto& e : batch) latency_stamps.push_back(LatencyStamp{e.ts, now});
}

// The reference's rows reduced as a run's are.
template <typename Row>
Checked Reduce(const std::vector<Row>& rows, bool collect_lines) {
  Checked c;
  c.collect_lines = collect_lines;
  for (const auto& r : rows) c.Add(r);
  c.Finish();
  return c;
}

enum class QueryKind {
  kStateless,  // latency from a record's ingestion to its emission
  kJoin,       // latency from the ingestion of a pair's later record to the pair's emission
  kWindowed,   // latency from the window's end passing the watermark to the result's emission
  kUpdating,   // updates of a result per key, emitted as the watermark passes an interval's end;
               // checked on the final row per key; latency as kWindowed
  kUpdatingPerRecord,  // updates emitted as each record comes (keep-greatest, top-N); checked as
                       // kUpdating; latency from the record's ingestion
};

struct Query {
  std::string name;   // "q0"
  std::string title;  // "pass through"
  QueryKind kind = QueryKind::kStateless;
  // Adds the query after `events` and a sink that reduces its output into
  // *out (merged when every sink instance ended).
  std::function<void(operators::Stream<Event> events, std::shared_ptr<Checked> out)> build;
  // The same query over `events`, one thread, no runtime.
  std::function<Checked(const std::vector<Event>& events, bool collect_lines)> reference;
};

// Every query, in order (q0 ... q22).
const std::vector<Query>& AllQueries();
// The query called `name`, or nullptr.
const Query* FindQuery(std::string_view name);
// The names of all queries, comma-separated (for errors naming the known ones).
std::string QueryNames();

// Runs `q` over `events` (FromEvents) to the end with `options`; the
// output reduced (finished), lines with `collect_lines`.
Result<Checked> RunQuery(const Query& q, std::shared_ptr<const std::vector<Event>> events,
                         const operators::JobRunOptions& options, bool collect_lines);
// The same over events moved out of `events` (FromEventsDrained), which
// are spent afterwards.
Result<Checked> RunQueryDrained(const Query& q, std::shared_ptr<std::vector<Event>> events,
                                const operators::JobRunOptions& options, bool collect_lines);

// ---- sinks that reduce a query's output ----

namespace detail {

// Per instance: a Checked of the rows; merged into the shared one at the end.
template <typename Row>
class AppendReduceSink final : public operators::SinkOperator<Row> {
 public:
  AppendReduceSink(std::shared_ptr<Checked> into, std::shared_ptr<std::mutex> mu)
      : into_(std::move(into)), mu_(std::move(mu)) {
    local_.collect_lines = into_->collect_lines;
    local_.measure_latency = into_->measure_latency;
  }
  void OnBatch(operators::Batch<Row>& batch) override {
    for (const auto& e : batch) local_.Add(e.value);
    local_.Stamp(batch);
  }
  void OnEnd() override {
    std::lock_guard<std::mutex> lock(*mu_);
    into_->Merge(std::move(local_));
  }

 private:
  std::shared_ptr<Checked> into_;
  std::shared_ptr<std::mutex> mu_;
  Checked local_;
};

// Per instance: the last row per key; at the end the rows join the shared
// Checked. A key seen by two instances is an error of the query.
template <typename Row, typename KeyFn>
class UpsertReduceSink final : public operators::SinkOperator<Row> {
 public:
  using K = std::decay_t<std::invoke_result_t<KeyFn, const Row&>>;
  struct Shared {
    std::mutex mu;
    absl::flat_hash_map<K, Row> rows;
    int ended = 0;
  };
  UpsertReduceSink(std::shared_ptr<Checked> into, std::shared_ptr<Shared> shared, KeyFn key, int parallelism)
      : into_(std::move(into)), shared_(std::move(shared)), key_(std::move(key)), parallelism_(parallelism) {
    stamps_.measure_latency = into_->measure_latency;
  }
  void OnBatch(operators::Batch<Row>& batch) override {
    stamps_.Stamp(batch);
    for (auto& e : batch) rows_.insert_or_assign(key_(e.value), std::move(e.value));
  }
  void OnEnd() override {
    std::lock_guard<std::mutex> lock(shared_->mu);
    into_->Merge(std::move(stamps_));  // no rows: only the stamps
    for (auto& [k, r] : rows_) {
      if (!shared_->rows.emplace(k, std::move(r)).second && into_->error.empty()) {
        into_->error = "an updating query's key reached two sink instances: " + ToLine(shared_->rows.at(k));
      }
    }
    if (++shared_->ended < parallelism_) return;
    Checked c;
    c.collect_lines = into_->collect_lines;
    for (const auto& [k, r] : shared_->rows) c.Add(r);
    into_->Merge(std::move(c));
  }

 private:
  std::shared_ptr<Checked> into_;
  std::shared_ptr<Shared> shared_;
  KeyFn key_;
  int parallelism_;
  absl::flat_hash_map<K, Row> rows_;
  Checked stamps_;  // with measure_latency: this instance's stamps
};

}  // namespace detail

template <typename Row>
void SinkAppend(operators::Stream<Row> s, std::shared_ptr<Checked> into) {
  auto mu = std::make_shared<std::mutex>();
  s.job()->template AddNode<void>("reduce", "sink", {s.Forward()}, [into, mu](int, int, engine::Port) {
    return std::make_unique<detail::AppendReduceSink<Row>>(into, mu);
  });
}

// `s` must come from an operator keyed so that all updates of one key(row)
// come from one instance, in order.
template <typename Row, typename KeyFn>
void SinkUpsert(operators::Stream<Row> s, KeyFn key, std::shared_ptr<Checked> into) {
  using Sink = detail::UpsertReduceSink<Row, KeyFn>;
  auto shared = std::make_shared<typename Sink::Shared>();
  s.job()->template AddNode<void>("reduce", "sink", {s.Forward()},
                                  [into, shared, key](int, int parallelism, engine::Port) {
                                    return std::make_unique<Sink>(into, shared, key, parallelism);
                                  });
}

}  // namespace rivulet::jobs::nexmark

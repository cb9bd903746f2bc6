// The `rivulet bench` harness: end-to-end benchmarks that report their
// figure beside a hand-written baseline of the same work measured in the
// same run, as medians over repeats. With --json the last line printed is
// one JSON object: bench, records, records_per_s, baseline_records_per_s,
// ratio (= records_per_s / baseline_records_per_s), and more.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <map>
#include <string>

#include "base/status.h"

namespace rivulet::bench {

struct BenchOptions {
  int64_t records = 0;  // 0: the benchmark's default
  int32_t value_bytes = 100;
  int32_t key_bytes = 16;
  int32_t repeats = 5;
  std::string dir = "/tmp";  // where the benchmark's data directory goes
  bool json = false;
  std::map<std::string, std::string> settings;  // --set KEY=VALUE: the benchmark's own options (--query Q: "query")
};

struct BenchInfo {
  std::string name;
  std::string description;
  int64_t default_records;
  std::function<Status(const BenchOptions&, std::ostream&)> run;
};

const std::vector<BenchInfo>& AllBenches();
Status RunBench(const std::string& name, const BenchOptions& options, std::ostream& out);

// The benchmarks (one file each).
Status LogAppendBench(const BenchOptions& o, std::ostream& out);
Status LogReadBench(const BenchOptions& o, std::ostream& out);
Status BrokerProduceBench(const BenchOptions& o, std::ostream& out);
Status BrokerConsumeBench(const BenchOptions& o, std::ostream& out);
Status BrokerIdempotentBench(const BenchOptions& o, std::ostream& out);
Status BrokerTxnBench(const BenchOptions& o, std::ostream& out);
Status YsbBench(const BenchOptions& o, std::ostream& out);
Status SlidingBench(const BenchOptions& o, std::ostream& out);
Status CheckpointBench(const BenchOptions& o, std::ostream& out);
Status NexmarkBench(const BenchOptions& o, std::ostream& out);
Status BrokerTlsBench(const BenchOptions& o, std::ostream& out);

// What a benchmark reports: per-run rates of Rivulet and of the baseline,
// and extra figures (name, value) printed as they are.
struct Figures {
  std::string bench;
  uint64_t bytes = 0;  // stored bytes of o.records records
  std::vector<double> rates;
  std::vector<double> baseline_rates;
  std::string baseline;  // what the baseline is, in words
  std::vector<std::pair<std::string, double>> extra;
  // Extra fields whose values are JSON already (strings, arrays), printed
  // as they are after `extra`.
  std::vector<std::pair<std::string, std::string>> extra_json;
  double ratio = 0;  // when set: the reported ratio (else median rate / median baseline)
};
// Prints the medians: a short text, or with o.json one JSON line.
void ReportFigures(std::ostream& out, const BenchOptions& o, const Figures& f);

// Helpers shared by the benchmarks.
using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a, Clock::time_point b);
// A fresh directory under o.dir for one benchmark.
std::string MakeDir(const BenchOptions& o, const std::string& name);
// 1024 distinct keys of o.key_bytes bytes, used round-robin.
std::vector<std::string> MakeKeys(const BenchOptions& o);
// Median of `v`; the given percentile (0..100) of `v`.
double Median(std::vector<double> v);
double Percentile(std::vector<double> v, double pct);
// JSON: an array of rates (as integers); a string.
std::string JsonRuns(const std::vector<double>& v);
std::string JsonString(std::string_view s);

}  // namespace rivulet::bench

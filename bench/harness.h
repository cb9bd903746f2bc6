// The `rivulet bench` harness: end-to-end benchmarks that report their
// figure beside a hand-written baseline of the same work measured in the
// same run, as medians over repeats. With --json the last line printed is
// one JSON object: bench, records, records_per_s, baseline_records_per_s,
// ratio (= records_per_s / baseline_records_per_s), and more.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "base/status.h"

namespace rivulet::bench {

struct BenchOptions {
  int64_t records = 5'000'000;
  int32_t value_bytes = 100;
  int32_t key_bytes = 16;
  int32_t repeats = 5;
  std::string dir = "/tmp";  // where the benchmark's data directory goes
  bool json = false;
};

struct BenchInfo {
  std::string name;
  std::string description;
  std::function<Status(const BenchOptions&, std::ostream&)> run;
};

const std::vector<BenchInfo>& AllBenches();
Status RunBench(const std::string& name, const BenchOptions& options, std::ostream& out);

// Median of `v` (v is reordered).
double Median(std::vector<double> v);

}  // namespace rivulet::bench

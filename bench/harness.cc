#include "bench/harness.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>

namespace rivulet::bench {

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string MakeDir(const BenchOptions& o, const std::string& name) {
  std::string d = o.dir + "/rivulet-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

std::vector<std::string> MakeKeys(const BenchOptions& o) {
  std::vector<std::string> keys(1024);
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string digits = std::to_string(i);
    std::string key = "key-" + std::string(static_cast<size_t>(std::max(0, o.key_bytes)), '0');
    key.replace(key.size() - digits.size(), digits.size(), digits);
    keys[i] = key.substr(key.size() - static_cast<size_t>(o.key_bytes));
  }
  return keys;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Percentile(std::vector<double> v, double pct) {
  if (v.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(pct / 100.0 * static_cast<double>(v.size())));
  const size_t i = std::min(v.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

std::string JsonRuns(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(static_cast<int64_t>(v[i]));
  return s + "]";
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += b;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

namespace {

std::string Number(double v) {
  char b[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(b, sizeof(b), "%.0f", v);
  } else {
    std::snprintf(b, sizeof(b), "%.4f", v);
  }
  return b;
}

}  // namespace

void ReportFigures(std::ostream& out, const BenchOptions& o, const Figures& f) {
  const double rate = Median(f.rates);
  const double base = Median(f.baseline_rates);
  const double ratio = f.ratio > 0 ? f.ratio : base > 0 ? rate / base : 0;
  char line[1024];
  if (!o.json) {
    std::snprintf(line, sizeof(line),
                  "%s: %lld records (%d-byte keys, %d-byte values, %.1f MiB) x %d repeats\n"
                  "  rivulet:  %.2f M records/s median\n"
                  "  baseline: %.2f M records/s median (%s)\n"
                  "  ratio:    %.3f\n",
                  f.bench.c_str(), static_cast<long long>(o.records), o.key_bytes, o.value_bytes,
                  static_cast<double>(f.bytes) / (1 << 20), o.repeats, rate / 1e6, base / 1e6, f.baseline.c_str(),
                  ratio);
    out << line;
    for (const auto& [k, v] : f.extra) out << "  " << k << ": " << Number(v) << "\n";
    for (const auto& [k, v] : f.extra_json) out << "  " << k << ": " << v << "\n";
    return;
  }
  std::snprintf(line, sizeof(line),
                "{\"bench\":\"%s\",\"records\":%lld,\"bytes\":%llu,\"key_bytes\":%d,\"value_bytes\":%d,"
                "\"repeats\":%d,\"records_per_s\":%.0f,\"baseline_records_per_s\":%.0f,\"ratio\":%.4f,"
                "\"baseline\":\"%s\"",
                f.bench.c_str(), static_cast<long long>(o.records), static_cast<unsigned long long>(f.bytes),
                o.key_bytes, o.value_bytes, o.repeats, rate, base, ratio, f.baseline.c_str());
  std::string json = line;
  for (const auto& [k, v] : f.extra) json += ",\"" + k + "\":" + Number(v);
  for (const auto& [k, v] : f.extra_json) json += ",\"" + k + "\":" + v;
  json += ",\"runs_records_per_s\":" + JsonRuns(f.rates);
  json += ",\"runs_baseline_records_per_s\":" + JsonRuns(f.baseline_rates) + "}\n";
  out << json;
}

const std::vector<BenchInfo>& AllBenches() {
  static const std::vector<BenchInfo> all = {
      {"log-append", "producer -> embedded log, against write() of the same bytes", 5'000'000, LogAppendBench},
      {"log-read", "consumer <- embedded log, against read() of the same bytes", 5'000'000, LogReadBench},
      {"broker-produce", "librdkafka producer (acks=1) -> rivulet broker, against Redis Streams XADD", 2'000'000,
       BrokerProduceBench},
      {"broker-consume", "librdkafka consumer <- rivulet broker, against Redis Streams XREAD; latency at half peak",
       2'000'000, BrokerConsumeBench},
      {"broker-idempotent", "idempotent librdkafka producer -> rivulet broker, against the plain acks=1 producer",
       2'000'000, BrokerIdempotentBench},
      {"broker-txn",
       "transactional producer committing every 100 ms (--set commit_ms=N) against the plain producer; "
       "read_committed against read_uncommitted consume",
       2'000'000, BrokerTxnBench},
      {"ysb", "the YSB query on the runtime at parallelism 1 and 2, against a hand-written loop", 20'000'000,
       YsbBench},
      {"sliding", "cost per record of sliding windows at size/slide 1, 10 and 100", 10'000'000, SlidingBench},
      {"checkpoint",
       "the YSB query with 100,000 campaigns, checkpoints every second to disk against checkpoints off; "
       "checkpoint duration, size and restore time",
       400'000'000, CheckpointBench},
      {"nexmark",
       "the NEXMark queries (--query qN|all) at parallelism 1 and 2 and with checkpoints, against a "
       "single-threaded loop of each; latency at half the peak rate; one JSON line per query",
       1'000'000, NexmarkBench},
      {"broker-tls",
       "librdkafka over SASL_SSL (SCRAM-SHA-512, TLS) against PLAINTEXT, same broker: produce and consume",
       2'000'000, BrokerTlsBench},
  };
  return all;
}

Status RunBench(const std::string& name, const BenchOptions& options, std::ostream& out) {
  if (name == "list") {
    for (const auto& b : AllBenches()) out << b.name << "\t" << b.description << "\n";
    return Status::Ok();
  }
  std::string known;
  for (const auto& b : AllBenches()) {
    if (b.name == name) {
      BenchOptions o = options;
      if (o.records == 0) o.records = b.default_records;
      return b.run(o, out);
    }
    known += (known.empty() ? "" : ", ") + b.name;
  }
  return Status(Errc::kNotFound, "unknown benchmark '" + name + "' (known: " + known + ")");
}

}  // namespace rivulet::bench

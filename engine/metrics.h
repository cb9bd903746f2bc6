// Live metrics of a running job: per operator, records in and out and the
// watermark of each instance; per source, its lag behind each partition it
// reads; per exchange, how full its channels are.
// Counters are updated once per batch (relaxed atomics) by counting shims
// the runtime puts between operators, lags by the sources about twice a
// second; readers take snapshots from any thread. PrometheusText renders
// them in Prometheus' text format, each labelled with the job's name,
// served by MetricsServer (on loopback unless told otherwise).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/channel.h"
#include "engine/source_lag.h"
#include "engine/time.h"

namespace rivulet::engine {

struct OperatorMetrics {
  OperatorMetrics(std::string n, std::string k, int p, bool sink, bool source = false)
      : name(std::move(n)), kind(std::move(k)), parallelism(p), is_sink(sink), is_source(source),
        watermarks(std::make_unique<std::atomic<Timestamp>[]>(static_cast<size_t>(p))), lag(p) {
    for (int i = 0; i < p; ++i) watermarks[static_cast<size_t>(i)].store(kMinTimestamp);
  }
  const std::string name;
  const std::string kind;
  const int parallelism;
  const bool is_sink;
  const bool is_source;
  std::atomic<uint64_t> records_in{0};
  std::atomic<uint64_t> records_out{0};
  std::atomic<uint64_t> late_records{0};  // windows: later than the allowed lateness
  std::atomic<uint64_t> bad_records{0};   // sources: records that could not be decoded
  std::unique_ptr<std::atomic<Timestamp>[]> watermarks;  // per instance
  SourceLag lag;  // sources that read partitions (log, Kafka): per partition

  // The smallest instance watermark (kMinTimestamp until every instance has one).
  Timestamp watermark() const;
};

struct ExchangeMetrics {
  std::string from;
  std::string to;
  std::vector<std::shared_ptr<const ChannelBase>> channels;  // kept alive after the job
  // Queued messages over capacity, over all channels (0..1).
  double fill() const;
};

// The job's checkpoints (zeros while it has taken none).
struct CheckpointMetrics {
  std::atomic<int64_t> last_id{0};           // last completed
  std::atomic<int64_t> last_duration_ms{0};  // trigger to complete (on disk)
  std::atomic<int64_t> last_bytes{0};
  std::atomic<int64_t> last_alignment_ms{0}; // longest barrier alignment of a task
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};           // declined, timed out or not written
  std::atomic<int64_t> restored_id{0};       // the checkpoint the job started from (0: none)
};

class JobMetrics {
 public:
  // The job's name: the `job` label of every metric (set before the job
  // starts; "" renders as an empty label, which Prometheus drops).
  std::string job;
  CheckpointMetrics checkpoints;
  std::vector<std::unique_ptr<OperatorMetrics>> operators;  // by node id
  std::vector<ExchangeMetrics> exchanges;
  std::chrono::steady_clock::time_point started;
  // Set once the structure above is complete (the job's tasks exist).
  std::atomic<bool> ready{false};

  std::string PrometheusText() const;
};

// Serves GET /metrics (any path) on HOST:PORT from its own thread.
class MetricsServer {
 public:
  // Binds `host` (an IPv4 or IPv6 address, or a name that resolves to one:
  // the first address it resolves to) and `port` (0: any free one), and
  // starts serving `metrics`. kIoError naming the address when the port is
  // in use or the address is not this host's; kInvalidArgument when the
  // host does not resolve.
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& host, uint16_t port,
                                                      const JobMetrics* metrics);
  // On 127.0.0.1.
  static Result<std::unique_ptr<MetricsServer>> Start(uint16_t port, const JobMetrics* metrics) {
    return Start("127.0.0.1", port, metrics);
  }
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  uint16_t port() const;
  // "http://HOST:PORT/metrics" (an IPv6 host in brackets), the port bound.
  std::string url() const;
  // Serves `metrics` from now on (a restarted job's); the old ones must
  // stay alive as long as the server (a request may still read them).
  void Serve(const JobMetrics* metrics);

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rivulet::engine

// Live metrics of a running job: per operator, records in and out and the
// watermark of each instance; per exchange, how full its channels are.
// Counters are updated once per batch (relaxed atomics) by counting shims
// the runtime puts between operators; readers take snapshots from any
// thread. PrometheusText renders them in Prometheus' text format, served by
// MetricsServer on a loopback port.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/channel.h"
#include "engine/time.h"

namespace rivulet::engine {

struct OperatorMetrics {
  OperatorMetrics(std::string n, std::string k, int p, bool sink, bool source = false)
      : name(std::move(n)), kind(std::move(k)), parallelism(p), is_sink(sink), is_source(source),
        watermarks(std::make_unique<std::atomic<Timestamp>[]>(static_cast<size_t>(p))) {
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
  CheckpointMetrics checkpoints;
  std::vector<std::unique_ptr<OperatorMetrics>> operators;  // by node id
  std::vector<ExchangeMetrics> exchanges;
  std::chrono::steady_clock::time_point started;
  // Set once the structure above is complete (the job's tasks exist).
  std::atomic<bool> ready{false};

  std::string PrometheusText() const;
};

// Serves GET /metrics (any path) on 127.0.0.1:port from its own thread.
class MetricsServer {
 public:
  // Binds the port (kIoError when taken) and starts serving `metrics`.
  static Result<std::unique_ptr<MetricsServer>> Start(uint16_t port, const JobMetrics* metrics);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  uint16_t port() const;
  // Serves `metrics` from now on (a restarted job's); the old ones must
  // stay alive as long as the server (a request may still read them).
  void Serve(const JobMetrics* metrics);

 private:
  struct Impl;
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rivulet::engine

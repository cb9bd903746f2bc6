// `rivulet broker`: the log served over the Apache Kafka wire protocol.
// Boost.Asio, one io_context run by a pool of threads (one per core); each
// connection reads a request, answers it, then reads the next, so requests
// of a connection are answered in order while connections proceed
// concurrently. A malformed or oversized frame closes only its connection.
// Memory for requests being read is bounded (RequestMemoryPool), and so are
// connections, in all and per client address.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "log/kafka/server/handler.h"
#include "log/log_manager.h"

namespace rivulet::log::kafka {

struct BrokerOptions {
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9092;  // 0 = any free port
  std::string advertised_host;  // default: listen_host
  int threads = 0;              // 0 = one per core
  int32_t max_request_bytes = 100 << 20;  // socket.request.max.bytes
  // Requests above 64 KiB reserve their size from a pool of this many bytes
  // before they are read, and wait while it is spent (memory_pool.h).
  int64_t queued_max_request_bytes = 256 << 20;  // queued.max.request.bytes
  // Rivulet's own: a large request whose next 64 KiB does not come within
  // this long closes its connection (and frees its reservation).
  int64_t request_read_timeout_ms = 30'000;  // request.read.timeout.ms
  int32_t max_connections = 0;         // max.connections; 0: no limit
  int32_t max_connections_per_ip = 0;  // max.connections.per.ip; 0: no limit
  LogOptions log;
};

// Parses Kafka server.properties settings into `options`; unknown keys
// are reported (kInvalidArgument) so typos do not pass silently.
Status ApplyServerProperties(const std::string& path, BrokerOptions* options);
// Parses "HOST:PORT".
Status ParseListen(const std::string& listen, BrokerOptions* options);

class Broker {
 public:
  // Opens the log and binds the listener (port() is known afterwards).
  static Result<std::unique_ptr<Broker>> Start(BrokerOptions options);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  uint16_t port() const { return info_.port; }
  LogManager& log() { return *log_; }
  // Serves until Stop(); returns the status of the shutdown.
  Status Run();
  // Graceful stop, callable from any thread or a signal watcher: stops
  // accepting, lets in-flight requests finish (bounded), closes the log.
  void Stop();

 private:
  class Impl;
  explicit Broker(BrokerOptions options);

  BrokerOptions options_;
  BrokerInfo info_;
  std::unique_ptr<LogManager> log_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rivulet::log::kafka

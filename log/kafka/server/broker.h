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
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "log/acls.h"
#include "log/kafka/server/handler.h"
#include "log/kafka/server/quota.h"
#include "log/log_manager.h"

namespace rivulet::log::kafka {

// How a listener's clients connect (Kafka's security.protocol): in the
// clear or under TLS, authenticated by SASL or not.
enum class SecurityProtocol { kPlaintext, kSsl, kSaslPlaintext, kSaslSsl };
const char* SecurityProtocolName(SecurityProtocol p);

// One entry of `listeners=NAME://HOST:PORT,...`.
struct ListenerOptions {
  std::string name = "PLAINTEXT";  // PLAINTEXT, SSL, or a name of listener.security.protocol.map
  SecurityProtocol protocol = SecurityProtocol::kPlaintext;
  std::string host = "127.0.0.1";  // empty or 0.0.0.0: every IPv4 address
  uint16_t port = 9092;            // 0 = any free port
  // From advertised.listeners (by name): what Metadata tells clients.
  // Default: host (0.0.0.0 and :: become 127.0.0.1) and the bound port.
  std::string advertised_host;
  int32_t advertised_port = 0;
};

// TLS for SSL listeners (KIP-651's PEM files): the broker's private key and
// certificate chain in one PEM file, the CAs it trusts for client
// certificates in another. TLS 1.2 and 1.3 only.
struct TlsOptions {
  std::string keystore_location;    // ssl.keystore.location (ssl.keystore.type=PEM)
  std::string key_password;         // ssl.key.password: of an encrypted private key
  std::string truststore_location;  // ssl.truststore.location (PEM CA certificates)
  enum class ClientAuth { kNone, kRequested, kRequired };
  ClientAuth client_auth = ClientAuth::kNone;  // ssl.client.auth
  std::set<std::string> protocols;             // ssl.enabled.protocols; empty: TLSv1.2 and TLSv1.3
};

// SASL listeners (sasl.h): which mechanisms, and how hard a client that
// has not authenticated may push.
struct SaslOptions {
  std::vector<std::string> enabled_mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512"};  // sasl.enabled.mechanisms
  int32_t max_receive_bytes = 512 << 10;  // sasl.server.max.receive.size: any frame before authentication
  // A failed authentication is answered after this long, doubled for each
  // further failure from the same address within a minute (up to 5 s).
  int64_t failed_authentication_delay_ms = 100;  // connection.failed.authentication.delay.ms
};

struct BrokerOptions {
  std::string data_dir;
  // The one PLAINTEXT listener of --listen, unless `listeners` is set.
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9092;  // 0 = any free port
  std::string advertised_host;  // default: listen_host
  int32_t advertised_port = 0;  // default: the bound port
  std::vector<ListenerOptions> listeners;  // listeners= (several at once)
  TlsOptions tls;
  SaslOptions sasl;
  // authorizer.class.name (Kafka's AclAuthorizer or StandardAuthorizer
  // turn it on), super.users, allow.everyone.if.no.acl.found.
  AuthorizerOptions authorizer;
  QuotaOptions quotas;  // quota.producer.default, quota.consumer.default, ...
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
// Parses "HOST:PORT" (--listen): one PLAINTEXT listener, in place of any
// `listeners` of the configuration.
Status ParseListen(const std::string& listen, BrokerOptions* options);

class Broker {
 public:
  // Opens the log and binds the listener (port() is known afterwards).
  static Result<std::unique_ptr<Broker>> Start(BrokerOptions options);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // The bound port of the first listener, of listener `i` (in the order
  // of `listeners`).
  uint16_t port() const { return port(0); }
  uint16_t port(size_t i) const;
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

// Kafka requests over one connection, for the tools that need an API
// librdkafka does not offer (Debian's 2.0.2 has no ListTransactions,
// DescribeTransactions or the SCRAM credential APIs): connect (TLS and
// SASL as the client properties say), send, read the response.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rivulet::tools {

// Client properties in librdkafka's names (client_config.h reads Kafka's
// Java names into these): security.protocol (PLAINTEXT, SSL,
// SASL_PLAINTEXT, SASL_SSL), sasl.mechanism, sasl.username, sasl.password,
// ssl.ca.location, ssl.certificate.location, ssl.key.location,
// ssl.key.password, ssl.endpoint.identification.algorithm (https | none).
using ClientProperties = std::map<std::string, std::string>;

class KafkaConnection {
 public:
  // Connects to HOST:PORT and, as `props` say, runs the TLS handshake and
  // SASL authentication. kIoError when the broker cannot be reached,
  // kAuthenticationFailed when it refuses the credentials, kTimeout after
  // `timeout_ms`.
  static Result<std::unique_ptr<KafkaConnection>> Open(const std::string& bootstrap, const ClientProperties& props,
                                                       int timeout_ms = 10000);
  ~KafkaConnection();

  // Sends a request of API `key` at `version` with `body` and returns the
  // response body (after its header).
  Result<std::string> Request(int16_t key, int16_t version, std::string_view body);

 private:
  struct Impl;
  explicit KafkaConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One request on a connection of its own.
Result<std::string> KafkaRequest(const std::string& bootstrap, int16_t key, int16_t version, std::string_view body,
                                 int timeout_ms = 10000, const ClientProperties& props = {});

}  // namespace rivulet::tools

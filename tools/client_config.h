// Client properties for the tools that talk to a broker (--command-config
// FILE, as Kafka's tools take it): a properties file in Kafka's Java names
// or librdkafka's, read into librdkafka's names so that both the
// librdkafka-backed commands and kafka_request.h use them.
//
//   security.protocol=SASL_SSL
//   sasl.mechanism=SCRAM-SHA-512
//   sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="...";
//                                             (or sasl.username= and sasl.password=)
//   ssl.truststore.location=ca.pem            (PEM; or ssl.ca.location=)
//   ssl.keystore.location=client.pem          (PEM key and chain; mutual TLS)
#pragma once

#include <string>

#include "base/status.h"
#include "tools/kafka_request.h"

namespace rivulet::tools {

// kNotFound for a missing file; kInvalidArgument naming the line for a
// malformed one, a JKS or PKCS12 store, or a JAAS module that is not
// PLAIN's or SCRAM's.
Result<ClientProperties> LoadClientProperties(const std::string& path);
// One property (a line of the file, or -X key=value) into `props`, read
// the same way; kInvalidArgument as above.
Status NormalizeClientProperty(const std::string& key, const std::string& value, ClientProperties* props);

}  // namespace rivulet::tools

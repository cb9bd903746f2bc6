// One Kafka request over a plain TCP connection, for the tools that need
// an API librdkafka does not offer (Debian's 2.0.2 has no ListTransactions
// or DescribeTransactions): connect, send, read the response, close.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rivulet::tools {

// Sends a request of API `key` at `version` with `body` to HOST:PORT and
// returns the response body (after its header). kIoError when the broker
// cannot be reached or closes the connection, kTimeout after `timeout_ms`.
Result<std::string> KafkaRequest(const std::string& bootstrap, int16_t key, int16_t version, std::string_view body,
                                 int timeout_ms = 10000);

}  // namespace rivulet::tools

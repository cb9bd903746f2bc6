// Per-topic settings: TopicConfig (defined in the public log/options.h) and
// the validation of topic names.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "log/options.h"  // TopicConfig

namespace rivulet::log {

// A topic setting as Kafka's admin clients see it (DescribeConfigs): its
// name, the server.properties key of its default, its type and what it
// does. `effective` is false for the settings accepted for Kafka's tools
// that have no effect on this log; `kafka_default` is then their value.
struct TopicConfigKey {
  enum class Type { kString, kInt, kLong, kList };
  const char* name;
  const char* broker_name;
  Type type;
  bool effective;
  const char* kafka_default;
  const char* doc;
};
// Every topic setting TopicConfig::Set accepts, in name order.
const std::vector<TopicConfigKey>& TopicConfigKeys();

// Checks a topic name the way Kafka does: 1..249 chars of [a-zA-Z0-9._-],
// not "." or "..".
Status ValidateTopicName(const std::string& name);

}  // namespace rivulet::log

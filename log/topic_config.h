// Per-topic settings: TopicConfig (defined in the public log/options.h) and
// the validation of topic names.
#pragma once

#include <string>

#include "base/status.h"
#include "log/options.h"  // TopicConfig

namespace rivulet::log {

// Checks a topic name the way Kafka does: 1..249 chars of [a-zA-Z0-9._-],
// not "." or "..".
Status ValidateTopicName(const std::string& name);

}  // namespace rivulet::log

// kafka_errors: the logic — error lines per service in tumbling event-time
// windows — and the record format of the input topic: key the service,
// value a log line ("LEVEL message"), timestamp when it was logged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rivulet/rivulet.h"

namespace kafka_errors {

struct LogLine {
  std::string service;
  std::string level;  // the line's first word: ERROR, WARN, INFO, ...
  int64_t ts = 0;     // event time, ms
};

using ErrorCount = rivulet::operators::WindowResult<std::string, int64_t>;

// A Kafka message as a LogLine, or why it is not one (a bad record):
// without a key or value.
inline rivulet::Result<LogLine> Decode(rivulet::connectors::kafka::Message& m) {
  if (!m.key) return rivulet::connectors::DecodeFailure("no key (the service)");
  if (!m.value) return rivulet::connectors::DecodeFailure("no value (the log line)");
  const std::string& v = *m.value;
  return LogLine{*m.key, v.substr(0, v.find(' ')), m.timestamp};
}

// ERROR lines per service in each window of `window_ms`.
inline rivulet::operators::Stream<ErrorCount> ErrorsPerService(rivulet::operators::Stream<LogLine> lines,
                                                                int64_t window_ms) {
  return lines.Filter("errors", [](const LogLine& l) { return l.level == "ERROR"; })
      .KeyBy([](const LogLine& l) { return l.service; })
      .Window(rivulet::operators::Tumbling(window_ms))
      .Aggregate("errors per service", rivulet::operators::Count{});
}

}  // namespace kafka_errors

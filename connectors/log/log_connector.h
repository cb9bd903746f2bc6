// The job API for the embedded log: FromLog adds a LogSource, ToLog a
// LogSink (see log_source.h, log_sink.h). `log` must outlive the job.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "connectors/log/log_sink.h"
#include "connectors/log/log_source.h"
#include "operators/stream.h"

namespace rivulet::connectors {

// Records of `options.topic` decoded by decode(const log::ConsumerRecord&)
// -> Result<T> or std::optional<T> (e.g. Decoder(serde)); event time from
// the record, or from ts(T).
template <typename T, typename Decode, typename TsFn = std::nullptr_t>
operators::Stream<T> FromLog(operators::JobBuilder& job, std::string name, log::LogManager* log,
                             LogSourceOptions options, Decode decode, TsFn ts = nullptr) {
  return operators::Stream<T>(
      &job, job.template AddNode<T>(std::move(name), "log source", {},
                                    [log, options, decode, ts](int index, int p, engine::Port out) {
                                      return std::make_unique<LogSource<T, Decode, TsFn>>(out, log, options, decode,
                                                                                          ts, index, p);
                                    },
                                    /*source=*/true));
}

// Writes `stream` to `topic`: encode(const T&) -> {optional key, value}.
// The sink runs with the stream's parallelism, chained to it, so each
// instance writes its records in the order it has them.
template <typename T, typename Encode>
void ToLog(operators::Stream<T> stream, std::string name, log::LogManager* log, std::string topic, Encode encode) {
  engine::Graph& g = stream.job()->graph();
  const int id = stream.job()->template AddNode<void>(std::move(name), "log sink", {stream.Forward()},
                                                      [log, topic, encode](int, int, engine::Port) {
                                                        return std::make_unique<LogSink<T, Encode>>(log, topic, encode);
                                                      });
  g.node(id).parallelism = g.node(stream.node()).parallelism;
}

}  // namespace rivulet::connectors

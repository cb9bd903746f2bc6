// Files as a job's source and sink, one record per line (JSON lines, CSV
// or any text format: the job gives the decoder — Decoder(serde) of
// connectors/serde/serde.h, or its own — and the formatter).
//
// FromFile reads a file once (bounded) or follows it as it grows, like
// `tail -f`, until the job is stopped; one instance reads (a file is one
// partition). decode(line) -> Result<T> or std::optional<T>; a line it
// rejects fails the job naming path:line and the reason, or is skipped
// with a log line, as configured. ToFile writes format(record) + "\n" per
// record from one instance, flushed and fsynced at the end of input.
// With checkpoints both are exactly once: the source records the offset
// of its next whole line, the sink commits its pending part files into
// the output when a checkpoint completes (file_source.h, file_sink.h,
// part_files.h; docs/connectors/file.md).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "connectors/file/file_sink.h"
#include "connectors/file/file_source.h"
#include "operators/stream.h"

namespace rivulet::connectors {

// Lines of a file as a stream of T (one instance).
template <typename T, typename Decode, typename TsFn = std::nullptr_t>
operators::Stream<T> FromFile(operators::JobBuilder& job, std::string name, FileSourceOptions options, Decode decode,
                              TsFn ts = nullptr) {
  if (options.on_bad_record == OnBadRecord::kDeadLetter) {
    job.Fail(Status(Errc::kInvalidArgument, "'" + name + "': dead letters need a log source; a file source fails or skips"));
  }
  const int id = job.template AddNode<T>(std::move(name), "file source", {},
                                         [options, decode, ts](int, int, engine::Port out) {
                                           return std::make_unique<FileSource<T, Decode, TsFn>>(out, options, decode,
                                                                                                ts);
                                         },
                                         /*source=*/true);
  job.graph().node(id).parallelism = 1;
  return operators::Stream<T>(&job, id);
}

// Writes `stream` to `path` (replaced), one format(record) per line.
template <typename T, typename Format>
void ToFile(operators::Stream<T> stream, std::string name, std::string path, Format format) {
  const int id = stream.job()->template AddNode<void>(std::move(name), "file sink", {stream.Forward()},
                                                      [path, format](int, int, engine::Port) {
                                                        return std::make_unique<FileSink<T, Format>>(path, format);
                                                      });
  stream.job()->graph().node(id).parallelism = 1;
}

}  // namespace rivulet::connectors

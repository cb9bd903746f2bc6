// wordcount: lines from a collection (a built-in text, repeated) or from a
// generator (random words at a rate) -> words -> count per word in
// tumbling event-time windows -> stdout, one line per word and window.
#include <cctype>
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "jobs/job.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

using operators::Count;
using operators::JobBuilder;
using operators::Tumbling;
using operators::WatermarkStrategy;

struct Line {
  int64_t ts;  // event time, ms
  std::string text;
};

const char* const kText[] = {
    "the quick brown fox jumps over the lazy dog",
    "a stream is a sequence of records in time",
    "the log keeps every record in order per partition",
    "windows group the stream by time and key",
};

const char* const kWords[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};

Status RunWordcount(JobContext& ctx) {
  RIVULET_ASSIGN_OR_RETURN(int64_t lines, ctx.GetInt("lines"));
  RIVULET_ASSIGN_OR_RETURN(int64_t window_ms, ctx.GetInt("window_ms"));
  RIVULET_ASSIGN_OR_RETURN(int64_t line_ms, ctx.GetInt("line_interval_ms"));
  RIVULET_ASSIGN_OR_RETURN(double rate, ctx.GetDouble("rate"));
  const std::string source = ctx.Get("source");
  if (lines < 0 && source != "generator") {
    return Status(Errc::kInvalidArgument, "lines must not be negative (-1: unbounded, with source=generator)");
  }
  if (window_ms <= 0 || line_ms < 0) return Status(Errc::kInvalidArgument, "window_ms must be positive");

  JobBuilder job;
  auto ts = [](const Line& l) { return l.ts; };
  auto wm = WatermarkStrategy::BoundedOutOfOrderness(0).WithIdleness(1000);
  operators::Stream<Line> text(nullptr, -1);
  if (source == "collection") {
    std::vector<Line> data;
    for (int64_t i = 0; i < lines; ++i) data.push_back(Line{i * line_ms, kText[i % 4]});
    text = job.FromCollection<Line>("lines", std::move(data), ts, wm);
  } else if (source == "generator") {
    text = job.FromGenerator(
        "lines",
        [line_ms](uint64_t n) {
          // A deterministic pseudo-random line of three words.
          uint64_t x = n * 0x9e3779b97f4a7c15ULL;
          std::string l;
          for (int w = 0; w < 3; ++w) {
            x ^= x >> 29;
            x *= 0xbf58476d1ce4e5b9ULL;
            l += (w ? " " : "") + std::string(kWords[(x >> 32) % 8]);
          }
          return Line{static_cast<int64_t>(n) * line_ms, l};
        },
        lines, rate, ts, wm);
  } else {
    return Status(Errc::kInvalidArgument, "source must be collection or generator, not '" + source + "'");
  }
  std::ostream* out = ctx.out;
  text.FlatMap<std::string>("split",
                            [](const Line& l, auto emit) {
                              size_t start = 0;
                              for (size_t i = 0; i <= l.text.size(); ++i) {
                                if (i == l.text.size() || std::isspace(static_cast<unsigned char>(l.text[i]))) {
                                  if (i > start) emit(l.text.substr(start, i - start));
                                  start = i + 1;
                                }
                              }
                            })
      .KeyBy([](const std::string& w) { return w; })
      .Window(Tumbling(window_ms))
      .Aggregate("count", Count{})
      .Print("print", out, [](const operators::WindowResult<std::string, int64_t>& r) {
        std::ostringstream s;
        s << "[" << r.start << "," << r.end << ") " << r.key << " " << r.value;
        return s.str();
      });
  return ctx.Execute(job);
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(wordcount,
                     {"wordcount", "count words per tumbling event-time window, from a collection or a generator",
                      {{"source", Type::kString, "collection", "collection (built-in text) or generator"},
                       {"lines", Type::kInt, "1000", "lines to read (-1: unbounded generator, until Ctrl-C)"},
                       {"line_interval_ms", Type::kInt, "100", "event time between lines"},
                       {"window_ms", Type::kInt, "10000", "tumbling window size"},
                       {"rate", Type::kDouble, "0", "generator lines per second (0: as fast as possible)"}},
                      RunWordcount, JobNeeds::kSelfContained});

}  // namespace
}  // namespace rivulet::jobs

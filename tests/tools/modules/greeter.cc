// A job module for the launcher's tests (built with rivulet_add_job): two
// jobs, `greet` (prints its greeting `count` times) and `greet_windows`
// (a dataflow: generated numbers counted in tumbling windows), and
// `greet_registry` (what the module sees of the launcher's registry).
#include <ostream>
#include <sstream>

#include "rivulet/rivulet.h"

namespace {

using rivulet::Status;
using rivulet::jobs::JobContext;
using rivulet::jobs::JobParam;

Status Greet(JobContext& ctx) {
  RIVULET_ASSIGN_OR_RETURN(int64_t count, ctx.GetInt("count"));
  for (int64_t i = 0; i < count; ++i) *ctx.out << ctx.Get("greeting") << " " << i << "\n";
  return Status::Ok();
}

Status GreetWindows(JobContext& ctx) {
  rivulet::operators::JobBuilder job;
  job.FromGenerator(
         "numbers", [](uint64_t n) { return static_cast<int64_t>(n); }, 1000, 0,
         [](const int64_t& n) { return n; })
      .KeyBy([](const int64_t& n) { return n % 2; })
      .Window(rivulet::operators::Tumbling(500))
      .Aggregate("count", rivulet::operators::Count{})
      .Print("print", ctx.out, [](const rivulet::operators::WindowResult<int64_t, int64_t>& r) {
        std::ostringstream s;
        s << "window " << r.start << " key " << r.key << " count " << r.value;
        return s.str();
      });
  return ctx.Execute(job);
}

// What the module sees of the process: the registry it reaches through
// librivulet holds the launcher's built-in jobs and this module's own only
// when there is one librivulet (one registry) in the process.
Status Registry(JobContext& ctx) {
  *ctx.out << "wordcount " << (rivulet::jobs::FindJob("wordcount").ok() ? "found" : "missing") << ", greet "
           << (rivulet::jobs::FindJob("greet").ok() ? "found" : "missing") << ", module of greet "
           << rivulet::jobs::JobModule(*rivulet::jobs::FindJob("greet")) << "\n";
  return Status::Ok();
}

using Type = JobParam::Type;
RIVULET_REGISTER_JOB(greet, {"greet",
                             "print a greeting count times (a job module of the tests)",
                             {{"greeting", Type::kString, "hello", "what to print"},
                              {"count", Type::kInt, "2", "how often"}},
                             Greet});
RIVULET_REGISTER_JOB(greet_registry, {"greet_registry", "what the module sees of the job registry", {}, Registry});
RIVULET_REGISTER_JOB(greet_windows, {"greet_windows", "count numbers per window (a job module of the tests)", {},
                                     GreetWindows});

}  // namespace

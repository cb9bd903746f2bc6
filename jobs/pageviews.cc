// jobs/pageviews.cc
#include <map>
#include <optional>
#include <string>

#include "jobs/job.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

using namespace rivulet::operators;

struct View {
  int64_t ts;                // event time, ms
  uint32_t page;
};

Status RunPageviews(JobContext& ctx) {
  RIVULET_ASSIGN_OR_RETURN(int64_t views, ctx.GetInt("views"));

  auto titles = std::make_shared<const std::map<uint32_t, std::string>>(
      std::map<uint32_t, std::string>{{0, "home"}, {1, "cart"}, {2, "checkout"}});

  JobBuilder job;
  job.FromGenerator("views",
                    [](uint64_t n) { return View{static_cast<int64_t>(n), static_cast<uint32_t>(n % 3)}; },
                    views, /*rate=*/0,
                    [](const View& v) { return v.ts; },
                    WatermarkStrategy::BoundedOutOfOrderness(100))
      .KeyBy([](const View& v) { return v.page; })
      .Window(Tumbling(10'000))
      .Aggregate("count", Count{})
      .Enrich("title", titles,
              [](const WindowResult<uint32_t, int64_t>& r) { return r.key; },
              [](const WindowResult<uint32_t, int64_t>& r, const std::string* title)
                  -> std::optional<std::string> {
                return std::to_string(r.start) + " " + (title ? *title : "?") + " " + std::to_string(r.value);
              })
      .Print("print", ctx.out, [](const std::string& line) { return line; });
  return ctx.Execute(job);
}

RIVULET_REGISTER_JOB(pageviews,
                     {"pageviews", "page views per page and 10 s window, with titles",
                      {{"views", JobParam::Type::kInt, "100000", "views to generate"}},
                      RunPageviews, JobNeeds::kSelfContained});

}  // namespace
}  // namespace rivulet::jobs

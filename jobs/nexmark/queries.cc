// The registry of the NEXMark queries (queries.h): the stateless ones
// (stateless.cc) and those that keep state (stateful.cc), in number order.
#include "jobs/nexmark/queries.h"

#include <cstdlib>

namespace rivulet::jobs::nexmark {

std::vector<Query> StatelessQueries();
std::vector<Query> StatefulQueries();

const std::vector<Query>& AllQueries() {
  static const std::vector<Query> all = [] {
    std::vector<Query> v = StatelessQueries();
    for (auto& q : StatefulQueries()) v.push_back(std::move(q));
    std::sort(v.begin(), v.end(), [](const Query& a, const Query& b) {
      return std::atoi(a.name.c_str() + 1) < std::atoi(b.name.c_str() + 1);
    });
    return v;
  }();
  return all;
}

const Query* FindQuery(std::string_view name) {
  for (const auto& q : AllQueries()) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

std::string QueryNames() {
  std::string names;
  for (const auto& q : AllQueries()) names += (names.empty() ? "" : ", ") + q.name;
  return names;
}

Result<Checked> RunQuery(const Query& q, std::shared_ptr<const std::vector<Event>> events,
                         const operators::JobRunOptions& options, bool collect_lines) {
  operators::JobBuilder job;
  auto out = std::make_shared<Checked>();
  out->collect_lines = collect_lines;
  q.build(FromEvents(job, std::move(events)), out);
  RIVULET_RETURN_IF_ERROR(job.Run(options));
  out->Finish();
  return std::move(*out);
}

}  // namespace rivulet::jobs::nexmark

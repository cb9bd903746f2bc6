// The registry of the NEXMark queries (queries.h): the stateless ones
// (stateless.cc) and those that keep state (stateful.cc), in number order.
#include "jobs/nexmark/queries.h"

#include <chrono>
#include <cstdlib>
#include <cstdio>

#include "operators/window.h"

namespace rivulet::jobs::nexmark {

std::string FormatDay(int64_t ms) {
  using namespace std::chrono;
  const year_month_day d{sys_days{days{operators::FloorDiv(ms, kDayMs)}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}
std::string FormatMinute(int64_t ms) {
  const int64_t minute = MsOfDay(ms) / 60'000;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(minute / 60), static_cast<int>(minute % 60));
  return buf;
}

operators::Stream<Bid> Bids(operators::Stream<Event> events) {
  return events.FlatMap<Bid>("bids", [](Event&& e, auto emit) {
    if (auto* b = std::get_if<Bid>(&e)) emit(std::move(*b));
  });
}

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

namespace {

template <typename Source>
Result<Checked> Run(const Query& q, Source source, const operators::JobRunOptions& options, bool collect_lines) {
  operators::JobBuilder job;
  auto out = std::make_shared<Checked>();
  out->collect_lines = collect_lines;
  q.build(source(job), out);
  RIVULET_RETURN_IF_ERROR(job.Run(options));
  out->Finish();
  return std::move(*out);
}

}  // namespace

Result<Checked> RunQuery(const Query& q, std::shared_ptr<const std::vector<Event>> events,
                         const operators::JobRunOptions& options, bool collect_lines) {
  return Run(q, [&](operators::JobBuilder& job) { return FromEvents(job, std::move(events)); }, options,
             collect_lines);
}

Result<Checked> RunQueryDrained(const Query& q, std::shared_ptr<std::vector<Event>> events,
                                const operators::JobRunOptions& options, bool collect_lines) {
  return Run(q, [&](operators::JobBuilder& job) { return FromEventsDrained(job, std::move(events)); }, options,
             collect_lines);
}

}  // namespace rivulet::jobs::nexmark

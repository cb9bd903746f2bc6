// Job registry: the list of built-in jobs.
#include "jobs/job.h"

#include <charconv>

#include "jobs/tutorial.h"

namespace rivulet::jobs {

std::string JobContext::Get(const std::string& key, const std::string& def) const {
  auto it = settings.find(key);
  return it == settings.end() ? def : it->second;
}

Result<int64_t> JobContext::GetInt(const std::string& key, int64_t def) const {
  auto it = settings.find(key);
  if (it == settings.end()) return def;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return Status(Errc::kInvalidArgument, "setting " + key + "=" + s + " is not an integer");
  }
  return v;
}

const std::vector<JobInfo>& AllJobs() {
  static const std::vector<JobInfo> jobs = {
      {"tutorial",
       "produce {\"number\": n} for n in 0..count-1 to numtest, consume them in group my-group "
       "into SQLite, print a summary",
       RunTutorial},
  };
  return jobs;
}

Result<const JobInfo*> FindJob(const std::string& name) {
  std::string known;
  for (const auto& j : AllJobs()) {
    if (j.name == name) return &j;
    known += (known.empty() ? "" : ", ") + j.name;
  }
  return Status(Errc::kNotFound, "unknown job '" + name + "' (known jobs: " + known + ")");
}

}  // namespace rivulet::jobs

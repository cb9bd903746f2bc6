// The job registry, parameters, and running a dataflow job.
#include "jobs/job.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <ostream>

#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

std::vector<JobInfo>& Registry() {
  static auto* jobs = new std::vector<JobInfo>();
  return *jobs;
}

const JobParam* FindParam(const JobInfo& job, const std::string& key) {
  for (const auto& p : job.params) {
    if (p.name == key) return &p;
  }
  return nullptr;
}

Result<int64_t> ParseInt(const std::string& key, const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return Status(Errc::kInvalidArgument, "setting " + key + "=" + s + " is not an integer");
  }
  return v;
}

Result<double> ParseDouble(const std::string& key, const std::string& s) {
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  return Status(Errc::kInvalidArgument, "setting " + key + "=" + s + " is not a number");
}

Result<bool> ParseBool(const std::string& key, const std::string& s) {
  if (s == "true" || s == "1" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "no") return false;
  return Status(Errc::kInvalidArgument, "setting " + key + "=" + s + " is not true or false");
}

}  // namespace

bool RegisterJob(JobInfo info) {
  Registry().push_back(std::move(info));
  return true;
}

std::vector<const JobInfo*> AllJobs() {
  std::vector<const JobInfo*> out;
  for (const auto& j : Registry()) out.push_back(&j);
  std::sort(out.begin(), out.end(), [](const JobInfo* a, const JobInfo* b) { return a->name < b->name; });
  return out;
}

Result<const JobInfo*> FindJob(const std::string& name) {
  std::string known;
  for (const JobInfo* j : AllJobs()) {
    if (j->name == name) return j;
    known += (known.empty() ? "" : ", ") + j->name;
  }
  return Status(Errc::kNotFound, "unknown job '" + name + "' (known jobs: " + known + ")");
}

Status ValidateSettings(const JobInfo& job, const std::map<std::string, std::string>& settings) {
  for (const auto& [key, value] : settings) {
    const JobParam* p = FindParam(job, key);
    if (!p) {
      std::string names;
      for (const auto& q : job.params) names += (names.empty() ? "" : ", ") + q.name;
      return Status(Errc::kInvalidArgument,
                    "job " + job.name + " has no parameter '" + key + "' (parameters: " + names + ")");
    }
    switch (p->type) {
      case JobParam::Type::kInt: RIVULET_RETURN_IF_ERROR(ParseInt(key, value).status()); break;
      case JobParam::Type::kDouble: RIVULET_RETURN_IF_ERROR(ParseDouble(key, value).status()); break;
      case JobParam::Type::kBool: RIVULET_RETURN_IF_ERROR(ParseBool(key, value).status()); break;
      case JobParam::Type::kString: break;
    }
  }
  return Status::Ok();
}

std::string JobContext::Get(const std::string& key) const {
  auto it = settings.find(key);
  if (it != settings.end()) return it->second;
  const JobParam* p = job ? FindParam(*job, key) : nullptr;
  return p ? p->default_value : std::string();
}

Result<int64_t> JobContext::GetInt(const std::string& key) const { return ParseInt(key, Get(key)); }
Result<double> JobContext::GetDouble(const std::string& key) const { return ParseDouble(key, Get(key)); }
Result<bool> JobContext::GetBool(const std::string& key) const { return ParseBool(key, Get(key)); }

Status JobContext::Execute(operators::JobBuilder& builder) {
  if (parallelism < 0) return Status(Errc::kInvalidArgument, "--parallelism must be at least 1");
  if (explain) {
    RIVULET_ASSIGN_OR_RETURN(std::string plan, builder.Explain(parallelism));
    *out << plan;
    return Status::Ok();
  }
  operators::JobRunOptions o;
  o.parallelism = parallelism;
  o.runtime.stop = stop;
  return builder.Run(o);
}

}  // namespace rivulet::jobs

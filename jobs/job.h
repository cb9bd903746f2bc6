// A job runnable by `rivulet run JOB`: a name, a one-line description and a
// function. Settings come from `--set key=value`. Until the dataflow runtime
// lands, a job is plain code over the log API.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace rivulet::jobs {

struct JobContext {
  std::string data_dir;                         // embedded log directory
  std::map<std::string, std::string> settings;  // --set key=value
  int parallelism = 1;
  bool explain = false;
  std::ostream* out = nullptr;  // summary output (stdout)

  // The setting or `def`; kInvalidArgument when present but not an integer.
  std::string Get(const std::string& key, const std::string& def) const;
  Result<int64_t> GetInt(const std::string& key, int64_t def) const;
};

struct JobInfo {
  std::string name;
  std::string description;
  std::function<Status(JobContext&)> run;
};

// Every job compiled in, in name order.
const std::vector<JobInfo>& AllJobs();
// The job named `name`, or kNotFound listing the known ones.
Result<const JobInfo*> FindJob(const std::string& name);

}  // namespace rivulet::jobs

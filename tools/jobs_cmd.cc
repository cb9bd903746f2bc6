// `rivulet jobs` (list) and `rivulet run JOB`.
#include <cstdio>
#include <iostream>

#include "jobs/job.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct RunFlags {
  Target target;
  std::string job;
  std::vector<std::string> sets;
  int parallelism = 1;
  bool explain = false;
};

Status RunJob(const RunFlags& f) {
  RIVULET_ASSIGN_OR_RETURN(const jobs::JobInfo* job, jobs::FindJob(f.job));
  if (f.parallelism < 1) return Status(Errc::kInvalidArgument, "--parallelism must be >= 1");
  jobs::JobContext ctx;
  ctx.data_dir = f.target.data_dir;
  if (ctx.data_dir.empty() && !f.explain) {
    return Status(Errc::kInvalidArgument, "--data-dir is required (or set RIVULET_DATA_DIR)");
  }
  for (const auto& kv : f.sets) {
    RIVULET_ASSIGN_OR_RETURN(auto p, ParseKeyValue(kv));
    ctx.settings[p.first] = p.second;
  }
  ctx.parallelism = f.parallelism;
  ctx.explain = f.explain;
  ctx.out = &std::cout;
  Status st = job->run(ctx);
  std::cout.flush();
  return st;
}

}  // namespace

void AddJobsCommands(CLI::App& app, Action* action) {
  CLI::App* list = app.add_subcommand("jobs", "list the registered jobs");
  list->callback([action] {
    *action = [] {
      for (const auto& j : jobs::AllJobs()) std::printf("%-16s %s\n", j.name.c_str(), j.description.c_str());
      return Status::Ok();
    };
  });
  auto f = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "run a job");
  f->target.AddFlags(run);
  run->add_option("job", f->job, "job name (see `rivulet jobs`)")->required();
  run->add_option("--set", f->sets, "job setting key=value (repeatable)");
  run->add_option("--parallelism", f->parallelism, "parallel instances per operator")->capture_default_str();
  run->add_flag("--explain", f->explain, "print the plan and exit");
  run->callback([f, action] { *action = [f] { return RunJob(*f); }; });
}

}  // namespace rivulet::tools

// `rivulet jobs` (list) and `rivulet run JOB`.
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <thread>

#include "jobs/job.h"
#include "jobs/module.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

// Loads the job modules of RIVULET_JOB_PATH, then those of --job-lib, into
// the launcher's registry.
Status LoadJobModules(const std::vector<std::string>& job_libs) {
  RIVULET_RETURN_IF_ERROR(jobs::RegistryStatus());  // two built-in jobs of one name
  if (const char* path = std::getenv("RIVULET_JOB_PATH"); path != nullptr && *path != '\0') {
    RIVULET_RETURN_IF_ERROR(jobs::LoadModulesFromPath(path));
  }
  for (const auto& lib : job_libs) RIVULET_RETURN_IF_ERROR(jobs::LoadModule(lib));
  return Status::Ok();
}

struct RunFlags {
  Target target;
  std::vector<std::string> job_libs;
  std::string job;
  std::vector<std::string> sets;
  int parallelism = 0;
  bool explain = false;
  int metrics_port = 0;
  std::string metrics_bind;
  bool no_progress = false;
  int64_t checkpoint_interval_ms = 1000;
  bool fresh = false;
  std::string from_checkpoint;
  int restarts = 3;
};

const char* TypeName(jobs::JobParam::Type t) {
  switch (t) {
    case jobs::JobParam::Type::kInt: return "int";
    case jobs::JobParam::Type::kDouble: return "number";
    case jobs::JobParam::Type::kBool: return "bool";
    case jobs::JobParam::Type::kString: return "string";
  }
  return "?";
}

// --metrics-bind HOST:PORT: an IPv6 host in brackets ([::1]:9249); the
// port 1 to 65535.
Result<std::pair<std::string, int>> ParseMetricsBind(const std::string& v) {
  const Status bad(Errc::kInvalidArgument, "--metrics-bind '" + v +
                                               "' is not HOST:PORT (e.g. 127.0.0.1:9249, 0.0.0.0:9249 or "
                                               "[::1]:9249; port 1 to 65535)");
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad;
  std::string host = v.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad;
    host = host.substr(1, host.size() - 2);
  } else if (host.find_first_of(":[]") != std::string::npos) {
    return bad;  // an IPv6 address needs its brackets
  }
  const std::string port = v.substr(colon + 1);
  int p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) return bad;
  return std::make_pair(host, p);
}

Status RunJob(RunFlags& f) {
  RIVULET_RETURN_IF_ERROR(LoadJobModules(f.job_libs));
  RIVULET_ASSIGN_OR_RETURN(const jobs::JobInfo* job, jobs::FindJob(f.job));
  if (f.parallelism < 0) return Status(Errc::kInvalidArgument, "--parallelism must be at least 1");
  if (f.metrics_port < 0 || f.metrics_port > 65535) {
    return Status(Errc::kInvalidArgument, "--metrics-port must be a TCP port");
  }
  std::string metrics_host = "127.0.0.1";
  if (!f.metrics_bind.empty()) {
    if (f.metrics_port != 0) {
      return Status(Errc::kInvalidArgument,
                    "give --metrics-port or --metrics-bind, not both (--metrics-port P is --metrics-bind "
                    "127.0.0.1:P)");
    }
    RIVULET_ASSIGN_OR_RETURN(auto bind, ParseMetricsBind(f.metrics_bind));
    metrics_host = bind.first;
    f.metrics_port = bind.second;
  }
  jobs::JobContext ctx;
  ctx.job = job;
  for (const auto& kv : f.sets) {
    RIVULET_ASSIGN_OR_RETURN(auto p, ParseKeyValue(kv));
    ctx.settings[p.first] = p.second;
  }
  RIVULET_RETURN_IF_ERROR(jobs::ValidateSettings(*job, ctx.settings));
  ctx.parallelism = f.parallelism;
  ctx.explain = f.explain;
  ctx.metrics_port = f.metrics_port;
  ctx.metrics_host = metrics_host;
  ctx.progress = !f.no_progress;
  if (f.restarts < 0) return Status(Errc::kInvalidArgument, "--restarts must not be negative");
  if (f.fresh && !f.from_checkpoint.empty()) {
    return Status(Errc::kInvalidArgument, "--fresh and --from-checkpoint exclude each other");
  }
  ctx.checkpoint_interval_ms = f.checkpoint_interval_ms;
  ctx.fresh = f.fresh;
  ctx.from_checkpoint = f.from_checkpoint;
  ctx.restarts = f.restarts;
  // The data directory: the log of jobs that use it, and the checkpoints.
  // With --bootstrap-server only there is none (no default), as a Kafka
  // job's consumers then join their group instead of assigning partitions.
  RIVULET_RETURN_IF_ERROR(f.target.Resolve(/*create=*/!f.explain));
  ctx.data_dir = f.target.data_dir;
  ctx.bootstrap = f.target.bootstrap;
  ctx.out = &std::cout;
  // SIGINT / SIGTERM stop the job gracefully: at a checkpoint (a rerun goes
  // on from there), or without checkpoints by ending the input (windows flush).
  std::atomic<bool> stop{false};
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      if (Interrupted()) {
        stop.store(true);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  ctx.stop = &stop;
  Status st = job->run(ctx);
  done.store(true);
  watcher.join();
  std::cout.flush();
  return st;
}

}  // namespace

void AddJobsCommands(CLI::App& app, Action* action) {
  auto libs = std::make_shared<std::vector<std::string>>();
  CLI::App* list = app.add_subcommand("jobs", "list the registered jobs, what each needs (--data-dir, --bootstrap-server) and their parameters");
  list->add_option("--job-lib", *libs, "load the jobs of this job module (repeatable; also: RIVULET_JOB_PATH)")
      ->allow_extra_args(false);
  list->callback([action, libs] {
    *action = [libs] {
      RIVULET_RETURN_IF_ERROR(LoadJobModules(*libs));
      for (const jobs::JobInfo* j : jobs::AllJobs()) {
        std::printf("%-12s %s\n", j->name.c_str(), j->description.c_str());
        if (const std::string m = jobs::JobModule(j); !m.empty()) std::printf("    (from %s)\n", m.c_str());
        if (const std::string needs = jobs::DescribeNeeds(*j); !needs.empty()) std::printf("    %s\n", needs.c_str());
        for (const auto& p : j->params) {
          std::printf("    --set %s=%s  (%s) %s\n", p.name.c_str(), p.default_value.c_str(), TypeName(p.type),
                      p.help.c_str());
        }
      }
      return Status::Ok();
    };
  });
  auto f = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "run a job");
  f->target.for_run = true;
  f->target.AddFlags(run);
  run->add_option("job", f->job, "job name (see `rivulet jobs`)")->required();
  run->add_option("--job-lib", f->job_libs,
                  "load the jobs of this job module, built with rivulet_add_job (repeatable; also: "
                  "the *.so files of the directories in RIVULET_JOB_PATH)")
      ->allow_extra_args(false);
  run->add_option("--set", f->sets, "job parameter key=value (repeatable)")->allow_extra_args(false);
  run->add_option("--parallelism", f->parallelism, "parallel instances per operator (default: cores)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            char* end = nullptr;
            const long n = std::strtol(v.c_str(), &end, 10);
            if (end == v.c_str() || *end != '\0' || n < 1) return "must be at least 1 (leave it out: one per core)";
            return "";
          },
          "INT >= 1"));
  run->add_flag("--explain", f->explain, "print the physical plan and exit");
  run->add_option("--metrics-port", f->metrics_port, "serve Prometheus metrics on 127.0.0.1:PORT");
  run->add_option("--metrics-bind", f->metrics_bind,
                  "serve Prometheus metrics on HOST:PORT (e.g. 0.0.0.0:9249 for every interface; not with "
                  "--metrics-port)");
  run->add_flag("--no-progress", f->no_progress, "no progress line on stderr");
  run->add_option("--checkpoint-interval-ms", f->checkpoint_interval_ms,
                  "checkpoint every N ms into DATA_DIR/checkpoints/JOB (0: off; none with --bootstrap-server "
                  "and no --data-dir)")
      ->capture_default_str();
  run->add_flag("--fresh", f->fresh, "start from nothing, not from the job's last checkpoint");
  run->add_option("--from-checkpoint", f->from_checkpoint, "resume from this checkpoint directory (chk-N)");
  run->add_option("--restarts", f->restarts, "restarts from the last checkpoint after a failure")
      ->capture_default_str();
  run->callback([f, action] { *action = [f] { return RunJob(*f); }; });
}

}  // namespace rivulet::tools

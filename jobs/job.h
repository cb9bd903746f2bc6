// Jobs runnable by `rivulet run JOB`. Each job file registers itself
// (RIVULET_REGISTER_JOB) with a name, a one-line description and typed
// parameters with defaults; `--set key=value` overrides them, checked
// against the declared names and types before the job starts. A dataflow
// job builds an operators::JobBuilder graph and hands it to Execute, which
// plans it (--explain prints the plan and returns), runs it at the chosen
// parallelism, and stops it gracefully on SIGINT.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace rivulet::engine {
struct CheckpointInfo;
}

namespace rivulet::log {
class LogManager;
}

namespace rivulet::operators {
class JobBuilder;
}

namespace rivulet::jobs {

struct JobParam {
  enum class Type { kInt, kDouble, kString, kBool };
  std::string name;
  Type type = Type::kString;
  std::string default_value;
  std::string help;
};

struct JobInfo;

struct JobContext {
  const JobInfo* job = nullptr;
  std::string data_dir;                         // embedded log directory ("" with --bootstrap-server alone)
  std::string bootstrap;                        // --bootstrap-server (Kafka-protocol cluster)
  std::map<std::string, std::string> settings;  // --set key=value (validated)
  int parallelism = 0;                          // 0: one per core
  bool explain = false;
  int metrics_port = 0;                 // > 0: Prometheus text on metrics_host:PORT
  std::string metrics_host = "127.0.0.1";  // an address of this host, or a name of one
  bool progress = true;                 // a progress line on stderr
  const std::atomic<bool>* stop = nullptr;  // set on SIGINT
  std::ostream* out = nullptr;          // results and summary (stdout)
  // Checkpoints (in DATA_DIR/checkpoints/JOB[.PHASE]/; none without a data dir).
  int64_t checkpoint_interval_ms = 1000;  // 0: off
  bool fresh = false;                     // do not resume from a checkpoint
  std::string from_checkpoint;            // resume from this checkpoint directory
  int restarts = 3;                       // restarts from the last checkpoint after a failure
  bool run_started_ = false;              // BeginRun: this run's marker is read or written
  bool run_interrupted_ = false;          // BeginRun: this run resumes an interrupted one
  int64_t run_start_ms_ = 0;              // BeginRun: when the (interrupted) run started

  // The value of a declared parameter: the --set value or its default.
  std::string Get(const std::string& key) const;
  Result<int64_t> GetInt(const std::string& key) const;
  Result<double> GetDouble(const std::string& key) const;
  Result<bool> GetBool(const std::string& key) const;

  // The embedded log of the data directory (kInvalidArgument without one), with each
  // (topic, partitions) of `create` created when missing. With --explain:
  // nullptr, and nothing checked or opened (nothing runs).
  Result<std::unique_ptr<log::LogManager>> OpenLog(
      const std::vector<std::pair<std::string, int32_t>>& create = {}) const;

  // Event time of the first generated record of pipeline `phase`: the
  // start_ms setting when given (>= 0); else, when the pipeline resumes
  // from a checkpoint, the value its interrupted run used (kept beside its
  // checkpoints); else now, rounded down to `align_ms`, kept for a resume.
  // So a resumed generator goes on with the same records.
  Result<int64_t> StartMs(const std::string& phase, int64_t align_ms);

  // Plans `job`; with explain prints the plan to `out`; otherwise runs it
  // to completion with progress and metrics. With checkpoints, it resumes
  // from the newest checkpoint of an unfinished run (one line says which),
  // and restarts from the last checkpoint when an operator fails, up to
  // `restarts` times with backoff. A job of several pipelines names each
  // after the first (`phase`): each has its own checkpoints.
  Status Execute(operators::JobBuilder& job, const std::string& phase = "");

  // Once per process: reads the run marker DATA_DIR/checkpoints/JOB.run
  // (an interrupted run resumes) or writes it with the time now (a new
  // run starts).
  Status BeginRun();
  // Whether a pipeline whose newest checkpoint is `newest` resumes from it
  // (after BeginRun): an unfinished one always does; a final one only when
  // it was taken in the interrupted run, whose commits may not all have
  // happened; an older final one ended an earlier run, and the pipeline
  // starts anew.
  bool Resumes(const engine::CheckpointInfo& newest) const;
};

// What a job needs to run besides its parameters, as `rivulet jobs` says.
// Any job checkpoints into a data directory when it has one; this is what
// it cannot run without.
enum class JobNeeds {
  kUndeclared,       // the job does not say (a module's job that sets nothing)
  kSelfContained,    // generated or built-in input: no data directory, no broker
  kDataDir,          // the embedded log of a data directory (JobContext::OpenLog)
  kBootstrapServer,  // a Kafka-protocol cluster (--bootstrap-server)
};

struct JobInfo {
  std::string name;
  std::string description;
  std::vector<JobParam> params;
  std::function<Status(JobContext&)> run;
  JobNeeds needs = JobNeeds::kUndeclared;
  // When a parameter changes what the job needs, e.g. "with --set
  // source=log: needs --data-dir" ("" when none does).
  std::string needs_note = "";
};

// One line on what `job` needs: "self-contained (...)", "needs --data-dir
// (...)" or "needs --bootstrap-server (...)", with its note; "" when the
// job does not say.
std::string DescribeNeeds(const JobInfo& job);

// Every registered job, in name order.
std::vector<const JobInfo*> AllJobs();
// The job named `name`, or kNotFound listing the known ones.
Result<const JobInfo*> FindJob(const std::string& name);
// Checks `settings` against the job's parameters: unknown names and values
// of the wrong type are errors naming the parameter.
Status ValidateSettings(const JobInfo& job, const std::map<std::string, std::string>& settings);

// The progress line's watermark: event time as UTC to the millisecond and
// how far it is behind the wall clock `now_ms`, e.g.
// "2026-12-03T05:36:08.123Z (5.2 s behind)" ("ahead" for event time in the
// future).
std::string FormatWatermark(int64_t watermark_ms, int64_t now_ms);

// Registers a built-in job at static initialization; false (and
// RegistryStatus says why) for a name already registered, or when called
// from a module's static initialization (jobs/module.h).
bool RegisterJob(JobInfo info);
// The first refused RegisterJob, or Ok.
Status RegistryStatus();
// The file of the job module `job` came from (jobs/module.h); "" when built in.
std::string JobModule(const JobInfo* job);
// Registers the jobs of a module (jobs/module.h), all or none:
// kInvalidArgument when a name repeats or is taken, naming who has it.
Status RegisterModuleJobs(const std::string& module, const std::vector<JobInfo>& jobs);
// The module LoadModule is opening ("" when none): RegisterJob refuses
// registrations meanwhile.
void SetLoadingModule(const std::string& path);

#ifdef RIVULET_JOB_MODULE
namespace module_detail {
// A job module's private list (jobs/module_entry.cc), handed to the
// launcher by the module's entry point after its ABI check.
[[gnu::visibility("hidden")]] bool Add(JobInfo info);
}  // namespace module_detail
#endif

}  // namespace rivulet::jobs

// Registers a job: `ident` is a C++ identifier unique in the file, the rest
// a JobInfo (name, description, parameters, run function). In the tree the
// job joins the launcher's registry; in a job module (RIVULET_JOB_MODULE,
// set by rivulet_add_job) the module's list, which the launcher registers
// when it loads the module.
#ifdef RIVULET_JOB_MODULE
#define RIVULET_REGISTER_JOB(ident, ...) \
  [[maybe_unused]] static const bool rivulet_job_registered_##ident = ::rivulet::jobs::module_detail::Add(__VA_ARGS__)
#else
#define RIVULET_REGISTER_JOB(ident, ...) \
  [[maybe_unused]] static const bool rivulet_job_registered_##ident = ::rivulet::jobs::RegisterJob(__VA_ARGS__)
#endif

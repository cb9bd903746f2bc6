// The job registry, parameters, and running a dataflow job.
#include "jobs/job.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <set>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

#include "base/file.h"
#include "engine/checkpoint_store.h"
#include "engine/time.h"
#include "log/log_manager.h"
#include "operators/stream.h"

namespace rivulet::jobs {
namespace {

// A deque: registering (a module loaded late) keeps earlier JobInfo
// pointers valid.
std::deque<JobInfo>& Registry() {
  static auto* jobs = new std::deque<JobInfo>();
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

// "5.2 s", "3 min", "2.5 h", "12 days".
std::string Duration(int64_t ms) {
  char b[32];
  const double s = static_cast<double>(ms) / 1000.0;
  if (s < 60) {
    std::snprintf(b, sizeof(b), "%.1f s", s);
  } else if (s < 3600) {
    std::snprintf(b, sizeof(b), "%.0f min", s / 60);
  } else if (s < 2 * 86400) {
    std::snprintf(b, sizeof(b), "%.1f h", s / 3600);
  } else {
    std::snprintf(b, sizeof(b), "%.0f days", s / 86400);
  }
  return b;
}

}  // namespace

std::string FormatWatermark(int64_t watermark_ms, int64_t now_ms) {
  // Beyond year 9999 either way (garbage timestamps): the number as it is.
  constexpr int64_t kLimit = 253'402'300'799'999;
  if (watermark_ms < -kLimit || watermark_ms > kLimit || now_ms < -kLimit || now_ms > kLimit) {
    return std::to_string(watermark_ms);
  }
  const std::time_t secs = static_cast<std::time_t>(watermark_ms >= 0 ? watermark_ms / 1000 : (watermark_ms - 999) / 1000);
  const int64_t millis = watermark_ms - static_cast<int64_t>(secs) * 1000;
  std::tm tm{};
  char b[64];
  if (gmtime_r(&secs, &tm) == nullptr || std::strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
    return std::to_string(watermark_ms);
  }
  char ms[32];
  std::snprintf(ms, sizeof(ms), ".%03lldZ", static_cast<long long>(millis));
  const int64_t lag = now_ms - watermark_ms;
  return std::string(b) + ms + " (" + Duration(lag >= 0 ? lag : -lag) + (lag >= 0 ? " behind)" : " ahead)");
}

namespace {

Result<bool> ParseBool(const std::string& key, const std::string& s) {
  if (s == "true" || s == "1" || s == "yes") return true;
  if (s == "false" || s == "0" || s == "no") return false;
  return Status(Errc::kInvalidArgument, "setting " + key + "=" + s + " is not true or false");
}

std::string Count(double v) {
  char b[32];
  if (v >= 1e9) {
    std::snprintf(b, sizeof(b), "%.2fG", v / 1e9);
  } else if (v >= 1e6) {
    std::snprintf(b, sizeof(b), "%.2fM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(b, sizeof(b), "%.1fk", v / 1e3);
  } else {
    std::snprintf(b, sizeof(b), "%.0f", v);
  }
  return b;
}

// The progress line on stderr: records read by the sources and written by
// the sinks with their rates, the sinks' watermark, and the fullest
// exchange. On a terminal it is redrawn in place every second; otherwise a
// plain line every five seconds. A last line sums up the run.
class Progress {
 public:
  explicit Progress(const engine::JobMetrics* m) : m_(m), tty_(::isatty(STDERR_FILENO) == 1) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~Progress() { Stop(false); }
  // Ends the updates; with `summary` prints the last line: "done in" for a
  // run that ended by itself, "stopped after" for one stopped by a signal
  // (`interrupted`), whose counts are what was processed until then.
  void Stop(bool summary, bool interrupted = false) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (summary && m_->ready.load()) {
      const std::string line = Line(/*final=*/true, interrupted);
      std::fprintf(stderr, "%s%s\n", tty_ ? "\r\x1b[K" : "", line.c_str());
    }
  }

 private:
  void Loop() {
    const auto period = std::chrono::milliseconds(tty_ ? 1000 : 5000);
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, period, [&] { return stopped_; })) {
      if (!m_->ready.load()) continue;
      const std::string line = Line(false);
      std::fprintf(stderr, tty_ ? "\r%s\x1b[K" : "%s\n", line.c_str());
      std::fflush(stderr);
    }
  }

  std::string Line(bool final, bool interrupted = false) {
    double in = 0, out = 0;
    engine::Timestamp wm = engine::kMaxTimestamp;
    for (const auto& op : m_->operators) {
      if (op->is_source) in += static_cast<double>(op->records_out.load());
      if (op->is_sink) {
        out += static_cast<double>(op->records_in.load());
        wm = std::min(wm, op->watermark());
      }
    }
    double fill = 0;
    for (const auto& x : m_->exchanges) fill = std::max(fill, x.fill());
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - m_->started).count();
    const double dt = std::chrono::duration<double>(now - last_time_).count();
    const double rate_in = final ? in / std::max(elapsed, 1e-9) : (in - last_in_) / std::max(dt, 1e-9);
    const double rate_out = final ? out / std::max(elapsed, 1e-9) : (out - last_out_) / std::max(dt, 1e-9);
    last_in_ = in;
    last_out_ = out;
    last_time_ = now;
    char b[256];
    std::snprintf(b, sizeof(b), "rivulet: %s %.1f s  in %s (%s/s)  out %s (%s/s)",
                  final ? (interrupted ? "stopped after" : "done in") : "",
                  elapsed, Count(in).c_str(), Count(rate_in).c_str(), Count(out).c_str(), Count(rate_out).c_str());
    std::string line = b;
    if (!final && wm != engine::kMinTimestamp && wm != engine::kMaxTimestamp) {
      line += "  watermark " + FormatWatermark(wm, log::NowMs());
    }
    if (!final && !m_->exchanges.empty()) {
      std::snprintf(b, sizeof(b), "  channels %.0f%% full", fill * 100);
      line += b;
    }
    if (const int64_t id = m_->checkpoints.last_id.load(); id > 0) {
      std::snprintf(b, sizeof(b), "  checkpoint %lld (%lld ms)", static_cast<long long>(id),
                    static_cast<long long>(m_->checkpoints.last_duration_ms.load()));
      line += b;
    }
    return line;
  }

  const engine::JobMetrics* m_;
  const bool tty_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
  double last_in_ = 0, last_out_ = 0;
  std::chrono::steady_clock::time_point last_time_ = std::chrono::steady_clock::now();
};

}  // namespace

namespace {

// The first registration that went wrong at static initialization (where
// nothing can be returned): a name registered twice, or a module whose code
// registered into the launcher directly. RegistryStatus reports it.
Status& RegistryError() {
  static auto* st = new Status();
  return *st;
}

// The module being loaded (module.cc's LoadModule, around dlopen).
std::string& LoadingModule() {
  static auto* path = new std::string();
  return *path;
}

const JobInfo* Registered(const std::string& name) {
  for (const JobInfo& j : Registry()) {
    if (j.name == name) return &j;
  }
  return nullptr;
}

// The module each job came from; built-in jobs have none.
std::map<const JobInfo*, std::string>& Modules() {
  static auto* modules = new std::map<const JobInfo*, std::string>();
  return *modules;
}

std::string Owner(const JobInfo& j) {
  const std::string module = JobModule(&j);
  return module.empty() ? std::string("by the launcher (a built-in job)") : "by " + module;
}

}  // namespace

bool RegisterJob(JobInfo info) {
  if (!LoadingModule().empty()) {
    // Code of a module compiled without RIVULET_JOB_MODULE (a static
    // library of the user's, say): refused, as it skipped the module checks.
    if (RegistryError().ok()) {
      RegistryError() = Status(Errc::kInvalidArgument,
                               "job module " + LoadingModule() + ": job '" + info.name +
                                   "' registers into the launcher directly (compile every source that uses "
                                   "RIVULET_REGISTER_JOB into the module with rivulet_add_job)");
    }
    return false;
  }
  if (const JobInfo* j = Registered(info.name)) {
    if (RegistryError().ok()) {
      RegistryError() =
          Status(Errc::kInvalidArgument, "job '" + info.name + "' is registered twice (already " + Owner(*j) + ")");
    }
    return false;
  }
  Registry().push_back(std::move(info));
  return true;
}

Status RegistryStatus() { return RegistryError(); }

std::string JobModule(const JobInfo* job) {
  auto it = Modules().find(job);
  return it == Modules().end() ? std::string() : it->second;
}

void SetLoadingModule(const std::string& path) { LoadingModule() = path; }

Status RegisterModuleJobs(const std::string& module, const std::vector<JobInfo>& jobs) {
  std::set<std::string> names;
  for (const JobInfo& j : jobs) {
    if (!names.insert(j.name).second) {
      return Status(Errc::kInvalidArgument, "job module " + module + ": registers job '" + j.name + "' twice");
    }
    if (const JobInfo* other = Registered(j.name)) {
      return Status(Errc::kInvalidArgument,
                    "job module " + module + ": job '" + j.name + "' is already registered " + Owner(*other));
    }
  }
  for (const JobInfo& j : jobs) {  // all or nothing: every name was checked first
    Registry().push_back(j);
    Modules()[&Registry().back()] = module;
  }
  return Status::Ok();
}

std::string DescribeNeeds(const JobInfo& job) {
  std::string line;
  switch (job.needs) {
    case JobNeeds::kUndeclared: return "";
    case JobNeeds::kSelfContained: line = "self-contained (no --data-dir or --bootstrap-server needed)"; break;
    case JobNeeds::kDataDir:
      line = "needs --data-dir (the embedded log; or RIVULET_DATA_DIR, or the default data directory)";
      break;
    case JobNeeds::kBootstrapServer: line = "needs --bootstrap-server (a Kafka-protocol cluster)"; break;
  }
  return job.needs_note.empty() ? line : line + "; " + job.needs_note;
}

std::vector<const JobInfo*> AllJobs() {
  std::vector<const JobInfo*> out;
  for (const auto& j : Registry()) out.push_back(&j);
  std::stable_sort(out.begin(), out.end(), [](const JobInfo* a, const JobInfo* b) { return a->name < b->name; });
  return out;
}

Result<const JobInfo*> FindJob(const std::string& name) {
  std::string known;
  for (const JobInfo* j : AllJobs()) {
    if (j->name == name) return j;
    known += (known.empty() ? "" : ", ") + j->name;
  }
  return Status(Errc::kNotFound, "unknown job '" + name + "' (known jobs: " + known +
                                     "; jobs of your own: --job-lib PATH or RIVULET_JOB_PATH)");
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

Result<std::unique_ptr<log::LogManager>> JobContext::OpenLog(
    const std::vector<std::pair<std::string, int32_t>>& create) const {
  if (explain) return std::unique_ptr<log::LogManager>();
  if (data_dir.empty()) {
    // Only with --bootstrap-server alone (no default then), or without HOME.
    return Status(Errc::kInvalidArgument,
                  "job " + (job ? job->name : std::string("?")) +
                      " uses the embedded log: give --data-dir or set RIVULET_DATA_DIR" +
                      (bootstrap.empty() ? " (no default data directory without HOME or XDG_DATA_HOME)"
                                         : " (with --bootstrap-server there is no default data directory)"));
  }
  RIVULET_ASSIGN_OR_RETURN(auto lm, log::LogManager::Open(data_dir, {}));
  for (const auto& [topic, partitions] : create) {
    if (!lm->PartitionCount(topic).ok()) RIVULET_RETURN_IF_ERROR(lm->CreateTopic(topic, partitions));
  }
  return lm;
}

namespace {

std::string PhaseName(const JobInfo* job, const std::string& phase) {
  return (job ? job->name : std::string("job")) + (phase.empty() ? "" : "." + phase);
}

// DATA_DIR/checkpoints/JOB.run: the run marker (see Execute).
std::string RunFile(const std::string& data_dir, const JobInfo* job) {
  return data_dir + "/checkpoints/" + (job ? job->name : std::string("job")) + ".run";
}

}  // namespace

Status JobContext::BeginRun() {
  if (run_started_) return Status::Ok();
  const std::string run_file = RunFile(data_dir, job);
  run_interrupted_ = false;
  if (!fresh) {
    if (auto kept = ReadFileToString(run_file); kept.ok()) {
      auto t = ParseInt("run start", std::string(kept->substr(0, kept->find('\n'))));
      run_interrupted_ = t.ok();
      if (t.ok()) run_start_ms_ = *t;
    }
  }
  if (!run_interrupted_) {
    run_start_ms_ = engine::WallClockMs();
    std::error_code ec;
    std::filesystem::create_directories(data_dir + "/checkpoints", ec);
    RIVULET_RETURN_IF_ERROR(WriteFileAtomic(run_file, std::to_string(run_start_ms_) + "\n"));
  }
  run_started_ = true;
  return Status::Ok();
}

bool JobContext::Resumes(const engine::CheckpointInfo& newest) const {
  return !newest.final || (run_interrupted_ && newest.time_ms >= run_start_ms_);
}

Result<int64_t> JobContext::StartMs(const std::string& phase, int64_t align_ms) {
  if (job && std::any_of(job->params.begin(), job->params.end(), [](const JobParam& p) { return p.name == "start_ms"; })) {
    RIVULET_ASSIGN_OR_RETURN(int64_t given, GetInt("start_ms"));
    if (given >= 0) return given;
  }
  const int64_t now = engine::WallClockMs() / align_ms * align_ms;
  if (explain || data_dir.empty() || checkpoint_interval_ms <= 0) return now;
  RIVULET_RETURN_IF_ERROR(BeginRun());
  const std::string name = PhaseName(job, phase);
  const std::string file = data_dir + "/checkpoints/" + name + "/start_ms";
  bool resumes = false;
  if (!fresh) {
    if (phase.empty() && !from_checkpoint.empty()) {
      resumes = true;
    } else {
      RIVULET_ASSIGN_OR_RETURN(auto store, engine::CheckpointStore::Open(data_dir, name));
      RIVULET_ASSIGN_OR_RETURN(auto list, store->List());
      resumes = !list.empty() && Resumes(list.front());
    }
  }
  if (resumes) {
    auto kept = ReadFileToString(file);
    if (kept.ok()) {
      auto v = ParseInt("start_ms", *kept);
      if (v.ok()) return *v;
    }
  }
  RIVULET_ASSIGN_OR_RETURN(auto store, engine::CheckpointStore::Open(data_dir, name));  // creates the directory
  RIVULET_RETURN_IF_ERROR(WriteFileAtomic(file, std::to_string(now)));
  return now;
}

namespace {

std::string Describe(const engine::CheckpointInfo& info) {
  char b[160];
  std::snprintf(b, sizeof(b), "checkpoint %lld (taken %.1f s ago, %lld bytes)", static_cast<long long>(info.id),
                static_cast<double>(engine::WallClockMs() - info.time_ms) / 1000.0,
                static_cast<long long>(info.bytes));
  return b;
}

}  // namespace

Status JobContext::Execute(operators::JobBuilder& builder, const std::string& phase) {
  if (explain) {
    RIVULET_ASSIGN_OR_RETURN(std::string plan, builder.Explain(parallelism));
    *out << plan;
    return Status::Ok();
  }
  const std::string name = PhaseName(job, phase);
  // A run of the job resumes as a whole: DATA_DIR/checkpoints/JOB.run
  // (holding the run's start time) exists from its first pipeline's start
  // until its main pipeline (the one without a phase name, always the
  // last) finished. While it exists, every pipeline resumes from its
  // newest checkpoint, a final one taken since that start included: the
  // interrupted run may have been killed before its sinks committed it,
  // and a pipeline restored at the end of its input only completes those
  // commits. Any other final checkpoint is an earlier finished run, and
  // the pipeline starts anew.
  const bool checkpointing = checkpoint_interval_ms > 0 && !data_dir.empty();
  const std::string run_file = RunFile(data_dir, job);
  if (checkpointing) RIVULET_RETURN_IF_ERROR(BeginRun());
  // Checkpoints: where they go, and the one to start from.
  std::unique_ptr<engine::CheckpointStore> store;
  std::shared_ptr<const engine::LoadedCheckpoint> restore;
  if (checkpoint_interval_ms < 0) return Status(Errc::kInvalidArgument, "--checkpoint-interval-ms must not be negative");
  if (checkpointing) {
    RIVULET_ASSIGN_OR_RETURN(store, engine::CheckpointStore::Open(data_dir, name));
    const uint64_t fingerprint = engine::GraphFingerprint(builder.graph());
    if (!from_checkpoint.empty() && phase.empty()) {
      RIVULET_ASSIGN_OR_RETURN(auto loaded, engine::CheckpointStore::Load(from_checkpoint));
      if (loaded.info.graph_fingerprint != fingerprint) {
        return Status(Errc::kInvalidArgument,
                      "checkpoint " + from_checkpoint + " is of another job graph than " + name);
      }
      restore = std::make_shared<engine::LoadedCheckpoint>(std::move(loaded));
    } else if (!fresh) {
      RIVULET_ASSIGN_OR_RETURN(auto latest, store->LoadLatest(fingerprint));
      if (latest && !Resumes(latest->info)) {
        std::fprintf(stderr, "rivulet: the last run of %s finished (checkpoint %lld): starting a new run\n",
                     name.c_str(), static_cast<long long>(latest->info.id));
      } else if (latest) {
        restore = std::make_shared<engine::LoadedCheckpoint>(std::move(*latest));
      }
    }
    if (restore) {
      std::fprintf(stderr, "rivulet: %s resumes from %s%s\n", name.c_str(), Describe(restore->info).c_str(),
                   restore->info.final ? ", taken at the end of its input: completing its commits" : "");
    }
  }
  // One set of metrics per attempt, all kept until the server is gone.
  // Labelled with the job's name, the same for every pipeline of the job.
  std::vector<std::unique_ptr<engine::JobMetrics>> metrics;
  metrics.push_back(std::make_unique<engine::JobMetrics>());
  metrics.back()->job = job ? job->name : std::string();
  std::unique_ptr<engine::MetricsServer> server;
  if (metrics_port > 0) {
    RIVULET_ASSIGN_OR_RETURN(server, engine::MetricsServer::Start(metrics_host, static_cast<uint16_t>(metrics_port),
                                                                  metrics.back().get()));
    std::fprintf(stderr, "rivulet: metrics on %s\n", server->url().c_str());
  }
  Status st;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      metrics.push_back(std::make_unique<engine::JobMetrics>());
      metrics.back()->job = metrics.front()->job;
      if (server) server->Serve(metrics.back().get());
    }
    operators::JobRunOptions o;
    o.parallelism = parallelism;
    o.runtime.stop = stop;
    o.runtime.metrics = metrics.back().get();
    o.runtime.checkpoints.interval_ms = store ? checkpoint_interval_ms : 0;
    o.runtime.checkpoints.store = store.get();
    o.runtime.checkpoints.job = name;
    if (store) {
      RIVULET_ASSIGN_OR_RETURN(o.runtime.checkpoints.first_id, store->NextId());
    }
    o.runtime.checkpoints.restore = restore;
    std::unique_ptr<Progress> progress;
    std::unique_ptr<engine::Job> running;
    {
      auto started = builder.Start(o);
      if (!started.ok()) return started.status();
      running = std::move(*started);
    }
    if (this->progress) progress = std::make_unique<Progress>(metrics.back().get());
    st = running->Wait();
    if (progress) progress->Stop(/*summary=*/st.ok(), /*interrupted=*/stop != nullptr && stop->load());
    if (st.ok() || st.code() != Errc::kJobFailed || !store || attempt >= restarts) break;
    if (auto last = running->last_checkpoint()) restore = last;
    const auto backoff = std::chrono::milliseconds(std::min<int64_t>(5000, int64_t{200} << attempt));
    std::fprintf(stderr, "rivulet: %s: %s\nrivulet: restarting %s from %s in %lld ms (restart %d of %d)\n",
                 name.c_str(), st.ToString().c_str(), name.c_str(),
                 restore ? Describe(restore->info).c_str() : "the beginning",
                 static_cast<long long>(backoff.count()), attempt + 1, restarts);
    running.reset();
    std::this_thread::sleep_for(backoff);
  }
  if (!st.ok() && st.code() == Errc::kJobFailed && store && restarts > 0) {
    return Status(st.code(), st.message() + " (after " + std::to_string(restarts) + " restarts)");
  }
  if (st.ok() && checkpointing && phase.empty() && !(stop && stop->load())) {
    std::error_code ec;
    std::filesystem::remove(run_file, ec);  // the run is complete
  }
  return st;
}

}  // namespace rivulet::jobs

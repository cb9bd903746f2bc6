// `rivulet checkpoints`: the complete checkpoints of a job in a data
// directory, newest first, as a table or as JSON (engine/checkpoint_store.h;
// docs/guide/checkpoints.md, "Listing checkpoints"). It only reads.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/checkpoint_store.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct CheckpointsFlags {
  Target target;  // --data-dir only
  std::string job;
  bool json = false;
};

// "2026-12-02T01:17:56.123Z"
std::string IsoUtc(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms - static_cast<int64_t>(secs) * 1000));
  return buf;
}

// "512 B", "3.4 MiB"
std::string HumanBytes(int64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

void PrintTable(const std::vector<engine::CheckpointInfo>& list) {
  std::printf("%-8s %-24s %-11s %-10s %-12s %s\n", "ID", "TIME", "DURATION-MS", "SIZE", "ALIGNMENT-MS", "FINAL");
  for (const auto& c : list) {
    std::printf("%-8lld %-24s %-11lld %-10s %-12lld %s\n", static_cast<long long>(c.id), IsoUtc(c.time_ms).c_str(),
                static_cast<long long>(c.duration_ms), HumanBytes(c.bytes).c_str(),
                static_cast<long long>(c.alignment_ms), c.final ? "yes" : "no");
  }
}

void PrintJson(const std::vector<engine::CheckpointInfo>& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : list) {
    nlohmann::json parallelism = nlohmann::json::object();
    for (const auto& [node, p] : c.parallelism) parallelism[std::to_string(node)] = p;
    char fingerprint[17];
    std::snprintf(fingerprint, sizeof fingerprint, "%016llx", static_cast<unsigned long long>(c.graph_fingerprint));
    out.push_back({{"id", c.id},
                   {"time", IsoUtc(c.time_ms)},
                   {"time_ms", c.time_ms},
                   {"duration_ms", c.duration_ms},
                   {"bytes", c.bytes},
                   {"alignment_ms", c.alignment_ms},
                   {"final", c.final},
                   {"graph_fingerprint", fingerprint},
                   {"parallelism", parallelism},
                   {"path", c.path}});
  }
  std::printf("%s\n", out.dump().c_str());
}

Status RunCheckpoints(CheckpointsFlags& f) {
  if (f.job.empty()) return Status(Errc::kInvalidArgument, "--job is required");
  // A listing creates nothing, the default data directory included.
  RIVULET_RETURN_IF_ERROR(f.target.Resolve(/*create=*/false));
  const std::string& data_dir = f.target.data_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    return Status(Errc::kNotFound, "data directory " + data_dir + " does not exist");
  }
  // Opening the store creates its directory; a listing must not.
  const std::string dir = data_dir + "/checkpoints/" + f.job;
  std::vector<engine::CheckpointInfo> list;
  if (std::filesystem::exists(dir, ec)) {
    RIVULET_ASSIGN_OR_RETURN(auto store, engine::CheckpointStore::Open(data_dir, f.job));
    RIVULET_ASSIGN_OR_RETURN(list, store->List());
  }
  if (f.json) {
    PrintJson(list);
  } else if (list.empty()) {
    std::printf("no checkpoints of job %s in %s\n", f.job.c_str(), dir.c_str());
  } else {
    PrintTable(list);
  }
  return Status::Ok();
}

}  // namespace

void AddCheckpointsCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<CheckpointsFlags>();
  CLI::App* cmd = app.add_subcommand("checkpoints", "list the complete checkpoints of a job, newest first");
  f->target.AddFlags(cmd, /*with_bootstrap=*/false);
  cmd->add_option("--job", f->job, "the job whose checkpoints to list");
  cmd->add_flag("--json", f->json, "one JSON array (raw numbers, fingerprint, parallelism, path)");
  cmd->callback([f, action] { *action = [f] { return RunCheckpoints(*f); }; });
}

}  // namespace rivulet::tools

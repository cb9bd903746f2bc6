// Loading job modules; see jobs/module.h.
#include "jobs/module.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

namespace rivulet::jobs {
namespace {

Status Bad(const std::string& path, const std::string& why) {
  return Status(Errc::kInvalidArgument, "job module " + path + ": " + why);
}

}  // namespace

const char* AbiStamp() { return RIVULET_ABI_STAMP; }

Status LoadModule(const std::string& path) {
  static std::mutex mu;
  static auto* loaded = new std::set<std::string>();
  std::lock_guard<std::mutex> lock(mu);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Bad(path, std::filesystem::exists(path, ec) ? "not a file" : "no such file");
  }
  const std::string canonical = std::filesystem::canonical(path, ec).string();
  if (loaded->count(canonical) > 0) return Status::Ok();
  // dlopen searches the library path for a name without a slash.
  const std::string open_path = path.find('/') == std::string::npos ? "./" + path : path;
  void* handle = ::dlopen(open_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = ::dlerror();
    return Bad(path, std::string("not a loadable shared object (") + (err ? err : "dlopen failed") + ")");
  }
  ::dlerror();
  auto abi = reinterpret_cast<const char* (*)()>(::dlsym(handle, "rivulet_module_abi"));
  if (abi == nullptr) {
    return Bad(path, "not a Rivulet job module (no rivulet_module_abi; build it with rivulet_add_job)");
  }
  const std::string stamp = abi();
  if (stamp != AbiStamp()) {
    return Bad(path, "built against another Rivulet or C++ ABI (" + stamp + "); this launcher is " + AbiStamp() +
                         ": rebuild the module against this Rivulet");
  }
  auto entry = reinterpret_cast<const std::vector<JobInfo>* (*)()>(::dlsym(handle, "rivulet_module_jobs"));
  if (entry == nullptr) return Bad(path, "no entry point rivulet_module_jobs (build it with rivulet_add_job)");
  const std::vector<JobInfo>* jobs = entry();
  if (jobs == nullptr || jobs->empty()) return Bad(path, "registers no job (RIVULET_REGISTER_JOB)");
  std::set<std::string> names;
  for (const JobInfo& j : *jobs) {
    if (!names.insert(j.name).second) return Bad(path, "registers job '" + j.name + "' twice");
  }
  for (JobInfo j : *jobs) {
    j.module = path;
    RIVULET_RETURN_IF_ERROR(RegisterModuleJob(std::move(j)));
  }
  loaded->insert(canonical);
  return Status::Ok();  // never dlclose: the jobs' code must stay mapped
}

Status LoadModulesFromPath(const std::string& path_list) {
  std::stringstream in(path_list);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return Status(Errc::kInvalidArgument, "RIVULET_JOB_PATH: " + dir + " is not a directory");
    }
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".so" && e.is_regular_file(ec)) files.push_back(e.path().string());
    }
    if (ec) return Status(Errc::kIoError, "RIVULET_JOB_PATH: cannot read " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) RIVULET_RETURN_IF_ERROR(LoadModule(f));
  }
  return Status::Ok();
}

}  // namespace rivulet::jobs

// Compiled into every job module by rivulet_add_job (installed beside the
// CMake package, lib/cmake/Rivulet/module_entry.cc); see jobs/module.h. Holds the module's
// private job list, filled by RIVULET_REGISTER_JOB at the module's static
// initialization, and the two C symbols the launcher looks up.
#ifndef RIVULET_JOB_MODULE
#error "module_entry.cc belongs to a job module: build it with rivulet_add_job (it defines RIVULET_JOB_MODULE)"
#endif

#include <utility>
#include <vector>

#include "jobs/module.h"

namespace rivulet::jobs::module_detail {
namespace {

std::vector<JobInfo>& Jobs() {
  static auto* jobs = new std::vector<JobInfo>();
  return *jobs;
}

}  // namespace

bool Add(JobInfo info) {
  Jobs().push_back(std::move(info));
  return true;
}

}  // namespace rivulet::jobs::module_detail

extern "C" {

__attribute__((visibility("default"))) const char* rivulet_module_abi(void) { return RIVULET_ABI_STAMP; }

__attribute__((visibility("default"))) const std::vector<rivulet::jobs::JobInfo>* rivulet_module_jobs(void) {
  return &rivulet::jobs::module_detail::Jobs();
}

}  // extern "C"

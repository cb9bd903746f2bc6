// Job modules: users' jobs built outside the source tree (with the installed
// SDK's `rivulet_add_job`, see docs/guide/writing-a-job.md) as shared
// objects that the launcher loads with `--job-lib PATH` or from the
// directories of RIVULET_JOB_PATH.
//
// A module's job files register with RIVULET_REGISTER_JOB as built-in jobs
// do, but (built with RIVULET_JOB_MODULE defined) into a list private to the
// module. The module exports two C symbols, both defined by
// jobs/module_entry.cc, which rivulet_add_job compiles into every module:
//
//   rivulet_module_abi()   its ABI stamp (RIVULET_ABI_STAMP as the module
//                          was compiled): the Rivulet version and the C++ ABI
//   rivulet_module_jobs()  the entry point: the module's jobs
//
// LoadModule first reads the file's dynamic section: a module that needs
// another librivulet (built against another minor release) is refused
// before dlopen could map that second copy. Then it opens the file (dlopen,
// RTLD_NOW | RTLD_LOCAL: the module binds to the process's one librivulet,
// so there is one job registry, logger and log), compares the stamp with
// the launcher's own before it calls anything else of the module, and
// registers the module's jobs, all or none. A module's static constructors
// run at dlopen, before the stamp check: RIVULET_REGISTER_JOB there fills
// the module's private list, and a registration into the launcher's
// registry meanwhile (code compiled without RIVULET_JOB_MODULE) is refused.
// Modules are never unloaded: the jobs' code must stay mapped.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/version.h"
#include "jobs/job.h"

#define RIVULET_STRINGIFY_(x) #x
#define RIVULET_STRINGIFY(x) RIVULET_STRINGIFY_(x)

// What must agree between the launcher and a module for JobInfo, std::string,
// std::function and the job API's types to mean the same on both sides: the
// Rivulet version (0.x: any release may change the API) and the C++ ABI
// (Itanium ABI version, libstdc++'s string/list ABI and its release).
#define RIVULET_ABI_STAMP                                                                       \
  "rivulet " RIVULET_VERSION "; gxx-abi " RIVULET_STRINGIFY(__GXX_ABI_VERSION) "; cxx11-abi " \
      RIVULET_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) "; libstdc++ " RIVULET_STRINGIFY(_GLIBCXX_RELEASE)

extern "C" {
// Both defined in every module by jobs/module_entry.cc.
const char* rivulet_module_abi(void);
const std::vector<rivulet::jobs::JobInfo>* rivulet_module_jobs(void);
}

namespace rivulet::jobs {

// The launcher's stamp (RIVULET_ABI_STAMP as librivulet was compiled).
const char* AbiStamp();

// Loads the job module at `path` and registers its jobs (JobModule names
// the file). kInvalidArgument, with one line naming the file,
// when it is not a loadable shared object, has no ABI stamp (not a job
// module), was built against another Rivulet version or C++ ABI, has no
// entry point, or registers a job name that is already registered (built
// in or by another module). Loading the same file twice is a no-op.
Status LoadModule(const std::string& path);

// Loads every `*.so` file of each directory of `path_list` (a
// colon-separated list, as RIVULET_JOB_PATH), in name order. Every such
// file must be a job module; a directory that does not exist is an error.
Status LoadModulesFromPath(const std::string& path_list);

}  // namespace rivulet::jobs

// A shared object for the launcher's tests that looks like a job module
// built against another Rivulet version: its own entry points, with the
// stamp of a version that is not this one.
#include <vector>

#include "rivulet/rivulet.h"

extern "C" {

__attribute__((visibility("default"))) const char* rivulet_module_abi(void) {
  return "rivulet 0.1.0; gxx-abi 1017; cxx11-abi 1; libstdc++ 12";
}

__attribute__((visibility("default"))) const std::vector<rivulet::jobs::JobInfo>* rivulet_module_jobs(void) {
  __builtin_trap();  // never called: the launcher checks the stamp first
}

}  // extern "C"

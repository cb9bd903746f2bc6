// A shared object for the launcher's tests with this Rivulet's ABI stamp
// but no entry point (rivulet_module_jobs).
#include "rivulet/rivulet.h"

extern "C" __attribute__((visibility("default"))) const char* rivulet_module_abi(void) { return RIVULET_ABI_STAMP; }

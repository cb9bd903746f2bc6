// A shared object for the launcher's tests that is no job module at all.
extern "C" __attribute__((visibility("default"))) int plain_library_function(void) { return 42; }

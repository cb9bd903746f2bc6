// The `rivulet` binary of this build run as a child process, for the tests
// of the command line (RIVULET_BINARY is its path, set by tests/CMakeLists.txt).
#pragma once

#include <string>
#include <vector>

#include "tests/test_util.h"

namespace rivulet::testing {

// Runs `rivulet args...` with `input` on its stdin; waits for it.
inline ProcessResult Rivulet(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), RIVULET_BINARY);
  return RunProcess(args, input);
}

}  // namespace rivulet::testing

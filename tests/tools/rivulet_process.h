// The `rivulet` binary of this build run as a child process, for the tests
// of the command line (RIVULET_BINARY is its path, set by tests/CMakeLists.txt).
#pragma once

#include <string>
#include <vector>

#include "tests/test_util.h"

namespace rivulet::testing {

// The environment changes that take away the default data directory (no
// HOME, no XDG_DATA_HOME) and RIVULET_DATA_DIR: a command given no data
// directory behaves as before there was a default (a job runs without
// checkpoints, a log command fails), and none touches the real home.
inline const std::vector<std::string>& NoDefaultDataDir() {
  static const std::vector<std::string> env = {"HOME", "XDG_DATA_HOME", "RIVULET_DATA_DIR"};
  return env;
}

// Runs `rivulet args...` with `input` on its stdin; waits for it. Its
// environment has no data directory variables (NoDefaultDataDir), then the
// changes of `env` (see RunProcess): "HOME=/tmp/x" to use a default.
inline ProcessResult Rivulet(std::vector<std::string> args, const std::string& input = "",
                             const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), RIVULET_BINARY);
  std::vector<std::string> all = NoDefaultDataDir();
  all.insert(all.end(), env.begin(), env.end());
  return RunProcess(args, input, all);
}

}  // namespace rivulet::testing

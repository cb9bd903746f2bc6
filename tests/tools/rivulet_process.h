// The `rivulet` binary of this build run as a child process, for the tests
// of the command line (RIVULET_BINARY is its path, set by tests/CMakeLists.txt).
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

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

// Starts `rivulet args...` in the background with its output thrown away
// (the environment as this process's); returns its pid, -1 on failure.
inline pid_t Spawn(std::vector<std::string> args) {
  args.insert(args.begin(), RIVULET_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

}  // namespace rivulet::testing

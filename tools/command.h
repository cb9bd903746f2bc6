// Shared plumbing of the `rivulet` subcommands: each Add*Command registers
// its flags on the CLI11 app and a callback that returns a Status; main()
// turns a non-ok Status into one line on stderr and a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "log/log_manager.h"

namespace rivulet::tools {

// Where the client commands find the log: a data directory (embedded) or
// a Kafka-protocol cluster (a running `rivulet broker`, or Kafka itself).
struct Target {
  std::string data_dir;
  std::string bootstrap;
  // Adds --data-dir (default: $RIVULET_DATA_DIR) and --bootstrap-server.
  void AddFlags(CLI::App* cmd);
  bool remote() const { return !bootstrap.empty(); }
  // kInvalidArgument when both or neither are given.
  Status Check() const;
  // Opens the embedded log; kInvalidArgument when no directory was given.
  Result<std::unique_ptr<log::LogManager>> Open(log::LogOptions options = {}) const;
};

// Set by each subcommand: the work to run after parsing.
using Action = std::function<Status()>;

void AddTopicsCommand(CLI::App& app, Action* action);
void AddProduceCommand(CLI::App& app, Action* action);
void AddConsumeCommand(CLI::App& app, Action* action);
void AddGroupsCommand(CLI::App& app, Action* action);
void AddTransactionsCommand(CLI::App& app, Action* action);
void AddJobsCommands(CLI::App& app, Action* action);
void AddBenchCommand(CLI::App& app, Action* action);
void AddBrokerCommand(CLI::App& app, Action* action);
void AddCheckpointsCommand(CLI::App& app, Action* action);
void AddNewJobCommand(CLI::App& app, Action* action);

// Parses "k=v" into a pair; kInvalidArgument otherwise.
Result<std::pair<std::string, std::string>> ParseKeyValue(const std::string& s);

// True once SIGINT or SIGTERM arrived (installed by main).
bool Interrupted();

}  // namespace rivulet::tools

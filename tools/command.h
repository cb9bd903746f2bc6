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
#include "tools/kafka_request.h"

namespace rivulet::tools {

// The data directory used when neither --data-dir nor $RIVULET_DATA_DIR
// names one: $XDG_DATA_HOME/rivulet when XDG_DATA_HOME is set and absolute
// (a relative one is ignored, as the XDG base directory spec says), else
// $HOME/.local/share/rivulet when HOME is set and absolute; "" when
// neither is usable.
std::string DefaultDataDir();

// "WHAT (default: FIRST$RIVULET_DATA_DIR, else /home/u/.local/share/rivulet)":
// the help text of a --data-dir option, naming the default of this user.
std::string DataDirHelp(const std::string& what, const std::string& first = "");

// The one stderr line naming the default data directory when a command
// uses it (and only then: an explicit choice prints nothing).
void AnnounceDefaultDataDir(const std::string& dir);

// Where the client commands find the log: a data directory (embedded) or
// a Kafka-protocol cluster (a running `rivulet broker`, or Kafka itself).
// The data directory is --data-dir, else $RIVULET_DATA_DIR, else the
// default (DefaultDataDir) — but with --bootstrap-server the command talks
// to the broker, and the default is not used.
struct Target {
  std::string data_dir;
  std::string bootstrap;
  // --command-config FILE (client_config.h), read by Resolve: how to reach
  // a broker's TLS and SASL listeners.
  std::string command_config;
  std::vector<std::string> client_settings;  // -X key=value (over the file's)
  ClientProperties client;
  // `rivulet run`: a data directory beside --bootstrap-server (a Kafka
  // job's checkpoints), and no data directory at all when there is no
  // default (jobs that need no log run as before).
  bool for_run = false;
  // Adds --data-dir and --bootstrap-server with --command-config (without
  // it: --data-dir only).
  void AddFlags(CLI::App* cmd, bool with_bootstrap = true);
  bool remote() const { return !bootstrap.empty(); }
  // After parsing, before the first use: picks the data directory by the
  // rule above; with the default, prints its line on stderr and (with
  // `create`) creates it. kInvalidArgument when --data-dir and
  // --bootstrap-server are both given (not for run), or when there is
  // neither and no default.
  Status Resolve(bool create = true);
  // Opens the embedded log; kInvalidArgument when there is no directory.
  Result<std::unique_ptr<log::LogManager>> Open(log::LogOptions options = {}) const;

 private:
  CLI::Option* data_dir_option_ = nullptr;
  bool with_bootstrap_ = true;
};

// A client command's outcome, with the broker's address named when it did
// not answer in time (a timeout through --bootstrap-server).
Status NameBroker(Status st, const Target& target);

// Set by each subcommand: the work to run after parsing.
using Action = std::function<Status()>;

void AddTopicsCommand(CLI::App& app, Action* action);
void AddProduceCommand(CLI::App& app, Action* action);
void AddConsumeCommand(CLI::App& app, Action* action);
void AddGroupsCommand(CLI::App& app, Action* action);
void AddTransactionsCommand(CLI::App& app, Action* action);
void AddUsersCommand(CLI::App& app, Action* action);
void AddAclsCommand(CLI::App& app, Action* action);
void AddJobsCommands(CLI::App& app, Action* action);
void AddBenchCommand(CLI::App& app, Action* action);
void AddBrokerCommand(CLI::App& app, Action* action);
void AddCheckpointsCommand(CLI::App& app, Action* action);
void AddNewJobCommand(CLI::App& app, Action* action);

// After a parse error: " (did you mean --parallelism?)" naming the known
// flag or command nearest to an unknown one in argv (at most two edits, or
// a quarter of its length, away), or "".
std::string Suggestion(const CLI::App& app, int argc, char** argv);
// "broker, topics, ...": the commands, for an error that names none.
std::string CommandNames(const CLI::App& app);

// Parses "k=v" into a pair; kInvalidArgument otherwise.
Result<std::pair<std::string, std::string>> ParseKeyValue(const std::string& s);

// True once SIGINT or SIGTERM arrived (installed by main).
bool Interrupted();

}  // namespace rivulet::tools

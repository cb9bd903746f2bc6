// The `rivulet` command: one binary, one subcommand per face of the system.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "base/logging.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;
void OnSignal(int) { g_interrupted = 1; }
}  // namespace

bool Interrupted() { return g_interrupted != 0; }

void Target::AddFlags(CLI::App* cmd) {
  if (const char* env = std::getenv("RIVULET_DATA_DIR")) data_dir = env;
  cmd->add_option("--data-dir", data_dir, "data directory of the embedded log ($RIVULET_DATA_DIR)");
  cmd->add_option("--bootstrap-server", bootstrap, "HOST:PORT of a running broker (Kafka protocol)");
}

Status Target::Check() const {
  if (!bootstrap.empty() && !data_dir.empty() && !std::getenv("RIVULET_DATA_DIR")) {
    return Status(Errc::kInvalidArgument, "give --data-dir or --bootstrap-server, not both");
  }
  if (bootstrap.empty() && data_dir.empty()) {
    return Status(Errc::kInvalidArgument, "--data-dir or --bootstrap-server is required");
  }
  return Status::Ok();
}

Result<std::unique_ptr<log::LogManager>> Target::Open(log::LogOptions options) const {
  if (data_dir.empty()) {
    return Status(Errc::kInvalidArgument, "--data-dir or --bootstrap-server is required (or set RIVULET_DATA_DIR)");
  }
  return log::LogManager::Open(data_dir, std::move(options));
}

Result<std::pair<std::string, std::string>> ParseKeyValue(const std::string& s) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status(Errc::kInvalidArgument, "expected key=value, got '" + s + "'");
  }
  return std::make_pair(s.substr(0, eq), s.substr(eq + 1));
}

}  // namespace rivulet::tools

int main(int argc, char** argv) {
  using namespace rivulet;
  CLI::App app{"rivulet: a partitioned log, a Kafka-protocol broker and a dataflow runtime"};
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string(e.what()) + " (see --help)\n";
  });
  std::string level = "warn";
  app.add_option("--log-level", level, "trace, debug, info, warn, error, off")->capture_default_str();
  tools::Action action;
  tools::AddBrokerCommand(app, &action);
  tools::AddTopicsCommand(app, &action);
  tools::AddProduceCommand(app, &action);
  tools::AddConsumeCommand(app, &action);
  tools::AddGroupsCommand(app, &action);
  tools::AddTransactionsCommand(app, &action);
  tools::AddJobsCommands(app, &action);
  tools::AddCheckpointsCommand(app, &action);
  tools::AddNewJobCommand(app, &action);
  tools::AddBenchCommand(app, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "rivulet: %s (see --help)\n", e.what());
    return 2;
  }
  SetLogLevel(level);
  std::signal(SIGINT, tools::OnSignal);
  std::signal(SIGTERM, tools::OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  Status st = action ? action() : Status(Errc::kInvalidArgument, "no command");
  if (!st.ok()) {
    std::fprintf(stderr, "rivulet: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

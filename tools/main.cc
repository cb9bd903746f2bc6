// The `rivulet` command: one binary, one subcommand per face of the system.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "base/logging.h"
#include "base/version.h"
#include "tools/command.h"
#include "tools/client_config.h"

namespace rivulet::tools {
namespace {
volatile std::sig_atomic_t g_interrupted = 0;
void OnSignal(int) { g_interrupted = 1; }
}  // namespace

bool Interrupted() { return g_interrupted != 0; }

namespace {

// A variable that names a directory: set, not empty, absolute.
std::string AbsoluteEnv(const char* name) {
  const char* v = std::getenv(name);
  return v && v[0] == '/' ? std::string(v) : std::string();
}

std::string EnvDataDir() {
  const char* v = std::getenv("RIVULET_DATA_DIR");
  return v ? std::string(v) : std::string();
}

}  // namespace

std::string DefaultDataDir() {
  if (std::string xdg = AbsoluteEnv("XDG_DATA_HOME"); !xdg.empty()) return xdg + "/rivulet";
  if (std::string home = AbsoluteEnv("HOME"); !home.empty()) {
    return home + (home.back() == '/' ? "" : "/") + ".local/share/rivulet";
  }
  return "";
}

std::string DataDirHelp(const std::string& what, const std::string& first) {
  const std::string def = DefaultDataDir();
  return what + " (default: " + first + "$RIVULET_DATA_DIR, else " +
         (def.empty() ? std::string("$XDG_DATA_HOME/rivulet or ~/.local/share/rivulet") : def) + ")";
}

void AnnounceDefaultDataDir(const std::string& dir) {
  std::fprintf(stderr, "rivulet: data directory %s (the default; --data-dir or RIVULET_DATA_DIR to change)\n",
               dir.c_str());
  std::fflush(stderr);
}

void Target::AddFlags(CLI::App* cmd, bool with_bootstrap) {
  with_bootstrap_ = with_bootstrap;
  data_dir_option_ = cmd->add_option("--data-dir", data_dir, DataDirHelp("data directory of the embedded log"));
  if (with_bootstrap) {
    cmd->add_option("--bootstrap-server", bootstrap,
                    "HOST:PORT of a running broker (Kafka protocol); the default data directory is then not used");
    cmd->add_option("--command-config", command_config,
                    "client properties for --bootstrap-server (security.protocol, sasl.*, ssl.*; Kafka's or "
                    "librdkafka's names; docs/guide/security.md)");
    cmd->add_option("-X", client_settings, "one client property, key=value (repeatable; over --command-config's), "
                                           "as kcat's -X")
        ->allow_extra_args(false);
  }
}

Status Target::Resolve(bool create) {
  if (!command_config.empty() || !client_settings.empty()) {
    if (bootstrap.empty()) return Status(Errc::kInvalidArgument, "--command-config and -X need --bootstrap-server");
    if (for_run) {
      return Status(Errc::kInvalidArgument, "rivulet run does not take --command-config or -X yet: a job's Kafka "
                                            "connectors reach plaintext listeners only");
    }
    if (!command_config.empty()) {
      RIVULET_ASSIGN_OR_RETURN(client, LoadClientProperties(command_config));
    }
    for (const std::string& kv : client_settings) {
      RIVULET_ASSIGN_OR_RETURN(auto pair, ParseKeyValue(kv));
      RIVULET_RETURN_IF_ERROR(NormalizeClientProperty(pair.first, pair.second, &client));
    }
  }
  if (data_dir_option_ && data_dir_option_->count() > 0) {
    if (data_dir.empty()) return Status(Errc::kInvalidArgument, "--data-dir is empty");
    if (!bootstrap.empty() && !for_run) {
      return Status(Errc::kInvalidArgument, "give --data-dir or --bootstrap-server, not both");
    }
    return Status::Ok();
  }
  if (std::string env = EnvDataDir(); !env.empty()) {
    // Beside --bootstrap-server only a job uses it (for its checkpoints).
    data_dir = bootstrap.empty() || for_run ? env : "";
    return Status::Ok();
  }
  data_dir.clear();
  if (!bootstrap.empty()) return Status::Ok();  // the broker's log, not a local one
  data_dir = DefaultDataDir();
  if (data_dir.empty()) {
    if (for_run) return Status::Ok();  // jobs that need a log say so
    return Status(Errc::kInvalidArgument,
                  std::string(with_bootstrap_ ? "--data-dir or --bootstrap-server" : "--data-dir") +
                      " is required (or set RIVULET_DATA_DIR; no default data directory without HOME or "
                      "XDG_DATA_HOME)");
  }
  AnnounceDefaultDataDir(data_dir);
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(data_dir, ec);
    if (ec) return Status(Errc::kIoError, "cannot create data directory " + data_dir + ": " + ec.message());
  }
  return Status::Ok();
}

Status NameBroker(Status st, const Target& target) {
  if (st.code() != Errc::kTimeout || !target.remote() || st.message().find(target.bootstrap) != std::string::npos) {
    return st;
  }
  return Status(st.code(), "no answer from the broker at " + target.bootstrap + " (is one listening there?): " +
                               st.message());
}

Result<std::unique_ptr<log::LogManager>> Target::Open(log::LogOptions options) const {
  if (data_dir.empty()) {
    return Status(Errc::kInvalidArgument, "--data-dir or --bootstrap-server is required (or set RIVULET_DATA_DIR)");
  }
  return log::LogManager::Open(data_dir, std::move(options));
}

namespace {

// Edit distance (insertions, deletions, substitutions, adjacent swaps).
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The candidate nearest to `word`, if near enough.
std::string Nearest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  // One edit for a short word ("rm" is not "run"), then a quarter of it.
  size_t best_distance = (word.size() <= 4 ? 1 : std::max<size_t>(2, word.size() / 4)) + 1;
  for (const auto& c : candidates) {
    const size_t dist = Distance(word, c);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  return best;
}

std::vector<std::string> LongFlags(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app.get_options()) {
    for (const auto& n : o->get_lnames()) out.push_back("--" + n);
  }
  return out;
}

}  // namespace

std::string CommandNames(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

std::string Suggestion(const CLI::App& app, int argc, char** argv) {
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    commands.push_back(sub->get_name());
  }
  // The command argv names (the first word that is not a flag or its value).
  const CLI::App* command = nullptr;
  for (int i = 1; i < argc && command == nullptr; ++i) {
    const std::string_view w = argv[i];
    if (w.starts_with("-")) {
      if (w == "--log-level") ++i;
      continue;
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == w) command = sub;
    }
    if (command == nullptr) {
      const std::string near = Nearest(w, commands);
      return near.empty() ? "" : " (did you mean " + near + "?)";
    }
  }
  std::vector<std::string> flags = LongFlags(app);
  if (command != nullptr) {
    for (auto& f : LongFlags(*command)) flags.push_back(std::move(f));
  }
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    if (!w.starts_with("--")) continue;
    w = w.substr(0, w.find('='));
    if (std::find(flags.begin(), flags.end(), w) != flags.end()) continue;
    const std::string near = Nearest(w, flags);
    if (!near.empty()) return " (did you mean " + near + "?)";
  }
  return "";
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
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("rivulet ") + RIVULET_VERSION, "print the version and exit");
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
  tools::AddUsersCommand(app, &action);
  tools::AddAclsCommand(app, &action);
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
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "rivulet: %s%s (see --help)\n", e.what(), tools::Suggestion(app, argc, argv).c_str());
    return 2;
  }
  if (app.get_subcommands().empty()) {
    std::fprintf(stderr, "rivulet: a command is required: %s (see --help)\n", tools::CommandNames(app).c_str());
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

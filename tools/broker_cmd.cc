// `rivulet broker`: serve the log over the Kafka wire protocol.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "log/kafka/server/broker.h"
#include "tools/command.h"

namespace rivulet::tools {
namespace {

struct BrokerFlags {
  std::string data_dir;
  std::string listen = "127.0.0.1:9092";
  std::string config;
  int threads = 0;
};

Status RunBroker(const BrokerFlags& f, bool listen_given, bool data_dir_given) {
  log::kafka::BrokerOptions o;
  if (!f.config.empty()) RIVULET_RETURN_IF_ERROR(log::kafka::ApplyServerProperties(f.config, &o));
  // Flags win over the file; then $RIVULET_DATA_DIR, then the default data
  // directory of every command: a client command run without flags next
  // to this broker finds the same directory, locked (an error naming this
  // process), rather than another, empty log.
  if (data_dir_given || o.data_dir.empty()) o.data_dir = f.data_dir;
  if (listen_given || f.config.empty()) RIVULET_RETURN_IF_ERROR(log::kafka::ParseListen(f.listen, &o));
  if (f.threads > 0) o.threads = f.threads;
  if (o.data_dir.empty()) {
    if (const char* env = std::getenv("RIVULET_DATA_DIR"); env && *env) o.data_dir = env;
  }
  if (o.data_dir.empty()) {
    o.data_dir = DefaultDataDir();
    if (o.data_dir.empty()) {
      return Status(Errc::kInvalidArgument,
                    "--data-dir is required (or log.dirs in --config, or RIVULET_DATA_DIR; no default data "
                    "directory without HOME or XDG_DATA_HOME)");
    }
    AnnounceDefaultDataDir(o.data_dir);
  }
  // Many clients mean many sockets: raise the descriptor limit to the hard one.
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
  }
  RIVULET_ASSIGN_OR_RETURN(auto broker, log::kafka::Broker::Start(o));
  // One line: the first listener as HOST:PORT (scripts read it), then any others.
  const bool one_plaintext = o.listeners.size() == 1 && o.listeners[0].protocol == log::kafka::SecurityProtocol::kPlaintext;
  if (o.listeners.empty() || one_plaintext) {
    const std::string& host = o.listeners.empty() ? o.listen_host : o.listeners[0].host;
    std::printf("rivulet broker listening on %s:%u (data dir %s)\n", host.c_str(),
                static_cast<unsigned>(broker->port()), o.data_dir.c_str());
  } else {
    std::string all;
    for (size_t i = 0; i < o.listeners.size(); ++i) {
      const auto& l = o.listeners[i];
      all += (i ? ", " : "") + (l.host.empty() ? std::string("0.0.0.0") : l.host) + ":" +
             std::to_string(broker->port(i)) + " (" + l.name + ")";
    }
    std::printf("rivulet broker listening on %s (data dir %s)\n", all.c_str(), o.data_dir.c_str());
  }
  std::fflush(stdout);
  std::thread watcher([&broker] {
    while (!Interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    broker->Stop();
  });
  Status st = broker->Run();
  watcher.join();
  std::fprintf(stderr, "rivulet broker stopped\n");
  return st;
}

}  // namespace

void AddBrokerCommand(CLI::App& app, Action* action) {
  auto f = std::make_shared<BrokerFlags>();
  CLI::App* cmd = app.add_subcommand("broker", "serve the log over the Kafka wire protocol");
  auto* dd = cmd->add_option("--data-dir", f->data_dir,
                             DataDirHelp("data directory", "log.dirs of --config, else "));
  auto* ls = cmd->add_option("--listen", f->listen, "HOST:PORT to listen on")->capture_default_str();
  cmd->add_option("--config", f->config, "server.properties file");
  cmd->add_option("--threads", f->threads, "network/io threads (default: one per core)");
  cmd->callback([f, action, dd, ls] {
    const bool listen_given = ls->count() > 0;
    const bool data_dir_given = dd->count() > 0;
    *action = [f, listen_given, data_dir_given] { return RunBroker(*f, listen_given, data_dir_given); };
  });
}

}  // namespace rivulet::tools

// `rivulet bench NAME [--json]`: end-to-end benchmarks against baselines.
#include <iostream>

#include "bench/harness.h"
#include "tools/command.h"

namespace rivulet::tools {

void AddBenchCommand(CLI::App& app, Action* action) {
  auto o = std::make_shared<bench::BenchOptions>();
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("bench", "run a benchmark (rivulet bench list: the names)");
  cmd->add_option("name", *name, "benchmark name")->required();
  cmd->add_flag("--json", o->json, "print one JSON object as the last line");
  cmd->add_option("--records", o->records, "records per run (default: the benchmark's)");
  cmd->add_option("--value-bytes", o->value_bytes, "value size")->capture_default_str();
  cmd->add_option("--key-bytes", o->key_bytes, "key size")->capture_default_str();
  cmd->add_option("--repeats", o->repeats, "runs; medians are reported")->capture_default_str();
  cmd->add_option("--dir", o->dir, "directory for the benchmark's files")->capture_default_str();
  auto sets = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--set", *sets, "KEY=VALUE: a benchmark's option (ysb: source=memory|log)");
  auto query = std::make_shared<std::string>();
  cmd->add_option("--query", *query, "nexmark: the query, qN or all (default all)");
  cmd->callback([o, name, action, sets, query] {
    *action = [o, name, sets, query] {
      if (!query->empty()) {
        if (*name != "nexmark") return Status(Errc::kInvalidArgument, "--query is an option of the nexmark benchmark");
        o->settings["query"] = *query;
      }
      for (const auto& kv : *sets) {
        RIVULET_ASSIGN_OR_RETURN(auto p, ParseKeyValue(kv));
        o->settings[p.first] = p.second;
      }
      if (o->records < 0 || o->repeats <= 0 || o->value_bytes < 0 || o->key_bytes < 1) {
        return Status(Errc::kInvalidArgument, "--records, --repeats and --key-bytes must be positive");
      }
      return bench::RunBench(*name, *o, std::cout);
    };
  });
}

}  // namespace rivulet::tools

// The `rivulet` command end to end, as a user runs it: topics, produce,
// consume, groups, jobs; wrong flags and bad input give one line on stderr
// and a non-zero exit.
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/version.h"
#include "connectors/postgres/postgres_sink.h"
#include "engine/checkpoint_store.h"
#include "log/producer.h"
#include "tests/test_util.h"
#include "tests/tools/rivulet_process.h"

namespace rivulet::tools {
namespace {

using testing::ProcessResult;
using testing::Rivulet;
using testing::RunProcess;
using testing::TempDir;


size_t Lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST(CliTest, ProduceConsumeRoundTrip) {
  TempDir dir;
  const std::string d = dir / "data";
  auto r = Rivulet({"topics", "--create", "--topic", "t", "--partitions", "3", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Created topic t with 3 partitions.\n");
  std::string input;
  for (int i = 0; i < 300; ++i) input += "key" + std::to_string(i % 7) + ":value-" + std::to_string(i) + "\n";
  r = Rivulet({"produce", "--topic", "t", "--key-separator", ":", "--data-dir", d}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300", "--print-key",
               "--separator", "=", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), 300u);
  // Every line came back, with its key; per key, in order.
  std::map<std::string, int> last_for_key;
  for (int i = 0; i < 300; ++i) {
    const std::string line = "key" + std::to_string(i % 7) + "=value-" + std::to_string(i) + "\n";
    EXPECT_NE(r.out.find(line), std::string::npos) << line;
  }
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    const int n = std::stoi(line.substr(line.find('-') + 1));
    auto [it, fresh] = last_for_key.emplace(line.substr(0, eq), n);
    if (!fresh) {
      EXPECT_GT(n, it->second) << "per-key order broken at " << line;
      it->second = n;
    }
  }
  r = Rivulet({"topics", "--describe", "--topic", "t", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("PartitionCount: 3"), std::string::npos) << r.out;
}

TEST(CliTest, GroupConsumeCommitsAndDescribeShowsLag) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  std::string input;
  for (int i = 0; i < 10; ++i) input += std::to_string(i) + "\n";
  ASSERT_EQ(Rivulet({"produce", "--topic", "t", "--data-dir", d}, input).exit_code, 0);
  auto r = Rivulet({"consume", "--topic", "t", "--group", "g", "--from-beginning", "--max-messages", "4",
                    "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n1\n2\n3\n");
  r = Rivulet({"groups", "--describe", "--group", "g", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Committed 4 of 10: lag 6.
  EXPECT_NE(r.out.find("t                        0         4              10             6"),
            std::string::npos)
      << r.out;
  // The group resumes where it stopped.
  r = Rivulet({"consume", "--topic", "t", "--group", "g", "--timeout-ms", "300", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "4\n5\n6\n7\n8\n9\n");
  r = Rivulet({"groups", "--list", "--data-dir", d});
  EXPECT_EQ(r.out, "g\n");
}

// kafka-consumer-groups' --reset-offsets, on the embedded log: a dry run
// by default, every way of naming the new position, clamped to the log;
// then --delete.
TEST(CliTest, GroupsResetOffsetsThenDelete) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  std::string input;
  for (int i = 0; i < 10; ++i) input += std::to_string(i) + "\n";
  ASSERT_EQ(Rivulet({"produce", "--topic", "t", "--data-dir", d}, input).exit_code, 0);
  ASSERT_EQ(Rivulet({"consume", "--topic", "t", "--group", "g", "--from-beginning", "--max-messages", "4",
                     "--data-dir", d})
                .exit_code,
            0);
  auto committed = [&] {
    auto r = Rivulet({"groups", "--describe", "--group", "g", "--data-dir", d});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(r.out.substr(r.out.find("\nt ") + 1));
    std::string topic;
    int partition = -1;
    std::string current;
    in >> topic >> partition >> current;
    return current;
  };
  auto reset = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"groups", "--reset-offsets", "--group", "g", "--data-dir", d});
    return Rivulet(args);
  };
  ASSERT_EQ(committed(), "4");

  // A dry run prints the plan and commits nothing.
  auto r = reset({"--topic", "t", "--to-earliest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("g                    t                        0         0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("dry run: nothing committed"), std::string::npos) << r.err;
  EXPECT_EQ(committed(), "4");

  // --execute commits; the group then reads from there.
  r = reset({"--all-topics", "--to-earliest", "--execute"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(committed(), "0");
  r = Rivulet({"consume", "--topic", "t", "--group", "g", "--timeout-ms", "300", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out), 10u);
  EXPECT_EQ(committed(), "10");

  ASSERT_EQ(reset({"--topic", "t:0", "--shift-by", "-3", "--execute"}).exit_code, 0);
  r = Rivulet({"consume", "--topic", "t", "--group", "g", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(r.out, "7\n8\n9\n");
  ASSERT_EQ(reset({"--topic", "t", "--to-offset", "6", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "6");
  ASSERT_EQ(reset({"--topic", "t", "--to-current", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "6");
  // Outside the log: kept within it, and said so.
  r = reset({"--topic", "t", "--to-offset", "100", "--execute"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("t-0: 100 is outside [0, 10]; using 10"), std::string::npos) << r.err;
  EXPECT_EQ(committed(), "10");
  ASSERT_EQ(reset({"--topic", "t", "--to-datetime", "2000-01-01T00:00:00.000Z", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "0");
  ASSERT_EQ(reset({"--topic", "t", "--to-datetime", "2999-01-01T00:00+02:00", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "10");  // nothing that late: the end
  ASSERT_EQ(reset({"--topic", "t", "--by-duration", "P1DT1H", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "0");
  ASSERT_EQ(reset({"--topic", "t", "--to-offset", "5", "--execute"}).exit_code, 0);
  // Before 1970 (a date or a longer duration) is the start, not "no time".
  ASSERT_EQ(reset({"--topic", "t", "--to-datetime", "1960-01-01T00:00Z", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "0");
  ASSERT_EQ(reset({"--topic", "t", "--to-offset", "5", "--execute"}).exit_code, 0);
  ASSERT_EQ(reset({"--topic", "t", "--by-duration", "P30000D", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "0");
  ASSERT_EQ(reset({"--topic", "t", "--to-latest", "--execute"}).exit_code, 0);
  EXPECT_EQ(committed(), "10");

  // Wrong input: one line, nothing changed.
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--topic", "t"}, "give exactly one of --to-earliest"},
           {{"--topic", "t", "--to-earliest", "--to-latest"}, "give exactly one of --to-earliest"},
           {{"--to-earliest"}, "give --topic T[:P,...] or --all-topics"},
           {{"--topic", "t:3", "--to-earliest"}, "'3' is not a partition of t (0..0)"},
           {{"--topic", "nope", "--to-earliest"}, "unknown topic 'nope'"},
           {{"--topic", "t", "--to-datetime", "yesterday"}, "is not YYYY-MM-DDTHH:mm"},
           {{"--topic", "t", "--by-duration", "1H"}, "is not PnDTnHnMnS"},
           {{"--topic", "t", "--to-earliest", "--dry-run", "--execute"}, "exclude each other"},
       }) {
    r = reset(args);
    EXPECT_NE(r.exit_code, 0) << args[0];
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "u", "--data-dir", d}).exit_code, 0);
  r = Rivulet({"groups", "--reset-offsets", "--group", "g", "--topic", "u", "--shift-by", "1", "--data-dir", d});
  EXPECT_NE(r.err.find("group 'g' has no committed offset for u-0"), std::string::npos) << r.err;
  EXPECT_EQ(committed(), "10");

  r = Rivulet({"groups", "--describe", "--group", "g", "--state", "--data-dir", d});
  EXPECT_NE(r.out.find("Empty"), std::string::npos) << r.out;
  r = Rivulet({"groups", "--describe", "--group", "g", "--members", "--data-dir", d});
  EXPECT_NE(r.out.find("Consumer group 'g' has no active members."), std::string::npos) << r.out;
  r = Rivulet({"groups", "--delete", "--group", "g", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Deleted group g.\n");
  EXPECT_EQ(Rivulet({"groups", "--list", "--data-dir", d}).out, "");
  r = Rivulet({"groups", "--delete", "--group", "g", "--data-dir", d});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unknown group 'g'"), std::string::npos) << r.err;
  // A new group of that name starts from nothing.
  r = Rivulet({"consume", "--topic", "t", "--group", "g", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(r.out, "");
}

// kafka-topics --alter: more partitions (keys spread over them from then
// on), settings added and returned to their defaults; --describe shows
// the overrides only.
TEST(CliTest, TopicsAlterGrowsAndChangesSettings) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--config", "retention.ms=60000", "--data-dir", d}).exit_code,
            0);
  auto r = Rivulet({"topics", "--alter", "--topic", "t", "--partitions", "4", "--add-config",
                    "segment.bytes=100000,flush.ms=10", "--delete-config", "retention.ms", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Topic t grew from 1 to 4 partitions.\nAltered the settings of topic t.\n");
  r = Rivulet({"topics", "--describe", "--topic", "t", "--data-dir", d});
  EXPECT_NE(r.out.find("Topic: t\tPartitionCount: 4\tConfigs: flush.ms=10,segment.bytes=100000\n"), std::string::npos)
      << r.out;
  std::string input;
  for (int i = 0; i < 200; ++i) input += "key" + std::to_string(i) + ":v\n";
  ASSERT_EQ(Rivulet({"produce", "--topic", "t", "--key-separator", ":", "--data-dir", d}, input).exit_code, 0);
  for (int p = 0; p < 4; ++p) {
    r = Rivulet({"consume", "--topic", "t", "--partition", std::to_string(p), "--offset", "earliest",
                 "--timeout-ms", "300", "--data-dir", d});
    EXPECT_GT(Lines(r.out), 20u) << "partition " << p << " got " << Lines(r.out) << " of 200";
  }
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--partitions", "4"}, "topic 't' has 4 partitions: the count can only grow"},
           {{"--add-config", "retention.ms=soon"}, "invalid value 'soon' for retention.ms"},
           {{"--add-config", "colour=blue"}, "unknown topic config 'colour'"},
           {{"--delete-config", "retention.ms"}, "does not override it"},
           {{}, "--alter needs --partitions, --add-config or --delete-config"},
       }) {
    std::vector<std::string> full = {"topics", "--alter", "--topic", "t", "--data-dir", d};
    full.insert(full.end(), args.begin(), args.end());
    r = Rivulet(full);
    EXPECT_NE(r.exit_code, 0) << message;
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  ASSERT_EQ(Rivulet({"topics", "--alter", "--topic", "t", "--delete-config", "flush.ms,segment.bytes", "--data-dir", d})
                .exit_code,
            0);
  r = Rivulet({"topics", "--describe", "--topic", "t", "--data-dir", d});
  EXPECT_NE(r.out.find("Topic: t\tPartitionCount: 4\n"), std::string::npos) << r.out;
  // A list value in brackets, as kafka-configs takes it.
  r = Rivulet({"topics", "--alter", "--topic", "t", "--add-config", "cleanup.policy=[compact,delete],flush.ms=5",
               "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Rivulet({"topics", "--describe", "--topic", "t", "--data-dir", d});
  EXPECT_NE(r.out.find("Configs: cleanup.policy=compact,delete,flush.ms=5\n"), std::string::npos) << r.out;
}

TEST(CliTest, ErrorsAreOneLineAndNonZero) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  // A checkpoint of another job graph, for --from-checkpoint.
  std::string foreign;
  {
    auto store = engine::CheckpointStore::Open(d, "other");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    engine::CheckpointInfo info;
    info.id = 1;
    info.graph_fingerprint = 0xfeed;
    ASSERT_TRUE((*store)->Write(info, {{0, 0, {{0, 0, {}}}}}).ok());
    auto list = (*store)->List();
    ASSERT_TRUE(list.ok() && list->size() == 1u);
    foreign = list->front().path;
  }
  const std::vector<std::vector<std::string>> cases = {
      {"consume", "--topic", "missing", "--data-dir", d},
      {"topics", "--create", "--topic", "t", "--data-dir", d},
      {"topics", "--create", "--topic", "x", "--partitions", "0", "--data-dir", d},
      {"topics", "--create", "--topic", "x", "--config", "retention.ms=soon", "--data-dir", d},
      {"topics", "--create", "--topic", "x", "--config", "novalue", "--data-dir", d},
      {"topics", "--list", "--delete", "--data-dir", d},
      {"topics", "--no-such-flag"},
      {"topics", "--list"},  // no data directory, and no default (no HOME nor XDG_DATA_HOME)
      {"groups", "--describe", "--group", "nobody", "--data-dir", d},
      {"run", "no-such-job", "--data-dir", d},
      {"run", "tutorial", "--set", "count=many", "--data-dir", d},
      {"bench", "no-such-bench"},
      {"bench", "ysb", "--set", "source=carrier-pigeon", "--records", "10"},
      {"bench", "ysb", "--set", "nokeyvalue", "--records", "10"},
      {"run", "ysb", "--set", "source=log"},
      {"run", "tutorial"},     // every job on the embedded log needs a data directory (no default here)
      {"run", "clickstream"},
      {"run", "fraud"},
      {"run", "numtest"},
      {"run", "wordcount", "--set", "no_such_param=1"},
      {"run", "wordcount", "--set", "window_ms=soon"},
      {"run", "wordcount", "--set", "source=carrier-pigeon"},
      {"run", "wordcount", "--parallelism", "-2"},
      {"run", "wordcount", "--parallelism", "0"},
      {"run", "relay", "--bootstrap-server", "127.0.0.1:1", "-X", "security.protocol=SASL_SSL"},
      {},  // no command
      {"run", "wordcount", "--metrics-port", "70000"},
      {"run", "wordcount", "--restarts", "-1", "--data-dir", d},
      {"run", "wordcount", "--fresh", "--from-checkpoint", foreign, "--data-dir", d},
      {"run", "wordcount", "--from-checkpoint", foreign, "--data-dir", d},  // another graph's
      {"run", "wordcount", "--from-checkpoint", dir / "no-such-checkpoint", "--data-dir", d},
      {"consume", "--topic", "t", "--partition", "5", "--data-dir", d},
      {"checkpoints", "--data-dir", d},  // no --job
      {"checkpoints", "--job", "j"},     // no data directory, and no default
      {"checkpoints", "--job", "j", "--data-dir", dir / "missing"},
      {"nonsense"},
  };
  for (const auto& c : cases) {
    auto r = Rivulet(c);
    std::string cmd;
    for (const auto& a : c) cmd += a + " ";
    EXPECT_NE(r.exit_code, 0) << cmd;
    EXPECT_EQ(Lines(r.err), 1u) << cmd << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("rivulet: ", 0), 0u) << cmd << "\n" << r.err;
  }
}

TEST(CliTest, VersionAndSuggestionsForTypos) {
  auto v = Rivulet({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out, std::string("rivulet ") + RIVULET_VERSION + "\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> typos = {
      {{"run", "wordcount", "--paralelism", "2"}, "(did you mean --parallelism?)"},
      {{"topics", "--lsit"}, "(did you mean --list?)"},
      {{"topcs", "--list"}, "(did you mean topics?)"},
      {{"consume", "--topic", "t", "--grop", "g"}, "(did you mean --group?)"},
      {{"acls", "--list", "--allow-principle", "User:a"}, "(did you mean --allow-principal?)"},
  };
  for (const auto& [args, hint] : typos) {
    auto r = Rivulet(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_NE(r.err.find(hint), std::string::npos) << r.err;
    EXPECT_EQ(Lines(r.err), 1u) << r.err;
  }
  // Nothing near: no suggestion.
  auto short_word = Rivulet({"rm"});  // one letter from nothing: "run" is two edits away
  EXPECT_EQ(short_word.err.find("did you mean"), std::string::npos) << short_word.err;
  auto far = Rivulet({"topics", "--completely-different"});
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
  auto none = Rivulet({});
  EXPECT_NE(none.err.find("a command is required: broker, topics"), std::string::npos) << none.err;
}

// The default data directory (tools/command.h, DefaultDataDir): the tests
// give HOME and XDG_DATA_HOME of a temporary directory, never the real ones.
std::string DefaultLine(const std::string& dir) {
  return "rivulet: data directory " + dir + " (the default; --data-dir or RIVULET_DATA_DIR to change)\n";
}

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n') + 1); }

TEST(CliTest, DefaultDataDirIsUnderXdgDataHome) {
  TempDir dir;
  const std::string def = dir / "xdg/rivulet";
  const std::vector<std::string> env = {"XDG_DATA_HOME=" + dir / "xdg", "HOME=" + dir / "home"};
  auto r = Rivulet({"topics", "--create", "--topic", "t", "--partitions", "2"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(FirstLine(r.err), DefaultLine(def)) << r.err;
  EXPECT_TRUE(std::filesystem::is_directory(def + "/topics"));
  EXPECT_FALSE(std::filesystem::exists(dir / "home")) << "HOME is not used when XDG_DATA_HOME is";
  ASSERT_EQ(Rivulet({"produce", "--topic", "t"}, "a\nb\n", env).exit_code, 0);
  r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), 4u) << r.out;  // stdout holds the records only
  EXPECT_EQ(r.err, DefaultLine(def));
  // The same log for every client command of the embedded log.
  r = Rivulet({"topics", "--list"}, "", env);
  EXPECT_EQ(r.out, "t\n");
  EXPECT_EQ(r.err, DefaultLine(def));
  r = Rivulet({"groups", "--list"}, "", env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, DefaultLine(def));
  r = Rivulet({"transactions", "--list"}, "", env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, DefaultLine(def));
  // --help names it.
  r = Rivulet({"topics", "--help"}, "", env);
  EXPECT_NE(r.out.find(def), std::string::npos) << r.out;
}

TEST(CliTest, DefaultDataDirIsUnderHomeWithoutXdgDataHome) {
  TempDir dir;
  const std::string def = dir / "home/.local/share/rivulet";
  const std::vector<std::string> env = {"HOME=" + dir / "home"};
  auto r = Rivulet({"topics", "--create", "--topic", "t"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, DefaultLine(def));
  EXPECT_TRUE(std::filesystem::is_directory(def + "/topics")) << "created with its parents";
  // A relative XDG_DATA_HOME is ignored (XDG base directory spec): HOME's.
  const std::vector<std::string> relative = {"HOME=" + dir / "home", "XDG_DATA_HOME=relative-xdg"};
  r = Rivulet({"topics", "--list"}, "", relative);
  EXPECT_EQ(r.out, "t\n");
  EXPECT_EQ(r.err, DefaultLine(def));
  EXPECT_FALSE(std::filesystem::exists("relative-xdg"));
  r = Rivulet({"checkpoints", "--job", "wordcount"}, "", env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no checkpoints of job wordcount in " + def + "/checkpoints/wordcount\n");
  EXPECT_EQ(r.err, DefaultLine(def));
  // Neither HOME nor XDG_DATA_HOME: no default, the error of before.
  r = Rivulet({"topics", "--list"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--data-dir or --bootstrap-server is required"), std::string::npos) << r.err;
}

TEST(CliTest, DataDirFlagAndEnvironmentWinOverTheDefaultSilently) {
  TempDir dir;
  const std::vector<std::string> home = {"HOME=" + dir / "home", "XDG_DATA_HOME=" + dir / "xdg"};
  auto r = Rivulet({"topics", "--create", "--topic", "t", "--data-dir", dir / "flag"}, "", home);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "flag/topics"));
  std::vector<std::string> env = home;
  env.push_back("RIVULET_DATA_DIR=" + dir / "env");
  r = Rivulet({"topics", "--create", "--topic", "u"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "env/topics"));
  r = Rivulet({"topics", "--list", "--data-dir", dir / "flag"}, "", env);  // the flag wins over the variable
  EXPECT_EQ(r.out, "t\n");
  EXPECT_EQ(r.err, "");
  r = Rivulet({"run", "wordcount", "--set", "lines=100", "--no-progress", "--data-dir", dir / "flag"}, "", home);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(std::filesystem::is_directory(dir / "flag/checkpoints/wordcount"));
  EXPECT_FALSE(std::filesystem::exists(dir / "home"));
  EXPECT_FALSE(std::filesystem::exists(dir / "xdg"));
}

// With --bootstrap-server the command talks to a broker: no default data
// directory, and `rivulet run` takes no checkpoints (its Kafka sources join
// their group), as before there was a default.
TEST(CliTest, BootstrapServerAloneUsesNoDefaultDataDir) {
  TempDir dir;
  const std::vector<std::string> env = {"HOME=" + dir / "home", "XDG_DATA_HOME=" + dir / "xdg"};
  auto r = Rivulet({"topics", "--list", "--bootstrap-server", "127.0.0.1:1"}, "", env);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find("data directory"), std::string::npos) << r.err;
  r = Rivulet({"run", "wordcount", "--set", "lines=100", "--no-progress", "--bootstrap-server", "127.0.0.1:1"}, "",
              env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  r = Rivulet({"run", "tutorial", "--bootstrap-server", "127.0.0.1:1"}, "", env);  // it needs the embedded log
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("with --bootstrap-server there is no default data directory"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "home"));
  EXPECT_FALSE(std::filesystem::exists(dir / "xdg"));
}

// `rivulet run` with no flag: the job checkpoints into the default data
// directory, and prints on stdout what it prints with --data-dir.
TEST(CliTest, RunUsesTheDefaultDataDirForCheckpoints) {
  TempDir dir;
  const std::string def = dir / "home/.local/share/rivulet";
  const std::vector<std::string> env = {"HOME=" + dir / "home"};
  const std::vector<std::string> args = {"run", "wordcount", "--set", "lines=200", "--parallelism", "2",
                                         "--no-progress"};
  auto r = Rivulet(args, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(FirstLine(r.err), DefaultLine(def)) << r.err;
  EXPECT_TRUE(std::filesystem::is_directory(def + "/checkpoints/wordcount"));
  auto without = Rivulet(args);  // no data directory at all
  ASSERT_EQ(without.exit_code, 0) << without.err;
  auto sorted = [](const std::string& s) {
    std::vector<std::string> lines;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  EXPECT_EQ(sorted(r.out), sorted(without.out));
  r = Rivulet({"checkpoints", "--job", "wordcount", "--json"}, "", env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, DefaultLine(def));
  const auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_array() && !j.empty()) << r.out;
  EXPECT_EQ(j[0]["final"], true) << r.out;
  EXPECT_EQ(j[0]["path"].get<std::string>().rfind(def + "/checkpoints/wordcount/", 0), 0u) << r.out;
}

// The broker takes the same default (docs/guide/broker.md says why).
TEST(CliTest, BrokerUsesTheDefaultDataDir) {
  TempDir dir;
  const std::string def = dir / "xdg/rivulet";
  std::vector<std::string> env = testing::NoDefaultDataDir();
  env.push_back("XDG_DATA_HOME=" + dir / "xdg");
  auto r = RunProcess({"/usr/bin/timeout", "--preserve-status", "-s", "INT", "1", RIVULET_BINARY, "broker",
                       "--listen", "127.0.0.1:0"},
                      "", env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(FirstLine(r.err), DefaultLine(def)) << r.err;
  EXPECT_NE(r.out.find("(data dir " + def + ")"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::is_directory(def + "/topics"));
}

TEST(CliTest, ConsumeIsolationLevelsAndTransactionsListAndDescribe) {
  TempDir dir;
  const std::string d = dir / "data";
  {
    auto lm = std::move(log::LogManager::Open(d)).value();
    ASSERT_TRUE(lm->CreateTopic("t", 1).ok());
    log::ProducerConfig pc;
    pc.transactional_id = "cli-txn";
    log::Producer p(lm.get(), pc);
    ASSERT_TRUE(p.InitTransactions().ok());
    for (const char* v : {"kept", "dropped"}) {
      ASSERT_TRUE(p.BeginTransaction().ok());
      ASSERT_TRUE(p.Send("t", std::nullopt, std::string_view(v)).ok());
      ASSERT_TRUE(std::string_view(v) == "kept" ? p.CommitTransaction().ok() : p.AbortTransaction().ok());
    }
  }
  auto consume = [&](const std::string& isolation) {
    return Rivulet({"consume", "--data-dir", d, "--topic", "t", "--from-beginning", "--timeout-ms", "300",
                    "--isolation-level", isolation});
  };
  auto committed = consume("read_committed");
  EXPECT_EQ(committed.exit_code, 0) << committed.err;
  EXPECT_EQ(committed.out, "kept\n");
  EXPECT_EQ(consume("read_uncommitted").out, "kept\ndropped\n");
  EXPECT_NE(consume("sometimes").exit_code, 0);

  auto list = Rivulet({"transactions", "--data-dir", d, "--list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("cli-txn"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("CompleteAbort"), std::string::npos) << list.out;
  auto describe = Rivulet({"transactions", "--data-dir", d, "--describe", "--transactional-id", "cli-txn"});
  EXPECT_EQ(describe.exit_code, 0) << describe.err;
  EXPECT_NE(describe.out.find("TransactionState: CompleteAbort"), std::string::npos) << describe.out;
  auto missing = Rivulet({"transactions", "--data-dir", d, "--describe", "--transactional-id", "nope"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("unknown transactional id 'nope'"), std::string::npos) << missing.err;
  EXPECT_NE(Rivulet({"transactions", "--data-dir", d, "--describe"}).exit_code, 0);
}

TEST(CliTest, ProduceStopsAtALineWithoutSeparatorKeepingEarlierLines) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  auto r = Rivulet({"produce", "--topic", "t", "--key-separator", ":", "--data-dir", d},
                   "a:1\nb:2\nno separator\nc:3\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 3 has no key separator"), std::string::npos) << r.err;
  r = Rivulet({"consume", "--topic", "t", "--from-beginning", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(r.out, "1\n2\n");
}

TEST(CliTest, SecondProcessOnADataDirGetsTheOwnersPid) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "t", "--data-dir", d}).exit_code, 0);
  // A consumer holds the directory while we try a second command.
  std::thread holder([&] {
    Rivulet({"consume", "--topic", "t", "--timeout-ms", "1500", "--data-dir", d});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto r = Rivulet({"topics", "--list", "--data-dir", d});
  holder.join();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is in use by process "), std::string::npos) << r.err;
  EXPECT_EQ(Lines(r.err), 1u) << r.err;
}

TEST(CliTest, JobsListsTheTutorial) {
  auto r = Rivulet({"jobs"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("tutorial"), std::string::npos);
  r = Rivulet({"run", "tutorial", "--explain"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("numtest"), std::string::npos);
}

// The `rivulet bench --json` contract, on tiny runs (the figures themselves
// are measured by scripts/bench.sh, never asserted in tests): the last line
// is one JSON object with the required fields, ratio = records_per_s /
// baseline_records_per_s, and the broker benchmarks report latencies.
TEST(CliTest, BenchJsonLastLineHasTheFigures) {
  TempDir dir;
  for (const std::string name : {"log-append", "log-read", "broker-produce", "broker-consume", "ysb", "sliding"}) {
    // ysb also checks every run's windows against its baseline loop.
    auto r = Rivulet({"bench", name, "--json", "--records", "20000", "--repeats", "1", "--dir", dir.path()});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    ASSERT_FALSE(r.out.empty()) << name;
    std::string last = r.out.substr(0, r.out.size() - 1);
    last = last.substr(last.rfind('\n') + 1);
    const auto j = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(j.is_object()) << name << ": " << last;
    EXPECT_EQ(j.value("bench", ""), name);
    EXPECT_EQ(j.value("records", 0), 20000);
    const double rate = j.value("records_per_s", 0.0);
    const double base = j.value("baseline_records_per_s", 0.0);
    EXPECT_GT(rate, 0) << last;
    EXPECT_GT(base, 0) << last;
    if (name != "ysb") {
      EXPECT_NEAR(j.value("ratio", 0.0), rate / base, 1e-3 * rate / base + 1e-4) << last;
    }
    if (name == "ysb") {
      EXPECT_GT(j.value("records_per_s_p1", 0.0), 0) << last;
      EXPECT_GT(j.value("records_per_s_p2", 0.0), 0) << last;
      EXPECT_NEAR(j.value("ratio", 0.0), j.value("records_per_s_p1", 0.0) / base, 1e-3) << last;
    }
    if (name == "sliding") {
      EXPECT_GT(j.value("ns_per_record_100", 0.0), 0) << last;
    }
    if (name.starts_with("broker")) {
      EXPECT_GT(j.value("p50_us", 0.0), 0) << last;
      EXPECT_GE(j.value("p99_us", 0.0), j.value("p50_us", 0.0)) << last;
    }
  }
}

// ysb from the log: the events written to a topic once, then read; the
// windows are those of the generator and of the in-memory source; the
// bench reports the log figure beside the in-memory one.
TEST(CliTest, YsbFromTheLogCountsWhatTheOtherSourcesCount) {
  TempDir dir;
  const std::string d = dir / "data";
  auto sorted = [](const std::string& out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) {
      if (l.starts_with("window ")) lines.push_back(l);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  const std::vector<std::string> common = {"--set", "events=200000", "--no-progress", "--parallelism", "2"};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.end(), common.begin(), common.end());
    return Rivulet(args);
  };
  auto gen = run({"run", "ysb"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto mem = run({"run", "ysb", "--set", "source=memory"});
  ASSERT_EQ(mem.exit_code, 0) << mem.err;
  auto log1 = run({"run", "ysb", "--set", "source=log", "--data-dir", d});
  ASSERT_EQ(log1.exit_code, 0) << log1.err;
  EXPECT_EQ(log1.out.rfind("wrote 200000 events to topic ysb-events\n", 0), 0u) << log1.out.substr(0, 200);
  auto log2 = run({"run", "ysb", "--set", "source=log", "--data-dir", d});  // the topic is there: read only
  ASSERT_EQ(log2.exit_code, 0) << log2.err;
  EXPECT_EQ(log2.out.find("wrote"), std::string::npos);
  const auto want = sorted(gen.out);
  EXPECT_GT(want.size(), 100u);
  EXPECT_EQ(sorted(mem.out), want);
  EXPECT_EQ(sorted(log1.out), want);
  EXPECT_EQ(sorted(log2.out), want);

  auto r = Rivulet({"bench", "ysb", "--set", "source=log", "--json", "--records", "20000", "--repeats", "1", "--dir",
                    dir.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string last = r.out.substr(0, r.out.size() - 1);
  last = last.substr(last.rfind('\n') + 1);
  const auto j = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << last;
  EXPECT_EQ(j.value("bench", ""), "ysb-log");
  const double rate = j.value("records_per_s", 0.0), base = j.value("baseline_records_per_s", 0.0);
  EXPECT_GT(rate, 0) << last;
  EXPECT_GT(base, 0) << last;
  EXPECT_NEAR(j.value("ratio", 0.0), rate / base, 1e-3 * rate / base + 1e-4) << last;
  EXPECT_GT(j.value("log_records_per_s_p1", 0.0), 0) << last;
  EXPECT_GT(j.value("memory_records_per_s_p2", 0.0), 0) << last;
}

TEST(CliTest, JobsListsJobsWithTheirParameters) {
  auto r = Rivulet({"jobs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wordcount"), std::string::npos);
  EXPECT_NE(r.out.find("--set window_ms=10000  (int)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tutorial"), std::string::npos);
}

// The example of docs/guide/writing-a-job.md (jobs/pageviews.cc) does what
// the page says.
TEST(CliTest, WritingAJobExampleRuns) {
  auto r = Rivulet({"run", "pageviews", "--set", "views=30000", "--parallelism", "2", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"0 home 3334\n", "0 cart 3333\n", "0 checkout 3333\n", "20000 checkout 3334\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << r.out;
  }
  EXPECT_EQ(Lines(r.out), 9u);
}

// Ctrl-C stops an unbounded job gracefully: the open windows fire, the
// sink flushes, exit status 0.
TEST(CliTest, SigintStopsAnUnboundedJobGracefully) {
  auto r = RunProcess({"/usr/bin/timeout", "--preserve-status", "-s", "INT", "1", RIVULET_BINARY, "run", "wordcount", "--set",
                       "source=generator", "--set", "lines=-1", "--set", "rate=20000", "--set", "window_ms=1000000000",
                       "--no-progress"},
                      "", testing::NoDefaultDataDir());  // no checkpoints: the input ends at the stop
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // One window (it never closes on its own): every word's count printed at the stop.
  EXPECT_EQ(Lines(r.out), 8u) << r.out;
  EXPECT_NE(r.out.find("[0,1000000000) alpha "), std::string::npos) << r.out;
}

// The main job end to end on the embedded log and SQLite: every generated
// view is counted once in the table, and each window prints its top pages;
// a second run resumes where the group left off and adds its own windows.
TEST(CliTest, ClickstreamCountsEveryViewIntoSqlite) {
  TempDir dir;
  auto r = Rivulet({"run", "clickstream", "--data-dir", dir / "data", "--set", "views=50000", "--set",
                    "view_interval_us=1000", "--parallelism", "2", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("produced 50000 page views to topic pageviews\n"), std::string::npos) << r.out;
  // 50 s of event time from the start of a window: five 10 s windows.
  size_t windows = 0;
  for (size_t at = 0; (at = r.out.find(" UTC: top pages: ", at)) != std::string::npos; ++at) ++windows;
  EXPECT_EQ(windows, 5u) << r.out;
  EXPECT_NE(r.out.find("table page_views has 200 rows, 50000 views\n"), std::string::npos) << r.out;
  r = Rivulet({"run", "clickstream", "--data-dir", dir / "data", "--set", "views=50000", "--set",
               "view_interval_us=1000", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" views\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", 100000 views\n"), std::string::npos) << r.out;
}

// numtest on the runtime: numbers from the topic into SQLite, resuming
// from the group's committed offsets; a bad record fails the job or is
// skipped, as asked.
TEST(CliTest, NumtestResumesWhereTheGroupLeftOff) {
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "numtest", "--partitions", "3", "--data-dir", d}).exit_code, 0);
  auto numbers = [](int from, int to) {
    std::string s;
    for (int n = from; n < to; ++n) s += "{\"number\": " + std::to_string(n) + "}\n";
    return s;
  };
  // Nothing to read yet: the table exists all the same, empty.
  auto r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "table numbers: 0 rows, 0 distinct numbers, 0 duplicates\n");
  ASSERT_EQ(Rivulet({"produce", "--topic", "numtest", "--data-dir", d}, numbers(0, 1000)).exit_code, 0);
  r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "table numbers: 1000 rows, 1000 distinct numbers, 0 duplicates\n");
  ASSERT_EQ(Rivulet({"produce", "--topic", "numtest", "--data-dir", d}, numbers(1000, 1500)).exit_code, 0);
  r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "table numbers: 1500 rows, 1500 distinct numbers, 0 duplicates\n");
  ASSERT_EQ(Rivulet({"produce", "--topic", "numtest", "--data-dir", d}, "not json\n").exit_code, 0);
  r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress", "--restarts", "2"});
  EXPECT_EQ(r.exit_code, 1);
  // The record, and why it is bad (issue 16: the reason was missing).
  EXPECT_NE(r.err.find("could not be decoded: not valid JSON"), std::string::npos) << r.err;
  // Restarted from its last checkpoint twice, failing the same way.
  EXPECT_NE(r.err.find("(restart 2 of 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(after 2 restarts)"), std::string::npos) << r.err;
  r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress", "--set", "bad_records=dead-letter"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "table numbers: 1500 rows, 1500 distinct numbers, 0 duplicates\n");
  r = Rivulet({"consume", "--topic", "numtest-dead-letters", "--from-beginning", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(r.out, "not json\n") << r.err;
}

// numtest into PostgreSQL (a private server): the same rows as into
// SQLite, and a second run resumes from the group's offsets.
TEST(CliTest, NumtestWritesPostgresql) {
  testing::PostgresServer pg;
  ASSERT_FALSE(pg.uri().empty()) << pg.error();
  TempDir dir;
  const std::string d = dir / "data";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "numtest", "--partitions", "3", "--data-dir", d}).exit_code, 0);
  auto r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress", "--set", "db=" + pg.uri()});
  ASSERT_EQ(r.exit_code, 0) << r.err;  // nothing to read: an empty table
  EXPECT_EQ(r.out, "table numbers: 0 rows, 0 distinct numbers, 0 duplicates\n");
  std::string numbers;
  for (int n = 0; n < 3000; ++n) numbers += "{\"number\": " + std::to_string(n) + "}\n";
  ASSERT_EQ(Rivulet({"produce", "--topic", "numtest", "--data-dir", d}, numbers).exit_code, 0);
  r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress", "--parallelism", "2", "--set", "db=" + pg.uri()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "table numbers: 3000 rows, 3000 distinct numbers, 0 duplicates\n");
  r = Rivulet({"run", "numtest", "--data-dir", d, "--no-progress", "--set", "db=" + pg.uri()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "table numbers: 3000 rows, 3000 distinct numbers, 0 duplicates\n");
  auto db = connectors::PostgresSink::Open({pg.uri(), "", "numbers", {"number"}, {}});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->QueryInt("SELECT SUM(number) FROM numbers"), 2999 * 3000 / 2);
  EXPECT_EQ(*(*db)->QueryInt("SELECT COUNT(DISTINCT (part, off)) FROM numbers"), 3000);
}

// fraud: only the three cards on a spree are flagged, once per sliding
// window (every 10 s) whose minute covers enough of the spree; each alert
// also lands in the alerts topic.
TEST(CliTest, FraudFlagsTheSpreeCardsOnly) {
  TempDir dir;
  const std::string d = dir / "data";
  auto r = Rivulet({"run", "fraud", "--data-dir", d, "--parallelism", "2", "--no-progress"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  size_t alerts = 0;
  for (std::string line; std::getline(in, line);) {
    ++alerts;
    EXPECT_TRUE(line.starts_with("alert: card 7 ") || line.starts_with("alert: card 42 ") ||
                line.starts_with("alert: card 613 "))
        << line;
  }
  EXPECT_EQ(alerts, 33u) << r.out;
  r = Rivulet({"consume", "--topic", "alerts", "--from-beginning", "--timeout-ms", "300", "--data-dir", d});
  EXPECT_EQ(Lines(r.out), 33u) << r.err;
  EXPECT_NE(r.out.find("\"owner\":\"Alan #42\""), std::string::npos) << r.out;
}

// logins: keyed state and timers in a user function; the two users on a
// password-guessing run are flagged once each, at their third failure
// (normal users never fail twice in a row), at every parallelism.
TEST(CliTest, LoginsFlagsTheGuessingUsersOnce) {
  for (const char* parallelism : {"1", "3"}) {
    auto r = Rivulet({"run", "logins", "--parallelism", parallelism, "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    EXPECT_EQ(lines, (std::vector<std::string>{"alert: user 42 failed 3 logins in a row, the third at 61210 ms",
                                               "alert: user 7 failed 3 logins in a row, the third at 61035 ms"}))
        << r.out;
  }
}

TEST(CliTest, RunPrintsAProgressSummaryOnStderr) {
  auto r = Rivulet({"run", "wordcount", "--set", "lines=100", "--parallelism", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Not a terminal: no redrawing, a plain summary line at the end.
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rivulet: done in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" in 100 ("), std::string::npos) << r.err;
}

TEST(CliTest, CtrlCSaysStoppedNotDone) {
  // A job far from its end, stopped by SIGINT after 3 s: exit 0, and a
  // summary that says it was stopped.
  auto r = RunProcess({"/usr/bin/timeout", "--preserve-status", "-s", "INT", "3", RIVULET_BINARY, "run", "ysb",
                       "--set", "events=100000000000", "--parallelism", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("rivulet: stopped after "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("rivulet: done in "), std::string::npos) << r.err;
}

TEST(CliTest, RunExplainPrintsThePhysicalPlan) {
  auto r = Rivulet({"run", "wordcount", "--explain", "--parallelism", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "physical plan: 2 tasks, 1 exchanges\n"
            "task 0 x3: lines [source] -> split [flat_map] -> count [local pre-aggregation]\n"
            "task 1 x3: count [tumbling window, global] -> print [sink]\n"
            "exchange task 0 -> task 1: hash of partials (split -> count, 9 channels)\n");
}

// The same counts whatever the parallelism; each word of the built-in text
// counted once per line it appears in.
TEST(CliTest, WordcountGivesTheSameCountsAtEveryParallelism) {
  std::string first;
  for (const char* p : {"1", "2", "4"}) {
    auto r = Rivulet({"run", "wordcount", "--set", "lines=400", "--set", "window_ms=10000", "--parallelism", p,
                      "--no-progress"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    std::sort(lines.begin(), lines.end());
    std::string joined;
    for (const auto& l : lines) joined += l + "\n";
    if (first.empty()) {
      first = joined;
      // 400 lines 100 ms apart: 4 windows of 100 lines, 25 of each text line.
      EXPECT_NE(joined.find("[0,10000) the 100\n"), std::string::npos) << joined;  // 2 + 1 + 1 per 4 lines
      EXPECT_NE(joined.find("[30000,40000) fox 25\n"), std::string::npos) << joined;
      EXPECT_EQ(std::count(joined.begin(), joined.end(), '\n'), 4 * 28) << joined;  // 28 distinct words
    }
    EXPECT_EQ(joined, first) << "parallelism " << p;
  }
}

TEST(CliTest, CheckpointsListsAJobsCheckpointsNewestFirst) {
  TempDir dir;
  const std::string d = dir / "data";
  auto r = Rivulet({"checkpoints", "--job", "wc", "--data-dir", dir.path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no checkpoints of job wc in " + dir.path() + "/checkpoints/wc\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints")) << "listing created the store";

  auto store = engine::CheckpointStore::Open(d, "wc");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int64_t id : {1, 2}) {
    engine::CheckpointInfo info;
    info.id = id;
    info.graph_fingerprint = 0xfeed;
    info.time_ms = 1'764'638'276'000 + id * 1500;  // 2025-12-02T01:17:56Z
    info.duration_ms = 40 * id;
    info.alignment_ms = id;
    info.final = id == 2;
    info.parallelism = {{0, 2}, {1, 1}};
    const std::vector<engine::TaskSnapshot> tasks = {
        {0, 0, {{0, 0, {{engine::kNoGroup, std::string(3000 * id, 'x')}}}}},
        {0, 1, {{0, 1, {{7, "split"}}}}},
        {1, 0, {{1, 0, {}}}}};
    ASSERT_TRUE((*store)->Write(info, tasks).ok());
  }
  r = Rivulet({"checkpoints", "--job", "wc", "--data-dir", d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, newest, oldest;
  std::getline(lines, header);
  std::getline(lines, newest);
  std::getline(lines, oldest);
  EXPECT_EQ(Lines(r.out), 3u) << r.out;
  EXPECT_EQ(header.rfind("ID ", 0), 0u) << header;
  for (const char* column : {"TIME", "DURATION-MS", "SIZE", "ALIGNMENT-MS", "FINAL"}) {
    EXPECT_NE(header.find(column), std::string::npos) << column;
  }
  EXPECT_EQ(newest.rfind("2 ", 0), 0u) << r.out;
  EXPECT_NE(newest.find("2025-12-02T01:17:59.000Z"), std::string::npos) << newest;
  EXPECT_NE(newest.find(" 80 "), std::string::npos) << newest;
  EXPECT_NE(newest.find("KiB"), std::string::npos) << newest;
  EXPECT_NE(newest.find("yes"), std::string::npos) << newest;
  EXPECT_EQ(oldest.rfind("1 ", 0), 0u) << r.out;
  EXPECT_NE(oldest.find("2025-12-02T01:17:57.500Z"), std::string::npos) << oldest;
  EXPECT_NE(oldest.find("no"), std::string::npos) << oldest;

  r = RunProcess({RIVULET_BINARY, "checkpoints", "--job", "wc", "--json"}, "", {"RIVULET_DATA_DIR=" + d});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_array() && j.size() == 2) << r.out;
  EXPECT_EQ(j[0]["id"], 2);
  EXPECT_EQ(j[0]["time_ms"], 1'764'638'279'000);
  EXPECT_EQ(j[0]["duration_ms"], 80);
  EXPECT_EQ(j[0]["alignment_ms"], 2);
  EXPECT_EQ(j[0]["final"], true);
  EXPECT_EQ(j[0]["graph_fingerprint"], "000000000000feed");
  EXPECT_EQ(j[0]["parallelism"]["0"], 2);
  EXPECT_EQ(j[1]["id"], 1);
  EXPECT_GT(j[0]["bytes"].get<int64_t>(), j[1]["bytes"].get<int64_t>());
  EXPECT_EQ(j[1]["path"], d + "/checkpoints/wc/chk-00000000000000000001");
}

}  // namespace
}  // namespace rivulet::tools

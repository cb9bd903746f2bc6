// `rivulet jobs` and `rivulet run` (tools/jobs_cmd.cc) end to end: what
// the listing says each job needs, checked by running the job without it.
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tests/tools/rivulet_process.h"

namespace rivulet::tools {
namespace {

using testing::Rivulet;
using testing::TempDir;

struct ListedJob {
  std::string needs;                // the line saying what it needs ("" when none)
  std::vector<std::string> params;  // the names of its --set parameters
};

// `rivulet jobs`, parsed: job name -> what it lists.
std::map<std::string, ListedJob> ListJobs() {
  auto r = Rivulet({"jobs"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, ListedJob> jobs;
  std::istringstream in(r.out);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] != ' ') {
      current = line.substr(0, line.find(' '));
      jobs[current];
    } else if (line.rfind("    --set ", 0) == 0) {
      jobs[current].params.push_back(line.substr(10, line.find('=') - 10));
    } else if (line.rfind("    (from ", 0) != 0) {
      jobs[current].needs = line.substr(4);
    }
  }
  return jobs;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// Every built-in job says what it needs, and says it truthfully: a
// self-contained one runs without a data directory or a broker; one that
// needs a data directory (or a broker) fails without it, saying so.
TEST(JobsCmdTest, EveryBuiltInJobSaysWhatItNeedsTruthfully) {
  const auto jobs = ListJobs();
  ASSERT_GE(jobs.size(), 10u);
  // Small runs: the parameter that sizes each job's input, where it has one.
  const std::map<std::string, std::string> small = {{"events", "2000"}, {"lines", "100"},       {"logins", "3000"},
                                                    {"views", "1000"},  {"transactions", "100"}, {"count", "10"}};
  const std::string no_log = "uses the embedded log: give --data-dir or set RIVULET_DATA_DIR";
  for (const auto& [name, job] : jobs) {
    SCOPED_TRACE(name + ": " + job.needs);
    std::vector<std::string> args = {"run", name, "--no-progress"};
    for (const auto& p : job.params) {
      if (auto it = small.find(p); it != small.end()) args.insert(args.end(), {"--set", p + "=" + it->second});
    }
    auto r = Rivulet(args);  // no data directory (no HOME either: no default), no broker
    if (StartsWith(job.needs, "self-contained")) {
      EXPECT_EQ(r.exit_code, 0) << r.err;
    } else if (StartsWith(job.needs, "needs --data-dir")) {
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_NE(r.err.find(no_log), std::string::npos) << r.err;
    } else if (StartsWith(job.needs, "needs --bootstrap-server")) {
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_NE(r.err.find("--bootstrap-server is required"), std::string::npos) << r.err;
    } else {
      ADD_FAILURE() << "a built-in job that does not say what it needs";
    }
    if (job.needs.find("with --set source=log: needs --data-dir") != std::string::npos) {
      args.insert(args.end(), {"--set", "source=log"});
      r = Rivulet(args);
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_NE(r.err.find(no_log), std::string::npos) << r.err;
    }
  }
  EXPECT_EQ(jobs.at("relay").needs, "needs --bootstrap-server (a Kafka-protocol cluster)");
  EXPECT_EQ(jobs.at("ysb").needs,
            "self-contained (no --data-dir or --bootstrap-server needed); with --set source=log: needs --data-dir");
}

// RIVULET_DATA_DIR is the data directory of `rivulet run` when --data-dir
// is not given: a job on the embedded log runs with it alone.
TEST(JobsCmdTest, RunTakesTheDataDirFromRivuletDataDir) {
  TempDir dir;
  auto r = Rivulet({"run", "tutorial", "--set", "count=10", "--set", "idle_ms=100", "--no-progress"}, "",
                   {"RIVULET_DATA_DIR=" + dir / "env"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("table numbers: 10 rows"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "env/tutorial.db"));
}

}  // namespace
}  // namespace rivulet::tools

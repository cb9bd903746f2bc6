// `rivulet jobs` and `rivulet run` (tools/jobs_cmd.cc) end to end: what
// the listing says each job needs, checked by running the job without it;
// the metrics endpoint (--metrics-port, --metrics-bind) scraped while a
// job runs.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/test_util.h"
#include "tests/tools/rivulet_process.h"

namespace rivulet::tools {
namespace {

using testing::Rivulet;
using testing::Spawn;
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

// A loopback port nobody listened on a moment ago.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The body of GET /metrics on 127.0.0.1:port ("" when nothing answers).
std::string Scrape(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string resp;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) resp.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  const auto body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}


// A job following a topic, scraped while it runs: every series carries
// job="numtest", and the log source's lag is there per partition (0 once
// it has caught up). --metrics-bind picks the address.
TEST(JobsCmdTest, MetricsOfARunningJobCarryItsNameAndTheSourcesLag) {
  TempDir dir;
  const std::string d = dir / "data";
  std::string numbers;
  for (int n = 0; n < 1000; ++n) numbers += "{\"number\": " + std::to_string(n) + "}\n";
  ASSERT_EQ(Rivulet({"topics", "--create", "--topic", "numtest", "--partitions", "2", "--data-dir", d}).exit_code, 0);
  ASSERT_EQ(Rivulet({"produce", "--topic", "numtest", "--data-dir", d}, numbers).exit_code, 0);
  const int port = FreePort();
  const pid_t pid = Spawn({"run", "numtest", "--data-dir", d, "--set", "follow=true", "--no-progress",
                           "--metrics-bind", "127.0.0.1:" + std::to_string(port)});
  ASSERT_GT(pid, 0);
  const std::string caught_up =
      "rivulet_source_lag_records{job=\"numtest\",operator=\"numtest\",topic=\"numtest\",partition=\"1\"} 0\n";
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (text.find(caught_up) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = Scrape(port);
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(text.find(caught_up), std::string::npos) << text;
  EXPECT_NE(text.find("rivulet_source_lag_records{job=\"numtest\",operator=\"numtest\",topic=\"numtest\","
                      "partition=\"0\"} 0\n"),
            std::string::npos)
      << text;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') EXPECT_NE(line.find("{job=\"numtest\""), std::string::npos) << line;
  }
}

// --metrics-port keeps working; --metrics-bind refuses a malformed value,
// a port in use and --metrics-port beside it, each in one line.
TEST(JobsCmdTest, MetricsFlagsSayWhatIsWrongInOneLine) {
  const int port = FreePort();
  auto r = Rivulet({"run", "wordcount", "--set", "lines=100", "--no-progress", "--metrics-port", std::to_string(port)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "rivulet: metrics on http://127.0.0.1:" + std::to_string(port) + "/metrics\n");
  for (const std::string bad : {"9249", "localhost", "localhost:", "localhost:http", "127.0.0.1:0", "127.0.0.1:70000",
                                "::1:9249", "[::1:9249", ":9249"}) {
    r = Rivulet({"run", "wordcount", "--metrics-bind", bad});
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(r.err, "rivulet: InvalidArgument: --metrics-bind '" + bad +
                         "' is not HOST:PORT (e.g. 127.0.0.1:9249, 0.0.0.0:9249 or [::1]:9249; port 1 to 65535)\n")
        << bad;
  }
  r = Rivulet({"run", "wordcount", "--metrics-bind", "127.0.0.1:9249", "--metrics-port", "9249"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "rivulet: InvalidArgument: give --metrics-port or --metrics-bind, not both (--metrics-port P is "
                   "--metrics-bind 127.0.0.1:P)\n");
  // A port some other process listens on.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  r = Rivulet({"run", "wordcount", "--metrics-bind", taken});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "rivulet: IOError: metrics port " + taken +
                       " is in use (another process listens there: choose another port)\n");
}

}  // namespace
}  // namespace rivulet::tools

// The runtime end to end: stateless operators at several parallelisms,
// unions, chaining and --explain, failures in user code, graceful stop,
// and bounded memory under backpressure.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/metrics.h"
#include "operators/stream.h"

namespace rivulet::operators {
namespace {

std::vector<int64_t> Range(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

class ParallelismTest : public ::testing::TestWithParam<int> {};

TEST_P(ParallelismTest, MapFilterFlatMapGiveEveryRecordOnce) {
  JobBuilder job;
  auto out = std::make_shared<Collected<int64_t>>();
  job.FromCollection<int64_t>("numbers", Range(100000))
      .Map("double", [](int64_t x) { return 2 * x; })
      .Filter("multiple of 3", [](int64_t x) { return x % 3 == 0; })
      .FlatMap<int64_t>("twice", [](int64_t x, auto emit) {
        emit(x);
        emit(x + 1);
      })
      .CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = GetParam();
  ASSERT_TRUE(job.Run(o).ok());
  auto v = out->values();
  std::sort(v.begin(), v.end());
  std::vector<int64_t> want;
  for (int64_t x = 0; x < 100000; ++x) {
    if ((2 * x) % 3 == 0) {
      want.push_back(2 * x);
      want.push_back(2 * x + 1);
    }
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(v, want);
}

TEST_P(ParallelismTest, UnionOfStreamsWithDifferentParallelism) {
  JobBuilder job;
  auto out = std::make_shared<Collected<int64_t>>();
  auto a = job.FromCollection<int64_t>("a", Range(5000));
  auto b = job.FromCollection<int64_t>("b", Range(3000)).SetParallelism(1);
  a.Union("both", {b}).Map("id", [](int64_t x) { return x; }).CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = GetParam();
  ASSERT_TRUE(job.Run(o).ok());
  EXPECT_EQ(out->values().size(), 8000u);
  int64_t sum = 0;
  for (auto x : out->values()) sum += x;
  EXPECT_EQ(sum, 4999 * 5000 / 2 + 2999 * 3000 / 2);
}

TEST_P(ParallelismTest, KeyBySendsEveryKeyToOneInstance) {
  JobBuilder job;
  auto out = std::make_shared<Collected<WindowResult<int64_t, int64_t>>>();
  job.FromCollection<int64_t>("n", Range(20000), [](const int64_t&) { return Timestamp{1}; })
      .KeyBy([](int64_t x) { return x % 97; })
      .Window(Tumbling(1000))
      .Aggregate("count", Count{})
      .CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = GetParam();
  ASSERT_TRUE(job.Run(o).ok());
  // One result per key: had a key been split between instances, it would
  // appear twice with partial counts.
  auto v = out->values();
  ASSERT_EQ(v.size(), 97u);
  int64_t total = 0;
  for (const auto& r : v) {
    EXPECT_EQ(r.value, 20000 / 97 + (r.key < 20000 % 97 ? 1 : 0)) << r.key;
    total += r.value;
  }
  EXPECT_EQ(total, 20000);
}

TEST_P(ParallelismTest, BroadcastReachesEveryInstance) {
  JobBuilder job;
  auto out = std::make_shared<Collected<int64_t>>();
  job.FromCollection<int64_t>("n", Range(1000)).SetParallelism(1).Broadcast("everyone").CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = GetParam();
  ASSERT_TRUE(job.Run(o).ok());
  auto v = out->values();
  EXPECT_EQ(v.size(), 1000u * static_cast<size_t>(GetParam()));
  std::map<int64_t, int> copies;
  for (auto x : v) ++copies[x];
  for (const auto& [x, c] : copies) EXPECT_EQ(c, GetParam()) << x;
}

INSTANTIATE_TEST_SUITE_P(P, ParallelismTest, ::testing::Values(1, 2, 4));

TEST(RuntimeTest, ExplainShowsChainsAndExchanges) {
  JobBuilder job;
  job.FromCollection<std::string>("lines", {"a b", "b c"})
      .FlatMap<std::string>("split", [](const std::string& l, auto emit) {
        size_t s = 0;
        for (size_t i = 0; i <= l.size(); ++i) {
          if (i == l.size() || l[i] == ' ') {
            emit(l.substr(s, i - s));
            s = i + 1;
          }
        }
      })
      .KeyBy([](const std::string& w) { return w; })
      .Window(Tumbling(1000))
      .Aggregate("count", Count{})
      .Print("print", &std::cout, [](const auto& r) { return r.key; });
  auto text = job.Explain(2);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text,
            "physical plan: 2 tasks, 1 exchanges\n"
            "task 0 x2: lines [source] -> split [flat_map] -> count [local pre-aggregation]\n"
            "task 1 x2: count [tumbling window, global] -> print [sink]\n"
            "exchange task 0 -> task 1: hash of partials (split -> count, 4 channels)\n");
}

// Planning leaves the logical graph alone: a job planned at one
// parallelism plans (and runs) at another afterwards.
TEST(RuntimeTest, PlanningAgainAtAnotherParallelismIsNotStuckAtTheFirst) {
  JobBuilder job;
  auto out = std::make_shared<Collected<int64_t>>();
  job.FromCollection<int64_t>("numbers", Range(1000)).Map("double", [](int64_t x) { return 2 * x; }).CollectInto("out", out);
  auto two = job.Explain(2);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_NE(two->find("x2"), std::string::npos) << *two;
  auto one = job.Explain(1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->find("x2"), std::string::npos) << *one;
  EXPECT_NE(one->find("x1"), std::string::npos) << *one;
  for (int p : {3, 1}) {
    auto plan = job.Plan(p);
    ASSERT_TRUE(plan.ok());
    for (int np : plan->parallelism) EXPECT_EQ(np, p);
    for (const auto& node : job.graph().nodes()) EXPECT_EQ(node.parallelism, 0) << node.name;  // unresolved
  }
  JobRunOptions o;
  o.parallelism = 3;
  ASSERT_TRUE(job.Run(o).ok());
  EXPECT_EQ(out->values().size(), 1000u);
}

TEST(RuntimeTest, ExceptionInUserCodeFailsTheJobNamingTheOperator) {
  JobBuilder job;
  auto out = std::make_shared<Collected<int64_t>>();
  job.FromCollection<int64_t>("numbers", Range(100000))
      .Map("explode", [](int64_t x) {
        if (x == 77777) throw std::runtime_error("bad record 77777");
        return x;
      })
      .Rebalance("spread")
      .CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = 2;
  Status st = job.Run(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Errc::kJobFailed);
  EXPECT_EQ(st.message().rfind("operator 'explode' (task 'numbers#", 0), 0u) << st.message();
  EXPECT_NE(st.message().find("failed: bad record 77777"), std::string::npos) << st.message();
}

TEST(RuntimeTest, ExceptionInAWindowAfterAnExchangeNamesTheWindow) {
  struct Boom {
    using Acc = int64_t;
    using Out = int64_t;
    Acc Create() const { return 0; }
    void Add(Acc& a, const int64_t& v) const {
      if (v == 4321) throw std::invalid_argument("cannot add 4321");
      a += v;
    }
    void Merge(Acc& a, const Acc& b) const { a += b; }
    Out Result(const Acc& a) const { return a; }
  };
  JobBuilder job;
  auto out = std::make_shared<Collected<WindowResult<int64_t, int64_t>>>();
  job.FromCollection<int64_t>("numbers", Range(10000), [](const int64_t&) { return Timestamp{0}; })
      .KeyBy([](int64_t x) { return x % 3; })
      .Window(Tumbling(10))
      .Aggregate("sum", Boom{})
      .CollectInto("out", out);
  // Split in two phases, Add runs in the local phase, in the source's
  // task; in one phase, in the window's own.
  for (bool local_global : {true, false}) {
    JobRunOptions o;
    o.parallelism = 2;
    o.plan.local_global = local_global;
    Status st = job.Run(o);
    EXPECT_EQ(st.code(), Errc::kJobFailed);
    const std::string task = local_global ? "numbers#" : "sum#";
    EXPECT_EQ(st.message().rfind("operator 'sum' (task '" + task, 0), 0u) << st.message();
    EXPECT_NE(st.message().find("cannot add 4321"), std::string::npos) << st.message();
  }
}

TEST(RuntimeTest, InvalidGraphsAreRejected) {
  {
    JobBuilder job;
    job.FromCollection<int64_t>("n", {1, 2}).Map("m", [](int64_t x) { return x; });
    Status st = job.Run({});
    EXPECT_EQ(st.code(), Errc::kInvalidArgument);
    EXPECT_NE(st.message().find("'m'"), std::string::npos) << st.message();
  }
  {
    JobBuilder job;
    Status st = job.Run({});
    EXPECT_EQ(st.code(), Errc::kInvalidArgument);
  }
  {
    JobBuilder job;
    auto out = std::make_shared<Collected<int64_t>>();
    job.FromCollection<int64_t>("n", {1}).CollectInto("out", out);
    JobRunOptions o;
    o.parallelism = -1;
    EXPECT_EQ(job.Run(o).code(), Errc::kInvalidArgument);
  }
}

// A sink of strings, for wiring to a stream of another type.
class StringSink final : public SinkOperator<std::string> {
 public:
  void OnBatch(Batch<std::string>&) override {}
  void OnEnd() override {}
};

// Ports carry their record type: an operator given a stream of another
// type (a mistake in a connector or a hand-made node) stops the job at its
// start, naming the operator and both types, in a chain and across an
// exchange, instead of reading int64_t records as strings.
TEST(RuntimeTest, AnOperatorWiredToAStreamOfAnotherTypeIsRefusedAtStart) {
  for (const engine::Partitioning p : {engine::Partitioning::kForward, engine::Partitioning::kRebalance}) {
    JobBuilder job;
    auto n = job.FromCollection<int64_t>("n", {1, 2, 3});
    engine::Edge e = n.Forward();
    e.partitioning = p;
    job.AddNode<void>("strings", "sink", {e}, [](int, int, engine::Port) { return std::make_unique<StringSink>(); });
    JobRunOptions o;
    o.parallelism = 2;
    Status st = job.Run(o);
    EXPECT_EQ(st.code(), Errc::kInvalidArgument) << st.ToString();
    EXPECT_NE(st.message().find("'strings'"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(typeid(std::string).name()), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(typeid(int64_t).name()), std::string::npos) << st.message();
  }
}

TEST(RuntimeTest, StopFlagEndsAnUnboundedJobGracefully) {
  JobBuilder job;
  std::atomic<int64_t> seen{0};
  std::atomic<bool> stop{false};
  auto out = std::make_shared<Collected<WindowResult<int64_t, int64_t>>>();
  job.FromGenerator("forever", [](uint64_t n) { return static_cast<int64_t>(n); }, /*count=*/-1, /*rate=*/0,
                    [](const int64_t&) { return Timestamp{0}; })
      .Map("seen", [&seen](int64_t x) {
        seen.fetch_add(1, std::memory_order_relaxed);
        return x;
      })
      .KeyBy([](int64_t) { return int64_t{0}; })
      .Window(Tumbling(1000))
      .Aggregate("count", Count{})
      .CollectInto("out", out);
  std::thread stopper([&] {
    while (seen.load() < 100000) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stop.store(true);
  });
  JobRunOptions o;
  o.parallelism = 2;
  o.runtime.stop = &stop;
  Status st = job.Run(o);
  stopper.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  // The window flushed at the end with every record that went in.
  auto v = out->values();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].value, seen.load());
}

// A sink 100x slower than its source: what is in flight between them is
// bounded by the channels and batches, not by the input size.
TEST(RuntimeTest, BackpressureBoundsRecordsInFlight) {
  JobBuilder job;
  std::atomic<int64_t> produced{0}, consumed{0}, max_in_flight{0};
  constexpr int64_t kRecords = 200000;
  job.FromGenerator("fast", [&produced](uint64_t n) {
        produced.fetch_add(1, std::memory_order_relaxed);
        return std::string(100, static_cast<char>('a' + n % 26));
      }, kRecords)
      .Rebalance("spread")
      .Sink("slow", [&](Batch<std::string>& b) {
        const int64_t in_flight = produced.load() - consumed.load();
        int64_t m = max_in_flight.load();
        while (in_flight > m && !max_in_flight.compare_exchange_weak(m, in_flight)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(20 * static_cast<int64_t>(b.size()) / 16));
        consumed.fetch_add(static_cast<int64_t>(b.size()));
      });
  JobRunOptions o;
  o.parallelism = 2;
  o.runtime.batch_size = 256;
  o.runtime.channel_capacity = 4;
  ASSERT_TRUE(job.Run(o).ok());
  EXPECT_EQ(consumed.load(), kRecords);
  // 2x2 channels of 4 batches, a backlog batch per destination and one
  // batch being built or handled on each side.
  const int64_t bound = (2 * 2 * (4 + 1) + 2 * 2 + 2 * 2) * 256;
  EXPECT_LE(max_in_flight.load(), bound);
  EXPECT_LT(bound, kRecords / 5);  // the bound means something
}

// An unbounded source that went quiet must not hold back event time: with
// idleness its instance is skipped when watermarks combine, and windows of
// the busy source fire; without, they wait.
int64_t WindowsFiredWithAQuietSource(int64_t idle_timeout_ms) {
  JobBuilder job;
  std::atomic<int64_t> fired{0};
  std::atomic<bool> stop{false};
  auto busy = job.FromGenerator("busy", [](uint64_t n) { return static_cast<int64_t>(n); }, -1, /*rate=*/20000,
                                [](const int64_t& n) { return n; });
  auto quiet = job.FromGenerator("quiet", [](uint64_t) { return int64_t{0}; }, -1, /*rate=*/0.001,
                                 [](const int64_t&) { return Timestamp{0}; },
                                 WatermarkStrategy::BoundedOutOfOrderness(0).WithIdleness(idle_timeout_ms))
                   .SetParallelism(1);
  busy.Union("both", {quiet})
      .KeyBy([](int64_t) { return 0; })
      .Window(Tumbling(100))
      .Aggregate("count", Count{})
      .Sink("fired", [&fired](Batch<WindowResult<int, int64_t>>& b) {
        fired.fetch_add(static_cast<int64_t>(b.size()));
      });
  // What fired before the stop (after it, the end of input fires the rest).
  std::atomic<int64_t> before_stop{-1};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    before_stop.store(fired.load());
    stop.store(true);
  });
  JobRunOptions o;
  o.parallelism = 1;
  o.runtime.stop = &stop;
  EXPECT_TRUE(job.Run(o).ok());
  stopper.join();
  return before_stop.load();
}

TEST(RuntimeTest, IdleSourceDoesNotStallWindows) {
  EXPECT_GT(WindowsFiredWithAQuietSource(/*idle_timeout_ms=*/100), 0);
  EXPECT_EQ(WindowsFiredWithAQuietSource(/*idle_timeout_ms=*/-1), 0);
}

// Per-operator counters and watermarks, and their Prometheus rendering.
TEST(RuntimeTest, MetricsCountRecordsPerOperatorAndWatermarks) {
  JobBuilder job;
  auto out = std::make_shared<Collected<WindowResult<int64_t, int64_t>>>();
  job.FromCollection<int64_t>("numbers", Range(10000), [](const int64_t& x) { return x; })
      .Filter("even", [](int64_t x) { return x % 2 == 0; })
      .KeyBy([](int64_t x) { return x % 10; })
      .Window(Tumbling(1000))
      .Aggregate("count", Count{})
      .CollectInto("out", out);
  engine::JobMetrics metrics;
  metrics.job = "numbers \"x\"";
  JobRunOptions o;
  o.parallelism = 2;
  o.runtime.metrics = &metrics;
  ASSERT_TRUE(job.Run(o).ok());
  ASSERT_TRUE(metrics.ready.load());
  ASSERT_EQ(metrics.operators.size(), 4u);
  const auto& source = *metrics.operators[0];
  const auto& even = *metrics.operators[1];
  const auto& count = *metrics.operators[2];
  const auto& sink = *metrics.operators[3];
  EXPECT_EQ(source.records_out.load(), 10000u);
  EXPECT_EQ(even.records_in.load(), 10000u);
  EXPECT_EQ(even.records_out.load(), 5000u);
  EXPECT_EQ(count.records_in.load(), 5000u);
  EXPECT_EQ(count.records_out.load(), 50u);  // 10 windows x 5 even keys
  EXPECT_EQ(sink.records_in.load(), 50u);
  // The slowest source instance's last watermark: instance 1 read the
  // block [4096, 8192), so max timestamp 8191 - 1.
  EXPECT_EQ(source.watermark(), 8190);
  ASSERT_EQ(metrics.exchanges.size(), 1u);
  EXPECT_EQ(metrics.exchanges[0].channels.size(), 4u);
  EXPECT_EQ(metrics.exchanges[0].fill(), 0.0);  // drained
  const std::string text = metrics.PrometheusText();
  const std::string job_label = "{job=\"numbers \\\"x\\\"\"";  // escaped as Prometheus wants
  EXPECT_NE(text.find("rivulet_operator_records_out_total" + job_label + ",operator=\"even\",kind=\"filter\"} 5000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rivulet_operator_records_in_total" + job_label + ",operator=\"out\",kind=\"sink\"} 50\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rivulet_exchange_fill_ratio" + job_label + ",from=\"even\",to=\"count\"} 0\n"),
            std::string::npos)
      << text;
  // Every series carries the job's label (issue 16), those without other
  // labels too.
  EXPECT_NE(text.find("rivulet_job_uptime_seconds" + job_label + "} "), std::string::npos) << text;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_NE(line.find(job_label), std::string::npos) << line;
  }
}

// A source's lag per partition, as its instances report it: a report
// replaces the instance's last one; a partition two instances report
// comes once, with the smaller lag.
TEST(RuntimeTest, SourceLagKeepsEachInstancesLastReport) {
  engine::SourceLag lag(2, std::chrono::milliseconds(0));
  lag.Report(0, {{"t", 0, 5}, {"t", 2, 7}});
  lag.Report(1, {{"t", 1, 3}});
  EXPECT_EQ(lag.Snapshot(), (std::vector<engine::PartitionLag>{{"t", 0, 5}, {"t", 1, 3}, {"t", 2, 7}}));
  lag.Report(0, {{"t", 0, 1}});  // partition 2 moved away
  lag.Report(1, {{"t", 1, 0}, {"t", 2, 4}});
  EXPECT_EQ(lag.Snapshot(), (std::vector<engine::PartitionLag>{{"t", 0, 1}, {"t", 1, 0}, {"t", 2, 4}}));
  lag.Report(0, {{"t", 0, 1}, {"t", 1, 9}});  // instance 0's stale view of partition 1
  EXPECT_EQ(lag.Snapshot(), (std::vector<engine::PartitionLag>{{"t", 0, 1}, {"t", 1, 0}, {"t", 2, 4}}));
  engine::JobMetrics metrics;
  metrics.job = "j";
  metrics.operators.push_back(std::make_unique<engine::OperatorMetrics>("in", "log source", 1, false, true));
  metrics.operators[0]->lag.Report(0, {{"events", 3, 42}});
  metrics.ready = true;
  EXPECT_NE(metrics.PrometheusText().find(
                "rivulet_source_lag_records{job=\"j\",operator=\"in\",topic=\"events\",partition=\"3\"} 42\n"),
            std::string::npos)
      << metrics.PrometheusText();
}

std::string HttpGet(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return "";
  }
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  (void)::write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return resp;
}

TEST(RuntimeTest, MetricsServerServesPrometheusTextOnLoopback) {
  engine::JobMetrics metrics;
  metrics.operators.push_back(std::make_unique<engine::OperatorMetrics>("m", "map", 1, false));
  metrics.operators[0]->records_in = 7;
  metrics.ready = true;
  auto server = engine::MetricsServer::Start(0, &metrics);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string resp = HttpGet((*server)->port());
  EXPECT_EQ(resp.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << resp;
  EXPECT_NE(resp.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << resp;
  EXPECT_NE(resp.find("rivulet_operator_records_in_total{job=\"\",operator=\"m\",kind=\"map\"} 7\n"),
            std::string::npos)
      << resp;
  EXPECT_EQ((*server)->url(), "http://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics");
  // A port in use is a clear error.
  auto second = engine::MetricsServer::Start((*server)->port(), &metrics);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "metrics port 127.0.0.1:" + std::to_string((*server)->port()) +
                                           " is in use (another process listens there: choose another port)");
  // An address that is not this host's.
  auto elsewhere = engine::MetricsServer::Start("192.0.2.1", 0, &metrics);
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.status().message().rfind("cannot serve metrics on 192.0.2.1:0: ", 0), 0u)
      << elsewhere.status().message();
}

// --metrics-bind: any address of the host, here every interface.
TEST(RuntimeTest, MetricsServerBindsTheAddressItIsGiven) {
  engine::JobMetrics metrics;
  metrics.ready = true;
  auto server = engine::MetricsServer::Start("0.0.0.0", 0, &metrics);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_EQ((*server)->url(), "http://0.0.0.0:" + std::to_string((*server)->port()) + "/metrics");
  EXPECT_NE(HttpGet((*server)->port()).find("rivulet_job_uptime_seconds{job=\"\"}"), std::string::npos);
}

}  // namespace
}  // namespace rivulet::operators

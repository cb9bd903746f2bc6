// The test harness for users' jobs (testing/harness.h): windows that fire
// only once the watermark passes their end, at parallelism 1, 2 and 3 with
// the same output; a keyed process function's timers; checkpoint and
// restart at another parallelism giving what a run without restart gives,
// shown on receipt or on commit; a throwing operator named in the error;
// output after the end of input; a job that does not settle timing out.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "rivulet/testing.h"

namespace rivulet::testing {
namespace {

using operators::Stream;
using operators::WindowResult;

struct Click {
  std::string user;
};
using Count = WindowResult<std::string, int64_t>;

// The logic under test: clicks per user per second (tumbling windows).
Stream<Count> CountClicks(Stream<Click> clicks) {
  return clicks.KeyBy([](const Click& c) { return c.user; })
      .Window(operators::Tumbling(1000))
      .Aggregate("count", operators::Count{});
}

class WindowParallelismTest : public ::testing::TestWithParam<int> {};

TEST_P(WindowParallelismTest, CountsAppearOnlyOnceTheWatermarkPassesTheWindowEnd) {
  Harness h({.parallelism = GetParam()});
  auto in = h.Input<Click>("clicks");
  auto out = h.Output(CountClicks(in.stream()), "counts");
  ASSERT_TRUE(h.Start().ok());

  for (const char* u : {"a", "b", "a", "c", "a"}) in.Send(Click{u}, 100);
  in.Send(Click{"b"}, 999);
  in.Send(Click{"a"}, 1000);  // the next window
  in.Send(Click{"c"}, 1500);
  ASSERT_TRUE(h.Settle().ok());
  EXPECT_TRUE(out.All().empty());

  // [0, 1000) fires when the watermark reaches 999.
  Status st = h.AdvanceWatermark(998);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(out.Take().empty());
  EXPECT_EQ(out.watermark(), 998);
  st = h.AdvanceWatermark(999);
  ASSERT_TRUE(st.ok()) << st.ToString();
  // Emitted at the window's last instant, ordered by (timestamp, value).
  EXPECT_EQ(out.Take(),
            (std::vector<Record<Count>>{{{"a", 0, 1000, 3}, 999}, {{"b", 0, 1000, 2}, 999}, {{"c", 0, 1000, 1}, 999}}));
  EXPECT_TRUE(out.Take().empty());  // Take returns each record once

  in.Send(Click{"a"}, 1999);
  ASSERT_TRUE(h.AdvanceWatermark(1998).ok());
  EXPECT_TRUE(out.Take().empty());
  ASSERT_TRUE(h.AdvanceWatermark(5000).ok());
  EXPECT_EQ(out.Take(), (std::vector<Record<Count>>{{{"a", 1000, 2000, 2}, 1999}, {{"c", 1000, 2000, 1}, 1999}}));
  EXPECT_EQ(out.Values(),
            (std::vector<Count>{
                {"a", 0, 1000, 3}, {"b", 0, 1000, 2}, {"c", 0, 1000, 1}, {"a", 1000, 2000, 2}, {"c", 1000, 2000, 1}}));
  ASSERT_TRUE(h.Finish().ok());
}

INSTANTIATE_TEST_SUITE_P(Parallelism, WindowParallelismTest, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return "p" + std::to_string(info.param); });

// A keyed process function: per user, the clicks of each second, emitted
// by a timer at the second's last instant. (Records of a key come from
// several source instances, so in no set order: the function must not
// depend on it.)
struct Burst {
  std::string user;
  int64_t clicks = 0;
  auto operator<=>(const Burst&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Burst& b) { return os << b.user << ":" << b.clicks; }
};
struct BurstFn {
  operators::MapState<std::string, int64_t, int64_t> counts;  // second's end -> clicks
  void Open(operators::KeyedStateBackend<std::string>& states) { counts = states.Map<int64_t, int64_t>("counts"); }
  void ProcessElement(const Click&, operators::ProcessContext<std::string, Burst>& ctx) {
    const int64_t last = ctx.timestamp() / 1000 * 1000 + 999;
    counts.Put(last, (counts.Contains(last) ? *counts.Get(last) : 0) + 1);
    ctx.RegisterTimer(last);
  }
  void OnTimer(Timestamp t, operators::ProcessContext<std::string, Burst>& ctx) {
    ctx.Emit(Burst{ctx.key(), *counts.Get(t)});
    counts.Remove(t);
  }
};
Stream<Burst> Bursts(Stream<Click> clicks) {
  return clicks.KeyBy([](const Click& c) { return c.user; }).Process<Burst>("bursts", BurstFn{});
}

TEST(HarnessTest, KeyedTimersFireWhenTheWatermarkReachesThem) {
  for (int p : {1, 3}) {
    Harness h({.parallelism = p});
    auto in = h.Input<Click>("clicks");
    auto out = h.Output(Bursts(in.stream()), "bursts");
    ASSERT_TRUE(h.Start().ok());
    in.Send(Click{"a"}, 100);  // timers at 999 for a and b
    in.Send(Click{"b"}, 500);
    in.Send(Click{"a"}, 900);
    in.Send(Click{"a"}, 1500);  // a's at 1999
    ASSERT_TRUE(in.AdvanceWatermark(998).ok());
    EXPECT_TRUE(out.All().empty()) << "p=" << p;
    in.Send(Click{"a"}, 999);  // at the timer's time: counted before it fires
    ASSERT_TRUE(in.AdvanceWatermark(999).ok());
    EXPECT_EQ(out.Take(), (std::vector<Record<Burst>>{{{"a", 3}, 999}, {{"b", 1}, 999}})) << "p=" << p;
    ASSERT_TRUE(in.AdvanceWatermark(1998).ok());
    EXPECT_TRUE(out.Take().empty()) << "p=" << p;
    // The end of input fires the timers still pending.
    ASSERT_TRUE(h.Finish().ok());
    EXPECT_EQ(out.Take(), (std::vector<Record<Burst>>{{{"a", 1}, 1999}})) << "p=" << p;
  }
}

// Clicks for the restart tests: users u0..u4, times spread over 0..5999.
std::vector<std::pair<Click, Timestamp>> Clicks(int from, int to) {
  std::vector<std::pair<Click, Timestamp>> v;
  for (int n = from; n < to; ++n) v.push_back({Click{"u" + std::to_string(n * 7 % 5)}, n * 37 % 6000});
  return v;
}

// Feeds three phases of clicks; `between` runs after the first phase has
// been fed (windows before 2000 fired, later ones open) and the second
// phase sent.
template <typename Between>
std::vector<Record<Count>> RunClicks(Harness& h, TestInput<Click>& in, TestOutput<Count>& out, Between between) {
  std::vector<Record<Count>> none;
  EXPECT_TRUE(h.Start().ok());
  for (auto& [c, t] : Clicks(0, 100)) in.Send(c, t);  // times 0..3663
  EXPECT_TRUE(h.AdvanceWatermark(1999).ok());
  between(1);
  for (auto& [c, t] : Clicks(100, 140)) in.Send(c, t);  // some fall in open windows, some late
  between(2);
  EXPECT_TRUE(h.AdvanceWatermark(3999).ok());
  for (auto& [c, t] : Clicks(140, 300)) in.Send(c, t);
  Status st = h.Finish();
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out.All();
}

using RestartParam = std::tuple<int, int, Visibility>;
class RestartTest : public ::testing::TestWithParam<RestartParam> {};

TEST_P(RestartTest, RestartFromACheckpointGivesWhatARunWithoutRestartGives) {
  const auto [from, to, visibility] = GetParam();
  std::vector<Record<Count>> want;
  {
    Harness h({.parallelism = from, .visibility = visibility});
    auto in = h.Input<Click>("clicks");
    auto out = h.Output(CountClicks(in.stream()), "counts");
    want = RunClicks(h, in, out, [](int) {});
  }
  ASSERT_FALSE(want.empty());

  Harness h({.parallelism = from, .visibility = visibility});
  auto in = h.Input<Click>("clicks");
  auto out = h.Output(CountClicks(in.stream()), "counts");
  std::vector<Record<Count>> taken;
  auto got = RunClicks(h, in, out, [&](int phase) {
    if (phase == 1) {
      ASSERT_TRUE(h.Checkpoint().ok());
      auto t = out.Take();
      taken.insert(taken.end(), t.begin(), t.end());
      // The windows before 2000 fired before the checkpoint: shown now in
      // either mode.
      EXPECT_FALSE(t.empty());
      return;
    }
    // Phase 2 was sent after the checkpoint: the restarted job reads it
    // again, with the open windows' state restored.
    Status st = h.Restart(to);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(h.parallelism(), to);
  });
  EXPECT_EQ(got, want);
  if (visibility == Visibility::kCommitted) {
    // Exactly once through Take as well.
    auto t = out.Take();
    taken.insert(taken.end(), t.begin(), t.end());
    std::sort(taken.begin(), taken.end(), [](const auto& a, const auto& b) {
      return std::tie(a.timestamp, a.value) < std::tie(b.timestamp, b.value);
    });
    EXPECT_EQ(taken, want);
  }
}

INSTANTIATE_TEST_SUITE_P(Rescale, RestartTest,
                         ::testing::Values(RestartParam{2, 1, Visibility::kReceived},
                                           RestartParam{1, 3, Visibility::kReceived},
                                           RestartParam{2, 1, Visibility::kCommitted},
                                           RestartParam{1, 3, Visibility::kCommitted}),
                         [](const auto& info) {
                           return "p" + std::to_string(std::get<0>(info.param)) + "to" +
                                  std::to_string(std::get<1>(info.param)) +
                                  (std::get<2>(info.param) == Visibility::kReceived ? "Received" : "Committed");
                         });

TEST(HarnessTest, CommittedOutputShowsAtCheckpointsAndAfterARestartNothingTwice) {
  Harness h({.parallelism = 2, .visibility = Visibility::kCommitted});
  auto in = h.Input<Click>("clicks");
  auto out = h.Output(CountClicks(in.stream()), "counts");
  ASSERT_TRUE(h.Start().ok());
  in.Send(Click{"a"}, 10);
  ASSERT_TRUE(h.AdvanceWatermark(999).ok());
  EXPECT_TRUE(out.All().empty());  // fired, not committed
  ASSERT_TRUE(h.Checkpoint().ok());
  EXPECT_EQ(out.Take(), (std::vector<Record<Count>>{{{"a", 0, 1000, 1}, 999}}));
  in.Send(Click{"a"}, 1010);
  ASSERT_TRUE(h.AdvanceWatermark(1999).ok());  // fires [1000, 2000): not committed
  ASSERT_TRUE(h.Restart().ok());               // ... and lost with the run
  EXPECT_TRUE(out.Take().empty());
  ASSERT_TRUE(h.Checkpoint().ok());  // the restarted run fired it again
  EXPECT_EQ(out.Take(), (std::vector<Record<Count>>{{{"a", 1000, 2000, 1}, 1999}}));
  ASSERT_TRUE(h.Finish().ok());
  EXPECT_EQ(out.All().size(), 2u);
}

TEST(HarnessTest, ReceivedOutputWithdrawsWhatCameAfterTheRestoredCheckpoint) {
  Harness h({.parallelism = 1});
  auto in = h.Input<Click>("clicks");
  auto out = h.Output(in.stream(), "echo");
  ASSERT_TRUE(h.Start().ok());
  in.Send(Click{"before"}, 1);
  ASSERT_TRUE(h.Checkpoint().ok());
  in.Send(Click{"after"}, 2);
  ASSERT_TRUE(h.Settle().ok());
  EXPECT_EQ(out.All().size(), 2u);
  ASSERT_TRUE(h.Restart().ok());  // "after" is sent again, once
  auto all = out.All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value.user, "before");
  EXPECT_EQ(all[1].value.user, "after");
}

TEST(HarnessTest, AThrowingOperatorFailsTheCallNamingIt) {
  Harness h({.parallelism = 2});
  auto in = h.Input<Click>("clicks");
  auto out = h.Output(in.stream().Map("explode",
                                      [](const Click& c) {
                                        if (c.user == "bad") throw std::runtime_error("bad user");
                                        return c.user;
                                      }),
                      "users");
  ASSERT_TRUE(h.Start().ok());
  in.Send(Click{"ok"}, 1);
  ASSERT_TRUE(h.Settle().ok());
  EXPECT_EQ(out.Values(), std::vector<std::string>{"ok"});
  in.Send(Click{"bad"}, 2);
  Status st = h.Settle();
  EXPECT_EQ(st.code(), Errc::kJobFailed) << st.ToString();
  EXPECT_NE(st.message().find("'explode'"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("bad user"), std::string::npos) << st.ToString();
  // Every later call says the same.
  Status again = h.Finish();
  EXPECT_EQ(again.code(), Errc::kJobFailed);
  EXPECT_EQ(again.message(), st.message());
}

TEST(HarnessTest, AJobThatDoesNotSettleTimesOutSayingSo) {
  auto release = std::make_shared<std::atomic<bool>>(false);
  Harness h({.parallelism = 1, .timeout = std::chrono::milliseconds(200)});
  auto in = h.Input<Click>("clicks");
  auto out = h.Output(in.stream().Map("stuck",
                                      [release](const Click& c) {
                                        // Stands for an operator that hangs, until the test lets it go.
                                        while (c.user == "hang" && !release->load()) std::this_thread::yield();
                                        return c.user;
                                      }),
                      "users");
  ASSERT_TRUE(h.Start().ok());
  in.Send(Click{"hang"}, 1);
  Status st = h.Settle();
  EXPECT_EQ(st.code(), Errc::kTimeout) << st.ToString();
  EXPECT_NE(st.message().find("200 ms"), std::string::npos) << st.ToString();
  release->store(true);
  ASSERT_TRUE(h.Settle().ok());
  EXPECT_EQ(out.Values(), std::vector<std::string>{"hang"});
}

TEST(HarnessTest, OutputAfterTheEndOfInput) {
  for (Visibility v : {Visibility::kReceived, Visibility::kCommitted}) {
    Harness h({.parallelism = 2, .visibility = v});
    auto in = h.Input<Click>("clicks");
    auto out = h.Output(CountClicks(in.stream()), "counts");
    ASSERT_TRUE(h.Start().ok());
    in.Send(Click{"a"}, 100);
    in.Send(Click{"a"}, 2100);
    in.Send(Click{"b"}, 2200);
    ASSERT_TRUE(h.Settle().ok());
    EXPECT_TRUE(out.All().empty());
    // The end of input fires every window; the job finishes.
    ASSERT_TRUE(in.End().ok());
    EXPECT_EQ(out.Values(), (std::vector<Count>{{"a", 0, 1000, 1}, {"a", 2000, 3000, 1}, {"b", 2000, 3000, 1}}));
    EXPECT_TRUE(h.Finish().ok());  // finished already: its status again
    EXPECT_THROW(in.Send(Click{"late"}, 1), std::logic_error);
  }
}

TEST(HarnessTest, TwoInputsHoldTheWatermarkUntilBothAdvance) {
  Harness h({.parallelism = 2});
  auto left = h.Input<Click>("left");
  auto right = h.Input<Click>("right");
  auto out = h.Output(CountClicks(left.stream().Union("both", {right.stream()})), "counts");
  ASSERT_TRUE(h.Start().ok());
  left.Send(Click{"a"}, 10);
  right.SendToSplit(1, Click{"a"}, 20);
  ASSERT_TRUE(left.AdvanceWatermark(5000).ok());
  EXPECT_TRUE(out.All().empty());  // right still at its start
  ASSERT_TRUE(right.AdvanceWatermark(999).ok());
  EXPECT_EQ(out.Values(), (std::vector<Count>{{"a", 0, 1000, 2}}));
}

}  // namespace
}  // namespace rivulet::testing

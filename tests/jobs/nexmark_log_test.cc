// NEXMark events through the embedded log (jobs/nexmark/log_io.cc): what
// is written is read back, with event-time watermarks; a record that is
// not an event fails the job with a reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "jobs/nexmark/model.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "tests/test_util.h"

namespace rivulet::jobs::nexmark {
namespace {

// Order-free comparison: events sorted by their lines.
std::vector<std::string> Lines(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(std::visit([](const auto& v) { return ToLine(v); }, e));
  std::sort(out.begin(), out.end());
  return out;
}

TEST(NexmarkLogTest, EventsWrittenToTheLogAreReadBackAsTheyWere) {
  rivulet::testing::TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  GeneratorConfig c;
  c.events = 5000;
  const auto events = MakeEvents(c);
  ASSERT_TRUE(WriteEventsToLog(lm->get(), "nexmark", 3, events).ok());
  for (int p : {1, 2}) {
    operators::JobBuilder job;
    auto got = std::make_shared<operators::Collected<Event>>();
    FromLog(job, lm->get(), "nexmark").CollectInto("collect", got);
    operators::JobRunOptions o;
    o.parallelism = p;
    const Status st = job.Run(o);
    ASSERT_TRUE(st.ok()) << st.ToString();
    std::vector<Event> values = got->values();
    ASSERT_EQ(values.size(), events.size());
    EXPECT_EQ(Lines(values), Lines(events)) << "parallelism " << p;
    for (const auto& e : got->events) ASSERT_EQ(e.ts, EventTime(e.value));
  }
  ASSERT_TRUE((*lm)->Close().ok());
}

TEST(NexmarkLogTest, ARecordThatIsNoEventFailsTheJobSayingWhy) {
  rivulet::testing::TempDir dir;
  auto lm = log::LogManager::Open(dir / "data", {});
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  GeneratorConfig c;
  c.events = 10;
  ASSERT_TRUE(WriteEventsToLog(lm->get(), "nexmark", 1, MakeEvents(c)).ok());
  {
    log::Producer producer(lm->get(), {});
    // Field 1 as a varint where a message is expected: not a NexmarkEvent.
    const std::string bad("\x08\x01\x12\x03\xff\xff\xff", 7);
    ASSERT_TRUE(producer.Send("nexmark", std::nullopt, std::string_view(bad), nullptr, 0, 0).ok());
    ASSERT_TRUE(producer.Flush().ok());
  }
  operators::JobBuilder job;
  auto got = std::make_shared<operators::Collected<Event>>();
  FromLog(job, lm->get(), "nexmark").CollectInto("collect", got);
  operators::JobRunOptions o;
  o.parallelism = 1;
  const Status st = job.Run(o);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("NexmarkEvent"), std::string::npos) << st.ToString();
  ASSERT_TRUE((*lm)->Close().ok());
}

}  // namespace
}  // namespace rivulet::jobs::nexmark

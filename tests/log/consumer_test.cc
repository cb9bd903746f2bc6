// The embedded consumer without group membership (assign) and with commits:
// order, limits, auto_offset_reset, seek, commit / resume, auto-commit,
// offsets for times, retention under the reader, long poll wake-up, and a
// corrupt batch reported with a way past it; a group's leader assigning
// the partitions a topic grows.
#include "log/consumer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "log/group_coordinator.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/producer.h"
#include "log/segment.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;

void Produce(LogManager& lm, const std::string& topic, int from, int to, int64_t ts0 = -1) {
  Producer p(&lm);
  for (int i = from; i < to; ++i) {
    ASSERT_TRUE(p.Send(topic, std::nullopt, std::to_string(i), nullptr, 0, ts0 < 0 ? -1 : ts0 + i).ok());
  }
  ASSERT_TRUE(p.Flush().ok());
}

std::vector<int> Drain(Consumer& c, size_t want, int max_polls = 50) {
  std::vector<int> out;
  for (int i = 0; i < max_polls && out.size() < want; ++i) {
    auto recs = c.Poll(std::chrono::milliseconds(50));
    EXPECT_TRUE(recs.ok()) << recs.status().ToString();
    if (!recs.ok()) break;
    for (const auto& r : *recs) out.push_back(std::stoi(std::string(*r.value)));
  }
  return out;
}

std::vector<int> Range(int a, int b) {
  std::vector<int> v;
  for (int i = a; i < b; ++i) v.push_back(i);
  return v;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<LogManager> lm;
  explicit Fixture(LogOptions o = {}) {
    lm = std::move(LogManager::Open(dir.path(), o)).value();
    EXPECT_TRUE(lm->CreateTopic("t", 1).ok());
  }
  ConsumerConfig Config(const std::string& group = "", OffsetReset reset = OffsetReset::kEarliest) {
    ConsumerConfig c;
    c.group_id = group;
    c.auto_offset_reset = reset;
    c.enable_auto_commit = false;
    return c;
  }
};

TEST(ConsumerTest, AssignReadsInOrderWithinMaxPollRecords) {
  Fixture f;
  Produce(*f.lm, "t", 0, 1000);
  auto cfg = f.Config();
  cfg.max_poll_records = 64;
  Consumer c(f.lm.get(), cfg);
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  auto recs = c.Poll(std::chrono::milliseconds(100));
  ASSERT_TRUE(recs.ok());
  EXPECT_EQ(recs->size(), 64u);
  std::vector<int> all;
  for (const auto& r : *recs) all.push_back(std::stoi(std::string(*r.value)));
  auto rest = Drain(c, 1000 - 64);
  all.insert(all.end(), rest.begin(), rest.end());
  EXPECT_EQ(all, Range(0, 1000));
}

// PollEach hands over what Poll would return, in order, without collecting;
// a callback that throws leaves the position just after the last record it
// was given, so nothing is skipped or repeated.
TEST(ConsumerTest, PollEachGivesWhatPollGivesAndStopsWhereTheCallbackThrew) {
  Fixture f;
  Produce(*f.lm, "t", 0, 1000);
  auto cfg = f.Config();
  cfg.max_poll_records = 64;
  Consumer c(f.lm.get(), cfg);
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  std::vector<int> got;
  int64_t expect_offset = 0;
  auto n = c.PollEach(std::chrono::milliseconds(100), [&](const ConsumerRecord& r) {
    EXPECT_EQ(r.topic, "t");
    EXPECT_EQ(r.partition, 0);
    EXPECT_EQ(r.offset, expect_offset++);
    got.push_back(std::stoi(std::string(*r.value)));
  });
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 64u);  // max_poll_records, as Poll
  EXPECT_EQ(got, Range(0, 64));
  EXPECT_EQ(*c.Position({"t", 0}), 64);

  int calls = 0;
  EXPECT_THROW((void)c.PollEach(std::chrono::milliseconds(100),
                                [&](const ConsumerRecord& r) {
                                  if (++calls == 10) throw std::runtime_error("sink failed");
                                  got.push_back(std::stoi(std::string(*r.value)));
                                }),
               std::runtime_error);
  EXPECT_EQ(*c.Position({"t", 0}), 64 + 10);  // the 10th was given, then threw
  got.push_back(73);                          // what the failed callback held
  for (int i = 0; i < 40 && got.size() < 1000; ++i) {
    auto more = c.PollEach(std::chrono::milliseconds(50),
                           [&](const ConsumerRecord& r) { got.push_back(std::stoi(std::string(*r.value))); });
    ASSERT_TRUE(more.ok());
  }
  EXPECT_EQ(got, Range(0, 1000));
  auto end = c.PollEach(std::chrono::milliseconds(10), [&](const ConsumerRecord&) { ADD_FAILURE(); });
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, 0u);
}

TEST(ConsumerTest, RecordFieldsAndHeaders) {
  Fixture f;
  {
    Producer p(f.lm.get());
    std::vector<Header> hs = {{"trace", std::string("t-1")}, {"empty", std::nullopt}};
    ASSERT_TRUE(p.Send("t", std::string_view("key"), std::string_view("value"), nullptr, 0, 4242, hs).ok());
    ASSERT_TRUE(p.Send("t", std::nullopt, std::nullopt, nullptr, 0, 4243).ok());
    ASSERT_TRUE(p.Flush().ok());
  }
  Consumer c(f.lm.get(), f.Config());
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  auto recs = c.Poll(std::chrono::milliseconds(100));
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  const auto& r = (*recs)[0];
  EXPECT_EQ(r.topic, "t");
  EXPECT_EQ(r.offset, 0);
  EXPECT_EQ(r.timestamp, 4242);
  EXPECT_EQ(r.key, "key");
  EXPECT_EQ(r.value, "value");
  auto hs = r.headers();
  ASSERT_TRUE(hs.ok());
  ASSERT_EQ(hs->size(), 2u);
  EXPECT_EQ((*hs)[0].key, "trace");
  EXPECT_EQ((*hs)[0].value, "t-1");
  EXPECT_FALSE((*hs)[1].value.has_value());
  EXPECT_FALSE((*recs)[1].key.has_value());
  EXPECT_FALSE((*recs)[1].value.has_value());
  EXPECT_TRUE((*recs)[1].headers()->empty());
}

TEST(ConsumerTest, AutoOffsetReset) {
  Fixture f;
  Produce(*f.lm, "t", 0, 10);
  Consumer latest(f.lm.get(), f.Config("", OffsetReset::kLatest));
  ASSERT_TRUE(latest.Assign({{"t", 0}}).ok());
  EXPECT_EQ(*latest.Position({"t", 0}), 10);
  Consumer earliest(f.lm.get(), f.Config("", OffsetReset::kEarliest));
  ASSERT_TRUE(earliest.Assign({{"t", 0}}).ok());
  EXPECT_EQ(*earliest.Position({"t", 0}), 0);
  Consumer none(f.lm.get(), f.Config("g", OffsetReset::kNone));
  ASSERT_TRUE(none.Assign({{"t", 0}}).ok());
  auto r = none.Poll(std::chrono::milliseconds(10));
  EXPECT_EQ(r.status().code(), Errc::kOutOfRange);
  EXPECT_FALSE(ParseOffsetReset("sometimes").ok());
  EXPECT_EQ(*ParseOffsetReset("earliest"), OffsetReset::kEarliest);
}

TEST(ConsumerTest, SeekAndPosition) {
  Fixture f;
  Produce(*f.lm, "t", 0, 100);
  Consumer c(f.lm.get(), f.Config());
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  ASSERT_TRUE(c.Seek({"t", 0}, 90).ok());
  EXPECT_EQ(Drain(c, 10), Range(90, 100));
  EXPECT_EQ(*c.Position({"t", 0}), 100);
  ASSERT_TRUE(c.SeekToBeginning({}).ok());
  EXPECT_EQ(*c.Position({"t", 0}), 0);
  ASSERT_TRUE(c.SeekToEnd({{"t", 0}}).ok());
  EXPECT_EQ(*c.Position({"t", 0}), 100);
  EXPECT_EQ(c.Seek({"t", 5}, 1).code(), Errc::kInvalidArgument);
  EXPECT_EQ(c.Seek({"t", 0}, -3).code(), Errc::kInvalidArgument);
}

TEST(ConsumerTest, CommitAndResume) {
  Fixture f;
  Produce(*f.lm, "t", 0, 100);
  {
    auto cfg = f.Config("g");
    cfg.max_poll_records = 30;
    Consumer c(f.lm.get(), cfg);
    ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
    EXPECT_EQ(Drain(c, 30, 1), Range(0, 30));
    ASSERT_TRUE(c.CommitSync().ok());
    EXPECT_EQ(**c.Committed({"t", 0}), 30);
    ASSERT_TRUE(c.CommitSync({{{"t", 0}, 40}}).ok());
    EXPECT_EQ(**c.Committed({"t", 0}), 40);
  }
  Consumer again(f.lm.get(), f.Config("g"));
  ASSERT_TRUE(again.Assign({{"t", 0}}).ok());
  EXPECT_EQ(Drain(again, 60), Range(40, 100));
  Consumer nogroup(f.lm.get(), f.Config(""));
  EXPECT_EQ(nogroup.CommitSync({{{"t", 0}, 1}}).code(), Errc::kInvalidArgument);
}

TEST(ConsumerTest, CommitAsyncCallbackArrivesOnNextPoll) {
  Fixture f;
  Produce(*f.lm, "t", 0, 5);
  Consumer c(f.lm.get(), f.Config("g"));
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  EXPECT_EQ(Drain(c, 5).size(), 5u);
  bool called = false;
  c.CommitAsync([&](const Status& st) {
    EXPECT_TRUE(st.ok());
    called = true;
  });
  EXPECT_FALSE(called);
  ASSERT_TRUE(c.Poll(std::chrono::milliseconds(1)).ok());
  EXPECT_TRUE(called);
  EXPECT_EQ(**c.Committed({"t", 0}), 5);
}

TEST(ConsumerTest, AutoCommitOnIntervalAndClose) {
  Fixture f;
  Produce(*f.lm, "t", 0, 50);
  {
    auto cfg = f.Config("g");
    cfg.enable_auto_commit = true;
    cfg.auto_commit_interval_ms = 10;
    cfg.max_poll_records = 20;
    Consumer c(f.lm.get(), cfg);
    ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
    EXPECT_EQ(Drain(c, 20, 1).size(), 20u);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(c.Poll(std::chrono::milliseconds(1)).ok());  // commits 20 first
    EXPECT_GE(**c.Committed({"t", 0}), 20);
  }  // Close commits the position
  auto committed = f.lm->groups().FetchOffsets("g");
  EXPECT_EQ(committed.at({"t", 0}).offset, 40);
}

TEST(ConsumerTest, OffsetsForTimesAndEnds) {
  Fixture f;
  Produce(*f.lm, "t", 0, 100, 1'000'000);
  Consumer c(f.lm.get(), f.Config());
  auto o = c.OffsetsForTimes({{{"t", 0}, 1'000'042}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->at({"t", 0}), 42);
  o = c.OffsetsForTimes({{{"t", 0}, 9'000'000}});
  EXPECT_FALSE(o->at({"t", 0}).has_value());
  EXPECT_EQ(c.BeginningOffsets({{"t", 0}})->at({"t", 0}), 0);
  EXPECT_EQ(c.EndOffsets({{"t", 0}})->at({"t", 0}), 100);
  EXPECT_EQ(c.EndOffsets({{"nope", 0}}).status().code(), Errc::kNotFound);
}

TEST(ConsumerTest, PositionBehindRetentionResets) {
  LogOptions o;
  o.default_topic_config.segment_bytes = 1024;
  o.default_topic_config.retention_bytes = 2048;
  Fixture f(o);
  Produce(*f.lm, "t", 0, 10);
  Consumer c(f.lm.get(), f.Config());
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  EXPECT_EQ(*c.Position({"t", 0}), 0);
  for (int round = 0; round < 20; ++round) Produce(*f.lm, "t", 10 + round * 20, 30 + round * 20);
  ASSERT_TRUE(f.lm->RunRetention().ok());
  auto part = f.lm->GetPartition({"t", 0});
  const int64_t start = (*part)->log_start_offset();
  ASSERT_GT(start, 0);
  auto got = Drain(c, 1);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.front(), start);  // reset to earliest, not an error
}

TEST(ConsumerTest, PollWakesWhenDataArrives) {
  Fixture f;
  Consumer c(f.lm.get(), f.Config("", OffsetReset::kLatest));
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  EXPECT_EQ(*c.Position({"t", 0}), 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Produce(*f.lm, "t", 7, 8);
  });
  const auto start = std::chrono::steady_clock::now();
  auto recs = c.Poll(std::chrono::seconds(20));
  writer.join();
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].value, "7");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ConsumerTest, CorruptBatchIsReportedAndCanBeSkipped) {
  TempDir dir;
  std::string segment;
  {
    auto lm = std::move(LogManager::Open(dir.path())).value();
    ASSERT_TRUE(lm->CreateTopic("t", 1, {{"segment.bytes", "200"}}).ok());
    for (int b = 0; b < 6; ++b) {
      std::string batch = testing::MakeBatch({std::to_string(b * 2), std::to_string(b * 2 + 1)});
      ASSERT_TRUE(lm->Append({"t", 0}, std::span<char>(batch.data(), batch.size()), true).ok());
    }
    auto p = lm->GetPartition({"t", 0});
    ASSERT_GT((*p)->segment_count(), 1u);
  }
  // Flip a byte in the body of the first batch of the first (closed) segment.
  segment = dir.path() + "/topics/t/0/" + Segment::FileName(0);
  {
    std::fstream fs(segment, std::ios::in | std::ios::out | std::ios::binary);
    fs.seekp(70);
    fs.put('\x7f');
  }
  auto lm = std::move(LogManager::Open(dir.path())).value();
  ConsumerConfig cfg;
  cfg.auto_offset_reset = OffsetReset::kEarliest;
  cfg.enable_auto_commit = false;
  Consumer c(lm.get(), cfg);
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  auto r = c.Poll(std::chrono::milliseconds(50));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Errc::kCorruption);
  EXPECT_NE(r.status().message().find("t-0 at offset 0"), std::string::npos) << r.status().message();
  ASSERT_TRUE(c.Seek({"t", 0}, 2).ok());
  EXPECT_EQ(Drain(c, 10), Range(2, 12));
}

// A poll that reads good records and then reaches a corrupt batch returns
// the good ones (its positions moved past them: dropping them lost them);
// the next poll reports the corruption.
TEST(ConsumerTest, RecordsBeforeACorruptBatchAreDeliveredThenTheErrorComes) {
  TempDir dir;
  {
    auto lm = std::move(LogManager::Open(dir.path())).value();
    ASSERT_TRUE(lm->CreateTopic("t", 1).ok());
    // Batch 2 is corrupt (CRC mismatch, framing intact); batch 3 behind it
    // keeps recovery from taking it for a torn tail.
    for (int b = 0; b < 4; ++b) {
      std::string batch = testing::MakeBatch({std::to_string(b * 2), std::to_string(b * 2 + 1)});
      if (b == 2) batch[batch.size() - 1] ^= 0x20;
      ASSERT_TRUE(lm->Append({"t", 0}, std::span<char>(batch.data(), batch.size()), /*validate=*/false).ok());
    }
  }
  auto lm = std::move(LogManager::Open(dir.path())).value();
  ConsumerConfig cfg;
  cfg.auto_offset_reset = OffsetReset::kEarliest;
  cfg.enable_auto_commit = false;
  Consumer c(lm.get(), cfg);
  ASSERT_TRUE(c.Assign({{"t", 0}}).ok());
  auto first = c.Poll(std::chrono::milliseconds(50));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 4u);
  EXPECT_EQ((*first)[3].offset, 3);
  EXPECT_EQ(*c.Position({"t", 0}), 4);
  auto second = c.Poll(std::chrono::milliseconds(50));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Errc::kCorruption);
  EXPECT_NE(second.status().message().find("t-0 at offset 4"), std::string::npos) << second.status().message();
}

// A topic grown under a group (CreatePartitions, `topics --alter`): the
// leader notices at its next heartbeat and rebalances, so the new
// partitions are read without a restart.
TEST(ConsumerTest, GroupReadsPartitionsAddedWhileItRuns) {
  Fixture f;
  ConsumerConfig cc = f.Config("grow");
  cc.heartbeat_interval_ms = 100;
  Consumer c(f.lm.get(), cc);
  ASSERT_TRUE(c.Subscribe({"t"}).ok());
  Produce(*f.lm, "t", 0, 3);
  EXPECT_EQ(Drain(c, 3), Range(0, 3));
  ASSERT_TRUE(c.CommitSync().ok());  // else the rebalance hands partition 0 back from the start
  ASSERT_TRUE(f.lm->AddPartitions("t", 3).ok());
  Producer p(f.lm.get());
  ASSERT_TRUE(p.Send("t", std::nullopt, "100", nullptr, 2).ok());
  ASSERT_TRUE(p.Flush().ok());
  EXPECT_EQ(Drain(c, 1, 100), std::vector<int>{100});
  EXPECT_EQ(c.assignment().size(), 3u);
}

}  // namespace
}  // namespace rivulet::log

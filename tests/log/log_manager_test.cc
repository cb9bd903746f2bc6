// LogManager: data-directory ownership (lock file), topic create / list /
// describe / delete and their persistence, unknown topics, bad input, and
// changes to a topic: more partitions (AddPartitions) and other settings
// (AlterTopicConfig), both kept across restarts.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "log/group_coordinator.h"
#include "log/log_manager.h"
#include "log/murmur2.h"
#include "log/partition.h"
#include "log/producer.h"
#include "log/topic_config.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;

TEST(LogManagerTest, SecondOwnerGetsClearErrorNamingThePid) {
  TempDir dir;
  auto a = LogManager::Open(dir.path());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  // flock is per open file description: a second Open in the same process
  // conflicts just as another process would.
  auto b = LogManager::Open(dir.path());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), Errc::kLocked);
  EXPECT_NE(b.status().message().find("process " + std::to_string(::getpid())), std::string::npos)
      << b.status().message();
  // From another process too.
  pid_t pid = ::fork();
  if (pid == 0) {
    auto c = LogManager::Open(dir.path());
    ::_exit(!c.ok() && c.status().code() == Errc::kLocked ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Released on close.
  ASSERT_TRUE((*a)->Close().ok());
  auto d = LogManager::Open(dir.path());
  EXPECT_TRUE(d.ok()) << d.status().ToString();
}

TEST(LogManagerTest, TopicsPersistAcrossRestart) {
  TempDir dir;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("orders", 3, {{"retention.ms", "1000"}}).ok());
    ASSERT_TRUE((*lm)->CreateTopic("clicks", 1).ok());
    std::string batch = testing::MakeBatch({"a", "b", "c"});
    ASSERT_TRUE((*lm)->Append({"orders", 2}, std::span<char>(batch.data(), batch.size()), true).ok());
  }
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  EXPECT_EQ((*lm)->ListTopics(), (std::vector<std::string>{"clicks", "orders"}));
  auto d = (*lm)->DescribeTopic("orders");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->partitions.size(), 3u);
  EXPECT_EQ(d->partitions[2].log_end_offset, 3);
  EXPECT_EQ(d->partitions[0].log_end_offset, 0);
  EXPECT_GT(d->partitions[2].size_bytes, 0u);
  EXPECT_EQ(d->configs.at("retention.ms"), "1000");
  EXPECT_EQ(d->configs.at("segment.bytes"), std::to_string(1LL << 30));
}

TEST(LogManagerTest, CreateRejectsBadInput) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  EXPECT_EQ((*lm)->CreateTopic("t", 0).code(), Errc::kInvalidArgument);
  EXPECT_EQ((*lm)->CreateTopic("t", -3).code(), Errc::kInvalidArgument);
  EXPECT_EQ((*lm)->CreateTopic("", 1).code(), Errc::kInvalidArgument);
  EXPECT_EQ((*lm)->CreateTopic("a/b", 1).code(), Errc::kInvalidArgument);
  EXPECT_EQ((*lm)->CreateTopic("..", 1).code(), Errc::kInvalidArgument);
  EXPECT_EQ((*lm)->CreateTopic(std::string(250, 'x'), 1).code(), Errc::kInvalidArgument);
  EXPECT_EQ((*lm)->CreateTopic("t", 1, {{"no.such.config", "1"}}).code(), Errc::kInvalidArgument);
  EXPECT_EQ((*lm)->CreateTopic("t", 1, {{"segment.bytes", "-5"}}).code(), Errc::kInvalidArgument);
  EXPECT_TRUE((*lm)->ListTopics().empty()) << "a failed create left a topic behind";
  ASSERT_TRUE((*lm)->CreateTopic("t", 2).ok());
  EXPECT_EQ((*lm)->CreateTopic("t", 2).code(), Errc::kAlreadyExists);
}

TEST(LogManagerTest, UnknownTopicsAndPartitions) {
  TempDir dir;
  LogOptions opts;
  opts.auto_create_topics = false;
  auto lm = LogManager::Open(dir.path(), opts);
  ASSERT_TRUE(lm.ok());
  EXPECT_EQ((*lm)->PartitionCount("nope", true).status().code(), Errc::kNotFound);
  EXPECT_EQ((*lm)->GetPartition({"nope", 0}).status().code(), Errc::kNotFound);
  EXPECT_EQ((*lm)->DescribeTopic("nope").status().code(), Errc::kNotFound);
  EXPECT_EQ((*lm)->DeleteTopic("nope").code(), Errc::kNotFound);
  ASSERT_TRUE((*lm)->CreateTopic("t", 2).ok());
  EXPECT_EQ((*lm)->GetPartition({"t", 2}).status().code(), Errc::kNotFound);
  EXPECT_EQ((*lm)->GetPartition({"t", -1}).status().code(), Errc::kNotFound);
  EXPECT_NE((*lm)->GetPartition({"t", 2}).status().message().find("no partition 2"), std::string::npos);
}

TEST(LogManagerTest, AutoCreateUsesDefaultPartitions) {
  TempDir dir;
  LogOptions opts;
  opts.default_partitions = 4;
  auto lm = LogManager::Open(dir.path(), opts);
  ASSERT_TRUE(lm.ok());
  EXPECT_EQ((*lm)->PartitionCount("auto", false).status().code(), Errc::kNotFound);
  auto n = (*lm)->PartitionCount("auto", true);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4);
}

TEST(LogManagerTest, DeleteRemovesDataAndOffsets) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("gone", 2).ok());
  std::string batch = testing::MakeBatch({"x"});
  ASSERT_TRUE((*lm)->Append({"gone", 0}, std::span<char>(batch.data(), batch.size()), true).ok());
  ASSERT_TRUE((*lm)->groups().CommitOffsets("g", "", -1, {{{"gone", 0}, {1, "", 0}}}).ok());
  ASSERT_TRUE((*lm)->DeleteTopic("gone").ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/topics/gone"));
  EXPECT_TRUE((*lm)->groups().FetchOffsets("g").empty());
  // The name can be reused, starting from offset 0.
  ASSERT_TRUE((*lm)->CreateTopic("gone", 1).ok());
  auto p = (*lm)->GetPartition({"gone", 0});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->log_end_offset(), 0);
}

TEST(LogManagerTest, InterruptedCreateAndDeleteAreCleanedUp) {
  TempDir dir;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok());
  }
  // A topic folder without topic.meta (crash during create) and a
  // half-deleted one.
  std::filesystem::create_directories(dir.path() + "/topics/half/0");
  std::filesystem::create_directories(dir.path() + "/topics/.deleting-old-123/0");
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  EXPECT_TRUE((*lm)->ListTopics().empty());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/topics/half"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/topics/.deleting-old-123"));
}

TEST(LogManagerTest, CorruptTopicMetadataIsAClearError) {
  TempDir dir;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("t", 1).ok());
  }
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/topics/t/topic.meta", "\xff\xff\xff garbage").ok());
  auto lm = LogManager::Open(dir.path());
  ASSERT_FALSE(lm.ok());
  EXPECT_EQ(lm.status().code(), Errc::kCorruption);
  EXPECT_NE(lm.status().message().find("topic.meta"), std::string::npos);
}

TEST(LogManagerTest, FlushMsPolicyFsyncsInBackground) {
  TempDir dir;
  LogOptions opts;
  opts.flush_check_interval_ms = 10;
  auto lm = LogManager::Open(dir.path(), opts);
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 1, {{"flush.ms", "20"}, {"flush.messages", "1000000"}}).ok());
  std::string batch = testing::MakeBatch({"a"});
  ASSERT_TRUE((*lm)->Append({"t", 0}, std::span<char>(batch.data(), batch.size()), true).ok());
  auto p = (*lm)->GetPartition({"t", 0});
  EXPECT_EQ((*p)->unflushed_messages(), 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*p)->unflushed_messages() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ((*p)->unflushed_messages(), 0) << "flush.ms did not trigger a background fsync";
}

TEST(LogManagerTest, FlushMessagesPolicyFsyncsOnAppend) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 1, {{"flush.messages", "3"}}).ok());
  auto p = (*lm)->GetPartition({"t", 0});
  std::string two = testing::MakeBatch({"a", "b"});
  ASSERT_TRUE((*lm)->Append({"t", 0}, std::span<char>(two.data(), two.size()), true).ok());
  EXPECT_EQ((*p)->unflushed_messages(), 2);
  std::string one = testing::MakeBatch({"c"});
  ASSERT_TRUE((*lm)->Append({"t", 0}, std::span<char>(one.data(), one.size()), true).ok());
  EXPECT_EQ((*p)->unflushed_messages(), 0);
}

TEST(LogManagerTest, DataVersionWakesWaiters) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 1).ok());
  const uint64_t v = (*lm)->data_version();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::string batch = testing::MakeBatch({"a"});
    (void)(*lm)->Append({"t", 0}, std::span<char>(batch.data(), batch.size()), true);
  });
  const auto start = std::chrono::steady_clock::now();
  (*lm)->WaitForData(v, start + std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE((*lm)->data_version(), v);
  writer.join();
}


Status AppendTo(LogManager& lm, const TopicPartition& tp, const std::vector<std::string>& values) {
  std::string batch = testing::MakeBatch(values, NowMs());  // not yet past retention.ms
  return lm.Append(tp, std::span<char>(batch.data(), batch.size()), true).status();
}

TEST(LogManagerTest, AddPartitionsGrowsATopicAndPersists) {
  TempDir dir;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("t", 2, {{"retention.ms", "1000"}}).ok());
    ASSERT_TRUE(AppendTo(**lm, {"t", 1}, {"a", "b", "c"}).ok());
    auto held = (*lm)->GetPartition({"t", 1});
    ASSERT_TRUE(held.ok());

    ASSERT_TRUE((*lm)->AddPartitions("t", 5).ok());
    EXPECT_EQ(*(*lm)->PartitionCount("t"), 5);
    auto d = (*lm)->DescribeTopic("t");
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->partitions.size(), 5u);
    for (int32_t p = 0; p < 5; ++p) EXPECT_EQ(d->partitions[static_cast<size_t>(p)].partition, p);
    EXPECT_EQ(d->partitions[1].log_end_offset, 3);
    for (size_t p = 2; p < 5; ++p) EXPECT_EQ(d->partitions[p].log_end_offset, 0) << p;
    EXPECT_EQ(d->configs.at("retention.ms"), "1000");
    EXPECT_EQ(*(*lm)->TopicOverrides("t"), (std::map<std::string, std::string>{{"retention.ms", "1000"}}));
    // The existing partitions are the same objects, still in use.
    EXPECT_EQ((*lm)->GetPartition({"t", 1})->get(), held->get());
    EXPECT_EQ((*lm)->GetPartition({"t", 5}).status().code(), Errc::kNotFound);
    ASSERT_TRUE(AppendTo(**lm, {"t", 4}, {"new"}).ok());
    ASSERT_TRUE(AppendTo(**lm, {"t", 1}, {"d"}).ok());
  }
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  EXPECT_EQ(*(*lm)->PartitionCount("t"), 5);
  auto d = (*lm)->DescribeTopic("t");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->partitions.size(), 5u);
  EXPECT_EQ(d->partitions[1].log_end_offset, 4);
  EXPECT_EQ(d->partitions[4].log_end_offset, 1);
  EXPECT_EQ(d->configs.at("retention.ms"), "1000");
  auto recs = testing::ReadAll(**lm, {"t", 4});
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].value, "new");
  // And it grows again from there.
  ASSERT_TRUE((*lm)->AddPartitions("t", 6).ok());
  EXPECT_EQ(*(*lm)->PartitionCount("t"), 6);
}

TEST(LogManagerTest, AddPartitionsOnlyGrows) {
  TempDir dir;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("t", 3).ok());
    for (int32_t n : {3, 2, 1, 0, -1}) {
      Status st = (*lm)->AddPartitions("t", n);
      EXPECT_EQ(st.code(), Errc::kInvalidArgument) << n;
      EXPECT_NE(st.message().find("has 3 partitions"), std::string::npos) << st.message();
    }
    Status huge = (*lm)->AddPartitions("t", 100001);
    EXPECT_EQ(huge.code(), Errc::kInvalidArgument);
    EXPECT_NE(huge.message().find("100001"), std::string::npos) << huge.message();
    EXPECT_EQ(*(*lm)->PartitionCount("t"), 3);
    EXPECT_EQ((*lm)->AddPartitions("nope", 4).code(), Errc::kNotFound);
    EXPECT_EQ((*lm)->PartitionCount("nope").status().code(), Errc::kNotFound);
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/topics/t/3"));
  }
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  EXPECT_EQ(*(*lm)->PartitionCount("t"), 3);
}

// Which partition each key landed in, read back from the log.
std::map<std::string, int32_t> KeysByPartition(const LogManager& lm, const std::string& topic, int32_t n) {
  std::map<std::string, int32_t> out;
  for (int32_t p = 0; p < n; ++p) {
    auto recs = testing::ReadAll(lm, {topic, p});
    EXPECT_TRUE(recs.ok()) << recs.status().ToString();
    if (!recs.ok()) continue;
    for (const auto& r : *recs) out[r.key] = p;
  }
  return out;
}

TEST(LogManagerTest, KeyedProduceSpreadsOverTheNewPartitionCount) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 1).ok());
  // A producer that knew the topic before it grew, and one that did not.
  Producer before(lm->get());
  ASSERT_TRUE(before.Send("t", "warm-up", "0").ok());
  ASSERT_TRUE(before.Flush().ok());
  ASSERT_TRUE((*lm)->AddPartitions("t", 4).ok());
  Producer after(lm->get());
  for (int i = 0; i < 100; ++i) {
    const std::string a = "after-" + std::to_string(i);
    const std::string b = "before-" + std::to_string(i);
    ASSERT_TRUE(after.Send("t", a, a).ok());
    ASSERT_TRUE(before.Send("t", b, b).ok());
  }
  ASSERT_TRUE(after.Flush().ok());
  ASSERT_TRUE(before.Flush().ok());

  const auto landed = KeysByPartition(**lm, "t", 4);
  ASSERT_EQ(landed.size(), 201u);
  EXPECT_EQ(landed.at("warm-up"), 0);
  std::set<int32_t> used_after, used_before;
  for (int i = 0; i < 100; ++i) {
    const std::string a = "after-" + std::to_string(i);
    const std::string b = "before-" + std::to_string(i);
    EXPECT_EQ(landed.at(a), PartitionForKey(a, 4)) << a;
    EXPECT_EQ(landed.at(b), PartitionForKey(b, 4)) << b << " hashed over the old partition count";
    used_after.insert(landed.at(a));
    used_before.insert(landed.at(b));
  }
  EXPECT_EQ(used_after.size(), 4u);
  EXPECT_EQ(used_before.size(), 4u);
}

TEST(LogManagerTest, AlterTopicConfigRefusesBadSettingsAndChangesNothing) {
  TempDir dir;
  std::map<std::string, std::string> configs;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("t", 2, {{"retention.ms", "1000"}}).ok());
    configs = (*lm)->DescribeTopic("t")->configs;
    for (const auto& bad : std::vector<std::map<std::string, std::string>>{
             {{"segment.bytes", "10"}},
             {{"retention.ms", "abc"}},
             {{"retention.ms", "5000"}, {"segment.bytes", "-1"}},  // a good one beside a bad one
             {{"retention.ms", "5000"}, {"no.such.config", "1"}}}) {
      Status st = (*lm)->AlterTopicConfig("t", bad);
      EXPECT_EQ(st.code(), Errc::kInvalidArgument) << st.ToString();
      EXPECT_EQ((*lm)->DescribeTopic("t")->configs, configs) << st.ToString();
      EXPECT_EQ(*(*lm)->TopicOverrides("t"), (std::map<std::string, std::string>{{"retention.ms", "1000"}}));
    }
    EXPECT_EQ((*lm)->AlterTopicConfig("nope", {{"retention.ms", "5"}}).code(), Errc::kNotFound);
    EXPECT_EQ((*lm)->AlterTopicConfig("nope", {}).code(), Errc::kNotFound);
    EXPECT_EQ((*lm)->TopicOverrides("nope").status().code(), Errc::kNotFound);
  }
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  EXPECT_EQ((*lm)->DescribeTopic("t")->configs, configs);
  EXPECT_EQ(*(*lm)->TopicOverrides("t"), (std::map<std::string, std::string>{{"retention.ms", "1000"}}));
  EXPECT_EQ(*(*lm)->PartitionCount("t"), 2);
}

TEST(LogManagerTest, AlterTopicConfigReplacesTheOverridesAndSurvivesRestart) {
  TempDir dir;
  LogOptions opts;
  opts.default_topic_config.retention_ms = 86400000;  // the broker's own default, not Kafka's
  const std::map<std::string, std::string> overrides = {{"max.message.bytes", "300"},
                                                        {"retention.bytes", "5000"}};
  const std::vector<std::string> big = {std::string(1000, 'x')};
  {
    auto lm = LogManager::Open(dir.path(), opts);
    ASSERT_TRUE(lm.ok());
    ASSERT_TRUE((*lm)->CreateTopic("t", 2, {{"retention.ms", "1000"}}).ok());
    ASSERT_TRUE(AppendTo(**lm, {"t", 0}, big).ok());
    ASSERT_TRUE((*lm)->AlterTopicConfig("t", overrides).ok());
    auto d = (*lm)->DescribeTopic("t");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->configs.at("max.message.bytes"), "300");
    EXPECT_EQ(d->configs.at("retention.bytes"), "5000");
    EXPECT_EQ(d->configs.at("retention.ms"), "86400000") << "the old override stayed";
    EXPECT_EQ(*(*lm)->TopicOverrides("t"), overrides);
    // Applied to every partition at once.
    for (int32_t p : {0, 1}) EXPECT_EQ(AppendTo(**lm, {"t", p}, big).code(), Errc::kMessageTooLarge) << p;
    ASSERT_TRUE(AppendTo(**lm, {"t", 1}, {"small"}).ok());
    // Kept with more partitions.
    ASSERT_TRUE((*lm)->AddPartitions("t", 3).ok());
    EXPECT_EQ(AppendTo(**lm, {"t", 2}, big).code(), Errc::kMessageTooLarge);
  }
  {
    auto lm = LogManager::Open(dir.path(), opts);
    ASSERT_TRUE(lm.ok()) << lm.status().ToString();
    EXPECT_EQ(*(*lm)->PartitionCount("t"), 3);
    EXPECT_EQ(*(*lm)->TopicOverrides("t"), overrides);
    auto d = (*lm)->DescribeTopic("t");
    EXPECT_EQ(d->configs.at("max.message.bytes"), "300");
    EXPECT_EQ(d->configs.at("retention.ms"), "86400000");
    for (int32_t p : {0, 1, 2}) EXPECT_EQ(AppendTo(**lm, {"t", p}, big).code(), Errc::kMessageTooLarge) << p;

    // An empty map: back to the defaults (the broker's).
    ASSERT_TRUE((*lm)->AlterTopicConfig("t", {}).ok());
    EXPECT_TRUE((*lm)->TopicOverrides("t")->empty());
    EXPECT_EQ((*lm)->DescribeTopic("t")->configs, opts.default_topic_config.ToMap());
    for (int32_t p : {0, 1, 2}) EXPECT_TRUE(AppendTo(**lm, {"t", p}, big).ok()) << p;
  }
  auto lm = LogManager::Open(dir.path(), opts);
  ASSERT_TRUE(lm.ok());
  EXPECT_TRUE((*lm)->TopicOverrides("t")->empty());
  EXPECT_EQ((*lm)->DescribeTopic("t")->configs, opts.default_topic_config.ToMap());
  EXPECT_EQ(*(*lm)->PartitionCount("t"), 3);
}

TEST(LogManagerTest, AlteredRetentionAppliesOnTheNextRun) {
  TempDir dir;
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok());
  ASSERT_TRUE((*lm)->CreateTopic("t", 1, {{"segment.bytes", "1024"}}).ok());
  const TopicPartition tp{"t", 0};
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(AppendTo(**lm, tp, {"value-" + std::to_string(i)}).ok());
  auto p = (*lm)->GetPartition(tp);
  ASSERT_TRUE(p.ok());
  const size_t segments = (*p)->segment_count();
  ASSERT_GT(segments, 4u);
  ASSERT_TRUE((*lm)->RunRetention().ok());
  ASSERT_EQ((*p)->log_start_offset(), 0) << "deleted before any retention was set";

  ASSERT_TRUE((*lm)->AlterTopicConfig("t", {{"segment.bytes", "1024"}, {"retention.bytes", "3000"}}).ok());
  ASSERT_TRUE((*lm)->RunRetention().ok());
  EXPECT_LT((*p)->segment_count(), segments);
  EXPECT_GT((*p)->log_start_offset(), 0);
  EXPECT_LT((*p)->size_bytes(), 3000u + 1024u);
  auto d = (*lm)->DescribeTopic("t");
  EXPECT_EQ(d->partitions[0].log_start_offset, (*p)->log_start_offset());
  auto rest = testing::ReadAll(**lm, tp, (*p)->log_start_offset());
  ASSERT_TRUE(rest.ok());
  ASSERT_FALSE(rest->empty());
  EXPECT_EQ(rest->back().value, "value-99");
}

}  // namespace
}  // namespace rivulet::log

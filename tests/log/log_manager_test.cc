// LogManager: data-directory ownership (lock file), topic create / list /
// describe / delete and their persistence, unknown topics, bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "log/group_coordinator.h"
#include "log/log_manager.h"
#include "log/partition.h"
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

}  // namespace
}  // namespace rivulet::log

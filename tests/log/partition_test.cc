// Partitions: offsets across appends and segments, validation on append,
// rolling by size and age, retention by bytes and time, reopening, reads
// out of range, and a random operation sequence checked against a model.
#include "log/partition.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;

std::unique_ptr<Partition> OpenPartition(const std::string& dir, TopicConfig cfg = {}) {
  auto p = Partition::Open(dir, {"t", 0}, cfg, nullptr);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(p).value();
}

Result<AppendInfo> AppendValues(Partition& p, const std::vector<std::string>& values, int64_t ts0 = 1000) {
  std::string b = testing::MakeBatch(values, ts0);
  return p.Append(std::span<char>(b.data(), b.size()), true);
}

std::vector<std::string> ReadValues(Partition& p, int64_t from = 0) {
  std::vector<std::string> out;
  int64_t next = from;
  for (;;) {
    auto r = p.Read(next, 4096);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->bytes.empty()) break;
    auto recs = testing::DecodeAll(r->bytes);
    EXPECT_TRUE(recs.ok());
    for (auto& rec : *recs) {
      if (rec.offset < next) continue;
      EXPECT_EQ(rec.offset, next);
      next = rec.offset + 1;
      out.push_back(rec.value);
    }
  }
  return out;
}

TEST(PartitionTest, OffsetsAreConsecutive) {
  TempDir dir;
  auto p = OpenPartition(dir.path());
  auto a = AppendValues(*p, {"a", "b", "c"});
  auto b = AppendValues(*p, {"d"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->base_offset, 0);
  EXPECT_EQ(a->last_offset, 2);
  EXPECT_EQ(b->base_offset, 3);
  EXPECT_EQ(p->log_end_offset(), 4);
  EXPECT_EQ(ReadValues(*p), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(ReadValues(*p, 2), (std::vector<std::string>{"c", "d"}));
}

TEST(PartitionTest, ValidationRejectsCorruptBatchesAndWritesNothing) {
  TempDir dir;
  auto p = OpenPartition(dir.path());
  ASSERT_TRUE(AppendValues(*p, {"ok"}).ok());
  std::string b = testing::MakeBatch({"x", "y"});
  b[b.size() - 2] ^= 1;
  auto r = p->Append(std::span<char>(b.data(), b.size()), true);
  EXPECT_EQ(r.status().code(), Errc::kCorruption);
  std::string trunc = testing::MakeBatch({"x"});
  trunc.resize(trunc.size() - 3);
  EXPECT_EQ(p->Append(std::span<char>(trunc.data(), trunc.size()), true).status().code(), Errc::kCorruption);
  EXPECT_EQ(p->log_end_offset(), 1);
  EXPECT_EQ(ReadValues(*p), (std::vector<std::string>{"ok"}));
}

TEST(PartitionTest, MessageTooLarge) {
  TempDir dir;
  TopicConfig cfg;
  cfg.max_message_bytes = 200;
  auto p = OpenPartition(dir.path(), cfg);
  EXPECT_EQ(AppendValues(*p, {std::string(500, 'x')}).status().code(), Errc::kMessageTooLarge);
  EXPECT_TRUE(AppendValues(*p, {"small"}).ok());
}

TEST(PartitionTest, RollsBySizeAndReadsAcrossSegments) {
  TempDir dir;
  TopicConfig cfg;
  cfg.segment_bytes = 1024;
  auto p = OpenPartition(dir.path(), cfg);
  std::vector<std::string> expect;
  for (int i = 0; i < 200; ++i) {
    expect.push_back("value-" + std::to_string(i));
    ASSERT_TRUE(AppendValues(*p, {expect.back()}).ok());
  }
  EXPECT_GT(p->segment_count(), 5u);
  EXPECT_EQ(ReadValues(*p), expect);
  // Reopen: same records, appends continue at the right offset.
  ASSERT_TRUE(p->Close().ok());
  p = OpenPartition(dir.path(), cfg);
  EXPECT_EQ(p->log_end_offset(), 200);
  EXPECT_EQ(ReadValues(*p), expect);
  auto more = AppendValues(*p, {"after"});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->base_offset, 200);
}

TEST(PartitionTest, RollsByAge) {
  TempDir dir;
  TopicConfig cfg;
  cfg.segment_ms = 1;
  auto p = OpenPartition(dir.path(), cfg);
  ASSERT_TRUE(AppendValues(*p, {"a"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(AppendValues(*p, {"b"}).ok());
  EXPECT_EQ(p->segment_count(), 2u);
}

TEST(PartitionTest, ReadOutOfRange) {
  TempDir dir;
  auto p = OpenPartition(dir.path());
  ASSERT_TRUE(AppendValues(*p, {"a", "b"}).ok());
  EXPECT_EQ(p->Read(3, 100).status().code(), Errc::kOutOfRange);
  EXPECT_EQ(p->Read(-1, 100).status().code(), Errc::kOutOfRange);
  auto end = p->Read(2, 100);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->bytes.empty());
  EXPECT_EQ(end->high_watermark, 2);
}

TEST(PartitionTest, RetentionBytesDeletesWholeOldSegments) {
  TempDir dir;
  TopicConfig cfg;
  cfg.segment_bytes = 1024;
  cfg.retention_bytes = 3000;
  auto p = OpenPartition(dir.path(), cfg);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(AppendValues(*p, {"value-" + std::to_string(i)}, NowMs()).ok());
  const uint64_t before = p->size_bytes();
  auto r = p->ApplyRetention(NowMs());
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->segments_deleted, 0);
  EXPECT_LE(p->size_bytes(), before - r->bytes_deleted);
  EXPECT_LT(p->size_bytes(), 3000u + 1024u);
  const int64_t start = p->log_start_offset();
  EXPECT_GT(start, 0);
  auto values = ReadValues(*p, start);
  ASSERT_FALSE(values.empty());
  EXPECT_EQ(values.front(), "value-" + std::to_string(start));
  EXPECT_EQ(values.back(), "value-99");
  EXPECT_EQ(p->Read(0, 100).status().code(), Errc::kOutOfRange);
}

TEST(PartitionTest, RetentionMsDeletesExpiredSegmentsIncludingTheActiveOne) {
  TempDir dir;
  TopicConfig cfg;
  cfg.segment_bytes = 1024;
  cfg.retention_ms = 60000;
  auto p = OpenPartition(dir.path(), cfg);
  const int64_t old_ts = NowMs() - 3600 * 1000;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(AppendValues(*p, {"old-" + std::to_string(i)}, old_ts).ok());
  auto r = p->ApplyRetention(NowMs());
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->segments_deleted, 0);
  EXPECT_EQ(p->log_start_offset(), 50);
  EXPECT_EQ(p->log_end_offset(), 50);
  auto next = AppendValues(*p, {"new"}, NowMs());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->base_offset, 50);
  // Fresh records are kept.
  r = p->ApplyRetention(NowMs());
  EXPECT_EQ(r->segments_deleted, 0);
  EXPECT_EQ(ReadValues(*p, 50), (std::vector<std::string>{"new"}));
}

TEST(PartitionTest, OffsetForTimestampAcrossSegments) {
  TempDir dir;
  TopicConfig cfg;
  cfg.segment_bytes = 1024;
  auto p = OpenPartition(dir.path(), cfg);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(AppendValues(*p, {"v" + std::to_string(i)}, 10000 + i * 100).ok());
  EXPECT_EQ(*p->OffsetForTimestamp(0), 0);
  EXPECT_EQ(*p->OffsetForTimestamp(10000 + 57 * 100), 57);
  EXPECT_EQ(*p->OffsetForTimestamp(10000 + 57 * 100 - 50), 57);
  EXPECT_EQ(*p->OffsetForTimestamp(10000 + 1000 * 100), -1);
}

TEST(PartitionTest, LogAppendTime) {
  TempDir dir;
  TopicConfig cfg;
  cfg.log_append_time = true;
  auto p = OpenPartition(dir.path(), cfg);
  const int64_t before = NowMs();
  auto info = AppendValues(*p, {"a"}, 5);
  ASSERT_TRUE(info.ok());
  EXPECT_GE(info->log_append_time, before);
  auto r = p->Read(0, 100);
  auto recs = testing::DecodeAll(r->bytes);
  ASSERT_TRUE(recs.ok());
  EXPECT_EQ((*recs)[0].timestamp, info->log_append_time);
}

TEST(PartitionTest, RandomOperationsMatchAModel) {
  TempDir dir;
  TopicConfig cfg;
  cfg.segment_bytes = 2048;
  cfg.index_interval_bytes = 128;
  std::mt19937 rng(4242);
  auto p = OpenPartition(dir.path(), cfg);
  std::vector<std::string> model;  // value at each offset
  int64_t start = 0;
  for (int op = 0; op < 3000; ++op) {
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 60) {
      std::vector<std::string> vals;
      const int n = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < n; ++i) vals.push_back("r" + std::to_string(model.size() + vals.size()));
      auto info = AppendValues(*p, vals, NowMs());
      ASSERT_TRUE(info.ok());
      ASSERT_EQ(info->base_offset, static_cast<int64_t>(model.size()));
      model.insert(model.end(), vals.begin(), vals.end());
    } else if (kind < 90 && static_cast<int64_t>(model.size()) > start) {
      const int64_t from = start + static_cast<int64_t>(rng() % (model.size() - static_cast<size_t>(start)));
      auto r = p->Read(from, 1 + rng() % 3000);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      auto recs = testing::DecodeAll(r->bytes);
      ASSERT_TRUE(recs.ok());
      ASSERT_FALSE(recs->empty());
      for (const auto& rec : *recs) ASSERT_EQ(rec.value, model[static_cast<size_t>(rec.offset)]);
      ASSERT_LE((*recs)[0].offset, from);
    } else if (kind < 95) {
      ASSERT_TRUE(p->Close().ok());
      p = OpenPartition(dir.path(), cfg);
      ASSERT_EQ(p->log_end_offset(), static_cast<int64_t>(model.size()));
    } else {
      TopicConfig small = cfg;
      small.retention_bytes = 8192;
      p->UpdateConfig(small);
      ASSERT_TRUE(p->ApplyRetention(NowMs()).ok());
      p->UpdateConfig(cfg);
      start = p->log_start_offset();
    }
    ASSERT_EQ(p->log_start_offset(), start);
  }
  EXPECT_EQ(ReadValues(*p, start).size(), model.size() - static_cast<size_t>(start));
}

}  // namespace
}  // namespace rivulet::log

// Partitions: offsets across appends and segments, validation on append,
// rolling by size and age, retention by bytes and time, reopening, reads
// out of range, DeleteRecords (a log start inside a segment, kept across
// restarts, honoured by reads, the consumer and timestamp lookups), and a
// random operation sequence checked against a model.
#include "log/partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <thread>

#include "base/file.h"
#include "log/consumer.h"
#include "log/group_coordinator.h"
#include "log/producer.h"
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


// DeleteRecords. The log holds kRecords records "v<o>" (key "k<o>") in
// batches of five, record o stamped TsOf(o), over segments of 1 KiB, so
// that a start like 103 falls inside a batch inside a segment.
constexpr int64_t kRecords = 200;
int64_t TsOf(int64_t offset) { return 10000 + offset * 10; }

std::string FiveRecords(int64_t first) {
  RecordBatchBuilder b;
  for (int64_t o = first; o < first + 5; ++o) {
    const std::string k = "k" + std::to_string(o);
    const std::string v = "v" + std::to_string(o);
    b.Append(TsOf(o), k, v);
  }
  return b.Finish();
}

TopicConfig SmallSegments() {
  TopicConfig cfg;
  cfg.segment_bytes = 1024;
  return cfg;
}

void FillFives(Partition& p) {
  for (int64_t o = 0; o < kRecords; o += 5) {
    std::string b = FiveRecords(o);
    auto info = p.Append(std::span<char>(b.data(), b.size()), true);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    ASSERT_EQ(info->base_offset, o);
  }
}

std::vector<std::string> ValuesBetween(int64_t from, int64_t to) {
  std::vector<std::string> out;
  for (int64_t o = from; o < to; ++o) out.push_back("v" + std::to_string(o));
  return out;
}

// Base offsets of the segment files in a partition folder, ascending.
std::vector<int64_t> SegmentFiles(const std::string& dir) {
  std::vector<int64_t> bases;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() == 24 && name.ends_with(".log")) bases.push_back(std::stoll(name.substr(0, 20)));
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

TEST(PartitionTest, DeleteRecordsStartsInsideASegmentAndDeletesOnlyTheWholeSegmentsBelow) {
  TempDir dir;
  auto p = OpenPartition(dir.path(), SmallSegments());
  FillFives(*p);
  const size_t segments = p->segment_count();
  ASSERT_GT(segments, 4u);
  ASSERT_EQ(SegmentFiles(dir.path()).size(), segments);

  auto start = p->DeleteRecordsBefore(103);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_EQ(*start, 103);
  EXPECT_EQ(p->log_start_offset(), 103);
  EXPECT_EQ(p->log_end_offset(), kRecords);

  // The segments wholly below 103 are gone, from the partition and the
  // disk; the one holding 103 stays (its first records are below it).
  const std::vector<int64_t> files = SegmentFiles(dir.path());
  EXPECT_LT(p->segment_count(), segments);
  ASSERT_EQ(files.size(), p->segment_count());
  ASSERT_GE(files.size(), 2u);
  EXPECT_LT(files[0], 103) << "the segment holding the start was deleted";
  EXPECT_GT(files[1], 103) << "a segment wholly below the start was kept";

  // Below the start: out of range, both ways of reading.
  for (int64_t below : {int64_t{0}, int64_t{100}, int64_t{102}}) {
    EXPECT_EQ(p->Read(below, 4096).status().code(), Errc::kOutOfRange) << below;
    EXPECT_EQ(p->Map(below, 4096).status().code(), Errc::kOutOfRange) << below;
  }
  // At the start: the whole batch holding it, and the new start reported.
  auto r = p->Read(103, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->log_start_offset, 103);
  auto recs = testing::DecodeAll(r->bytes);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 5u);
  EXPECT_EQ(recs->front().offset, 100);
  EXPECT_EQ(recs->back().offset, 104);
  auto m = p->Map(103, 4096);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->log_start_offset, 103);
  EXPECT_EQ(ReadValues(*p, 103), ValuesBetween(103, kRecords));

  // Appends go on at the end.
  auto more = AppendValues(*p, {"after"});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->base_offset, kRecords);
  EXPECT_EQ(p->log_start_offset(), 103);
}

TEST(PartitionTest, DeleteRecordsAtASegmentBoundaryDeletesTheSegmentEndingThere) {
  TempDir dir;
  auto p = OpenPartition(dir.path(), SmallSegments());
  FillFives(*p);
  const std::vector<int64_t> files = SegmentFiles(dir.path());
  ASSERT_GT(files.size(), 3u);
  auto start = p->DeleteRecordsBefore(files[2]);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(*start, files[2]);
  EXPECT_EQ(p->log_start_offset(), files[2]);
  EXPECT_EQ(SegmentFiles(dir.path()), std::vector<int64_t>(files.begin() + 2, files.end()));
  EXPECT_EQ(p->segment_count(), files.size() - 2);
  EXPECT_EQ(ReadValues(*p, files[2]), ValuesBetween(files[2], kRecords));
}

TEST(PartitionTest, DeleteRecordsToTheHighWatermarkKeepsTheActiveSegment) {
  TempDir dir;
  auto p = OpenPartition(dir.path(), SmallSegments());
  FillFives(*p);
  ASSERT_GT(p->segment_count(), 1u);
  const int64_t active_base = SegmentFiles(dir.path()).back();
  ASSERT_LT(active_base, kRecords) << "the active segment should hold records";

  auto start = p->DeleteRecordsBefore(-1);
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_EQ(*start, kRecords);
  EXPECT_EQ(p->log_start_offset(), kRecords);
  EXPECT_EQ(p->log_end_offset(), kRecords);
  EXPECT_EQ(p->segment_count(), 1u);
  EXPECT_EQ(SegmentFiles(dir.path()), std::vector<int64_t>{active_base});
  EXPECT_EQ(p->Read(kRecords - 1, 4096).status().code(), Errc::kOutOfRange);
  EXPECT_EQ(p->Read(active_base, 4096).status().code(), Errc::kOutOfRange);
  auto at_end = p->Read(kRecords, 4096);
  ASSERT_TRUE(at_end.ok());
  EXPECT_TRUE(at_end->bytes.empty());

  // The log goes on from there.
  auto more = AppendValues(*p, {"new"});
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(more->base_offset, kRecords);
  EXPECT_EQ(ReadValues(*p, kRecords), std::vector<std::string>{"new"});
}

TEST(PartitionTest, DeleteRecordsPastTheEndIsOutOfRangeAndChangesNothing) {
  TempDir dir;
  auto p = OpenPartition(dir.path(), SmallSegments());
  FillFives(*p);
  const size_t segments = p->segment_count();
  for (int64_t bad : {kRecords + 1, int64_t{1} << 40, int64_t{-2}}) {
    auto r = p->DeleteRecordsBefore(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Errc::kOutOfRange) << bad;
    EXPECT_NE(r.status().message().find(std::to_string(bad)), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(p->log_start_offset(), 0);
  EXPECT_EQ(p->segment_count(), segments);
  EXPECT_FALSE(std::filesystem::exists(dir / "log-start-offset"));
  EXPECT_EQ(ReadValues(*p), ValuesBetween(0, kRecords));
  // The end itself is in range.
  auto end = p->DeleteRecordsBefore(kRecords);
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, kRecords);
}

TEST(PartitionTest, DeleteRecordsNeverMovesTheStartBack) {
  TempDir dir;
  auto p = OpenPartition(dir.path(), SmallSegments());
  FillFives(*p);
  ASSERT_EQ(*p->DeleteRecordsBefore(103), 103);
  const size_t segments = p->segment_count();
  for (int64_t lower : {int64_t{50}, int64_t{0}, int64_t{102}, int64_t{103}}) {
    auto r = p->DeleteRecordsBefore(lower);
    ASSERT_TRUE(r.ok()) << lower << ": " << r.status().ToString();
    EXPECT_EQ(*r, 103) << lower;
    EXPECT_EQ(p->log_start_offset(), 103) << lower;
  }
  EXPECT_EQ(p->segment_count(), segments);
  EXPECT_EQ(p->Read(102, 4096).status().code(), Errc::kOutOfRange);
  // Nor across a restart: the file still says 103.
  ASSERT_TRUE(p->Close().ok());
  p = OpenPartition(dir.path(), SmallSegments());
  EXPECT_EQ(p->log_start_offset(), 103);
  EXPECT_EQ(*p->DeleteRecordsBefore(7), 103);
  // And forward still works.
  EXPECT_EQ(*p->DeleteRecordsBefore(151), 151);
  EXPECT_EQ(ReadValues(*p, 151), ValuesBetween(151, kRecords));
}

TEST(PartitionTest, OffsetForTimestampNeverAnswersBelowTheStart) {
  TempDir dir;
  auto p = OpenPartition(dir.path(), SmallSegments());
  FillFives(*p);
  ASSERT_EQ(*p->DeleteRecordsBefore(103), 103);
  EXPECT_EQ(*p->OffsetForTimestamp(0), 103);
  EXPECT_EQ(*p->OffsetForTimestamp(TsOf(50)), 103);
  EXPECT_EQ(*p->OffsetForTimestamp(TsOf(101)), 103);
  EXPECT_EQ(*p->OffsetForTimestamp(TsOf(103)), 103);
  EXPECT_EQ(*p->OffsetForTimestamp(TsOf(104)), 104);
  EXPECT_EQ(*p->OffsetForTimestamp(TsOf(150) - 5), 150);
  EXPECT_EQ(*p->OffsetForTimestamp(TsOf(kRecords)), -1);
  // With every record deleted, no record answers (the active segment
  // still holds them on disk).
  ASSERT_EQ(*p->DeleteRecordsBefore(-1), kRecords);
  EXPECT_EQ(*p->OffsetForTimestamp(0), -1);
  EXPECT_EQ(*p->OffsetForTimestamp(TsOf(kRecords - 1)), -1);
}

TEST(PartitionTest, OffsetForTimestampLooksForTheTimestampFromTheStart) {
  // Timestamps out of order (CreateTime is the producer's): the record
  // below the start matches, the one at the start does not.
  TempDir dir;
  auto p = OpenPartition(dir.path());
  RecordBatchBuilder b;
  for (int64_t ts : {5000, 10, 20, 6000, 30}) b.Append(ts, std::nullopt, std::to_string(ts));
  std::string batch = b.Finish();
  ASSERT_TRUE(p->Append(std::span<char>(batch.data(), batch.size()), true).ok());
  ASSERT_EQ(*p->OffsetForTimestamp(1000), 0);
  ASSERT_EQ(*p->DeleteRecordsBefore(1), 1);
  EXPECT_EQ(*p->OffsetForTimestamp(1000), 3);
  EXPECT_EQ(*p->OffsetForTimestamp(15), 2);
  EXPECT_EQ(*p->OffsetForTimestamp(6001), -1);
}

// A crash between writing the start and deleting the segments below it
// (or an unlink that failed) leaves segments the next open deletes.
TEST(PartitionTest, SegmentsLeftBelowTheStartByACrashGoOnOpen) {
  TempDir dir;
  size_t segments = 0;
  {
    auto p = OpenPartition(dir.path(), SmallSegments());
    FillFives(*p);
    segments = p->segment_count();
  }
  ASSERT_GT(segments, 4u);
  // The start as DeleteRecords writes it, the segments not yet deleted.
  ASSERT_TRUE(WriteFileAtomic(dir / "log-start-offset", "103").ok());
  auto p = OpenPartition(dir.path(), SmallSegments());
  EXPECT_EQ(p->log_start_offset(), 103);
  EXPECT_LT(p->segment_count(), segments);
  const std::vector<int64_t> files = SegmentFiles(dir.path());
  ASSERT_EQ(files.size(), p->segment_count());
  EXPECT_LT(files[0], 103);
  EXPECT_GT(files[1], 103);
  EXPECT_EQ(ReadValues(*p, 103), ValuesBetween(103, kRecords));
}

// A start past the log end (records lost to a machine crash after it was
// written) is lowered to the end on disk too, so records appended after
// the restart are not hidden at the next one.
TEST(PartitionTest, AStartPastARecoveredEndIsLoweredOnDisk) {
  TempDir dir;
  {
    auto p = OpenPartition(dir.path(), SmallSegments());
    FillFives(*p);
  }
  ASSERT_TRUE(WriteFileAtomic(dir / "log-start-offset", std::to_string(kRecords + 50)).ok());
  {
    auto p = OpenPartition(dir.path(), SmallSegments());
    EXPECT_EQ(p->log_start_offset(), kRecords);
    ASSERT_TRUE(AppendValues(*p, {"after-1", "after-2"}).ok());
  }
  EXPECT_EQ(*ReadFileToString(dir / "log-start-offset"), std::to_string(kRecords));
  auto p = OpenPartition(dir.path(), SmallSegments());
  EXPECT_EQ(p->log_start_offset(), kRecords);
  EXPECT_EQ(ReadValues(*p, kRecords), (std::vector<std::string>{"after-1", "after-2"}));
}

TEST(PartitionTest, CorruptLogStartOffsetIsAClearError) {
  for (const char* text : {"", "garbage", "-5", "1x3", "12 34", "99999999999999999999999"}) {
    TempDir dir;
    {
      auto p = OpenPartition(dir.path(), SmallSegments());
      FillFives(*p);
      ASSERT_EQ(*p->DeleteRecordsBefore(103), 103);
    }
    ASSERT_TRUE(WriteFileAtomic(dir / "log-start-offset", text).ok());
    auto p = Partition::Open(dir.path(), {"t", 0}, SmallSegments(), nullptr);
    ASSERT_FALSE(p.ok()) << "'" << text << "' was read as start " << (*p)->log_start_offset();
    EXPECT_EQ(p.status().code(), Errc::kCorruption) << text;
    EXPECT_NE(p.status().message().find("log-start-offset"), std::string::npos) << p.status().message();
  }
  // A start written by hand with a trailing newline is still read.
  TempDir dir;
  {
    auto p = OpenPartition(dir.path(), SmallSegments());
    FillFives(*p);
  }
  ASSERT_TRUE(WriteFileAtomic(dir / "log-start-offset", "42\n").ok());
  auto p = OpenPartition(dir.path(), SmallSegments());
  EXPECT_EQ(p->log_start_offset(), 42);
}

TEST(PartitionTest, DeleteRecordsStartSurvivesALogManagerRestart) {
  TempDir dir;
  const TopicPartition tp{"t", 0};
  size_t segments = 0;
  {
    auto lm = LogManager::Open(dir.path());
    ASSERT_TRUE(lm.ok()) << lm.status().ToString();
    ASSERT_TRUE((*lm)->CreateTopic("t", 1, {{"segment.bytes", "1024"}}).ok());
    auto p = (*lm)->GetPartition(tp);
    ASSERT_TRUE(p.ok());
    FillFives(**p);
    ASSERT_EQ(*(*p)->DeleteRecordsBefore(103), 103);
    segments = (*p)->segment_count();
    ASSERT_TRUE((*lm)->Close().ok());
  }
  auto lm = LogManager::Open(dir.path());
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  auto p = (*lm)->GetPartition(tp);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->log_start_offset(), 103);
  EXPECT_EQ((*p)->log_end_offset(), kRecords);
  EXPECT_EQ((*p)->segment_count(), segments);
  auto d = (*lm)->DescribeTopic("t");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->partitions[0].log_start_offset, 103);
  EXPECT_EQ((*lm)->Read(tp, 102, 4096).status().code(), Errc::kOutOfRange);
  auto all = testing::ReadAll(**lm, tp, 103);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kRecords - 103));
  EXPECT_EQ(all->front().offset, 103);
  EXPECT_EQ(*(*p)->OffsetForTimestamp(0), 103);
}

// The user-visible guarantee: a consumer starting from the beginning, or
// sent below the start, gets exactly the records from the start on.
class DeleteRecordsConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lm = LogManager::Open(dir_.path());
    ASSERT_TRUE(lm.ok()) << lm.status().ToString();
    lm_ = std::move(lm).value();
    ASSERT_TRUE(lm_->CreateTopic("t", 1, {{"segment.bytes", "1024"}}).ok());
    auto p = lm_->GetPartition(tp_);
    ASSERT_TRUE(p.ok());
    FillFives(**p);
    ASSERT_EQ(*(*p)->DeleteRecordsBefore(103), 103);
  }

  ConsumerConfig Config(OffsetReset reset = OffsetReset::kEarliest, int32_t max_poll_records = 500) {
    ConsumerConfig c;
    c.auto_offset_reset = reset;
    c.enable_auto_commit = false;
    c.max_poll_records = max_poll_records;
    return c;
  }

  // Polls until the position reaches the log end; (offset, value) of each record.
  std::vector<std::pair<int64_t, std::string>> Drain(Consumer& c) {
    std::vector<std::pair<int64_t, std::string>> out;
    for (int i = 0; i < 500; ++i) {
      auto recs = c.Poll(std::chrono::milliseconds(10));
      EXPECT_TRUE(recs.ok()) << recs.status().ToString();
      if (!recs.ok()) break;
      for (const auto& r : *recs) out.emplace_back(r.offset, std::string(r.value.value_or("")));
      auto pos = c.Position(tp_);
      if (pos.ok() && *pos == kRecords) break;
    }
    return out;
  }

  static std::vector<std::pair<int64_t, std::string>> Expected(int64_t from) {
    std::vector<std::pair<int64_t, std::string>> out;
    for (int64_t o = from; o < kRecords; ++o) out.emplace_back(o, "v" + std::to_string(o));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<LogManager> lm_;
  const TopicPartition tp_{"t", 0};
};

TEST_F(DeleteRecordsConsumerTest, EarliestResetDeliversExactlyTheRecordsFromTheStart) {
  Consumer c(lm_.get(), Config());
  ASSERT_TRUE(c.Assign({tp_}).ok());
  EXPECT_EQ(c.BeginningOffsets({tp_})->at(tp_), 103);
  EXPECT_EQ(*c.Position(tp_), 103);
  EXPECT_EQ(Drain(c), Expected(103));
}

TEST_F(DeleteRecordsConsumerTest, OneRecordAPollStartsAtTheStartInsideItsBatch) {
  Consumer c(lm_.get(), Config(OffsetReset::kEarliest, 1));
  ASSERT_TRUE(c.Assign({tp_}).ok());
  for (int64_t want : {103, 104, 105, 106}) {
    auto recs = c.Poll(std::chrono::milliseconds(100));
    ASSERT_TRUE(recs.ok()) << recs.status().ToString();
    ASSERT_EQ(recs->size(), 1u);
    EXPECT_EQ((*recs)[0].offset, want);
    EXPECT_EQ(std::string(*(*recs)[0].value), "v" + std::to_string(want));
  }
}

TEST_F(DeleteRecordsConsumerTest, SeeksBelowTheStartResetToIt) {
  Consumer c(lm_.get(), Config());
  ASSERT_TRUE(c.Assign({tp_}).ok());
  for (int64_t below : {int64_t{0}, int64_t{100}, int64_t{102}}) {
    ASSERT_TRUE(c.Seek(tp_, below).ok());
    EXPECT_EQ(Drain(c), Expected(103)) << "after a seek to " << below;
  }
  ASSERT_TRUE(c.Seek(tp_, 103).ok());
  EXPECT_EQ(Drain(c), Expected(103));
  ASSERT_TRUE(c.Seek(tp_, 104).ok());
  EXPECT_EQ(Drain(c), Expected(104));
  ASSERT_TRUE(c.SeekToBeginning({tp_}).ok());
  EXPECT_EQ(*c.Position(tp_), 103);
  EXPECT_EQ(Drain(c), Expected(103));
  // PollEach sees the same.
  ASSERT_TRUE(c.Seek(tp_, 101).ok());
  std::vector<std::pair<int64_t, std::string>> each;
  for (int i = 0; i < 100 && *c.Position(tp_) < kRecords; ++i) {
    auto n = c.PollEach(std::chrono::milliseconds(10), [&](const ConsumerRecord& r) {
      each.emplace_back(r.offset, std::string(r.value.value_or("")));
    });
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  EXPECT_EQ(each, Expected(103));
}

TEST_F(DeleteRecordsConsumerTest, ASeekBelowTheStartWithoutResetIsOutOfRange) {
  Consumer c(lm_.get(), Config(OffsetReset::kNone));
  ASSERT_TRUE(c.Assign({tp_}).ok());
  ASSERT_TRUE(c.Seek(tp_, 102).ok());
  auto recs = c.Poll(std::chrono::milliseconds(10));
  ASSERT_FALSE(recs.ok());
  EXPECT_EQ(recs.status().code(), Errc::kOutOfRange);
}

TEST_F(DeleteRecordsConsumerTest, ACommittedOffsetBelowTheStartResetsToIt) {
  ASSERT_TRUE(lm_->groups().CommitOffsets("g", "", -1, {{tp_, {50, "", 0}}}).ok());
  ConsumerConfig cfg = Config();
  cfg.group_id = "g";
  Consumer c(lm_.get(), cfg);
  ASSERT_TRUE(c.Assign({tp_}).ok());
  EXPECT_EQ(Drain(c), Expected(103));
}

TEST_F(DeleteRecordsConsumerTest, TheStartInsideACompressedBatch) {
  ASSERT_TRUE(lm_->CreateTopic("z", 1).ok());
  ProducerConfig pc;
  pc.compression = Compression::kZstd;
  pc.linger_ms = 600000;  // one batch, sealed by Flush
  Producer producer(lm_.get(), pc);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(producer.Send("z", std::nullopt, "z" + std::to_string(i)).ok());
  ASSERT_TRUE(producer.Flush().ok());
  const TopicPartition z{"z", 0};
  auto p = lm_->GetPartition(z);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ((*p)->log_end_offset(), 10);
  ASSERT_EQ(*(*p)->DeleteRecordsBefore(4), 4);
  Consumer c(lm_.get(), Config());
  ASSERT_TRUE(c.Assign({z}).ok());
  std::vector<int64_t> offsets;
  for (int i = 0; i < 100 && offsets.size() < 6; ++i) {
    auto recs = c.Poll(std::chrono::milliseconds(10));
    ASSERT_TRUE(recs.ok()) << recs.status().ToString();
    for (const auto& r : *recs) {
      offsets.push_back(r.offset);
      EXPECT_EQ(std::string(*r.value), "z" + std::to_string(r.offset));
    }
  }
  EXPECT_EQ(offsets, (std::vector<int64_t>{4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(*(*p)->OffsetForTimestamp(0), 4);
}

}  // namespace
}  // namespace rivulet::log

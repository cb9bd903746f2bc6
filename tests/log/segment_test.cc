// Segments: append / read / index lookups, and recovery: a torn or corrupt
// tail is truncated, a corrupt batch in the middle is kept (with everything
// after it), missing or broken index files are rebuilt.
#include "log/segment.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;

// Writes `n` batches of 3 records each, offsets from 0; returns the batch
// start positions and the file size.
std::vector<uint64_t> Fill(const std::string& dir, int n, uint32_t interval = 4096, int64_t ts0 = 1000) {
  auto seg = Segment::Create(dir, 0, interval);
  EXPECT_TRUE(seg.ok());
  std::vector<uint64_t> positions;
  int64_t next = 0;
  for (int i = 0; i < n; ++i) {
    std::string b = testing::MakeBatch({"a" + std::to_string(i), "b", "c"}, ts0 + i * 10);
    SetBaseOffset(b.data(), next);
    auto h = ParseBatchHeader(std::span<const char>(b.data(), b.size()));
    positions.push_back((*seg)->size());
    EXPECT_TRUE((*seg)->Append(std::span<const char>(b.data(), b.size()), std::span<const BatchHeader>(&*h, 1), 0).ok());
    next += 3;
  }
  EXPECT_TRUE((*seg)->SaveIndexes().ok());
  return positions;
}

std::string LogPath(const std::string& dir) { return dir + "/" + Segment::FileName(0); }

void Corrupt(const std::string& path, uint64_t pos) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(pos));
  char c;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(pos));
  f.write(&c, 1);
}

// Readers see the file through a mapping that must follow appends (an
// active segment grows past the mapping it was first read with) and stay
// readable after retention deletes the segment under them.
TEST(SegmentTest, MappedReadsFollowAppendsAndOutliveDeletion) {
  TempDir dir;
  auto seg = Segment::Create(dir.path(), 0, 4096);
  ASSERT_TRUE(seg.ok());
  auto empty = (*seg)->Map(0, 100);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->bytes.empty());
  std::string expect;
  std::vector<MappedBytes> held;
  int64_t next = 0;
  // ~20 MiB in 64 KiB batches: past the first mapping's headroom (8 MiB)
  // and the next, so the segment is remapped while older mappings are held.
  const std::string value(64 * 1024 - 100, 'x');
  for (int i = 0; i < 320; ++i) {
    std::string b = testing::MakeBatch({value + std::to_string(i)}, 1000 + i);
    SetBaseOffset(b.data(), next);
    auto h = ParseBatchHeader(std::span<const char>(b.data(), b.size()));
    ASSERT_TRUE((*seg)->Append(std::span<const char>(b.data(), b.size()), std::span<const BatchHeader>(&*h, 1), 0).ok());
    expect += b;
    next += 1;
    auto m = (*seg)->Map(0, expect.size() + 1000);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_EQ(m->bytes.size(), expect.size());  // never past size()
    ASSERT_EQ(std::memcmp(m->bytes.data(), expect.data(), expect.size()), 0) << "after batch " << i;
    if (i % 40 == 0) held.push_back(std::move(m).value());
  }
  auto tail = (*seg)->Map(expect.size() - 10, 100);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(std::string(tail->bytes.data(), tail->bytes.size()), expect.substr(expect.size() - 10));
  char copy[16];
  ASSERT_EQ(*(*seg)->Read(5, std::span<char>(copy, sizeof(copy))), sizeof(copy));
  EXPECT_EQ(std::string(copy, sizeof(copy)), expect.substr(5, sizeof(copy)));

  ASSERT_TRUE((*seg)->Delete().ok());
  seg->reset();  // the segment is gone; the mappings readers hold are not
  for (const MappedBytes& m : held) {
    EXPECT_EQ(std::memcmp(m.bytes.data(), expect.data(), m.bytes.size()), 0);
  }
}

TEST(SegmentTest, AppendReadAndFind) {
  TempDir dir;
  auto pos = Fill(dir.path(), 50, 64);
  auto seg = Segment::Open(dir.path(), 0, 64, false, nullptr);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  EXPECT_EQ((*seg)->next_offset(), 150);
  for (int64_t off = 0; off < 150; ++off) {
    auto p = (*seg)->FindPosition(off);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(*p, pos[static_cast<size_t>(off / 3)]) << off;
  }
  EXPECT_EQ(*(*seg)->FindPosition(150), (*seg)->size());
  EXPECT_EQ(*(*seg)->FindOffsetForTimestamp(0), 0);
  EXPECT_EQ(*(*seg)->FindOffsetForTimestamp(1000 + 10 * 7 + 1), 7 * 3 + 1);  // second record of batch 7
  EXPECT_EQ(*(*seg)->FindOffsetForTimestamp(999999), -1);
}

TEST(SegmentTest, TornTailIsTruncatedAtEveryCutPoint) {
  TempDir dir;
  auto pos = Fill(dir.path(), 5);
  const uint64_t full = std::filesystem::file_size(LogPath(dir.path()));
  for (uint64_t cut = pos[4] + 1; cut < full; cut += 3) {
    TempDir d2;
    Fill(d2.path(), 5);
    std::filesystem::resize_file(LogPath(d2.path()), cut);
    RecoveryReport report;
    auto seg = Segment::Open(d2.path(), 0, 4096, true, &report);
    ASSERT_TRUE(seg.ok()) << seg.status().ToString();
    EXPECT_EQ((*seg)->size(), pos[4]) << cut;
    EXPECT_EQ((*seg)->next_offset(), 12);
    EXPECT_EQ(report.truncated_bytes, cut - pos[4]);
    EXPECT_TRUE(report.corrupt_ranges.empty());
    EXPECT_EQ(std::filesystem::file_size(LogPath(d2.path())), pos[4]);
  }
}

TEST(SegmentTest, GarbageAfterTheLastBatchIsTruncated) {
  TempDir dir;
  auto pos = Fill(dir.path(), 3);
  const uint64_t good = std::filesystem::file_size(LogPath(dir.path()));
  {
    std::ofstream f(LogPath(dir.path()), std::ios::app | std::ios::binary);
    f << std::string(100, '\x07');
  }
  RecoveryReport report;
  auto seg = Segment::Open(dir.path(), 0, 4096, true, &report);
  ASSERT_TRUE(seg.ok());
  EXPECT_EQ((*seg)->size(), good);
  EXPECT_EQ(report.truncated_bytes, 100u);
}

TEST(SegmentTest, CorruptLastBatchIsTruncated) {
  TempDir dir;
  auto pos = Fill(dir.path(), 4);
  Corrupt(LogPath(dir.path()), pos[3] + 40);  // body of the last batch
  RecoveryReport report;
  auto seg = Segment::Open(dir.path(), 0, 4096, true, &report);
  ASSERT_TRUE(seg.ok());
  EXPECT_EQ((*seg)->size(), pos[3]);
  EXPECT_EQ((*seg)->next_offset(), 9);
}

TEST(SegmentTest, CorruptBatchInTheMiddleIsKeptAndReported) {
  TempDir dir;
  auto pos = Fill(dir.path(), 5);
  const uint64_t full = std::filesystem::file_size(LogPath(dir.path()));
  Corrupt(LogPath(dir.path()), pos[1] + 45);
  RecoveryReport report;
  auto seg = Segment::Open(dir.path(), 0, 4096, true, &report);
  ASSERT_TRUE(seg.ok());
  // Nothing truncated: the valid batches after the hole are still there.
  EXPECT_EQ((*seg)->size(), full);
  EXPECT_EQ(report.truncated_bytes, 0u);
  ASSERT_EQ(report.corrupt_ranges.size(), 1u);
  EXPECT_NE(report.corrupt_ranges[0].find("CRC mismatch"), std::string::npos);
  EXPECT_EQ((*seg)->next_offset(), 15);
  EXPECT_EQ(*(*seg)->FindPosition(12), pos[4]);
  std::string tail(full - pos[2], '\0');
  ASSERT_TRUE((*seg)->Read(pos[2], std::span<char>(tail.data(), tail.size())).ok());
  auto recs = testing::DecodeAll(tail);
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  EXPECT_EQ(recs->size(), 9u);
}

TEST(SegmentTest, BrokenIndexFilesAreRebuilt) {
  TempDir dir;
  auto pos = Fill(dir.path(), 40, 64);
  const std::string prefix = dir.path() + "/" + Segment::FileName(0).substr(0, 20);
  for (const std::string damage : {"missing", "partial", "garbage"}) {
    if (damage == "missing") {
      std::filesystem::remove(prefix + ".index");
    } else if (damage == "partial") {
      std::ofstream(prefix + ".index", std::ios::binary) << "abc";
    } else {
      std::ofstream(prefix + ".index", std::ios::binary) << std::string(16, '\xff');
    }
    auto seg = Segment::Open(dir.path(), 0, 64, false, nullptr);
    ASSERT_TRUE(seg.ok()) << damage << ": " << seg.status().ToString();
    EXPECT_EQ((*seg)->next_offset(), 120) << damage;
    EXPECT_EQ(*(*seg)->FindPosition(61), pos[20]) << damage;
    ASSERT_TRUE((*seg)->SaveIndexes().ok());
  }
}

}  // namespace
}  // namespace rivulet::log

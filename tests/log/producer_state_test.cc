// Idempotent appends to a partition: retries answered with their original
// offsets, gaps and old epochs refused, the last five batches remembered,
// and all of it rebuilt after a reopen (from a snapshot, from the batch
// headers alone, past a corrupt snapshot); markers, the last stable offset
// and the aborted-transaction index.
#include "log/producer_state.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "log/log_manager.h"
#include "log/partition.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

std::string Batch(ProducerId pid, ProducerEpoch epoch, int32_t seq, int records, bool txn = false) {
  RecordBatchBuilder b;
  for (int i = 0; i < records; ++i) b.Append(1000 + i, "k", "v" + std::to_string(seq + i));
  return b.Finish(ProducerFields{pid, epoch, seq, txn});
}

struct Log {
  TempDir dir;
  std::unique_ptr<LogManager> lm;
  std::shared_ptr<Partition> part;
  explicit Log(int64_t segment_bytes = 1 << 30) { Open(segment_bytes); }
  void Open(int64_t segment_bytes = 1 << 30) {
    LogOptions o;
    o.default_topic_config.segment_bytes = segment_bytes;
    lm = std::move(LogManager::Open(dir.path(), o)).value();
    if (!lm->PartitionCount("t").ok()) {
      ASSERT_TRUE(lm->CreateTopic("t", 1).ok());
    }
    part = *lm->GetPartition({"t", 0});
  }
  void Reopen(int64_t segment_bytes = 1 << 30) {
    part.reset();
    ASSERT_TRUE(lm->Close().ok());
    lm.reset();
    Open(segment_bytes);
  }
  Result<AppendInfo> Append(std::string bytes) {
    return part->Append(std::span<char>(bytes.data(), bytes.size()), /*validate=*/true);
  }
  std::string PartitionDir() const { return dir / "topics/t/0"; }
};

TEST(ProducerStateTest, RetriedBatchIsAnsweredWithItsOriginalOffsets) {
  Log log;
  ASSERT_TRUE(log.Append(Batch(7, 0, 0, 3)).ok());
  auto first = log.Append(Batch(7, 0, 3, 2));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->base_offset, 3);
  auto retry = log.Append(Batch(7, 0, 3, 2));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 3);
  EXPECT_EQ(retry->last_offset, 4);
  EXPECT_EQ(log.part->log_end_offset(), 5);  // nothing written twice
  auto older = log.Append(Batch(7, 0, 0, 3));
  ASSERT_TRUE(older.ok());
  EXPECT_TRUE(older->duplicate);
  EXPECT_EQ(older->base_offset, 0);
}

TEST(ProducerStateTest, GapsNewProducersOffZeroAndOldEpochsAreRefused) {
  Log log;
  auto not_zero = log.Append(Batch(7, 0, 5, 1));
  EXPECT_EQ(not_zero.status().code(), Errc::kOutOfOrderSequence);
  ASSERT_TRUE(log.Append(Batch(7, 0, 0, 2)).ok());
  auto gap = log.Append(Batch(7, 0, 3, 1));
  EXPECT_EQ(gap.status().code(), Errc::kOutOfOrderSequence) << gap.status().ToString();
  EXPECT_NE(gap.status().message().find("expected sequence 2"), std::string::npos);
  // A new epoch starts at 0; after it the old epoch is fenced.
  EXPECT_EQ(log.Append(Batch(7, 1, 2, 1)).status().code(), Errc::kOutOfOrderSequence);
  ASSERT_TRUE(log.Append(Batch(7, 1, 0, 1)).ok());
  EXPECT_EQ(log.Append(Batch(7, 0, 2, 1)).status().code(), Errc::kProducerFenced);
  EXPECT_EQ(log.part->log_end_offset(), 3);
  // Batches without a producer id are not checked.
  ASSERT_TRUE(log.Append(Batch(kNoProducerId, kNoProducerEpoch, kNoSequence, 2)).ok());
  EXPECT_EQ(log.part->log_end_offset(), 5);
}

TEST(ProducerStateTest, OnlyTheLastFiveBatchesAreRemembered) {
  Log log;
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(log.Append(Batch(9, 0, i, 1)).ok());
  auto forgotten = log.Append(Batch(9, 0, 0, 1));
  EXPECT_EQ(forgotten.status().code(), Errc::kOutOfOrderSequence);
  auto kept = log.Append(Batch(9, 0, 1, 1));
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->duplicate);
  EXPECT_EQ(kept->base_offset, 1);
}

TEST(ProducerStateTest, SequencesWrapAtInt32Max) {
  BatchHeader h;
  h.base_sequence = INT32_MAX - 1;
  h.last_offset_delta = 2;
  EXPECT_EQ(h.last_sequence(), 0);
}

// Deduplication must survive a restart whichever way the state comes back.
enum class Restore { kSnapshotOnClose, kHeadersOnly, kCorruptSnapshot, kRollSnapshots };

class ProducerStateRestoreTest : public ::testing::TestWithParam<Restore> {};

TEST_P(ProducerStateRestoreTest, DeduplicationAndTransactionsSurviveAReopen) {
  const int64_t segment_bytes = GetParam() == Restore::kRollSnapshots ? 300 : 1 << 30;
  Log log(segment_bytes);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(log.Append(Batch(3, 0, i * 2, 2)).ok());
  // An aborted transaction and an open one of producer 4.
  ASSERT_TRUE(log.Append(Batch(4, 0, 0, 2, /*txn=*/true)).ok());
  ASSERT_TRUE(log.part->AppendMarker(ProducerFields{4, 0, kNoSequence, true}, ControlType::kAbort, 0).ok());
  const int64_t open_at = log.part->log_end_offset();
  ASSERT_TRUE(log.Append(Batch(4, 0, 2, 1, /*txn=*/true)).ok());
  ASSERT_TRUE(log.Append(Batch(5, 0, 0, 1)).ok());
  EXPECT_EQ(log.part->last_stable_offset(), open_at);
  const auto aborted_before = log.part->AbortedTransactions(0, INT64_MAX);
  ASSERT_EQ(aborted_before.size(), 1u);
  EXPECT_EQ(aborted_before[0], (AbortedTxn{4, 16, 18}));
  const int64_t end = log.part->log_end_offset();

  // Close without the coordinator knowing producer 4 (it wrote directly).
  log.part.reset();
  ASSERT_TRUE(log.lm->Close().ok());
  log.lm.reset();
  std::vector<fs::path> snaps;
  for (const auto& e : fs::directory_iterator(log.PartitionDir())) {
    if (e.path().extension() == ".snapshot") snaps.push_back(e.path());
  }
  ASSERT_FALSE(snaps.empty());
  std::sort(snaps.begin(), snaps.end());
  switch (GetParam()) {
    case Restore::kSnapshotOnClose: break;
    case Restore::kRollSnapshots:
      fs::remove(snaps.back());  // the one written on close: back to a roll's
      ASSERT_GE(snaps.size(), 2u);
      break;
    case Restore::kHeadersOnly:
      for (const auto& p : snaps) fs::remove(p);
      for (const auto& e : fs::directory_iterator(log.PartitionDir())) {
        if (e.path().extension() == ".txnindex") fs::remove(e.path());
      }
      break;
    case Restore::kCorruptSnapshot: {
      std::fstream f(snaps.back(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(2);
      f.put('\x7f');
      break;
    }
  }
  log.Open(segment_bytes);
  // Producer 4's transaction was restored open at open_at; no transactional
  // id holds it, so opening the log aborted it with a marker at `end`. An
  // entry at exactly (4, open_at, end) shows the restored state knew it.
  EXPECT_EQ(log.part->log_end_offset(), end + 1);
  auto expected = aborted_before;
  expected.push_back(AbortedTxn{4, open_at, end});
  EXPECT_EQ(log.part->AbortedTransactions(0, INT64_MAX), expected);
  EXPECT_EQ(log.part->last_stable_offset(), log.part->log_end_offset());
  auto retry = log.Append(Batch(3, 0, 14, 2));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 14);
  EXPECT_EQ(log.Append(Batch(3, 0, 20, 1)).status().code(), Errc::kOutOfOrderSequence);
}

INSTANTIATE_TEST_SUITE_P(Restores, ProducerStateRestoreTest,
                         ::testing::Values(Restore::kSnapshotOnClose, Restore::kHeadersOnly,
                                           Restore::kCorruptSnapshot, Restore::kRollSnapshots));

TEST(ProducerStateTest, ReadCommittedReadsStopAtTheLastStableOffset) {
  Log log;
  ASSERT_TRUE(log.Append(Batch(1, 0, 0, 2)).ok());                    // 0-1
  ASSERT_TRUE(log.Append(Batch(2, 0, 0, 2, /*txn=*/true)).ok());      // 2-3, open
  ASSERT_TRUE(log.Append(Batch(1, 0, 2, 2)).ok());                    // 4-5
  EXPECT_EQ(log.part->last_stable_offset(), 2);
  auto committed = log.part->Read(0, 1 << 20, IsolationLevel::kReadCommitted);
  ASSERT_TRUE(committed.ok());
  auto records = testing::DecodeAll(committed->bytes);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 2u);
  EXPECT_EQ(committed->last_stable_offset, 2);
  EXPECT_EQ(committed->high_watermark, 6);
  auto at_lso = log.part->Read(2, 1 << 20, IsolationLevel::kReadCommitted);
  ASSERT_TRUE(at_lso.ok());
  EXPECT_TRUE(at_lso->bytes.empty());
  auto all = log.part->Read(0, 1 << 20, IsolationLevel::kReadUncommitted);
  EXPECT_EQ(testing::DecodeAll(all->bytes)->size(), 6u);
  ASSERT_TRUE(log.part->AppendMarker(ProducerFields{2, 0, kNoSequence, true}, ControlType::kAbort, 0).ok());
  EXPECT_EQ(log.part->last_stable_offset(), 7);
  EXPECT_EQ(log.part->AbortedTransactions(0, 7), (std::vector<AbortedTxn>{{2, 2, 6}}));
  EXPECT_TRUE(log.part->AbortedTransactions(7, 10).empty());
  EXPECT_TRUE(log.part->AbortedTransactions(0, 2).empty());
}

TEST(ProducerStateTest, MarkersFenceOlderEpochsAndBadOnesAreRefused) {
  Log log;
  ASSERT_TRUE(log.Append(Batch(2, 0, 0, 1, /*txn=*/true)).ok());
  // The coordinator aborts with a bumped epoch: the zombie's next batch is fenced.
  ASSERT_TRUE(log.part->AppendMarker(ProducerFields{2, 1, kNoSequence, true}, ControlType::kAbort, 0).ok());
  EXPECT_EQ(log.Append(Batch(2, 0, 1, 1, /*txn=*/true)).status().code(), Errc::kProducerFenced);
  EXPECT_EQ(log.part->AppendMarker(ProducerFields{2, 0, kNoSequence, true}, ControlType::kCommit, 0).status().code(),
            Errc::kProducerFenced);
  // A transactional batch needs a producer id.
  EXPECT_EQ(log.Append(Batch(kNoProducerId, kNoProducerEpoch, kNoSequence, 1, true)).status().code(),
            Errc::kInvalidArgument);
  const auto producers = log.part->DescribeProducers();
  ASSERT_EQ(producers.size(), 1u);
  EXPECT_EQ(producers[0].producer_id, 2);
  EXPECT_EQ(producers[0].epoch, 1);
  EXPECT_EQ(producers[0].current_txn_start_offset, -1);
}

TEST(ProducerStateTest, ControlBatchesParseAndGarbageIsCorruption) {
  std::string marker = BuildControlBatch(ProducerFields{5, 2, kNoSequence, true}, ControlType::kCommit, 3, 77);
  auto h = ValidateBatch(std::span<const char>(marker.data(), marker.size()));
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->is_control());
  EXPECT_TRUE(h->is_transactional());
  EXPECT_EQ(h->producer_id, 5);
  EXPECT_EQ(h->producer_epoch, 2);
  auto type = ParseControlType(*h, std::span<const char>(marker.data(), marker.size()));
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(*type, ControlType::kCommit);
  // A data batch is not a control batch; a control batch with a short key is corrupt.
  std::string data = Batch(5, 0, 0, 1);
  auto dh = ParseBatchHeader(std::span<const char>(data.data(), data.size()));
  EXPECT_EQ(ParseControlType(*dh, std::span<const char>(data.data(), data.size())).status().code(),
            Errc::kCorruption);
  BatchHeader fake = *dh;
  fake.attributes |= kControlFlag;
  EXPECT_EQ(ParseControlType(fake, std::span<const char>(data.data(), data.size())).status().code(),
            Errc::kCorruption);
  EXPECT_EQ(ParseControlType(fake, std::span<const char>(data.data(), kBatchHeaderSize + 2)).status().code(),
            Errc::kCorruption);
}

TEST(ProducerStateTest, SnapshotsRoundTripAndRejectDamage) {
  ProducerStateManager m;
  ProducerStateManager::Staged staged;
  BatchHeader h;
  h.producer_id = 11;
  h.producer_epoch = 3;
  h.base_sequence = 0;
  h.last_offset_delta = 4;
  h.base_offset = 100;
  h.attributes = kTransactionalFlag;
  ASSERT_TRUE(m.CheckAndStage(h, std::nullopt, &staged).ok());
  EXPECT_TRUE(m.Commit(std::move(staged)).empty());
  const std::string bytes = m.EncodeSnapshot(105);
  auto back = ProducerStateManager::DecodeSnapshot(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->second, 105);
  EXPECT_EQ(back->first.FirstUnstableOffset(), 100);
  const ProducerEntry& e = back->first.producers().at(11);
  EXPECT_EQ(e.epoch, 3);
  ASSERT_EQ(e.batches.size(), 1u);
  EXPECT_EQ(e.batches[0].last_seq, 4);
  std::string bad = bytes;
  bad[1] ^= 1;
  EXPECT_EQ(ProducerStateManager::DecodeSnapshot(bad).status().code(), Errc::kCorruption);
  EXPECT_EQ(ProducerStateManager::DecodeSnapshot("ab").status().code(), Errc::kCorruption);
}

}  // namespace
}  // namespace rivulet::log

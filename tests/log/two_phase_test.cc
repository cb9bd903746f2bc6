// Two-phase transactional ids (InitOptions::two_phase, KIP-939): their open
// transaction survives a reopen and its timeout, keep_prepared hands it to
// a new epoch, a fencing InitProducerId still aborts it, and the flag and
// the transaction numbers survive reopen and compaction of the transaction
// log, whose records without them still replay.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/record_batch.h"
#include "log/txn_coordinator.h"
#include "proto/metadata.pb.h"
#include "tests/test_util.h"

namespace rivulet::log {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;

constexpr InitOptions kTwoPhase{.two_phase = true};
constexpr InitOptions kKeepPrepared{.two_phase = true, .keep_prepared = true};

struct Fixture {
  TempDir dir;
  LogOptions options;
  std::unique_ptr<LogManager> lm;
  Fixture() {
    // The periodic AbortExpired must not race the tests' own calls.
    options.flush_check_interval_ms = 3600 * 1000;
    Open();
  }
  void Open() { lm = std::move(LogManager::Open(dir.path(), options)).value(); }
  void Reopen() {
    ASSERT_TRUE(lm->Close().ok());
    lm.reset();
    Open();
  }
  TransactionCoordinator& tc() { return lm->transactions(); }
};

// Appends `values` to `tp` as one transactional batch of `producer`
// starting at sequence `seq`.
Status WriteTxn(LogManager* lm, const TopicPartition& tp, ProducerIdAndEpoch producer, int32_t seq,
                const std::vector<std::string>& values) {
  RecordBatchBuilder b;
  for (const auto& v : values) b.Append(1000, v, v);
  std::string batch = b.Finish(ProducerFields{producer.id, producer.epoch, seq, /*transactional=*/true});
  return lm->Append(tp, std::span<char>(batch.data(), batch.size()), /*validate=*/true).status();
}

// Every value readable from `topic` (all partitions) at `isolation`.
std::vector<std::string> ReadValues(LogManager* lm, const std::string& topic,
                                    IsolationLevel isolation = IsolationLevel::kReadCommitted) {
  ConsumerConfig cc;
  cc.isolation_level = isolation;
  cc.enable_auto_commit = false;
  Consumer c(lm, cc);
  std::vector<TopicPartition> tps;
  const int32_t n = *lm->PartitionCount(topic);
  for (int32_t p = 0; p < n; ++p) tps.push_back({topic, p});
  EXPECT_TRUE(c.Assign(tps).ok());
  EXPECT_TRUE(c.SeekToBeginning(tps).ok());
  std::vector<std::string> out;
  for (;;) {
    auto recs = c.Poll(50ms);
    EXPECT_TRUE(recs.ok()) << recs.status().ToString();
    if (!recs.ok() || recs->empty()) break;
    for (const auto& r : *recs) out.emplace_back(*r.value);
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t LastStable(LogManager* lm, const TopicPartition& tp) { return (*lm->GetPartition(tp))->last_stable_offset(); }
int64_t LogEnd(LogManager* lm, const TopicPartition& tp) { return (*lm->GetPartition(tp))->log_end_offset(); }

TEST(TwoPhaseCoordinatorTest, ReopenKeepsTheTransactionOfATwoPhaseIdAndAbortsTheOthers) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 2).ok());
  const TopicPartition p0{"out", 0}, p1{"out", 1};
  auto sink = f.tc().InitProducerId(std::string("sink"), 60000, kTwoPhase);
  auto plain = f.tc().InitProducerId(std::string("plain"), 60000);
  ASSERT_TRUE(sink.ok() && plain.ok());
  ASSERT_TRUE(f.tc().AddPartitions("sink", *sink, {p0}).ok());
  ASSERT_TRUE(WriteTxn(f.lm.get(), p0, *sink, 0, {"s1", "s2"}).ok());
  ASSERT_TRUE(f.tc().AddPartitions("plain", *plain, {p1}).ok());
  ASSERT_TRUE(WriteTxn(f.lm.get(), p1, *plain, 0, {"x1"}).ok());
  auto open = f.tc().OpenTransaction("sink");
  ASSERT_TRUE(open.ok() && open->has_value());
  EXPECT_EQ(**open, (PreparedTxn{sink->id, sink->epoch, 1}));

  f.Reopen();
  auto d = f.tc().Describe("sink");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, TxnState::kOngoing);
  EXPECT_TRUE(d->two_phase);
  EXPECT_EQ(d->txn_seq, 1);
  EXPECT_EQ(d->partitions, std::vector<TopicPartition>{p0});
  EXPECT_EQ(**f.tc().OpenTransaction("sink"), (PreparedTxn{sink->id, sink->epoch, 1}));
  EXPECT_EQ(f.tc().Describe("plain")->state, TxnState::kCompleteAbort);
  EXPECT_FALSE(f.tc().Describe("plain")->two_phase);
  EXPECT_FALSE(f.tc().OpenTransaction("plain")->has_value());
  EXPECT_EQ(LastStable(f.lm.get(), p0), 0);  // still open: read_committed waits
  EXPECT_EQ(LastStable(f.lm.get(), p1), LogEnd(f.lm.get(), p1));
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());

  // A new producer takes the transaction over and commits it.
  auto next = f.tc().InitProducerId(std::string("sink"), 60000, kKeepPrepared);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->id, sink->id);
  EXPECT_GT(next->epoch, sink->epoch);
  EXPECT_EQ(**f.tc().OpenTransaction("sink"), (PreparedTxn{sink->id, next->epoch, 1}));
  EXPECT_EQ(f.tc().EndTxn("sink", *sink, true).code(), Errc::kProducerFenced);
  EXPECT_EQ(f.tc().VerifyTransactionalWrite(*sink, p0).code(), Errc::kProducerFenced);
  ASSERT_TRUE(f.tc().EndTxn("sink", *next, true).ok());
  EXPECT_EQ(ReadValues(f.lm.get(), "out"), (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(LastStable(f.lm.get(), p0), LogEnd(f.lm.get(), p0));
  // The partition now knows the new epoch: the old producer's writes fail there too.
  EXPECT_EQ(WriteTxn(f.lm.get(), p0, *sink, 1, {"zombie"}).code(), Errc::kProducerFenced);
}

TEST(TwoPhaseCoordinatorTest, AbortExpiredLeavesTwoPhaseTransactionsOpen) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  const TopicPartition tp{"out", 0};
  auto sink = f.tc().InitProducerId(std::string("sink"), 60000, kTwoPhase);
  auto plain = f.tc().InitProducerId(std::string("plain"), 60000);
  ASSERT_TRUE(sink.ok() && plain.ok());
  ASSERT_TRUE(f.tc().AddPartitions("sink", *sink, {tp}).ok());
  ASSERT_TRUE(f.tc().AddPartitions("plain", *plain, {tp}).ok());
  ASSERT_TRUE(WriteTxn(f.lm.get(), tp, *sink, 0, {"s"}).ok());
  ASSERT_TRUE(WriteTxn(f.lm.get(), tp, *plain, 0, {"p"}).ok());
  EXPECT_EQ(f.tc().AbortExpired(NowMs()), 0);  // neither is past its timeout yet
  EXPECT_EQ(f.tc().AbortExpired(NowMs() + 3600 * 1000), 1);
  EXPECT_EQ(f.tc().Describe("plain")->state, TxnState::kCompleteAbort);
  EXPECT_EQ(f.tc().Describe("sink")->state, TxnState::kOngoing);
  EXPECT_EQ(f.tc().Describe("sink")->epoch, sink->epoch);  // not fenced either
  EXPECT_EQ(LastStable(f.lm.get(), tp), 0);
  ASSERT_TRUE(f.tc().EndTxn("sink", *sink, true).ok());
  EXPECT_EQ(ReadValues(f.lm.get(), "out"), std::vector<std::string>{"s"});
}

TEST(TwoPhaseCoordinatorTest, FencingWithoutKeepPreparedAbortsTheTransaction) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  const TopicPartition tp{"out", 0};
  auto old = f.tc().InitProducerId(std::string("sink"), 60000, kTwoPhase);
  ASSERT_TRUE(old.ok());
  ASSERT_TRUE(f.tc().AddPartitions("sink", *old, {tp}).ok());
  ASSERT_TRUE(WriteTxn(f.lm.get(), tp, *old, 0, {"s"}).ok());
  auto next = f.tc().InitProducerId(std::string("sink"), 60000, kTwoPhase);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->epoch, old->epoch);
  EXPECT_FALSE(f.tc().OpenTransaction("sink")->has_value());
  EXPECT_EQ(f.tc().Describe("sink")->state, TxnState::kEmpty);
  EXPECT_EQ(f.tc().Describe("sink")->txn_seq, 1);  // the last transaction's number stays
  EXPECT_EQ(LastStable(f.lm.get(), tp), LogEnd(f.lm.get(), tp));
  EXPECT_EQ(f.tc().EndTxn("sink", *old, true).code(), Errc::kProducerFenced);
  EXPECT_EQ(WriteTxn(f.lm.get(), tp, *old, 1, {"zombie"}).code(), Errc::kProducerFenced);
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
}

TEST(TwoPhaseCoordinatorTest, KeepPreparedKeepsOnlyATransactionOpenedUnderTwoPhase) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  const TopicPartition tp{"out", 0};
  EXPECT_EQ(f.tc().InitProducerId(std::string("x"), 60000, {.keep_prepared = true}).status().code(),
            Errc::kInvalidArgument);
  EXPECT_EQ(f.tc().OpenTransaction("nobody").status().code(), Errc::kNotFound);
  // A transaction opened by a normal registration may have been left
  // past its timeout and was never prepared: keep_prepared aborts it.
  auto plain = f.tc().InitProducerId(std::string("was-plain"), 60000);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE(f.tc().AddPartitions("was-plain", *plain, {tp}).ok());
  ASSERT_TRUE(WriteTxn(f.lm.get(), tp, *plain, 0, {"p"}).ok());
  auto now_2pc = f.tc().InitProducerId(std::string("was-plain"), 60000, kKeepPrepared);
  ASSERT_TRUE(now_2pc.ok());
  EXPECT_FALSE(f.tc().OpenTransaction("was-plain")->has_value());
  EXPECT_EQ(f.tc().Describe("was-plain")->state, TxnState::kEmpty);
  EXPECT_TRUE(f.tc().Describe("was-plain")->two_phase);
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
  // A normal registration (what a Kafka client sends) makes the id normal again.
  ASSERT_TRUE(f.tc().InitProducerId(std::string("was-plain"), 60000).ok());
  EXPECT_FALSE(f.tc().Describe("was-plain")->two_phase);
}

TEST(TwoPhaseCoordinatorTest, FlagAndTransactionNumbersSurviveReopenAndCompaction) {
  Fixture f;
  f.options.transactions.compact_slack_records = 20;
  f.Reopen();
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  const TopicPartition tp{"out", 0};
  auto pe = f.tc().InitProducerId(std::string("sink"), 60000, kTwoPhase);
  ASSERT_TRUE(pe.ok());
  int32_t seq = 0;
  for (int i = 1; i <= 30; ++i) {
    ASSERT_TRUE(f.tc().AddPartitions("sink", *pe, {tp}).ok());
    ASSERT_TRUE(WriteTxn(f.lm.get(), tp, *pe, seq++, {"v" + std::to_string(i)}).ok());
    EXPECT_EQ((*f.tc().OpenTransaction("sink"))->txn_seq, i);
    ASSERT_TRUE(f.tc().EndTxn("sink", *pe, true).ok());
  }
  ASSERT_TRUE(f.tc().AddPartitions("sink", *pe, {tp}).ok());
  ASSERT_TRUE(WriteTxn(f.lm.get(), tp, *pe, seq++, {"open"}).ok());
  auto compacted = f.tc().MaybeCompact();
  ASSERT_TRUE(compacted.ok());
  EXPECT_TRUE(*compacted);
  EXPECT_LE(f.tc().log_records(), 20 + 2 * 2 + 3);
  f.Reopen();
  auto d = f.tc().Describe("sink");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->two_phase);
  EXPECT_EQ(d->state, TxnState::kOngoing);
  EXPECT_EQ(d->txn_seq, 31);
  EXPECT_EQ(**f.tc().OpenTransaction("sink"), (PreparedTxn{pe->id, pe->epoch, 31}));
  EXPECT_EQ(ReadValues(f.lm.get(), "out").size(), 30u);
  // And it goes on counting from there.
  ASSERT_TRUE(f.tc().EndTxn("sink", *pe, false).ok());
  ASSERT_TRUE(f.tc().AddPartitions("sink", *pe, {tp}).ok());
  EXPECT_EQ((*f.tc().OpenTransaction("sink"))->txn_seq, 32);
  f.Reopen();
  EXPECT_EQ(f.tc().Describe("sink")->txn_seq, 32);
  EXPECT_TRUE(f.tc().Describe("sink")->two_phase);
}

// A state record written before the two fields existed (proto3 writes no
// field at its default, so such a record is byte for byte what the older
// code wrote) reads as a normal id: its open transaction is aborted on open.
TEST(TwoPhaseCoordinatorTest, AStateRecordWithoutTheNewFieldsReplaysAsANormalId) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  const TopicPartition tp{"out", 0};
  const ProducerIdAndEpoch legacy{500000, 4};
  ASSERT_TRUE(WriteTxn(f.lm.get(), tp, legacy, 0, {"old"}).ok());
  ASSERT_TRUE(f.lm->Close().ok());
  f.lm.reset();
  {
    proto::TransactionState s;
    s.set_transactional_id("legacy");
    s.set_producer_id(legacy.id);
    s.set_producer_epoch(legacy.epoch);
    s.set_timeout_ms(60000);
    s.set_state(static_cast<int32_t>(TxnState::kOngoing));
    auto* p = s.add_partitions();
    p->set_topic(tp.topic);
    p->set_partition(tp.partition);
    s.set_start_ms(NowMs());
    s.set_update_ms(NowMs());
    const std::string value = s.SerializeAsString();
    TopicConfig config;
    config.segment_bytes = 64 << 20;
    auto part = Partition::Open(f.dir / "transactions", TopicPartition{"__transaction_state", 0}, config, nullptr);
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    RecordBatchBuilder b;
    b.Append(NowMs(), "txn/legacy", value);
    std::string batch = b.Finish();
    ASSERT_TRUE((*part)->Append(std::span<char>(batch.data(), batch.size()), false, true).ok());
    ASSERT_TRUE((*part)->Close().ok());
  }
  f.Open();
  auto d = f.tc().Describe("legacy");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->two_phase);
  EXPECT_EQ(d->txn_seq, 0);
  EXPECT_EQ(d->producer_id, legacy.id);
  EXPECT_EQ(d->state, TxnState::kCompleteAbort);
  EXPECT_EQ(LastStable(f.lm.get(), tp), LogEnd(f.lm.get(), tp));
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
  // Its next transaction is number 1.
  auto pe = f.tc().InitProducerId(std::string("legacy"), 60000, kTwoPhase);
  ASSERT_TRUE(pe.ok());
  ASSERT_TRUE(f.tc().AddPartitions("legacy", *pe, {tp}).ok());
  EXPECT_EQ((*f.tc().OpenTransaction("legacy"))->txn_seq, 1);
}

}  // namespace
}  // namespace rivulet::log

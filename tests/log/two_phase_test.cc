// Two-phase transactional ids (InitOptions::two_phase, KIP-939): their open
// transaction survives a reopen and its timeout, keep_prepared hands it to
// a new epoch, a fencing InitProducerId still aborts it, and the flag and
// the transaction numbers survive reopen and compaction of the transaction
// log, whose records without them still replay. Then the embedded
// producer's side, as an exactly-once sink uses it: PrepareTransaction at
// the barrier, and after a crash InitTransactions(keep_prepared) and
// CompletePreparedTransaction with what the restored checkpoint holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/producer.h"
#include "log/record_batch.h"
#include "log/txn_coordinator.h"
#include "proto/rivulet_metadata.pb.h"
#include "tests/log/txn_test_util.h"

namespace rivulet::log {
namespace {

using testing::ReadValues;
using namespace std::chrono_literals;

constexpr InitOptions kTwoPhase{.two_phase = true};
constexpr InitOptions kKeepPrepared{.two_phase = true, .keep_prepared = true};

struct Fixture : testing::LogFixture {
  Fixture() : LogFixture(3600 * 1000) {}
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

ProducerConfig TwoPhase(const std::string& id) {
  ProducerConfig c;
  c.transactional_id = id;
  c.two_phase_commit = true;
  c.linger_ms = 0;
  return c;
}

Status SendAll(Producer& p, const std::string& topic, const std::vector<std::string>& values) {
  for (const auto& v : values) RIVULET_RETURN_IF_ERROR(p.Send(topic, v, v));
  return Status::Ok();
}

// Writes the transaction of one checkpoint epoch and prepares it.
Result<PreparedTxn> WriteAndPrepare(Producer& p, const std::vector<std::string>& values) {
  RIVULET_RETURN_IF_ERROR(p.BeginTransaction());
  RIVULET_RETURN_IF_ERROR(SendAll(p, "out", values));
  return p.PrepareTransaction();
}

TEST(TwoPhaseProducerTest, APreparedTransactionSurvivesReopenAndTheNextInstanceCommitsIt) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 2).ok());
  PreparedTxn prepared;
  {
    Producer p(f.lm.get(), TwoPhase("sink"));
    ASSERT_TRUE(p.InitTransactions().ok());
    ASSERT_TRUE(p.BeginTransaction().ok());
    for (const char* v : {"e1-a", "e1-b", "e1-c", "e1-d"}) {
      ASSERT_TRUE(p.Send("out", v, v, nullptr, /*partition=*/v[3] - 'a' < 2 ? 0 : 1).ok());
    }
    auto r = p.PrepareTransaction();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    prepared = *r;
    EXPECT_EQ(prepared.producer_id, p.producer_id().id);
    EXPECT_EQ(prepared.epoch, p.producer_id().epoch);
    EXPECT_EQ(prepared.txn_seq, 1);
    EXPECT_EQ(p.Send("out", "late", "late").code(), Errc::kInvalidTxnState);  // prepared: no more sends
    // Records after it, transactional or not, wait for it too.
    Producer plain(f.lm.get());
    ASSERT_TRUE(plain.Send("out", "k", "plain-0", nullptr, 0).ok());
    ASSERT_TRUE(plain.Send("out", "k", "plain-1", nullptr, 1).ok());
    ASSERT_TRUE(plain.Flush().ok());
    p.Close();  // the process dies before the checkpoint completes
  }
  f.Reopen();
  EXPECT_EQ(**f.tc().OpenTransaction("sink"), prepared);
  for (int32_t i = 0; i < 2; ++i) {
    const TopicPartition tp{"out", i};
    EXPECT_EQ(LastStable(f.lm.get(), tp), 0);
    EXPECT_EQ(LogEnd(f.lm.get(), tp), 3);
  }
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadUncommitted).size(), 6u);
  {
    ConsumerConfig cc;
    cc.isolation_level = IsolationLevel::kReadCommitted;
    Consumer c(f.lm.get(), cc);
    auto end = c.EndOffsets({{"out", 0}, {"out", 1}});
    ASSERT_TRUE(end.ok());
    EXPECT_EQ(end->at({"out", 0}), 0);  // the last stable offset
    EXPECT_EQ(end->at({"out", 1}), 0);
  }

  // The restarted job found checkpoint 1 complete: it commits.
  Producer q(f.lm.get(), TwoPhase("sink"));
  ASSERT_TRUE(q.InitTransactions(/*keep_prepared=*/true).ok());
  EXPECT_GT(q.producer_id().epoch, prepared.epoch);
  EXPECT_EQ(q.BeginTransaction().code(), Errc::kInvalidTxnState);  // the kept one first
  ASSERT_TRUE(q.CompletePreparedTransaction(prepared).ok());
  const std::vector<std::string> committed{"e1-a", "e1-b", "e1-c", "e1-d", "plain-0", "plain-1"};
  EXPECT_EQ(ReadValues(f.lm.get(), "out"), committed);
  EXPECT_EQ(f.tc().Describe("sink")->state, TxnState::kCompleteCommit);
  // A retry finds nothing open: ok, and nothing changes.
  ASSERT_TRUE(q.CompletePreparedTransaction(prepared).ok());
  // And the sink goes on with its next epoch.
  auto next = WriteAndPrepare(q, {"e2"});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->txn_seq, 2);
  ASSERT_TRUE(q.CommitTransaction().ok());
  EXPECT_EQ(ReadValues(f.lm.get(), "out").size(), committed.size() + 1);
}

TEST(TwoPhaseProducerTest, CompletingWithAnOlderTransactionNumberAborts) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 2).ok());
  PreparedTxn prepared;
  {
    Producer p(f.lm.get(), TwoPhase("sink"));
    ASSERT_TRUE(p.InitTransactions().ok());
    auto r = WriteAndPrepare(p, {"a", "b", "c"});
    ASSERT_TRUE(r.ok());
    prepared = *r;
  }
  f.Reopen();
  Producer q(f.lm.get(), TwoPhase("sink"));
  ASSERT_TRUE(q.InitTransactions(/*keep_prepared=*/true).ok());
  // The restored checkpoint holds the transaction before this one.
  PreparedTxn older = prepared;
  --older.txn_seq;
  ASSERT_TRUE(q.CompletePreparedTransaction(older).ok());
  EXPECT_EQ(f.tc().Describe("sink")->state, TxnState::kCompleteAbort);
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadUncommitted).size(), 3u);
  for (int32_t i = 0; i < 2; ++i) EXPECT_EQ(LastStable(f.lm.get(), {"out", i}), LogEnd(f.lm.get(), {"out", i}));
}

TEST(TwoPhaseProducerTest, CompletingWithTheCommittedTransactionAbortsTheNextOne) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  PreparedTxn committed;
  {
    Producer p(f.lm.get(), TwoPhase("sink"));
    ASSERT_TRUE(p.InitTransactions().ok());
    auto r = WriteAndPrepare(p, {"epoch-1"});
    ASSERT_TRUE(r.ok());
    committed = *r;
    ASSERT_TRUE(p.CommitTransaction().ok());  // checkpoint 1 completed
    ASSERT_TRUE(p.BeginTransaction().ok());
    ASSERT_TRUE(SendAll(p, "out", {"epoch-2"}).ok());
    ASSERT_TRUE(p.Flush().ok());
    // Dies before the barrier of epoch 2: same producer id and epoch as
    // the committed transaction, another number.
    EXPECT_EQ(**f.tc().OpenTransaction("sink"), (PreparedTxn{committed.producer_id, committed.epoch, 2}));
  }
  f.Reopen();
  Producer q(f.lm.get(), TwoPhase("sink"));
  ASSERT_TRUE(q.InitTransactions(/*keep_prepared=*/true).ok());
  ASSERT_TRUE(q.CompletePreparedTransaction(committed).ok());
  EXPECT_FALSE(f.tc().OpenTransaction("sink")->has_value());
  EXPECT_EQ(ReadValues(f.lm.get(), "out"), std::vector<std::string>{"epoch-1"});
}

TEST(TwoPhaseProducerTest, FencingWithoutKeepPreparedAbortsAndFencesTheOldProducer) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  Producer old(f.lm.get(), TwoPhase("sink"));
  ASSERT_TRUE(old.InitTransactions().ok());
  auto prepared = WriteAndPrepare(old, {"a"});
  ASSERT_TRUE(prepared.ok());
  Producer next(f.lm.get(), TwoPhase("sink"));
  ASSERT_TRUE(next.InitTransactions().ok());
  EXPECT_FALSE(f.tc().OpenTransaction("sink")->has_value());
  EXPECT_EQ(old.CommitTransaction().code(), Errc::kProducerFenced);
  EXPECT_EQ(old.BeginTransaction().code(), Errc::kProducerFenced);  // fatal from now on
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
  // Nothing open to complete: ok (the checkpoint's transaction was aborted).
  ASSERT_TRUE(next.CompletePreparedTransaction(*prepared).ok());

  // A producer caught in the middle of its transaction: its next send fails.
  Producer writer(f.lm.get(), TwoPhase("sink-2"));
  ASSERT_TRUE(writer.InitTransactions().ok());
  ASSERT_TRUE(writer.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(writer, "out", {"b"}).ok());
  ASSERT_TRUE(writer.Flush().ok());
  Producer taker(f.lm.get(), TwoPhase("sink-2"));
  ASSERT_TRUE(taker.InitTransactions().ok());
  ASSERT_TRUE(SendAll(writer, "out", {"c"}).ok());  // queued; the append is refused
  EXPECT_EQ(writer.Flush().code(), Errc::kProducerFenced);
  EXPECT_EQ(writer.CommitTransaction().code(), Errc::kProducerFenced);
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
}

// keep_prepared writes no marker, so until the transaction ends the
// partitions know only the old epoch: a late write of the old instance
// would land in the transaction that the new one commits, but for the
// producer's check with the coordinator before each transactional append.
TEST(TwoPhaseProducerTest, KeepPreparedFencesTheLateWritesOfTheOldInstance) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  Producer old(f.lm.get(), TwoPhase("sink"));
  ASSERT_TRUE(old.InitTransactions().ok());
  ASSERT_TRUE(old.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(old, "out", {"a"}).ok());
  ASSERT_TRUE(old.Flush().ok());
  Producer next(f.lm.get(), TwoPhase("sink"));
  ASSERT_TRUE(next.InitTransactions(/*keep_prepared=*/true).ok());
  ASSERT_TRUE(SendAll(old, "out", {"late"}).ok());  // queued; the append is refused
  EXPECT_EQ(old.Flush().code(), Errc::kProducerFenced);
  EXPECT_EQ(old.CommitTransaction().code(), Errc::kProducerFenced);
  auto open = f.tc().OpenTransaction("sink");
  ASSERT_TRUE(open.ok() && open->has_value());
  ASSERT_TRUE(next.CompletePreparedTransaction(**open).ok());
  EXPECT_EQ(ReadValues(f.lm.get(), "out"), std::vector<std::string>{"a"});
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadUncommitted), std::vector<std::string>{"a"});
}

TEST(TwoPhaseProducerTest, TheCallsRefuseWhatTheirStateDoesNotAllow) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  ProducerConfig normal = TwoPhase("normal");
  normal.two_phase_commit = false;
  Producer n(f.lm.get(), normal);
  EXPECT_EQ(n.InitTransactions(/*keep_prepared=*/true).code(), Errc::kInvalidArgument);
  ASSERT_TRUE(n.InitTransactions().ok());
  EXPECT_FALSE(f.tc().Describe("normal")->two_phase);
  ASSERT_TRUE(n.BeginTransaction().ok());
  EXPECT_EQ(n.PrepareTransaction().status().code(), Errc::kInvalidTxnState);
  EXPECT_EQ(n.CompletePreparedTransaction({}).code(), Errc::kInvalidTxnState);
  ASSERT_TRUE(n.AbortTransaction().ok());

  Producer p(f.lm.get(), TwoPhase("sink"));
  EXPECT_EQ(p.CompletePreparedTransaction({}).code(), Errc::kInvalidTxnState);  // before InitTransactions
  ASSERT_TRUE(p.InitTransactions(/*keep_prepared=*/true).ok());  // nothing to keep
  EXPECT_TRUE(f.tc().Describe("sink")->two_phase);
  EXPECT_EQ(p.PrepareTransaction().status().code(), Errc::kInvalidTxnState);  // no transaction
  ASSERT_TRUE(p.BeginTransaction().ok());
  EXPECT_EQ(p.CompletePreparedTransaction({}).code(), Errc::kInvalidTxnState);  // its own, not prepared
  // A transaction that wrote nothing has no number of its own.
  auto empty = p.PrepareTransaction();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->txn_seq, 0);
  EXPECT_EQ(p.PrepareTransaction().status().code(), Errc::kInvalidTxnState);  // already
  EXPECT_EQ(p.SendOffsetsToTransaction({{{"out", 0}, 1}}, "g").code(), Errc::kInvalidTxnState);
  ASSERT_TRUE(p.CommitTransaction().ok());
  auto first = WriteAndPrepare(p, {"x"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->txn_seq, 1);
  ASSERT_TRUE(p.AbortTransaction().ok());  // a prepared transaction can still be aborted
  EXPECT_TRUE(ReadValues(f.lm.get(), "out").empty());
}

}  // namespace
}  // namespace rivulet::log

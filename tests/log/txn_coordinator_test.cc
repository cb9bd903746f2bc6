// Transactions in the embedded log: the embedded producer's transactions
// seen by read_committed and read_uncommitted consumers, offsets committed
// with a transaction, fencing, the transaction timeout, recovery of open
// transactions on reopen, durable producer ids, and the coordinator's
// refusals.
#include "log/txn_coordinator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "log/consumer.h"
#include "log/log_manager.h"
#include "log/partition.h"
#include "log/producer.h"
#include "tests/log/txn_test_util.h"

namespace rivulet::log {
namespace {

using testing::ReadValues;
using namespace std::chrono_literals;

struct Fixture : testing::LogFixture {
  Fixture() : LogFixture(20) {}
};

ProducerConfig Transactional(const std::string& id, int32_t timeout_ms = 60000) {
  ProducerConfig c;
  c.transactional_id = id;
  c.transaction_timeout_ms = timeout_ms;
  c.linger_ms = 0;
  return c;
}

Status SendAll(Producer& p, const std::string& topic, const std::vector<std::string>& values) {
  for (const auto& v : values) RIVULET_RETURN_IF_ERROR(p.Send(topic, v, v));
  return Status::Ok();
}

TEST(TransactionsTest, ReadCommittedSeesCommittedTransactionsOnly) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 3).ok());
  Producer p(f.lm.get(), Transactional("tx-1"));
  ASSERT_TRUE(p.InitTransactions().ok());
  ASSERT_TRUE(p.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(p, "out", {"a1", "a2", "a3"}).ok());
  ASSERT_TRUE(p.CommitTransaction().ok());
  ASSERT_TRUE(p.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(p, "out", {"b1", "b2"}).ok());
  ASSERT_TRUE(p.AbortTransaction().ok());
  ASSERT_TRUE(p.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(p, "out", {"c1"}).ok());
  ASSERT_TRUE(p.CommitTransaction().ok());

  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted),
            (std::vector<std::string>{"a1", "a2", "a3", "c1"}));
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadUncommitted),
            (std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "c1"}));
  auto d = f.lm->transactions().Describe("tx-1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, TxnState::kCompleteCommit);
  EXPECT_EQ(d->producer_id, p.producer_id().id);
}

TEST(TransactionsTest, ReadCommittedWaitsForTheOpenTransaction) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  Producer tx(f.lm.get(), Transactional("tx-open"));
  ASSERT_TRUE(tx.InitTransactions().ok());
  ASSERT_TRUE(tx.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(tx, "out", {"t1"}).ok());
  ASSERT_TRUE(tx.Flush().ok());
  Producer plain(f.lm.get());
  ASSERT_TRUE(SendAll(plain, "out", {"p1"}).ok());
  ASSERT_TRUE(plain.Flush().ok());
  EXPECT_TRUE(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted).empty());

  ConsumerConfig cc;
  cc.isolation_level = IsolationLevel::kReadCommitted;
  Consumer c(f.lm.get(), cc);
  ASSERT_TRUE(c.Assign({{"out", 0}}).ok());
  auto end = c.EndOffsets({{"out", 0}});
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->at({"out", 0}), 0);  // the last stable offset, not the log end (2)
  ASSERT_TRUE(tx.CommitTransaction().ok());
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted),
            (std::vector<std::string>{"p1", "t1"}));
  EXPECT_EQ(c.EndOffsets({{"out", 0}})->at({"out", 0}), 3);  // past the marker
}

TEST(TransactionsTest, OffsetsCommitWithTheTransactionOnly) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("in", 1).ok());
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  Producer p(f.lm.get(), Transactional("ctp"));
  ASSERT_TRUE(p.InitTransactions().ok());
  const TopicPartition in{"in", 0};
  ASSERT_TRUE(p.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(p, "out", {"x"}).ok());
  ASSERT_TRUE(p.SendOffsetsToTransaction({{in, 10}}, "g").ok());
  EXPECT_TRUE(f.lm->groups().FetchOffsets("g", {in}).empty());  // not before the commit
  ASSERT_TRUE(p.AbortTransaction().ok());
  EXPECT_TRUE(f.lm->groups().FetchOffsets("g", {in}).empty());
  ASSERT_TRUE(p.BeginTransaction().ok());
  ASSERT_TRUE(p.SendOffsetsToTransaction({{in, 20}}, "g").ok());
  ASSERT_TRUE(p.CommitTransaction().ok());
  EXPECT_EQ(f.lm->groups().FetchOffsets("g", {in}).at(in).offset, 20);
}

// KIP-447: offsets sent by a member of an older generation are refused.
TEST(TransactionsTest, OffsetsOfAStaleGroupMemberAreRefused) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("in", 2).ok());
  ConsumerConfig cc;
  cc.group_id = "ctp";
  cc.enable_auto_commit = false;
  Consumer c(f.lm.get(), cc);
  ASSERT_TRUE(c.Subscribe({"in"}).ok());
  for (int i = 0; i < 50 && c.generation() < 0; ++i) ASSERT_TRUE(c.Poll(20ms).ok());
  ASSERT_GE(c.generation(), 0);
  Producer p(f.lm.get(), Transactional("ctp-writer"));
  ASSERT_TRUE(p.InitTransactions().ok());
  ASSERT_TRUE(p.BeginTransaction().ok());
  const TopicPartition in{"in", 0};
  EXPECT_EQ(p.SendOffsetsToTransaction({{in, 5}}, "ctp", c.member_id(), c.generation() + 1).code(),
            Errc::kIllegalGeneration);
  EXPECT_EQ(p.SendOffsetsToTransaction({{in, 5}}, "ctp", "someone-else", c.generation()).code(),
            Errc::kUnknownMember);
  ASSERT_TRUE(p.SendOffsetsToTransaction({{in, 7}}, "ctp", c.member_id(), c.generation()).ok());
  ASSERT_TRUE(p.CommitTransaction().ok());
  EXPECT_EQ(f.lm->groups().FetchOffsets("ctp", {in}).at(in).offset, 7);
}

TEST(TransactionsTest, ASecondProducerWithTheIdFencesTheFirst) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 2).ok());
  Producer first(f.lm.get(), Transactional("shared"));
  ASSERT_TRUE(first.InitTransactions().ok());
  ASSERT_TRUE(first.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(first, "out", {"zombie-1", "zombie-2"}).ok());
  ASSERT_TRUE(first.Flush().ok());

  Producer second(f.lm.get(), Transactional("shared"));
  ASSERT_TRUE(second.InitTransactions().ok());
  EXPECT_EQ(second.producer_id().id, first.producer_id().id);
  EXPECT_GT(second.producer_id().epoch, first.producer_id().epoch);
  EXPECT_EQ(first.CommitTransaction().code(), Errc::kProducerFenced);
  EXPECT_EQ(first.BeginTransaction().code(), Errc::kProducerFenced);  // fatal from now on
  ASSERT_TRUE(second.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(second, "out", {"live"}).ok());
  ASSERT_TRUE(second.CommitTransaction().ok());
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted), (std::vector<std::string>{"live"}));
}

TEST(TransactionsTest, AnAbandonedTransactionIsAbortedAfterItsTimeout) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  Producer p(f.lm.get(), Transactional("slow", /*timeout_ms=*/200));
  ASSERT_TRUE(p.InitTransactions().ok());
  ASSERT_TRUE(p.BeginTransaction().ok());
  ASSERT_TRUE(SendAll(p, "out", {"lost"}).ok());
  ASSERT_TRUE(p.Flush().ok());
  auto part = *f.lm->GetPartition({"out", 0});
  EXPECT_EQ(part->last_stable_offset(), 0);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (part->last_stable_offset() != part->log_end_offset() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(part->last_stable_offset(), part->log_end_offset());
  EXPECT_EQ(f.lm->transactions().Describe("slow")->state, TxnState::kCompleteAbort);
  EXPECT_EQ(p.CommitTransaction().code(), Errc::kProducerFenced);
  EXPECT_TRUE(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted).empty());
}

TEST(TransactionsTest, ReopenAbortsOpenTransactionsAndKeepsCommittedOnes) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 2).ok());
  ProducerId pid;
  {
    Producer p(f.lm.get(), Transactional("crashy"));
    ASSERT_TRUE(p.InitTransactions().ok());
    ASSERT_TRUE(p.BeginTransaction().ok());
    ASSERT_TRUE(SendAll(p, "out", {"kept-1", "kept-2"}).ok());
    ASSERT_TRUE(p.CommitTransaction().ok());
    ASSERT_TRUE(p.BeginTransaction().ok());
    ASSERT_TRUE(SendAll(p, "out", {"open-1", "open-2", "open-3"}).ok());
    ASSERT_TRUE(p.Flush().ok());
    pid = p.producer_id().id;
    p.Close();  // no commit: the transaction stays open in the log
  }
  f.Reopen();
  auto d = f.lm->transactions().Describe("crashy");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, TxnState::kCompleteAbort);
  EXPECT_EQ(d->producer_id, pid);
  for (int32_t i = 0; i < 2; ++i) {
    auto part = *f.lm->GetPartition({"out", i});
    EXPECT_EQ(part->last_stable_offset(), part->log_end_offset());
  }
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted),
            (std::vector<std::string>{"kept-1", "kept-2"}));
  // A new producer with the id goes on after the recovered epoch.
  Producer again(f.lm.get(), Transactional("crashy"));
  ASSERT_TRUE(again.InitTransactions().ok());
  EXPECT_GT(again.producer_id().epoch, d->epoch);
}

// A transaction open in a partition that the transaction log does not hold
// (its Ongoing record lost in a machine crash, or a producer id it never
// gave out) would hold the last stable offset forever: the open aborts it.
TEST(TransactionsTest, ReopenAbortsATransactionTheTransactionLogDoesNotKnow) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  RecordBatchBuilder b;
  b.Append(1000, "k", "stray");
  std::string batch = b.Finish(ProducerFields{424242, 3, 0, /*transactional=*/true});
  auto part = *f.lm->GetPartition({"out", 0});
  ASSERT_TRUE(part->Append(std::span<char>(batch.data(), batch.size()), true).ok());
  Producer plain(f.lm.get());
  ASSERT_TRUE(SendAll(plain, "out", {"after"}).ok());
  ASSERT_TRUE(plain.Flush().ok());
  plain.Close();
  EXPECT_EQ(part->last_stable_offset(), 0);
  part.reset();
  f.Reopen();
  part = *f.lm->GetPartition({"out", 0});
  EXPECT_EQ(part->last_stable_offset(), part->log_end_offset());
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted), (std::vector<std::string>{"after"}));
}

TEST(TransactionsTest, ProducerIdsAreNeverHandedOutTwiceAcrossReopens) {
  Fixture f;
  auto a = f.lm->transactions().InitProducerId(std::nullopt, 0);
  auto b = f.lm->transactions().InitProducerId(std::nullopt, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->id, b->id);
  f.Reopen();
  auto c = f.lm->transactions().InitProducerId(std::nullopt, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c->id, b->id);
  // The embedded producer is idempotent by default.
  Producer p(f.lm.get());
  EXPECT_GT(p.producer_id().id, c->id);
  EXPECT_EQ(p.producer_id().epoch, 0);
}

TEST(TransactionsTest, TheTransactionLogIsCompactedAndStillReplays) {
  Fixture f;
  f.options.transactions.compact_slack_records = 20;
  f.Reopen();
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  ProducerIdAndEpoch last;
  {
    Producer p(f.lm.get(), Transactional("busy"));
    ASSERT_TRUE(p.InitTransactions().ok());
    for (int i = 0; i < 60; ++i) {
      ASSERT_TRUE(p.BeginTransaction().ok());
      ASSERT_TRUE(SendAll(p, "out", {"v" + std::to_string(i)}).ok());
      ASSERT_TRUE(p.CommitTransaction().ok());
    }
    last = p.producer_id();
  }
  ProducerId plain_before = f.lm->transactions().InitProducerId(std::nullopt, 0)->id;
  // Each transaction writes three records; compaction keeps the log near
  // its live size (two records) plus the slack.
  auto compacted = f.lm->transactions().MaybeCompact();
  ASSERT_TRUE(compacted.ok());
  EXPECT_LE(f.lm->transactions().log_records(), 20 + 2 * 2 + 3);
  f.Reopen();
  auto d = f.lm->transactions().Describe("busy");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, TxnState::kCompleteCommit);
  EXPECT_EQ(d->producer_id, last.id);
  EXPECT_EQ(d->epoch, last.epoch);
  EXPECT_LE(f.lm->transactions().log_records(), 20 + 2 * 2 + 3);
  EXPECT_GT(f.lm->transactions().InitProducerId(std::nullopt, 0)->id, plain_before);
  EXPECT_EQ(ReadValues(f.lm.get(), "out", IsolationLevel::kReadCommitted).size(), 60u);
}

TEST(TransactionsTest, TheCoordinatorRefusesWhatItsStateDoesNotAllow) {
  Fixture f;
  ASSERT_TRUE(f.lm->CreateTopic("out", 1).ok());
  auto& tc = f.lm->transactions();
  EXPECT_EQ(tc.InitProducerId(std::string("t"), 0).status().code(), Errc::kInvalidTransactionTimeout);
  EXPECT_EQ(tc.InitProducerId(std::string("t"), 24 * 3600 * 1000).status().code(),
            Errc::kInvalidTransactionTimeout);
  auto pe = tc.InitProducerId(std::string("t"), 1000);
  ASSERT_TRUE(pe.ok());
  EXPECT_EQ(tc.AddPartitions("nope", *pe, {{"out", 0}}).code(), Errc::kNotFound);
  EXPECT_EQ(tc.AddPartitions("t", {pe->id + 1, pe->epoch}, {{"out", 0}}).code(), Errc::kInvalidProducerIdMapping);
  EXPECT_EQ(tc.AddPartitions("t", {pe->id, static_cast<ProducerEpoch>(pe->epoch + 1)}, {{"out", 0}}).code(),
            Errc::kProducerFenced);
  EXPECT_EQ(tc.AddPartitions("t", *pe, {{"missing", 0}}).code(), Errc::kNotFound);
  EXPECT_EQ(tc.EndTxn("t", *pe, true).code(), Errc::kInvalidTxnState);  // nothing open
  EXPECT_EQ(tc.TxnOffsetCommit("t", *pe, "g", {}).code(), Errc::kInvalidTxnState);
  ASSERT_TRUE(tc.AddPartitions("t", *pe, {{"out", 0}}).ok());
  EXPECT_EQ(tc.TxnOffsetCommit("t", *pe, "g", {}).code(), Errc::kInvalidTxnState);  // AddOffsets first
  ASSERT_TRUE(tc.EndTxn("t", *pe, false).ok());
  EXPECT_TRUE(tc.EndTxn("t", *pe, false).ok());                          // a retry
  EXPECT_EQ(tc.EndTxn("t", *pe, true).code(), Errc::kInvalidTxnState);  // not the same outcome
  const auto list = tc.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].transactional_id, "t");

  Producer p(f.lm.get(), Transactional("order"));
  EXPECT_EQ(p.Send("out", "k", "v").code(), Errc::kInvalidTxnState);  // before InitTransactions
  EXPECT_EQ(p.BeginTransaction().code(), Errc::kInvalidTxnState);
  ASSERT_TRUE(p.InitTransactions().ok());
  EXPECT_EQ(p.Send("out", "k", "v").code(), Errc::kInvalidTxnState);  // outside a transaction
  EXPECT_EQ(p.CommitTransaction().code(), Errc::kInvalidTxnState);
  ASSERT_TRUE(p.BeginTransaction().ok());
  EXPECT_EQ(p.BeginTransaction().code(), Errc::kInvalidTxnState);
  ASSERT_TRUE(p.CommitTransaction().ok());  // an empty transaction
  Producer plain(f.lm.get());
  EXPECT_EQ(plain.InitTransactions().code(), Errc::kInvalidTxnState);
}

}  // namespace
}  // namespace rivulet::log

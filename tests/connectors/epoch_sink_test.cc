// SinkScope (connectors/sink_scope.h): which old instances' checkpoint
// entries a sink instance takes over. EpochSink and EpochBuffer
// (connectors/epoch_buffer.h) over an in-memory
// database, driven by hand as the runtime drives a sink: rows wait for
// their checkpoint's completion; a restore (at another parallelism, and a
// second time) writes the recorded epochs the database lacks, once; a
// transaction that fails is rolled back, leaves nothing of its epoch, and
// a restore from the checkpoint then writes that epoch once.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "connectors/epoch_buffer.h"
#include "connectors/sink_scope.h"
#include "tests/job_test_util.h"

namespace rivulet::connectors {
namespace {

using testing::RestoreInstance;

// The "database": committed rows and progress, shared by the instances.
struct Store {
  std::vector<std::string> rows;
  std::map<std::string, int64_t> progress;
  std::string fail_on;  // a row whose Write throws
  bool fail_commit = false;  // the next Commit throws (once)
  int rollbacks = 0;
  int transactions = 0;  // committed
  std::vector<std::string> begun;  // the sink named by each Begin
};

class MemorySink final : public EpochSink<std::string> {
 public:
  explicit MemorySink(std::shared_ptr<Store> store) : EpochSink<std::string>("memory sink"), store_(std::move(store)) {}
  void OnBatch(operators::Batch<std::string>& batch) override {
    OpenOnce();
    for (const auto& e : batch) {
      if (epochs_.enabled()) {
        epochs_.Add({e.value});
      } else {
        store_->rows.push_back(e.value);
      }
    }
  }

 private:
  void Begin(const std::string& sink) override {
    ASSERT_FALSE(open_) << "a transaction inside a transaction";
    store_->begun.push_back(sink);
    open_ = true;
    rows_.clear();
    progress_ = store_->progress;
  }
  int64_t Progress(const std::string& sink) override {
    auto it = progress_.find(sink);
    return it == progress_.end() ? 0 : it->second;
  }
  void Write(const std::vector<SqlRow>& rows) override {
    for (const auto& r : rows) {
      if (r.at(0) == store_->fail_on) throw std::runtime_error("refused " + r.at(0));
      rows_.push_back(r.at(0));
    }
  }
  void SetProgress(const std::string& sink, int64_t checkpoint) override { progress_[sink] = checkpoint; }
  void Commit() override {
    if (std::exchange(store_->fail_commit, false)) throw std::runtime_error("commit refused");
    store_->rows.insert(store_->rows.end(), rows_.begin(), rows_.end());
    store_->progress = progress_;
    ++store_->transactions;
    open_ = false;
  }
  void Rollback() noexcept override {
    if (open_) ++store_->rollbacks;
    open_ = false;
  }
  void OpenOnce() override {
    if (opened_) return;
    opened_ = true;
    if (epochs_.enabled()) epochs_.Recover(*this);
  }

  std::shared_ptr<Store> store_;
  bool opened_ = false;
  bool open_ = false;
  std::vector<std::string> rows_;
  std::map<std::string, int64_t> progress_;
};

operators::Batch<std::string> Rows(int from, int to) {
  operators::Batch<std::string> b;
  for (int v = from; v < to; ++v) b.push_back(operators::Event<std::string>{0, std::to_string(v)});
  return b;
}

std::unique_ptr<MemorySink> Make(const std::shared_ptr<Store>& store, int index, int parallelism) {
  auto s = std::make_unique<MemorySink>(store);
  s->EnableCheckpoints(engine::CheckpointScope{"job", "out", index, parallelism});
  return s;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) { return std::stoi(a) < std::stoi(b); });
  return v;
}

std::vector<std::string> Numbers(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back(std::to_string(i));
  return v;
}

TEST(EpochSinkTest, RowsWaitForTheirCheckpointAndRestoresWriteRecordedEpochsOnce) {
  auto store = std::make_shared<Store>();
  std::vector<engine::StateEntry> chk2;
  {
    auto a = Make(store, 0, 2);
    auto b = Make(store, 1, 2);
    auto b1 = Rows(0, 10), b2 = Rows(10, 20), b3 = Rows(20, 30), b4 = Rows(30, 40);
    a->OnBatch(b1);
    b->OnBatch(b2);
    EXPECT_TRUE(store->rows.empty()) << "written before its checkpoint";
    engine::SnapshotWriter w1a, w1b;
    a->Snapshot(1, w1a);
    b->Snapshot(1, w1b);
    EXPECT_TRUE(store->rows.empty()) << "written at the barrier";
    a->CheckpointComplete(1);
    b->CheckpointComplete(1);
    EXPECT_EQ(Sorted(store->rows), Numbers(0, 20));
    EXPECT_EQ(store->progress["job/out/0"], 1);
    EXPECT_EQ(store->progress["job/out/1"], 1);
    // Checkpoint 2 is taken, and both die before it completes.
    a->OnBatch(b3);
    b->OnBatch(b4);
    engine::SnapshotWriter w2a, w2b;
    a->Snapshot(2, w2a);
    b->Snapshot(2, w2b);
    for (auto* w : {&w2a, &w2b}) chk2.insert(chk2.end(), w->entries().begin(), w->entries().end());
  }
  EXPECT_EQ(Sorted(store->rows), Numbers(0, 20));
  EXPECT_EQ(store->begun, (std::vector<std::string>{"job/out/0", "job/out/1"}));
  // Restored at parallelism 1 (twice): the one instance writes what both
  // recorded, in one transaction per old instance (each begun with that
  // instance's name: a Kafka sink's transactional id), once.
  for (int round = 0; round < 2; ++round) {
    store->begun.clear();
    auto s = Make(store, 0, 1);
    RestoreInstance(*s, chk2, 2, 0, 1);
    engine::SnapshotWriter w;
    s->Snapshot(3, w);  // recovers first: the restored epochs are not recorded again
    EXPECT_TRUE(w.entries().empty());
    EXPECT_EQ(Sorted(store->rows), Numbers(0, 40)) << "round " << round;
    EXPECT_EQ(store->progress["job/out/1"], 2);
    EXPECT_EQ(store->begun, (std::vector<std::string>{"job/out/0", "job/out/1"}));
  }
  EXPECT_EQ(store->rollbacks, 0);
}

TEST(EpochSinkTest, AFailedTransactionIsRolledBackAndARestoreWritesItsEpochOnce) {
  auto store = std::make_shared<Store>();
  store->fail_on = "15";
  std::vector<engine::StateEntry> chk2;
  {
    auto s = Make(store, 0, 1);
    auto b1 = Rows(0, 10), b2 = Rows(10, 20);
    s->OnBatch(b1);
    engine::SnapshotWriter w1;
    s->Snapshot(1, w1);
    s->CheckpointComplete(1);
    s->OnBatch(b2);
    engine::SnapshotWriter w2;
    s->Snapshot(2, w2);
    chk2 = w2.entries();
    EXPECT_THROW(s->CheckpointComplete(2), std::runtime_error);
  }
  EXPECT_EQ(store->rollbacks, 1);
  EXPECT_EQ(Sorted(store->rows), Numbers(0, 10)) << "a part of the failed epoch was written";
  EXPECT_EQ(store->progress["job/out/0"], 1);

  store->fail_on.clear();
  for (int round = 0; round < 2; ++round) {
    auto s = Make(store, 0, 1);
    RestoreInstance(*s, chk2, 1, 0, 1);
    s->OnEnd();  // recovers even when no row came
    EXPECT_EQ(Sorted(store->rows), Numbers(0, 20)) << "round " << round;
  }
  EXPECT_EQ(store->progress["job/out/0"], 2);
}

// A commit that fails after its epochs were written in the transaction:
// the epochs stay pending, and the instance takes no further part (a later
// completion would otherwise record progress past them). A restore from
// the last checkpoint, which holds them, writes every row once.
TEST(EpochSinkTest, AFailedCommitKeepsItsEpochsAndTheInstanceRefusesToGoOn) {
  auto store = std::make_shared<Store>();
  std::vector<engine::StateEntry> chk3;
  {
    auto s = Make(store, 0, 1);
    auto b1 = Rows(0, 10), b2 = Rows(10, 20), b3 = Rows(20, 30);
    s->OnBatch(b1);
    engine::SnapshotWriter w1;
    s->Snapshot(1, w1);
    s->CheckpointComplete(1);
    s->OnBatch(b2);
    engine::SnapshotWriter w2;
    s->Snapshot(2, w2);
    s->OnBatch(b3);
    engine::SnapshotWriter w3;
    s->Snapshot(3, w3);  // checkpoint 2's completion comes late: 2 and 3 pending
    chk3 = w3.entries();
    store->fail_commit = true;
    EXPECT_THROW(s->CheckpointComplete(2), std::runtime_error);
    EXPECT_EQ(Sorted(store->rows), Numbers(0, 10));
    // Checkpoint 3 completed meanwhile: this instance writes nothing more.
    try {
      s->CheckpointComplete(3);
      ADD_FAILURE() << "an instance whose commit failed went on";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("an earlier transaction failed"), std::string::npos) << e.what();
    }
    engine::SnapshotWriter w4;
    EXPECT_THROW(s->Snapshot(4, w4), std::runtime_error);
  }
  EXPECT_EQ(Sorted(store->rows), Numbers(0, 10));
  EXPECT_EQ(store->progress["job/out/0"], 1);
  auto s = Make(store, 0, 1);
  RestoreInstance(*s, chk3, 1, 0, 1);
  s->OnEnd();
  EXPECT_EQ(Sorted(store->rows), Numbers(0, 30));
  EXPECT_EQ(store->progress["job/out/0"], 3);
}

// Without checkpoints rows are written as they come.
TEST(EpochSinkTest, WithoutCheckpointsRowsAreWrittenAtOnce) {
  auto store = std::make_shared<Store>();
  MemorySink s(store);
  auto b = Rows(0, 5);
  s.OnBatch(b);
  EXPECT_EQ(store->rows, Numbers(0, 5));
  engine::SnapshotWriter w;
  s.Snapshot(1, w);
  EXPECT_TRUE(w.entries().empty());
  s.CheckpointComplete(1);
  EXPECT_EQ(store->transactions, 0);
}

// The prologue every exactly-once sink shares: names, and which old
// instances' entries an instance takes over at another parallelism.
TEST(SinkScopeTest, AnInstanceTakesTheEntriesOfTheOldInstancesItAnswersFor) {
  using Entry = std::tuple<int, std::string>;
  std::vector<engine::StateEntry> entries;
  for (int old = 0; old < 5; ++old) {
    engine::SnapshotWriter w;
    w.Add(engine::kNoGroup, engine::EncodeState(Entry{old, "of " + std::to_string(old)}));
    entries.insert(entries.end(), w.entries().begin(), w.entries().end());
  }
  engine::RestoreContext ctx;
  ctx.entries = &entries;
  ctx.old_parallelism = 5;
  ctx.parallelism = 2;
  std::vector<std::vector<int>> taken(2);
  for (int index = 0; index < 2; ++index) {
    SinkScope scope;
    EXPECT_FALSE(scope.enabled());
    scope.Enable(engine::CheckpointScope{"job", "out", index, 2});
    EXPECT_TRUE(scope.enabled());
    EXPECT_EQ(scope.prefix(), "job/out/");
    EXPECT_EQ(scope.Name(index), "job/out/" + std::to_string(index));
    ctx.index = index;
    for (const auto& [old, text] : SinkScope::Restore<Entry>(ctx, "test sink")) {
      EXPECT_EQ(text, "of " + std::to_string(old));
      taken[index].push_back(old);
    }
  }
  EXPECT_EQ(taken[0], (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(taken[1], (std::vector<int>{1, 3}));
}

TEST(SinkScopeTest, AnEntryThatDoesNotDecodeNamesTheSink) {
  std::vector<engine::StateEntry> entries(1);
  entries[0].group = engine::kNoGroup;
  entries[0].bytes = "\x01";
  engine::RestoreContext ctx;
  ctx.entries = &entries;
  SinkScope scope;
  scope.Enable(engine::CheckpointScope{"job", "out", 0, 1});
  try {
    (void)SinkScope::Restore<std::tuple<int, std::string>>(ctx, "test sink");
    ADD_FAILURE() << "a truncated entry decoded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("test sink state"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rivulet::connectors

// The harness's sink (testing/harness.h): collects a stream's records with
// their timestamps, exactly once across restarts by the two-phase pattern
// of operators::CommittedCollectSink (records of an instance between two
// barriers form an epoch, prepared at the first barrier and committed when
// that checkpoint completes), and also keeps what is received but not
// committed yet, and each instance's watermark, so the harness can show
// either. Internal to the harness.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/state.h"
#include "engine/state_codec.h"
#include "operators/operator_base.h"
#include "operators/sinks.h"
#include "testing/test_source.h"

namespace rivulet::testing::internal {

// What the sink instances of one output received, over every run of the
// job. Records are numbered as they arrive (seq), so a record is told from
// an equal one.
template <typename T>
struct OutputStore {
  struct Received {
    uint64_t seq = 0;
    engine::Event<T> event;
  };
  struct Epoch {
    int run = 0;  // the run that prepared it
    std::vector<Received> records;
  };

  explicit OutputStore(std::shared_ptr<Signal> s) : signal(std::move(s)) {}

  const std::shared_ptr<Signal> signal;
  std::mutex mu;  // guards everything below
  uint64_t next_seq = 0;
  int run = 0;                                        // the current run of the job
  std::vector<Received> committed;                    // in commit order
  std::map<std::pair<int, int64_t>, Epoch> prepared;  // by (instance, checkpoint)
  std::map<int, std::vector<Received>> open;          // by instance, this run: since its last barrier
  std::vector<Timestamp> watermarks;                  // by instance, this run
  std::vector<int64_t> committed_through;             // by instance, this run: the last completed checkpoint

  // A new run: what the last one held open is gone (as in a crash).
  void NewRun() {
    std::lock_guard<std::mutex> lock(mu);
    ++run;
    open.clear();
    watermarks.clear();
    committed_through.clear();
  }
  void Register(int index, int parallelism) {
    std::lock_guard<std::mutex> lock(mu);
    watermarks.resize(static_cast<size_t>(parallelism), engine::kMinTimestamp);
    committed_through.resize(static_cast<size_t>(parallelism), 0);
    (void)index;
  }
  // Moves epoch `key` to committed (once: a committed epoch leaves
  // `prepared`). Under mu.
  void Commit(const std::pair<int, int64_t>& key) {
    auto it = prepared.find(key);
    if (it == prepared.end()) return;
    for (auto& r : it->second.records) committed.push_back(std::move(r));
    prepared.erase(it);
  }
  // Committed records, and with `received` also those of this run not
  // committed yet (never those of an earlier run: they were aborted).
  std::vector<Received> Visible(bool received) {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<Received> out = committed;
    if (!received) return out;
    for (const auto& [key, epoch] : prepared) {
      if (epoch.run == run) out.insert(out.end(), epoch.records.begin(), epoch.records.end());
    }
    for (const auto& [index, records] : open) out.insert(out.end(), records.begin(), records.end());
    return out;
  }
  // The smallest watermark of this run's instances (kMinTimestamp: none).
  Timestamp Watermark() {
    std::lock_guard<std::mutex> lock(mu);
    if (watermarks.empty()) return engine::kMinTimestamp;
    return *std::min_element(watermarks.begin(), watermarks.end());
  }
  // Whether every instance of this run committed checkpoint `id`.
  bool CommittedThrough(int64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    return !committed_through.empty() &&
           std::all_of(committed_through.begin(), committed_through.end(), [id](int64_t c) { return c >= id; });
  }
};

template <typename T>
class TestSink final : public operators::SinkOperator<T> {
 public:
  TestSink(std::shared_ptr<OutputStore<T>> store, int index, int parallelism)
      : store_(std::move(store)), index_(index) {
    store_->Register(index, parallelism);
    epochs_.set_index(index);
  }

  void EnableCheckpoints(const engine::CheckpointScope&) override { transactional_ = true; }
  void OnBatch(engine::Batch<T>& batch) override {
    {
      std::lock_guard<std::mutex> lock(store_->mu);
      for (auto& e : batch) {
        auto r = typename OutputStore<T>::Received{store_->next_seq++, std::move(e)};
        if (transactional_) {
          store_->open[index_].push_back(std::move(r));
        } else {
          store_->committed.push_back(std::move(r));
        }
      }
    }
    store_->signal->Notify();
  }
  void OnWatermark(Timestamp w) override {
    {
      std::lock_guard<std::mutex> lock(store_->mu);
      Timestamp& mine = store_->watermarks[static_cast<size_t>(index_)];
      mine = std::max(mine, w);
    }
    store_->signal->Notify();
  }
  void OnEnd() override {}

  // The epochs the checkpoint names that this instance now owns, and that
  // no instance committed (a run stopped between the checkpoint's manifest
  // and its completion), are committed.
  void Restore(const engine::RestoreContext& ctx) override {
    std::lock_guard<std::mutex> lock(store_->mu);
    operators::PreparedEpochs::Restore(ctx, "harness output",
                                       [&](const operators::PreparedEpochs::Key& key) { store_->Commit(key); });
  }
  // Pre-commit: the open records are epoch (instance, id). Assigned, not
  // appended: an id a dead run prepared and never completed comes again.
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    std::lock_guard<std::mutex> lock(store_->mu);
    store_->prepared[epochs_.Prepare(id, out)] =
        typename OutputStore<T>::Epoch{store_->run, std::exchange(store_->open[index_], {})};
  }
  void CheckpointComplete(int64_t id) override {
    {
      std::lock_guard<std::mutex> lock(store_->mu);
      epochs_.Complete(id, [&](const operators::PreparedEpochs::Key& key) { store_->Commit(key); });
      int64_t& through = store_->committed_through[static_cast<size_t>(index_)];
      through = std::max(through, id);
    }
    store_->signal->Notify();
  }

 private:
  std::shared_ptr<OutputStore<T>> store_;
  const int index_;
  bool transactional_ = false;
  operators::PreparedEpochs epochs_;
};

}  // namespace rivulet::testing::internal

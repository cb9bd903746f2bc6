// In-process sinks: into a shared vector (tests, small results), to a
// callback per batch, or to an output stream one line per record. These
// are at-least-once: after a restart from a checkpoint they see again what
// came after it. CommittedCollectSink is the exactly-once pattern in
// miniature (two-phase commit): records become visible when the
// checkpoint after them completes.
#pragma once

#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "engine/state.h"
#include "engine/state_codec.h"
#include "operators/operator_base.h"

namespace rivulet::operators {

// Collected records of every instance (thread-safe).
template <typename T>
struct Collected {
  std::mutex mu;
  std::vector<Event<T>> events;
  // CommittedCollectSink's pre-committed epochs, by (instance, checkpoint):
  // the "external system" holding prepared transactions.
  std::map<std::pair<int, int64_t>, std::vector<Event<T>>> prepared;
  std::vector<T> values() {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<T> out;
    for (auto& e : events) out.push_back(e.value);
    return out;
  }
};

template <typename T>
class CollectSink final : public SinkOperator<T> {
 public:
  explicit CollectSink(std::shared_ptr<Collected<T>> into) : into_(std::move(into)) {}
  void OnBatch(Batch<T>& batch) override {
    std::lock_guard<std::mutex> lock(into_->mu);
    for (auto& e : batch) into_->events.push_back(std::move(e));
  }
  void OnEnd() override {}

 private:
  std::shared_ptr<Collected<T>> into_;
};

// Records reach `into` when the checkpoint whose barrier follows them
// completes (or at once when the job takes no checkpoints). Two-phase: at
// barrier N an instance's open records become the prepared epoch
// (instance, N) held in `into` and named in the checkpoint; completing N
// commits every prepared epoch up to N; a restore from N commits the
// epochs N named that no instance committed (a run stopped between N's
// manifest and its completion) — once, since a committed epoch leaves
// `prepared`. Epochs no restored checkpoint names stay prepared, never
// seen, as aborted transactions.
// The bookkeeping of an in-process exactly-once sink instance (the
// committed collect sink here, the test harness's outputs): the epochs it
// prepared and has not yet committed, named (instance, checkpoint id).
// Where an epoch's records wait and where a commit puts them is the sink's.
class PreparedEpochs {
 public:
  using Key = std::pair<int, int64_t>;
  void set_index(int index) { index_ = index; }
  int index() const { return index_; }
  // At a barrier: epoch (index, id) is prepared; `out` gets the checkpoint
  // entry naming every epoch of this instance not yet committed.
  Key Prepare(int64_t id, engine::SnapshotWriter& out) {
    mine_.push_back(id);
    std::vector<Key> epochs;
    for (int64_t c : mine_) epochs.emplace_back(index_, c);
    out.Add(engine::kNoGroup, engine::EncodeState(epochs));
    return {index_, id};
  }
  // Checkpoint `id` completed: commit(key) for each prepared epoch up to it.
  template <typename Commit>
  void Complete(int64_t id, Commit commit) {
    while (!mine_.empty() && mine_.front() <= id) {
      commit(Key{index_, mine_.front()});
      mine_.erase(mine_.begin());
    }
  }
  // Restored from a checkpoint: commit(key) for each epoch it names that
  // instance ctx.index now answers for (epoch instance mod parallelism);
  // the sink ignores those it committed already. `what` names the sink in
  // the error about an entry that does not decode.
  template <typename Commit>
  static void Restore(const engine::RestoreContext& ctx, const char* what, Commit commit) {
    for (const auto& e : *ctx.entries) {
      auto epochs = engine::DecodeState<std::vector<Key>>(e.bytes);
      if (!epochs.ok()) throw std::runtime_error(std::string(what) + " state: " + epochs.status().ToString());
      for (const auto& epoch : *epochs) {
        if (epoch.first % ctx.parallelism == ctx.index) commit(epoch);
      }
    }
  }

 private:
  int index_ = 0;
  std::vector<int64_t> mine_;  // this instance's epochs not yet committed
};

template <typename T>
class CommittedCollectSink final : public SinkOperator<T> {
 public:
  explicit CommittedCollectSink(std::shared_ptr<Collected<T>> into) : into_(std::move(into)) {}
  void EnableCheckpoints(const engine::CheckpointScope& scope) override {
    transactional_ = true;
    epochs_.set_index(scope.index);
  }
  void OnBatch(Batch<T>& batch) override {
    if (!transactional_) {
      std::lock_guard<std::mutex> lock(into_->mu);
      for (auto& e : batch) into_->events.push_back(std::move(e));
      return;
    }
    for (auto& e : batch) open_.push_back(std::move(e));
  }
  void OnEnd() override {}
  void Restore(const engine::RestoreContext& ctx) override {
    std::lock_guard<std::mutex> lock(into_->mu);
    PreparedEpochs::Restore(ctx, "committed collect sink", [&](const PreparedEpochs::Key& key) { Commit(key); });
  }
  // Pre-commit: the open records are epoch (instance, id).
  void Snapshot(int64_t id, engine::SnapshotWriter& out) override {
    std::lock_guard<std::mutex> lock(into_->mu);
    // Assigned, not appended: an id an earlier, failed run prepared but
    // never completed is handed out again, and its epoch is void.
    into_->prepared[epochs_.Prepare(id, out)] = std::exchange(open_, {});
  }
  void CheckpointComplete(int64_t id) override {
    std::lock_guard<std::mutex> lock(into_->mu);
    epochs_.Complete(id, [&](const PreparedEpochs::Key& key) { Commit(key); });
  }

 private:
  void Commit(const std::pair<int, int64_t>& key) {  // under into_->mu
    auto it = into_->prepared.find(key);
    if (it == into_->prepared.end()) return;  // committed already
    for (auto& e : it->second) into_->events.push_back(std::move(e));
    into_->prepared.erase(it);
  }

  std::shared_ptr<Collected<T>> into_;
  bool transactional_ = false;
  std::vector<Event<T>> open_;
  PreparedEpochs epochs_;
};

// Calls f(batch) for each batch and on_end() at the end; each instance has
// its own copy of f, called from one thread at a time.
template <typename T, typename F>
class CallbackSink final : public SinkOperator<T> {
 public:
  CallbackSink(F f, std::function<void()> on_end) : f_(std::move(f)), on_end_(std::move(on_end)) {}
  void OnBatch(Batch<T>& batch) override { f_(batch); }
  void OnEnd() override {
    if (on_end_) on_end_();
  }

 private:
  F f_;
  std::function<void()> on_end_;
};

// One line per record: format(value) + "\n", written under a shared mutex.
template <typename T, typename Format>
class OstreamSink final : public SinkOperator<T> {
 public:
  OstreamSink(std::ostream* out, std::shared_ptr<std::mutex> mu, Format format)
      : out_(out), mu_(std::move(mu)), format_(std::move(format)) {}
  void OnBatch(Batch<T>& batch) override {
    text_.clear();
    for (const auto& e : batch) {
      text_ += format_(e.value);
      text_ += '\n';
    }
    std::lock_guard<std::mutex> lock(*mu_);
    out_->write(text_.data(), static_cast<std::streamsize>(text_.size()));
  }
  void OnEnd() override {
    std::lock_guard<std::mutex> lock(*mu_);
    out_->flush();
  }

 private:
  std::ostream* out_;
  std::shared_ptr<std::mutex> mu_;
  Format format_;
  std::string text_;
};

}  // namespace rivulet::operators

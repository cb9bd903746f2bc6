// The harness's source (testing/harness.h): a job reads what a test fed an
// input — records with explicit timestamps, watermarks, the end — from an
// append-only log the harness keeps, so a restarted job can read again
// what came after its checkpoint. Internal to the harness.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/operator.h"
#include "operators/operator_base.h"
#include "operators/sources.h"

namespace rivulet::testing::internal {

using engine::Timestamp;

// Where the harness's sources and sinks say that they moved on, and the
// harness waits for it. Notify after the state it guards changed, so a
// waiter that checks under `mu` misses no change.
struct Signal {
  std::mutex mu;
  std::condition_variable cv;
  void Notify() {
    { std::lock_guard<std::mutex> lock(mu); }
    cv.notify_all();
  }
};

// What the harness needs of an input's log whatever its type.
class InputLogBase {
 public:
  virtual ~InputLogBase() = default;
  virtual const std::string& name() const = 0;
  virtual void AddWatermark(Timestamp t) = 0;
  virtual void AddEnd() = 0;
  virtual bool ended() const = 0;
  virtual void NewRun() = 0;
  virtual bool CaughtUp(std::string* behind) const = 0;
};

// What a test fed one input, in order; every source instance reads all of
// it: the records it owns (split % parallelism == its index), every
// watermark and the end.
template <typename T>
class InputLog final : public InputLogBase {
 public:
  struct Entry {
    enum class Kind { kRecord, kWatermark, kEnd };
    Kind kind = Kind::kRecord;
    std::optional<T> value;  // kRecord
    Timestamp ts = 0;        // kRecord: its timestamp; kWatermark: the watermark
    int64_t split = 0;       // kRecord
  };

  InputLog(std::string name, std::shared_ptr<Signal> signal) : name_(std::move(name)), signal_(std::move(signal)) {}
  const std::string& name() const override { return name_; }

  // Appends a record for `split` (< 0: the next one round robin).
  void AddRecord(T value, Timestamp ts, int64_t split) {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) throw std::logic_error("harness input '" + name_ + "': Send after End");
    if (split < 0) split = next_split_++;
    entries_.push_back(Entry{Entry::Kind::kRecord, std::move(value), ts, split});
  }
  // Appends watermark `t` unless the input is at `t` or later already.
  void AddWatermark(Timestamp t) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) throw std::logic_error("harness input '" + name_ + "': AdvanceWatermark after End");
    if (t <= watermark_) return;
    watermark_ = t;
    entries_.push_back(Entry{Entry::Kind::kWatermark, std::nullopt, t, 0});
  }
  // Appends the end (once).
  void AddEnd() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    entries_.push_back(Entry{Entry::Kind::kEnd, std::nullopt, 0, 0});
  }
  bool ended() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }

  // A new run: its instances register as they are made.
  void NewRun() override {
    std::lock_guard<std::mutex> lock(mu_);
    read_.clear();
  }
  // Instance `index` of `parallelism` exists (it has read nothing yet).
  void Register(int index, int parallelism) {
    std::lock_guard<std::mutex> lock(mu_);
    read_.resize(static_cast<size_t>(parallelism), -1);
    read_[static_cast<size_t>(index)] = 0;
  }
  // Whether every instance read every entry (false before they exist);
  // else `behind` says which one lags.
  bool CaughtUp(std::string* behind) const override {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t size = static_cast<int64_t>(entries_.size());
    if (read_.empty()) {
      *behind = "input '" + name_ + "' has no source instance";
      return false;
    }
    for (size_t i = 0; i < read_.size(); ++i) {
      if (read_[i] < size) {
        *behind = "input '" + name_ + "' instance " + std::to_string(i) + " read " +
                  std::to_string(std::max<int64_t>(read_[i], 0)) + " of " + std::to_string(size) + " entries";
        return false;
      }
    }
    return true;
  }

  // Copies up to `max` entries from `next` on into `out`, leaving out the
  // records that `skip(position, split)` says to (called under the log's
  // lock); returns the position after the last one looked at.
  template <typename Skip>
  int64_t Read(int64_t next, size_t max, std::vector<Entry>* out, Skip skip) const {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t size = static_cast<int64_t>(entries_.size());
    for (; next < size && out->size() < max; ++next) {
      const Entry& e = entries_[static_cast<size_t>(next)];
      if (e.kind == Entry::Kind::kRecord && skip(next, e.split)) continue;
      out->push_back(e);
    }
    return next;
  }
  // Instance `index` read up to `position`.
  void Ack(int index, int64_t position) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (static_cast<size_t>(index) < read_.size()) read_[static_cast<size_t>(index)] = position;
    }
    signal_->Notify();
  }

 private:
  const std::string name_;
  const std::shared_ptr<Signal> signal_;
  mutable std::mutex mu_;  // guards everything below
  std::vector<Entry> entries_;
  int64_t next_split_ = 0;
  Timestamp watermark_ = engine::kMinTimestamp;
  bool ended_ = false;
  std::vector<int64_t> read_;  // per instance of the current run: entries read
};

// Instance `index` of `parallelism` of an input: emits, in log order, the
// records it owns, every watermark and the end. Never idle: a quiet input
// holds the job's watermark until the test advances it. Checkpointed: its
// position, as claims (operators::EmittedBefore), so that at any
// parallelism no record is emitted twice or lost.
template <typename T>
class TestSource final : public engine::SourceInstance {
 public:
  using Entry = typename InputLog<T>::Entry;

  TestSource(engine::Port out, std::shared_ptr<InputLog<T>> log, int index, int parallelism)
      : out_(out.template As<T>()), log_(std::move(log)), index_(index), parallelism_(parallelism) {
    log_->Register(index, parallelism);
  }

  Poll PollRecords(size_t max_records) override {
    entries_.clear();
    next_ = log_->Read(next_, std::max<size_t>(max_records, 1), &entries_, [this](int64_t n, int64_t split) {
      return split % parallelism_ != index_ ||
             (emitted_.restored() && emitted_.Emitted(n, [split](int64_t, int64_t q) { return split % q; }));
    });
    bool ended = false;
    for (Entry& e : entries_) {
      switch (e.kind) {
        case Entry::Kind::kRecord:
          batch_.push_back(engine::Event<T>{e.ts, std::move(*e.value)});
          break;
        case Entry::Kind::kWatermark:
          SendBatch();
          out_->OnWatermark(e.ts);
          break;
        case Entry::Kind::kEnd:
          ended = true;
          break;
      }
      if (ended) break;
    }
    SendBatch();
    log_->Ack(index_, next_);
    if (ended) return Poll::kEnd;
    if (!entries_.empty()) {
      quiet_polls_ = 0;
      return Poll::kMore;
    }
    ++quiet_polls_;
    return Poll::kIdle;
  }
  // Soon while the test feeds, less often once it has paused a while.
  std::chrono::milliseconds retry_after() const override {
    return std::chrono::milliseconds(quiet_polls_ < 500 ? 1 : 10);
  }
  void End() override { out_->OnEnd(); }

  void Snapshot(int64_t, engine::SnapshotWriter& out) override {
    out.Add(engine::kNoGroup, emitted_.Encode(parallelism_, index_, next_));
  }
  void Restore(const engine::RestoreContext& ctx) override {
    emitted_.Restore(ctx, "harness input");
    // Every instance had read everything below the smallest old position.
    next_ = emitted_.min();
  }

 private:
  void SendBatch() {
    if (batch_.empty()) return;
    out_->OnBatch(batch_);
    batch_.clear();
  }

  engine::Receiver<T>* out_;
  std::shared_ptr<InputLog<T>> log_;
  const int index_;
  const int parallelism_;
  int64_t next_ = 0;  // the log position to read next
  operators::EmittedBefore emitted_;
  std::vector<Entry> entries_;
  engine::Batch<T> batch_;
  int quiet_polls_ = 0;
};

}  // namespace rivulet::testing::internal

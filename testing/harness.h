// A harness to test a job's dataflow logic from GoogleTest, in the spirit
// of Kafka Streams' TopologyTestDriver and Flink's operator test harnesses.
// The job's logic is a function from streams to streams; the harness puts
// test inputs in front of it and collecting outputs behind it, runs the
// real runtime (parallel instances, exchanges, checkpoints), and lets the
// test feed records with explicit timestamps, move event time, checkpoint,
// kill and restart the job, and look at what came out:
//
//   Harness h({.parallelism = 2});
//   auto in = h.Input<Click>("clicks");
//   auto out = h.Output(CountClicks(in.stream()), "counts");
//   ASSERT_TRUE(h.Start().ok());
//   in.Send(Click{"a"}, 1'000);
//   ASSERT_TRUE(h.AdvanceWatermark(9'999).ok());   // fires [0, 10000)
//   EXPECT_EQ(out.Values(), (std::vector<Count>{{"a", 1}}));
//
// Determinism: what an output shows changes only inside the calls that
// wait (Start, Settle, AdvanceWatermark, End, Checkpoint, Restart,
// Finish), each of which returns once the job has processed everything fed
// so far; records are shown ordered by (timestamp, value). A guide:
// docs/guide/testing-a-job.md.
//
// Threading: a Harness, its inputs and outputs are used from one thread
// (the test's). Misuse (an input declared after Start, a stream of another
// JobBuilder, Send after End) throws std::logic_error.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/checkpoint_store.h"
#include "engine/runtime.h"
#include "operators/stream.h"
#include "testing/test_sink.h"
#include "testing/test_source.h"

namespace rivulet::testing {

using engine::Timestamp;

// When an output shows a record.
enum class Visibility {
  // As soon as a sink instance received it (as of the last call that
  // waited). A Restart withdraws the records received after the
  // checkpoint it restores (the job sends them again), so All() after a
  // restart equals a run without one; Take() may then return such a
  // record a second time (a read-uncommitted consumer).
  kReceived,
  // When the checkpoint after it completed (Checkpoint(), or the final one
  // when the input ends: Finish()), as a transactional sink would publish
  // it. Exactly once for All() and Take() across restarts.
  kCommitted,
};

struct HarnessOptions {
  // Instances of every operator (unless the job sets its own).
  int parallelism = 1;
  Visibility visibility = Visibility::kReceived;
  // Off: no Checkpoint or Restart, and operators whose state has no
  // StateCodec may run (with checkpoints on, such a job does not start).
  bool checkpoints = true;
  // How long one waiting call waits for the job before it returns kTimeout.
  std::chrono::milliseconds timeout{30'000};
};

namespace internal {
template <typename T>
concept Printable = requires(std::ostream& os, const T& v) { os << v; };
template <typename T>
concept LessComparable = requires(const T& a, const T& b) { static_cast<bool>(a < b); };
}  // namespace internal

// One record of an output.
template <typename T>
struct Record {
  T value;
  Timestamp timestamp = 0;
  bool operator==(const Record&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Record& r)
    requires internal::Printable<T>
  {
    return os << r.value << " @" << r.timestamp;
  }
};

class Harness;

// A test source feeding one stream of the job; a handle (copies share the
// input), valid while its Harness lives. Records are split between the
// source's instances: round robin in the order sent, or by split index
// (instance split % parallelism), the same way in every run.
template <typename T>
class TestInput {
 public:
  // The stream the job's logic reads.
  operators::Stream<T> stream() const { return stream_; }
  const std::string& name() const { return log_->name(); }

  // Appends a record with event time `timestamp_ms`; never waits (the job
  // reads it when it runs; failures show at the next call that waits). A
  // timestamp at or below this input's watermark makes a late record.
  void Send(T value, Timestamp timestamp_ms) { log_->AddRecord(std::move(value), timestamp_ms, -1); }
  // The same, to split `split` (>= 0) rather than round robin.
  void SendToSplit(int split, T value, Timestamp timestamp_ms) {
    if (split < 0) throw std::logic_error("harness input '" + name() + "': negative split");
    log_->AddRecord(std::move(value), timestamp_ms, split);
  }
  // Watermark `t` on every instance of this input (no more records at or
  // before t; one not above the input's watermark changes nothing), then
  // Settle(). The job's watermark is the minimum over its inputs.
  [[nodiscard]] Status AdvanceWatermark(Timestamp t);
  // Ends this input (as a bounded source ends), then Settle(); when every
  // input ended, that waits until the job finished.
  [[nodiscard]] Status End();

 private:
  friend class Harness;
  TestInput(Harness* h, std::shared_ptr<internal::InputLog<T>> log, operators::Stream<T> stream)
      : harness_(h), log_(std::move(log)), stream_(stream) {}
  Harness* harness_;
  std::shared_ptr<internal::InputLog<T>> log_;
  operators::Stream<T> stream_;
};

namespace internal {

// What the harness needs of an output whatever its type.
class OutputBase {
 public:
  virtual ~OutputBase() = default;
  virtual const std::string& name() const = 0;
  virtual void NewRun() = 0;
  // Makes what the sinks hold now what the output shows.
  virtual void Publish() = 0;
  virtual Timestamp Watermark() = 0;
  virtual bool CommittedThrough(int64_t id) = 0;
};

template <typename T>
class OutputState final : public OutputBase {
 public:
  OutputState(std::string name, Visibility visibility, std::shared_ptr<Signal> signal)
      : name_(std::move(name)), visibility_(visibility), store(std::make_shared<OutputStore<T>>(std::move(signal))) {}
  const std::string& name() const override { return name_; }
  void NewRun() override { store->NewRun(); }
  void Publish() override {
    shown = store->Visible(visibility_ == Visibility::kReceived);
    std::stable_sort(shown.begin(), shown.end(), [](const auto& a, const auto& b) {
      if (a.event.ts != b.event.ts) return a.event.ts < b.event.ts;
      if constexpr (LessComparable<T>) {
        if (a.event.value < b.event.value) return true;
        if (b.event.value < a.event.value) return false;
      }
      return a.seq < b.seq;
    });
    watermark = store->Watermark();
  }
  Timestamp Watermark() override { return store->Watermark(); }
  bool CommittedThrough(int64_t id) override { return store->CommittedThrough(id); }

  const std::string name_;
  const Visibility visibility_;
  const std::shared_ptr<OutputStore<T>> store;
  std::vector<typename OutputStore<T>::Received> shown;  // as of the last Publish
  std::set<uint64_t> taken;                              // seqs Take returned
  Timestamp watermark = engine::kMinTimestamp;
};

}  // namespace internal

// What the job sent to one stream; a handle (copies share the output),
// valid while its Harness lives. Reads never wait: they show the output as
// of the last call that waited, ordered by timestamp, then by value when T
// has operator< (records equal in both, or of a T without operator<, in
// no defined order).
template <typename T>
class TestOutput {
 public:
  const std::string& name() const { return state_->name(); }
  // The records shown that no Take returned before.
  std::vector<Record<T>> Take() {
    std::vector<Record<T>> out;
    for (const auto& r : state_->shown) {
      if (state_->taken.insert(r.seq).second) out.push_back(Record<T>{r.event.value, r.event.ts});
    }
    return out;
  }
  // Every record shown.
  std::vector<Record<T>> All() const {
    std::vector<Record<T>> out;
    for (const auto& r : state_->shown) out.push_back(Record<T>{r.event.value, r.event.ts});
    return out;
  }
  // All()'s values.
  std::vector<T> Values() const {
    std::vector<T> out;
    for (const auto& r : state_->shown) out.push_back(r.event.value);
    return out;
  }
  // The smallest watermark of the sink's instances (kMinTimestamp: none yet).
  Timestamp watermark() const { return state_->watermark; }

 private:
  friend class Harness;
  explicit TestOutput(std::shared_ptr<internal::OutputState<T>> state) : state_(std::move(state)) {}
  std::shared_ptr<internal::OutputState<T>> state_;
};

// Builds a job around the logic under test and runs it. Owns the job, the
// inputs' logs and a temporary checkpoint directory (removed with it).
class Harness {
 public:
  explicit Harness(HarnessOptions options = {}) : options_(options), parallelism_(options.parallelism) {
    if (parallelism_ < 1) throw std::logic_error("harness: parallelism must be at least 1");
  }
  // Cancels a running job (nothing is flushed) and removes the directory.
  ~Harness() {
    StopJob();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  // ---- Building (before Start).

  // A test source named `name` producing a stream of T.
  template <typename T>
  TestInput<T> Input(std::string name) {
    RequireBuilding("Input");
    auto log = std::make_shared<internal::InputLog<T>>(name, signal_);
    inputs_.push_back(log);
    const int node = builder_.template AddNode<T>(
        std::move(name), "source", {},
        [log](int index, int parallelism, engine::Port out) {
          return std::make_unique<internal::TestSource<T>>(out, log, index, parallelism);
        },
        /*source=*/true);
    return TestInput<T>(this, std::move(log), operators::Stream<T>(&builder_, node));
  }
  // Collects `stream` (of this harness's job) in a sink named `name`.
  template <typename T>
  TestOutput<T> Output(operators::Stream<T> stream, std::string name) {
    RequireBuilding("Output");
    if (stream.job() != &builder_) {
      throw std::logic_error("harness: output '" + name + "' is a stream of another JobBuilder");
    }
    auto state = std::make_shared<internal::OutputState<T>>(name, options_.visibility, signal_);
    outputs_.push_back(state);
    builder_.template AddNode<void>(std::move(name), "sink", {stream.Forward()},
                                    [store = state->store](int index, int parallelism, engine::Port) {
                                      return std::make_unique<internal::TestSink<T>>(store, index, parallelism);
                                    });
    return TestOutput<T>(std::move(state));
  }
  // The job being built, for what the logic needs beyond its inputs (a
  // lookup table from FromCollection, say). Do not run it yourself.
  operators::JobBuilder& builder() { return builder_; }

  // ---- Running. Each call below waits (at most options.timeout) and
  // returns the job's failure when it failed — kJobFailed naming the
  // operator that threw — then and at every later call, until Restart.

  // Plans and starts the job at options.parallelism; then Settle().
  [[nodiscard]] Status Start() {
    RequireBuilding("Start");
    started_ = true;
    if (options_.checkpoints) {
      RIVULET_RETURN_IF_ERROR(MakeStore());
    }
    RIVULET_RETURN_IF_ERROR(StartJob(nullptr, 1));
    return Settle();
  }
  // Returns once the job has processed everything fed so far: every source
  // instance read all of its input, and then no task of the job had work
  // left (records, watermarks, windows and timers they fire, all through
  // to the sinks); outputs then show the result. When every input ended,
  // waits until the job finished instead. kTimeout (naming what lagged)
  // when that takes longer than options.timeout.
  [[nodiscard]] Status Settle() {
    if (!started_) throw std::logic_error("harness: Settle before Start");
    if (!failure_.ok() || finished_) return failure_;
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    const bool all_ended =
        !inputs_.empty() && std::all_of(inputs_.begin(), inputs_.end(), [](const auto& in) { return in->ended(); });
    if (all_ended) {
      std::unique_lock<std::mutex> lock(signal_->mu);
      if (!signal_->cv.wait_until(lock, deadline, [&] { return job_ended_; })) {
        return Timeout("every input ended, and the job has not finished");
      }
      lock.unlock();
      return OnJobEnded();
    }
    std::string behind;
    {
      std::unique_lock<std::mutex> lock(signal_->mu);
      const bool caught_up = signal_->cv.wait_until(lock, deadline, [&] {
        return job_ended_ ||
               std::all_of(inputs_.begin(), inputs_.end(), [&](const auto& in) { return in->CaughtUp(&behind); });
      });
      if (job_ended_) {
        lock.unlock();
        return OnJobEnded();
      }
      if (!caught_up) return Timeout(behind);
    }
    const Status idle = job_->AwaitIdle(Remaining(deadline));
    if (idle.code() == Errc::kClosed) {
      std::unique_lock<std::mutex> lock(signal_->mu);
      signal_->cv.wait_until(lock, deadline, [&] { return job_ended_; });
      if (!job_ended_) return Timeout("the job stopped and did not finish");
      lock.unlock();
      return OnJobEnded();
    }
    if (!idle.ok()) return Timeout("the job kept busy");
    Publish();
    return Status::Ok();
  }
  // Watermark `t` on every input not ended, then Settle(); then every output's
  // watermark must be at t at least (else kInvalidArgument naming the
  // output: something other than the inputs holds event time back).
  [[nodiscard]] Status AdvanceWatermark(Timestamp t) {
    if (!started_) throw std::logic_error("harness: AdvanceWatermark before Start");
    for (auto& in : inputs_) {
      if (!in->ended()) in->AddWatermark(t);
    }
    RIVULET_RETURN_IF_ERROR(Settle());
    if (finished_) return Status::Ok();
    for (auto& out : outputs_) {
      const Timestamp w = out->Watermark();
      if (w < t) {
        return Status(Errc::kInvalidArgument, "harness: output '" + out->name() + "' is at watermark " +
                                                  std::to_string(w) + " after AdvanceWatermark(" + std::to_string(t) +
                                                  "): something else holds event time back");
      }
    }
    return Status::Ok();
  }
  // Settles, takes a checkpoint and waits until it completed and every
  // output's sink instances committed it (with Visibility::kCommitted,
  // what they received before it is then shown). Needs options.checkpoints
  // and a job whose inputs have not ended.
  [[nodiscard]] Status Checkpoint() {
    RIVULET_RETURN_IF_ERROR(RequireCheckpoints("Checkpoint"));
    RIVULET_RETURN_IF_ERROR(Settle());
    if (finished_) return Status(Errc::kInvalidArgument, "harness: Checkpoint after the job finished");
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    auto id = job_->TriggerCheckpoint();
    if (!id.ok()) return Status(id.status().code(), "harness: Checkpoint: " + id.status().message());
    if (Status st = job_->AwaitCheckpoint(*id, Remaining(deadline)); !st.ok()) {
      if (JobEnded()) return OnJobEnded();
      return Status(st.code(), "harness: " + st.message());
    }
    {
      std::unique_lock<std::mutex> lock(signal_->mu);
      const bool committed = signal_->cv.wait_until(lock, deadline, [&] {
        return job_ended_ ||
               std::all_of(outputs_.begin(), outputs_.end(), [&](const auto& o) { return o->CommittedThrough(*id); });
      });
      if (job_ended_) {
        lock.unlock();
        return OnJobEnded();
      }
      if (!committed) return Timeout("the outputs did not commit checkpoint " + std::to_string(*id));
    }
    Publish();
    return Status::Ok();
  }
  // Kills the job (as a crash would: nothing flushed or committed) and
  // starts it again from the last completed checkpoint — from the start
  // when there is none — at `parallelism` instances (0: as before); the
  // inputs send again what came after it. Then Settle(). Also restarts a
  // job that failed. Needs options.checkpoints and a job that has not
  // finished.
  [[nodiscard]] Status Restart(int parallelism = 0) {
    RIVULET_RETURN_IF_ERROR(RequireCheckpoints("Restart"));
    if (finished_) return Status(Errc::kInvalidArgument, "harness: Restart after the job finished");
    if (parallelism < 0) throw std::logic_error("harness: negative parallelism");
    StopJob();
    failure_ = Status::Ok();
    if (parallelism > 0) parallelism_ = parallelism;
    auto latest = store_->LoadLatest(engine::GraphFingerprint(builder_.graph()));
    if (!latest.ok()) return failure_ = latest.status();
    std::shared_ptr<const engine::LoadedCheckpoint> restore;
    if (latest->has_value()) restore = std::make_shared<const engine::LoadedCheckpoint>(std::move(**latest));
    auto next_id = store_->NextId();
    if (!next_id.ok()) return failure_ = next_id.status();
    RIVULET_RETURN_IF_ERROR(StartJob(std::move(restore), *next_id));
    return Settle();
  }
  // Ends every input and waits until the job finished: its status (the
  // final checkpoint commits the outputs' last records).
  [[nodiscard]] Status Finish() {
    if (!started_) throw std::logic_error("harness: Finish before Start");
    for (auto& in : inputs_) in->AddEnd();
    return Settle();
  }

  // Instances per operator of the current run.
  int parallelism() const { return parallelism_; }

 private:
  template <typename T>
  friend class TestInput;

  void RequireBuilding(const char* call) const {
    if (started_) throw std::logic_error(std::string("harness: ") + call + " after Start");
  }
  Status RequireCheckpoints(const char* call) const {
    if (!started_) throw std::logic_error(std::string("harness: ") + call + " before Start");
    if (!options_.checkpoints) {
      return Status(Errc::kInvalidArgument, std::string("harness: ") + call + " needs options.checkpoints");
    }
    return Status::Ok();
  }

  Status MakeStore() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rivulet-harness-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return failure_ = Status(Errc::kIoError, "harness: cannot make a temporary directory under " +
                                                   std::filesystem::temp_directory_path().string());
    }
    dir_ = tmpl;
    auto store = engine::CheckpointStore::Open(dir_, "harness", /*retain=*/2);
    if (!store.ok()) return failure_ = store.status();
    store_ = std::move(*store);
    return Status::Ok();
  }

  Status StartJob(std::shared_ptr<const engine::LoadedCheckpoint> restore, int64_t first_id) {
    for (auto& in : inputs_) in->NewRun();
    for (auto& out : outputs_) out->NewRun();
    operators::JobRunOptions o;
    o.parallelism = parallelism_;
    o.runtime.checkpoints.store = store_.get();
    o.runtime.checkpoints.job = "harness";
    o.runtime.checkpoints.first_id = first_id;
    o.runtime.checkpoints.restore = std::move(restore);
    auto job = builder_.Start(o);
    if (!job.ok()) return failure_ = job.status();
    job_ = std::move(*job);
    {
      std::lock_guard<std::mutex> lock(signal_->mu);
      job_ended_ = false;
      job_status_ = Status::Ok();
    }
    watcher_ = std::thread([this, job = job_.get()] {
      Status st = job->Wait();
      {
        std::lock_guard<std::mutex> lock(signal_->mu);
        job_ended_ = true;
        job_status_ = std::move(st);
      }
      signal_->cv.notify_all();
    });
    return Status::Ok();
  }
  // Cancels the job and waits for it to stop, up to the timeout. A job that
  // does not stop then (an operator stuck in user code never returns to the
  // runtime) cannot be torn down safely: the test binary exits with a line
  // saying so, rather than hanging until the test runner kills it.
  void StopJob() {
    if (!job_) return;
    job_->Cancel();
    {
      std::unique_lock<std::mutex> lock(signal_->mu);
      if (!signal_->cv.wait_for(lock, options_.timeout, [&] { return job_ended_; })) {
        std::fprintf(stderr,
                     "rivulet::testing::Harness: the job did not stop within %lld ms of its cancel (an operator "
                     "is stuck); exiting\n",
                     static_cast<long long>(options_.timeout.count()));
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
    watcher_.join();
    job_.reset();
  }

  bool JobEnded() {
    std::lock_guard<std::mutex> lock(signal_->mu);
    return job_ended_;
  }
  // The job ended while the harness waited: finished (all inputs ended),
  // or failed.
  Status OnJobEnded() {
    Status st;
    {
      std::lock_guard<std::mutex> lock(signal_->mu);
      st = job_status_;
    }
    if (!st.ok()) return failure_ = st;
    finished_ = true;
    Publish();
    return Status::Ok();
  }
  void Publish() {
    for (auto& out : outputs_) out->Publish();
  }
  Status Timeout(const std::string& what) const {
    return Status(Errc::kTimeout, "harness: the job did not settle within " + std::to_string(options_.timeout.count()) +
                                      " ms: " + what);
  }
  static std::chrono::milliseconds Remaining(std::chrono::steady_clock::time_point deadline) {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  }

  const HarnessOptions options_;
  int parallelism_;
  operators::JobBuilder builder_;
  std::shared_ptr<internal::Signal> signal_ = std::make_shared<internal::Signal>();
  std::vector<std::shared_ptr<internal::InputLogBase>> inputs_;
  std::vector<std::shared_ptr<internal::OutputBase>> outputs_;
  std::string dir_;  // the checkpoint directory, when made
  std::unique_ptr<engine::CheckpointStore> store_;
  std::unique_ptr<engine::Job> job_;
  std::thread watcher_;  // waits for job_ and reports its end
  bool started_ = false;
  bool finished_ = false;  // every input ended and the job finished
  Status failure_;         // sticky until Restart
  // Under signal_->mu (set by watcher_).
  bool job_ended_ = false;
  Status job_status_;
};

template <typename T>
Status TestInput<T>::AdvanceWatermark(Timestamp t) {
  log_->AddWatermark(t);
  return harness_->Settle();
}

template <typename T>
Status TestInput<T>::End() {
  log_->AddEnd();
  return harness_->Settle();
}

}  // namespace rivulet::testing

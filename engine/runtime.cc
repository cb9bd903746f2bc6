#include "engine/runtime.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "base/logging.h"
#include "engine/executor.h"
#include "engine/time.h"

namespace rivulet::engine {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kMaxSleep = std::chrono::milliseconds(100);

int64_t MillisSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// What tasks tell the checkpoint coordinator (Job::Impl).
class CheckpointSink {
 public:
  virtual ~CheckpointSink() = default;
  // The task's state at barrier `id`, after aligning for `alignment_ms`.
  virtual void Ack(int64_t id, TaskSnapshot snapshot, int64_t alignment_ms) = 0;
  // The id of the job's final checkpoint, taken after the end of the
  // input; from the first call on, no other checkpoint starts.
  virtual int64_t FinalId() = 0;
  // The task finished: its state after the end of its input (for the
  // final checkpoint; a snapshot that throws fails the task instead).
  virtual void Finished(TaskSnapshot snapshot, bool is_source) = 0;
};

// One instance of a chain: a source or input readers at the head, chained
// operator instances, and writers at the tail.
class ChainTask final : public Task {
 public:
  ChainTask(std::string name, Executor* executor, const std::atomic<bool>* drain, size_t batch_size, int chain,
            int instance, CheckpointSink* checkpoints)
      : Task(std::move(name)), executor_(executor), drain_(drain), batch_size_(batch_size), chain_(chain),
        instance_(instance), checkpoints_(checkpoints) {}

  std::vector<std::unique_ptr<OperatorInstance>> operators;  // head first
  std::vector<int> nodes;                                     // their node ids
  std::vector<std::string> node_names;                        // and names
  // The local phase of the aggregation this task's output goes to (after
  // the last of `operators`; it keeps no state in checkpoints), or null.
  std::unique_ptr<OperatorInstance> local;
  std::string local_name;
  std::vector<std::unique_ptr<OutputWriter>> writers;
  std::vector<std::shared_ptr<void>> fanouts;
  std::vector<std::unique_ptr<InputReader>> readers;
  SourceInstance* source = nullptr;
  // Set by the coordinator: inject barrier N (sources) / checkpoint N completed.
  std::atomic<int64_t> trigger{0};
  std::atomic<int64_t> completed{0};
  int64_t notified = 0;  // the last completion given to the operators

  void Prepare() { inputs_.assign(readers.size(), InputState{}); }

  Step Run(Clock::time_point deadline) override {
    NotifyCompleted();
    if (ending_) return FlushAll() ? Step::kDone : Step::kIdle;
    if (!FlushAll()) return Step::kIdle;  // woken when a consumer makes room
    return source ? RunSource(deadline) : RunOperators(deadline);
  }

  // Tells the operators of completed checkpoints (a sink commits). On the
  // task's thread, or by the job once no task runs.
  void NotifyCompleted() {
    const int64_t c = completed.load(std::memory_order_acquire);
    if (c <= notified) return;
    notified = c;
    // Every operator is told, even after one failed to commit (another's
    // commit does not depend on it); the first failure is thrown after.
    std::optional<OperatorFailure> failure;
    for (size_t k = 0; k < operators.size(); ++k) {
      try {
        operators[k]->CheckpointComplete(c);
      } catch (const OperatorFailure& e) {
        if (!failure) failure = e;
      } catch (const std::exception& e) {
        if (!failure) failure.emplace(node_names[k], "committing checkpoint " + std::to_string(c) + ": " + e.what());
      }
    }
    if (failure) throw *failure;
  }

  // The state of every chained operator (head first).
  TaskSnapshot TakeSnapshot(int64_t id) {
    TaskSnapshot snap;
    snap.chain = chain_;
    snap.instance = instance_;
    for (size_t k = 0; k < operators.size(); ++k) {
      SnapshotWriter w;
      try {
        operators[k]->Snapshot(id, w);
      } catch (const OperatorFailure&) {
        throw;
      } catch (const std::exception& e) {
        throw OperatorFailure(node_names[k], "checkpoint " + std::to_string(id) + ": " + e.what());
      }
      snap.operators.push_back(OperatorSnapshot{nodes[k], instance_, std::move(w.entries())});
    }
    return snap;
  }

 private:
  struct InputState {
    bool idle = false;
    bool ended = false;
    bool blocked = false;  // delivered the barrier being aligned
  };

  // At barrier `id`: snapshot, then the barrier goes on behind every
  // record emitted so far. A snapshot that throws fails the job (it
  // restarts from its last checkpoint): a sink that could not pre-commit,
  // or recover what it was restored with, must not go on as if it had.
  void CheckpointAt(int64_t id, int64_t alignment_ms) {
    FlushOperators();
    if (checkpoints_) checkpoints_->Ack(id, TakeSnapshot(id), alignment_ms);
    for (auto& w : writers) w->Barrier(id);
  }

  // What operators hold back for batching goes downstream (before the task
  // goes idle, before a barrier).
  void FlushOperators() {
    auto flush = [](OperatorInstance& op, const std::string& name) {
      try {
        op.Flush();
      } catch (const OperatorFailure&) {
        throw;
      } catch (const std::exception& e) {
        throw OperatorFailure(name, e.what());
      }
    };
    for (size_t k = 0; k < operators.size(); ++k) flush(*operators[k], node_names[k]);
    if (local) flush(*local, local_name);
  }

  bool FlushAll() {
    bool all = true;
    for (auto& w : writers) all = w->Flush() && all;
    return all;
  }
  void FlushPartial() {
    for (auto& w : writers) w->FlushPartial();
  }
  void SetIdle(bool idle) {
    if (idle == idle_sent_) return;
    // Records held back must not arrive after the idle mark: downstream
    // stops waiting for this task's watermark once it has it.
    if (idle) FlushOperators();
    idle_sent_ = idle;
    for (auto& w : writers) w->SetIdle(idle);
  }
  Step Finish() {
    operators.front()->End();
    ending_ = true;
    FlushPartial();
    if (checkpoints_) {
      // A snapshot that throws fails the job naming the operator, as at
      // any other checkpoint.
      checkpoints_->Finished(TakeSnapshot(checkpoints_->FinalId()), source != nullptr);
    }
    return FlushAll() ? Step::kDone : Step::kIdle;
  }

  Step RunSource(Clock::time_point deadline) {
    for (;;) {
      if (const int64_t t = trigger.load(std::memory_order_acquire); t > injected_) {
        injected_ = t;
        CheckpointAt(t, 0);
      }
      if (drain_->load(std::memory_order_relaxed)) return Finish();
      switch (source->PollRecords(batch_size_)) {
        case SourceInstance::Poll::kEnd:
          return Finish();
        case SourceInstance::Poll::kIdle:
          FlushPartial();
          if (source->idle()) SetIdle(true);
          // At least every 100 ms, so that idleness is noticed on time.
          executor_->WakeAt(this, Clock::now() + std::min<Clock::duration>(source->retry_after(), kMaxSleep));
          return Step::kIdle;
        case SourceInstance::Poll::kMore:
          SetIdle(false);
          break;
      }
      if (!FlushAll()) return Step::kIdle;
      if (Clock::now() >= deadline) {
        FlushPartial();
        return Step::kMore;
      }
    }
  }

  Step RunOperators(Clock::time_point deadline) {
    for (;;) {
      bool progress = false;
      for (size_t r = 0; r < readers.size(); ++r) {
        if (inputs_[r].ended || inputs_[r].blocked) continue;
        // A few messages per input in turn, so no input starves another.
        for (int k = 0; k < 4; ++k) {
          const InputReader::Got got = readers[r]->Next();
          if (got == InputReader::Got::kNothing) break;
          progress = true;
          switch (got) {
            case InputReader::Got::kIdle:
              inputs_[r].idle = true;
              break;
            case InputReader::Got::kActive:
              inputs_[r].idle = false;
              break;
            case InputReader::Got::kEnd:
              inputs_[r].ended = true;
              break;
            case InputReader::Got::kBarrier:
              if (!aligning_) {
                aligning_ = true;
                align_start_ = Clock::now();
              }
              // One checkpoint at a time, so every input brings the same id.
              align_id_ = readers[r]->barrier();
              inputs_[r].blocked = true;
              break;
            default:
              break;
          }
          if (aligning_ && Aligned()) {
            CheckpointAt(align_id_, MillisSince(align_start_));
            aligning_ = false;
            for (auto& in : inputs_) in.blocked = false;
          }
          if (inputs_[r].blocked) break;  // held back until every input has the barrier
          if (got == InputReader::Got::kBarrier) continue;
          if (got != InputReader::Got::kData) {
            if (AllEnded()) return Finish();
            CombineWatermarks();
          }
          if (!FlushAll()) return Step::kIdle;
        }
      }
      if (!progress) {
        FlushPartial();
        return Step::kIdle;
      }
      if (Clock::now() >= deadline) {
        FlushPartial();
        return Step::kMore;
      }
    }
  }

  // Every input delivered the barrier or ended.
  bool Aligned() const {
    return std::all_of(inputs_.begin(), inputs_.end(), [](const InputState& s) { return s.ended || s.blocked; });
  }

  bool AllEnded() const {
    return std::all_of(inputs_.begin(), inputs_.end(), [](const InputState& s) { return s.ended; });
  }

  // The task's watermark: the minimum over inputs that have not ended and
  // are not idle. All idle: the task is idle too.
  void CombineWatermarks() {
    Timestamp wm = kMaxTimestamp;
    bool any_active = false;
    for (size_t r = 0; r < readers.size(); ++r) {
      if (inputs_[r].ended || inputs_[r].idle) continue;
      any_active = true;
      wm = std::min(wm, readers[r]->watermark());
    }
    SetIdle(!any_active);
    if (any_active && wm > watermark_) {
      watermark_ = wm;
      operators.front()->Watermark(wm);
    }
  }

  Executor* executor_;
  const std::atomic<bool>* drain_;  // set: sources end as if their input ended
  const size_t batch_size_;
  const int chain_;
  const int instance_;
  CheckpointSink* checkpoints_;  // null: checkpoints off
  int64_t injected_ = 0;         // sources: the last barrier injected
  bool aligning_ = false;
  int64_t align_id_ = 0;
  Clock::time_point align_start_;
  std::vector<InputState> inputs_;
  Timestamp watermark_ = kMinTimestamp;
  bool idle_sent_ = false;
  bool ending_ = false;
};

// What an exchange carries: the upstream's records, or the partials of a
// two-phase aggregation.
const StreamType& ExchangeType(const Graph& graph, const PhysicalPlan& plan, const Exchange& ex) {
  if (plan.two_phase[static_cast<size_t>(ex.to_node)]) return *graph.node(ex.to_node).two_phase->partial;
  return *graph.node(ex.from_node).output;
}

}  // namespace

uint64_t GraphFingerprint(const Graph& graph) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // field separator
    h *= 0x100000001b3ULL;
  };
  for (const Node& n : graph.nodes()) {
    mix(n.name);
    mix(n.kind);
    mix(n.is_source ? "source" : "");
    for (const Edge& e : n.inputs) {
      mix(std::to_string(e.from) + ":" + std::to_string(e.port) + ":" + PartitioningName(e.partitioning));
    }
  }
  return h;
}

struct Job::Impl final : CheckpointSink {
  // Declared before the executor, so that the executor (destroyed first)
  // waits for every queued quantum while tasks and channels still exist.
  std::vector<std::vector<std::unique_ptr<ChainTask>>> tasks;
  std::vector<std::vector<std::vector<std::shared_ptr<ChannelBase>>>> channels;
  JobMetrics local_metrics;  // before the executor too: counters outlive every quantum
  JobMetrics* metrics = nullptr;
  std::atomic<bool> drain{false};
  std::unique_ptr<Executor> executor;

  RunOptions options;
  bool checkpointing = false;
  size_t task_count = 0;
  uint64_t fingerprint = 0;
  std::map<int, int> parallelism;  // node -> instances

  // The coordinator's state.
  struct Pending {
    int64_t id = 0;
    Clock::time_point start;
    int64_t time_ms = 0;
    std::vector<TaskSnapshot> snapshots;
    int64_t alignment_ms = 0;
    std::string declined;  // why it cannot complete (a source ended before its barrier)
  };
  mutable std::mutex mu;
  std::condition_variable cv;
  std::optional<Pending> pending;
  int64_t next_id = 1;
  int64_t final_id = 0;  // reserved by the first task that ended (FinalId)
  int64_t last_completed = 0;
  int64_t last_failed = 0;
  std::shared_ptr<const LoadedCheckpoint> last;
  std::vector<TaskSnapshot> finals;
  size_t finished = 0;
  bool source_ended = false;
  bool shutdown = false;
  int64_t stop_at = 0;        // StopWithCheckpoint: cancel once this completed
  bool stopped_at_checkpoint = false;
  std::thread coordinator;
  std::thread watcher;
  bool waited = false;
  Status result;

  // ---- CheckpointSink (task threads)
  void Ack(int64_t id, TaskSnapshot snapshot, int64_t alignment_ms) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!pending || pending->id != id) return;  // failed or timed out meanwhile
    pending->snapshots.push_back(std::move(snapshot));
    pending->alignment_ms = std::max(pending->alignment_ms, alignment_ms);
    if (pending->snapshots.size() == task_count) cv.notify_all();
  }
  int64_t FinalId() override {
    std::lock_guard<std::mutex> lock(mu);
    if (final_id == 0) final_id = next_id++;
    return final_id;
  }
  void Finished(TaskSnapshot snapshot, bool is_source) override {
    std::lock_guard<std::mutex> lock(mu);
    finals.push_back(std::move(snapshot));
    ++finished;
    if (is_source) {
      source_ended = true;
      // A source that ended takes no more barriers: the checkpoint waiting
      // for it cannot complete (the final one will take its place).
      if (pending && pending->declined.empty()) pending->declined = "a source ended before its barrier";
      cv.notify_all();
    }
  }

  // ---- the coordinator's thread
  void CoordinatorLoop() {
    std::unique_lock<std::mutex> lock(mu);
    const auto interval = std::chrono::milliseconds(options.checkpoints.interval_ms);
    auto next_trigger = Clock::now() + interval;
    while (!shutdown) {
      if (pending) {
        if (pending->snapshots.size() == task_count && pending->declined.empty()) {
          Complete(lock);
          continue;
        }
        const auto deadline = pending->start + std::chrono::milliseconds(options.checkpoints.timeout_ms);
        const bool timed_out = Clock::now() >= deadline;
        if (!pending->declined.empty() || timed_out) {
          Fail(timed_out ? "timed out after " + std::to_string(options.checkpoints.timeout_ms) + " ms"
                         : pending->declined);
          continue;
        }
        cv.wait_until(lock, deadline);  // acks, declines and shutdown notify
        continue;
      }
      if (interval.count() > 0 && Clock::now() >= next_trigger) {
        // The interval runs from one trigger to the next, or from the end of
        // a long checkpoint: never two at once.
        next_trigger = Clock::now() + interval;
        (void)TriggerLocked();  // a refusal (a source ended) is no failure
        continue;
      }
      if (interval.count() > 0) {
        cv.wait_until(lock, next_trigger);
      } else {
        cv.wait(lock);
      }
    }
  }

  // Starts checkpoint next_id: sources inject the barrier when they next run.
  Result<int64_t> TriggerLocked() {
    if (!checkpointing) return Status(Errc::kInvalidArgument, "checkpoints are off");
    if (pending) return Status(Errc::kInvalidArgument, "checkpoint " + std::to_string(pending->id) + " is running");
    if (source_ended || final_id != 0) return Status(Errc::kInvalidArgument, "a source ended: no more checkpoints");
    if (executor->cancelled()) return Status(Errc::kClosed, "the job is not running");
    Pending p;
    p.id = next_id++;
    p.start = Clock::now();
    p.time_ms = WallClockMs();
    pending = std::move(p);
    for (auto& per_chain : tasks) {
      for (auto& t : per_chain) {
        if (!t->source) continue;
        t->trigger.store(pending->id, std::memory_order_release);
        t->Notify();
      }
    }
    return pending->id;
  }

  // Every task acknowledged: write it (the tasks go on meanwhile), then
  // tell every task that it completed.
  void Complete(std::unique_lock<std::mutex>& lock) {
    Pending p = std::move(*pending);
    lock.unlock();
    CheckpointInfo info = Info(p.id, p.time_ms, p.alignment_ms, /*final=*/false);
    auto loaded = Persist(info, p.snapshots, p.start);
    lock.lock();
    pending.reset();
    if (!loaded.ok()) {
      RecordFailure(p.id, loaded.status().ToString());
      return;
    }
    last = *loaded;
    last_completed = p.id;
    for (auto& per_chain : tasks) {
      for (auto& t : per_chain) {
        t->completed.store(p.id, std::memory_order_release);
        t->Notify();
      }
    }
    if (stop_at != 0 && stop_at <= p.id) {
      stopped_at_checkpoint = true;
      executor->Cancel(Status::Ok());
    }
    cv.notify_all();
  }

  void Fail(const std::string& why) {  // under mu
    const int64_t id = pending->id;
    pending.reset();
    RecordFailure(id, why);
  }
  void RecordFailure(int64_t id, const std::string& why) {
    last_failed = std::max(last_failed, id);
    metrics->checkpoints.failed.fetch_add(1, std::memory_order_relaxed);
    if (!source_ended) GetLogger("engine")->warn("checkpoint {} failed: {}", id, why);
    if (stop_at != 0 && stop_at <= id) {
      // Stopping at a checkpoint that failed: end the input instead.
      stop_at = 0;
      drain.store(true);
      WakeSources();
    }
    cv.notify_all();
  }

  CheckpointInfo Info(int64_t id, int64_t time_ms, int64_t alignment_ms, bool final) const {
    CheckpointInfo info;
    info.id = id;
    info.job = options.checkpoints.job;
    info.graph_fingerprint = fingerprint;
    info.time_ms = time_ms;
    info.alignment_ms = alignment_ms;
    info.final = final;
    info.parallelism = parallelism;
    return info;
  }

  // Writes a checkpoint (when there is a store) and returns it as a restart
  // would read it.
  Result<std::shared_ptr<const LoadedCheckpoint>> Persist(CheckpointInfo& info,
                                                          const std::vector<TaskSnapshot>& snapshots,
                                                          Clock::time_point start) {
    if (options.checkpoints.store) {
      info.started = start;
      RIVULET_RETURN_IF_ERROR(options.checkpoints.store->Write(info, snapshots));
    } else {
      for (const auto& t : snapshots) {
        for (const auto& op : t.operators) {
          for (const auto& e : op.entries) info.bytes += static_cast<int64_t>(e.bytes.size());
        }
      }
    }
    info.duration_ms = std::max(info.duration_ms, MillisSince(start));
    auto loaded = std::make_shared<LoadedCheckpoint>();
    loaded->info = info;
    for (const auto& t : snapshots) {
      for (const auto& op : t.operators) {
        auto& into = loaded->state[op.node];
        into.insert(into.end(), op.entries.begin(), op.entries.end());
      }
    }
    CheckpointMetrics& m = metrics->checkpoints;
    m.last_id.store(info.id);
    m.last_duration_ms.store(info.duration_ms);
    m.last_bytes.store(info.bytes);
    m.last_alignment_ms.store(info.alignment_ms);
    m.completed.fetch_add(1);
    return std::shared_ptr<const LoadedCheckpoint>(std::move(loaded));
  }

  void WakeSources() {
    for (auto& per_chain : tasks) {
      for (auto& t : per_chain) {
        if (t->source) t->Notify();
      }
    }
  }

  void StopWithCheckpoint() {
    std::lock_guard<std::mutex> lock(mu);
    if (stop_at != 0 || drain.load()) return;
    if (pending) {
      stop_at = pending->id;
      return;
    }
    auto id = TriggerLocked();
    if (id.ok()) {
      stop_at = *id;
      cv.notify_all();
      return;
    }
    drain.store(true);  // no checkpoint possible: end the input instead
    WakeSources();
  }

  // After the executor stopped: completions the tasks did not see yet, and
  // the final checkpoint when the job finished.
  Status Finish(Status st) {
    {
      std::lock_guard<std::mutex> lock(mu);
      shutdown = true;
      pending.reset();
    }
    cv.notify_all();
    if (coordinator.joinable()) coordinator.join();
    if (watcher.joinable()) watcher.join();
    if (stopped_at_checkpoint && st.code() == Errc::kClosed) st = Status::Ok();
    if (st.ok() && checkpointing && !stopped_at_checkpoint) {
      if (finals.size() != task_count) {
        return Status(Errc::kJobFailed, "no final checkpoint: a task ended without its state");
      }
      CheckpointInfo info = Info(final_id, WallClockMs(), 0, /*final=*/true);
      auto loaded = Persist(info, finals, Clock::now());
      if (!loaded.ok()) return Status(loaded.status().code(), "final checkpoint: " + loaded.status().message());
      last = *loaded;
      last_completed = info.id;
    }
    // No task runs now: completions go to the operators from here. Every
    // task is told, even after one failed to commit (its sinks' commits do
    // not depend on another's); the first failure is the job's. A task
    // whose operator threw is not: its state is whatever the throw left (a
    // restart restores it from the checkpoint instead).
    for (auto& per_chain : tasks) {
      for (auto& t : per_chain) {
        if (t->failed()) continue;
        t->completed.store(last_completed);
        try {
          t->NotifyCompleted();
        } catch (const OperatorFailure& e) {
          if (st.ok()) st = Status(Errc::kJobFailed, "operator '" + e.op() + "' failed: " + e.what());
        }
      }
    }
    return st;
  }
};

Job::Job(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Job::~Job() {
  if (!impl_->waited) {
    Cancel();
    (void)Wait();
  }
}

Result<std::unique_ptr<Job>> Job::Start(const Graph& graph, const PhysicalPlan& plan, const RunOptions& options) {
  auto impl = std::make_unique<Impl>();
  Impl& j = *impl;
  j.options = options;
  j.fingerprint = GraphFingerprint(graph);
  const CheckpointOptions& cp = options.checkpoints;
  j.checkpointing = cp.interval_ms > 0 || cp.store != nullptr;
  j.next_id = std::max<int64_t>(cp.first_id, cp.restore ? cp.restore->info.id + 1 : 1);
  if (cp.restore && cp.restore->info.graph_fingerprint != j.fingerprint) {
    return Status(Errc::kInvalidArgument, "checkpoint " + std::to_string(cp.restore->info.id) +
                                              " is of another job graph; start fresh instead");
  }
  j.tasks.resize(plan.chains.size());
  j.channels.resize(plan.exchanges.size());
  j.executor = std::make_unique<Executor>(options.threads);
  Executor& executor = *j.executor;
  j.metrics = options.metrics ? options.metrics : &j.local_metrics;
  JobMetrics& metrics = *j.metrics;
  metrics.started = Clock::now();
  if (cp.restore) metrics.checkpoints.restored_id.store(cp.restore->info.id);
  for (const Node& node : graph.nodes()) {
    j.parallelism[node.id] = plan.parallelism[static_cast<size_t>(node.id)];
    metrics.operators.push_back(
        std::make_unique<OperatorMetrics>(node.name, node.kind, plan.parallelism[static_cast<size_t>(node.id)],
                                          node.output == nullptr, node.is_source));
  }
  CheckpointSink* sink = j.checkpointing ? &j : nullptr;
  for (size_t c = 0; c < plan.chains.size(); ++c) {
    const Chain& chain = plan.chains[c];
    for (int i = 0; i < chain.parallelism; ++i) {
      std::string name = graph.node(chain.nodes.front()).name;
      if (chain.parallelism > 1) name += "#" + std::to_string(i);
      j.tasks[c].push_back(std::make_unique<ChainTask>(name, &executor, &j.drain, options.batch_size,
                                                       static_cast<int>(c), i, sink));
      ++j.task_count;
    }
  }
  // Channels per exchange: [source instance][destination instance].
  for (size_t x = 0; x < plan.exchanges.size(); ++x) {
    const Exchange& ex = plan.exchanges[x];
    const Node& from = graph.node(ex.from_node);
    const StreamType& type = ExchangeType(graph, plan, ex);
    const int sp = plan.chains[static_cast<size_t>(ex.from_chain)].parallelism;
    const int dp = plan.chains[static_cast<size_t>(ex.to_chain)].parallelism;
    j.channels[x].resize(static_cast<size_t>(sp));
    for (int s = 0; s < sp; ++s) {
      for (int d = 0; d < dp; ++d) {
        if (ex.partitioning == Partitioning::kForward && s != d) {
          j.channels[x][static_cast<size_t>(s)].push_back(nullptr);
          continue;
        }
        std::shared_ptr<ChannelBase> ch = type.MakeChannel(options.channel_capacity);
        ch->Connect(j.tasks[static_cast<size_t>(ex.from_chain)][static_cast<size_t>(s)].get(),
                    j.tasks[static_cast<size_t>(ex.to_chain)][static_cast<size_t>(d)].get());
        j.channels[x][static_cast<size_t>(s)].push_back(std::move(ch));
      }
    }
    ExchangeMetrics xm{from.name, graph.node(ex.to_node).name, {}};
    for (auto& per_source : j.channels[x]) {
      for (auto& ch : per_source) {
        if (ch) xm.channels.push_back(ch);
      }
    }
    metrics.exchanges.push_back(std::move(xm));
  }
  for (size_t c = 0; c < plan.chains.size(); ++c) {
    const Chain& chain = plan.chains[c];
    const Node& tail = graph.node(chain.nodes.back());
    for (int i = 0; i < chain.parallelism; ++i) {
      ChainTask& task = *j.tasks[c][static_cast<size_t>(i)];
      // Writers of the exchanges leaving this chain.
      std::vector<Port> outs;
      const Node* split = nullptr;  // the two-phase aggregation fed by this chain
      for (size_t x = 0; x < plan.exchanges.size(); ++x) {
        const Exchange& ex = plan.exchanges[x];
        if (ex.from_chain != static_cast<int>(c)) continue;
        std::vector<ChannelBase*> to;
        for (auto& ch : j.channels[x][static_cast<size_t>(i)]) {
          if (ch) to.push_back(ch.get());
        }
        const Node& consumer = graph.node(ex.to_node);
        std::shared_ptr<const WriterFactory> factory;
        if (plan.two_phase[static_cast<size_t>(consumer.id)]) {
          split = &consumer;
          factory = consumer.two_phase->writer;
        }
        // The edge's own writer, unless the planner changed its partitioning.
        for (const auto& e : consumer.inputs) {
          if (factory) break;
          if (e.from == ex.from_node && e.port == ex.port && e.partitioning == ex.partitioning) factory = e.writer;
        }
        if (!factory) factory = tail.output->Writer(ex.partitioning);
        task.writers.push_back(factory->Make(std::move(to), options.batch_size));
        outs.push_back(task.writers.back()->receiver());
      }
      Port out;
      if (outs.size() == 1) out = outs[0];
      if (outs.size() > 1) out = tail.output->MakeFanout(outs, &task.fanouts);
      auto m = [&](int node) { return metrics.operators[static_cast<size_t>(node)].get(); };
      auto wm = [&](int node) { return &m(node)->watermarks[static_cast<size_t>(i)]; };
      if (split) {
        // The planner splits only an aggregation that is its input's one
        // consumer: the local phase takes the chain's whole output, and
        // counts as the aggregation's input.
        try {
          task.local = split->two_phase->local->Make(i, chain.parallelism, out);
        } catch (const std::logic_error& e) {
          return Status(Errc::kInvalidArgument, "operator '" + split->name + "' (local phase): " + e.what());
        }
        task.local_name = split->name;
        out = tail.output->MakeCounter(task.local->input(0),
                                       {.next_name = &split->name,
                                        .records_out = &m(tail.id)->records_out,
                                        .records_in = &m(split->id)->records_in,
                                        .watermark_from = wm(tail.id)},
                                       &task.fanouts);
      } else if (out) {
        out = tail.output->MakeCounter(
            out, {.records_out = &m(tail.id)->records_out, .watermark_from = wm(tail.id)}, &task.fanouts);
      }
      // Operators, tail first, each sending to the next through a counter.
      // Ports check their types: an operator wired to a stream of another
      // type stops the job here, naming it.
      std::vector<std::unique_ptr<OperatorInstance>> ops;
      for (size_t k = chain.nodes.size(); k-- > 0;) {
        const Node& node = graph.node(chain.nodes[k]);
        try {
          const bool global = plan.two_phase[static_cast<size_t>(node.id)];
          ops.push_back((global ? node.two_phase->global : node.factory)->Make(i, chain.parallelism, out));
          ops.back()->BindLateCounter(&m(node.id)->late_records);
          ops.back()->BindBadRecordCounter(&m(node.id)->bad_records);
          ops.back()->BindSourceLag(&m(node.id)->lag, i);
          if (k > 0) {
            const Node& prev = graph.node(chain.nodes[k - 1]);
            out = prev.output->MakeCounter(ops.back()->input(0),
                                           {.next_name = &node.name,
                                            .records_out = &m(prev.id)->records_out,
                                            .records_in = &m(node.id)->records_in,
                                            .watermark_from = wm(prev.id),
                                            .watermark_to = wm(node.id)},
                                           &task.fanouts);
          }
        } catch (const std::logic_error& e) {
          return Status(Errc::kInvalidArgument, "operator '" + node.name + "': " + e.what());
        }
      }
      std::reverse(ops.begin(), ops.end());
      task.operators = std::move(ops);
      task.nodes = chain.nodes;
      for (int n : chain.nodes) task.node_names.push_back(graph.node(n).name);
      for (size_t k = 0; k < chain.nodes.size(); ++k) {
        OperatorInstance& op = *task.operators[k];
        if (j.checkpointing && !op.CanCheckpoint()) {
          return Status(Errc::kInvalidArgument,
                        "operator '" + graph.node(chain.nodes[k]).name +
                            "' keeps state that cannot be checkpointed (a key, accumulator or row type without a "
                            "StateCodec, engine/state_codec.h): give the type one, or turn checkpoints off");
        }
        if (j.checkpointing) {
          op.EnableCheckpoints(CheckpointScope{cp.job.empty() ? "job" : cp.job, graph.node(chain.nodes[k]).name, i,
                                               chain.parallelism});
        }
        if (!cp.restore) continue;
        static const std::vector<StateEntry> kNone;
        const int node = chain.nodes[k];
        auto st = cp.restore->state.find(node);
        auto par = cp.restore->info.parallelism.find(node);
        RestoreContext ctx;
        ctx.entries = st == cp.restore->state.end() ? &kNone : &st->second;
        ctx.old_parallelism = par == cp.restore->info.parallelism.end() ? 0 : par->second;
        ctx.index = i;
        ctx.parallelism = chain.parallelism;
        try {
          op.Restore(ctx);
        } catch (const std::exception& e) {
          return Status(Errc::kInvalidArgument, "restoring operator '" + graph.node(node).name + "' from checkpoint " +
                                                    std::to_string(cp.restore->info.id) + ": " + e.what());
        }
      }
      const Node& head = graph.node(chain.nodes.front());
      if (head.is_source) task.source = static_cast<SourceInstance*>(task.operators.front().get());
      // Readers of the exchanges entering this chain.
      for (size_t x = 0; x < plan.exchanges.size(); ++x) {
        const Exchange& ex = plan.exchanges[x];
        if (ex.to_chain != static_cast<int>(c)) continue;
        const Node& from = graph.node(ex.from_node);
        const StreamType& type = ExchangeType(graph, plan, ex);
        // Partials were counted as records where the local phase took them.
        const bool partials = plan.two_phase[static_cast<size_t>(ex.to_node)];
        for (auto& per_source : j.channels[x]) {
          ChannelBase* ch = per_source[static_cast<size_t>(i)].get();
          if (!ch) continue;
          try {
            Port port = type.MakeCounter(task.operators.front()->input(ex.port),
                                         {.next_name = &head.name, .records_in = partials ? nullptr : &m(head.id)->records_in},
                                         &task.fanouts);
            task.readers.push_back(type.MakeReader(ch, port));
          } catch (const std::logic_error& e) {
            return Status(Errc::kInvalidArgument, "operator '" + head.name + "' input " + std::to_string(ex.port) +
                                                      " from '" + from.name + "': " + e.what());
          }
        }
      }
      task.Prepare();
      executor.Add(&task);
    }
  }
  if (cp.restore) {
    j.last = cp.restore;
    j.last_completed = cp.restore->info.id;
  }
  metrics.ready.store(true, std::memory_order_release);
  executor.Start();
  if (j.checkpointing) j.coordinator = std::thread([&j] { j.CoordinatorLoop(); });
  if (options.stop) {
    // Turns the stop flag (SIGINT) into stopping the job.
    j.watcher = std::thread([&j] {
      for (;;) {
        {
          std::unique_lock<std::mutex> lock(j.mu);
          if (j.shutdown) return;
          j.cv.wait_for(lock, std::chrono::milliseconds(20));
          if (j.shutdown) return;
        }
        if (!j.options.stop->load()) continue;
        if (j.checkpointing) {
          j.StopWithCheckpoint();
        } else {
          j.drain.store(true);
          j.WakeSources();
        }
        return;
      }
    });
  }
  return std::unique_ptr<Job>(new Job(std::move(impl)));
}

Status Job::Wait() {
  if (impl_->waited) return impl_->result;
  impl_->waited = true;
  impl_->result = impl_->Finish(impl_->executor->Wait());
  return impl_->result;
}

void Job::Cancel() { impl_->executor->Cancel(Status::Ok()); }

void Job::StopWithCheckpoint() { impl_->StopWithCheckpoint(); }

Result<int64_t> Job::TriggerCheckpoint() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto id = impl_->TriggerLocked();
  impl_->cv.notify_all();
  return id;
}

Status Job::AwaitCheckpoint(int64_t id, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->mu);
  const bool done = impl_->cv.wait_for(lock, timeout, [&] {
    return impl_->last_completed >= id || impl_->last_failed >= id || impl_->shutdown;
  });
  if (impl_->last_completed >= id) return Status::Ok();
  if (!done) return Status(Errc::kTimeout, "checkpoint " + std::to_string(id) + " did not complete in time");
  return Status(Errc::kClosed, "checkpoint " + std::to_string(id) + " failed");
}

Status Job::AwaitIdle(std::chrono::milliseconds timeout) {
  if (impl_->executor->AwaitIdle(timeout)) return Status::Ok();
  if (impl_->executor->cancelled()) return Status(Errc::kClosed, "the job is not running");
  return Status(Errc::kTimeout, "the job was still busy after " + std::to_string(timeout.count()) + " ms");
}

std::shared_ptr<const LoadedCheckpoint> Job::last_checkpoint() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last;
}

JobMetrics& Job::metrics() { return *impl_->metrics; }

Status Run(const Graph& graph, const PhysicalPlan& plan, const RunOptions& options) {
  RIVULET_ASSIGN_OR_RETURN(auto job, Job::Start(graph, plan, options));
  return job->Wait();
}

}  // namespace rivulet::engine

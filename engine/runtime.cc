#include "engine/runtime.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/executor.h"

namespace rivulet::engine {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kMaxSleep = std::chrono::milliseconds(100);

// One instance of a chain: a source or input readers at the head, chained
// operator instances, and writers at the tail.
class ChainTask final : public Task {
 public:
  ChainTask(std::string name, Executor* executor, const std::atomic<bool>* stop, size_t batch_size)
      : Task(std::move(name)), executor_(executor), stop_(stop), batch_size_(batch_size) {}

  std::vector<std::unique_ptr<OperatorInstance>> operators;  // head first
  std::vector<std::unique_ptr<OutputWriter>> writers;
  std::vector<std::shared_ptr<void>> fanouts;
  std::vector<std::unique_ptr<InputReader>> readers;
  SourceInstance* source = nullptr;

  void Prepare() { inputs_.assign(readers.size(), InputState{}); }

  Step Run(Clock::time_point deadline) override {
    if (ending_) return FlushAll() ? Step::kDone : Step::kIdle;
    if (!FlushAll()) return Step::kIdle;  // woken when a consumer makes room
    return source ? RunSource(deadline) : RunOperators(deadline);
  }

 private:
  struct InputState {
    bool idle = false;
    bool ended = false;
  };

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
    idle_sent_ = idle;
    for (auto& w : writers) w->SetIdle(idle);
  }
  Step Finish() {
    operators.front()->End();
    ending_ = true;
    FlushPartial();
    return FlushAll() ? Step::kDone : Step::kIdle;
  }

  Step RunSource(Clock::time_point deadline) {
    for (;;) {
      if (stop_ && stop_->load(std::memory_order_relaxed)) return Finish();
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
        if (inputs_[r].ended) continue;
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
            default:
              break;
          }
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
  const std::atomic<bool>* stop_;
  const size_t batch_size_;
  std::vector<InputState> inputs_;
  Timestamp watermark_ = kMinTimestamp;
  bool idle_sent_ = false;
  bool ending_ = false;
};

}  // namespace

Status Run(const Graph& graph, const PhysicalPlan& plan, const RunOptions& options) {
  // Declared before the executor, so that the executor (destroyed first)
  // waits for every queued quantum while tasks and channels still exist.
  std::vector<std::vector<std::unique_ptr<ChainTask>>> tasks(plan.chains.size());
  std::vector<std::vector<std::vector<std::shared_ptr<ChannelBase>>>> channels(plan.exchanges.size());
  JobMetrics local_metrics;  // before the executor too: counters outlive every quantum
  Executor executor(options.threads);
  JobMetrics& metrics = options.metrics ? *options.metrics : local_metrics;
  metrics.started = Clock::now();
  for (const Node& node : graph.nodes()) {
    metrics.operators.push_back(
        std::make_unique<OperatorMetrics>(node.name, node.kind, plan.parallelism[static_cast<size_t>(node.id)],
                                          node.output == nullptr, node.is_source));
  }
  for (size_t c = 0; c < plan.chains.size(); ++c) {
    const Chain& chain = plan.chains[c];
    for (int i = 0; i < chain.parallelism; ++i) {
      std::string name = graph.node(chain.nodes.front()).name;
      if (chain.parallelism > 1) name += "#" + std::to_string(i);
      tasks[c].push_back(std::make_unique<ChainTask>(name, &executor, options.stop, options.batch_size));
    }
  }
  // Channels per exchange: [source instance][destination instance].
  for (size_t x = 0; x < plan.exchanges.size(); ++x) {
    const Exchange& ex = plan.exchanges[x];
    const Node& from = graph.node(ex.from_node);
    const int sp = plan.chains[static_cast<size_t>(ex.from_chain)].parallelism;
    const int dp = plan.chains[static_cast<size_t>(ex.to_chain)].parallelism;
    channels[x].resize(static_cast<size_t>(sp));
    for (int s = 0; s < sp; ++s) {
      for (int d = 0; d < dp; ++d) {
        if (ex.partitioning == Partitioning::kForward && s != d) {
          channels[x][static_cast<size_t>(s)].push_back(nullptr);
          continue;
        }
        std::shared_ptr<ChannelBase> ch = from.output->MakeChannel(options.channel_capacity);
        ch->Connect(tasks[static_cast<size_t>(ex.from_chain)][static_cast<size_t>(s)].get(),
                    tasks[static_cast<size_t>(ex.to_chain)][static_cast<size_t>(d)].get());
        channels[x][static_cast<size_t>(s)].push_back(std::move(ch));
      }
    }
    ExchangeMetrics xm{from.name, graph.node(ex.to_node).name, {}};
    for (auto& per_source : channels[x]) {
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
      ChainTask& task = *tasks[c][static_cast<size_t>(i)];
      // Writers of the exchanges leaving this chain.
      std::vector<void*> outs;
      for (size_t x = 0; x < plan.exchanges.size(); ++x) {
        const Exchange& ex = plan.exchanges[x];
        if (ex.from_chain != static_cast<int>(c)) continue;
        std::vector<ChannelBase*> to;
        for (auto& ch : channels[x][static_cast<size_t>(i)]) {
          if (ch) to.push_back(ch.get());
        }
        const Node& consumer = graph.node(ex.to_node);
        std::shared_ptr<const WriterFactory> factory;
        // The edge's own writer, unless the planner changed its partitioning.
        for (const auto& e : consumer.inputs) {
          if (e.from == ex.from_node && e.port == ex.port && e.partitioning == ex.partitioning) factory = e.writer;
        }
        if (!factory) factory = tail.output->Writer(ex.partitioning);
        task.writers.push_back(factory->Make(std::move(to), options.batch_size));
        outs.push_back(task.writers.back()->receiver());
      }
      void* out = nullptr;
      if (outs.size() == 1) out = outs[0];
      if (outs.size() > 1) out = tail.output->MakeFanout(outs, &task.fanouts);
      auto m = [&](int node) { return metrics.operators[static_cast<size_t>(node)].get(); };
      auto wm = [&](int node) { return &m(node)->watermarks[static_cast<size_t>(i)]; };
      if (out) {
        out = tail.output->MakeCounter(out, nullptr, &m(tail.id)->records_out, nullptr, wm(tail.id), nullptr,
                                       &task.fanouts);
      }
      // Operators, tail first, each sending to the next through a counter.
      std::vector<std::unique_ptr<OperatorInstance>> ops;
      for (size_t k = chain.nodes.size(); k-- > 0;) {
        const Node& node = graph.node(chain.nodes[k]);
        ops.push_back(node.factory->Make(i, chain.parallelism, out));
        ops.back()->BindLateCounter(&m(node.id)->late_records);
        ops.back()->BindBadRecordCounter(&m(node.id)->bad_records);
        if (k > 0) {
          const Node& prev = graph.node(chain.nodes[k - 1]);
          out = prev.output->MakeCounter(ops.back()->input(0), &node.name, &m(prev.id)->records_out,
                                         &m(node.id)->records_in, wm(prev.id), wm(node.id), &task.fanouts);
        }
      }
      std::reverse(ops.begin(), ops.end());
      task.operators = std::move(ops);
      const Node& head = graph.node(chain.nodes.front());
      if (head.is_source) task.source = static_cast<SourceInstance*>(task.operators.front().get());
      // Readers of the exchanges entering this chain.
      for (size_t x = 0; x < plan.exchanges.size(); ++x) {
        const Exchange& ex = plan.exchanges[x];
        if (ex.to_chain != static_cast<int>(c)) continue;
        const Node& from = graph.node(ex.from_node);
        for (auto& per_source : channels[x]) {
          ChannelBase* ch = per_source[static_cast<size_t>(i)].get();
          if (!ch) continue;
          void* port = from.output->MakeCounter(task.operators.front()->input(ex.port), &head.name, nullptr,
                                                &m(head.id)->records_in, nullptr, nullptr, &task.fanouts);
          task.readers.push_back(from.output->MakeReader(ch, port));
        }
      }
      task.Prepare();
      executor.Add(&task);
    }
  }
  // A watcher turns the stop flag into waking the sources (they then end).
  std::atomic<bool> finished{false};
  std::thread watcher;
  if (options.stop) {
    watcher = std::thread([&] {
      while (!finished.load()) {
        if (options.stop->load()) {
          for (auto& per_chain : tasks) {
            for (auto& t : per_chain) {
              if (t->source) t->Notify();
            }
          }
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  metrics.ready.store(true, std::memory_order_release);
  Status st = executor.Run();
  finished.store(true);
  if (watcher.joinable()) watcher.join();
  return st;
}

}  // namespace rivulet::engine

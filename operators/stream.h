// The job API: a JobBuilder declares sources, typed streams and their
// operators, and sinks; the runtime plans and runs the graph.
//
//   JobBuilder job;
//   job.FromCollection("lines", lines)
//       .FlatMap<std::string>("split", [](const std::string& l, auto emit) { ... })
//       .KeyBy([](const std::string& w) { return w; })
//       .Window(Tumbling(10'000))
//       .Aggregate("count", Count{})
//       .Print("print", &std::cout, [](const auto& r) { ... });
//   Status st = job.Run({.parallelism = 2});
//
// User functions are template parameters of the operators, so chained
// per-record calls are inlined.
#pragma once

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/graph.h"
#include "engine/plan.h"
#include "engine/runtime.h"
#include "engine/stream_type.h"
#include "operators/aggregate.h"
#include "operators/basic.h"
#include "operators/enrich.h"
#include "operators/local_global.h"
#include "operators/process.h"
#include "operators/session.h"
#include "operators/sinks.h"
#include "operators/sources.h"
#include "operators/window.h"

namespace rivulet::operators {

template <typename T>
class Stream;

// An OperatorFactory whose Make(index, parallelism, out) calls `make`.
template <typename MakeFn>
std::shared_ptr<const engine::OperatorFactory> MakeFactory(MakeFn make);

struct JobRunOptions {
  int parallelism = 0;  // default per operator; 0 = the number of cores
  engine::PlanOptions plan;
  engine::RunOptions runtime;
};

class JobBuilder {
 public:
  JobBuilder() = default;
  JobBuilder(const JobBuilder&) = delete;
  JobBuilder& operator=(const JobBuilder&) = delete;

  engine::Graph& graph() { return graph_; }

  // Records of `data`, split between the source's instances in blocks of
  // 4096 records, round robin.
  // `ts` extracts event time (T -> ms; nullptr: processing time at the
  // source); `wm` is the watermark strategy.
  template <typename T, typename TsFn = std::nullptr_t>
  Stream<T> FromCollection(std::string name, std::vector<T> data, TsFn ts = nullptr, WatermarkStrategy wm = {}) {
    return FromShared<T>(std::move(name), std::make_shared<const std::vector<T>>(std::move(data)), std::move(ts), wm);
  }
  // The same over a shared vector (not copied; must not change while the job runs).
  template <typename T, typename TsFn = std::nullptr_t>
  Stream<T> FromShared(std::string name, std::shared_ptr<const std::vector<T>> data, TsFn ts = nullptr,
                       WatermarkStrategy wm = {});

  // The records of `data`, moved out as they are emitted (split as
  // FromCollection): no copy per record, and `data` holds moved-from
  // values afterwards. A job reading it runs once (a second run fails, as
  // does a restart from a checkpoint).
  template <typename T, typename TsFn = std::nullptr_t>
  Stream<T> FromDrained(std::string name, std::shared_ptr<std::vector<T>> data, TsFn ts = nullptr,
                        WatermarkStrategy wm = {}) {
    auto drains = std::make_shared<DrainCount>();
    return Stream<T>(this, AddNode<T>(std::move(name), "source", {}, [data, ts, wm, drains](int index, int p,
                                                                                          engine::Port out) {
      return std::make_unique<CollectionSource<T, TsFn, true>>(out, data, index, p, ts, wm, drains.get());
    }, /*source=*/true));
  }

  // gen(n) for n in [0, count) (count < 0: unbounded) at `rate` records/s
  // (0: as fast as possible).
  template <typename Gen, typename TsFn = std::nullptr_t>
  auto FromGenerator(std::string name, Gen gen, int64_t count, double rate = 0, TsFn ts = nullptr,
                     WatermarkStrategy wm = {}) -> Stream<std::decay_t<std::invoke_result_t<Gen, uint64_t>>>;

  // Plans the job at `parallelism` (0: cores).
  Result<engine::PhysicalPlan> Plan(int parallelism, const engine::PlanOptions& options = {});
  // `rivulet run JOB --explain`.
  Result<std::string> Explain(int parallelism);
  // Plans and runs to completion.
  Status Run(const JobRunOptions& options);
  // Plans and starts the job; the handle cancels, checkpoints and waits
  // for it. The builder must outlive the job.
  Result<std::unique_ptr<engine::Job>> Start(const JobRunOptions& options);

  // Adds a node whose instances `make(index, parallelism, out)` creates.
  template <typename Out, typename MakeFn>
  int AddNode(std::string name, std::string kind, std::vector<engine::Edge> inputs, MakeFn make, bool source = false);

  // A mistake found while building (e.g. a window of size 0): Plan, Run
  // and Explain return the first one.
  void Fail(Status st) {
    if (error_.ok()) error_ = std::move(st);
  }

 private:
  engine::Graph graph_;
  Status error_;
};

// A typed stream: the output of one node.
template <typename T>
class Stream {
 public:
  Stream(JobBuilder* job, int node) : job_(job), node_(node) {}
  int node() const { return node_; }
  JobBuilder* job() const { return job_; }

  // Instances of the operator that produced this stream (default: the job's).
  Stream& SetParallelism(int p) {
    job_->graph().node(node_).parallelism = p;
    return *this;
  }

  // f takes the record by const T& or, to move from it, by T&& or value.
  template <typename F>
  auto Map(std::string name, F f) -> Stream<std::decay_t<typename RecordResult<F, T>::type>> {
    using Out = std::decay_t<typename RecordResult<F, T>::type>;
    return Stream<Out>(job_, job_->template AddNode<Out>(std::move(name), "map", {Forward()},
                                                         [f](int, int, engine::Port out) {
                                                           return std::make_unique<MapOperator<T, Out, F>>(out, f);
                                                         }));
  }

  template <typename F>
  Stream<T> Filter(std::string name, F f) {
    return Stream<T>(job_, job_->template AddNode<T>(std::move(name), "filter", {Forward()}, [f](int, int, engine::Port out) {
      return std::make_unique<FilterOperator<T, F>>(out, f);
    }));
  }

  // f(const T&, emit) calls emit(Out) for each output record (f may take
  // the record by T&& to move from it).
  template <typename Out, typename F>
  Stream<Out> FlatMap(std::string name, F f) {
    return Stream<Out>(job_, job_->template AddNode<Out>(std::move(name), "flat_map", {Forward()},
                                                         [f](int, int, engine::Port out) {
                                                           return std::make_unique<FlatMapOperator<T, Out, F>>(out, f);
                                                         }));
  }

  // Joins each record with the row of `table` (any map with find()) at
  // key(record): join(record, row or nullptr) -> std::optional<Out>.
  template <typename Table, typename KeyFn, typename JoinFn>
  auto Enrich(std::string name, std::shared_ptr<const Table> table, KeyFn key, JoinFn join)
      -> Stream<typename std::invoke_result_t<JoinFn, const T&, const typename Table::mapped_type*>::value_type> {
    using Out = typename std::invoke_result_t<JoinFn, const T&, const typename Table::mapped_type*>::value_type;
    return Stream<Out>(job_, job_->template AddNode<Out>(
                                 std::move(name), "enrich", {Forward()}, [table, key, join](int, int, engine::Port out) {
                                   return std::make_unique<LookupEnrichOperator<T, Out, Table, KeyFn, JoinFn>>(
                                       out, table, key, join);
                                 }));
  }

  // Stream-table join: `table` is a stream of rows (upserts by
  // row_key(row)); each record is joined with the latest row of its key(record)
  // seen so far: join(record, row or nullptr) -> std::optional<Out>. Both
  // inputs are partitioned by key, so a record meets its key's rows.
  template <typename Row, typename KeyFn, typename RowKeyFn, typename JoinFn>
  auto EnrichFrom(std::string name, Stream<Row> table, KeyFn key, RowKeyFn row_key, JoinFn join)
      -> Stream<typename std::invoke_result_t<JoinFn, const T&, const Row*>::value_type> {
    using Out = typename std::invoke_result_t<JoinFn, const T&, const Row*>::value_type;
    std::vector<engine::Edge> in{
        engine::Edge{node_, 0, engine::Partitioning::kHash, engine::MakeHashWriter<T>(key)},
        engine::Edge{table.node(), 1, engine::Partitioning::kHash, engine::MakeHashWriter<Row>(row_key)}};
    return Stream<Out>(job_, job_->template AddNode<Out>(
                                 std::move(name), "stream-table join", std::move(in),
                                 [key, row_key, join](int, int, engine::Port out) {
                                   return std::make_unique<
                                       StreamTableJoinOperator<T, Row, Out, KeyFn, RowKeyFn, JoinFn>>(out, key, row_key,
                                                                                                     join);
                                 }));
  }

  // This stream and `others` as one (same type); watermarks combine as the
  // minimum of the inputs.
  Stream<T> Union(std::string name, const std::vector<Stream<T>>& others) {
    // Forward where parallelism matches (planning turns the others into rebalance).
    std::vector<engine::Edge> in{Forward()};
    for (const auto& o : others) in.push_back(o.Forward());
    return Stream<T>(job_, job_->template AddNode<T>(std::move(name), "union", std::move(in), [](int, int, engine::Port out) {
      return std::make_unique<IdentityOperator<T>>(out);
    }));
  }

  // Processing time from here on (ProcessingTimeOperator): timestamps and
  // watermarks from the wall clock, for processing-time windows.
  Stream<T> ProcessingTime(std::string name) {
    return Stream<T>(job_, job_->template AddNode<T>(std::move(name), "processing time", {Forward()},
                                                     [](int, int, engine::Port out) {
                                                       return std::make_unique<ProcessingTimeOperator<T>>(out);
                                                     }));
  }

  // Sends every record to every instance of the next operator.
  Stream<T> Broadcast(std::string name) {
    engine::Edge e = Forward();
    e.partitioning = engine::Partitioning::kBroadcast;
    return Stream<T>(job_, job_->template AddNode<T>(std::move(name), "broadcast", {e}, [](int, int, engine::Port out) {
      return std::make_unique<IdentityOperator<T>>(out);
    }));
  }

  // Sends records round robin to the next operator's instances.
  Stream<T> Rebalance(std::string name) {
    engine::Edge e = Forward();
    e.partitioning = engine::Partitioning::kRebalance;
    return Stream<T>(job_, job_->template AddNode<T>(std::move(name), "rebalance", {e}, [](int, int, engine::Port out) {
      return std::make_unique<IdentityOperator<T>>(out);
    }));
  }

  template <typename KeyFn>
  class Keyed;
  template <typename KeyFn>
  Keyed<KeyFn> KeyBy(KeyFn key) {
    return Keyed<KeyFn>(*this, std::move(key));
  }

  // Sinks.
  void CollectInto(std::string name, std::shared_ptr<Collected<T>> into) {
    job_->template AddNode<void>(std::move(name), "sink", {Forward()}, [into](int, int, engine::Port) {
      return std::make_unique<CollectSink<T>>(into);
    });
  }
  // Exactly once: records reach `into` when the checkpoint after them
  // completes (CommittedCollectSink).
  void CollectCommitted(std::string name, std::shared_ptr<Collected<T>> into) {
    job_->template AddNode<void>(std::move(name), "sink", {Forward()}, [into](int, int, engine::Port) {
      return std::make_unique<CommittedCollectSink<T>>(into);
    });
  }
  // f(Batch<T>&) per batch, per instance (a copy of f each); on_end once per instance.
  template <typename F>
  void Sink(std::string name, F f, std::function<void()> on_end = nullptr) {
    job_->template AddNode<void>(std::move(name), "sink", {Forward()}, [f, on_end](int, int, engine::Port) {
      return std::make_unique<CallbackSink<T, F>>(f, on_end);
    });
  }
  template <typename Format>
  void Print(std::string name, std::ostream* out, Format format) {
    auto mu = std::make_shared<std::mutex>();
    job_->template AddNode<void>(std::move(name), "sink", {Forward()}, [out, mu, format](int, int, engine::Port) {
      return std::make_unique<OstreamSink<T, Format>>(out, mu, format);
    });
  }

  engine::Edge Forward() const { return engine::Edge{node_, 0, engine::Partitioning::kForward, nullptr}; }

 private:
  JobBuilder* job_;
  int node_;
};

// A stream partitioned by key: what follows runs with all records of a key
// in one instance.
template <typename T>
template <typename KeyFn>
class Stream<T>::Keyed {
 public:
  using K = std::decay_t<std::invoke_result_t<KeyFn, const T&>>;
  Keyed(Stream<T> in, KeyFn key) : in_(in), key_(std::move(key)) {}

  class Windowed {
   public:
    Windowed(Keyed keyed, WindowSpec spec) : keyed_(std::move(keyed)), spec_(spec) {}
    // Records later than the allowed lateness: counted, and given to `f`.
    Windowed& OnLate(std::function<void(const T&, Timestamp)> f) {
      late_.handler = std::move(f);
      return *this;
    }
    template <typename Agg>
    Stream<WindowResult<K, typename Agg::Out>> Aggregate(std::string name, Agg agg) {
      using Out = WindowResult<K, typename Agg::Out>;
      JobBuilder* job = keyed_.in_.job();
      const KeyFn key = keyed_.key_;
      const WindowSpec spec = spec_;
      const LateRecords<T> late = late_;
      const std::string kind = spec.kind == WindowSpec::Kind::kSession   ? "session window"
                               : spec.kind == WindowSpec::Kind::kSliding ? "sliding window"
                                                                         : "tumbling window";
      if (Status st = Validate(spec); !st.ok()) job->Fail(Status(st.code(), "'" + name + "': " + st.message()));
      const int id = job->template AddNode<Out>(
          std::move(name), kind, {keyed_.HashEdge()},
          [key, agg, spec, late](int, int, engine::Port out) -> std::unique_ptr<engine::OperatorInstance> {
            if (spec.kind == WindowSpec::Kind::kSession) {
              return std::make_unique<SessionWindowOperator<T, KeyFn, Agg>>(out, key, agg, spec, late);
            }
            return std::make_unique<PaneWindowOperator<T, KeyFn, Agg>>(out, key, agg, spec, late);
          });
      // Local-global where the planner finds an exchange (local_global.h).
      if constexpr (AllowsLocalPhase<Agg>::value) {
        if (spec.kind != WindowSpec::Kind::kSession && !late.handler) {
          using P = Partial<K, typename Agg::Acc>;
          auto split = std::make_shared<engine::TwoPhase>();
          split->local = MakeFactory([key, agg, spec](int, int, engine::Port out) {
            return std::make_unique<LocalWindowAggregate<T, KeyFn, Agg>>(out, key, agg, spec);
          });
          split->global = MakeFactory([agg, spec](int, int, engine::Port out) {
            return std::make_unique<PaneWindowOperator<P, PartialKey<K, typename Agg::Acc>, MergePartialsOf<K, Agg>>>(
                out, PartialKey<K, typename Agg::Acc>{}, MergePartialsOf<K, Agg>{agg}, spec, LateRecords<P>{});
          });
          split->partial = engine::MakeStreamType<P>();
          split->writer = engine::MakeHashWriter<P>(PartialKey<K, typename Agg::Acc>{});
          job->graph().node(id).two_phase = std::move(split);
        }
      }
      return Stream<Out>(job, id);
    }

    // A window function: f(key, start, end, records) -> Out, called once per
    // window (and again for an update within the allowed lateness) with all
    // of the window's records. Costs what it says: the records are kept.
    template <typename F>
    auto Apply(std::string name, F f)
        -> Stream<std::decay_t<std::invoke_result_t<F, const K&, Timestamp, Timestamp, const std::vector<T>&>>> {
      return Aggregate(name + " (records)", CollectAll<T>{})
          .Map(std::move(name), [f](const WindowResult<K, std::vector<T>>& r) {
            return f(r.key, r.start, r.end, r.value);
          });
    }

   private:
    Keyed keyed_;
    WindowSpec spec_;
    LateRecords<T> late_;
  };

  Windowed Window(WindowSpec spec) { return Windowed(*this, spec); }

  // A keyed process function (operators/process.h): fn.ProcessElement(record,
  // ctx) per record with the record's key's states and timers; emits Out
  // through ctx. Each instance holds its own copy of fn.
  template <typename Out, typename F>
  Stream<Out> Process(std::string name, F fn) {
    JobBuilder* job = in_.job();
    const KeyFn key = key_;
    using Op = KeyedProcessOperator<T, KeyFn, Out, F>;
    std::string op_name = name;
    return Stream<Out>(job, job->template AddNode<Out>(std::move(name), "process", {HashEdge()},
                                                       [key, fn, op_name](int index, int, engine::Port out) {
                                                         return std::make_unique<Op>(out, key, fn, op_name, index);
                                                       }));
  }

  engine::Edge HashEdge() const {
    return engine::Edge{in_.node(), 0, engine::Partitioning::kHash, engine::MakeHashWriter<T>(key_)};
  }

 private:
  Stream<T> in_;
  KeyFn key_;
};

// ---- JobBuilder templates ----

template <typename MakeFn>
std::shared_ptr<const engine::OperatorFactory> MakeFactory(MakeFn make) {
  class Factory final : public engine::OperatorFactory {
   public:
    explicit Factory(MakeFn m) : make_(std::move(m)) {}
    std::unique_ptr<engine::OperatorInstance> Make(int index, int parallelism, engine::Port out) const override {
      return make_(index, parallelism, out);
    }

   private:
    MakeFn make_;
  };
  return std::make_shared<Factory>(std::move(make));
}

template <typename Out, typename MakeFn>
int JobBuilder::AddNode(std::string name, std::string kind, std::vector<engine::Edge> inputs, MakeFn make,
                        bool source) {
  engine::Node n;
  n.name = std::move(name);
  n.kind = std::move(kind);
  n.is_source = source;
  n.inputs = std::move(inputs);
  n.factory = MakeFactory(std::move(make));
  if constexpr (!std::is_void_v<Out>) n.output = engine::MakeStreamType<Out>();
  return graph_.Add(std::move(n));
}

template <typename T, typename TsFn>
Stream<T> JobBuilder::FromShared(std::string name, std::shared_ptr<const std::vector<T>> shared, TsFn ts,
                                 WatermarkStrategy wm) {
  return Stream<T>(this, AddNode<T>(std::move(name), "source", {}, [shared, ts, wm](int index, int p, engine::Port out) {
    return std::make_unique<CollectionSource<T, TsFn>>(out, shared, index, p, ts, wm);
  }, /*source=*/true));
}

template <typename Gen, typename TsFn>
auto JobBuilder::FromGenerator(std::string name, Gen gen, int64_t count, double rate, TsFn ts, WatermarkStrategy wm)
    -> Stream<std::decay_t<std::invoke_result_t<Gen, uint64_t>>> {
  using T = std::decay_t<std::invoke_result_t<Gen, uint64_t>>;
  return Stream<T>(this, AddNode<T>(std::move(name), "source", {}, [gen, count, rate, ts, wm](int index, int p, engine::Port out) {
    return std::make_unique<GeneratorSource<T, Gen, TsFn>>(out, gen, count, rate, index, p, ts, wm);
  }, /*source=*/true));
}

inline Result<engine::PhysicalPlan> JobBuilder::Plan(int parallelism, const engine::PlanOptions& options) {
  RIVULET_RETURN_IF_ERROR(error_);
  if (parallelism == 0) parallelism = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return engine::Plan(graph_, parallelism, options);
}

inline Result<std::string> JobBuilder::Explain(int parallelism) {
  RIVULET_ASSIGN_OR_RETURN(auto plan, Plan(parallelism));
  return engine::Explain(graph_, plan);
}

inline Status JobBuilder::Run(const JobRunOptions& options) {
  RIVULET_ASSIGN_OR_RETURN(auto plan, Plan(options.parallelism, options.plan));
  return engine::Run(graph_, plan, options.runtime);
}

inline Result<std::unique_ptr<engine::Job>> JobBuilder::Start(const JobRunOptions& options) {
  RIVULET_ASSIGN_OR_RETURN(auto plan, Plan(options.parallelism, options.plan));
  return engine::Job::Start(graph_, plan, options.runtime);
}

}  // namespace rivulet::operators

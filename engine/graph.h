// The logical plan: operators (nodes) and the streams between them (edges),
// as the job's builder (operators/stream.h) declares them. Types are
// checked by the builder; here they are erased behind small factories the
// typed code provides: each node makes its instances, each edge makes the
// writer that sends its stream into channels.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/channel.h"
#include "engine/operator.h"

namespace rivulet::engine {

enum class Partitioning {
  kForward,    // instance i to instance i (equal parallelism; chainable)
  kHash,       // by key: every record of a key reaches the same instance
  kRebalance,  // round robin over all downstream instances
  kBroadcast,  // every record to every downstream instance
};
const char* PartitioningName(Partitioning p);

// Sends one stream of T into channels: a Receiver<T> at the end of a task.
class OutputWriter {
 public:
  virtual ~OutputWriter() = default;
  // The Receiver<T> records are given to.
  virtual Port receiver() = 0;
  // Pushes what waits for room; false while something still waits.
  virtual bool Flush() = 0;
  // Sends the partly filled batches (end of a quantum).
  virtual void FlushPartial() = 0;
  // Tells every downstream instance this output is idle / active again.
  virtual void SetIdle(bool idle) = 0;
  // Sends checkpoint barrier `id` to every downstream instance, behind
  // every record given so far.
  virtual void Barrier(int64_t id) = 0;
};

// Drains one channel into an input port.
class InputReader {
 public:
  enum class Got { kNothing, kData, kWatermark, kIdle, kActive, kEnd, kBarrier };
  virtual ~InputReader() = default;
  // Delivers the next message; data goes to the port's receiver, control
  // is returned for the task to combine (watermark() holds the value).
  virtual Got Next() = 0;
  virtual Timestamp watermark() const = 0;
  // The id of the last barrier delivered (after kBarrier).
  virtual int64_t barrier() const = 0;
};

class WriterFactory;

// Where the counter between two operators (or an operator and an exchange)
// counts records and notes watermarks; a null field is not counted.
struct CounterTargets {
  const std::string* next_name = nullptr;  // tags exceptions from the next receiver; null: not an operator
  std::atomic<uint64_t>* records_out = nullptr;     // the upstream operator's output count
  std::atomic<uint64_t>* records_in = nullptr;      // the downstream operator's input count
  std::atomic<Timestamp>* watermark_from = nullptr; // the upstream instance's watermark
  std::atomic<Timestamp>* watermark_to = nullptr;   // the downstream instance's watermark
};

// The operations on streams of one element type T (MakeStreamType<T>).
class StreamType {
 public:
  virtual ~StreamType() = default;
  virtual std::unique_ptr<ChannelBase> MakeChannel(size_t capacity) const = 0;
  virtual std::unique_ptr<InputReader> MakeReader(ChannelBase* channel, Port receiver) const = 0;
  // A Receiver<T> in front of `next` that counts records and notes
  // watermarks into `targets` (each field may be null), owned by `owner`.
  virtual Port MakeCounter(Port next, const CounterTargets& targets,
                           std::vector<std::shared_ptr<void>>* owner) const = 0;
  // The writer of a forward, rebalance or broadcast edge of T.
  virtual std::shared_ptr<const WriterFactory> Writer(Partitioning p) const = 0;
  // A Receiver<T> that hands every batch to each of `receivers`, owned by
  // `owner`.
  virtual Port MakeFanout(const std::vector<Port>& receivers, std::vector<std::shared_ptr<void>>* owner) const = 0;
};

// Makes the writer of one edge, given the channels to each downstream
// instance (one for forward). Typed: hash edges inline their key function.
class WriterFactory {
 public:
  virtual ~WriterFactory() = default;
  virtual std::unique_ptr<OutputWriter> Make(std::vector<ChannelBase*> channels, size_t batch_size) const = 0;
};

// Makes instance `index` of `parallelism` of a node; `out` is the
// Receiver<Out> its output goes to (empty for a sink).
class OperatorFactory {
 public:
  virtual ~OperatorFactory() = default;
  virtual std::unique_ptr<OperatorInstance> Make(int index, int parallelism, Port out) const = 0;
};

struct Edge {
  int from = -1;
  int port = 0;  // input port of the consumer
  Partitioning partitioning = Partitioning::kForward;
  // Set for hash edges (inlines the key function); otherwise made from the
  // upstream node's stream type.
  std::shared_ptr<const WriterFactory> writer;
};

// A keyed aggregation that may run in two phases (Flink's local-global
// aggregation). `local` instances run chained at the end of the input's
// task, at its parallelism: they fold records into one partial per key and
// pane and send the partials, a stream of `partial`, through `writer` (a
// hash on the same key, so a key's partials meet where its records would
// have). `global` instances merge the partials and keep the same state, in
// the same layout, as the node's one-phase instances (`factory`), so a
// checkpoint taken in either form restores into the other. A local
// instance keeps nothing across a checkpoint: it hands its partials on
// before the barrier (OperatorInstance::Flush). The planner chooses.
struct TwoPhase {
  std::shared_ptr<const OperatorFactory> local;   // Make(index, parallelism, partial out)
  std::shared_ptr<const OperatorFactory> global;  // instead of Node::factory
  std::shared_ptr<const StreamType> partial;
  std::shared_ptr<const WriterFactory> writer;
};

struct Node {
  int id = -1;
  std::string name;
  std::string kind;  // "source", "map", "window", "sink", ... (for --explain)
  int parallelism = 0;  // 0: the job's default
  bool is_source = false;
  std::vector<Edge> inputs;
  std::shared_ptr<const OperatorFactory> factory;
  std::shared_ptr<const StreamType> output;  // nullptr for a sink
  std::shared_ptr<const TwoPhase> two_phase;  // set where the aggregation may be split
};

class Graph {
 public:
  // Adds a node and returns its id.
  int Add(Node node);
  Node& node(int id) { return nodes_[static_cast<size_t>(id)]; }
  const Node& node(int id) const { return nodes_[static_cast<size_t>(id)]; }
  const std::vector<Node>& nodes() const { return nodes_; }
  // Ids of the nodes reading the output of `id`.
  std::vector<int> Consumers(int id) const;

 private:
  std::vector<Node> nodes_;
};

}  // namespace rivulet::engine

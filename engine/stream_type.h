// The typed halves of graph.h: channels, readers, fan-outs and writers for
// streams of T. A writer sorts records into one buffer per downstream
// instance (partitioner inlined: no virtual call per record), sends a
// buffer when it holds a batch, and keeps messages that found their channel
// full in a per-destination backlog, in order, until the consumer makes
// room. Control messages go through the same backlog, so they never
// overtake records.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "engine/graph.h"
#include "engine/state.h"

namespace rivulet::engine {

template <typename T>
class ChannelReader final : public InputReader {
 public:
  ChannelReader(Channel<T>* channel, Receiver<T>* port) : channel_(channel), port_(port) {}
  Got Next() override {
    std::unique_ptr<Message<T>> m = channel_->TryPop();
    if (!m) return Got::kNothing;
    Got got = Got::kNothing;
    switch (m->kind) {
      case Message<T>::Kind::kData:
        port_->OnBatch(m->batch);
        got = Got::kData;
        break;
      case Message<T>::Kind::kWatermark:
        watermark_ = m->watermark;
        got = Got::kWatermark;
        break;
      case Message<T>::Kind::kIdle:
        got = Got::kIdle;
        break;
      case Message<T>::Kind::kActive:
        got = Got::kActive;
        break;
      case Message<T>::Kind::kEnd:
        got = Got::kEnd;
        break;
      case Message<T>::Kind::kBarrier:
        barrier_ = m->barrier;
        got = Got::kBarrier;
        break;
    }
    channel_->Recycle(std::move(m));
    return got;
  }
  Timestamp watermark() const override { return watermark_; }
  int64_t barrier() const override { return barrier_; }

 private:
  Channel<T>* channel_;
  Receiver<T>* port_;
  Timestamp watermark_ = kMinTimestamp;
  int64_t barrier_ = 0;
};

template <typename T>
class Fanout final : public Receiver<T> {
 public:
  explicit Fanout(std::vector<Receiver<T>*> to) : to_(std::move(to)) {}
  void OnBatch(Batch<T>& batch) override {
    for (size_t i = 0; i + 1 < to_.size(); ++i) {
      copy_ = batch;
      to_[i]->OnBatch(copy_);
    }
    to_.back()->OnBatch(batch);
  }
  void OnWatermark(Timestamp w) override {
    for (auto* r : to_) r->OnWatermark(w);
  }
  void OnEnd() override {
    for (auto* r : to_) r->OnEnd();
  }

 private:
  std::vector<Receiver<T>*> to_;
  Batch<T> copy_;
};

// Counts records (once per batch) and notes watermarks on their way to
// the next receiver; the runtime's metrics.
template <typename T>
class Counting final : public Receiver<T> {
 public:
  Counting(Receiver<T>* next, const CounterTargets& targets) : next_(next), t_(targets) {}
  void OnBatch(Batch<T>& batch) override {
    const uint64_t n = batch.size();
    if (t_.records_out) t_.records_out->fetch_add(n, std::memory_order_relaxed);
    if (t_.records_in) t_.records_in->fetch_add(n, std::memory_order_relaxed);
    Guard([&] { next_->OnBatch(batch); });
  }
  void OnWatermark(Timestamp w) override {
    if (t_.watermark_from) t_.watermark_from->store(w, std::memory_order_relaxed);
    if (t_.watermark_to) t_.watermark_to->store(w, std::memory_order_relaxed);
    Guard([&] { next_->OnWatermark(w); });
  }
  void OnEnd() override {
    Guard([&] { next_->OnEnd(); });
  }

 private:
  // Tags an exception from the next operator with its name (the innermost
  // shim tags it; the others pass it on).
  template <typename F>
  void Guard(F f) {
    if (!t_.next_name) return f();
    try {
      f();
    } catch (const OperatorFailure&) {
      throw;
    } catch (const std::exception& e) {
      throw OperatorFailure(*t_.next_name, e.what());
    }
  }

  Receiver<T>* next_;
  const CounterTargets t_;
};

// Partitioners: Pick(event, n) -> destination index; Broadcast sends to all.
struct ForwardPartitioner {
  template <typename T>
  size_t Pick(const Event<T>&, size_t) { return 0; }
};
struct RebalancePartitioner {
  size_t next = 0;
  template <typename T>
  size_t Pick(const Event<T>&, size_t n) { return next++ % n; }
};
template <typename KeyFn>
struct HashPartitioner {
  KeyFn key;
  template <typename T>
  size_t Pick(const Event<T>& e, size_t n) {
    using K = std::decay_t<decltype(key(e.value))>;
    // The instance owning the key's key group (state.h), so that keyed
    // state checkpointed at one parallelism restores at another.
    const int group = KeyGroupOf(std::hash<K>{}(key(e.value)));
    return static_cast<size_t>(InstanceOfKeyGroup(group, static_cast<int>(n)));
  }
};
struct BroadcastPartitioner {};

template <typename T, typename P>
class PartitionWriter final : public OutputWriter, public Receiver<T> {
 public:
  PartitionWriter(std::vector<ChannelBase*> channels, size_t batch_size, P partitioner)
      : batch_size_(batch_size), partitioner_(std::move(partitioner)), n_(channels.size()),
        dests_(std::make_unique<Dest[]>(channels.size())) {
    for (size_t d = 0; d < n_; ++d) {
      dests_[d].channel = static_cast<Channel<T>*>(channels[d]);
      dests_[d].buffer.reserve(batch_size_);
    }
  }

  Port receiver() override { return Port::Of<T>(this); }

  void OnBatch(Batch<T>& batch) override {
    const size_t n = n_;
    if constexpr (std::is_same_v<P, BroadcastPartitioner>) {
      for (size_t d = 0; d < n; ++d) {
        for (const auto& e : batch) Add(d, Event<T>(e));
      }
    } else if (std::is_same_v<P, ForwardPartitioner> || n == 1) {
      for (auto& e : batch) Add(0, std::move(e));
    } else {
      for (auto& e : batch) Add(partitioner_.Pick(e, n), std::move(e));
    }
  }
  void OnWatermark(Timestamp w) override { Control(Message<T>::Kind::kWatermark, w); }
  void OnEnd() override { Control(Message<T>::Kind::kEnd, kMaxTimestamp); }
  void SetIdle(bool idle) override {
    Control(idle ? Message<T>::Kind::kIdle : Message<T>::Kind::kActive, kMinTimestamp);
  }
  void Barrier(int64_t id) override { Control(Message<T>::Kind::kBarrier, kMinTimestamp, id); }

  bool Flush() override {
    bool all = true;
    for (size_t i = 0; i < n_; ++i) {
      Dest& d = dests_[i];
      while (!d.backlog.empty()) {
        if (!d.channel->TryPush(d.backlog.front())) break;
        d.backlog.pop_front();
      }
      all = all && d.backlog.empty();
    }
    return all;
  }
  void FlushPartial() override {
    for (size_t d = 0; d < n_; ++d) {
      if (!dests_[d].buffer.empty()) Seal(d);
    }
    Flush();
  }

 private:
  struct Dest {
    Channel<T>* channel = nullptr;
    Batch<T> buffer;
    std::deque<std::unique_ptr<Message<T>>> backlog;
  };

  void Add(size_t d, Event<T>&& e) {
    auto& b = dests_[d].buffer;
    b.push_back(std::move(e));
    if (b.size() >= batch_size_) Seal(d);
  }
  // Moves destination d's buffer into a message and tries to send it.
  void Seal(size_t d) {
    auto m = dests_[d].channel->Fresh();
    m->batch.swap(dests_[d].buffer);  // the buffer takes the reused storage
    dests_[d].buffer.reserve(batch_size_);
    Send(d, std::move(m));
  }
  void Send(size_t d, std::unique_ptr<Message<T>> m) {
    auto& dest = dests_[d];
    if (dest.backlog.empty() && dest.channel->TryPush(m)) return;
    dest.backlog.push_back(std::move(m));
  }
  void Control(typename Message<T>::Kind kind, Timestamp w, int64_t barrier = 0) {
    for (size_t d = 0; d < n_; ++d) {
      if (!dests_[d].buffer.empty()) Seal(d);
      auto m = dests_[d].channel->Fresh();
      m->kind = kind;
      m->watermark = w;
      m->barrier = barrier;
      Send(d, std::move(m));
    }
  }

  const size_t batch_size_;
  P partitioner_;
  const size_t n_;
  std::unique_ptr<Dest[]> dests_;
};

template <typename T, typename P>
class PartitionWriterFactory final : public WriterFactory {
 public:
  explicit PartitionWriterFactory(P p) : p_(std::move(p)) {}
  std::unique_ptr<OutputWriter> Make(std::vector<ChannelBase*> channels, size_t batch_size) const override {
    return std::make_unique<PartitionWriter<T, P>>(std::move(channels), batch_size, p_);
  }

 private:
  P p_;
};

// The writer factory of an edge with the given partitioning (kHash needs
// MakeHashWriter with the key function).
template <typename T>
std::shared_ptr<const WriterFactory> MakeWriter(Partitioning p) {
  switch (p) {
    case Partitioning::kForward:
      return std::make_shared<PartitionWriterFactory<T, ForwardPartitioner>>(ForwardPartitioner{});
    case Partitioning::kBroadcast:
      return std::make_shared<PartitionWriterFactory<T, BroadcastPartitioner>>(BroadcastPartitioner{});
    case Partitioning::kHash:
    case Partitioning::kRebalance:
      break;
  }
  return std::make_shared<PartitionWriterFactory<T, RebalancePartitioner>>(RebalancePartitioner{});
}

template <typename T, typename KeyFn>
std::shared_ptr<const WriterFactory> MakeHashWriter(KeyFn key) {
  return std::make_shared<PartitionWriterFactory<T, HashPartitioner<KeyFn>>>(HashPartitioner<KeyFn>{std::move(key)});
}

template <typename T>
class TypedStream final : public StreamType {
 public:
  std::unique_ptr<ChannelBase> MakeChannel(size_t capacity) const override {
    return std::make_unique<Channel<T>>(capacity);
  }
  std::unique_ptr<InputReader> MakeReader(ChannelBase* channel, Port receiver) const override {
    return std::make_unique<ChannelReader<T>>(static_cast<Channel<T>*>(channel), receiver.As<T>());
  }
  std::shared_ptr<const WriterFactory> Writer(Partitioning p) const override { return MakeWriter<T>(p); }
  Port MakeCounter(Port next, const CounterTargets& targets,
                   std::vector<std::shared_ptr<void>>* owner) const override {
    auto c = std::make_shared<Counting<T>>(next.As<T>(), targets);
    owner->push_back(c);
    return Port::Of<T>(c.get());
  }
  Port MakeFanout(const std::vector<Port>& receivers, std::vector<std::shared_ptr<void>>* owner) const override {
    std::vector<Receiver<T>*> to;
    for (const Port& r : receivers) to.push_back(r.As<T>());
    auto f = std::make_shared<Fanout<T>>(std::move(to));
    owner->push_back(f);
    return Port::Of<T>(f.get());
  }
};

template <typename T>
std::shared_ptr<const StreamType> MakeStreamType() {
  static const auto type = std::make_shared<TypedStream<T>>();
  return type;
}

}  // namespace rivulet::engine

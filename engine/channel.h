// A channel carries one stream from one task instance to another: a bounded
// single-producer single-consumer lock-free queue (Boost.Lockfree) of
// messages, each a batch of records or a control message. A full channel
// is backpressure: the producer task keeps what it could not push and stops
// taking input until the consumer makes room, which wakes it.
#pragma once

#include <atomic>
#include <memory>

#include <boost/lockfree/spsc_queue.hpp>

#include "engine/batch.h"
#include "engine/task.h"

namespace rivulet::engine {

template <typename T>
struct Message {
  // kBarrier: checkpoint barrier `barrier`; every record before it belongs
  // to that checkpoint, every record after it to the next.
  enum class Kind { kData, kWatermark, kIdle, kActive, kEnd, kBarrier };
  Kind kind = Kind::kData;
  Timestamp watermark = kMinTimestamp;
  int64_t barrier = 0;
  Batch<T> batch;
};

// What the runtime needs of a channel whatever its type.
class ChannelBase {
 public:
  explicit ChannelBase(size_t capacity) : capacity_(capacity) {}
  virtual ~ChannelBase() = default;
  ChannelBase(const ChannelBase&) = delete;
  ChannelBase& operator=(const ChannelBase&) = delete;

  void Connect(Task* producer, Task* consumer) {
    producer_ = producer;
    consumer_ = consumer;
  }
  size_t capacity() const { return capacity_; }
  // Messages queued (approximate while both sides run); for metrics.
  virtual size_t fill() const = 0;

 protected:
  const size_t capacity_;
  Task* producer_ = nullptr;
  Task* consumer_ = nullptr;
  // Set by a producer that found the queue full; the consumer wakes it
  // after its next pop.
  std::atomic<bool> producer_waiting_{false};
};

// Messages travel in both directions: full ones to the consumer, and,
// once drained, back to the producer for reuse, so a steady stream
// allocates no batches and writes into memory that is warm in cache.
template <typename T>
class Channel final : public ChannelBase {
 public:
  explicit Channel(size_t capacity) : ChannelBase(capacity), queue_(capacity), free_(capacity + 2) {}
  ~Channel() override {
    Message<T>* m;
    while (queue_.pop(m)) delete m;
    while (free_.pop(m)) delete m;
  }

  // Producer side: an empty data message, reused when one came back.
  std::unique_ptr<Message<T>> Fresh() {
    Message<T>* m = nullptr;
    if (free_.pop(m)) return std::unique_ptr<Message<T>>(m);
    return std::make_unique<Message<T>>();
  }
  // Consumer side: hands a processed message back for reuse.
  void Recycle(std::unique_ptr<Message<T>> m) {
    m->batch.clear();
    m->kind = Message<T>::Kind::kData;
    if (free_.push(m.get())) m.release();
  }

  // Producer side. Takes ownership of `m` on success; on failure (full) the
  // caller keeps it and will be woken once there is room.
  bool TryPush(std::unique_ptr<Message<T>>& m) {
    if (!queue_.push(m.get())) {
      // Dekker-style handshake with TryPop: flag first, then look again,
      // so that a pop between our failed push and the flag still wakes us
      // (either the retry succeeds or the consumer sees the flag).
      producer_waiting_.store(true, std::memory_order_seq_cst);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (!queue_.push(m.get())) return false;
    }
    m.release();
    consumer_->Notify();
    return true;
  }

  // Consumer side: the next message, or nullptr when empty. A waiting
  // producer is woken once the queue is down to half: waking it at the
  // first free slot would have it run for one batch and block again.
  std::unique_ptr<Message<T>> TryPop() {
    Message<T>* m = nullptr;
    if (!queue_.pop(m)) return nullptr;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (producer_waiting_.load(std::memory_order_relaxed) && queue_.read_available() <= capacity_ / 2 &&
        producer_waiting_.exchange(false, std::memory_order_acq_rel)) {
      producer_->Notify();
    }
    return std::unique_ptr<Message<T>>(m);
  }

  size_t fill() const override { return queue_.read_available(); }

 private:
  boost::lockfree::spsc_queue<Message<T>*> queue_;
  boost::lockfree::spsc_queue<Message<T>*> free_;  // consumer -> producer
};

}  // namespace rivulet::engine

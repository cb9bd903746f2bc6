// What flows between operators: batches of timestamped records, and the
// control that travels in order with them (watermarks, end of stream). A Receiver<T> is anything that takes a stream of T: the
// next operator of a chain, or the exchange writer at the end of a task.
#pragma once

#include <vector>

#include "engine/time.h"

namespace rivulet::engine {

template <typename T>
struct Event {
  Timestamp ts;
  T value;
};

// Records in arrival order. Batches are reused: a receiver may move values
// out of a batch it is given, and the sender clears it afterwards.
template <typename T>
using Batch = std::vector<Event<T>>;

// The receiving side of a stream of T. Calls come from one thread at a time
// (the task running the chain), in stream order.
template <typename T>
class Receiver {
 public:
  virtual ~Receiver() = default;
  // Records; `batch` may be consumed (values moved out).
  virtual void OnBatch(Batch<T>& batch) = 0;
  // Event time advanced to `watermark` (never called with a smaller one).
  virtual void OnWatermark(Timestamp watermark) = 0;
  // No more records: flush what is held and pass the end on.
  virtual void OnEnd() = 0;
};

}  // namespace rivulet::engine

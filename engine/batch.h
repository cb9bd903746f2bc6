// What flows between operators: batches of timestamped records, and the
// control that travels in order with them (watermarks, end of stream). A Receiver<T> is anything that takes a stream of T: the
// next operator of a chain, or the exchange writer at the end of a task.
#pragma once

#include <stdexcept>
#include <string>
#include <typeinfo>
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

// A Receiver<T>* with its T kept beside it: how receivers travel between
// the runtime, which does not know T, and typed operators. As<T>() hands
// it back and throws std::logic_error naming both types when the port
// takes another type, so an operator wired to the wrong stream fails when
// the job starts instead of reading records as the wrong type. A default
// Port is empty (a source's input, a sink's output).
class Port {
 public:
  Port() = default;
  template <typename T>
  static Port Of(Receiver<T>* receiver) {
    Port p;
    p.ptr_ = receiver;
    p.type_ = &typeid(T);
    return p;
  }
  template <typename T>
  Receiver<T>* As() const {
    if (!type_) throw std::logic_error(std::string("a stream of ") + typeid(T).name() + " wired to an empty port");
    if (*type_ != typeid(T)) {
      throw std::logic_error(std::string("a port that takes ") + type_->name() + " used for a stream of " +
                             typeid(T).name());
    }
    return static_cast<Receiver<T>*>(ptr_);
  }
  explicit operator bool() const { return ptr_ != nullptr; }
  const std::type_info* type() const { return type_; }

 private:
  void* ptr_ = nullptr;
  const std::type_info* type_ = nullptr;
};

}  // namespace rivulet::engine

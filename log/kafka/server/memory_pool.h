// The broker's bound on memory for requests being read (Kafka's
// queued.max.request.bytes). A connection reserves a large request's whole
// size before it reads the body, all or nothing, so reservations can always
// be completed and never deadlock one another; what does not fit waits, in
// order of arrival, until answered requests give their bytes back. The
// connection's buffer then grows as the bytes come (a client that declares
// 50 MiB and sends 64 KiB makes the broker hold 64 KiB, while its
// reservation keeps the total promised bounded).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace rivulet::log::kafka {

class RequestMemoryPool {
 public:
  explicit RequestMemoryPool(int64_t capacity) : capacity_(capacity) {}
  RequestMemoryPool(const RequestMemoryPool&) = delete;
  RequestMemoryPool& operator=(const RequestMemoryPool&) = delete;

  int64_t capacity() const { return capacity_; }
  // Reserves `bytes` (at most capacity()) now, and returns true; or, when
  // they do not fit or others wait before, queues `ready` to be called
  // (once, on the releasing thread, after the bytes were reserved for it)
  // and returns false.
  bool Reserve(int64_t bytes, std::function<void()> ready);
  // Gives `bytes` back and hands them to the waiters that now fit, in order.
  void Release(int64_t bytes);

  int64_t reserved() const;
  size_t waiting() const;

 private:
  struct Waiter {
    int64_t bytes;
    std::function<void()> ready;
  };
  const int64_t capacity_;
  mutable std::mutex mu_;
  int64_t reserved_ = 0;        // guarded by mu_
  std::deque<Waiter> waiters_;  // guarded by mu_
};

}  // namespace rivulet::log::kafka

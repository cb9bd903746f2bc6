#include "log/kafka/server/memory_pool.h"

#include <utility>
#include <vector>

namespace rivulet::log::kafka {

bool RequestMemoryPool::Reserve(int64_t bytes, std::function<void()> ready) {
  std::lock_guard<std::mutex> lock(mu_);
  // First come, first served: a large request is not overtaken for ever
  // by smaller ones that keep fitting.
  if (waiters_.empty() && reserved_ + bytes <= capacity_) {
    reserved_ += bytes;
    return true;
  }
  waiters_.push_back(Waiter{bytes, std::move(ready)});
  return false;
}

void RequestMemoryPool::Release(int64_t bytes) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reserved_ -= bytes;
    while (!waiters_.empty() && reserved_ + waiters_.front().bytes <= capacity_) {
      reserved_ += waiters_.front().bytes;
      ready.push_back(std::move(waiters_.front().ready));
      waiters_.pop_front();
    }
  }
  for (auto& f : ready) f();
}

int64_t RequestMemoryPool::reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_;
}

size_t RequestMemoryPool::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.size();
}

}  // namespace rivulet::log::kafka

#include "engine/executor.h"

#include <atomic>

namespace rivulet::engine {

void Task::Notify() {
  int s = state_.load(std::memory_order_acquire);
  for (;;) {
    if (s == kStateIdle) {
      if (state_.compare_exchange_weak(s, kStateQueued, std::memory_order_acq_rel)) {
        executor_->Submit(this);
        return;
      }
    } else if (s == kStateRunning) {
      if (state_.compare_exchange_weak(s, kStateRunningNotified, std::memory_order_acq_rel)) return;
    } else {
      return;  // queued already, will look again, or done
    }
  }
}

void Task::Execute() {
  if (executor_->cancelled()) {
    state_.store(kStateDone, std::memory_order_release);
    return;
  }
  state_.store(kStateRunning, std::memory_order_release);
  Step step;
  try {
    step = Run(std::chrono::steady_clock::now() + executor_->quantum());
  } catch (const OperatorFailure& e) {
    failed_.store(true, std::memory_order_release);
    state_.store(kStateDone, std::memory_order_release);
    executor_->TaskFailed(this, e.op(), e.what());
    return;
  } catch (const std::exception& e) {
    failed_.store(true, std::memory_order_release);
    state_.store(kStateDone, std::memory_order_release);
    executor_->TaskFailed(this, "", e.what());
    return;
  } catch (...) {
    failed_.store(true, std::memory_order_release);
    state_.store(kStateDone, std::memory_order_release);
    executor_->TaskFailed(this, "", "unknown exception");
    return;
  }
  switch (step) {
    case Step::kDone:
      state_.store(kStateDone, std::memory_order_release);
      executor_->TaskDone(this);
      return;
    case Step::kMore:
      state_.store(kStateQueued, std::memory_order_release);
      executor_->Submit(this);
      return;
    case Step::kIdle: {
      int expected = kStateRunning;
      if (!state_.compare_exchange_strong(expected, kStateIdle, std::memory_order_acq_rel)) {
        // Woken while running: go round again.
        state_.store(kStateQueued, std::memory_order_release);
        executor_->Submit(this);
      }
      return;
    }
  }
}

Executor::Executor(int threads)
    : workers_(tbb::global_control::max_allowed_parallelism,
               static_cast<size_t>(threads > 0 ? threads : tbb::this_task_arena::max_concurrency()) + 1),
      arena_(threads > 0 ? threads : tbb::task_arena::automatic, /*reserved_for_masters=*/0),
      timer_thread_([this] { TimerLoop(); }) {}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    stop_timers_ = true;
  }
  timer_cv_.notify_all();
  timer_thread_.join();
  // Quanta still queued in the arena must not outlive the tasks.
  std::unique_lock<std::mutex> lock(mu_);
  cancelled_.store(true, std::memory_order_release);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Executor::Add(Task* task) {
  task->executor_ = this;
  tasks_.push_back(task);
}

void Executor::Submit(Task* task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++in_flight_;
  }
  arena_.enqueue([this, task] {
    task->Execute();
    std::lock_guard<std::mutex> lock(mu_);
    if (--in_flight_ == 0) cv_.notify_all();
  });
}

void Executor::Start() {
  for (Task* t : tasks_) t->Notify();
}

Status Executor::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_ == tasks_.size() || failure_.has_value() || cancelled(); });
  Status result = failure_.value_or(Status::Ok());
  if (!failure_ && done_ != tasks_.size()) result = Status(Errc::kClosed, "job cancelled");
  cancelled_.store(true, std::memory_order_release);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
  return result;
}

bool Executor::AwaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return in_flight_ == 0 || failure_.has_value() || cancelled(); });
  return in_flight_ == 0 && !failure_.has_value() && !cancelled();
}

void Executor::Cancel(Status why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_ && !why.ok()) failure_ = std::move(why);
  cancelled_.store(true, std::memory_order_release);
  cv_.notify_all();
}

void Executor::TaskDone(Task*) {
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  if (done_ == tasks_.size()) cv_.notify_all();
}

void Executor::TaskFailed(Task* task, const std::string& op, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failure_) {
    const std::string where = op.empty() ? "operator '" + task->name() + "'"
                                         : "operator '" + op + "' (task '" + task->name() + "')";
    failure_ = Status(Errc::kJobFailed, where + " failed: " + what);
  }
  cancelled_.store(true, std::memory_order_release);
  cv_.notify_all();
}

void Executor::WakeAt(Task* task, std::chrono::steady_clock::time_point when) {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    timers_.emplace(when, task);
  }
  timer_cv_.notify_one();
}

void Executor::TimerLoop() {
  std::unique_lock<std::mutex> lock(timer_mu_);
  while (!stop_timers_) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const auto first = timers_.begin()->first;
    if (std::chrono::steady_clock::now() < first) {
      timer_cv_.wait_until(lock, first);
      continue;
    }
    Task* t = timers_.begin()->second;
    timers_.erase(timers_.begin());
    lock.unlock();
    if (!cancelled()) t->Notify();
    lock.lock();
  }
}

}  // namespace rivulet::engine

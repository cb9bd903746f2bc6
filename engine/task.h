// A task is one instance of a chain of operators: the unit the scheduler
// runs. It is scheduled when woken (input arrived, output room appeared, a
// timer fired) and then runs for a bounded quantum on a TBB arena thread;
// it never blocks: when it has nothing to do or cannot push its output it
// returns and waits to be woken. An idle job has no runnable task and uses
// no CPU.
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

namespace rivulet::engine {

class Executor;

// An exception thrown by user code, tagged with the operator it came from
// (by the counting shim in front of that operator).
class OperatorFailure : public std::runtime_error {
 public:
  OperatorFailure(std::string op, const std::string& what) : std::runtime_error(what), op_(std::move(op)) {}
  const std::string& op() const { return op_; }

 private:
  std::string op_;
};

class Task {
 public:
  enum class Step {
    kIdle,  // nothing to do until woken
    kMore,  // more to do now: run again soon
    kDone,  // finished; never runs again
  };

  explicit Task(std::string name) : name_(std::move(name)) {}
  virtual ~Task() = default;
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  const std::string& name() const { return name_; }

  // Wakes the task: schedules it unless it is queued already, or makes the
  // running invocation go round once more. Any thread; lock-free.
  void Notify();

  // Runs one quantum (called by the executor only).
  virtual Step Run(std::chrono::steady_clock::time_point deadline) = 0;

  // Whether Run threw (the task never runs again). Read once the executor
  // stopped.
  bool failed() const { return failed_.load(std::memory_order_acquire); }

 private:
  friend class Executor;
  // kIdle -> kQueued (Notify) -> kRunning -> kIdle, or kRunning ->
  // kRunningNotified (Notify while running) -> kQueued again.
  enum State : int { kStateIdle, kStateQueued, kStateRunning, kStateRunningNotified, kStateDone };

  void Execute();

  std::string name_;
  Executor* executor_ = nullptr;
  std::atomic<int> state_{kStateIdle};
  std::atomic<bool> failed_{false};
};

}  // namespace rivulet::engine

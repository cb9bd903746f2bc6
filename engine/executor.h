// Runs a job's tasks on a TBB task arena (work stealing, one thread per
// allowed core): each woken task is enqueued as a TBB task and runs one
// quantum. Also keeps the job's lifecycle: tasks done, the first failure
// (an exception in user code, with the task's name), cancellation, and
// timers that wake tasks later (a rate-limited or idle source).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include "base/status.h"
#include "engine/task.h"

namespace rivulet::engine {

class Executor {
 public:
  // `threads`: arena concurrency (0 = one per core).
  explicit Executor(int threads);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Registers the job's tasks (before Start); the executor does not own them.
  void Add(Task* task);
  // Wakes every task once, then waits until all are done, one failed, or
  // Cancel() was called; returns the first failure, or kClosed when
  // cancelled. Waits for running quanta to finish before returning.
  Status Run() {
    Start();
    return Wait();
  }
  // Run in two halves: Start wakes every task; Wait waits (once).
  void Start();
  Status Wait();
  // Stops the job (SIGINT): no task runs again; Run returns.
  void Cancel(Status why);
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Waits until no quantum is queued or running (every task waits to be
  // woken: by input, output room or a timer), the job stopped, or
  // `timeout` ran out; true only in the first case.
  bool AwaitIdle(std::chrono::milliseconds timeout);

  // Wakes `task` at `when` (or soon after).
  void WakeAt(Task* task, std::chrono::steady_clock::time_point when);

  // Called by tasks.
  void Submit(Task* task);
  void TaskDone(Task* task);
  // `op`: the operator that threw, when known (else the task's head).
  void TaskFailed(Task* task, const std::string& op, const std::string& what);
  // A quantum's length.
  std::chrono::microseconds quantum() const { return quantum_; }

 private:
  void TimerLoop();

  // The arena's threads are all TBB workers (the calling thread only
  // waits), so the worker limit is raised to cover them.
  tbb::global_control workers_;
  tbb::task_arena arena_;
  std::chrono::microseconds quantum_{2000};
  std::vector<Task*> tasks_;

  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  size_t done_ = 0;
  int64_t in_flight_ = 0;  // quanta submitted and not yet finished
  std::optional<Status> failure_;
  std::atomic<bool> cancelled_{false};

  std::mutex timer_mu_;  // guards timers_ and stop_timers_
  std::condition_variable timer_cv_;
  std::multimap<std::chrono::steady_clock::time_point, Task*> timers_;
  bool stop_timers_ = false;
  std::thread timer_thread_;
};

}  // namespace rivulet::engine

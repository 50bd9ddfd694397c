// A persistent pool of threads for the forward pass: started once, woken for each parallel
// region, never allocating while it runs.
//
// Work is split into fixed tasks (for a matrix: ranges of rows), so that the result never
// depends on how many threads there are or which one ran which task.
//
// A token runs dozens of short regions (microseconds each for small models), so regions are
// started and finished with atomics: threads spin briefly before they sleep, and the calling
// thread never waits for a thread that has not woken up: whoever comes claims the next task,
// and a region ends when all its tasks are done. On a busy machine a descheduled worker then
// costs its share of the work, not a round trip through the scheduler per region.
#pragma once

#include "shoehorn/io/threads.hpp"

#if SHOEHORN_THREADS
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace shoehorn {

// One step of a spin-wait: tells the CPU this thread is polling.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

#if SHOEHORN_THREADS
class ThreadPool {
 public:
  // threads >= 1; the calling thread is one of them.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(i) for every i in [0, tasks) across the threads and returns when all are done.
  template <class Task>
  void run(int tasks, Task& task) {
    if (tasks == 1 || workers_.empty()) {
      for (int i = 0; i < tasks; ++i) task(i);
      return;
    }
    dispatch(tasks, [](void* context, int i) { (*static_cast<Task*>(context))(i); }, &task);
  }

 private:
  using TaskFn = void (*)(void*, int);
  void dispatch(int tasks, TaskFn fn, void* context);
  // Claims and runs one task of the current region; false when none is left.
  bool run_next_task();
  void worker_loop();
  // Polls until value != old, then sleeps on changed_ (counted in sleepers_), a millisecond at
  // a time: a lost wake-up costs a millisecond, not a hang. (Once, in a test with five threads
  // on two cores, every thread slept in std::atomic::wait with no task left to run; the cause
  // was not found.)
  template <class T>
  void wait_for_change(const std::atomic<T>& value, T old);
  // After a change a sleeper may wait for: wakes them, if any sleeps.
  void wake_sleepers();

  std::vector<std::thread> workers_;
  // The region: written while `claim_` is closed, before it opens the region's generation;
  // atomics because a late worker may read them while the next region is set up (it then
  // fails to claim: see run_next_task).
  std::atomic<TaskFn> fn_{nullptr};
  std::atomic<void*> context_{nullptr};
  std::atomic<int> tasks_{0};
  // Generation in the high half, the next unclaimed task in the low half (all ones while the
  // next region is set up): a task is claimed by one compare-and-swap that also proves the
  // region is still the current one.
  std::atomic<std::uint64_t> claim_{0};
  std::atomic<int> done_{0};                 // tasks of the current region finished
  std::atomic<std::uint32_t> generation_{0};  // what sleeping workers wait on
  std::atomic<bool> stopping_{false};
  std::mutex sleep_mutex_;
  std::condition_variable changed_;
  std::atomic<int> sleepers_{0};
};
#else
// A build without threads (a bare machine): the calling thread runs every task, in order, so
// results are the same as with a pool of any size.
class ThreadPool {
 public:
  explicit ThreadPool(int /*threads*/) {}
  int size() const { return 1; }
  template <class Task>
  void run(int tasks, Task& task) {
    for (int i = 0; i < tasks; ++i) task(i);
  }
};
#endif

}  // namespace shoehorn

// A persistent pool of threads for the forward pass: started once, woken for each parallel
// region, never allocating while it runs.
//
// Work is split into fixed tasks (for a matrix: ranges of rows), so that the result never
// depends on how many threads there are or which one ran which task.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace shoehorn {

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
  void work_until_done();
  void worker_loop();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::uint64_t generation_ = 0;  // bumped for each parallel region
  int busy_workers_ = 0;
  bool stopping_ = false;

  TaskFn fn_ = nullptr;
  void* context_ = nullptr;
  int tasks_ = 0;
  std::atomic<int> next_task_{0};
};

}  // namespace shoehorn

#include "shoehorn/kernels/thread_pool.hpp"

namespace shoehorn {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::work_until_done() {
  for (int i = next_task_.fetch_add(1); i < tasks_; i = next_task_.fetch_add(1)) fn_(context_, i);
}

void ThreadPool::dispatch(int tasks, TaskFn fn, void* context) {
  {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    context_ = context;
    tasks_ = tasks;
    next_task_.store(0);
    busy_workers_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  work_until_done();
  std::unique_lock lock(mutex_);
  finished_.wait(lock, [this] { return busy_workers_ == 0; });
}

void ThreadPool::worker_loop() {
  std::uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    work_until_done();
    {
      std::lock_guard lock(mutex_);
      --busy_workers_;
    }
    finished_.notify_one();
  }
}

}  // namespace shoehorn

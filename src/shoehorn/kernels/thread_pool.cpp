#include "shoehorn/kernels/thread_pool.hpp"

#if SHOEHORN_THREADS
#include <chrono>

namespace shoehorn {

namespace {

// About ten microseconds of polling before a thread sleeps: longer than the gaps between the
// regions of one token, and short enough not to take much from other processes on a busy
// machine (or under an emulator, where each poll is far slower).
constexpr int kSpins = 1 << 10;

}  // namespace

// A sleeper counts itself and then reads the value; a changer writes the value and then reads the
// count (all sequentially consistent): one of them sees the other's write, so either the sleeper
// does not sleep or the changer notifies it, under the mutex it holds until it waits.
template <class T>
void ThreadPool::wait_for_change(const std::atomic<T>& value, T old) {
  for (int i = 0; i < kSpins; ++i) {
    if (value.load(std::memory_order_acquire) != old) return;
    cpu_relax();
  }
  std::unique_lock lock(sleep_mutex_);
  sleepers_.fetch_add(1);
  while (value.load() == old) changed_.wait_for(lock, std::chrono::milliseconds(1));
  sleepers_.fetch_sub(1);
}

void ThreadPool::wake_sleepers() {
  if (sleepers_.load() == 0) return;
  {
    const std::lock_guard lock(sleep_mutex_);
  }
  changed_.notify_all();
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_relaxed);
  generation_.fetch_add(1);
  wake_sleepers();
  for (std::thread& t : workers_) t.join();
}

// A claim succeeds only while the word still holds the region whose fields were read: the next
// region's fields are written only after every task of this one was claimed and done.
bool ThreadPool::run_next_task() {
  std::uint64_t claim = claim_.load(std::memory_order_acquire);
  while (true) {
    const TaskFn fn = fn_.load(std::memory_order_relaxed);
    void* context = context_.load(std::memory_order_relaxed);
    const int tasks = tasks_.load(std::memory_order_relaxed);
    const int task = static_cast<int>(claim & 0xFFFFFFFFu);
    if (task >= tasks) return false;
    if (claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel)) {
      fn(context, task);
      // The last task wakes the calling thread if it went to sleep.
      if (done_.fetch_add(1) + 1 == tasks) wake_sleepers();
      return true;
    }
  }
}

void ThreadPool::dispatch(int tasks, TaskFn fn, void* context) {
  const std::uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  fn_.store(fn, std::memory_order_relaxed);
  context_.store(context, std::memory_order_relaxed);
  tasks_.store(tasks, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  claim_.store(static_cast<std::uint64_t>(generation) << 32, std::memory_order_release);
  generation_.store(generation);
  wake_sleepers();
  while (run_next_task()) {
  }
  for (int done = done_.load(std::memory_order_acquire); done != tasks;
       done = done_.load(std::memory_order_acquire)) {
    wait_for_change(done_, done);
  }
}

void ThreadPool::worker_loop() {
  std::uint32_t seen = 0;
  while (true) {
    wait_for_change(generation_, seen);
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_relaxed)) return;
    while (run_next_task()) {
    }
  }
}

}  // namespace shoehorn
#endif  // SHOEHORN_THREADS
